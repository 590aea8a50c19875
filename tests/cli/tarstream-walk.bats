#!/usr/bin/env bats
# tarstream's walk by directory descriptors and its read-ahead: swaps
# during the walk never store an outside byte, the archive does not
# depend on the threads or the budget, files changed after they were read
# ahead are reported, memory stays within the budget.
load helper
bats_require_minimum_version 1.5.0

teardown() {
	# A test that failed early leaves its swapper running.
	if [ -n "${SWAPPER:-}" ]; then
		kill "$SWAPPER" 2>/dev/null || true
		wait "$SWAPPER" 2>/dev/null || true
	fi
	rm -rf "$T"
}

# swapper SECONDS KIND: in the background, keeps changing $T/top as KIND
# says until SECONDS have passed; sets SWAPPER to its pid.
#   dirlink  top/dir <-> a symbolic link to $T/outside (same names)
#   filelink top/dir/m1 <-> a symbolic link to $T/outside/m1
#   away     top/dir renamed out of the tree and back
#   dirfile  top/dir <-> a regular file
swapper() {
	python3 - "$T" "$1" "$2" <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
def exchange(a, b):
    # Atomic: the name always exists, as one or the other.
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), RENAME_EXCHANGE):
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
t, secs, kind = sys.argv[1], float(sys.argv[2]), sys.argv[3]
top = t + "/top"
end = time.time() + secs
pairs = {"dirlink": (top + "/dir", t + "/link"),
         "filelink": (top + "/dir/m1", t + "/flink"),
         "dirfile": (top + "/dir", t + "/plainfile")}
try:
    if kind == "dirlink":
        os.symlink(t + "/outside", t + "/link")
    elif kind == "filelink":
        os.symlink(t + "/outside/m1", t + "/flink")
    elif kind == "dirfile":
        with open(t + "/plainfile", "w") as f:
            f.write("plain\n")
    n = 0
    while time.time() < end:
        if kind == "away":
            os.rename(top + "/dir", t + "/away")
            os.rename(t + "/away", top + "/dir")
        else:
            exchange(*pairs[kind])
            n += 1
    if n % 2:
        exchange(*pairs[kind])  # leave the tree as it was
except OSError:
    pass  # the test is over and its directory gone
PY
	SWAPPER=$!
}

# A tree whose files have the same names as those of an outside directory
# that holds other bytes.
make_swap_trees() {
	python3 - "$T" <<'PY'
import os, sys
t = sys.argv[1]
for d in ("top/dir/sub", "outside/sub"):
    os.makedirs(f"{t}/{d}")
for i in range(1, 61):
    for where, word in (("top/dir", "inside"), ("outside", "OUTSIDE")):
        with open(f"{t}/{where}/m{i}", "w") as f:
            f.write(f"{word} {i}\n")
        with open(f"{t}/{where}/sub/s{i}", "w") as f:
            f.write(f"{word} sub {i}\n")
PY
}

# check_run ARCHIVE STATUS: the run ended with 0 or 1, the archive reads
# back whole, and no outside byte is in it.
check_run() {
	[ "$2" -le 1 ] || { echo "status $2"; cat "$T/err"; false; }
	tar -tf "$1" >/dev/null || { echo "unreadable archive"; false; }
	if tar -xOf "$1" | grep -q OUTSIDE; then
		echo "stored an outside byte"
		tar -tvf "$1" | head -20
		false
	fi
}

@test "a directory swapped for a link to another during the walk: no outside byte is ever stored" {
	make_swap_trees
	swapper 6 dirlink
	for i in $(seq 40); do
		st=0
		tarstream -C "$T" top >"$T/a.tar" 2>"$T/err" || st=$?
		check_run "$T/a.tar" $st
		st=0
		tarstream --io-threads 0 -C "$T" top >"$T/a.tar" 2>"$T/err" || st=$?
		check_run "$T/a.tar" $st
	done
	wait "$SWAPPER"
}

@test "a file swapped for a link, a directory moved away or replaced by a file: valid archives, nothing from outside" {
	make_swap_trees
	for kind in filelink away dirfile; do
		swapper 3 $kind
		for i in $(seq 15); do
			st=0
			tarstream -C "$T" top >"$T/a.tar" 2>"$T/err" || st=$?
			check_run "$T/a.tar" $st
			# A link is stored as a link, never followed.
			if tar -tvf "$T/a.tar" | grep -q '^l.* top/dir/m1 -> '; then
				tar -xOf "$T/a.tar" top/dir/m1 2>/dev/null | { ! grep -q .; }
			fi
		done
		wait "$SWAPPER"
	done
}

@test "a file that turns into a link or goes between its stat and its open: looked at again, a change (status 1)" {
	so=$SK_BIN/../tests/faultinj.so
	[ -f "$so" ] || skip "no $so (make check builds it)"
	[ -z "${SK_SANITIZED:-}" ] || skip "LD_PRELOAD fault injection does not mix with ASan"
	mkdir -p "$T/top"
	echo hello >"$T/top/m1"
	# With one I/O thread the opens are: the operand, its directory,
	# then m1 (by readdir's type), then m1 again after a stat.
	inject() {
		SK_FAULT=$1 SK_FAULT_PROG=tarstream LD_PRELOAD=$so \
			tarstream --io-threads 0 -C "$T" top >"$T/a.tar"
	}
	# Swapped once, or once more after the stat: stored as it is now.
	for spec in open:3:ELOOP open:4:ELOOP; do
		run -0 inject $spec
		assert_output ""
		run -0 tar -xOf "$T/a.tar" top/m1
		assert_output hello
	done
	# Swapped at every look (a swapper faster than the walk): left out
	# as a change, not as an unreadable file.
	run -1 inject open:3+:ELOOP
	assert_output "tarstream: top/m1: changed type while read; skipped"
	run -1 inject open:3+:ENOENT
	assert_output "tarstream: top/m1: cannot open; skipped: No such file or directory"
	run -0 tar -tf "$T/a.tar"
	assert_output "top/"
}

@test "the archive is the same bytes with any number of I/O threads and any read-ahead budget" {
	mkdir -p "$T/tree/a/b/c" "$T/tree/many"
	# Small files; around the 1 MiB read-ahead limit, and above.
	python3 - "$T/tree" <<'PY'
import os, sys
t = sys.argv[1]
for i in range(1, 301):
    with open(f"{t}/many/f{i}", "wb") as f:
        f.write(os.urandom(i * 37 % 5000))
for n in (1048575, 1048576, 1048577, 3000000):
    with open(f"{t}/a/s{n}", "wb") as f:
        f.write(os.urandom(n))
PY
	: >"$T/tree/a/b/empty"
	ln "$T/tree/many/f7" "$T/tree/a/b/hard"
	ln -s ../many/f9 "$T/tree/a/link"
	mkfifo "$T/tree/a/b/c/fifo"
	printf x >"$T/tree/$(printf 'odd\nname\001')"
	truncate -s 4M "$T/tree/a/sparse"
	printf data | dd of="$T/tree/a/sparse" bs=1 seek=2000000 conv=notrunc status=none
	k=0
	for args in "--io-threads 0" "--io-threads 1" "--io-threads 2 --read-ahead 4K" \
		"--io-threads 3 --read-ahead 100K" "--io-threads 32 --read-ahead 256M" ""; do
		k=$((k + 1))
		# Into a pipe (the zero-copy path) and into a file.
		run --separate-stderr bash -c "tarstream --reproducible $args -C '$T' tree | cat >'$T/p$k.tar'"
		assert_success
		run --separate-stderr tarstream --reproducible $args -C "$T" -f "$T/f$k.tar" tree
		assert_success
		cmp "$T/p1.tar" "$T/p$k.tar"
		cmp "$T/p1.tar" "$T/f$k.tar"
	done
	# And it is the tree.
	mkdir "$T/x"
	tar -xf "$T/p1.tar" -C "$T/x"
	diff -r --no-dereference -x fifo "$T/tree" "$T/x/tree"
}

@test "files changed after they were read ahead, before their entries are written, are reported" {
	mkdir -p "$T/t"
	# The first entry is large: the writer sits in it while the pipe is
	# not read, and the small files after it are read ahead meanwhile.
	head -c 16M /dev/urandom >"$T/t/a-big"
	for f in b-grows c-shrinks d-replaced e-changed; do
		printf 'original contents of %s\n' $f >"$T/t/$f"
	done
	for try in 1 2 3; do
		rm -f "$T/p"
		mkfifo "$T/p"
		tarstream --sort=name -C "$T" t >"$T/p" 2>"$T/err" &
		pid=$!
		exec 7<"$T/p"
		sleep $((try * 2))
		printf 'more\n' >>"$T/t/b-grows"
		printf 'orig' >"$T/t/c-shrinks"
		printf 'a new file, other contents\n' >"$T/t/new" && mv "$T/t/new" "$T/t/d-replaced"
		printf 'ORIGINAL CONTENTS OF e-changed\n' >"$T/t/e-changed"
		cat <&7 >"$T/out.tar"
		exec 7<&-
		st=0
		wait "$pid" || st=$?
		# Read ahead in time: the archive holds what was read.
		if [ "$(tar -xOf "$T/out.tar" t/e-changed)" = "original contents of e-changed" ]; then
			break
		fi
		for f in b-grows c-shrinks d-replaced e-changed; do
			printf 'original contents of %s\n' $f >"$T/t/$f"
		done
	done
	[ "$st" -eq 1 ] || { cat "$T/err"; false; }
	grep -q 't/b-grows: file grew while read' "$T/err"
	grep -q 't/c-shrinks: file shrank while read' "$T/err"
	grep -q 't/d-replaced: file replaced while read' "$T/err"
	grep -q 't/e-changed: file changed while read' "$T/err"
	for f in b-grows c-shrinks d-replaced; do
		[ "$(tar -xOf "$T/out.tar" t/$f)" = "original contents of $f" ]
	done
	cmp <(tar -xOf "$T/out.tar" t/a-big) "$T/t/a-big"
}

@test "peak memory stays within the read-ahead budget plus a fixed amount" {
	no_rss_under_sanitizers
	mkdir "$T/t"
	# 96 MiB of files of 256 KiB: far more than either budget.
	python3 -c 'import sys
for i in range(384):
    with open(f"{sys.argv[1]}/f{i}", "wb") as f:
        f.write(bytes(262144))' "$T/t"
	for budget in 4M 32M; do
		# A slow reader: the read-ahead fills its budget and waits.
		/usr/bin/time -f %M -o "$T/rss" tarstream --read-ahead $budget -C "$T" t |
			pump -m 64K -L 200M >/dev/null
		rss=$(cat "$T/rss")
		want=$(( ${budget%M} * 1024 + 16 * 1024 ))
		echo "budget $budget: peak $rss KiB (bound $want)"
		[ "$rss" -le "$want" ]
	done
	# The defaults: under 48 MiB.
	/usr/bin/time -f %M -o "$T/rss" tarstream -C "$T" t | pump -m 64K -L 200M >/dev/null
	[ "$(cat "$T/rss")" -le $((48 * 1024)) ]
}

@test "unreadable files and directories, out of descriptors: warnings, status 2, a valid archive" {
	[ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null || skip "needs setpriv to drop root"
	mkdir -p "$T/t/closed" "$T/t/open"
	(cd "$T/t/open" && seq 200 | sed 's/^/f/' | xargs touch)
	echo secret >"$T/t/closed/s"
	echo secret >"$T/t/unreadable"
	chmod 000 "$T/t/closed" "$T/t/unreadable"
	chmod -R a+rX "$T/t/open"
	chmod a+rx "$T" "$T/t"
	run bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups \
		tarstream -C '$T' t 2>&1 >'$T/a.tar'"
	[ "$status" -eq 2 ] # files not stored: GNU tar's status 2
	[[ $output == *"t/closed: cannot read directory: Permission denied"* ]]
	[[ $output == *"t/unreadable: cannot open; skipped: Permission denied"* ]]
	tar -tf "$T/a.tar" >"$T/list"
	grep -qx 't/closed/' "$T/list"
	[ "$(grep -c '^t/open/f' "$T/list")" -eq 200 ]
	# Very few descriptors, many threads: all there all the same.
	chmod 755 "$T/t/closed" "$T/t/unreadable"
	run --separate-stderr bash -c "ulimit -n 16; tarstream --io-threads 16 -C '$T' t | tar -tf - | wc -l"
	assert_success
	assert_output 205
}

@test "memory running out off the main thread (walk, read-ahead, compressor): a clear fatal error, status 2, -f's file kept" {
	so=$SK_BIN/../tests/faultinj.so
	[ -f "$so" ] || skip "no $so (make check builds it)"
	[ -z "${SK_SANITIZED:-}" ] || skip "LD_PRELOAD fault injection does not mix with ASan"
	mkdir -p "$T/t/sub"
	for i in $(seq 40); do head -c $((i * 997)) /dev/urandom >"$T/t/f$i"; done
	for i in $(seq 10); do echo x >"$T/t/sub/g$i"; done
	head -c 1200000 /dev/urandom >"$T/t/big" # past what is read ahead whole
	echo old >"$T/keep.tar"
	# Every allocation of the other threads in turn (every fourth with
	# -z or -f), until a run has none left to fail: that one succeeds.
	for opt in "" -z; do
		for out in - "$T/keep.tar"; do
			k=1
			step=4
			[ -z "$opt" ] && [ "$out" = - ] && step=1
			while :; do
				rm -f "$T/log"
				run env SK_FAULT=tmalloc:$k:ENOMEM SK_FAULT_PROG=tarstream \
					SK_FAULT_LOG="$T/log" LD_PRELOAD="$so" \
					timeout 60 tarstream $opt -f "$out" -C "$T" t
				[ -s "$T/log" ] || break
				[ "$status" -eq 2 ] || { echo "$opt $out, allocation $k: $status: $output"; false; }
				if [ "$out" = - ]; then
					[[ $output == *"tarstream: archive not complete: Cannot allocate memory" ]]
				else
					[[ $output == *"tarstream: $out: Cannot allocate memory" ]]
					[ "$(cat "$out")" = old ]
				fi
				k=$((k + step))
			done
			[ "$status" -eq 0 ] && [ "$k" -gt 10 ]
		done
		# The last -f run had nothing to fail: the archive replaced the
		# old file; nothing else is left beside it.
		tar -tf "$T/keep.tar" >/dev/null
		echo old >"$T/keep.tar"
		[ "$(ls "$T" | grep -c keep)" -eq 1 ]
	done
}
