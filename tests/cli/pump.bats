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
	for args in --bogus "-q 0" "-q 1" "-q 12Q" "--low 50Q" "--low 100%" \
	    "--low x%" "-q 1M --low 1M" "-b 0" "-L 0" "-s -1" "--stats=xml" \
	    "--progress=sometimes" "--stall-timeout 0" "--stall-timeout x" \
	    "--stall-timeout -1"; do
		run pump $args </dev/null
		assert_failure 2
		assert_output --partial "Try 'pump --help'"
	done
	run pump -q 12Q </dev/null
	assert_output --partial "invalid size for --queue: '12Q'"
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
	cat "$T/in" | pump -q 4K -b 1000 | cmp - "$T/in"
	cat "$T/in" | pump -q 64K | slow_sink 0.5 | cmp - "$T/in"
	cat "$T/in" | pump -q 1M -o "$T/out" && cmp "$T/out" "$T/in"
	pump "$T/in" - "$T/in" <"$T/in" | cmp - <(cat "$T/in" "$T/in" "$T/in")
	bursty 20 | tee "$T/b" | pump -q 256K | slow_sink 0.3 >"$T/bo"
	cmp "$T/b" "$T/bo"
}

@test "pump copies empty and tiny inputs" {
	run pump </dev/null
	assert_success
	assert_output ""
	for s in a ab abc; do
		run bash -c "printf $s | pump -q 2"
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
	run bash -c "pump -a -o '$T/f' <'$T/f'"
	assert_failure 1
	assert_equal "$(cat "$T/f")" "data"
}

@test "pump -a appends to its output files" {
	printf 'one\n' >"$T/f"
	printf 'two\n' | pump -a -o "$T/f"
	assert_equal "$(cat "$T/f")" $'one\ntwo'
}

@test "pump reader pauses at the high mark when the sink stops" {
	gen "$T/in" 4000000
	cat "$T/in" | pump -q 256K --stats=json 2>"$T/stats" | slow_sink 1 | cmp - "$T/in"
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
	run bash -c "yes | /usr/bin/time -f '%U %S' -o '$T/cpu' pump -q 64K | { head -c 10 >/dev/null; sleep 1; }"
	[ -n "${SK_VALGRIND:-}" ] ||
	    python3 -c "import sys; u, s = map(float, open('$T/cpu').read().split()[-2:]); sys.exit(0 if u + s < 0.5 else 1)"
	run bash -c "set -o pipefail; pump -q 4K /dev/zero | head -c 1 >/dev/null; echo \${PIPESTATUS[0]}"
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

@test "pump --progress=always draws a line with percentage for files" {
	gen "$T/in" 2000000
	run --separate-stderr pump --progress=always -L 4M "$T/in"
	[[ "$stderr" == *"queue"* ]]
	[[ "$stderr" == *"[100%]"* ]]
	[[ "$stderr" == *$'\n' ]] || [[ "${stderr: -1}" != $'\r' ]]
	run --separate-stderr bash -c "cat '$T/in' | pump --progress=always -s 2000000"
	[[ "$stderr" == *"[100%]"* ]]
	# auto: not a terminal, nothing drawn.
	run --separate-stderr pump --progress "$T/in"
	assert_equal "$stderr" ""
}

@test "pump SIGINT mid-run writes out what was read and exits 130" {
	mkfifo "$T/fifo"
	(for i in $(seq 50); do head -c 100K /dev/zero; sleep 0.05; done) >"$T/fifo" &
	feeder=$!
	pump <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 0.8
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
	grep -q 'queue' "$T/err"
}

@test "pump --stall-timeout fails when nothing moves" {
	run --separate-stderr bash -c '(sleep 5) | pump --stall-timeout 0.5'
	assert_failure 1
	[[ "$stderr" == "pump: stalled: no byte moved for 0.5 s (0 bytes written)" ]]
}

@test "pump keeps memory at its queue" {
	no_rss_under_sanitizers
	head -c 300M /dev/zero | peak_rss_kib pump -q 8M --stats -o /dev/null -o /dev/null 3>"$T/rss" 2>/dev/null
	[ "$(cat "$T/rss")" -lt $(( (8 + 6) * 1024 )) ]
}
