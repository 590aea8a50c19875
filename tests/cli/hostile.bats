#!/usr/bin/env bats
# Hostile conditions, for every program: signals at random points, closed
# and full outputs, a file size limit, stalled readers, trickling and
# non-blocking pipes.  (tarstream's hostile trees: hostile-tree.bats.)
load helper
bats_require_minimum_version 1.5.0

# The four programs, each as a command reading $T/in (or a tree) and
# writing standard output.
prog_cmd() {
	case $1 in
	substream) echo "substream -r 100:-100 <'$T/in'" ;;
	spoolbuf) echo "spoolbuf -m 64K <'$T/in'" ;;
	pump) echo "pump -m 256K <'$T/in'" ;;
	tarstream) echo "tarstream -C '$T' in" ;;
	esac
}

# expected PROG: what prog_cmd PROG writes, to $T/want (tarstream: none).
expected() {
	case $1 in
	substream) substream -r 100:-100 <"$T/in" >"$T/want" ;;
	*) cp "$T/in" "$T/want" ;;
	esac
}

# sigrun SIG DELAY SOURCE CMD: runs CMD (through bash, exec'd: the
# signal goes to the program itself) reading what the shell command
# SOURCE writes, with TMPDIR in $T/tmp; signals it after DELAY seconds;
# sets ST to its exit status.
sigrun() {
	local sig=$1 delay=$2 src=$3 pid spid
	shift 3
	mkdir -p "$T/tmp"
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	# The source in a process group of its own (setsid runs it in place:
	# a background job here leads no group), so that it and whatever it
	# started end together, by the group's id.
	setsid bash -c "$src" >"$T/fifo" 2>/dev/null </dev/null &
	spid=$!
	# A script's background jobs start with SIGINT and SIGQUIT ignored;
	# a program run from a terminal has them at their defaults.
	TMPDIR="$T/tmp" env --default-signal=INT,QUIT bash -c "exec $*" <"$T/fifo" 2>"$T/err" &
	pid=$!
	# Count the delay from when the program runs (past the fifo's open
	# and the exec's).
	local i
	for i in $(seq 200); do
		case $(readlink "/proc/$pid/exe" 2>/dev/null) in
		*/bash | */env | "") sleep 0.01 ;;
		*) break ;;
		esac
	done
	sleep "$delay"
	kill -"$sig" "$pid" 2>/dev/null || true
	ST=0
	wait "$pid" || ST=$?
	kill -- -"$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	rm -f "$T/fifo"
}

# A slow source: 12 MiB at once (past the 8 MiB spools), then a rest
# long enough for any signal to land first.
SLOW="head -c 12M /dev/urandom; sleep 4"

@test "signals at random points: each program dies by the signal, leaving no temporary file" {
	for sig in INT TERM HUP PIPE; do
		for i in 1 2; do
			d=$(printf '0.%d' $((RANDOM % 6 + 1)))
			num=$(kill -l "$sig")
			# substream with ranges out of order: a spool that spills.
			sigrun "$sig" "$d" "$SLOW" "substream -r 5M:6M,-10:,0:10 >'$T/out'"
			[ "$ST" -eq $((128 + num)) ] || { echo "substream $sig at $d: $ST"; false; }
			[ -z "$(ls -A "$T/tmp")" ] || { echo "substream left: $(ls -A "$T/tmp")"; false; }
			# spoolbuf running a command on a named file.
			sigrun "$sig" "$d" "$SLOW" "spoolbuf -m 1M -n in -x cat {} >'$T/out'"
			[ "$ST" -eq $((128 + num)) ] || { echo "spoolbuf cmd $sig at $d: $ST"; false; }
			[ -z "$(ls -A "$T/tmp")" ] || { echo "spoolbuf left: $(ls -A "$T/tmp")"; false; }
		done
	done
}

@test "signals at random points: spoolbuf -o and tarstream -f never leave a partial destination" {
	mkdir -p "$T/tree"
	head -c 24M /dev/urandom >"$T/tree/big"
	for sig in INT TERM HUP PIPE; do
		for i in 1 2; do
			d=$(printf '0.%d' $((RANDOM % 6 + 1)))
			num=$(kill -l "$sig")
			echo old >"$T/dest"
			sigrun "$sig" "$d" "$SLOW" "spoolbuf -m 1M -o '$T/dest'"
			[ "$ST" -eq $((128 + num)) ] || { echo "spoolbuf -o $sig at $d: $ST"; false; }
			[ "$(cat "$T/dest")" = old ]
			echo old >"$T/dest.tar"
			# xz at level 9 on incompressible data: seconds of work.
			sigrun "$sig" "$d" true "tarstream -J --level 9 -f '$T/dest.tar' -C '$T' tree"
			[ "$ST" -eq $((128 + num)) ] || { echo "tarstream $sig at $d: $ST"; false; }
			[ "$(cat "$T/dest.tar")" = old ]
			[ "$(ls -A "$T" | sort | tr '\n' ' ')" = "dest dest.tar err tmp tree " ] ||
			    { ls -A "$T"; false; }
		done
	done
}

@test "signals at random points: pump writes out what it read and exits 128+n; SIGPIPE is ignored" {
	head -c 4M /dev/urandom >"$T/in"
	for sig in INT TERM HUP; do
		d=$(printf '0.%d' $((RANDOM % 5 + 1)))
		sigrun "$sig" "$d" "cat '$T/in'; sleep 3" "pump -m 1M >'$T/out'"
		[ "$ST" -eq $((128 + $(kill -l "$sig"))) ] || { echo "pump $sig: $ST"; false; }
		# What it wrote is what it read: a prefix of the input.
		cmp -s "$T/out" "$T/in" || cmp "$T/in" "$T/out" 2>&1 | grep -q '^cmp: EOF on'
	done
	sigrun PIPE 0.3 "cat '$T/in'; sleep 1" "pump -m 1M >'$T/out'"
	[ "$ST" -eq 0 ]
	cmp "$T/out" "$T/in"
}

@test "each program reports /dev/full and a closed stdout, with status 1 (tarstream: 2)" {
	head -c 300000 /dev/urandom >"$T/in"
	for p in substream spoolbuf pump tarstream; do
		want=1
		[ $p = tarstream ] && want=2
		run bash -c "$(prog_cmd $p) >/dev/full"
		[ "$status" -eq $want ] || { echo "$p >/dev/full: $status $output"; false; }
		[[ $output == "$p: "*"No space left on device"* ]] || { echo "$p: $output"; false; }
		# (Under valgrind its log file would take the free fd 1.)
		[ -z "${SK_VALGRIND:-}" ] || continue
		run bash -c "$(prog_cmd $p) >&-"
		[ "$status" -eq $want ] || { echo "$p >&-: $status $output"; false; }
		[[ $output == "$p: "*"Bad file descriptor"* ]] || { echo "$p: $output"; false; }
	done
}

@test "a reader that goes away: a quiet SIGPIPE stop, or a reported error when the parent ignored SIGPIPE" {
	head -c 3000000 /dev/urandom >"$T/in"
	for p in substream spoolbuf pump tarstream; do
		want=1
		[ $p = tarstream ] && want=2
		# The default disposition: ended by SIGPIPE, nothing printed.
		run bash -c "$(prog_cmd $p) | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}"
		[ "$status" -eq 141 ] || { echo "$p default: $status $output"; false; }
		[ -z "$output" ] || { echo "$p default: $output"; false; }
		# Ignored by the parent (trap '' PIPE, systemd units): kept
		# ignored, and the broken pipe is a write error like any other.
		run bash -c "trap '' PIPE; $(prog_cmd $p) | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}"
		[ "$status" -eq $want ] || { echo "$p ignored: $status $output"; false; }
		[[ $output == "$p: "*"Broken pipe"* ]] || { echo "$p ignored: $output"; false; }
	done
}

@test "each program reports a file size limit (ulimit -f) instead of dying by SIGXFSZ" {
	head -c 3000000 /dev/urandom >"$T/in"
	for p in substream spoolbuf pump tarstream; do
		want=1
		[ $p = tarstream ] && want=2
		run bash -c "ulimit -f 1000; $(prog_cmd $p) >'$T/out'"
		[ "$status" -eq $want ] || { echo "$p: $status $output"; false; }
		[[ $output == *"File too large"* ]] || { echo "$p: $output"; false; }
	done
	# spoolbuf -o under the limit: the destination stays as it was.
	echo old >"$T/dest"
	run bash -c "ulimit -f 1000; spoolbuf -o '$T/dest' <'$T/in'"
	assert_failure 1
	[ "$(cat "$T/dest")" = old ]
}

@test "a reader that stops reading for seconds loses nothing" {
	head -c 5000000 /dev/urandom >"$T/in"
	for p in substream spoolbuf pump tarstream; do
		bash -c "$(prog_cmd $p) | { sleep 1.5; cat; } >'$T/out'"
		if [ $p = tarstream ]; then
			mkdir -p "$T/x" && tar -x -C "$T/x" -f "$T/out" && cmp "$T/in" "$T/x/in"
			rm -rf "$T/x"
		else
			expected $p
			cmp "$T/out" "$T/want" || { echo "$p"; false; }
		fi
	done
}

@test "a source that trickles one byte at a time" {
	python3 -c 'import random; open("'"$T"'/in","wb").write(random.Random(3).randbytes(3000))'
	trickle="python3 -c 'import os,sys,time
d=open(sys.argv[1],\"rb\").read()
for i in range(len(d)):
    os.write(1, d[i:i+1])
    if i % 50 == 0: time.sleep(0.002)' '$T/in'"
	run bash -c "$trickle | substream -r 100:-100 >'$T/out'"
	assert_success
	cmp "$T/out" <(substream -r 100:-100 "$T/in")
	for p in "spoolbuf" "pump -m 1K" "spoolbuf -m 1K -r 2000:,0+5"; do
		run bash -c "$trickle | $p >'$T/out'"
		assert_success
	done
	cmp "$T/out" <(substream -r 2000:,0+5 "$T/in")
	run bash -c "$trickle | pump -m 1K | cmp - '$T/in'"
	assert_success
}

@test "non-blocking stdin and stdout: every byte arrives, no busy error" {
	head -c 3000000 /dev/urandom >"$T/in"
	# nb CMD...: runs CMD with O_NONBLOCK set on its stdin and stdout.
	nb="python3 -c 'import fcntl,os,sys
for fd in (0, 1):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execvp(sys.argv[1], sys.argv[1:])'"
	# A bursty producer and a slow consumer make both pipes run dry and
	# fill up.
	slow_out="python3 -c 'import os,sys,time
while True:
    b = os.read(0, 65536)
    if not b: break
    sys.stdout.buffer.write(b); time.sleep(0.001)'"
	for p in "substream -r 100:-100" "spoolbuf -m 64K" "pump -m 64K" "substream --lines -r 5:"; do
		run bash -c "{ head -c 1M '$T/in'; sleep 0.2; tail -c +1048577 '$T/in'; } |
			$nb $p | $slow_out >'$T/out'"
		assert_success
		cmp "$T/out" <(bash -c "$p <'$T/in'") || { echo "$p"; false; }
	done
	mkdir "$T/tree" && cp "$T/in" "$T/tree/f"
	run bash -c "$nb tarstream -C '$T' tree </dev/null | $slow_out | tar -x -C '$T/tree' -O tree/f >'$T/out'"
	assert_success
	cmp "$T/out" "$T/in"
}
