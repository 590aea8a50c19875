#!/bin/sh
# A short tour of the tools, run on this project's own tree by `make demo`.
# Each program adds its step here.
set -eu
bin=${1:-build/bin}
cd "$(dirname "$0")/.."
PATH="$bin:$PATH"

if [ -t 1 ]; then b=$(printf '\033[1m'); n=$(printf '\033[0m'); else b= n=; fi
say() { printf '\n%s$ %s%s\n' "$b" "$*" "$n"; }
run() { say "$*"; sh -c "{ $*; } 2>&1"; }

echo "streamkit $(substream --version | sed 's/.* //'): a tour on its own source tree"

run "substream --lines -r :3 README.md"
run "cat lib/streamkit.h | substream --lines -r -3:"
run "cat lib/*.c | substream -r 0+60,-60: | od -c | head -4"
run "substream -r 0x0+8 build/lib/libstreamkit.a | od -c"
run "substream --lines --strict -r 100000: README.md || echo \"(exit status \$?)\""
list=$(mktemp)
trap 'rm -f "$list"' EXIT
run "printf 'pear\\napple\\nfig\\n' >$list; sort $list | spoolbuf $list; cat $list"
run "cat lib/*.c | spoolbuf -m 64K -x wc -c {}"
run "cat README.md | spoolbuf --seek -90"
run "sort -r docs/ARCHITECTURE.md | spoolbuf --max 1K || echo \"(exit status \$?)\""
run "cat lib/*.c lib/*.h | pump -m 64K --stats | wc -c"
run "pump -L 200K --progress=always README.md docs/ARCHITECTURE.md | wc -l"
run "tarstream --zstd --exclude-vcs --totals lib | tar --zstd -tvf - | head -4"
run "tarstream --reproducible --mtime=@0 -z docs | sha256sum"
echo
echo "More: man -l man/substream.1, man -l man/spoolbuf.1, man -l man/pump.1,"
echo "man -l man/tarstream.1"
