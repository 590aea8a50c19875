#!/usr/bin/env bats
# tarstream's compressors from the command line: every compressor at its
# level extremes on one and two threads read by its own tool, GNU tar and
# bsdtar; empty archives, many empty files, an incompressible file; bytes
# that do not depend on the thread count; -a's suffix table; level ranges;
# write errors downstream; peak RSS at the defaults.
bats_require_minimum_version 1.5.0
load helper

COMPRESSORS="gzip bzip2 xz zstd lz4"

# The tool of each compressor, its first bytes (hex) and its levels.
tool_of() {
	case $1 in gzip | bzip2 | xz | zstd | lz4) echo "$1" ;; esac
}
magic_of() {
	case $1 in
	gzip) echo 1f8b08 ;;
	bzip2) echo 425a68 ;;
	xz) echo fd377a585a00 ;;
	zstd) echo 28b52ffd ;;
	lz4) echo 04224d18 ;;
	none) echo "" ;;
	esac
}
levels_of() {
	case $1 in
	gzip | bzip2 | xz) echo "1 9" ;;
	zstd) echo "1 19" ;;
	lz4) echo "1 12" ;;
	esac
}

# The first n bytes of FILE in hex.
head_hex() {
	head -c "$2" "$1" | od -An -tx1 | tr -d ' \n'
}

# is_method FILE METHOD: FILE starts as METHOD's stream does (none: a tar
# header, "ustar" at offset 257).
is_method() {
	if [ "$2" = none ]; then
		[ "$(dd if="$1" bs=1 skip=257 count=5 status=none)" = ustar ]
	else
		local m
		m=$(magic_of "$2")
		[ "$(head_hex "$1" $((${#m} / 2)))" = "$m" ]
	fi
}

# make_small DIR: text, random bytes across a block boundary, an empty
# file, an empty directory, a link.
make_small() {
	mkdir -p "$1/d/e" "$1/empty"
	seq 1 20000 >"$1/d/text"
	gen "$1/d/e/rand" 70001 3
	: >"$1/zero"
	ln -s d/text "$1/link"
}

# check_archive FILE METHOD PLAIN SRC-PARENT NAME: the compressor's own
# test; decompressed, the bytes of the plain archive PLAIN; GNU tar and
# bsdtar each extract it, and the trees equal SRC.  (Modes, times and
# links are tarstream.bats's: here the plain archive's bytes vouch for
# them.)
check_archive() {
	local a=$1 m=$2 plain=$3 top=$4 name=$5 tool
	tool=$(tool_of "$m")
	"$tool" -q -t "$a" || { echo "$m: $tool -t failed"; return 1; }
	"$tool" -q -d -c "$a" | cmp - "$plain" || { echo "$m: not the plain archive"; return 1; }
	rm -rf "$T/x1" "$T/x2" && mkdir "$T/x1" "$T/x2"
	tar -I "$tool" -xf "$a" -C "$T/x1" || { echo "$m: GNU tar failed"; return 1; }
	bsdtar -xf "$a" -C "$T/x2" || { echo "$m: bsdtar failed"; return 1; }
	for x in x1 x2; do
		diff -r --no-dereference "$top/$name" "$T/$x/$name" || { echo "$m $x differs"; return 1; }
	done
}

@test "every compressor at its level extremes on 1 and 2 threads is read by its tool, GNU tar and bsdtar" {
	make_small "$T/src"
	tarstream --sort=name -C "$T" src >"$T/plain"
	for m in $COMPRESSORS; do
		for level in $(levels_of $m); do
			for th in 1 2; do
				tarstream --sort=name --compress=$m --level $level --threads $th -C "$T" src >"$T/a.$m"
				is_method "$T/a.$m" $m || { echo "$m: not its stream"; false; }
				check_archive "$T/a.$m" $m "$T/plain" "$T" src || { echo "level $level threads $th"; false; }
			done
		done
	done
}

@test "the short options and --lz4 choose their compressors" {
	echo x >"$T/f"
	for o in -z:gzip -j:bzip2 -J:xz --zstd:zstd --lz4:lz4 --gzip:gzip --bzip2:bzip2 --xz:xz; do
		tarstream ${o%%:*} -C "$T" f >"$T/a"
		is_method "$T/a" ${o#*:} || { echo "$o"; false; }
	done
	# The same compressor twice is no conflict.
	tarstream -z --gzip --compress=gzip -C "$T" f >"$T/a"
	is_method "$T/a" gzip
}

@test "compressed bytes are the same on 1 and 3 threads, across many blocks" {
	# Repetitive text (matches everywhere), larger than 2 x 3 blocks of
	# each pool compressor (gzip 1 MiB, bzip2 900 kB, lz4 4 MiB) and two
	# of xz -1's 3 MiB; zstd's jobs are libzstd's from 3 threads, and
	# below that it is one compressor: 1 and 2 give zstd
	# --single-thread's bytes, 3 and 4 those of zstd -T.
	for m in $COMPRESSORS; do
		case $m in
		gzip | bzip2) n=450000 opt= ;;
		xz) n=650000 opt="--level 1" ;;
		zstd | lz4) n=1600000 opt= ;;
		esac
		rm -rf "$T/src" && mkdir "$T/src" && seq -f 'line %g of the text' $n >"$T/src/text"
		pairs="1:3"
		[ $m != zstd ] || pairs="1:2 3:4"
		for pair in $pairs; do
			a=${pair%:*} b=${pair#*:}
			for th in $a $b; do
				SOURCE_DATE_EPOCH=1 tarstream --reproducible --compress=$m $opt --threads $th -C "$T" src >"$T/a$th"
			done
			cmp "$T/a$a" "$T/a$b" || { echo "$m: $a and $b threads differ"; false; }
			"$(tool_of $m)" -q -d -c "$T/a$b" | tar -xOf - src/text | cmp - "$T/src/text"
		done
		[ $m != zstd ] || {
			# The zstd tool's bytes: one compressor, and
			# libzstd's workers.
			SOURCE_DATE_EPOCH=1 tarstream --reproducible -C "$T" src >"$T/plain"
			zstd -q -3 --single-thread -c <"$T/plain" | cmp - "$T/a1"
			zstd -q -3 -T3 -c <"$T/plain" | cmp - "$T/a3"
		}
	done
}

@test "an empty archive compresses into a stream every reader takes" {
	for m in $COMPRESSORS; do
		tarstream --compress=$m -T /dev/null >"$T/a"
		"$(tool_of $m)" -q -t "$T/a"
		[ "$("$(tool_of $m)" -dc "$T/a" | wc -c)" -eq 1024 ]
		[ -z "$(tar -I "$(tool_of $m)" -tf "$T/a")" ]
		[ -z "$(bsdtar -tf "$T/a")" ]
	done
}

@test "many empty files and one incompressible file come back, any compressor" {
	mkdir -p "$T/src/empties" "$T/src/noise"
	(cd "$T/src/empties" && touch $(seq -f 'e%g' 1 1000))
	head -c 1500000 /dev/urandom >"$T/src/noise/r"
	tarstream --sort=name -C "$T" src >"$T/plain"
	for m in $COMPRESSORS; do
		tarstream --sort=name --compress=$m -C "$T" src >"$T/a"
		check_archive "$T/a" $m "$T/plain" "$T" src
		# Incompressible data costs at most 1% and 64 KiB over the bytes
		# of the archive's headers and the noise.
		size=$(stat -c %s "$T/a")
		[ "$size" -lt $((1500000 * 101 / 100 + 1001 * 512 + 65536)) ] || { echo "$m: $size bytes"; false; }
	done
}

@test "-a takes the compressor from -f FILE's suffix as GNU tar does" {
	echo x >"$T/f"
	for pair in x.tar.gz:gzip x.tgz:gzip x.taz:gzip x.tar.bz2:bzip2 x.tbz:bzip2 \
	    x.tbz2:bzip2 x.tz2:bzip2 x.tar.xz:xz x.txz:xz x.tar.zst:zstd x.tzst:zstd \
	    x.tar.lz4:lz4 x.tar:none x.tar.foo:none x:none x.gz.tar:none; do
		file=${pair%%:*} m=${pair#*:}
		tarstream -a -f "$T/$file" -C "$T" f
		is_method "$T/$file" $m || { echo "$file: not $m"; false; }
		[ "$(bsdtar -tf "$T/$file")" = f ]
	done
	# The long name, and a known suffix winning over -j.
	tarstream --auto-compress -j -f "$T/y.tgz" -C "$T" f
	is_method "$T/y.tgz" gzip
	# An unknown suffix, or standard output, leaves -z.
	tarstream -a -z -f "$T/y.tar" -C "$T" f
	is_method "$T/y.tar" gzip
	tarstream -a -z -f - -C "$T" f >"$T/y.out"
	is_method "$T/y.out" gzip
	tarstream -a -C "$T" f >"$T/y.out"
	is_method "$T/y.out" none
	# The level is checked against the compressor -a chose.
	tarstream -a --level 12 -f "$T/y.tar.lz4" -C "$T" f
	is_method "$T/y.tar.lz4" lz4
	run tarstream -a --level 12 -f "$T/z.tgz" -C "$T" f
	assert_failure 2
	assert_output --partial "--level 12 is out of gzip's range 1-9"
	[ ! -e "$T/z.tgz" ]
}

@test "-a refuses a suffix of a compressor tarstream does not have, leaving nothing" {
	echo x >"$T/f"
	for file in x.tar.Z x.taZ x.tar.lz x.tar.lzma x.tlz x.tar.lzo; do
		run tarstream -a -f "$T/$file" -C "$T" f
		assert_failure 2
		assert_output --partial "no compressor for the suffix of '$T/$file'"
		[ ! -e "$T/$file" ]
	done
}

@test "--level out of the compressor's range is a usage error naming the range" {
	echo x >"$T/f"
	for m in $COMPRESSORS; do
		read -r lo hi <<<"$(levels_of $m)"
		for bad in $((lo - 1)) $((hi + 1)); do
			run tarstream --compress=$m --level $bad -C "$T" f
			assert_failure 2
			assert_output --partial "tarstream: --level $bad is out of $m's range $lo-$hi"
			assert_output --partial "Try 'tarstream --help'"
		done
	done
	for args in "-z --level x" "-z --level=" "-z --level 5x" "--level 3" \
	    "-a -f $T/x.tar --level 3" "--compress=lzip" "-z --lz4" "--lz4 -J" \
	    "-a -z --zstd" "--threads=x -z" "--threads=1025 --lz4"; do
		run tarstream $args -C "$T" f
		assert_failure 2
		assert_output --partial "Try 'tarstream --help'"
	done
	run tarstream -z --lz4 -C "$T" f
	assert_output --partial "conflicting compression options"
	run tarstream --level 3 -C "$T" f
	assert_output --partial "--level needs a compressor"
	[ ! -e "$T/x.tar" ]
}

@test "a write error downstream ends every compressor with a message and status 2" {
	make_small "$T/src"
	head -c 1000000 /dev/urandom >"$T/src/noise"
	for m in $COMPRESSORS; do
		run bash -c "tarstream --compress=$m -C '$T' src >/dev/full"
		assert_failure 2
		assert_output --partial "tarstream: write error: No space left on device"
		run tarstream --compress=$m -f /dev/full -C "$T" src
		assert_failure 2
		assert_output --partial "tarstream: /dev/full: No space left on device"
		# A reader gone with SIGPIPE ignored: EPIPE, reported.
		run bash -c "trap '' PIPE; tarstream --compress=$m -C '$T' src | head -c 1 >/dev/null; exit \${PIPESTATUS[0]}"
		assert_failure 2
		assert_output --partial "tarstream: write error: Broken pipe"
		# Under the default SIGPIPE: a quiet stop by the signal.
		run bash -c "tarstream --compress=$m -C '$T' src | head -c 1 >/dev/null; exit \${PIPESTATUS[0]}"
		[ "$status" -eq 141 ] || { echo "$m: status $status"; false; }
		assert_output ""
	done
}

# Peak RSS at the defaults on two threads, against the bounds of
# man/tarstream.1's COMPRESSION section, on enough input to fill every
# block in flight (2 threads x 2 blocks: gzip 1 MiB, bzip2 900 kB, lz4 4
# MiB; zstd's jobs); xz, being slow, on 4 MiB, less than one of its 24
# MiB blocks per thread (its encoder's tables dominate).  Each bound is
# 24 MiB for the program and its 16 MiB read-ahead, plus the
# compressor's memory on 2 threads as documented: gzip 2 x 2 blocks of
# 2 MiB and 1 MiB per thread; bzip2 4 x 4.5 MB and 7.6 MB per thread;
# lz4 4 x 8 MiB; zstd -3 on 2 threads (one compressor, 3 blocks of 1
# MiB) 8 MiB; xz -6 165 MiB per thread.  Measured on the loaded 2-core
# machine: gzip 13, bzip2 24, lz4 37, zstd 15 (43-51 with libzstd's
# workers), xz 65 MiB.
rss_case() { # METHOD: input MiB, bound MiB
	case $1 in
	gzip) echo 16 34 ;;
	bzip2) echo 8 58 ;;
	lz4) echo 24 56 ;;
	zstd) echo 24 32 ;;
	xz) echo 4 354 ;;
	esac
}

@test "peak RSS of each compressor at its default level stays within its documented bound" {
	no_rss_under_sanitizers
	for m in $COMPRESSORS; do
		read -r mib bound <<<"$(rss_case $m)"
		rm -rf "$T/src" && mkdir "$T/src"
		base64 -w 100 /dev/urandom | head -c "${mib}M" >"$T/src/text"
		peak_rss_kib tarstream --compress=$m --threads 2 -C "$T" src 3>"$T/rss" >/dev/null
		kib=$(cat "$T/rss")
		echo "# $m: peak RSS $((kib / 1024)) MiB (bound $bound)" >&3
		[ "$kib" -le $((bound * 1024)) ] || { echo "$m: $kib KiB over $bound MiB"; false; }
	done
}
