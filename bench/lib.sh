# bench/lib.sh - shared by the benchmarks.  Sourced, not run.
#
# Each benchmark runs its tool side by side with peers in one run (the
# machine is shared and noisy: compare ratios within a run, never absolute
# times) and prints a Markdown table: seconds (best of $BENCH_RUNS),
# throughput, ratio to the first row, and the tool's peak RSS.

set -eu
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd)
PATH="$BIN:$PATH"
BENCH_RUNS=${BENCH_RUNS:-3}
WORK=$(mktemp -d "${BENCH_TMP:-/var/tmp}/sk-bench.XXXXXX")
trap 'table_end; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
# Each row also goes to $BENCH_DATA (tab-separated, for bench/report.sh):
# program, table, label, seconds, MiB/s, ratio, peak RSS MiB, CPU.
BENCH_DATA=${BENCH_DATA:-/dev/null}
BENCH_PROG=$(basename "$0" .sh)
TABLE=

# The prefix a case puts before the one process whose memory is measured.
RSS="/usr/bin/time -f %M,%P -o $WORK/rss"

# gen FILE MIB: incompressible data, quickly (a repeated random block
# would compress; urandom in 1 MiB blocks is fast enough for a few GiB).
gen() {
	[ -s "$1" ] || head -c "$(($2 << 20))" /dev/urandom >"$1"
}

# table_head TITLE: starts a table.
table_head() {
	table_end
	printf '\n### %s\n\n' "$1"
	printf '| command | seconds | MiB/s | ratio | peak RSS (MiB) | CPU |\n'
	printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
	BASE=
	TABLE=$1
}

# table_end: the exact commands of the table just printed (bench/results.md
# must say what was run); table_head and the end of the script call it.
table_end() {
	[ -s "$WORK/cmds" ] || return 0
	printf '\n<details><summary>exact commands</summary>\n\n```sh\n'
	cat "$WORK/cmds"
	printf '```\n</details>\n'
	: >"$WORK/cmds"
}

# case LABEL MIB CMD: runs bash -c CMD BENCH_RUNS times; prints a row.
# MIB is the amount of data that counts for throughput; the first case of
# a table is the base of the ratios (ratio = base time / this time).  When
# CASE_PRE is set, it runs untimed before each run (say, to warm a cache
# that a tool released).  CPU is the measured process's, in percent.
case_() {
	local label=$1 mib=$2 cmd=$3 best= t0 t1 dt rss=0 cpu=- i
	for i in $(seq "$BENCH_RUNS"); do
		rm -f "$WORK/rss"
		[ -z "${CASE_PRE:-}" ] || bash -c "$CASE_PRE"
		t0=$(date +%s.%N)
		bash -c "$cmd" >/dev/null 2>"$WORK/err" || {
			echo "bench: failed: $cmd" >&2
			cat "$WORK/err" >&2
			return 1
		}
		t1=$(date +%s.%N)
		dt=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$dt < $best" | bc -l)" = 1 ]; then best=$dt; fi
		if [ -s "$WORK/rss" ]; then
			rss=$(tail -n 1 "$WORK/rss" | cut -d, -f1)
			cpu=$(tail -n 1 "$WORK/rss" | cut -d, -f2)
		fi
	done
	[ -n "$BASE" ] || BASE=$best
	local row
	row=$(printf '%.3f\t%.0f\t%.2f\t%.1f\t%s' "$best" \
	    "$(echo "$mib / $best" | bc -l)" "$(echo "$BASE / $best" | bc -l)" \
	    "$(echo "$rss / 1024" | bc -l)" "$cpu")
	printf '| `%s` | %s |\n' "$label" "$(printf '%s' "$row" | sed 's/\t/ | /g')"
	printf '%s\t%s\t%s\t%s\n' "$BENCH_PROG" "$TABLE" "$label" "$row" >>"$BENCH_DATA"
	# The command as run, with the scratch directory named, and the
	# measuring prefix left out.
	printf '%s\n' "$cmd" | sed -e "s|$RSS ||g" -e "s|$WORK|\$WORK|g" >>"$WORK/cmds"
}

# sized LABEL MIB CMD: a case whose command writes to standard output,
# kept in a file whose size goes to the next sizes table.
sized() {
	local label=$1 mib=$2 cmd=$3
	case_ "$label" "$mib" "$cmd >$WORK/out"
	stat -c %s "$WORK/out" >"$WORK/size.$label"
	printf '%s\n' "$label" >>"$WORK/labels"
	rm -f "$WORK/out"
}

# sizes TITLE REF-LABEL: the bytes each sized case since the last sizes
# table wrote, and their ratio to REF-LABEL's.
sizes() {
	local ref=$2 refsize label s
	refsize=$(cat "$WORK/size.$ref")
	printf '\n| %s | bytes | vs `%s` |\n| --- | ---: | ---: |\n' "$1" "$ref"
	while IFS= read -r label; do
		s=$(cat "$WORK/size.$label")
		printf '| `%s` | %s | %.4f |\n' "$label" "$s" "$(echo "$s / $refsize" | bc -l)"
	done <"$WORK/labels"
	: >"$WORK/labels"
}
