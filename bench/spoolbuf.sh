#!/usr/bin/env bash
# spoolbuf against sponge (moreutils).
# Targets (issue 4): peak RSS at most the memory cap plus 4 MiB at any
# input size (sponge grows with its input); throughput at least 1.5x
# sponge.
. "$(dirname "$0")/lib.sh"
SIZE_MIB=${SIZE_MIB:-2048}

echo "## spoolbuf"
echo
gen "$WORK/data" "$SIZE_MIB"
cat "$WORK/data" >/dev/null
export TMPDIR=$WORK

table_head "${SIZE_MIB} MiB from a pipe, soaked up, then written to /dev/null"
case_ "spoolbuf -m 8M" "$SIZE_MIB" "cat $WORK/data | $RSS spoolbuf -m 8M >/dev/null"
case_ "sponge" "$SIZE_MIB" "cat $WORK/data | $RSS sponge >/dev/null"

table_head "the same, written into a pipe (| cat >/dev/null)"
case_ "spoolbuf -m 8M | cat" "$SIZE_MIB" "cat $WORK/data | $RSS spoolbuf -m 8M | cat >/dev/null"
case_ "sponge | cat" "$SIZE_MIB" "cat $WORK/data | $RSS sponge | cat >/dev/null"

table_head "${SIZE_MIB} MiB soaked up, then replacing a file (spoolbuf FILE / sponge FILE)"
case_ "spoolbuf -m 8M out" "$SIZE_MIB" "cat $WORK/data | $RSS spoolbuf -m 8M $WORK/out"
case_ "sponge out" "$SIZE_MIB" "cat $WORK/data | $RSS sponge $WORK/out"

table_head "replays: the spool written out twice (-r 0:,0:) vs sponge into tee"
case_ "spoolbuf -m 8M -r 0:,0:" "$((SIZE_MIB * 2))" "cat $WORK/data | $RSS spoolbuf -m 8M -r 0:,0: >/dev/null"
case_ "sponge | tee >(cat) | cat" "$((SIZE_MIB * 2))" "cat $WORK/data | $RSS sponge | tee >(cat >/dev/null) >/dev/null"

table_head "small input (64 MiB): memory only, no file"
case_ "spoolbuf (-m 128M)" 64 "head -c 64M $WORK/data | $RSS spoolbuf -m 128M >/dev/null"
case_ "sponge" 64 "head -c 64M $WORK/data | $RSS sponge >/dev/null"
