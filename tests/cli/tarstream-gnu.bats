#!/usr/bin/env bats
# tarstream next to GNU tar 1.34 for its backup options: the --exclude
# family, --transform, --newer, listed-incremental chains (-g) restored by
# GNU tar, and the manifest checked by sha256sum -c.  Each table runs every
# option set through both programs over the same tree and compares what
# the archives hold (names, and link targets).

load helper

# A tree with the cases GNU tar's rules tell apart: names with and
# without '/', case, character classes, backup files, cache and tag
# directories, VCS and ignore files, links.
tree() {
	local s="$T/src"
	mkdir -p "$s/dir1/sub/deep" "$s/Dir2" "$s/cache" "$s/fakecache" \
		"$s/tagged/sub" "$s/.git" "$s/proj/build" "$s/proj/sub" \
		"$s/ign/y" "$s/[br]" "$s/b" "$s/r"
	for f in a.c b.o A.C dir1/sub/f.c dir1/sub/deep/g.txt dir1/x.o \
		Dir2/README Dir2/notes~ 'Dir2/#auto#' .#lock cache/blob \
		fakecache/blob tagged/.nobackup tagged/data tagged/sub/x \
		.git/config proj/a.log proj/build/out proj/keep.txt \
		proj/sub/b.log ign/x.tmp ign/y/z.tmp ign/keep '[br]/file' b/one \
		r/two; do
		echo "$f" >"$s/$f"
	done
	printf 'Signature: 8a477f597d28d172789f06886806bc55\n' >"$s/cache/CACHEDIR.TAG"
	printf 'not a cache\n' >"$s/fakecache/CACHEDIR.TAG"
	printf '*.log\nbuild\n' >"$s/proj/.gitignore"
	printf '*.tmp\n' >"$s/ign/.ignore"
	ln -s ../a.c "$s/dir1/link"
	ln -s dir1/sub "$s/sublink"
	ln "$s/a.c" "$s/dir1/hard.c"
}

# members FILE: the archive's names and link targets, sorted (GNU tar's
# listing without its owner, mode, size and date columns).
members() {
	tar -tvf "$1" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' | LC_ALL=C sort
}

# extracted FILE: what GNU tar makes of the archive: the names and link
# targets it creates.
extracted() {
	rm -rf "$1.x" && mkdir "$1.x"
	tar -xf "$1" -C "$1.x" 2>/dev/null
	(cd "$1.x" && find . -printf '%p %l\n' | LC_ALL=C sort)
}

# same_as_gnu LINE...: each LINE is options then paths, split on blanks
# (run in $T); prints every line whose members differ from GNU tar's.
same_as_gnu() {
	local line bad=0 compare=${compare:-members}
	local -a args
	for line in "$@"; do
		read -ra args <<<"$line"
		(cd "$T" && tar --format=gnu -cf gnu.tar "${args[@]}" 2>/dev/null)
		(cd "$T" && tarstream --format=gnu -f ts.tar "${args[@]}" 2>/dev/null)
		if ! diff <($compare "$T/gnu.tar") <($compare "$T/ts.tar") >"$T/diff"; then
			echo "differs from GNU tar: $line"
			sed 's/^/    /' "$T/diff"
			bad=1
		fi
	done
	return $bad
}

@test "tarstream excludes patterns as GNU tar does: anchoring, wildcards, slashes, case" {
	set -f
	tree
	run same_as_gnu \
		"--exclude=dir1/sub src" \
		"--exclude=sub src" \
		"--exclude=*.o src" \
		"--exclude=src/*.o src" \
		"--exclude=*.c ./src" \
		"--exclude=./src/a.c ./src" \
		"--exclude=dir1/ src" \
		"--exclude=dir1/sub src/" \
		"--exclude=*/sub src" \
		"--exclude=src src" \
		"--exclude=[AB].* src" \
		"--exclude=[br] src" \
		"--no-wildcards --exclude=[br] src" \
		"--anchored --exclude=dir1 src" \
		"--anchored --exclude=src/dir1 src" \
		"--anchored --exclude=src/*.c src" \
		"--no-wildcards-match-slash --exclude=src/*.c src" \
		"--no-wildcards-match-slash --exclude=*.c src" \
		"--ignore-case --exclude=a.c src" \
		"--ignore-case --exclude=DIR1 src" \
		"--exclude=x.o --anchored --exclude=a.c --no-anchored --exclude=f.c src" \
		"--ignore-case --exclude=A.c --no-ignore-case --exclude=README src" \
		"--exclude-backups src" \
		"--exclude-vcs src"
	assert_success
	assert_output ""
}

@test "tarstream cuts cache and tag directories as GNU tar does" {
	tree
	run same_as_gnu \
		"--exclude-caches src" \
		"--exclude-caches-under src" \
		"--exclude-caches-all src" \
		"--exclude-tag=.nobackup src" \
		"--exclude-tag-under=.nobackup src" \
		"--exclude-tag-all=.nobackup src" \
		"--exclude-tag=CACHEDIR.TAG src" \
		"--exclude-tag-all=.nobackup --exclude-caches src/tagged src/cache"
	assert_success
	assert_output ""
}

@test "tarstream reads ignore files and -X lists as GNU tar does" {
	tree
	printf '*.o\ndir1/sub\n' >"$T/xlist"
	run same_as_gnu \
		"--exclude-ignore-recursive=.ignore src" \
		"--exclude-vcs-ignores src" \
		"--exclude-vcs-ignores --exclude-vcs src" \
		"--exclude-ignore=.ignore src/ign/y src/proj" \
		"-X xlist src" \
		"--anchored -X xlist src"
	assert_success
	assert_output ""
}

@test "tarstream renames members and link targets with --transform as GNU tar does" {
	set -f
	tree
	run same_as_gnu \
		"--transform=s/^src/dst/ src" \
		"--transform=s,dir1,DIR,g src" \
		"--xform=s/\(.*\)\.c$/\1.cpp/ src" \
		"--transform=s/[a-z]/X/2S src" \
		"--transform=s/.*/\U&/ src" \
		"--transform=s/dir1/D/;s/sub/S/ src" \
		"--transform=s/a.c/z.c/S src" \
		"--transform=s/a.c/z.c/h src" \
		"--transform=s/a\.c/z.c/s src" \
		"--transform=flags=r;s/sub/SUB/ src" \
		"--transform=s/DIR1/d/i src" \
		"--transform=s/x/y/x --transform=s/(.)\.c$/\1.h/x src" \
		"--exclude=dir1 --transform=s/^src/dir1/ src"
	assert_success
	assert_output ""
}

# GNU tar stores the names its transform empties or makes absolute, and
# drops or strips them when it extracts; tarstream does so at once.  What
# GNU tar extracts is then the same.
@test "tarstream drops names a transform empties and strips the ones it makes absolute" {
	set -f
	tree
	compare=extracted run same_as_gnu \
		"--transform=s/^src\/Dir2.*// src" \
		"--transform=s/^src.*// src" \
		"--transform=s,^,/abs/, src"
	assert_success
	assert_output ""
	tarstream --transform='s/^src\/Dir2.*//' -f "$T/e.tar" -C "$T" src
	run tar -tf "$T/e.tar"
	refute_line ""
	refute_output --partial "Dir2"
}

@test "tarstream refuses a malformed transform, a bad date and conflicting -g, with status 2" {
	tree
	cd "$T"
	for bad in "--transform=s/a/b" "--transform=s/a/b/q" "--transform=x/a/b/" \
		"--transform=s/\(/x/" "--newer=not-a-date" "--newer-mtime=2024-13-45" \
		"--after-date=./no-such-file" "-g snap --newer=@0" \
		"-g snap --format=ustar" "--dump-level=1 -g snap" "--dump-level=0"; do
		read -ra args <<<"$bad"
		run tarstream "${args[@]}" -f "$T/out.tar" "$T/src"
		assert_failure 2
		assert_output --partial "tarstream: "
		[ ! -e "$T/out.tar" ]
		[ ! -e snap ]
	done
}

@test "tarstream selects by date with -N, --after-date and --newer-mtime as GNU tar does" {
	tree
	find "$T/src" -exec touch -h -d '2020-01-01 00:00:00' {} +
	touch -d '2022-06-01 12:00:00' "$T/src/a.c" "$T/src/dir1/sub/f.c"
	touch -d '2021-01-01' "$T/ref"
	run same_as_gnu \
		"--newer-mtime=2021-01-01 src" \
		"--newer-mtime=@1640995200 src" \
		"--newer-mtime=2022-06-01T12:00:00 src" \
		"--newer-mtime=2022-06-01T12:00:01 src" \
		"--newer-mtime=./ref src" \
		"--newer-mtime=$T/ref src" \
		"-N 2021-01-01 src" \
		"--after-date=@2000000000 src" \
		"--newer=2100-01-01 src"
	assert_success
	assert_output ""
}

# A tree at three moments, for incremental chains: files changed, added,
# removed; a directory renamed, removed, a file turned into a directory;
# symbolic links changed and added.
chain_state() {
	local s="$T/src"
	case $1 in
	0)
		mkdir -p "$s/d1" "$s/d2"
		echo a >"$s/a" && echo b >"$s/b" && echo keep >"$s/keep"
		echo x >"$s/d1/x" && echo y >"$s/d2/y"
		ln -s a "$s/ln"
		;;
	1)
		echo a2 >>"$s/a" && rm "$s/b" && echo c >"$s/c"
		mv "$s/d1" "$s/d3" && mkdir "$s/d4" && echo z >"$s/d4/z"
		ln -sfn keep "$s/ln"
		;;
	2)
		# keep is made before d2 goes: a new directory that got
		# d2's inode number would be d2 renamed, to GNU tar's rule
		# (renames are found by device and inode) and to ours.
		rm "$s/keep" && mkdir "$s/keep" && echo k >"$s/keep/k"
		rm -r "$s/d2" && echo x2 >>"$s/d3/x" && ln -s x "$s/d3/l2"
		;;
	esac
	rm -rf "$T/state$1" && cp -a "$s" "$T/state$1"
}

# dump PROGRAM LEVEL [OPTIONS]: one dump of src into $T/lLEVEL.tar with
# the snapshot $T/snap, by tarstream (ts) or GNU tar (gnu).
dump() {
	local prog=$1 level=$2
	shift 2
	if [ "$prog" = ts ]; then
		tarstream "$@" -g "$T/snap" -f "$T/l$level.tar" -C "$T" src
	else
		tar "$@" -g "$T/snap" -cf "$T/l$level.tar" -C "$T" src
	fi
}

# chain P0 P1 P2 [OPTIONS]: three dumps by the programs given, each
# restored by GNU tar on top of the last and compared with the tree as
# it was dumped.
chain() {
	local p=($1 $2 $3)
	shift 3
	mkdir -p "$T/r"
	for level in 0 1 2; do
		chain_state $level
		dump "${p[$level]}" $level "$@" || return 1
		(cd "$T/r" && tar -x --listed-incremental=/dev/null -f "$T/l$level.tar") || return 1
		diff -r --no-dereference "$T/state$level" "$T/r/src" || {
			echo "level $level differs"
			return 1
		}
	done
}

@test "a tarstream chain of three incremental dumps restores with GNU tar at each level" {
	run chain ts ts ts
	assert_success
	# The level 2 dump holds what changed, not the unchanged files.
	run tar -tf "$T/l2.tar"
	assert_line "src/d3/x"
	refute_line "src/a"
	refute_line "src/d4/z"
}

@test "a tarstream chain in GNU format restores with GNU tar at each level" {
	run chain ts ts ts --format=gnu
	assert_success
}

@test "a chain started by GNU tar goes on with tarstream, and the other way round" {
	run chain gnu ts gnu --format=gnu
	assert_success
	rm -rf "$T/r" "$T/src" "$T/snap"
	run chain ts gnu ts --format=gnu
	assert_success
}

@test "a corrupt or unreadable snapshot is a clear error with status 2, the snapshot untouched" {
	chain_state 0
	printf 'GNU tar-1.34-2\n123\0garbage' >"$T/snap"
	cp "$T/snap" "$T/snap.orig"
	run tarstream -g "$T/snap" -f "$T/out.tar" -C "$T" src
	assert_failure 2
	assert_output --partial "tarstream: $T/snap: "
	cmp "$T/snap" "$T/snap.orig"
	[ ! -e "$T/out.tar" ]
	mkdir "$T/dsnap"
	run tarstream -g "$T/dsnap" -f "$T/out.tar" -C "$T" src
	assert_failure 2
	assert_output --partial "tarstream: $T/dsnap"
	[ -d "$T/dsnap" ] && [ ! -e "$T/out.tar" ]
	[ "$(ls -A "$T")" = "$(printf 'dsnap\nsnap\nsnap.orig\nsrc\nstate0')" ]
}

@test "the snapshot is replaced only when the archive is complete" {
	chain_state 0
	dump ts 0
	cp "$T/snap" "$T/snap.orig"
	chain_state 1
	gen "$T/src/big" 4000000
	run tarstream -g "$T/snap" -f /dev/full -C "$T" src
	assert_failure 2
	cmp "$T/snap" "$T/snap.orig"
	# A reader that goes away: the archive is not complete.
	run bash -c "tarstream -g '$T/snap' -C '$T' src | head -c 1000 >/dev/null"
	cmp "$T/snap" "$T/snap.orig"
	[ "$(ls -A "$T")" = "$(printf 'l0.tar\nsnap\nsnap.orig\nsrc\nstate0\nstate1')" ]
	# Complete: replaced.
	dump ts 1
	! cmp -s "$T/snap" "$T/snap.orig"
}

@test "a missing snapshot, --dump-level=0 or GNU tar's --level=0 makes a full dump" {
	chain_state 0
	dump ts 0
	run tar -tf "$T/l0.tar"
	assert_line "src/a"
	chain_state 1
	dump ts 1 --dump-level=0
	run tar -tf "$T/l1.tar"
	assert_line "src/keep"
	assert_line "src/d3/x"
	# GNU tar's spelling, beside a compression level.
	dump ts 1 --level=0
	run tar -tf "$T/l1.tar"
	assert_line "src/keep"
	# Without -g, 0 is a compression level, and out of range.
	run tarstream --level=0 -z -C "$T" src
	assert_failure 2
	assert_output --partial "out of gzip's range"
	run tarstream --dump-level=0 -C "$T" src
	assert_failure 2
	assert_output --partial "needs -g"
}

@test "the manifest checks with sha256sum -c on the tree GNU tar extracts" {
	tree
	gen "$T/src/big" 3000000
	truncate -s 5M "$T/src/sparse" && echo end >>"$T/src/sparse"
	: >"$T/src/empty"
	printf 'odd\n' >"$T/src/new
line"
	printf 'odd\n' >"$T/src/back\\slash"
	tarstream --manifest="$T/m.sha" -f "$T/m.tar" -C "$T" src
	mkdir "$T/x" && tar -xf "$T/m.tar" -C "$T/x"
	run bash -c "cd '$T/x' && sha256sum --strict -c '$T/m.sha'"
	assert_success
	# Every regular file once (a hard link's second name has no line).
	[ "$(grep -c ': OK$' <<<"$output")" -eq "$(find "$T/src" -type f -printf '%i\n' | sort -u | wc -l)" ]
	# A wrong byte is caught.
	echo tampered >>"$T/x/src/dir1/sub/f.c"
	run bash -c "cd '$T/x' && sha256sum -c '$T/m.sha'"
	assert_failure
	assert_output --partial "src/dir1/sub/f.c: FAILED"
}

@test "the manifest is not left behind when the archive fails" {
	tree
	run tarstream --manifest="$T/m.sha" -f /dev/full -C "$T" src
	assert_failure 2
	[ ! -e "$T/m.sha" ]
	run tarstream --manifest="$T/no/such/m.sha" -C "$T" src
	assert_failure 2
	assert_output --partial "$T/no/such/m.sha"
}
