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
	for args in "--bogus" "-q" "-m" "--memory" "-m 12Q" "-m 0" "--max x" \
	    "-r 1:2:3" "--seek abc" "--seek 1:2" "--seek 5,6" "--seek 1+2" \
	    "--append" "--inplace" "--keep-if-empty" "-a --inplace $T/f" \
	    "-n a/b" "-n .." "-n x" "-x" "-r 0:1 -x cat" "-o $T/x -x cat" \
	    "$T/x -x cat" "-a -x cat" "--keep-if-empty -x cat" \
	    "$T/a $T/b" "-o $T/a $T/b" "-o $T/a -o $T/b"; do
		run --separate-stderr spoolbuf $args </dev/null
		assert_failure 2
		assert_equal "$output" ""
		# One message, then the hint: two lines, never more.
		nl=${stderr//[^$'\n']/}
		assert_equal "${#nl}:${stderr##*$'\n'}" \
		    "1:Try 'spoolbuf --help' for more information."
	done
	[ -z "$(ls -A "$T")" ]
	run spoolbuf -m 12Q </dev/null
	assert_output --partial "invalid size for --memory: '12Q'"
	run spoolbuf --bogus </dev/null
	assert_line -n 0 "spoolbuf: unknown option '--bogus'"
	run spoolbuf -m </dev/null
	assert_line -n 0 "spoolbuf: option '-m' needs an argument"
	run spoolbuf "$T/a" "$T/b" </dev/null
	assert_line -n 0 "spoolbuf: extra operand '$T/b' (to run a command on the input: -x COMMAND [ARG]...)"
	run spoolbuf --seek '' </dev/null
	assert_line -n 0 "spoolbuf: invalid offset for --seek: ''"
}

@test "spoolbuf reports a missing input file, status 1" {
	run spoolbuf -i "$T/missing"
	assert_failure 1
	assert_output "spoolbuf: $T/missing: No such file or directory"
	run spoolbuf -i ''
	assert_failure 1
	assert_output "spoolbuf: '': No such file or directory"
	run spoolbuf '' </dev/null
	assert_failure 1
	assert_output "spoolbuf: '': No such file or directory"
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

@test "spoolbuf -x gives each {} argument a path to the input" {
	mkdir "$T/src" "$T/tmp"
	seq 1 100 >"$T/src/numbers.txt"
	(cd "$T/src" && zip -q "$T/a.zip" numbers.txt && xz -k numbers.txt)
	run bash -c "cat '$T/a.zip' | TMPDIR='$T/tmp' spoolbuf -x unzip -l {}"
	assert_success
	assert_output --partial "numbers.txt"
	# xz cannot --list stdin: the README's example.
	run bash -c "cat '$T/src/numbers.txt.xz' | spoolbuf -T '$T/tmp' -x xz --list {}"
	assert_success
	assert_output --partial "/dev/fd/3"
	assert_output --partial "CRC64"
	run bash -c "seq 1 5 | spoolbuf -T '$T/tmp' -x cmp {} {}"
	assert_success
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "spoolbuf -x {} is /dev/fd/3, the nameless spool file, from its start" {
	mkdir "$T/tmp"
	gen "$T/in" 3000000
	# Past the memory cap and below it; opened twice, read at its start.
	for m in 1K 8M; do
		run bash -c "cat '$T/in' | spoolbuf -m $m -T '$T/tmp' -x sh -c 'echo \"\$1\"; cmp \"\$1\" \"\$2\" && cmp \"\$1\" \"\$3\" && cmp - \"\$3\" <&3' sh {} {} '$T/in'"
		assert_success
		assert_output "/dev/fd/3"
	done
	# Nothing by name in TMPDIR while the command runs.
	run bash -c "echo data | spoolbuf -T '$T/tmp' -x sh -c 'ls -A \"\$1\"; readlink /proc/self/fd/3' sh '$T/tmp' {}"
	assert_success
	assert_output --regexp "^$T/tmp/#[0-9]+ \(deleted\)\$"
}

@test "spoolbuf -x leaves nothing behind when killed by SIGKILL" {
	mkdir "$T/tmp"
	echo data | TMPDIR="$T/tmp" spoolbuf -m 1 -x sh -c 'echo $$ >"$1"; exec sleep 30' sh "$T/started" {} &
	pid=$!
	for i in $(seq 100); do [ -s "$T/started" ] && break; sleep 0.1; done
	[ -s "$T/started" ]
	kill -KILL "$pid"
	wait "$pid" || true
	kill "$(cat "$T/started")"
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "spoolbuf -x -n gives {} a real file by name, for sqlite3" {
	mkdir "$T/tmp"
	sqlite3 "$T/db" 'create table fruit(name); insert into fruit values ("fig");'
	# sqlite3 reopens its file by name: a /dev/fd path reads empty.
	run bash -c "cat '$T/db' | spoolbuf -T '$T/tmp' -n app.db -x sqlite3 {} 'select name from fruit'"
	assert_success
	assert_output "fig"
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "spoolbuf passes arguments without a shell and names the file with -n" {
	run bash -c "echo hi | spoolbuf -n 'my file.txt' -x printf '<%s>' 'a b' \"it's\" '\$HOME' {} -x -- -a"
	assert_success
	assert_output --regexp "^<a b><it's><\\\$HOME><.*/spoolbuf\.[A-Za-z0-9]+/my file\.txt><-x><--><-a>$"
	# Options come before -x; all after COMMAND is COMMAND's.
	cd "$T"
	run bash -c "echo hi | spoolbuf -x echo -m 1 -o x {}"
	assert_success
	assert_output "-m 1 -o x /dev/fd/3"
	[ ! -e x ]
}

@test "spoolbuf gives a command without {} the seekable spool as stdin" {
	gen "$T/in" 3000000
	run bash -c "cat '$T/in' | spoolbuf -m 1K -x python3 -c 'import os; os.lseek(0, -10, 2); print(os.lseek(0, 0, 1)); os.lseek(0,0,0); print(len(os.read(0, 5)))'"
	assert_success
	assert_output $'2999990\n5'
	run bash -c "cat '$T/in' | spoolbuf -x tail -c 100 | cmp - <(tail -c 100 '$T/in')"
	assert_success
}

@test "spoolbuf exits with the command's status" {
	run bash -c "echo | spoolbuf -x sh -c 'exit 7'"
	assert_failure 7
	run bash -c "echo | spoolbuf --exec=sh -c 'kill -TERM \$\$'"
	assert_failure 143
	run -127 bash -c "echo | spoolbuf -x /nonexistent/command"
	# (valgrind runs posix_spawn as fork and exec: the exec's failure is
	# then the child's exit status, with no error to report.)
	[ -n "${SK_VALGRIND:-}" ] ||
	    assert_output --partial "spoolbuf: /nonexistent/command: No such file or directory"
	run bash -c "echo | spoolbuf -x /etc/passwd"
	# (Under valgrind that child exits 127 too, for the same reason.)
	[ -n "${SK_VALGRIND:-}" ] || assert_failure 126
}

@test "spoolbuf passes on an ignored SIGPIPE and resets a caught one" {
	run bash -c "trap '' PIPE; echo | spoolbuf -x grep SigIgn /proc/self/status"
	assert_success
	# SIGPIPE is signal 13: bit 12 of the mask, 0x1000.
	[ $(( 0x${output##*:	} & 0x1000 )) -ne 0 ]
	run bash -c "echo | spoolbuf -x grep SigIgn /proc/self/status"
	[ $(( 0x${output##*:	} & 0x1000 )) -eq 0 ]
	# SIGXFSZ, which spoolbuf ignores for itself, is default again.
	[ $(( 0x${output##*:	} & 0x1000000 )) -eq 0 ]
}

@test "spoolbuf removes its private directory when killed during a command" {
	mkdir "$T/tmp"
	for sig in INT TERM HUP QUIT; do
		rm -f "$T/started"
		# (An asynchronous command starts with SIGINT and SIGQUIT
		# ignored, as the shell sets them: reset them first.)
		echo data | (trap - INT QUIT; TMPDIR="$T/tmp" exec spoolbuf -n in -x sh -c 'echo $$ >"$1"; exec sleep 37' sh "$T/started" {}) &
		pid=$!
		for i in $(seq 100); do [ -s "$T/started" ] && break; sleep 0.1; done
		[ -n "$(ls -A "$T/tmp")" ]
		kill -"$sig" "$pid"
		wait "$pid" || true
		[ -z "$(ls -A "$T/tmp")" ]
		# The signal went on to the command too.
		child=$(cat "$T/started")
		for i in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
		! kill -0 "$child" 2>/dev/null
	done
}

# feed_then_hang FIFO MIB: writes MIB MiB into FIFO, then holds it open
# (the same process, by exec, so that killing $feeder ends it).
feed_then_hang() {
	(head -c "$2M" /dev/zero; exec sleep 30) >"$1" &
	feeder=$!
}

# spool_fd_of PID DIR: prints the /proc link of PID's spool file in DIR
# once it has one (the input passed the memory cap), waiting up to 30 s.
spool_fd_of() {
	local fd i
	for i in $(seq 300); do
		for fd in /proc/"$1"/fd/*; do
			case $(readlink "$fd" 2>/dev/null) in "$2/"*)
				echo "$fd"
				return 0
			esac
		done
		sleep 0.1
	done
	return 1
}

@test "spoolbuf leaves no spool file after a signal while soaking" {
	mkdir "$T/tmp"
	mkfifo "$T/fifo"
	echo precious >"$T/f"
	for sig in INT TERM HUP PIPE QUIT; do
		feed_then_hang "$T/fifo" 20
		(trap - INT QUIT; exec spoolbuf -m 1M -T "$T/tmp" "$T/f" <"$T/fifo") &
		pid=$!
		spool_fd_of "$pid" "$T/tmp" >/dev/null
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		# Ended by the signal itself, after cleaning up.
		assert_equal "$st" $((128 + $(kill -l "$sig")))
		kill "$feeder"
		wait "$feeder" || true
		[ -z "$(ls -A "$T/tmp")" ]
		assert_equal "$(cat "$T/f")" "precious"
		assert_equal "$(ls -A "$T" | sort | tr '\n' ' ')" "f fifo tmp "
	done
}

@test "spoolbuf spool file is mode 0600 and has no name" {
	mkdir "$T/tmp"
	mkfifo "$T/fifo"
	feed_then_hang "$T/fifo" 8
	spoolbuf -m 1M -T "$T/tmp" <"$T/fifo" >/dev/null &
	pid=$!
	fd=$(spool_fd_of "$pid" "$T/tmp")
	assert_equal "$(stat -L -c '%a %h' "$fd")" "600 0"
	kill "$pid" "$feeder"
	wait "$pid" "$feeder" || true
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

@test "spoolbuf bash completion: FILE is a file, -x a command, then its own" {
	top=$BATS_TEST_DIRNAME/../..
	complete_words() { # WORD...: what bash completes for the last word
		bash -c 'source /usr/share/bash-completion/bash_completion
			source "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_spoolbuf; printf "%s\n" "${COMPREPLY[@]}"' sh \
			"$top/completions/bash/spoolbuf" "$@"
	}
	cd "$top"
	run complete_words spoolbuf READ
	assert_output "README.md"
	run complete_words spoolbuf -m 1M -x sor
	assert_line "sort"
	run complete_words spoolbuf -x sort --rev
	assert_output "--reverse"
	run complete_words spoolbuf --keep
	assert_output "--keep-if-empty"
}

@test "spoolbuf says which side of the spool failed: the input or its file" {
	so=$SK_BIN/../tests/faultinj.so
	[ -f "$so" ] || skip "no $so (make check builds it)"
	[ -z "${SK_SANITIZED:-}" ] || skip "LD_PRELOAD fault injection does not mix with ASan or valgrind"
	mkdir "$T/tmp"
	gen "$T/in" 300000
	# EIO reading the input, and EIO writing the spool file: one errno,
	# two sides, two messages (it used to say "read error" for both).
	run bash -c "cat '$T/in' | SK_FAULT=read:2+:EIO SK_FAULT_PROG=spoolbuf LD_PRELOAD='$so' spoolbuf -m 1M -T '$T/tmp' >/dev/null"
	assert_failure 1
	assert_output "spoolbuf: read error: Input/output error"
	run bash -c "cat '$T/in' | SK_FAULT=write:1+:EIO SK_FAULT_PROG=spoolbuf LD_PRELOAD='$so' spoolbuf -m 64K -T '$T/tmp' >/dev/null"
	assert_failure 1
	assert_output "spoolbuf: spool file in $T/tmp: Input/output error"
	# ENOSPC making the file of a named {} copy: the spool file too.
	run bash -c "cat '$T/in' | SK_FAULT=write:1+:ENOSPC SK_FAULT_PROG=spoolbuf LD_PRELOAD='$so' spoolbuf -T '$T/tmp' -x cat {}"
	assert_failure 1
	assert_output "spoolbuf: spool file in $T/tmp: No space left on device"
	[ -z "$(ls -A "$T/tmp")" ]
}
