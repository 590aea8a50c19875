#!/usr/bin/env bats
# pump next to pv, option by option: the same command through both, the
# same bytes out, and for display options (under -f, at a fixed rate and
# size) the same fields drawn; the numbers may differ.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
	command -v pv >/dev/null || skip "pv is not installed (scripts/deps.sh test)"
}

# both ARGS...: runs "pv ARGS" and "pump ARGS" on the same 20 KB at
# 50 KB/s, drawing every 0.1 s at 100 columns; stdout to $T/out.pv and
# $T/out.pump, stderr to $T/err.pv and $T/err.pump.
both() {
	for tool in pv pump; do
		"$tool" -f -w 100 -i 0.1 -L 50000 -s 20000 "$@" "$T/in" \
		    >"$T/out.$tool" 2>"$T/err.$tool" || return 1
	done
}

@test "display options draw the fields pv draws, and pass every byte" {
	gen "$T/in" 20000
	while read -r opts; do
		# shellcheck disable=SC2086
		both $opts
		cmp "$T/out.pv" "$T/in"
		cmp "$T/out.pump" "$T/in"
		python3 "$BATS_TEST_DIRNAME/fields.py" "$T/err.pv" "$T/err.pump" ||
		    { echo "options: $opts"; false; }
	done <<'TABLE'
-p
-t
-e
-I
-r
-a
-b
-N name -b
-ptebar
TABLE
}

@test "-F formats draw the fields pv draws" {
	gen "$T/in" 20000
	for fmt in "%t %e %r" "%N %a %p" "%b %T"; do
		both -N x -F "$fmt"
		cmp "$T/out.pump" "$T/in"
		python3 "$BATS_TEST_DIRNAME/fields.py" "$T/err.pv" "$T/err.pump"
	done
	# pv 1.8's names draw what the letters draw.
	both -F "%b %t"
	pump -f -w 100 -i 0.1 -L 50000 -s 20000 -F "%{bytes} %{timer}" "$T/in" 2>"$T/err.named" >/dev/null
	python3 "$BATS_TEST_DIRNAME/fields.py" "$T/err.pump" "$T/err.named"
	# The last bytes written: dots for what does not print.
	head -c 20000 /dev/zero >"$T/in"
	both -A 8
	assert_equal "$(python3 "$BATS_TEST_DIRNAME/fields.py" "$T/err.pump")" last
	both -F "%8A"
	assert_equal "$(python3 "$BATS_TEST_DIRNAME/fields.py" "$T/err.pump")" last
	# A literal and %% pass through as pv prints them.
	both -F "at %% %b done"
	grep -q "at % .*B done" "$T/err.pump"
}

@test "-n prints integers from 0 to 100 in order, -n -b bytes, -n -t seconds" {
	gen "$T/in" 20000
	both -n
	for tool in pv pump; do
		python3 - "$T/err.$tool" <<'PY'
import sys
v = [int(l) for l in open(sys.argv[1]).read().split()]
assert len(v) >= 3 and v == sorted(v) and 0 <= v[0] and v[-1] == 100, v
PY
	done
	both -n -b
	assert_equal "$(tail -n 1 "$T/err.pump")" 20000
	assert_equal "$(tail -n 1 "$T/err.pv")" 20000
	both -n -t
	python3 - "$T/err.pump" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()]
t = [float(r[0]) for r in rows]
assert all(len(r) == 2 for r in rows) and t == sorted(t) and rows[-1][1] == "100", rows
PY
}

@test "transfer modifiers give the bytes pv gives" {
	gen "$T/in" 300000
	while read -r opts; do
		# shellcheck disable=SC2086
		pv -q $opts "$T/in" >"$T/out.pv"
		# shellcheck disable=SC2086
		pump -q $opts "$T/in" >"$T/out.pump"
		cmp "$T/out.pv" "$T/out.pump" || { echo "differs: $opts"; false; }
	done <<'TABLE'
-S -s 5000
-S -s 0
-B 4096
-C
-L 2M
-W
-D 0.2
-l
-0
-c
-s 1000
TABLE
}

@test "-l and -0 count the lines pv counts" {
	python3 -c 'import sys; sys.stdout.write("".join("y" * (i % 300) + "\n" for i in range(3000)))' >"$T/l"
	for opt in -l -0; do
		for tool in pv pump; do
			"$tool" $opt -n -b "$T/l" 2>"$T/n.$tool" >/dev/null
		done
		assert_equal "$(tail -n 1 "$T/n.pump")" "$(tail -n 1 "$T/n.pv")"
	done
}

@test "pv's options pump does not take say why" {
	run --separate-stderr pump -E /dev/null
	assert_failure 2
	[[ "$stderr" == *"dd conv=noerror,sync"* ]]
	run --separate-stderr pump -U f /dev/null
	assert_failure 2
	[[ "$stderr" == *"spoolbuf"* ]]
}
