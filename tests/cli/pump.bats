#!/usr/bin/env bats
# pump: integrity on every path, the watermarks, fan-out, progress, rate,
# stats, signals, stalls; every bad option; closed and full outputs.
bats_require_minimum_version 1.5.0
load helper

# slow_sink SECONDS: reads nothing for SECONDS, then everything.
slow_sink() { sleep "$1"; cat; }

# bursty N: N bursts of 300 KiB of random bytes, 20 ms apart.
bursty() {
	python3 -c 'import os, sys, time
for i in range(int(sys.argv[1])):
    sys.stdout.buffer.write(os.urandom(300 * 1024)); sys.stdout.flush(); time.sleep(0.02)' "$1"
}

@test "pump --help prints usage on stdout and exits 0" {
	run --separate-stderr pump --help
	assert_success
	assert_output --partial "usage: pump"
	assert_equal "$stderr" ""
}

@test "pump --version prints the version and exits 0" {
	run pump --version
	assert_success
	assert_output --regexp '^pump \(streamkit\) [0-9.]+$'
}

@test "pump rejects each bad option with usage status 2" {
	for args in --bogus -Z "-B 0" "--queue 1" "-m 12Q" "--low 50Q" "--low 100%" \
	    "--low x%" "--queue 1M --low 1M" "--block 0" "-L 0" "-s -1" "--stats=xml" \
	    "--progress=sometimes" "--stall-timeout 0" "--stall-timeout x" \
	    "--stall-timeout -1" "-i 0" "-A 0" "-w x" "-d x" "-R 0" \
	    "-E" "-U f" "-X -o f" "--prefill 101" "-l -S -s 5"; do
		run pump $args </dev/null
		assert_failure 2
		assert_output --partial "Try 'pump --help'"
	done
	run pump -m 12Q </dev/null
	assert_output --partial "invalid size for -m: '12Q'"
}

@test "pump reports a missing input or output, status 1, writing nothing" {
	run --separate-stderr pump "$T/missing"
	assert_failure 1
	assert_equal "$stderr" "pump: $T/missing: No such file or directory"
	assert_equal "$output" ""
	run pump -o "$T/no/such/dir" </dev/null
	assert_failure 1
	assert_output "pump: $T/no/such/dir: No such file or directory"
}

@test "pump copies every byte: files, pipes, bursts, slow sinks, small queues" {
	gen "$T/in" 5000000
	pump "$T/in" | cmp - "$T/in"
	pump <"$T/in" | cmp - "$T/in"
	cat "$T/in" | pump --queue 4K --block 1000 | cmp - "$T/in"
	cat "$T/in" | pump -B 64K | slow_sink 0.5 | cmp - "$T/in"
	cat "$T/in" | pump -m 1M -o "$T/out" && cmp "$T/out" "$T/in"
	pump "$T/in" - "$T/in" <"$T/in" | cmp - <(cat "$T/in" "$T/in" "$T/in")
	bursty 20 | tee "$T/b" | pump --queue 256K | slow_sink 0.3 >"$T/bo"
	cmp "$T/b" "$T/bo"
}

@test "pump copies empty and tiny inputs" {
	run pump </dev/null
	assert_success
	assert_output ""
	for s in a ab abc; do
		run bash -c "printf $s | pump --queue 2"
		assert_output "$s"
	done
}

@test "pump fans out to every -o, and - is stdout" {
	gen "$T/in" 3000000
	cat "$T/in" | pump -o "$T/a" -o - -o "$T/b" >"$T/c"
	cmp "$T/a" "$T/in"
	cmp "$T/b" "$T/in"
	cmp "$T/c" "$T/in"
}

@test "pump refuses to copy a file into itself, touching nothing" {
	printf 'data\n' >"$T/f"
	run bash -c "pump '$T/f' >>'$T/f'"
	assert_failure 1
	assert_output "pump: $T/f: input file is output file"
	run pump -o "$T/f" "$T/f"
	assert_failure 1
	run bash -c "pump --append -o '$T/f' <'$T/f'"
	assert_failure 1
	assert_equal "$(cat "$T/f")" "data"
}

@test "pump --append appends to its output files" {
	printf 'one\n' >"$T/f"
	printf 'two\n' | pump --append -o "$T/f"
	assert_equal "$(cat "$T/f")" $'one\ntwo'
}

@test "pump reader pauses at the high mark when the sink stops" {
	gen "$T/in" 4000000
	cat "$T/in" | pump --queue 256K --stats=json 2>"$T/stats" | slow_sink 1 | cmp - "$T/in"
	python3 - "$T/stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["pauses"] >= 1, s
assert s["queue_full_seconds"] > 0.3, s
assert s["bytes_in"] == s["bytes_out"] == 4000000, s
PY
}

@test "pump stops on a failing output with status 1, or goes on with -k" {
	gen "$T/in" 3000000
	run pump -o /dev/full "$T/in"
	assert_failure 1
	assert_output "pump: /dev/full: No space left on device"
	run --separate-stderr pump -k -o /dev/full -o "$T/ok" --stats "$T/in"
	assert_failure 1
	cmp "$T/ok" "$T/in"
	[[ "$stderr" == *"output 1 (/dev/full): failed after 0 bytes: No space left on device"* ]]
	[[ "$stderr" == *"output 2 ($T/ok): 3000000 bytes"* ]]
	run bash -c "pump '$T/in' >/dev/full"
	assert_failure 1
	assert_output "pump: write error: No space left on device"
}

@test "pump is quiet, quick and idle when its output closes early" {
	run --separate-stderr timeout 10 bash -c 'yes | pump | head -c 10 >/dev/null'
	assert_success
	assert_equal "$stderr" ""
	# No busy loop after the reader went away: little CPU time.
	# (Not under valgrind, whose start alone takes that long.)
	run bash -c "yes | /usr/bin/time -f '%U %S' -o '$T/cpu' pump --queue 64K | { head -c 10 >/dev/null; sleep 1; }"
	[ -n "${SK_VALGRIND:-}" ] ||
	    python3 -c "import sys; u, s = map(float, open('$T/cpu').read().split()[-2:]); sys.exit(0 if u + s < 0.5 else 1)"
	run bash -c "set -o pipefail; pump --queue 4K /dev/zero | head -c 1 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output "141"
}

@test "pump --rate-limit holds the average" {
	start=$(date +%s.%N)
	head -c 600K /dev/zero | pump -L 1M | cmp - <(head -c 600K /dev/zero)
	end=$(date +%s.%N)
	# 600 KiB at 1 MiB/s is 0.59 s; only the lower bound can be sharp.
	python3 -c "import sys; sys.exit(0 if $end - $start >= 0.45 else 1)"
}

@test "pump --stats prints a text summary and valid JSON" {
	gen "$T/in" 100000
	run --separate-stderr pump --stats -o "$T/o" "$T/in"
	[[ "$stderr" == "pump: 97.7KiB (100000 bytes) in "* ]]
	[[ "$stderr" == *"reader paused 0 times"* ]]
	run --separate-stderr pump --stats=json -o "$T/o" -o "$T/o2" "$T/in"
	echo "$stderr" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["bytes_out"] == 100000 and len(d["outputs"]) == 2'
}

@test "pump --progress=always draws plain lines with percentage for files" {
	gen "$T/in" 2000000
	run --separate-stderr pump --progress=always -L 4M "$T/in"
	[[ "$stderr" == *"[="*"] 100%"* ]]
	# Not a terminal: whole lines, no carriage return, no escape.
	[[ "$stderr" != *$'\r'* ]] && [[ "$stderr" != *$'\e'* ]]
	run --separate-stderr bash -c "cat '$T/in' | pump --progress=always -s 2000000"
	[[ "$stderr" == *"100%"* ]]
	# auto: not a terminal, nothing drawn; never: nothing either.
	run --separate-stderr pump --progress "$T/in"
	assert_equal "$stderr" ""
	run --separate-stderr pump -f --progress=never "$T/in"
	assert_success
	assert_equal "$stderr" ""
}

@test "pump SIGINT mid-run writes out what was read and exits 130" {
	mkfifo "$T/fifo"
	(for i in $(seq 50); do head -c 100K /dev/zero; sleep 0.05; done) >"$T/fifo" &
	feeder=$!
	pump <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	wait_handled "$pid" INT
	sleep 0.8
	# Mid-run: some bytes out (however slow the start), not all of them.
	for _ in $(seq 100); do [ -s "$T/out" ] && break; sleep 0.1; done
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 130
	kill "$feeder" 2>/dev/null || true
	wait "$feeder" 2>/dev/null || true
	n=$(stat -c %s "$T/out")
	[ "$n" -gt 0 ] && [ "$n" -lt 5120000 ]
	[ "$(cat "$T/err")" = "pump: stopped by Interrupt after $n bytes" ]
}

@test "pump SIGUSR1 prints the stats line and SIGUSR2 pauses and resumes" {
	mkfifo "$T/fifo"
	(for i in $(seq 40); do head -c 50K /dev/zero; sleep 0.05; done) >"$T/fifo" &
	pump <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	wait_handled "$pid" USR1 USR2
	sleep 0.5
	kill -USR1 "$pid"
	kill -USR2 "$pid" # pause
	sleep 0.3
	a=$(stat -c %s "$T/out")
	sleep 0.5
	b=$(stat -c %s "$T/out")
	kill -USR2 "$pid" # resume
	wait "$pid"
	assert_equal "$a" "$b"
	assert_equal "$(stat -c %s "$T/out")" $((40 * 51200))
	grep -q 'B/s' "$T/err"
}

@test "pump --stall-timeout fails when nothing moves" {
	run --separate-stderr bash -c '(sleep 5) | pump --stall-timeout 0.5'
	assert_failure 1
	assert_equal "$stderr" "pump: stalled: no byte moved for 0.5 s (0 bytes written; the input gave nothing)"
}

@test "pump keeps memory at its queue" {
	no_rss_under_sanitizers
	head -c 300M /dev/zero | peak_rss_kib pump --queue 8M --stats -o /dev/null -o /dev/null 3>"$T/rss" 2>/dev/null
	[ "$(cat "$T/rss")" -lt $(( (8 + 6) * 1024 )) ]
}

@test "pump prints one error and the hint for a bad option" {
	run --separate-stderr pump --bogus
	assert_failure 2
	assert_equal "$stderr" "pump: unknown option '--bogus'
Try 'pump --help' for more information."
	run --separate-stderr pump -Z
	assert_equal "$stderr" "pump: unknown option '-Z'
Try 'pump --help' for more information."
	run --separate-stderr pump -L
	assert_equal "$stderr" "pump: option '-L' needs an argument
Try 'pump --help' for more information."
	run --separate-stderr pump --low
	assert_equal "$stderr" "pump: option '--low' needs an argument
Try 'pump --help' for more information."
}

@test "pump says what it could not allocate, and how large" {
	[ -z "${SK_SANITIZED:-}" ] || skip "ASan aborts on a 1 TiB malloc"
	run --separate-stderr bash -c 'echo x | pump -m 1T'
	assert_failure 1
	assert_equal "$stderr" "pump: cannot allocate a queue of 1.0TiB (1099511627776 bytes): Cannot allocate memory"
}

@test "pump ends on SIGTERM and SIGINT while a FIFO output has no reader" {
	mkfifo "$T/nf"
	printf 'data\n' >"$T/in"
	for sig in TERM INT; do
		pump -o "$T/nf" "$T/in" 2>"$T/err" &
		pid=$!
		wait_handled "$pid" "$sig"
		sleep 0.3
		kill -"$sig" "$pid"
		st=0
		timeout 10 tail --pid="$pid" -f /dev/null || { kill -9 "$pid"; false; }
		wait "$pid" || st=$?
		[ "$st" -eq $((128 + $(kill -l "$sig"))) ]
		grep -q "stopped by" "$T/err"
	done
}

@test "pump --stall-timeout fires for a FIFO with no reader and one with no writer" {
	mkfifo "$T/nf"
	printf 'data\n' >"$T/in"
	run --separate-stderr timeout 10 pump --stall-timeout 0.3 -o "$T/nf" "$T/in"
	assert_failure 1
	assert_equal "$stderr" "pump: stalled: no byte moved for 0.3 s (0 bytes written; $T/nf has no reader)"
	run --separate-stderr timeout 10 pump --stall-timeout 0.3 "$T/nf"
	assert_failure 1
	assert_equal "$stderr" "pump: stalled: no byte moved for 0.3 s (0 bytes written; $T/nf has no writer)"
	# mbuffer's form of the watchdog: -W SECONDS.
	run --separate-stderr timeout 10 bash -c "(sleep 3) | pump -W 0.3"
	assert_failure 1
	[[ "$stderr" == "pump: stalled: no byte moved for 0.3 s"* ]]
}

@test "pump --stall-timeout names an output that takes nothing" {
	mkfifo "$T/nf"
	exec 7<>"$T/nf" # a reader that never reads
	run --separate-stderr timeout 10 pump --stall-timeout 0.5 -o "$T/nf" /dev/zero
	exec 7<&-
	assert_failure 1
	[[ "$stderr" == "pump: stalled: no byte moved for 0.5 s ("*" bytes written; $T/nf took nothing)" ]]
}

@test "pump names a failed fan-out output" {
	gen "$T/in" 100000
	run --separate-stderr pump -o "$T/ok" -o /dev/full "$T/in"
	assert_failure 1
	assert_equal "$stderr" "pump: /dev/full: No space left on device"
}

@test "pump -l counts lines across block boundaries, and -0 NUL-ended ones" {
	python3 -c 'import sys; sys.stdout.write("".join("x" * (i % 700) + "\n" for i in range(5000)))' >"$T/l"
	for b in 1 7 4096 65536; do
		run --separate-stderr bash -c "cat '$T/l' | pump -l -n -b --block $b >/dev/null"
		assert_equal "${stderr##*$'\n'}" 5000
	done
	tr '\n' '\0' <"$T/l" >"$T/z"
	run --separate-stderr bash -c "pump -0 -n -b --block 333 '$T/z' >/dev/null"
	assert_equal "${stderr##*$'\n'}" 5000
	# A last line without its end is not a line, as wc -l says.
	run --separate-stderr bash -c "printf 'a\nb' | pump -l -n -b >/dev/null"
	assert_equal "$stderr" 1
}

@test "pump -S stops at --size, -X writes nothing, -C and -Y keep every byte" {
	gen "$T/in" 300000
	pump -S -s 5120 -q "$T/in" | cmp - <(head -c 5120 "$T/in")
	run --separate-stderr pump -X -n -b "$T/in"
	assert_success
	assert_output ""
	assert_equal "${stderr##*$'\n'}" 300000
	pump -C "$T/in" | cmp - "$T/in"
	pump -Y -o "$T/out" "$T/in" && cmp "$T/out" "$T/in"
	pump -s @"$T/in" -n "$T/in" 2>"$T/n" >/dev/null
	assert_equal "$(tail -n 1 "$T/n")" 100
}

@test "pump -P writes a pid file and removes it; -P 50 is mbuffer's start threshold" {
	gen "$T/in" 200000
	(sleep 1; cat "$T/in") | pump -P "$T/pid" >"$T/out" &
	pid=$!
	# The input comes after a second: the pid file is there meanwhile.
	for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.05; done
	read -r p <"$T/pid"
	assert_equal "$(cat "/proc/$p/comm")" pump
	wait "$pid"
	[ ! -e "$T/pid" ]
	cmp "$T/out" "$T/in"
	# With -P 50, nothing is written before half the queue is in, or the
	# input ended; without, the first bytes go out at once.
	for P in "-P 50" ""; do
		(head -c 30000 /dev/zero; sleep 2; head -c 170000 /dev/zero) |
		    pump -m 128K $P -o "$T/o" &
		pid=$!
		sleep 1
		n=$(stat -c %s "$T/o")
		wait "$pid"
		if [ -n "$P" ]; then assert_equal "$n" 0; else assert_equal "$n" 30000; fi
		assert_equal "$(stat -c %s "$T/o")" 200000
	done
}
