#!/usr/bin/env bats
# tarstream next to GNU tar, with a GNU tar user's habits: the listings
# of -v and -vv, --totals, "-C dir .", the messages of -X and -T, the
# progress line on a narrow terminal.
bats_require_minimum_version 1.5.0
load helper
load tty

# A tree with names GNU tar escapes when it lists them, a link, a
# private directory and an old file.
odd_tree() {
	mkdir -p "$T/d"
	printf x >"$T/d/new"$'\n'"line"
	printf y >"$T/d/back\\slash"
	printf z >"$T/d/esc"$'\033'
	printf t >"$T/d/tab"$'\t'"here"
	ln -s f "$T/d/lnk"
	mkdir -m 700 "$T/d/priv"
	touch -d '1999-12-31 23:59:00' "$T/d/old"
	# Directory order is the disk's: both tools list in it, but sort the
	# names for a stable comparison of the lines themselves.
}

@test "tarstream -v and -vv list exactly what GNU tar's -cv and -cvv list" {
	odd_tree
	for v in -v -vv; do
		tarstream $v -C "$T" d 2>"$T/ours" >/dev/null
		(cd "$T" && tar -c $v -f /dev/null d) >"$T/gnu"
		sort "$T/ours" >"$T/ours.s"
		sort "$T/gnu" >"$T/gnu.s"
		diff "$T/gnu.s" "$T/ours.s"
	done
	# The escapes themselves, one name per line.
	tarstream -v -C "$T" d 2>&1 >/dev/null | grep -qxF 'd/new\nline'
	tarstream -v -C "$T" d 2>&1 >/dev/null | grep -qxF 'd/esc\033'
	# With -f FILE the listing goes to stdout, as in GNU tar.
	run --separate-stderr tarstream -v -f "$T/a.tar" -C "$T" d
	assert_success
	assert_line 'd/old'
	assert_equal "$stderr" ""
}

@test "tarstream --totals says it as GNU tar does" {
	odd_tree
	run --separate-stderr bash -c "tarstream --totals -C '$T' d | wc -c"
	size=$output
	[[ $stderr =~ ^Total\ bytes\ written:\ $size\ \(([0-9.]+)(B|KiB|MiB),\ [0-9.]+(B|KiB|MiB|GiB)/s\)$ ]]
	assert_equal "$(tar --totals -cf - -C "$T" d 2>&1 >/dev/null | sed 's/ (.*//')" \
		"Total bytes written: $(tar -cf - -C "$T" d | wc -c)"
	# Compressed, it is still the archive's length, as GNU tar counts;
	# with GNU tar's records of 20 blocks, GNU tar's very number.
	run --separate-stderr bash -c "tarstream -z -b 20 --totals -C '$T' d >/dev/null"
	assert_equal "${stderr%% (*}" \
		"$(tar -z --totals -cf - -C "$T" d 2>&1 >/dev/null | sed 's/ (.*//')"
}

@test "tarstream -C dir . stores ./ with the directory's own mode and time" {
	mkdir -m 700 "$T/p"
	echo x >"$T/p/f"
	touch -d '2001-02-03 04:05:06' "$T/p"
	tarstream -C "$T/p" . >"$T/a.tar"
	tar -tf "$T/a.tar" >"$T/list"
	assert_equal "$(head -n 1 "$T/list")" "./"
	grep -qx './f' "$T/list"
	mkdir -m 755 "$T/x"
	tar -xf "$T/a.tar" -C "$T/x"
	assert_equal "$(stat -c %a "$T/x")" 700
	assert_equal "$(date -u -r "$T/x" +%F)" 2001-02-03
}

@test "tarstream names -X and -T in their errors, status 2, nothing written" {
	run --separate-stderr tarstream -X "$T/nofile" -C "$T" .
	assert_failure 2
	assert_equal "$stderr" "tarstream: -X '$T/nofile': No such file or directory"
	assert_equal "$output" ""
	run --separate-stderr tarstream -T "$T/nofile"
	assert_failure 2
	[[ $stderr == "tarstream: -T '$T/nofile': No such file or directory"* ]]
	run --separate-stderr tarstream -T ''
	assert_failure 2
	[[ $stderr == "tarstream: -T '': No such file or directory"* ]]
}

@test "tarstream says a time before 1970 is too old for ustar, and stores the rest" {
	echo x >"$T/new"
	touch -d '1960-01-01' "$T/old"
	run --separate-stderr bash -c "tarstream --format=ustar -C '$T' old new | tar -tf -"
	assert_output new
	[[ $stderr == *"old: modification time too old for ustar (before 1970)"* ]]
	run tarstream --format=ustar -C "$T" old new
	assert_failure 2
}

# A tree of 3 MB: a reader limited to 2 MiB/s takes about 1.5 s for it.
slow_tree() {
	mkdir "$T/big"
	for i in $(seq 30); do head -c 100000 /dev/urandom >"$T/big/f$i"; done
}

@test "tarstream's progress line fits 40 columns, with -v names on lines above it" {
	slow_tree
	on_tty 40 24 -- "tarstream -v --progress -C '$T' big | pump -q -m 64K -L 2M >/dev/null"
	w=$(widest before)
	[ "$w" -le 40 ] && [ "$w" -gt 15 ]
	screen >"$T/screen"
	# Every name on a line of its own, and one progress line, the last.
	[ "$(grep -c '^big/f[0-9]*$' "$T/screen")" -ge 20 ]
	assert_equal "$(grep -c 'files' "$T/screen")" 1
	tail -n 1 "$T/screen" | grep -q '31/31 files'
	on_tty 200 24 -- "tarstream --progress -C '$T' big | pump -q -m 64K -L 2M >/dev/null"
	w=$(widest before)
	[ "$w" -le 200 ] && [ "$w" -gt 60 ]
}

@test "tarstream --progress=never draws nothing, even on a terminal" {
	slow_tree
	on_tty 80 24 -- "tarstream --progress=never -C '$T' big | pump -q -L 4M >/dev/null"
	[ -z "$(screen)" ]
	on_tty 80 24 -- "tarstream --progress -C '$T' big | pump -q -L 4M >/dev/null"
	screen | grep -q 'files'
}

@test "tarstream --sort=inode lists each directory by inode number, as GNU tar does" {
	mkdir -p "$T/s/sub"
	# Names whose byte order is not their creation (inode) order.
	for n in m c x a q b z sub/k sub/d; do echo "$n" >"$T/s/$n"; done
	tarstream --sort=inode -C "$T" s | tar -tf - >"$T/ours"
	tar --sort=inode -cf - -C "$T" s | tar -tf - >"$T/gnu"
	diff "$T/gnu" "$T/ours"
	# And it is not the name order.
	tarstream --sort=name -C "$T" s | tar -tf - >"$T/byname"
	! diff -q "$T/byname" "$T/ours"
	run tarstream --sort=size -C "$T" s
	assert_failure 2
	assert_output --partial "name, inode or none"
}
