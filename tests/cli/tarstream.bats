#!/usr/bin/env bats
# tarstream: round trips through GNU tar, bsdtar and Python's tarfile for
# every format and compressor; reproducibility; excludes; files that
# change, vanish or cannot be read; early close; bad options.
bats_require_minimum_version 1.5.0
load helper

# make_tree DIR: every kind of entry the archive must keep.
make_tree() {
	mkdir -p "$1/sub/deeper" "$1/empty" "$1/.git"
	gen "$1/sub/big" 300000 1
	gen "$1/sub/f512" 512 2
	: >"$1/zero"
	printf 'x' >"$1/one"
	echo cfg >"$1/.git/config"
	printf 'spaces\n' >"$1/name with spaces"
	printf 'newline\n' >"$1/new"$'\n'"line"
	printf 'utf8\n' >"$1/caf"$'\xc3\xa9'".txt"
	long=$(printf 'n%.0s' $(seq 1 200))
	printf 'long\n' >"$1/sub/$long"
	ln -s sub/big "$1/link"
	ln -s "../$long-target-that-is-long-$(printf 't%.0s' $(seq 1 120))" "$1/longlink"
	ln "$1/sub/big" "$1/hard"
	chmod 0751 "$1/sub/deeper"
	chmod 0600 "$1/one"
	touch -d '2001-02-03 04:05:06' "$1/sub/f512"
	truncate -s 8M "$1/sparse"
	printf 'end' >>"$1/sparse"
}

extract_with() { # TOOL ARCHIVE DIR
	mkdir -p "$3"
	case $1 in
	gnutar) tar -xf "$2" -C "$3" ;;
	bsdtar) bsdtar -xf "$2" -C "$3" ;;
	python) python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    t.extractall(sys.argv[2], filter="fully_trusted") if hasattr(tarfile, "data_filter") else t.extractall(sys.argv[2])' "$2" "$3" ;;
	esac
}

setup_file() {
	export LC_ALL=C.UTF-8
}

@test "tarstream --help and --version go to stdout and exit 0" {
	run --separate-stderr tarstream --help
	assert_success
	assert_output --partial "usage: tarstream"
	run tarstream --version
	assert_output --regexp '^tarstream \(streamkit\) [0-9.]+$'
}

@test "tarstream rejects bad options and a missing PATH with status 2" {
	for args in "" --bogus "--format=rar" "--compress=lzip" "--level=0" \
	    "--level=x" "--sort=size" "-b 0" "--mtime=2020-02-30" \
	    "--owner=no-such-user-here" "--threads=-1" "-z --zstd" "-z -j" \
	    "--owner=4294967296" "--owner=99999999999999999999" \
	    "--group=1:4294967296" "--xattrs --format=ustar" \
	    "--acls --format=gnu" "--level=3" "--progress=sometimes" \
	    "--owner=3000000 --format=ustar"; do
		run tarstream $args .
		[ -z "$args" ] && run tarstream
		assert_failure 2
		assert_output --partial "Try 'tarstream --help'"
	done
}

@test "tarstream archives read back exactly with GNU tar, bsdtar and Python" {
	make_tree "$T/src"
	for fmt in pax gnu ustar; do
		for comp in none gzip bzip2 xz zstd; do
			# ustar cannot hold the 200-character name.
			[ $fmt = ustar ] && rm -f "$T/src/sub/"nnnn* "$T/src/longlink"
			tarstream --format=$fmt --compress=$comp -C "$T" src >"$T/a"
			for tool in gnutar bsdtar python; do
				[ $tool = python ] && [ $comp = zstd ] && continue
				rm -rf "$T/x"
				extract_with $tool "$T/a" "$T/x"
				run python3 "$BATS_TEST_DIRNAME/treecmp.py" "$T/src" "$T/x/src"
				[ "$status" -eq 0 ] || { echo "$fmt $comp $tool: $output"; false; }
			done
		done
	done
}

@test "tarstream compressed streams pass each tool's own test" {
	make_tree "$T/src"
	tarstream -z -C "$T" src | gzip -t
	tarstream -j -C "$T" src | bzip2 -t
	tarstream -J -C "$T" src | xz -t
	tarstream --zstd -C "$T" src | zstd -q -t
	tarstream --zstd -C "$T" src | tar --zstd -tf - >/dev/null
	tarstream --zstd --level 19 -C "$T" src | zstd -q -t
	tarstream -J --threads 2 -C "$T" src | xz -t
}

@test "tarstream stores sparse files sparse in pax" {
	truncate -s 256M "$T/sparse"
	printf 'end' >>"$T/sparse"
	tarstream -C "$T" sparse >"$T/a"
	[ "$(stat -c %s "$T/a")" -lt 100000 ]
	mkdir "$T/x"
	tar -xf "$T/a" -C "$T/x"
	cmp "$T/sparse" "$T/x/sparse"
}

@test "tarstream --reproducible gives identical bytes twice, compressed too" {
	make_tree "$T/src"
	for comp in none gzip xz zstd; do
		SOURCE_DATE_EPOCH=1000000000 tarstream --reproducible --compress=$comp -C "$T" src >"$T/a"
		touch "$T/src/one"
		SOURCE_DATE_EPOCH=1000000000 tarstream --reproducible --compress=$comp -C "$T" src >"$T/b"
		cmp "$T/a" "$T/b"
	done
	tar -tvf "$T/a" >"$T/list" 2>/dev/null || tar --zstd -tvf "$T/a" >"$T/list"
	! grep -v ' 0/0 ' "$T/list"
	! grep -v '2001-09-09\|2001-02-03' "$T/list"
}

@test "tarstream --owner, --group, --numeric-owner and --mtime work alone" {
	echo x >"$T/f"
	tarstream --owner=alice:1234 --group=staff:55 --mtime=@86400 -C "$T" f | tar -tvf - >"$T/l"
	grep -q 'alice/staff' "$T/l"
	grep -q '1970-01-02' "$T/l"
	tarstream --numeric-owner --owner=4321 -C "$T" f | tar --numeric-owner -tvf - | grep -q '4321/'
	tarstream --mtime='2020-01-02 03:04:05' -C "$T" f | TZ=UTC tar -tvf - | grep -q '2020-01-02 03:04'
}

@test "tarstream excludes prune subtrees; -X, --exclude-vcs, -T and --null" {
	make_tree "$T/src"
	tarstream --exclude=sub --exclude='*.txt' --exclude-vcs -C "$T" src | tar -tf - >"$T/l"
	! grep -q 'src/sub' "$T/l"
	! grep -q '\.txt' "$T/l"
	! grep -q '\.git' "$T/l"
	grep -q 'src/one' "$T/l"
	printf 'one\nzero\n' >"$T/x"
	tarstream -X "$T/x" -C "$T" src | tar -tf - | { ! grep -q 'src/one$'; }
	printf 'src/one\nsrc/zero\n' | tarstream -C "$T" -T - | tar -tf - >"$T/l"
	assert_equal "$(cat "$T/l")" $'src/one\nsrc/zero'
	printf 'src/one\0src/name with spaces\0' | tarstream --null -C "$T" -T - | tar -tf - >"$T/l"
	assert_equal "$(cat "$T/l")" $'src/one\nsrc/name with spaces'
}

@test "tarstream stores names relative, never with .. or a leading /" {
	mkdir -p "$T/a/b"
	echo x >"$T/a/b/f"
	run --separate-stderr bash -c "tarstream '$T/a/b/../b' | tar -tf -"
	assert_success
	[[ "$output" != /* ]]
	[[ "$output" != *..* ]]
	# As GNU tar: everything up to the last ".." goes, said once.
	[[ "$stderr" == *"removing leading '$T/a/b/../' from member names"* ]]
	assert_output $'b/\nb/f'
	cd "$T/a/b"
	run --separate-stderr bash -c "tarstream ../b | tar -tf -"
	assert_output $'b/\nb/f'
}

@test "tarstream stores fifos without opening them and skips sockets" {
	mkfifo "$T/fifo"
	python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$T/sock')"
	# As GNU tar: said, and not an error (status 0).
	run --separate-stderr timeout 10 tarstream -C "$T" fifo sock
	assert_success
	[[ "$stderr" == *"sock: socket ignored"* ]]
	timeout 10 tarstream -C "$T" fifo | tar -tvf - | grep -q '^p'
}

@test "tarstream warns and exits 2 for an argument that does not exist, storing the rest" {
	echo x >"$T/ok"
	run --separate-stderr bash -c "tarstream -C '$T' ok missing | tar -tf -"
	assert_output "ok"
	[[ "$stderr" == *"missing: cannot stat; skipped: No such file or directory"* ]]
	run tarstream -C "$T" ok missing
	assert_failure 2
	# GNU tar's last word, on stderr.
	run --separate-stderr tarstream -C "$T" -f "$T/a.tar" ok missing
	[[ $stderr == *"tarstream: exiting with failure status due to previous errors" ]]
}

# changing_run OP: archives a 20 MB file read slowly (pump -L 10M as its
# reader) while OP changes it 0.3 s in; the archive goes to $T/a.
changing_run() {
	rm -f "$T/a"
	gen "$T/f" 20000000
	# The change comes once the body is being read (the archive has
	# begun), however slow the start (valgrind).
	(while [ ! -s "$T/a" ]; do sleep 0.05; done; sleep 0.2; eval "$1") &
	tarstream -C "$T" f 2>"$T/err" | pump -m 4K -L 10M >"$T/a"
	st=${PIPESTATUS[0]}
	wait
}

@test "tarstream keeps the archive valid when a file shrinks or grows" {
	changing_run 'truncate -s 1000 "$T/f"'
	assert_equal "$st" 1
	grep -q 'f: file shrank while read; padded with zeros' "$T/err"
	tar -tvf "$T/a" | grep -q ' 20000000 '   # the header's size, kept
	mkdir "$T/x" && tar -xf "$T/a" -C "$T/x" # and readable to the end
	changing_run 'head -c 5000000 /dev/zero >>"$T/f"'
	assert_equal "$st" 1
	grep -q 'f: file grew while read; stored as it was' "$T/err"
	tar -tvf "$T/a" | grep -q ' 20000000 '
}

@test "tarstream skips the archive file itself" {
	echo x >"$T/f"
	# -f FILE is written aside (no name) and renamed at the end; the
	# file it replaces is skipped as the archive itself.
	run --separate-stderr tarstream -f "$T/out.tar" -C "$T" .
	assert_success
	echo old >"$T/out.tar"
	run --separate-stderr tarstream -f "$T/out.tar" -C "$T" .
	assert_success # said, as GNU tar, but not an error
	[[ "$stderr" == *"out.tar: the archive itself; not stored"* ]]
	tar -tf "$T/out.tar" | { ! grep -q out.tar; }
	tar -tf "$T/out.tar" | grep -qx './f'
	# Written in place (a pipe to a file in the tree), it is skipped too.
	run --separate-stderr bash -c "tarstream -C '$T' . >'$T/o2.tar'"
	assert_success
	[[ "$stderr" == *"o2.tar: the archive itself; not stored"* ]]
}

@test "tarstream stops at once and quietly when the reader goes away" {
	run --separate-stderr timeout 20 bash -c "tarstream -C / usr | head -c 100 >/dev/null"
	assert_success
	assert_equal "$stderr" ""
}

@test "tarstream -v lists entries and --totals counts bytes, on stderr" {
	mkdir "$T/d" && echo x >"$T/d/f"
	run --separate-stderr bash -c "tarstream -v --totals -C '$T' d | wc -c"
	# Two headers, one block of data, the 1024-byte end marker.
	assert_output "2560"
	[[ "$stderr" == *$'d/\nd/f\n'* ]]
	[[ "$stderr" == *"Total bytes written: 2560"* ]]
	tarstream -b 20 -C "$T" d | wc -c | grep -qx 10240
}

@test "tarstream --progress draws bytes, files and an ETA from a pre-scan" {
	make_tree "$T/src"
	run --separate-stderr bash -c "tarstream --progress=always -C '$T' src >/dev/null"
	assert_success
	[[ "$stderr" == *" files "* ]]
	[[ "$stderr" == *"ETA"* ]]
	# The final line's counts equal the pre-scan's totals.
	last=$(printf '%s' "$stderr" | tr '\r' '\n' | grep files | tail -n 1)
	[[ "$last" =~ ([0-9]+)/([0-9]+)\ files ]]
	assert_equal "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	run --separate-stderr bash -c "tarstream --progress -C '$T' src >/dev/null"
	assert_equal "$stderr" ""
}

@test "tarstream pax keeps files over 8 GiB, large ids, odd times, devices" {
	truncate -s 9G "$T/huge"
	touch -d '1960-01-01 00:00:00' "$T/old"
	touch -d '2300-01-01 00:00:00' "$T/future"
	mknod "$T/null" c 1 3
	tarstream --owner=big:3000000000 --group=big:3000000001 -C "$T" huge old future null >"$T/a"
	python3 - "$T/a" <<'PY'
import sys, tarfile
m = {i.name: i for i in tarfile.open(sys.argv[1])}
assert m["huge"].size == 9 << 30, m["huge"].size
assert m["huge"].uid == 3000000000 and m["huge"].gid == 3000000001
assert m["old"].mtime < 0, m["old"].mtime
assert m["future"].mtime > 10_000_000_000, m["future"].mtime
assert m["null"].ischr() and (m["null"].devmajor, m["null"].devminor) == (1, 3)
PY
}

@test "tarstream -h follows links; --xattrs and --acls reach GNU tar" {
	mkdir -p "$T/real" "$T/x"
	echo data >"$T/real/f"
	ln -s real "$T/link"
	tarstream -C "$T" link | tar -tvf - | grep -q '^l'
	tarstream -h -C "$T" link | tar -tf - | grep -qx 'link/f'
	setfattr -n user.sk -v yes "$T/real/f" 2>/dev/null ||
		python3 -c "import os; os.setxattr('$T/real/f', 'user.sk', b'yes')"
	setfacl -m u:nobody:r "$T/real/f"
	tarstream --xattrs --acls -C "$T" real | tar --xattrs --xattrs-include='*' --acls -xf - -C "$T/x"
	python3 -c "import os; assert os.getxattr('$T/x/real/f', 'user.sk') == b'yes'"
	getfacl -p "$T/x/real/f" 2>/dev/null | grep -q 'user:nobody:r'
	tarstream -C "$T" real | tar -xf - -C "$T/x" --overwrite
}
