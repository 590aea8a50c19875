#!/usr/bin/env bats
# spoolbuf: sponge with a memory cap, lazy ranges, atomic -o, commands on
# the spool; bad inputs, full disks, signals, nothing left behind.
bats_require_minimum_version 1.5.0
load helper

@test "spoolbuf --help prints usage on stdout and exits 0" {
	run --separate-stderr spoolbuf --help
	assert_success
	assert_output --partial "usage: spoolbuf"
	assert_equal "$stderr" ""
}

@test "spoolbuf --version prints the version and exits 0" {
	run spoolbuf --version
	assert_success
	assert_output --regexp '^spoolbuf \(streamkit\) [0-9.]+$'
}

@test "spoolbuf rejects bad options with usage status 2" {
	for args in "--bogus" "-m 12Q" "-m 0" "--max x" "-r 1:2:3" "--seek abc" \
	    "--append" "-n a/b" "-n .." "-r 0:1 cat" "-o $T/x cat"; do
		run spoolbuf $args </dev/null
		assert_failure 2
		assert_output --partial "Try 'spoolbuf --help'"
	done
	run spoolbuf -m 12Q </dev/null
	assert_output --partial "invalid size for --memory: '12Q'"
}

@test "spoolbuf reports a missing input file, status 1" {
	run spoolbuf -i "$T/missing"
	assert_failure 1
	assert_output "spoolbuf: $T/missing: No such file or directory"
}

@test "spoolbuf writes the whole input back, below and above the memory cap" {
	for n in 0 1 4095 4096 65537 1000000; do
		gen "$T/in" "$n"
		spoolbuf <"$T/in" | cmp - "$T/in"
		cat "$T/in" | spoolbuf -m 1K | cmp - "$T/in"
		spoolbuf -m 1 -i "$T/in" | cmp - "$T/in"
	done
}

@test "spoolbuf soaks up everything before writing" {
	# The first byte comes out only after the input has ended.
	(echo a; sleep 0.5; echo b; date +%s.%N >"$T/end") | spoolbuf | { read -r x; date +%s.%N >"$T/first"; cat >/dev/null; }
	python3 -c "import sys; sys.exit(0 if float(open('$T/first').read()) >= float(open('$T/end').read()) else 1)"
}

@test "spoolbuf random ranges match the reference model on pipes and files" {
	run python3 "$BATS_TEST_DIRNAME/refcheck.py" bytes 100 "$RANDOM" spoolbuf
	assert_success
}

@test "spoolbuf ranges in every order across the memory-to-disk switch" {
	gen "$T/in" 3000000
	for m in 1K 1M 8M; do
		cat "$T/in" | spoolbuf -m "$m" -r 2999000:,0+10,-5000:-4000,1M+1M,10:20 >"$T/got"
		{ tail -c 1000 "$T/in"; head -c 10 "$T/in"; tail -c 5000 "$T/in" | head -c 1000
		  head -c 2M "$T/in" | tail -c 1M; head -c 20 "$T/in" | tail -c 10; } >"$T/want"
		cmp "$T/got" "$T/want"
		cat "$T/in" | spoolbuf -m "$m" --seek 2999990 | cmp - <(tail -c 10 "$T/in")
		cat "$T/in" | spoolbuf -m "$m" --seek -10 | cmp - <(tail -c 10 "$T/in")
	done
}

@test "spoolbuf reads lazily: a range near the start ends an endless input" {
	run timeout 10 bash -c 'yes | spoolbuf -r 0:4 | od -An -c'
	assert_success
	assert_output --partial 'y  \n   y  \n'
	run timeout 10 bash -c 'yes | spoolbuf -r 10:12,0:2 | tr "\n" .'
	assert_output "y.y."
}

@test "spoolbuf -o replaces a file atomically, keeping its mode" {
	seq 1 1000 >"$T/f"
	chmod 640 "$T/f"
	sort -rn "$T/f" | spoolbuf -o "$T/f"
	assert_equal "$(head -n 1 "$T/f")" "1000"
	assert_equal "$(wc -l <"$T/f")" "1000"
	assert_equal "$(stat -c %a "$T/f")" "640"
	assert_equal "$(ls -A "$T")" "f"
	# Large input, through the spool file.
	gen "$T/big" 5000000
	cat "$T/big" | spoolbuf -m 64K -o "$T/f"
	cmp "$T/f" "$T/big"
}

@test "spoolbuf -o -a appends once the input has ended" {
	printf 'head\n' >"$T/f"
	printf 'tail\n' | spoolbuf -a -o "$T/f"
	assert_equal "$(cat "$T/f")" $'head\ntail'
	printf 'new\n' | spoolbuf -o "$T/new"
	assert_equal "$(cat "$T/new")" "new"
	assert_equal "$(stat -c %a "$T/new")" "$(printf '%o' $((0666 & ~$(umask))))"
}

@test "spoolbuf -o leaves the file untouched when the input is refused" {
	printf 'precious\n' >"$T/f"
	run bash -c "yes | head -c 10M | spoolbuf -m 1K --max 5M -o '$T/f'"
	assert_failure 1
	assert_output "spoolbuf: input larger than --max (5242880 bytes)"
	assert_equal "$(cat "$T/f")" "precious"
	assert_equal "$(ls -A "$T")" "f"
}

@test "spoolbuf -o leaves the file untouched when writing it fails" {
	printf 'precious\n' >"$T/f"
	# ulimit -f is in KiB: 1 MiB output into a 512 KiB limit.
	run bash -c "ulimit -f 512; head -c 1M /dev/zero | spoolbuf -m 4M -o '$T/f'"
	assert_failure 1
	assert_output "spoolbuf: $T/f: File too large"
	assert_equal "$(cat "$T/f")" "precious"
	assert_equal "$(ls -A "$T")" "f"
	run bash -c "ulimit -f 512; head -c 1M /dev/zero | spoolbuf -m 4M -a -o '$T/f'"
	assert_failure 1
	assert_equal "$(cat "$T/f")" "precious"
}

@test "spoolbuf reports a spool disk that fills up, status 1" {
	mkdir "$T/tmp"
	run bash -c "ulimit -f 1024; head -c 4M /dev/zero | spoolbuf -m 64K -T '$T/tmp' >/dev/null"
	assert_failure 1
	assert_output "spoolbuf: spool file in $T/tmp: File too large"
	run bash -c "head -c 1M /dev/zero | spoolbuf -m 64K -T '$T/nonexistent' >/dev/null"
	assert_failure 1
	assert_output "spoolbuf: spool file in $T/nonexistent: No such file or directory"
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "spoolbuf --max refuses a larger input and accepts an equal one" {
	run bash -c "head -c 1000 /dev/zero | spoolbuf --max 999 | wc -c"
	assert_output --partial "input larger than --max (999 bytes)"
	run bash -c "head -c 1000 /dev/zero | spoolbuf --max 1000 | wc -c"
	assert_success
	assert_output "1000"
}

@test "spoolbuf runs a command on a named file for each {} argument" {
	mkdir "$T/src" "$T/tmp"
	seq 1 100 >"$T/src/numbers.txt"
	(cd "$T/src" && zip -q "$T/a.zip" numbers.txt)
	run bash -c "cat '$T/a.zip' | TMPDIR='$T/tmp' spoolbuf unzip -l {}"
	assert_success
	assert_output --partial "numbers.txt"
	sqlite3 "$T/db" 'create table fruit(name); insert into fruit values ("fig");'
	run bash -c "cat '$T/db' | spoolbuf -T '$T/tmp' sqlite3 {} 'select name from fruit'"
	assert_success
	assert_output "fig"
	run bash -c "seq 1 5 | spoolbuf -T '$T/tmp' cmp {} {}"
	assert_success
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "spoolbuf passes arguments without a shell and names the file with -n" {
	run bash -c "echo hi | spoolbuf -n 'my file.txt' printf '<%s>' 'a b' \"it's\" '\$HOME' {}"
	assert_success
	assert_output --regexp "^<a b><it's><\\\$HOME><.*/spoolbuf\.[A-Za-z0-9]+/my file\.txt>$"
}

@test "spoolbuf gives a command without {} the seekable spool as stdin" {
	gen "$T/in" 3000000
	run bash -c "cat '$T/in' | spoolbuf -m 1K python3 -c 'import os; os.lseek(0, -10, 2); print(os.lseek(0, 0, 1)); os.lseek(0,0,0); print(len(os.read(0, 5)))'"
	assert_success
	assert_output $'2999990\n5'
	run bash -c "cat '$T/in' | spoolbuf tail -c 100 | cmp - <(tail -c 100 '$T/in')"
	assert_success
}

@test "spoolbuf exits with the command's status" {
	run bash -c "echo | spoolbuf sh -c 'exit 7'"
	assert_failure 7
	run bash -c "echo | spoolbuf sh -c 'kill -TERM \$\$'"
	assert_failure 143
	run -127 bash -c "echo | spoolbuf /nonexistent/command"
	# (valgrind runs posix_spawn as fork and exec: the exec's failure is
	# then the child's exit status, with no error to report.)
	[ -n "${SK_VALGRIND:-}" ] ||
	    assert_output --partial "spoolbuf: /nonexistent/command: No such file or directory"
	run bash -c "echo | spoolbuf /etc/passwd"
	# (Under valgrind that child exits 127 too, for the same reason.)
	[ -n "${SK_VALGRIND:-}" ] || assert_failure 126
}

@test "spoolbuf removes its private directory when killed during a command" {
	mkdir "$T/tmp"
	for sig in INT TERM HUP; do
		echo data | TMPDIR="$T/tmp" spoolbuf sh -c 'exec sleep 37' sh {} &
		pid=$!
		for i in $(seq 50); do [ -n "$(ls -A "$T/tmp")" ] && break; sleep 0.1; done
		[ -n "$(ls -A "$T/tmp")" ]
		kill -"$sig" "$pid"
		wait "$pid" || true
		[ -z "$(ls -A "$T/tmp")" ]
	done
	# The signal went on to the command too.
	sleep 0.2
	! pgrep -x -f 'sleep 37' >/dev/null
}

# feed_then_hang FIFO MIB: writes MIB MiB into FIFO, then holds it open.
feed_then_hang() {
	python3 -c 'import sys, time
f = open(sys.argv[1], "wb")
f.write(b"\0" * (int(sys.argv[2]) << 20)); f.flush(); time.sleep(30)' "$1" "$2" &
	feeder=$!
}

@test "spoolbuf leaves no spool file after a signal while soaking" {
	mkdir "$T/tmp"
	mkfifo "$T/fifo"
	for sig in INT TERM HUP PIPE; do
		feed_then_hang "$T/fifo" 20
		spoolbuf -m 1M -T "$T/tmp" <"$T/fifo" >/dev/null &
		pid=$!
		sleep 0.5
		kill -"$sig" "$pid"
		run wait "$pid"
		[ "$status" -gt 128 ]
		kill "$feeder" 2>/dev/null || true
		wait "$feeder" 2>/dev/null || true
		[ -z "$(ls -A "$T/tmp")" ]
	done
}

@test "spoolbuf spool file is mode 0600 and has no name" {
	mkdir "$T/tmp"
	mkfifo "$T/fifo"
	feed_then_hang "$T/fifo" 8
	spoolbuf -m 1M -T "$T/tmp" <"$T/fifo" >/dev/null &
	pid=$!
	sleep 1
	found=
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd")
		case $target in "$T/tmp/"*)
			found=$target
			[ "$(stat -L -c %a "$fd")" = 600 ]
			[ "$(stat -L -c %h "$fd")" = 0 ]
		esac
	done
	kill "$pid" "$feeder"
	wait "$pid" "$feeder" || true
	[ -n "$found" ]
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "spoolbuf keeps memory at the cap for a large input" {
	no_rss_under_sanitizers
	head -c 200M /dev/zero | peak_rss_kib spoolbuf -m 8M 3>"$T/rss" >/dev/null
	[ "$(cat "$T/rss")" -lt $(( (8 + 6) * 1024 )) ]
}

@test "spoolbuf is quiet when its reader goes away, and reports /dev/full" {
	run --separate-stderr bash -c "head -c 10M /dev/zero | spoolbuf | head -c 1 >/dev/null"
	assert_equal "$stderr" ""
	run bash -c "echo hello | spoolbuf >/dev/full"
	assert_failure 1
	assert_output "spoolbuf: write error: No space left on device"
}
