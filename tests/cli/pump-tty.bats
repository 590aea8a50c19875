#!/usr/bin/env bats
# pump's progress line on a terminal (a pseudo-terminal made by
# tests/cli/ptyrun.py): it fits the width, follows a resize (SIGWINCH),
# several pumps of one pipeline keep a line each with -c, and lines
# printed above it leave it below.
bats_require_minimum_version 1.5.0
load helper
load tty

@test "pump's line fits 40 columns, and uses 200" {
	on_tty 40 24 -- "pump -i 0.2 -L 2M -S -s 1M /dev/zero >/dev/null"
	w=$(widest before)
	[ "$w" -le 40 ] && [ "$w" -gt 20 ]
	screen | grep -q 'MiB'
	on_tty 200 24 -- "pump -i 0.2 -L 2M -S -s 1M /dev/zero >/dev/null"
	w=$(widest before)
	[ "$w" -le 200 ] && [ "$w" -gt 100 ]
	screen | grep -q '\[=*>\] 100%'
}

@test "pump redraws at the new width after SIGWINCH" {
	on_tty 200 24 1 40 -- "pump -i 0.2 -L 1M -S -s 2M /dev/zero >/dev/null"
	[ "$(widest before)" -gt 40 ]
	[ "$(widest after)" -le 40 ]
	on_tty 40 24 1 200 -- "pump -i 0.2 -L 1M -S -s 2M /dev/zero >/dev/null"
	[ "$(widest before)" -le 40 ]
	[ "$(widest after)" -gt 40 ]
}

@test "pump -c gives each pump of a pipeline its own line" {
	on_tty 100 24 -- "echo start; pump -c -N one -i 0.2 -L 2M -S -s 1M /dev/zero | pump -c -N two -i 0.2 -s 1M >/dev/null; echo end"
	screen >"$T/screen"
	assert_equal "$(grep -c 'one:' "$T/screen")" 1
	assert_equal "$(grep -c 'two:' "$T/screen")" 1
	! grep -q 'one:.*two:\|two:.*one:' "$T/screen"
	grep -q '^end$' "$T/screen"
	# The shared state goes with the last pump.
	[ -z "$(ls "$T" | grep streamkit-progress)" ]
}

@test "a line printed above the progress line leaves it below (SIGUSR1)" {
	export -f wait_handled
	on_tty 100 24 -- 'pump -i 0.2 -L 1M -S -s 1500K /dev/zero >/dev/null & p=$!; wait_handled $p USR1 >/dev/null; sleep 0.7; kill -USR1 $p; wait $p'
	screen >"$T/screen"
	# The line SIGUSR1 printed, then the progress line, on its own.
	assert_equal "$(wc -l <"$T/screen")" 2
	grep -q '100%' <(tail -n 1 "$T/screen")
}
