#!/usr/bin/env bats
# substream: ranges of files and pipes, checked against head, tail, dd and
# a reference model; every bad input; hostile outputs and inputs.
bats_require_minimum_version 1.5.0
load helper

@test "substream --help prints usage on stdout and exits 0" {
	run substream --help
	assert_success
	assert_output --partial "usage: substream"
	assert_output --partial "--range"
}

@test "substream --version prints the version and exits 0" {
	run substream --version
	assert_success
	assert_output --regexp '^substream \(streamkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "substream rejects an unknown option with usage status 2" {
	run substream --bogus
	assert_failure 2
	assert_output --partial "Try 'substream --help'"
}

@test "substream says one thing about a bad option: which one, and what is wrong" {
	run --separate-stderr substream --bogus=1 /dev/null
	assert_failure 2
	assert_equal "$stderr" "substream: unknown option '--bogus'
Try 'substream --help' for more information."
	run --separate-stderr substream -lQ /dev/null
	assert_failure 2
	assert_equal "$stderr" "substream: unknown option '-Q'
Try 'substream --help' for more information."
	run --separate-stderr substream -r
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "substream: option '-r' needs an argument"
	run --separate-stderr substream --range
	assert_equal "${stderr%%$'\n'*}" "substream: option '--range' needs an argument"
	run --separate-stderr substream --lines=2 /dev/null
	assert_equal "${stderr%%$'\n'*}" "substream: option '--lines' takes no argument"
}

@test "substream -z without -l is a usage error" {
	run --separate-stderr substream -z -r 0:1 /dev/null
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == "substream: -z (--zero-terminated) counts lines: it needs -l (--lines)"* ]]
}

@test "substream names an unknown suffix" {
	for bad in 1E: 0:2X 5+1KiX -1Q:; do
		run --separate-stderr substream -r "$bad" /dev/null
		assert_failure 2
		[[ "$stderr" == *"invalid range '$bad': unknown suffix"* ]] || { echo "$bad: $stderr"; false; }
	done
	run --separate-stderr substream -r 1E: /dev/null
	[[ "$stderr" == *"unknown suffix 'E' (K M G T P, KiB MiB GiB TiB PiB, KB MB GB TB PB)"* ]]
}

@test "substream --help and its man page list the same suffixes, and each is taken" {
	man="$BATS_TEST_DIRNAME/../../man/substream.1"
	help=$(substream --help)
	for sfx in K M G T P KiB MiB GiB TiB PiB KB MB GB TB PB; do
		[[ "$help" =~ [\ ,]$sfx[\ ,\)] ]] || { echo "--help lacks $sfx"; false; }
		grep -qx "\.Ql $sfx\( ,\)\?" "$man" || { echo "the man page lacks $sfx"; false; }
		substream -r "1$sfx+0" /dev/null
		substream -r "1${sfx,,}+0" /dev/null
	done
	# Neither names a suffix the parser refuses.
	run substream -r 1E+0 /dev/null
	assert_failure 2
	refute grep -qx '\.Ql E\( ,\)\?' "$man"
}

@test "substream does what each row of its man page's head/tail/dd table says" {
	man="$BATS_TEST_DIRNAME/../../man/substream.1"
	python3 -c 'import sys; sys.stdout.buffer.write(b"".join(b"line %d %s\n" % (i, b"x" * (i * 37 % 3000)) for i in range(4000)))' >"$T/in"
	[ "$(wc -c <"$T/in")" -gt $((5 << 20)) ]
	rows=0
	while IFS=$'\t' read -r peer ours; do
		rows=$((rows + 1))
		eval "$peer" <"$T/in" >"$T/want" 2>/dev/null
		eval "$ours" <"$T/in" >"$T/got" || { echo "$ours failed"; false; }
		cmp "$T/want" "$T/got" || { echo "$peer vs $ours"; false; }
		eval "cat '$T/in' | $ours" >"$T/got"
		cmp "$T/want" "$T/got" || { echo "$peer vs $ours on a pipe"; false; }
	done < <(sed -n 's/^\.It Li \(.*\) Ta Li \(substream .*\)$/\1\t\2/p' "$man")
	[ "$rows" -ge 10 ]
}

@test "substream quotes an empty file name" {
	run --separate-stderr substream ''
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$stderr" "substream: '': No such file or directory"
}

@test "substream says the spool's write failed under ulimit -f, not the input's read" {
	mkdir "$T/tmp"
	run --separate-stderr bash -c "ulimit -f 2000; head -c 30M /dev/zero | TMPDIR='$T/tmp' substream -r 20M:21M,0:1 >/dev/null"
	assert_failure 1
	assert_equal "$stderr" "substream: spool write error in $T/tmp: File too large"
	[ -z "$(ls -A "$T/tmp")" ]
	run --separate-stderr bash -c "head -c 30M /dev/zero | TMPDIR='$T/missing' substream -r 20M:21M,0:1 >/dev/null"
	assert_failure 1
	assert_equal "$stderr" "substream: spool write error in $T/missing: No such file or directory"
	# A failing input is still a read error.
	run --separate-stderr bash -c "substream -r 0:1 </"
	assert_failure 1
	[[ "$stderr" == "substream: read error: "* ]]
}

@test "substream rejects a malformed range naming it, status 2, no output" {
	run --separate-stderr substream -r 0:10,abc /dev/null
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == *"invalid range 'abc'"* ]]
	for bad in 10 +5 1:2:3 1:K 1+-5 ""; do
		run substream -r "$bad" /dev/null
		assert_failure 2
		assert_output --partial "invalid range"
	done
}

@test "substream rejects a number too large for 64 bits, status 2" {
	run substream -r 99999999999999999999: /dev/null
	assert_failure 2
	assert_output --partial "number too large"
	run substream -r 0:9000P /dev/null
	assert_failure 2
}

@test "substream reports a missing file, status 1, and writes nothing" {
	echo hello >"$T/a"
	run --separate-stderr substream "$T/a" "$T/missing" "$T/a"
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$stderr" "substream: $T/missing: No such file or directory"
}

@test "substream reports a directory operand, status 1" {
	run substream "$T"
	assert_failure 1
	assert_output "substream: $T: Is a directory"
}

@test "substream reports an unreadable file, status 1" {
	[ "$(id -u)" -ne 0 ] || skip "root reads every file"
	echo x >"$T/a" && chmod 0 "$T/a"
	run substream "$T/a"
	assert_failure 1
	assert_output --partial "Permission denied"
}

@test "substream with no range copies the whole input, file or pipe" {
	gen "$T/in" 300000
	substream "$T/in" | cmp - "$T/in"
	substream <"$T/in" | cmp - "$T/in"
	cat "$T/in" | substream | cmp - "$T/in"
	cat "$T/in" | substream - | cmp - "$T/in"
}

@test "substream empty input gives empty output for every range form" {
	: >"$T/empty"
	for r in 0:10 -5: :-1 0+3 : 3:; do
		run substream -r "$r" "$T/empty"
		assert_success
		assert_output ""
		run substream -r "$r" </dev/null
		assert_success
		assert_output ""
	done
}

@test "substream matches head -c and tail -c on files and pipes" {
	gen "$T/in" 1000000
	for n in 0 1 511 512 513 4096 65537 999999 1000000 1000001; do
		head -c "$n" "$T/in" >"$T/want"
		substream -r ":$n" "$T/in" | cmp - "$T/want"
		cat "$T/in" | substream -r "0+$n" | cmp - "$T/want"
		tail -c "$n" "$T/in" >"$T/want"
		if [ "$n" -gt 0 ]; then
			substream -r "-$n:" "$T/in" | cmp - "$T/want"
			cat "$T/in" | substream -r "-$n:" | cmp - "$T/want"
		fi
		head -c "-$n" "$T/in" >"$T/want"
		substream -r ":-$n" "$T/in" | cmp - "$T/want"
		cat "$T/in" | substream -r ":-$n" | cmp - "$T/want"
	done
}

@test "substream matches dd skip/count on files and pipes" {
	gen "$T/in" 3000000
	for spec in "1 1" "3 2" "0 3" "2 5"; do
		set -- $spec
		dd if="$T/in" bs=1M skip="$1" count="$2" iflag=fullblock status=none >"$T/want"
		substream -r "$1M+$2M" "$T/in" | cmp - "$T/want"
		cat "$T/in" | substream -r "$1M+$2M" | cmp - "$T/want"
	done
}

@test "substream random byte ranges match the reference model" {
	run python3 "$BATS_TEST_DIRNAME/refcheck.py" bytes 150 "$RANDOM"
	assert_success
}

@test "substream random line ranges match the reference model" {
	run python3 "$BATS_TEST_DIRNAME/refcheck.py" lines 150 "$RANDOM"
	assert_success
}

@test "substream writes comma lists and repeated -r in the order given" {
	printf '0123456789' >"$T/in"
	run substream -r 8:,0:2 -r 4+2 "$T/in"
	assert_output "890145"
	run bash -c "cat '$T/in' | substream -r 8:,0:2 -r 4+2"
	assert_output "890145"
	run bash -c "cat '$T/in' | substream -r 0:2,0:2,-1:,-3:-1"
	assert_output "0101978"
}

@test "substream reads several inputs as one stream, - being stdin" {
	printf 'abc' >"$T/a"
	printf 'def' >"$T/b"
	run bash -c "printf 'XYZ' | substream -r 2:7 '$T/a' - '$T/b'"
	assert_success
	assert_output "cXYZd"
}

@test "substream accepts sizes with suffixes and hex offsets" {
	gen "$T/in" 10000
	head -c 2048 "$T/in" | tail -c 1024 >"$T/want"
	substream -r 1K:2K "$T/in" | cmp - "$T/want"
	substream -r 0x400+0x400 "$T/in" | cmp - "$T/want"
	head -c 2000 "$T/in" | tail -c 1000 >"$T/want"
	substream -r 1KB+1KB "$T/in" | cmp - "$T/want"
}

@test "substream --strict fails on a range past the end, status 1" {
	printf '0123456789' >"$T/in"
	run substream --strict -r 5:10 "$T/in"
	assert_success
	assert_output "56789"
	run --separate-stderr substream --strict -r 5:11 "$T/in"
	assert_failure 1
	[[ "$stderr" == "substream: range '5:11' runs past the end of the input (10 bytes)" ]]
	run substream --strict -r -11: "$T/in"
	assert_failure 1
	run bash -c "cat '$T/in' | substream --strict -r 20+1"
	assert_failure 1
	# Without --strict the same ranges clamp.
	run substream -r 5:11 -r -11:2 "$T/in"
	assert_success
	assert_output "5678901"
}

@test "substream --lines matches head -n and tail -n" {
	seq 1 1000 >"$T/in"
	for n in 1 2 10 999 1000 1001; do
		substream --lines -r ":$n" "$T/in" | cmp - <(head -n "$n" "$T/in")
		substream -l -r "-$n:" "$T/in" | cmp - <(tail -n "$n" "$T/in")
		cat "$T/in" | substream -l -r "-$n:" | cmp - <(tail -n "$n" "$T/in")
		cat "$T/in" | substream -l -r ":-$n" | cmp - <(head -n "-$n" "$T/in")
		substream -l -r "$n:" "$T/in" | cmp - <(tail -n "+$((n + 1))" "$T/in")
	done
}

@test "substream --lines counts a last line without a newline" {
	printf 'a\nb\nc' >"$T/in"
	run substream -l -r -1: "$T/in"
	assert_output "c"
	run substream -l -r 1:3 "$T/in"
	assert_output $'b\nc'
	run bash -c "printf 'a\nb\nc' | substream -l --strict -r 0:3"
	assert_success
	run bash -c "printf 'a\nb\nc' | substream -l --strict -r 0:4"
	assert_failure 1
}

@test "substream -z counts NUL-terminated lines" {
	printf 'one\0two\0three\0' >"$T/in"
	run bash -c "substream -z -l -r 1:2 '$T/in' | tr '\\0' '\\n'"
	assert_output "two"
	run bash -c "cat '$T/in' | substream -z -l -r -1: | tr '\\0' '\\n'"
	assert_output "three"
}

@test "substream on a pipe stops reading once the ranges are served" {
	run timeout 10 bash -c 'yes | substream -r 0:10 | od -c'
	assert_success
	assert_output --partial 'y  \n   y  \n   y  \n   y  \n   y  \n'
	run timeout 10 bash -c 'yes | substream -r 10:12,0:4 | tr "\n" .'
	assert_success
	assert_output 'y.y.y.'
	run timeout 10 bash -c 'yes | substream -l -r 5:7'
	assert_success
	assert_output $'y\ny'
}

@test "substream leaves seekable stdin just after what it consumed" {
	seq 1 10 >"$T/in"
	run bash -c "{ substream -l -r 0:3; cat; } <'$T/in'"
	assert_output "$(seq 1 10)"
	run bash -c "{ substream -r 0:4 >/dev/null; cat; } <'$T/in'"
	assert_output "$(seq 3 10)"
	run bash -c "{ substream -l -r -2:-1,1:2 >/dev/null; cat; } <'$T/in'"
	assert_output "$(seq 3 10)"
	run bash -c "{ substream -l -r 8: >/dev/null; cat; } <'$T/in'"
	assert_output ""
}

@test "substream appending a file to itself copies it once" {
	seq 1 1000 >"$T/f"
	run timeout 10 bash -c "substream '$T/f' >>'$T/f'"
	assert_success
	run timeout 10 bash -c "substream -l -r 1: '$T/f' >>'$T/f'"
	assert_success
	assert_equal "$(wc -l <"$T/f")" "$((2000 + 1999))"
}

@test "substream keeps memory bounded on large pipes" {
	no_rss_under_sanitizers
	# Forward ranges and a tail of a 256 MiB pipe, each under 16 MiB RSS
	# (the benchmark holds the tighter target).
	head -c 256M /dev/zero | peak_rss_kib substream -r 100M+100M 3>"$T/a" >/dev/null
	head -c 256M /dev/zero | peak_rss_kib substream -r -1M: 3>"$T/b" >/dev/null
	head -c 64M /dev/zero | peak_rss_kib substream -r 1M+1,0+1 3>"$T/c" >/dev/null
	[ "$(cat "$T/a")" -lt 16384 ]
	[ "$(cat "$T/b")" -lt 16384 ]
	[ "$(cat "$T/c")" -lt 32768 ]
}

@test "substream takes the tail of a sparse 4 GiB file without reading it" {
	truncate -s 4G "$T/big"
	printf '\nEND' >>"$T/big"
	run timeout 20 substream -r -3: "$T/big"
	assert_success
	assert_output "END"
	run timeout 20 substream -l -r -1: "$T/big"
	assert_success
	assert_output "END"
}

@test "substream is quiet when its reader goes away" {
	gen "$T/in" 5000000
	run --separate-stderr bash -c "set -o pipefail; substream '$T/in' | head -c 10 >/dev/null"
	assert_equal "$stderr" ""
	run --separate-stderr bash -c "set -o pipefail; cat '$T/in' | substream -r 1: | head -c 10 >/dev/null"
	assert_equal "$stderr" ""
	run --separate-stderr bash -c "set -o pipefail; cat '$T/in' | substream -r 9:10,0:5M | head -c 10 >/dev/null"
	assert_equal "$stderr" ""
	# Killed by SIGPIPE like cat, not a reported error.
	run bash -c "substream '$T/in' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output "141"
}

@test "substream reports a full output device, status 1" {
	gen "$T/in" 100000
	run bash -c "substream '$T/in' -r 10: 2>&1 >/dev/full"
	assert_failure 1
	assert_output "substream: write error: No space left on device"
	run bash -c "substream '$T/in' >/dev/full"
	assert_failure 1
	assert_output "substream: write error: No space left on device"
	run bash -c "cat '$T/in' | substream -r 5:,0:1 >/dev/full"
	assert_failure 1
	assert_output --partial "No space left on device"
}

@test "substream copes with a trickling source and non-blocking pipes" {
	run bash -c "for i in 1 2 3 4 5; do printf \$i; sleep 0.05; done | substream -r 1:4"
	assert_output "234"
	gen "$T/in" 2000000
	python3 - "$T/in" "$SK_BIN/substream" <<'PY'
import fcntl, os, subprocess, sys
r, w = os.pipe()
r2, w2 = os.pipe()
for fd in (r, w2):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen([sys.argv[2], "-r", "3:"], stdin=r, stdout=w2)
os.close(r); os.close(w2)
data = open(sys.argv[1], "rb").read()
import threading
def feed():
    with os.fdopen(w, "wb") as f:
        for i in range(0, len(data), 7777):
            f.write(data[i:i + 7777])
threading.Thread(target=feed).start()
out = b""
while True:
    b = os.read(r2, 65536)
    if not b:
        break
    out += b
assert p.wait() == 0
assert out == data[3:], (len(out), len(data))
PY
}

@test "substream out-of-order ranges on a pipe spill to an unnamed file" {
	gen "$T/in" 20000000
	mkdir "$T/tmp"
	head -c 100 "$T/in" | tail -c 50 >"$T/want"
	tail -c 1000 "$T/in" >>"$T/want"
	head -c 100 "$T/in" | tail -c 50 >>"$T/want"
	cat "$T/in" | TMPDIR="$T/tmp" substream -r 50:100,-1000:,50+50 | cmp - "$T/want"
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "substream killed by a signal mid-run leaves no file behind" {
	mkdir "$T/tmp"
	mkfifo "$T/fifo"
	for sig in INT TERM HUP; do
		# The source stalls before the first range is there, so
		# substream is killed mid-run, with 20 MiB in its spool's file.
		(head -c 20M /dev/zero; exec sleep 5) >"$T/fifo" &
		src=$!
		# A script's background jobs start with SIGINT ignored.
		TMPDIR="$T/tmp" env --default-signal=INT substream -r 30M:31M,0:1 <"$T/fifo" >/dev/null &
		pid=$!
		for i in $(seq 100); do
			case $(readlink "/proc/$pid/exe") in */substream) break ;; esac
			sleep 0.05
		done
		sleep 0.5
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		kill "$src" 2>/dev/null || true
		wait "$src" 2>/dev/null || true
		[ "$st" -eq $((128 + $(kill -l "$sig"))) ] || { echo "$sig: status $st"; false; }
		[ -z "$(ls -A "$T/tmp")" ]
	done
}
