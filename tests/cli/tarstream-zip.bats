#!/usr/bin/env bats
# tarstream --format=zip: round trips through unzip, Python's zipfile and
# bsdtar at every level; data descriptors and the UTF-8 flag; names that
# are not UTF-8; zip64; what zip cannot hold; the manifest, --totals,
# reproducibility, -a; bad options; closed, full and vanishing outputs.
bats_require_minimum_version 1.5.0
load helper

# Names are printed (by tarstream -v, bsdtar -t) as the locale allows.
export LC_ALL=C.UTF-8

# py ARGS...: Debian's python3 (the one scripts/deps.sh installs).
py() {
	if [ -x /usr/bin/python3 ]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}

zipcheck() { py "$BATS_TEST_DIRNAME/zipcheck.py" "$@"; }

# gens FILE BYTES...: gen's bytes (seeds 1, 2, ...), in one Python run.
gens() {
	py -c 'import random, sys
a = sys.argv[1:]
for i in range(0, len(a), 2):
    with open(a[i], "wb") as f:
        f.write(random.Random(i // 2 + 1).randbytes(int(a[i + 1])))' "$@"
}

# make_tree DIR: what a zip must keep: nested and empty directories,
# files at and around 64 KiB, an empty one, odd names, odd modes, an old
# mtime, links of both kinds.
make_tree() {
	mkdir -p "$1/sub/deeper" "$1/empty" "$1/café"
	: >"$1/zero"
	printf 'x' >"$1/one"
	gens "$1/sub/b65535" 65535 "$1/sub/b65536" 65536 "$1/sub/b65537" 65537 \
		"$1/big" 1048579
	seq 1 30000 >"$1/text"
	printf 'spaces\n' >"$1/name with spaces"
	printf 'newline\n' >"$1/new"$'\n'"line"
	printf 'nihon\n' >"$1/café/日本"
	printf '#!/bin/sh\n' >"$1/sub/deeper/run"
	ln -s sub/b65536 "$1/link"
	ln -s sub "$1/dirlink"
	ln "$1/big" "$1/hard"
	chmod 0755 "$1/sub/deeper/run"
	chmod 0600 "$1/one"
	chmod 0751 "$1/sub/deeper"
	chmod 0700 "$1/empty"
	touch -d '2001-02-03 04:05:06' "$1/sub/b65535"
}

# A hard link's second name is a copy in a zip: the trees match but for
# the link itself.
ZIP_HARDLINKS="hardlinks differ: [['big', 'hard']] vs []"

@test "zips round-trip through unzip, Python's zipfile and bsdtar at every level" {
	make_tree "$T/t/src"
	for level in default 1 9 0; do
		opt=() method=8 zlevel=$level
		[ $level = default ] && zlevel=6 || opt=(--level $level)
		[ $level = 0 ] && method=0
		rm -rf "$T/x" "$T/a.zip"
		run --separate-stderr tarstream --format=zip "${opt[@]}" -f "$T/a.zip" -C "$T/t" src
		assert_success
		assert_equal "$stderr" ""
		run unzip -t "$T/a.zip"
		assert_success
		assert_output --partial "No errors detected in compressed data"
		run zipcheck tree "$T/a.zip" "$T/t" $method
		assert_success
		assert_output ""
		mkdir "$T/x"
		bsdtar -xf "$T/a.zip" -C "$T/x"
		run py "$BATS_TEST_DIRNAME/treecmp.py" "$T/t/src" "$T/x/src"
		assert_output "$ZIP_HARDLINKS"
		cmp "$T/t/src/big" "$T/x/src/hard"
		[ "$level" = 0 ] && continue
		# The level asked is the level used: the text's deflated
		# size is zlib's at that level.
		py - "$T/a.zip" "$T/t/src/text" "$zlevel" <<-'PY'
			import sys, zipfile, zlib
			info = zipfile.ZipFile(sys.argv[1]).getinfo("src/text")
			c = zlib.compressobj(int(sys.argv[3]), zlib.DEFLATED, -15)
			data = open(sys.argv[2], "rb").read()
			want = len(c.compress(data) + c.flush())
			assert info.compress_size == want, (info.compress_size, want)
		PY
	done
}

# zipfile decodes an unflagged name as cp437: "café" would come back as
# "cafÃ©" if the flag were missing.
@test "files have data descriptors, and only non-ASCII UTF-8 names the UTF-8 flag, in any locale" {
	make_tree "$T/t/src"
	LC_ALL=C tarstream --format=zip --reproducible --mtime=@0 -C "$T/t" src >"$T/c.zip"
	LC_ALL=C.UTF-8 tarstream --format=zip --reproducible --mtime=@0 -C "$T/t" src >"$T/u.zip"
	cmp "$T/c.zip" "$T/u.zip"
	run py - "$T/c.zip" <<-'PY'
		import sys, zipfile
		for i in zipfile.ZipFile(sys.argv[1]).infolist():
		    if i.filename in ("src/", "src/one", "src/café/", "src/café/日本",
		                      "src/link", "src/name with spaces"):
		        print("%s %#x" % (i.filename, i.flag_bits))
	PY
	assert_success
	assert_output - <<-'EOF'
		src/ 0x0
		src/café/ 0x800
		src/café/日本 0x808
		src/link 0x0
		src/name with spaces 0x8
		src/one 0x8
	EOF
}

@test "a name that is not UTF-8 is stored as its bytes, unflagged, with a notice" {
	mkdir -p "$T/t/s"
	echo bad >"$T/t/s/bad"$'\xff'
	echo ok >"$T/t/s/ok"
	run --separate-stderr tarstream --format=zip --sort=name -f "$T/a.zip" -C "$T/t" s
	assert_success
	assert_equal "$stderr" 'tarstream: s/bad\377: name is not UTF-8; stored as its bytes, unflagged'
	run zipcheck tree "$T/a.zip" "$T/t" 8
	assert_success
	assert_output ""
	run py -c 'import sys, zipfile
for i in zipfile.ZipFile(sys.argv[1]).infolist():
    print(i.orig_filename.encode("cp437"), hex(i.flag_bits))' "$T/a.zip"
	assert_line "b's/bad\\xff' 0x8"
	run unzip -t "$T/a.zip"
	assert_success
	run bsdtar -tf "$T/a.zip"
	assert_output $'s/\ns/bad\\377\ns/ok'
	mkdir "$T/x" && bsdtar -xf "$T/a.zip" -C "$T/x"
	cmp "$T/t/s/bad"$'\xff' "$T/x/s/bad"$'\xff'
}

@test "a link's target that is not UTF-8 leaves its name's UTF-8 flag alone" {
	mkdir -p "$T/t/s"
	ln -s $'t\xff' "$T/t/s/café"
	run --separate-stderr tarstream --format=zip -f "$T/a.zip" -C "$T/t" s
	assert_success
	assert_equal "$stderr" ""
	run py -c 'import sys, zipfile
for i in zipfile.ZipFile(sys.argv[1]).infolist():
    print(i.filename, hex(i.flag_bits))' "$T/a.zip"
	assert_line "s/café 0x800"
	run bsdtar -tvf "$T/a.zip"
	assert_line --partial 's/café -> t\377'
}

# Zip's DOS times start in 1980 and its 'UT' field has 32 bits that some
# read as signed: a time outside 1980-2038 would come back as another
# date, so it is clamped, with a notice (ustar refuses such a file).
@test "a time a zip cannot hold is clamped to 1980 or 2038, with a notice" {
	mkdir -p "$T/t/s"
	echo old >"$T/t/s/old" && touch -d 1975-06-01 "$T/t/s/old"
	echo new >"$T/t/s/new" && touch -d 2300-01-01 "$T/t/s/new"
	echo ok >"$T/t/s/ok" && touch -d '2020-01-01 12:00 UTC' "$T/t/s/ok"
	run --separate-stderr tarstream --format=zip --sort=name -f "$T/a.zip" -C "$T/t" s
	assert_success
	assert_equal "$stderr" "tarstream: s/new: modification time after 2038; stored as 2038-01-19
tarstream: s/old: modification time before 1980; stored as 1980-01-01"
	run py -c 'import struct, sys, zipfile
for i in zipfile.ZipFile(sys.argv[1]).infolist():
    x = i.extra
    while x:
        k, n = struct.unpack("<HH", x[:4])
        if k == 0x5455 and not i.is_dir():
            print(i.filename, struct.unpack("<I", x[5:9])[0])
        x = x[4 + n:]' "$T/a.zip"
	assert_output $'s/new 2147483647\ns/ok 1577880000\ns/old 315532800'
	# A time the options give is said once, not for every entry.
	run --separate-stderr tarstream --format=zip --mtime=@0 -f "$T/b.zip" -C "$T/t" s
	assert_success
	assert_equal "$stderr" "tarstream: modification time before 1980; stored as 1980-01-01"
}

# The 5 GiB are a hole: nothing is read from disk, and the zip (deflated
# zeros) is some 23 MB.  Each reader inflates the 5 GiB (unzip -t takes
# 20 s of CPU): they run side by side.
@test "a file over 4 GiB gets zip64 sizes and reads back whole with unzip, bsdtar and Python" {
	[ -z "${SK_SANITIZED:-}" ] || skip "5 GiB through the sanitizers; the plain run holds it"
	mkdir "$T/s"
	truncate -s 5G "$T/s/big"
	printf 'tail' >>"$T/s/big"
	echo small >"$T/s/small"
	run --separate-stderr tarstream --format=zip --level 1 -f "$T/a.zip" -C "$T/s" big small
	assert_success
	assert_equal "$stderr" ""
	run py - "$T/a.zip" <<-'PY'
		import sys, zipfile
		z = zipfile.ZipFile(sys.argv[1])
		for i in z.infolist():
		    ids, e = [], i.extra
		    while e:
		        ids.append(int.from_bytes(e[:2], "little"))
		        e = e[4 + int.from_bytes(e[2:4], "little"):]
		    print(i.filename, i.file_size, i.flag_bits & 8, 1 in ids)
		print(z.read("small"))
	PY
	assert_output $'big 5368709124 8 True\nsmall 6 8 False\nb\'small\\n\''
	unzip -tq "$T/a.zip" >"$T/unzip.out" 2>&1 &
	p1=$!
	(set -o pipefail && bsdtar -xOf "$T/a.zip" big | tr -d '\0' >"$T/tail") &
	p2=$!
	(set -o pipefail && bsdtar -xOf "$T/a.zip" big | wc -c >"$T/n") &
	p3=$!
	# (In 32 KiB reads: with larger ones zipfile copies its input over
	# and over, 4 MiB reads are 8 times slower.)
	py - "$T/a.zip" >"$T/py.out" 2>&1 <<-'PY' &
		import sys, zipfile
		n = zeros = 0
		last = b""
		with zipfile.ZipFile(sys.argv[1]).open("big") as f:
		    while b := f.read(32768):
		        n += len(b)
		        zeros += b.count(0)
		        last = (last + b)[-4:]
		print(n, n - zeros, last)
	PY
	p4=$!
	st=0
	for p in $p1 $p2 $p3 $p4; do
		wait "$p" || st=1
	done
	cat "$T/unzip.out" "$T/py.out"
	[ $st -eq 0 ]
	grep -q 'No errors detected' "$T/unzip.out"
	assert_equal "$(cat "$T/tail")" "tail"
	assert_equal "$(cat "$T/n")" 5368709124
	assert_equal "$(cat "$T/py.out")" "5368709124 4 b'tail'"
}

@test "FIFOs and devices are left out with a notice, status 0; the rest is there" {
	make_tree "$T/t/src"
	mkfifo "$T/t/src/fifo"
	mknod "$T/t/src/null" c 1 3 2>/dev/null && dev=1 || dev=0
	run --separate-stderr timeout 20 tarstream --format=zip -f "$T/a.zip" -C "$T/t" src
	assert_success
	[[ $stderr == *"tarstream: src/fifo: fifo not stored: zip cannot hold it"* ]]
	if [ $dev = 1 ]; then
		[[ $stderr == *"tarstream: src/null: device not stored: zip cannot hold it"* ]]
	fi
	# (zipcheck leaves FIFOs and devices out of what it looks for.)
	run zipcheck tree "$T/a.zip" "$T/t" 8
	assert_success
	assert_output ""
	[ $dev = 1 ] || skip "mknod is not allowed here: the FIFO alone was tried"
}

@test "the manifest of a zip checks with sha256sum -c in the tree unzip extracts" {
	make_tree "$T/t/src"
	# (unzip drops the newline from a name as it extracts.)
	rm "$T/t/src/new"$'\n'"line"
	tarstream --format=zip --manifest="$T/m.sha" -f "$T/a.zip" -C "$T/t" src
	mkdir "$T/x"
	(cd "$T/x" && unzip -q "$T/a.zip")
	run bash -c "cd '$T/x' && sha256sum --strict -c '$T/m.sha'"
	assert_success
	# Every regular file, a hard link's second name too (a copy).
	[ "$(grep -c ': OK$' <<<"$output")" -eq "$(find "$T/t/src" -type f | wc -l)" ]
	echo tampered >>"$T/x/src/hard"
	run bash -c "cd '$T/x' && sha256sum -c '$T/m.sha'"
	assert_failure
	assert_output --partial "src/hard: FAILED"
}

@test "--totals gives the zip's exact size, to stdout or with -f" {
	make_tree "$T/t/src"
	run --separate-stderr bash -c "tarstream --format=zip --totals -C '$T/t' src >'$T/a.zip'"
	assert_success
	[[ $stderr =~ ^Total\ bytes\ written:\ ([0-9]+)\  ]]
	assert_equal "${BASH_REMATCH[1]}" "$(stat -c %s "$T/a.zip")"
	run --separate-stderr tarstream --format=zip --level 0 --totals -f "$T/b.zip" -C "$T/t" src
	assert_success
	[[ $stderr =~ ^Total\ bytes\ written:\ ([0-9]+)\  ]]
	assert_equal "${BASH_REMATCH[1]}" "$(stat -c %s "$T/b.zip")"
}

@test "--reproducible gives identical zips twice, whatever changed but the contents" {
	make_tree "$T/t/src"
	for env in "SOURCE_DATE_EPOCH=1000000000" "X=1 --mtime=@0"; do
		read -r var mt <<<"$env"
		env "$var" tarstream --format=zip --reproducible $mt -C "$T/t" src >"$T/a.zip"
		touch "$T/t/src/one" "$T/t/src/sub"
		chown 1:1 "$T/t/src/text"
		env "$var" tarstream --format=zip --reproducible $mt -C "$T/t" src >"$T/b.zip"
		cmp "$T/a.zip" "$T/b.zip"
	done
	# The contents do count.
	echo more >>"$T/t/src/text"
	tarstream --format=zip --reproducible --mtime=@0 -C "$T/t" src >"$T/b.zip"
	! cmp -s "$T/a.zip" "$T/b.zip"
}

@test "a zip streamed through a pipe is the same bytes as with -f" {
	make_tree "$T/t/src"
	tarstream --format=zip --reproducible --mtime=@0 -C "$T/t" src | cat >"$T/p.zip"
	tarstream --format=zip --reproducible --mtime=@0 -f "$T/f.zip" -C "$T/t" src
	cmp "$T/p.zip" "$T/f.zip"
	unzip -tq "$T/p.zip"
}

@test "-a picks zip for a .zip name; without -a, -f x.zip is a tar, as GNU tar's" {
	make_tree "$T/t/src"
	tarstream -a -f "$T/a.zip" -C "$T/t" src
	assert_equal "$(head -c 4 "$T/a.zip" | od -An -c | tr -d ' ')" 'PK003004'
	unzip -tq "$T/a.zip"
	tarstream -a -f "$T/A.ZIP" -C "$T/t" src
	cmp "$T/a.zip" "$T/A.ZIP"
	tarstream -f "$T/t.zip" -C "$T/t" src
	run tar -tf "$T/t.zip"
	assert_success
	assert_line "src/one"
}

@test "bad option sets with --format=zip are usage errors: status 2, no output, no file" {
	touch "$T/f"
	cd "$T"
	while IFS='|' read -r args msg; do
		read -ra a <<<"$args"
		run --separate-stderr tarstream "${a[@]}" f
		[ "$status" -eq 2 ] || { echo "$args: $status"; false; }
		assert_equal "$output" ""
		# One message, then the hint.
		[[ $stderr == "tarstream: "*"$msg"*$'\n'"Try 'tarstream --help' for more information." ]] ||
			{ echo "$args: $stderr"; false; }
		[ "${stderr//[^$'\n']/}" = $'\n' ] || { echo "$args: $stderr"; false; }
		[ "$(ls -A)" = f ] || { echo "$args left: $(ls -A)"; false; }
		[[ $args == *"-f "* ]] && continue
		st=0
		tarstream "${a[@]}" -f "$T/out.zip" f 2>/dev/null || st=$?
		[ "$st" -eq 2 ] || { echo "$args -f: $st"; false; }
		[ "$(ls -A)" = f ] || { echo "$args -f left: $(ls -A)"; false; }
	done <<-'EOF'
		--format=zip -z|no -z, -j, -J, --zstd, --lz4 or --compress
		--format=zip -j|no -z, -j, -J, --zstd, --lz4 or --compress
		-J --format=zip|no -z, -j, -J, --zstd, --lz4 or --compress
		--format=zip --zstd|no -z, -j, -J, --zstd, --lz4 or --compress
		--format=zip --lz4|no -z, -j, -J, --zstd, --lz4 or --compress
		--format=zip --compress=gzip|no -z, -j, -J, --zstd, --lz4 or --compress
		--format=zip --compress=none|no -z, -j, -J, --zstd, --lz4 or --compress
		--format=zip --level 10|--level 10 is out of zip's range 0-9
		--format=zip --level -1|--level -1 is out of zip's range 0-9
		--level=10 --format=zip|--level 10 is out of zip's range 0-9
		--format=zip --level x|invalid --level 'x'
		--format=zip --xattrs|--xattrs needs --format=pax
		--format=zip --acls|--acls needs --format=pax
		--format=zip -b 20|--blocking-factor is for tar
		-g snap --format=zip|needs --format=gnu or pax: zip cannot hold its directory entries
		-a -f x.zip --format=pax|'x.zip' names a zip, but --format is not zip
		-a -f x.tar.gz --format=zip|'x.tar.gz' names a compressed tar, but --format is zip
		--format=foo|invalid --format 'foo': pax, ustar, gnu or zip
	EOF
}

@test "-v lists a zip's members as stored, on stderr, or on stdout with -f" {
	make_tree "$T/t/src"
	echo bad >"$T/t/src/bad"$'\xff'
	mkfifo "$T/t/src/fifo"
	run --separate-stderr bash -c "tarstream --format=zip -v -C '$T/t' src >'$T/a.zip'"
	assert_success
	printf '%s\n' "$stderr" | grep -v '^tarstream: ' >"$T/listed"
	bsdtar -tf "$T/a.zip" >"$T/members"
	diff "$T/listed" "$T/members"
	grep -qx 'src/sub/deeper/' "$T/listed"
	grep -qx 'src/bad\\377' "$T/listed"
	! grep -q fifo "$T/listed"
	[ "$(wc -l <"$T/listed")" -eq "$(find "$T/t/src" ! -type p -printf x | wc -c)" ]
	run --separate-stderr tarstream --format=zip -v -f "$T/b.zip" -C "$T/t" src
	assert_success
	assert_output "$(cat "$T/members")"
}

# members ZIP: its names, sorted.
members() {
	py -c 'import sys, zipfile
print("\n".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$1"
}

@test "excludes, transforms, dates, -T and -C choose the same members as in a tar" {
	set -f
	make_tree "$T/t/src"
	rm "$T/t/src/new"$'\n'"line"
	mkdir "$T/t/src/.git" && echo cfg >"$T/t/src/.git/config"
	find "$T/t/src" -exec touch -h -d '2020-01-01' {} +
	touch -d '2023-05-05' "$T/t/src/one" "$T/t/src/sub/b65537"
	printf 'src/one\nsrc/sub\n' >"$T/list"
	for args in "--exclude=deeper --exclude=b6553* --exclude-vcs src" \
		"--transform=s/^src/dst/ --transform=s/b6/B6/g src" \
		"--newer-mtime=2022-01-01 src" \
		"-T $T/list" \
		"--exclude=deeper -T $T/list"; do
		read -ra a <<<"$args"
		tarstream --format=zip -C "$T/t" -f "$T/a.zip" "${a[@]}"
		tarstream -C "$T/t" -f "$T/a.tar" "${a[@]}"
		diff <(members "$T/a.zip") <(tar -tf "$T/a.tar" | LC_ALL=C sort) ||
			{ echo "differs: $args"; false; }
	done
	members "$T/a.zip" | grep -qx 'src/sub/b65535'
}

@test "numeric --owner and --group go into the 'ux' field, read by bsdtar" {
	echo x >"$T/f"
	chmod 644 "$T/f"
	tarstream --format=zip --owner=1234 --group=55 -f "$T/a.zip" -C "$T" f
	run zipcheck extra "$T/a.zip" f
	assert_line "uid 1234"
	assert_line "gid 55"
	run bsdtar -tvf "$T/a.zip"
	assert_output --regexp '^-rw-r--r-- +[0-9]+ 1234 +55 +2 '
}

# The hostile cases of hostile.bats, for a zip: tarstream's status 2.
@test "a zip to a full or closed stdout is a write error; a reader that goes away, a quiet stop" {
	mkdir "$T/in"
	head -c 3000000 /dev/urandom >"$T/in/r"
	run bash -c "tarstream --format=zip -C '$T' in >/dev/full"
	assert_failure 2
	assert_output "tarstream: write error: No space left on device"
	run bash -c "ulimit -f 1000; tarstream --format=zip -C '$T' in >'$T/out'"
	assert_failure 2
	assert_output --partial "File too large"
	run bash -c "tarstream --format=zip -C '$T' in | head -c 100 >/dev/null; exit \${PIPESTATUS[0]}"
	assert_equal "$status" 141
	assert_output ""
	run bash -c "trap '' PIPE; tarstream --format=zip -C '$T' in | head -c 100 >/dev/null; exit \${PIPESTATUS[0]}"
	assert_failure 2
	assert_output "tarstream: write error: Broken pipe"
	# (Under valgrind its log file would take the free fd 1.)
	[ -z "${SK_VALGRIND:-}" ] || return 0
	run bash -c "tarstream --format=zip -C '$T' in >&-"
	assert_failure 2
	assert_output "tarstream: write error: Bad file descriptor"
}

@test "-f that cannot be written: status 2, the old zip kept, nothing left beside it" {
	mkdir -p "$T/in" "$T/ro"
	head -c 3000000 /dev/urandom >"$T/in/r"
	chmod 755 "$T" && chmod -R a+rX "$T/in" && chmod 555 "$T/ro"
	# (Root writes anywhere: the directory is tried as nobody.  Under
	# valgrind, nobody could not write valgrind's log.)
	nobody=()
	[ "$(id -u)" -ne 0 ] || nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	if [ -z "${SK_VALGRIND:-}" ]; then
		run "${nobody[@]}" tarstream --format=zip -f "$T/ro/x.zip" -C "$T" in
		assert_failure 2
		assert_output "tarstream: $T/ro/x.zip: Permission denied"
		[ -z "$(ls -A "$T/ro")" ]
	fi
	# Failing halfway: the size limit, /dev/full.
	echo old >"$T/x.zip"
	run bash -c "ulimit -f 1000; tarstream --format=zip --level 0 -f '$T/x.zip' -C '$T' in"
	assert_failure 2
	assert_output --partial "$T/x.zip: File too large"
	assert_equal "$(cat "$T/x.zip")" old
	run tarstream --format=zip -f /dev/full -C "$T" in
	assert_failure 2
	assert_output "tarstream: /dev/full: No space left on device"
	assert_equal "$(ls -A "$T" | tr '\n' ' ')" "in ro x.zip "
}

@test "a zip to -f killed by a signal leaves the old file and nothing beside it" {
	mkdir "$T/in"
	gens "$T/in/f" 100000
	echo old >"$T/x.zip"
	mkfifo "$T/names"
	# The names come from a FIFO kept open: tarstream writes the first
	# file and waits for more until it is killed.
	tarstream --format=zip -T "$T/names" -f "$T/x.zip" -C "$T" 3>&- &
	pid=$!
	# (Opened for reading too: no wait for a reader.)
	exec 4<>"$T/names"
	echo in/f >&4
	for i in $(seq 100); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$T/.*(deleted)" && break
		sleep 0.1
	done
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	exec 4>&-
	assert_equal "$st" 143
	assert_equal "$(cat "$T/x.zip")" old
	assert_equal "$(ls -A "$T" | tr '\n' ' ')" "in names x.zip "
}
