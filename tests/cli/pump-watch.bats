#!/usr/bin/env bats
# pump -d (watch another process's files, pv's watch mode) and pump -R
# (change a running pump's options, pv's remote control).
bats_require_minimum_version 1.5.0
load helper

# slow_reader FILE [LINGER]: a process that reads FILE in 64 KiB steps
# 50 ms apart, keeps it open half a second after its end, then closes it
# and lingers LINGER seconds (0.5); its pid in $reader, the descriptor it reads in $T/fd.
slow_reader() {
	python3 -c '
import os, sys, time
f = open(sys.argv[1], "rb")
open(sys.argv[2] + ".tmp", "w").write(str(f.fileno()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while f.read(65536):
    time.sleep(0.05)
time.sleep(0.5)
f.close()
time.sleep(float(sys.argv[3]))' "$1" "$T/fd" "${2:-0.5}" </dev/null >/dev/null 2>&1 &
	reader=$!
	for _ in $(seq 200); do [ -s "$T/fd" ] && return 0; sleep 0.05; done
	return 1
}

@test "pump -d PID:FD -n counts up to 100 and ends when the file closes" {
	gen "$T/data" 1048576
	slow_reader "$T/data" 10
	run --separate-stderr timeout 20 pump -d "$reader:$(cat "$T/fd")" -n -i 0.1
	assert_success
	python3 - "$stderr" <<'PY'
import sys
v = [int(x) for x in sys.argv[1].split()]
assert len(v) >= 2 and v == sorted(v) and v[-1] == 100 and 0 <= v[0] < 100, v
PY
	# The reader is still there: pump ended with the descriptor.
	kill "$reader"
}

@test "pump -d PID shows each file the process reads until it exits" {
	gen "$T/data" 600000
	slow_reader "$T/data"
	run --separate-stderr timeout 20 pump -d "$reader" -f -i 0.2
	assert_success
	[[ "$stderr" == *"$T/data:"*"100%"* ]]
	! kill -0 "$reader" 2>/dev/null
}

@test "pump -d names a process that does not exist or is not ours" {
	run --separate-stderr pump -d 2147483
	assert_failure 1
	assert_equal "$stderr" "pump: 2147483: No such process"
	run --separate-stderr pump -d "$$:987"
	assert_failure 1
	assert_equal "$stderr" "pump: /proc/$$/fd/987: No such file or directory"
	command -v runuser >/dev/null && [ "$(id -u)" = 0 ] || skip "needs root and runuser"
	run --separate-stderr runuser -u nobody -- "$SK_BIN/pump" -d "$$"
	assert_failure 1
	assert_equal "$stderr" "pump: $$: Operation not permitted"
}

@test "pump -R changes a running pump's rate limit, and the bytes stay whole" {
	gen "$T/in" 2000000
	pump -q -L 100K -P "$T/pid" "$T/in" >"$T/out" &
	pid=$!
	for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.05; done
	sleep 0.3
	# At 100 KiB/s this would take 20 s.
	pump -R "$(cat "$T/pid")" -L 100M
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid"
	cmp "$T/out" "$T/in"
}

@test "pump -R changes the display, and refuses what cannot change" {
	gen "$T/in" 400000
	# 40 s at this rate: it ends when the test speeds it up.
	pump -f -i 0.1 -L 10K -P "$T/pid" "$T/in" >/dev/null 2>"$T/err" &
	pid=$!
	for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.05; done
	sleep 0.3
	pump -R "$pid" -N remote -b
	run --separate-stderr pump -R "$pid" -o "$T/other"
	assert_failure 1
	assert_equal "$stderr" "pump: $pid: -o cannot change while pump runs"
	run --separate-stderr pump -R "$pid" "$T/in"
	assert_failure 1
	assert_equal "$stderr" "pump: $pid: files cannot change while pump runs"
	pump -R "$pid" -L 100M
	wait "$pid"
	grep -q 'remote:' "$T/err"
}

@test "pump -R names a pid that is not a running pump" {
	run --separate-stderr pump -R 2147483 -L 1M
	assert_failure 1
	assert_equal "$stderr" "pump: 2147483: No such process"
	sleep 5 &
	run --separate-stderr pump -R "$!" -L 1M
	kill "$!"
	assert_failure 1
	assert_equal "$stderr" "pump: $!: not a running pump"
}

@test "pump -R waits for a pump that is still opening its files" {
	mkfifo "$T/nf"
	printf 'data\n' >"$T/in"
	pump -o "$T/nf" -P "$T/pid" "$T/in" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.05; done
	sleep 0.2
	run --separate-stderr pump -R "$pid" -L 1M
	assert_failure 1
	assert_equal "$stderr" "pump: $pid: still opening its files"
	kill "$pid"
	wait "$pid" || true
	[ ! -e "$T/pid" ]
}
