#!/bin/sh
# Install what streamkit needs from Debian 12's archive, and nothing else.
#
#   scripts/deps.sh [build] [test] [bench] [fuzz] [deb] [valgrind]   (default: build test)
#
# As root it runs apt-get; otherwise it prints the exact command to run and
# exits 1, so that `make demo` and `make check` stop before building with
# half the tools.  Every make target and .ci/run install through this file.
set -eu

groups=${*:-build test}
pkgs=
for g in $groups; do
	case $g in
	build) pkgs="$pkgs gcc make pkg-config libarchive-dev libzstd-dev liblzma-dev libdeflate-dev zlib1g-dev libbz2-dev liblz4-dev libssl-dev" ;;
	test) pkgs="$pkgs bats bats-assert bats-support mandoc man-db python3 time procps zsh fish unzip zip sqlite3 acl curl bash-completion zstd strace bzip2 xz-utils libarchive-tools moreutils pv mbuffer lz4 pigz parallel" ;;
	bench) pkgs="$pkgs moreutils pv mbuffer libarchive-tools zstd xz-utils time bc gnuplot-nox pigz pbzip2 lbzip2 lz4 bzip2 liburing-dev" ;;
	fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
	deb) pkgs="$pkgs build-essential dpkg-dev debhelper fakeroot lintian" ;;
	valgrind) pkgs="$pkgs valgrind" ;;
	*) echo "deps.sh: unknown group: $g (build, test, bench, fuzz, deb, valgrind)" >&2; exit 2 ;;
	esac
done

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "streamkit needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once, then install.
apt-get update -qq >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
