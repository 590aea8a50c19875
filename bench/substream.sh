#!/usr/bin/env bash
# substream against dd iflag=fullblock, head -c and tail -c.
# Targets (issue 2): on a pipe at least 2x `dd bs=1M iflag=fullblock`;
# the last 1 MiB of a 4 GiB file in about the time of a 64 MiB one (a
# seek, not a read); peak RSS under 4 MiB for forward ranges.
. "$(dirname "$0")/lib.sh"
SIZE_MIB=${SIZE_MIB:-2048}

echo "## substream"
echo
gen "$WORK/data" "$SIZE_MIB"
cat "$WORK/data" >/dev/null # into the page cache
half=$((SIZE_MIB / 2))
quarter=$((SIZE_MIB / 4))

# The producer bounds every consumer: cat copies each byte into the pipe
# (substream then adds no copy of its own, dd one), pv -q splices pages in.
for prod in "pv -q" cat; do
	table_head "a ${half} MiB range from the middle of a ${SIZE_MIB} MiB pipe fed by $prod, to /dev/null"
	case_ "substream -r ${quarter}M+${half}M" "$SIZE_MIB" \
	    "$prod $WORK/data | $RSS substream -r ${quarter}M+${half}M >/dev/null"
	case_ "dd bs=1M skip=$quarter count=$half iflag=fullblock" "$SIZE_MIB" \
	    "$prod $WORK/data | $RSS dd bs=1M skip=$quarter count=$half iflag=fullblock status=none of=/dev/null"
	case_ "tail -c +$((quarter * 1048576 + 1)) | head -c ${half}M" "$SIZE_MIB" \
	    "$prod $WORK/data | tail -c +$((quarter * 1048576 + 1)) | $RSS head -c $((half * 1048576)) >/dev/null"
done

table_head "the same, into a pipe (| cat >/dev/null)"
case_ "substream -r ${quarter}M+${half}M | cat" "$SIZE_MIB" \
    "cat $WORK/data | $RSS substream -r ${quarter}M+${half}M | cat >/dev/null"
case_ "dd bs=1M ... iflag=fullblock | cat" "$SIZE_MIB" \
    "cat $WORK/data | $RSS dd bs=1M skip=$quarter count=$half iflag=fullblock status=none | cat >/dev/null"

table_head "the last 1 MiB of a pipe of ${SIZE_MIB} MiB"
case_ "substream -r -1M:" "$SIZE_MIB" "cat $WORK/data | $RSS substream -r -1M: >/dev/null"
case_ "tail -c 1M" "$SIZE_MIB" "cat $WORK/data | $RSS tail -c 1M >/dev/null"

truncate -s 4G "$WORK/big"
truncate -s 64M "$WORK/small"
table_head "the last 1 MiB of a 4 GiB file and of a 64 MiB file (MiB/s: of the 1 MiB)"
case_ "substream -r -1M: small(64M)" 1 "$RSS substream -r -1M: $WORK/small >/dev/null"
case_ "substream -r -1M: big(4G)" 1 "$RSS substream -r -1M: $WORK/big >/dev/null"
case_ "tail -c 1M big(4G)" 1 "$RSS tail -c 1M $WORK/big >/dev/null"
case_ "dd skip=4095 bs=1M big(4G)" 1 "$RSS dd if=$WORK/big bs=1M skip=4095 status=none of=/dev/null"

table_head "a ${half} MiB range of a ${SIZE_MIB} MiB file into a file"
case_ "substream -r ${quarter}M+${half}M f > out" "$half" \
    "$RSS substream -r ${quarter}M+${half}M $WORK/data > $WORK/out"
case_ "dd bs=1M skip=$quarter count=$half > out" "$half" \
    "$RSS dd if=$WORK/data bs=1M skip=$quarter count=$half status=none of=$WORK/out"
