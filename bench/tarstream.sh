#!/usr/bin/env bash
# tarstream against GNU tar and bsdtar, into a reading pipe.
# Targets (issue 5): uncompressed at least 1.2x GNU tar on many small files
# and 3x on a few large files (the splice path); with zstd level 3 at least
# 1.2x `tar -cf - | zstd -T0 -3`; peak RSS under 16 MiB plus the
# compressor's window.  Every run starts with the tree in the page cache
# (tarstream releases the cache of large files after reading them).
. "$(dirname "$0")/lib.sh"
BIG_MIB=${BIG_MIB:-256}
SMALL_FILES=${SMALL_FILES:-20000}

echo "## tarstream"
echo
mkdir -p "$WORK/t/big" "$WORK/t/small"
for i in 1 2 3 4; do gen "$WORK/t/big/f$i" "$BIG_MIB"; done
python3 - "$WORK/t/small" "$SMALL_FILES" <<'PY'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(top, "d%d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(os.urandom(1000 + i % 3000))
PY
small_mib=$(du -sm "$WORK/t/small" | cut -f1)
big_mib=$((BIG_MIB * 4))
T=$WORK/t
SINK="cat >/dev/null"

export CASE_PRE="cat $T/big/* >/dev/null; find $T/small -type f -exec cat {} + >/dev/null"
table_head "${SMALL_FILES} small files (${small_mib} MiB), uncompressed, into a pipe"
case_ "tarstream" "$small_mib" "$RSS tarstream -C $T small | $SINK"
case_ "tar -cf -" "$small_mib" "$RSS tar -cf - -C $T small | $SINK"
case_ "bsdtar -cf -" "$small_mib" "$RSS bsdtar -cf - -C $T small | $SINK"

table_head "4 files of ${BIG_MIB} MiB, uncompressed, into a pipe"
case_ "tarstream" "$big_mib" "$RSS tarstream -C $T big | $SINK"
case_ "tar -cf -" "$big_mib" "$RSS tar -cf - -C $T big | $SINK"
case_ "bsdtar -cf -" "$big_mib" "$RSS bsdtar -cf - -C $T big | $SINK"

table_head "the same, into a pipe that moves pages (substream >/dev/null)"
case_ "tarstream" "$big_mib" "$RSS tarstream -C $T big | substream >/dev/null"
case_ "tar -cf -" "$big_mib" "$RSS tar -cf - -C $T big | substream >/dev/null"
case_ "bsdtar -cf -" "$big_mib" "$RSS bsdtar -cf - -C $T big | substream >/dev/null"

for tree in small big; do
	mib=$small_mib
	[ $tree = big ] && mib=$big_mib
	table_head "zstd level 3, $tree files (MiB/s of input)"
	case_ "tarstream --zstd" "$mib" "$RSS tarstream --zstd -C $T $tree | $SINK"
	case_ "tar -cf - | zstd -T0 -3" "$mib" "tar -cf - -C $T $tree | $RSS zstd -q -T0 -3 | $SINK"
	case_ "bsdtar --zstd" "$mib" "$RSS bsdtar --zstd -cf - -C $T $tree | $SINK"
done
