#!/usr/bin/env bats
# tarstream on hostile trees: loops, swaps during the walk, special files,
# hostile names, deep trees; and spoolbuf's command arguments.
load helper
bats_require_minimum_version 1.5.0

# names_of ARCHIVE: the entry names, one per line, as bytes
# (surrogate-escaped), read by Python's tarfile.
names_of() {
	python3 - "$1" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as t:
    for m in t.getmembers():
        sys.stdout.buffer.write(m.name.encode("utf-8", "surrogateescape") + b"\0")
PY
}

@test "tarstream -h on symbolic link loops ends, names each loop, and stores the rest" {
	mkdir -p "$T/t/a/b"
	echo f >"$T/t/a/b/f"
	ln -s ../.. "$T/t/a/b/up"   # a directory loop through a link
	ln -s l2 "$T/t/l1"          # a loop of links
	ln -s l1 "$T/t/l2"
	ln -s a "$T/t/alias"        # the same directory twice, no loop
	run --separate-stderr timeout 30 tarstream -h -C "$T" -f "$T/out.tar" t
	assert_equal "$status" 2 # the loop of links cannot be stored
	[[ $stderr == *"t/a/b/up: directory loop; not entered again"* ]]
	[[ $stderr == *"t/l1: cannot stat; skipped: Too many levels of symbolic links"* ]]
	run tar -tf "$T/out.tar"
	assert_line t/a/b/f
	assert_line t/alias/b/f
	refute_line --regexp "up/."
}

@test "tarstream never lists a directory swapped for a symbolic link during the walk" {
	mkdir -p "$T/t/x" "$T/secret"
	for i in $(seq 50); do echo mine >"$T/t/x/m$i"; done
	for i in $(seq 50); do echo SECRET >"$T/secret/s$i"; done
	mkdir "$T/realx"
	cp "$T"/t/x/* "$T/realx/"
	ln -s "$T/secret" "$T/linkx"
	# Swap t/x between the real directory and a link to the secret one,
	# as fast as rename(2) goes, while tarstream walks the tree.
	python3 - "$T" <<'PY' &
import os, sys, time
t = sys.argv[1]
end = time.time() + 4
os.rename(t + "/t/x", t + "/realx2")
while time.time() < end:
    os.rename(t + "/linkx", t + "/t/x")
    os.rename(t + "/t/x", t + "/linkx")
    os.rename(t + "/realx2", t + "/t/x")
    os.rename(t + "/t/x", t + "/realx2")
os.rename(t + "/realx2", t + "/t/x")
PY
	swapper=$!
	for i in $(seq 40); do
		tarstream -C "$T" t >"$T/a.tar" 2>>"$T/err" || true
		tar -tf "$T/a.tar" >"$T/list" 2>/dev/null || { echo "unreadable archive"; false; }
		if grep -q '/s[0-9]' "$T/list"; then echo "listed the secret directory"; false; fi
		if tar -xOf "$T/a.tar" 2>/dev/null | grep -q SECRET; then echo "stored a secret"; false; fi
	done
	wait "$swapper"
}

@test "tarstream stores fifos and devices without opening them" {
	command -v strace >/dev/null || skip "strace is not installed"
	mkdir "$T/t"
	mkfifo "$T/t/fifo"
	if [ "$(id -u)" -eq 0 ]; then mknod "$T/t/dev" c 1 3; fi
	echo f >"$T/t/f"
	# (LeakSanitizer cannot run under ptrace: off for this run.)
	run env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
	    strace -f -qq -e trace=open,openat -o "$T/trace" timeout 20 tarstream -C "$T" -f "$T/out.tar" t
	assert_success
	# (The walk opens names relative to their directory.)
	run grep -E '"([^"]*/)?(fifo|dev)"' "$T/trace"
	assert_failure
	grep -q '"f"' "$T/trace" # the regular file was opened: the trace works
	run tar -tvf "$T/out.tar"
	assert_line --regexp '^p.* t/fifo$'
	if [ "$(id -u)" -eq 0 ]; then assert_line --regexp '^c.* 1,3 .*t/dev$'; fi
}

@test "tarstream stores names with control characters, invalid UTF-8, and 4095-byte paths exactly" {
	mkdir "$T/t"
	cd "$T/t"
	printf 1 >"$(printf 'ctl\001\033[31m')"
	printf 2 >"$(printf 'new\nline')"
	printf 3 >"$(printf 'tab\there')"
	printf 4 >"$(printf 'bad\377\376utf8')"
	printf 5 >"$(printf 'caf\303\251')"
	printf 6 >"$(printf '%0255d' 0)"
	# A path of 4095 bytes from the archive's root: the longest the
	# kernel opens by name.
	python3 - <<'PY'
import os
d, path = os.open(".", os.O_RDONLY), "t"
while len(path) + 1 + 200 < 4095 - 10:
    os.mkdir("d" * 200, dir_fd=d)
    n = os.open("d" * 200, os.O_RDONLY, dir_fd=d); os.close(d); d = n
    path += "/" + "d" * 200
leaf = "l" * (4095 - len(path) - 1)
with open(os.open(leaf, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=d), "w") as f:
    f.write("long")
print(len(path + "/" + leaf))
PY
	cd "$T"
	for fmt in pax gnu; do
		run --separate-stderr tarstream --format=$fmt -f "$T/$fmt.tar" t
		# pax names are UTF-8: a name that is not is stored as raw
		# bytes (hdrcharset=BINARY), and said so (not an error).
		if [ $fmt = pax ]; then
			assert_equal "$status" 0
			[[ $stderr == *"bad"*"utf8: name is not UTF-8: stored as bytes (hdrcharset=BINARY)"* ]]
		else
			[ "$status" -eq 0 ] || { echo "$fmt: $stderr"; false; }
		fi
		# Every name read back equals the one on disk, byte for byte.
		(cd "$T" && find t -print0 | sort -z) >"$T/want"
		names_of "$T/$fmt.tar" | sed -z 's|/$||' | sort -z >"$T/got"
		cmp "$T/want" "$T/got"
		# GNU tar extracts it all; compared by relative names (the
		# absolute ones are over PATH_MAX).
		mkdir "$T/x-$fmt"
		tar -xf "$T/$fmt.tar" -C "$T/x-$fmt" 2>/dev/null
		sums() { (cd "$1" && find t -type f -print0 | sort -z | xargs -0 sha256sum); }
		[ "$(sums "$T")" = "$(sums "$T/x-$fmt")" ]
	done
	# The longest name is there in full.
	names_of "$T/pax.tar" | tr '\0' '\n' | awk '{ if (length($0) > m) m = length($0) } END { print m }' |
	    grep -qx 4095
}

@test "tarstream stores paths longer than PATH_MAX: nothing is opened by its full path" {
	mkdir "$T/t"
	python3 - "$T/t" <<'PY'
import os, sys
d, n = os.open(sys.argv[1], os.O_RDONLY), 0
while n < 4300:
    os.mkdir("e" * 250, dir_fd=d)
    x = os.open("e" * 250, os.O_RDONLY, dir_fd=d); os.close(d); d = x
    n += 251
with open(os.open("deep", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=d), "w") as f:
    f.write("x")
PY
	echo ok >"$T/t/after"
	run --separate-stderr tarstream -C "$T" -f "$T/out.tar" t
	assert_success
	assert_equal "$stderr" ""
	run tar -tf "$T/out.tar"
	assert_line t/after
	# The deepest file, with its 4529-byte name, and its contents.
	n=$(tar -tf "$T/out.tar" | grep '/deep$' | awk '{ print length($0) }')
	[ "$n" -gt 4096 ]
	[ "$(tar -xOf "$T/out.tar" --wildcards '*/deep')" = x ]
}

@test "tarstream walks a tree deeper than the descriptor limit" {
	python3 - "$T" <<'PY'
import os, sys
d = os.open(sys.argv[1], os.O_RDONLY)
os.mkdir("t", dir_fd=d)
for i in range(1500):
    n = os.open("t" if i == 0 else "a", os.O_RDONLY, dir_fd=d); os.close(d); d = n
    os.mkdir("a", dir_fd=d)
with open(os.open("a/leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=d), "w") as f:
    f.write("deep\n")
PY
	run bash -c "ulimit -n 20; tarstream -C '$T' t >'$T/out.tar'"
	assert_success
	[ "$(tar -tf "$T/out.tar" | wc -l)" -eq 1502 ]
	[ "$(tar -xOf "$T/out.tar" --wildcards '*/leaf')" = deep ]
}

@test "no archive holds an absolute name or a .. component, whatever the arguments" {
	mkdir -p "$T/w/a/b" "$T/w/c"
	echo 1 >"$T/w/a/b/f"
	echo 2 >"$T/w/c/g"
	cd "$T/w/a"
	run --separate-stderr tarstream -f "$T/out.tar" "$T/w/c" ../c b/../b ../../w/./c/g "$T/w/a/b/"
	names_of "$T/out.tar" | tr '\0' '\n' >"$T/names"
	[ -s "$T/names" ]
	run grep -E '^/|(^|/)\.\.(/|$)' "$T/names"
	assert_failure
}

@test "spoolbuf passes commands and {} paths with spaces and quotes as they are, without a shell" {
	mkdir "$T/tmp dir"
	run bash -c "echo data | TMPDIR='$T/tmp dir' spoolbuf -n \"a b 'c\\\" d.txt\" \
		-x printf '[%s]\n' {} 'x y' '\$HOME' '*' ';' '\$(id)'"
	assert_success
	assert_line --index 0 --regexp "^\[$T/tmp dir/.*/a b 'c\" d.txt\]$"
	assert_line --index 1 "[x y]"
	assert_line --index 2 '[$HOME]'
	assert_line --index 3 '[*]'
	assert_line --index 4 '[;]'
	assert_line --index 5 '[$(id)]'
	# And the file behind {} holds the input.
	run bash -c "echo data | TMPDIR='$T/tmp dir' spoolbuf -n 'q \"x\".txt' -x cat {}"
	assert_output data
	[ -z "$(ls -A "$T/tmp dir")" ]
}
