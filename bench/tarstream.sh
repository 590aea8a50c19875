#!/usr/bin/env bash
# tarstream against GNU tar and bsdtar, into a reading pipe; at the end,
# each compressor against tar piped into the standalone tools.
#
# Targets (the walk issue): on 50,000 files of 0-4 KiB in 250 directories
# with the page cache dropped before each run, 3x GNU tar; the same tree
# warm, 20,000 files of 4 KiB, and one directory of 200,000 empty files:
# 1.5x GNU tar; 4 files of 256 MiB: 3x.  Peak RSS at most the read-ahead
# budget + 16 MiB, under 48 MiB at the defaults.
#
# Cold runs need root (/proc/sys/vm/drop_caches); elsewhere those tables
# say that they were skipped.  Warm runs read the tree once before each
# run (tarstream releases the cache of large files after reading them),
# through a pipe: GNU tar writing to /dev/null reads no file at all.
. "$(dirname "$0")/lib.sh"
BIG_MIB=${BIG_MIB:-256}
SMALL_FILES=${SMALL_FILES:-50000}
EMPTY_FILES=${EMPTY_FILES:-200000}

echo "## tarstream"
echo
mkdir -p "$WORK/t/big"
for i in 1 2 3 4; do gen "$WORK/t/big/f$i" "$BIG_MIB"; done
python3 - "$WORK/t" "$SMALL_FILES" "$EMPTY_FILES" <<'PY'
import os, random, sys
top, n, empty = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(1)
# Home directories, source trees, mail stores: many files of 0-4 KiB.
for i in range(n):
    d = os.path.join(top, "small", "d%d" % (i * 250 // n))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(r.randbytes(r.randint(0, 4096)))
for i in range(20000):
    d = os.path.join(top, "k4", "d%d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(r.randbytes(4096))
d = os.path.join(top, "empty", "d")
os.makedirs(d)
for i in range(empty):
    open(os.path.join(d, "e%d" % i), "wb").close()
PY
T=$WORK/t
mib_of() { du -sm --apparent-size "$T/$1" | cut -f1; }
small_mib=$(mib_of small)
k4_mib=$(mib_of k4)
big_mib=$((BIG_MIB * 4))
SINK="cat >/dev/null"

# trio TITLE MIB TREE [TARSTREAM OPTIONS]: the three tools on one tree.
trio() {
	table_head "$1"
	case_ "tarstream${4:-}" "$2" "$RSS tarstream${4:-} -C $T $3 | $SINK"
	case_ "tar -cf -" "$2" "$RSS tar -cf - -C $T $3 | $SINK"
	case_ "bsdtar -cf -" "$2" "$RSS bsdtar -cf - -C $T $3 | $SINK"
}

if [ -w /proc/sys/vm/drop_caches ]; then
	export CASE_PRE="sync; echo 3 >/proc/sys/vm/drop_caches"
	trio "${SMALL_FILES} files of 0-4 KiB in 250 directories (${small_mib} MiB), page cache dropped before each run" \
		"$small_mib" small
	# The read-ahead's threads, cold: what the default was chosen from.
	table_head "the same, cold, by read-ahead threads"
	for n in 8 0 1 4 16 32; do
		case_ "tarstream --io-threads $n" "$small_mib" \
			"$RSS tarstream --io-threads $n -C $T small | $SINK"
	done
else
	printf '\n### %s files, page cache dropped\n\nskipped: %s\n' "$SMALL_FILES" \
		"dropping the page cache needs root (/proc/sys/vm/drop_caches)"
fi

export CASE_PRE="tar -cf - -C $T small k4 empty | cat >/dev/null; cat $T/big/* >/dev/null"
trio "${SMALL_FILES} files of 0-4 KiB in 250 directories (${small_mib} MiB), warm" "$small_mib" small
table_head "the same, warm, by read-ahead threads"
for n in 8 0 2 4 16; do
	case_ "tarstream --io-threads $n" "$small_mib" \
		"$RSS tarstream --io-threads $n -C $T small | $SINK"
done
trio "20,000 files of 4 KiB (${k4_mib} MiB), warm" "$k4_mib" k4
# Throughput in thousands of files per second (as "MiB").
trio "one directory of ${EMPTY_FILES} empty files, warm (thousands of files/s)" \
	"$((EMPTY_FILES / 1000))" empty
trio "4 files of ${BIG_MIB} MiB, uncompressed, into a pipe" "$big_mib" big

table_head "the same, into a pipe that moves pages (substream >/dev/null)"
case_ "tarstream" "$big_mib" "$RSS tarstream -C $T big | substream >/dev/null"
case_ "tar -cf -" "$big_mib" "$RSS tar -cf - -C $T big | substream >/dev/null"
case_ "bsdtar -cf -" "$big_mib" "$RSS bsdtar -cf - -C $T big | substream >/dev/null"

# Compression (issue 12): each compressor at its default level against
# the fastest pipeline of GNU tar into the standalone tool (the first row,
# the base of the ratios) and bsdtar's built-in one, on real text (a copy
# of /usr/include) and on incompressible data (NOISE_MIB MiB in files of
# 4 MiB); xz, being slow, on the first XZ_MIB MiB of each.  Targets:
# gzip 1.5x pigz -6 with a size within 1% of gzip -6 (GNU tar -z); bzip2
# 1.3x pbzip2 (lbzip2 shown); lz4 at least lz4; xz at least xz -T0; zstd
# 1.3x zstd -T0.  Peak RSS is the compressing process's: tarstream itself,
# the tool after tar's pipe, bsdtar.
NOISE_MIB=${NOISE_MIB:-32}
XZ_MIB=${XZ_MIB:-16}
C=$WORK/c
mkdir -p "$C/noise"
cp -r /usr/include "$C/text"
for i in $(seq $((NOISE_MIB / 4))); do gen "$C/noise/n$i" 4; done
# The first XZ_MIB MiB of files of each tree, in the walk's order.
for tree in text noise; do
	python3 - "$C/$tree" "$C/$tree-xz" "$XZ_MIB" <<'PY'
import os, shutil, sys
src, dst, left = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
for dp, dns, fns in os.walk(src):
    dns.sort()
    for n in sorted(fns):
        p = os.path.join(dp, n)
        if left <= 0 or os.path.islink(p) or not os.path.isfile(p):
            continue
        q = os.path.join(dst, os.path.relpath(p, src))
        os.makedirs(os.path.dirname(q), exist_ok=True)
        shutil.copyfile(p, q)
        left -= os.path.getsize(p)
PY
done
export CASE_PRE="find $C -type f -exec cat {} + >/dev/null"
for tree in text noise; do
	mib=$(du -sm --apparent-size "$C/$tree" | cut -f1)
	xmib=$(du -sm --apparent-size "$C/$tree-xz" | cut -f1)
	TAR="tar -cf - -C $C $tree"
	table_head "gzip -6, $tree ($mib MiB)"
	sized "tar | pigz -6" "$mib" "$TAR | $RSS pigz -6"
	sized "tarstream -z" "$mib" "$RSS tarstream -z -C $C $tree"
	sized "tar -czf - (gzip -6)" "$mib" "$RSS tar -czf - -C $C $tree"
	sized "bsdtar -czf -" "$mib" "$RSS bsdtar -czf - -C $C $tree"
	sizes "gzip, $tree" "tar -czf - (gzip -6)"

	table_head "bzip2 -9, $tree ($mib MiB)"
	sized "tar | pbzip2" "$mib" "$TAR | $RSS pbzip2 -c"
	sized "tarstream -j" "$mib" "$RSS tarstream -j -C $C $tree"
	sized "tar | lbzip2" "$mib" "$TAR | $RSS lbzip2 -c"
	sized "bsdtar -cjf -" "$mib" "$RSS bsdtar -cjf - -C $C $tree"
	sizes "bzip2, $tree" "tar | pbzip2"

	table_head "lz4 -1, $tree ($mib MiB)"
	sized "tar | lz4" "$mib" "$TAR | $RSS lz4 -q -c"
	sized "tarstream --lz4" "$mib" "$RSS tarstream --lz4 -C $C $tree"
	sized "bsdtar --lz4" "$mib" "$RSS bsdtar --lz4 -cf - -C $C $tree"
	sizes "lz4, $tree" "tar | lz4"

	table_head "xz -6, the first $xmib MiB of $tree"
	sized "tar | xz -T0" "$xmib" "tar -cf - -C $C $tree-xz | $RSS xz -q -T0 -c"
	sized "tarstream -J" "$xmib" "$RSS tarstream -J -C $C $tree-xz"
	sized "bsdtar -cJf -" "$xmib" "$RSS bsdtar -cJf - -C $C $tree-xz"
	sizes "xz, $tree" "tar | xz -T0"

	table_head "zstd -3, $tree ($mib MiB)"
	sized "tar | zstd -T0" "$mib" "$TAR | $RSS zstd -q -T0 -3 -c"
	sized "tarstream --zstd" "$mib" "$RSS tarstream --zstd -C $C $tree"
	sized "bsdtar --zstd" "$mib" "$RSS bsdtar --zstd -cf - -C $C $tree"
	sizes "zstd, $tree" "tar | zstd -T0"

	# Zip (issue 13): each file deflated at 6 by the zip writer, next to
	# bsdtar's (the same libarchive writer) and Info-ZIP's zip.
	table_head "zip, deflate -6, $tree ($mib MiB)"
	sized "zip -r -" "$mib" "cd $C && $RSS zip -q -r -6 - $tree"
	sized "tarstream --format=zip" "$mib" "$RSS tarstream --format=zip -C $C $tree"
	sized "bsdtar --format zip" "$mib" "$RSS bsdtar --format zip -cf - -C $C $tree"
	sizes "zip, $tree" "zip -r -"
done

# The manifest's cost (the issue: small against the archive's own speed):
# SHA-256 of every body as it streams, which also turns the zero-copy
# path off; tarstream without it is the row to compare with.
table_head "4 files of ${BIG_MIB} MiB with --manifest (SHA-256 of every file)"
case_ "tarstream" "$big_mib" "$RSS tarstream -C $T big | $SINK"
case_ "tarstream --manifest" "$big_mib" \
	"$RSS tarstream --manifest $WORK/manifest.sha -C $T big | $SINK"
