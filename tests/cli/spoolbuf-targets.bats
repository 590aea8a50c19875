#!/usr/bin/env bats
# spoolbuf FILE where FILE is not a plain file: devices, FIFOs, the
# program's own descriptors (/dev/stdout, /dev/fd/N), symbolic links,
# directories.  What cannot be replaced is written in place, as a shell
# redirection would; a link is kept and what it points to replaced.
bats_require_minimum_version 1.5.0
load helper

# root_or_skip WHAT: mknod and the like need root.
root_or_skip() {
	[ "$(id -u)" -eq 0 ] || skip "$1 needs root"
}

# type_mode PATH: "TYPE MODE MAJOR:MINOR" of PATH itself.
type_mode() {
	stat -c '%F %a %t:%T' "$1"
}

@test "spoolbuf writes a device node in place, keeping it, then /dev/null" {
	root_or_skip "mknod"
	mknod -m 620 "$T/null" c 1 3
	before=$(type_mode "$T/null")
	for args in "" "-a" "--inplace" "-o"; do
		run bash -c "echo hi | spoolbuf $args '$T/null'"
		assert_success
		assert_equal "$(type_mode "$T/null")" "$before"
	done
	assert_equal "$(ls -A "$T")" "null"
	# Only once the node made here survived: /dev/null itself.
	before=$(type_mode /dev/null)
	run bash -c "echo hi | spoolbuf /dev/null"
	assert_success
	assert_equal "$(type_mode /dev/null)" "$before"
	run bash -c "echo hi | spoolbuf -o /dev/null -r 0:1"
	assert_success
	assert_equal "$(type_mode /dev/null)" "$before"
}

@test "spoolbuf writes a FIFO in place, to the reader waiting on it" {
	mkfifo -m 640 "$T/fifo"
	for args in "" "-a"; do
		timeout 20 cat "$T/fifo" >"$T/got" &
		reader=$!
		run timeout 20 bash -c "seq 1 1000 | spoolbuf $args '$T/fifo'"
		assert_success
		wait "$reader"
		cmp "$T/got" <(seq 1 1000)
		assert_equal "$(stat -c '%F %a' "$T/fifo")" "fifo 640"
	done
	assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "fifo got "
}

@test "spoolbuf /dev/stdout in a redirected group writes at its place in the file" {
	# The old way renamed over log: a and b went to an unlinked file.
	for name in /dev/stdout /dev/fd/1 /proc/self/fd/1; do
		{ echo a; echo spooled | spoolbuf "$name"; echo b; } >"$T/log"
		assert_equal "$(cat "$T/log")" $'a\nspooled\nb'
		{ echo a; echo spooled | spoolbuf -o "$name" -r 0:3; echo b; } >"$T/log"
		assert_equal "$(cat "$T/log")" $'a\nspob'
	done
	# Appending: the shell's >> is the one that appends.
	echo old >"$T/log"
	{ echo a; echo spooled | spoolbuf -a /dev/stdout; echo b; } >>"$T/log"
	assert_equal "$(cat "$T/log")" $'old\na\nspooled\nb'
	# Standard error, and a descriptor of the shell's own.
	{ echo spooled | spoolbuf /dev/stderr; } 2>"$T/err"
	assert_equal "$(cat "$T/err")" "spooled"
	{ echo spooled | spoolbuf /dev/fd/7; } 7>"$T/seven"
	assert_equal "$(cat "$T/seven")" "spooled"
	assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "err log seven "
}

@test "spoolbuf /dev/stdout into a pipe, and into a closed or read-only one" {
	run bash -c "seq 1 3 | spoolbuf /dev/stdout | tac"
	assert_success
	assert_output $'3\n2\n1'
	run bash -c "echo hi | spoolbuf /dev/stdout >&-"
	assert_failure 1
	assert_output "spoolbuf: /dev/stdout: Bad file descriptor"
	run bash -c "echo hi | spoolbuf /dev/fd/5 5<'$BATS_TEST_FILENAME'"
	assert_failure 1
	assert_output "spoolbuf: /dev/fd/5: Bad file descriptor"
	run bash -c "echo hi | spoolbuf /dev/fd/9"
	assert_failure 1
	assert_output "spoolbuf: /dev/fd/9: No such file or directory"
}

@test "spoolbuf replaces what a symbolic link points to, keeping the link" {
	mkdir "$T/d"
	seq 1 10 >"$T/d/f"
	chmod 604 "$T/d/f"
	ln -s d/f "$T/rel"
	ln -s "$T/d/f" "$T/abs"
	ln -s rel "$T/chain"
	# A second name for the first file: it keeps what was replaced.
	ln "$T/d/f" "$T/first"
	for l in rel abs chain; do
		sort -rn "$T/$l" | spoolbuf "$T/$l"
		[ -L "$T/$l" ]
		sort -n "$T/$l" | spoolbuf "$T/$l"
	done
	cmp "$T/d/f" <(seq 1 10)
	assert_equal "$(stat -c %a "$T/d/f")" 604
	# Replaced (a new file), not rewritten.
	cmp "$T/first" <(seq 1 10)
	[ "$(stat -c %i "$T/d/f")" != "$(stat -c %i "$T/first")" ]
	rm "$T/first"
	# A dangling link makes the file it names.
	ln -s d/new "$T/dangling"
	echo made | spoolbuf "$T/dangling"
	[ -L "$T/dangling" ]
	assert_equal "$(cat "$T/d/new")" "made"
	assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "abs chain d dangling rel "
	assert_equal "$(ls -A "$T/d" | sort | tr '\n' ' ')" "f new "
}

@test "spoolbuf through a link to a device writes the device" {
	root_or_skip "mknod"
	mknod -m 600 "$T/null" c 1 3
	ln -s null "$T/link"
	echo hi | spoolbuf "$T/link"
	[ -L "$T/link" ]
	assert_equal "$(type_mode "$T/null")" "character special file 600 1:3"
}

@test "spoolbuf refuses a directory and a missing directory, touching nothing" {
	mkdir "$T/d"
	run bash -c "echo hi | spoolbuf '$T/d'"
	assert_failure 1
	assert_output "spoolbuf: $T/d: Is a directory"
	run bash -c "echo hi | spoolbuf '$T/no/f'"
	assert_failure 1
	assert_output "spoolbuf: $T/no/f: No such file or directory"
	ln -s self "$T/self"
	run bash -c "echo hi | spoolbuf '$T/self'"
	assert_failure 1
	assert_output "spoolbuf: $T/self: Too many levels of symbolic links"
	assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "d self "
	[ -z "$(ls -A "$T/d")" ]
}

@test "spoolbuf looks at FILE's name before reading: a missing directory, a closed /dev/fd/N" {
	# An endless input: only a check made first can end it.
	run timeout 20 bash -c "yes | spoolbuf '$T/no/f'"
	assert_failure 1
	assert_output "spoolbuf: $T/no/f: No such file or directory"
	# fd 3 closed: later the spool file would take that number, and the
	# output would vanish into it with status 0.
	run bash -c "seq 1 100000 | spoolbuf -m 1 /dev/fd/3 3>&-"
	assert_failure 1
	assert_output "spoolbuf: /dev/fd/3: No such file or directory"
	run timeout 20 bash -c "yes | spoolbuf /proc/self/fd/7 7>&-"
	assert_failure 1
	assert_output "spoolbuf: /proc/self/fd/7: No such file or directory"
	[ -z "$(ls -A "$T")" ]
}
