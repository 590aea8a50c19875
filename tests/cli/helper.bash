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

# peak_rss_kib CMD...: runs CMD (stdin and stdout as given) and prints its
# peak resident set in KiB on fd 3.
peak_rss_kib() {
	/usr/bin/time -f '%M' -o "$T/rss" "$@"
	local st=$?
	cat "$T/rss" >&3
	return $st
}
