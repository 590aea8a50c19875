# Shared set-up for the CLI suites: bats-assert, the programs under test
# first on PATH, and a private scratch directory per test.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${SK_BIN:=$BATS_TEST_DIRNAME/../../build/bin}"
PATH="$SK_BIN:$PATH"
export SK_BIN

setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/sk-cli.XXXXXX")
}

teardown() {
	rm -rf "$T"
}

# gen FILE BYTES [SEED]: deterministic pseudo-random bytes.
gen() {
	python3 -c 'import random,sys; r=random.Random(int(sys.argv[2])); sys.stdout.buffer.write(r.randbytes(int(sys.argv[1])))' "$2" "${3:-1}" >"$1"
}

# no_rss_under_sanitizers: memory bounds mean nothing with ASan's shadow
# memory; the plain build's run of the same test holds them.
no_rss_under_sanitizers() {
	[ -z "${SK_SANITIZED:-}" ] || skip "peak RSS is not measured under ASan"
}

# peak_rss_kib CMD...: runs CMD (stdin and stdout as given) and prints its
# peak resident set in KiB on fd 3.
peak_rss_kib() {
	/usr/bin/time -f "%M" -o "$T/.peak" "$@"
	local st=$?
	cat "$T/.peak" >&3
	return $st
}

# wait_handled PID SIG...: waits (up to 30 s) until PID catches or blocks
# each SIG (a handler, or a signalfd), so that a signal sent next meets the
# program's own handling and not the default action of a process still
# starting: a fixed sleep is not enough on a loaded machine, under ASan, or
# with test files running side by side.
wait_handled() {
	local pid=$1 mask=0 s i cgt blk
	shift
	for s in "$@"; do mask=$((mask | 1 << ($(kill -l "$s") - 1))); done
	for i in $(seq 300); do
		cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
		blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
		[ -n "$cgt" ] || { echo "process $pid is gone"; return 1; }
		[ $(((0x$cgt | 0x$blk) & mask)) -ne "$mask" ] || return 0
		sleep 0.1
	done
	echo "process $pid does not handle $* after 30 s"
	return 1
}
