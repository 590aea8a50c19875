#!/usr/bin/env bats
# A staged install (make install DESTDIR=...), used as a user would use the
# installed tree: the programs, the man pages, the completions through
# bash-completion's own loader, the library through pkg-config only (the
# examples), then make uninstall.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
build=${SK_BUILD:-build}
progs="substream spoolbuf pump tarstream"
# The version and the ABI number, from where they are written.
version=$(sed -n 's/^.define SK_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\)$/\2/p' \
	"$top/lib/streamkit.h" | paste -sd. -)
somajor=$(sed -n 's/^SOMAJOR *:= *\([0-9]*\)$/\1/p' "$top/Makefile")

setup_file() {
	export STAGE="$BATS_FILE_TMPDIR/stage"
	make -C "$top" --no-print-directory -s BUILD="$build" DESTDIR="$STAGE" install >/dev/null
	# The examples, built from their sources alone (never a binary built
	# before) against the staged tree alone.  A build error fails the
	# whole file: every test here stands on the installed tree.
	export EX="$BATS_FILE_TMPDIR/examples"
	mkdir "$EX"
	cp "$top"/examples/Makefile "$top"/examples/*.c "$EX"/
	PKG_CONFIG_PATH="$STAGE/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$STAGE" \
	    make -C "$EX" -s CFLAGS="-O2 -g -Wall -Wextra -Werror" >"$BATS_FILE_TMPDIR/ex.log" 2>&1 || {
		echo "# the examples do not build:" >&3
		sed 's/^/# /' "$BATS_FILE_TMPDIR/ex.log" >&3
		return 1
	}
}

setup() {
	P="$STAGE/usr/local"
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/sk-inst.XXXXXX")
	export LD_LIBRARY_PATH="$P/lib"
}

teardown() {
	rm -rf "$T"
}

@test "make install puts every file where its users look" {
	for p in $progs; do
		[ -x "$P/bin/$p" ]
		[ -f "$P/share/man/man1/$p.1" ]
		[ -f "$P/share/bash-completion/completions/$p" ]
		[ -f "$P/share/zsh/site-functions/_$p" ]
		[ -f "$P/share/fish/vendor_completions.d/$p.fish" ]
	done
	[ -f "$P/share/man/man3/streamkit.3" ]
	[ -f "$P/include/streamkit.h" ]
	[ -f "$P/lib/libstreamkit.a" ]
	[ -f "$P/lib/libstreamkit.so.$version" ]
	[ "$(readlink "$P/lib/libstreamkit.so.$somajor")" = "libstreamkit.so.$version" ]
	[ "$(readlink "$P/lib/libstreamkit.so")" = "libstreamkit.so.$somajor" ]
	grep -qx 'libdir=/usr/local/lib' "$P/lib/pkgconfig/streamkit.pc"
}

@test "the installed programs run, in a real pipeline" {
	for p in $progs; do
		run "$P/bin/$p" --version
		assert_success
		assert_output "$p (streamkit) $version"
	done
	mkdir "$T/src"
	echo data >"$T/src/f"
	"$P/bin/tarstream" -C "$T" src | "$P/bin/pump" -m 1M | "$P/bin/spoolbuf" |
	    "$P/bin/substream" | tar -x -C "$T/src" --strip-components=1 -f - -O >"$T/out"
	[ "$(cat "$T/out")" = data ]
}

@test "substream and pump do not load libarchive; tarstream does" {
	for p in substream pump spoolbuf; do
		run ldd "$P/bin/$p"
		refute_output --partial libarchive
		# Nor the compressors' libraries.
		for lib in libdeflate libbz2 liblz4 liblzma libzstd libz.so; do
			refute_output --partial "$lib"
		done
	done
	run ldd "$P/bin/tarstream"
	assert_output --partial libarchive
}

@test "the installed man pages render with man -l" {
	for page in "$P"/share/man/man1/*.1 "$P/share/man/man3/streamkit.3"; do
		run env MANWIDTH=80 man -l "$page"
		assert_success
		assert_output --partial "NAME"
		assert_output --partial "SYNOPSIS"
	done
	run env MANWIDTH=80 man -l "$P/share/man/man3/streamkit.3"
	assert_output --partial "sk_tar_stream_open"
}

@test "bash-completion's loader finds the installed completions, and they complete" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	for p in $progs; do
		run env XDG_DATA_DIRS="$P/share" bash -c "
			source /usr/share/bash-completion/bash_completion
			_completion_loader $p
			complete -p $p | grep -q -- '-F _$p ' || exit 9
			COMP_WORDS=($p --he); COMP_CWORD=1; COMP_LINE='$p --he'; COMP_POINT=\${#COMP_LINE}
			\$(complete -p $p | sed 's/.*-F \([^ ]*\).*/\1/') $p --he $p
			echo \"\${COMPREPLY[*]}\""
		assert_success
		assert_output --partial "--help"
	done
}

@test "zsh and fish parse the installed completion files" {
	for p in $progs; do
		if command -v zsh >/dev/null; then zsh -n "$P/share/zsh/site-functions/_$p"; fi
		if command -v fish >/dev/null; then fish -n "$P/share/fish/vendor_completions.d/$p.fish"; fi
	done
	command -v zsh >/dev/null || command -v fish >/dev/null || skip "neither zsh nor fish"
}

@test "pkg-config describes the staged library" {
	run env PKG_CONFIG_PATH="$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$STAGE" \
	    pkg-config --cflags --libs streamkit
	assert_success
	assert_output --partial "-I$P/include"
	assert_output --partial "-L$P/lib -lstreamkit"
	run env PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --modversion streamkit
	assert_output "$version"
}

@test "the examples build through pkg-config alone, warning-clean, on the shared library" {
	run cat "$BATS_FILE_TMPDIR/ex.log"
	assert_output ""
	[ -x "$EX/catwindow" ] && [ -x "$EX/tarserve" ]
	run ldd "$EX/catwindow"
	assert_output --partial "$P/lib/libstreamkit.so.$somajor"
}

@test "example catwindow: a window across files and standard input" {
	printf 'hello world\n' >"$T/a"
	printf '0123456789\n' >"$T/b"
	run "$EX/catwindow" 6 10 "$T/a" "$T/b"
	assert_success
	assert_output "world
0123"
	run bash -c "'$EX/catwindow' 6 - '$T/a' - <'$T/b'"
	assert_output "world
0123456789"
	# Far into a large file: a seek, not a read.
	truncate -s 8G "$T/big"
	printf xyz >>"$T/big"
	run "$EX/catwindow" 8G 3 "$T/big"
	assert_output xyz
	run "$EX/catwindow" 0 1 "$T/a" "$T/missing"
	assert_failure 1
	assert_output --partial "$T/missing"
	run "$EX/catwindow" x 1 "$T/a"
	assert_failure 2
}

# serve ROOT [COUNT]: starts tarserve on a free port; sets URL and SPID.
serve() {
	"$EX/tarserve" -p 0 ${2:+-n "$2"} "$1" >"$T/url" 2>"$T/log" &
	SPID=$!
	local i
	for i in $(seq 100); do [ -s "$T/url" ] && break; sleep 0.05; done
	URL=$(head -n 1 "$T/url")
	[ -n "$URL" ]
}

stop() {
	kill "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
}

@test "example tarserve: a directory as .tar.zst, .tar.gz, .tar.bz2, .tar.xz, .tar.lz4, .tar and .zip over HTTP, extracted and compared" {
	mkdir -p "$T/root/some/dir/sub" "$T/x" "$T/y"
	head -c 3000000 /dev/urandom >"$T/root/some/dir/blob"
	echo text >"$T/root/some/dir/sub/f"
	ln -s sub/f "$T/root/some/dir/link"
	printf 'caf\xc3\xa9 name' >"$T/root/some/dir/caf$(printf '\xc3\xa9')"
	serve "$T/root"
	run curl -sS -D "$T/headers" -o "$T/dl.tar.zst" "$URL/some/dir"
	assert_success
	grep -qi '^transfer-encoding: chunked' "$T/headers"
	grep -qi '^content-type: application/zstd' "$T/headers"
	zstd -t -q "$T/dl.tar.zst"
	tar --zstd -x -f "$T/dl.tar.zst" -C "$T/x"
	diff -r "$T/root/some/dir" "$T/x/dir"
	[ "$(readlink "$T/x/dir/link")" = sub/f ]
	# Each format through its own tool, named and typed as it is.
	for f in gz:gzip:gzip bz2:bzip2:x-bzip2 xz:xz:x-xz lz4:lz4:x-lz4 tar:cat:x-tar; do
		IFS=: read -r fmt tool type <<<"$f"
		rm -rf "$T/y" && mkdir "$T/y"
		curl -sS -D "$T/headers" -o "$T/dl" "$URL/some/dir?format=$fmt"
		grep -qi "^content-type: application/$type" "$T/headers"
		if [ "$fmt" = tar ]; then name=dir.tar; else name=dir.tar.$fmt; fi
		grep -qi "filename=\"$name\"" "$T/headers"
		if [ "$tool" = cat ]; then
			tar -x -C "$T/y" <"$T/dl"
		else
			"$tool" -t -q "$T/dl"
			"$tool" -dc <"$T/dl" | tar -x -C "$T/y"
		fi
		diff -r "$T/root/some/dir" "$T/y/dir"
	done
	# A zip for those without tar: read by unzip, named and typed as one.
	rm -rf "$T/y" && mkdir "$T/y"
	curl -sS -D "$T/headers" -o "$T/dl.zip" "$URL/some/dir?format=zip"
	grep -qi '^content-type: application/zip' "$T/headers"
	grep -qi 'filename="dir.zip"' "$T/headers"
	unzip -tq "$T/dl.zip"
	# (unzip names UTF-8 entries in the locale's character set)
	(cd "$T/y" && LC_ALL=C.UTF-8 unzip -q "$T/dl.zip")
	diff -r "$T/root/some/dir" "$T/y/dir"
	[ "$(readlink "$T/y/dir/link")" = sub/f ]
	stop
}

@test "example tarserve: paths outside the root get 403, others 404, 405, 400" {
	mkdir -p "$T/root/d" "$T/secret"
	echo no >"$T/secret/key"
	ln -s "$T/secret" "$T/root/out"
	echo f >"$T/root/file"
	serve "$T/root"
	code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
	[ "$(code "$URL/../secret")" = 403 ]
	[ "$(code "$URL/%2e%2e/secret")" = 403 ]
	[ "$(code "$URL/d/../../secret")" = 403 ]
	[ "$(code "$URL/out")" = 403 ]
	[ "$(code "$URL/nothing")" = 404 ]
	[ "$(code "$URL/file")" = 404 ]
	[ "$(code -X POST "$URL/d")" = 405 ]
	[ "$(code "$URL/d?format=rar")" = 400 ]
	[ "$(code "$URL/d%00x")" = 400 ]
	[ "$(code -I "$URL/d")" = 200 ]
	# The server is still up after all that.
	[ "$(code "$URL/d")" = 200 ]
	stop
}

@test "example tarserve: memory stays bounded on a large tree; a client that leaves stops the walk" {
	[ -z "${SK_SANITIZED:-}" ] || skip "RSS is not measured under ASan"
	mkdir -p "$T/root/big"
	head -c 128M /dev/urandom >"$T/root/big/a"
	cp "$T/root/big/a" "$T/root/big/b"
	/usr/bin/time -f %M -o "$T/rss" "$EX/tarserve" -n 2 -p 0 "$T/root" >"$T/url" 2>"$T/log" &
	SPID=$!
	for i in $(seq 100); do [ -s "$T/url" ] && break; sleep 0.05; done
	URL=$(head -n 1 "$T/url")
	curl -sS "$URL/big?format=tar" | tar -t >"$T/list"
	[ "$(cat "$T/list")" = "big/
big/a
big/b" ] || [ "$(sort "$T/list")" = "big/
big/a
big/b" ]
	# A client that reads 1 MiB and hangs up.
	curl -sS "$URL/big?format=tar" 2>/dev/null | head -c 1M >/dev/null || true
	wait "$SPID"
	echo "peak RSS $(cat "$T/rss") KiB for 256 MiB served twice"
	[ "$(cat "$T/rss")" -lt 32768 ]
}

@test "make uninstall removes every installed file; a second install honours the directory variables" {
	run make -C "$top" --no-print-directory -s BUILD="$build" DESTDIR="$STAGE" uninstall
	assert_success
	run find "$STAGE" ! -type d
	assert_output ""
	S2="$T/stage2"
	make -C "$top" --no-print-directory -s BUILD="$build" DESTDIR="$S2" PREFIX=/opt/sk \
	    LIBDIR=/opt/sk/lib64 MANDIR=/opt/sk/man BINDIR=/opt/sk/sbin INCLUDEDIR=/opt/sk/inc install
	[ -x "$S2/opt/sk/sbin/pump" ]
	[ -f "$S2/opt/sk/lib64/libstreamkit.so.$version" ]
	[ -f "$S2/opt/sk/man/man3/streamkit.3" ]
	[ -f "$S2/opt/sk/inc/streamkit.h" ]
	grep -qx 'libdir=/opt/sk/lib64' "$S2/opt/sk/lib64/pkgconfig/streamkit.pc"
	grep -qx 'includedir=/opt/sk/inc' "$S2/opt/sk/lib64/pkgconfig/streamkit.pc"
	make -C "$top" --no-print-directory -s BUILD="$build" DESTDIR="$S2" PREFIX=/opt/sk \
	    LIBDIR=/opt/sk/lib64 MANDIR=/opt/sk/man BINDIR=/opt/sk/sbin INCLUDEDIR=/opt/sk/inc uninstall
	run find "$S2" ! -type d
	assert_output ""
}
