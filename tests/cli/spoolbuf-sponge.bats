#!/usr/bin/env bats
# spoolbuf in sponge's forms (spoolbuf [-a] FILE), next to sponge itself;
# what a script needs (--keep-if-empty, --inplace); and the hostile
# places a FILE can be: a read-only directory or filesystem, a full disk,
# /dev/full.
bats_require_minimum_version 1.5.0
load helper

teardown() {
	# Mounts a test made under its scratch directory go first.
	for m in $(findmnt -rn -o TARGET | grep "^$T/" | sort -r); do
		umount "$m"
	done
	rm -rf "$T"
}

# small_fs DIR KIB: a tmpfs of KIB KiB at DIR (root only).
small_fs() {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2}k" tmpfs "$1" || skip "cannot mount a tmpfs here"
}

# as_nobody CMD...: runs CMD as an unprivileged user (root bypasses
# directory permissions); as is, when not root.
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

@test "spoolbuf FILE soaks up everything, then replaces FILE (sponge's form)" {
	gen "$T/f" 5000000
	cp "$T/f" "$T/want"
	# The file is its own input, bigger than a pipe and than memory.
	cat "$T/f" | spoolbuf -m 64K "$T/f"
	cmp "$T/f" "$T/want"
	sort -r <(seq 1 1000) | spoolbuf "$T/f"
	assert_equal "$(head -n 1 "$T/f")" "999"
	assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "f want "
}

@test "spoolbuf never runs a lone operand as a program" {
	# A program by that name on PATH would leave a mark if it ran.
	mkdir "$T/bin"
	printf '#!/bin/sh\ntouch "%s/ran"\n' "$T" >"$T/bin/out.txt"
	printf '#!/bin/sh\ntouch "%s/ran"\n' "$T" >"$T/bin/test"
	chmod +x "$T/bin/out.txt" "$T/bin/test"
	cd "$T"
	for name in out.txt test; do
		run env PATH="$T/bin:$PATH" bash -c "echo hi | spoolbuf $name"
		assert_success
		assert_output ""
		assert_equal "$(cat "$name")" "hi"
	done
	[ ! -e "$T/ran" ]
}

@test "spoolbuf -a FILE appends once the input has ended, as sponge -a" {
	printf 'head\n' >"$T/f"
	printf 'tail\n' | spoolbuf -a "$T/f"
	assert_equal "$(cat "$T/f")" $'head\ntail'
	# Options may follow FILE, as sponge's do; -- ends them.
	printf 'more\n' | spoolbuf "$T/f" -a
	assert_equal "$(cat "$T/f")" $'head\ntail\nmore'
	cd "$T"
	printf 'dash\n' | spoolbuf -- -a
	assert_equal "$(cat ./-a)" "dash"
	# The file as its own input: all of it is read before a byte goes on.
	cat "$T/f" | spoolbuf -a "$T/f"
	assert_equal "$(cat "$T/f")" $'head\ntail\nmore\nhead\ntail\nmore'
	# A missing file is made, 0666 less the umask.
	printf 'new\n' | spoolbuf -a "$T/new"
	assert_equal "$(cat "$T/new")" "new"
	assert_equal "$(stat -c %a "$T/new")" "$(printf '%o' $((0666 & ~$(umask))))"
}

# outcome PATH: what a user sees of PATH: type, mode, contents.
outcome() {
	if [ -L "$1" ]; then printf 'link->%s ' "$(readlink "$1")"; fi
	if [ -e "$1" ]; then
		printf '%s %s %s' "$(stat -L -c '%F %a' "$1")" "$(md5sum <"$1" | cut -c1-8)"
	else
		printf 'missing'
	fi
}

@test "spoolbuf leaves what sponge leaves, case by case" {
	command -v sponge >/dev/null || skip "sponge (moreutils) is not installed"
	mkdir "$T/sponge" "$T/spoolbuf"
	for tool in sponge spoolbuf; do
		d=$T/$tool
		(
			umask 027
			seq 1 5 | $tool "$d/new"
			seq 1 5 >"$d/kept"; chmod 604 "$d/kept"
			seq 5 -1 1 | $tool "$d/kept"
			seq 1 5 >"$d/target"; ln -s target "$d/link"
			seq 1 3 | $tool "$d/link"
			ln -s nowhere "$d/dangling"
			seq 1 3 | $tool "$d/dangling"
			seq 1 2 >"$d/app"
			seq 3 4 | $tool -a "$d/app"
			seq 1 2 | $tool -a "$d/appnew"
			seq 1 2 >"$d/emptied"
			true | $tool "$d/emptied"
		)
	done
	for f in new kept target link nowhere dangling app appnew emptied; do
		assert_equal "$f: $(outcome "$T/spoolbuf/$f")" "$f: $(outcome "$T/sponge/$f")"
	done
	# Only the files the cases made: no temporary left by either.
	assert_equal "$(ls -A "$T/spoolbuf" | sort | tr '\n' ' ')" \
	    "$(ls -A "$T/sponge" | sort | tr '\n' ' ')"
}

@test "spoolbuf --keep-if-empty leaves FILE as it is when the input is empty" {
	seq 1 3 >"$T/f"
	# The upstream command failed and printed nothing.
	run bash -c "false | spoolbuf --keep-if-empty '$T/f'"
	assert_success
	assert_equal "$(cat "$T/f")" $'1\n2\n3'
	true | spoolbuf --keep-if-empty "$T/missing"
	[ ! -e "$T/missing" ]
	true | spoolbuf --keep-if-empty -a "$T/f"
	assert_equal "$(cat "$T/f")" $'1\n2\n3'
	# One byte is not empty; without the option, empty is empty.
	printf x | spoolbuf --keep-if-empty "$T/f"
	assert_equal "$(cat "$T/f")" "x"
	true | spoolbuf "$T/f"
	[ -f "$T/f" ] && [ ! -s "$T/f" ]
	# It looks at the input: a range past its end still writes.
	echo abc >"$T/g"
	echo xyz | spoolbuf --keep-if-empty -r 100: "$T/g"
	[ -f "$T/g" ] && [ ! -s "$T/g" ]
	assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "f g "
	# Reading lazily still: an endless input ends at the first range.
	run timeout 10 bash -c "yes | spoolbuf --keep-if-empty -r 0:2 '$T/g'"
	assert_success
	assert_equal "$(cat "$T/g")" "y"
}

@test "spoolbuf names a read-only directory and says what to do" {
	mkdir "$T/ro"
	seq 1 3 >"$T/ro/f"
	chmod 666 "$T/ro/f"
	chmod 555 "$T/ro"
	chmod 755 "$T"
	run as_nobody bash -c "echo new | spoolbuf '$T/ro/f'"
	assert_failure 1
	assert_output "spoolbuf: cannot replace $T/ro/f: directory $T/ro: Permission denied (make it writable, or use --inplace to write $T/ro/f itself)"
	assert_equal "$(cat "$T/ro/f")" $'1\n2\n3'
	# Through a link, the directory named is the target's.
	ln -s ro/f "$T/link"
	run as_nobody bash -c "echo new | spoolbuf '$T/link'"
	assert_output --partial "directory $T/ro: Permission denied"
	# --inplace: the same file (inode, links) truncated and written.
	ino=$(stat -c %i "$T/ro/f")
	run as_nobody bash -c "echo new | spoolbuf --inplace '$T/link'"
	assert_success
	assert_equal "$(cat "$T/ro/f")" "new"
	assert_equal "$(stat -c '%i %a' "$T/ro/f")" "$ino 666"
	assert_equal "$(ls -A "$T/ro")" "f"
	chmod 755 "$T/ro"
}

@test "spoolbuf on a read-only filesystem names it, without suggesting --inplace" {
	small_fs "$T/rofs" 64
	echo old >"$T/rofs/f"
	mount -o remount,ro "$T/rofs"
	run bash -c "echo new | spoolbuf '$T/rofs/f'"
	assert_failure 1
	assert_output "spoolbuf: cannot replace $T/rofs/f: directory $T/rofs: Read-only file system"
	run bash -c "echo new | spoolbuf --inplace '$T/rofs/f'"
	assert_failure 1
	assert_output "spoolbuf: $T/rofs/f: Read-only file system"
	assert_equal "$(cat "$T/rofs/f")" "old"
}

@test "spoolbuf on a full disk keeps the old FILE and leaves nothing" {
	small_fs "$T/small" 1024
	seq 1 3 >"$T/small/f"
	# FILE's own filesystem fills up while the new contents are written.
	run bash -c "head -c 2M /dev/zero | spoolbuf '$T/small/f'"
	assert_failure 1
	assert_output "spoolbuf: $T/small/f: No space left on device"
	assert_equal "$(cat "$T/small/f")" $'1\n2\n3'
	assert_equal "$(ls -A "$T/small")" "f"
	run bash -c "head -c 2M /dev/zero | spoolbuf -a '$T/small/f'"
	assert_failure 1
	assert_equal "$(cat "$T/small/f")" $'1\n2\n3'
	# The spool's own directory fills up while soaking.
	mkdir "$T/small/tmp"
	run bash -c "head -c 2M /dev/zero | spoolbuf -m 64K -T '$T/small/tmp' '$T/f'"
	assert_failure 1
	assert_output "spoolbuf: spool file in $T/small/tmp: No space left on device"
	[ ! -e "$T/f" ]
	[ -z "$(ls -A "$T/small/tmp")" ]
}

@test "spoolbuf /dev/full as FILE is a write error, and stays a device" {
	before=$(stat -c '%F %a %t:%T' /dev/full)
	run bash -c "echo hi | spoolbuf /dev/full"
	assert_failure 1
	assert_output "spoolbuf: /dev/full: No space left on device"
	assert_equal "$(stat -c '%F %a %t:%T' /dev/full)" "$before"
}

@test "spoolbuf FILE under ulimit -f keeps the old FILE and says why" {
	printf 'precious\n' >"$T/f"
	run bash -c "ulimit -f 512; head -c 1M /dev/zero | spoolbuf -m 4M '$T/f'"
	assert_failure 1
	assert_output "spoolbuf: $T/f: File too large"
	assert_equal "$(cat "$T/f")" "precious"
	# The spool file over the limit: the spool said so, not the input.
	run bash -c "ulimit -f 512; head -c 1M /dev/zero | spoolbuf -m 64K -T '$T' '$T/f'"
	assert_failure 1
	assert_output "spoolbuf: spool file in $T: File too large"
	assert_equal "$(ls -A "$T")" "f"
}
