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
