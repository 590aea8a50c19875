#!/usr/bin/env bash
# The library's compressors (bench/skcompress: standard input to standard
# output through sk_compress) against the standalone tools a user pipes a
# tar into: pigz and gzip, pbzip2 and lbzip2, lz4, xz -T0, zstd -T0, on the
# same input.  Targets (issue 12): gzip 1.5x pigz -6 with a size within 1%
# of gzip -6; bzip2 1.3x pbzip2; lz4 at least lz4; xz at least xz -T0;
# zstd at least zstd -T0.  The first row of each table is the peer: the
# ratio column is then the filter's speed-up over it.  bench/tarstream.sh
# measures the same compressors behind the tar producer, against tar piped
# into these tools; this one shows the filter alone, as a library user
# gets it.
#
# Inputs: real text, a GNU tar of /usr/include and /usr/share/doc (the
# first TEXT_MIB MiB), and incompressible data (RANDOM_MIB MiB); xz, being
# slow, gets the first XZ_MIB MiB of each.
. "$(dirname "$0")/lib.sh"
TEXT_MIB=${TEXT_MIB:-32}
XZ_MIB=${XZ_MIB:-8}
RANDOM_MIB=${RANDOM_MIB:-16}
SK=$BIN/../bench/skcompress

echo "## compress"
echo
tar -cf - /usr/include /usr/share/doc 2>/dev/null | head -c "$((TEXT_MIB << 20))" \
    >"$WORK/text" || true
gen "$WORK/random" "$RANDOM_MIB"
for input in text random; do
	head -c "$((XZ_MIB << 20))" "$WORK/$input" >"$WORK/$input-xz"
done
text_mib=$(($(stat -c %s "$WORK/text") >> 20))
echo "Text: ${text_mib} MiB of a GNU tar of /usr/include and /usr/share/doc;"
echo "incompressible: ${RANDOM_MIB} MiB from /dev/urandom.  $(nproc) cores."

# run LABEL MIB INPUT CMD: a sized case (bench/lib.sh) of CMD reading INPUT.
run() {
	sized "$1" "$2" "$RSS $4 <$3"
}

for input in text random; do
	in=$WORK/$input
	mib=$text_mib
	[ $input = random ] && mib=$RANDOM_MIB

	table_head "gzip -6, $input ($mib MiB)"
	run "pigz -6" "$mib" "$in" "pigz -6"
	run "skcompress -m gzip" "$mib" "$in" "$SK -m gzip"
	run "skcompress -s -m gzip (pull stream)" "$mib" "$in" "$SK -s -m gzip"
	run "gzip -6" "$mib" "$in" "gzip -6"
	sizes "gzip, $input" "gzip -6"

	table_head "bzip2 -9, $input ($mib MiB)"
	run "pbzip2" "$mib" "$in" "pbzip2 -c"
	run "skcompress -m bzip2" "$mib" "$in" "$SK -m bzip2"
	run "lbzip2" "$mib" "$in" "lbzip2 -c"
	sizes "bzip2, $input" "pbzip2"

	table_head "lz4 -1, $input ($mib MiB)"
	run "lz4" "$mib" "$in" "lz4 -q -c"
	run "skcompress -m lz4" "$mib" "$in" "$SK -m lz4"
	sizes "lz4, $input" "lz4"

	table_head "zstd -3, $input ($mib MiB)"
	run "zstd -T0 -3" "$mib" "$in" "zstd -q -T0 -3 -c"
	run "skcompress -m zstd" "$mib" "$in" "$SK -m zstd"
	sizes "zstd, $input" "zstd -T0 -3"

	in=$WORK/$input-xz
	mib=$(($(stat -c %s "$in") >> 20))
	table_head "xz -6, $input ($mib MiB)"
	run "xz -T0 -6" "$mib" "$in" "xz -q -T0 -6 -c"
	run "skcompress -m xz" "$mib" "$in" "$SK -m xz"
	sizes "xz, $input" "xz -T0 -6"
done
