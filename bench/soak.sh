#!/usr/bin/env bash
# bench/soak.sh - tens of GiB through pump, spoolbuf and substream, with
# each one's resident memory sampled over the whole run: it must stay
# flat (no leak, no growth with the amount of data).  A benchmark, not a
# test: `make soak` (SOAK_GIB=N scales it; spoolbuf's spool file needs
# that much room in $BENCH_TMP, /var/tmp by default).
#
# Prints a Markdown table (GiB, seconds, RSS at the start, median, peak,
# and the growth from the second quarter of the run, once queues and
# spools have filled, to the last) and, with
# gnuplot, writes bench/soak.png (RSS over time).
. "$(dirname "$0")/lib.sh"
GIB=${SOAK_GIB:-20}
OUT=${SOAK_OUT:-$(dirname "$0")}

echo "## soak: $GIB GiB per run"
echo
echo "$(uname -srm), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo '| run | GiB | seconds | RSS start (MiB) | median | peak | growth, 2nd to last quarter |'
echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'

# soak NAME CMD: runs "head -c GIB | CMD >/dev/null", sampling the RSS of
# CMD's process every 0.2 s into $WORK/NAME.rss (seconds, KiB).
N=0
soak() {
	local label=$1 cmd=$2 pid t0 name
	N=$((N + 1))
	name=$N
	echo "$label" >"$WORK/label.$N"
	t0=$(date +%s.%N)
	bash -c "head -c ${GIB}G /dev/zero | $cmd >/dev/null" &
	local shell=$!
	# The measured process: the last of the pipeline, a child of bash.
	for _ in $(seq 100); do
		pid=$(pgrep -P "$shell" -n) && [ -n "$pid" ] && break
		sleep 0.02
	done
	: >"$WORK/$name.rss"
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
		[ -n "$rss" ] && echo "$(echo "$(date +%s.%N) - $t0" | bc -l) $rss" >>"$WORK/$name.rss"
		sleep 0.2
	done
	wait "$shell" || { echo "soak: $label failed" >&2; return 1; }
	local dt
	dt=$(echo "$(date +%s.%N) - $t0" | bc -l)
	python3 - "$WORK/$name.rss" "$label" "$GIB" "$dt" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
kib = [r[1] for r in rows]
q = max(1, len(kib) // 4)
first, last = statistics.mean(kib[q:2 * q]), statistics.mean(kib[-q:])
print("| `%s` | %s | %.1f | %.1f | %.1f | %.1f | %+.2f |" % (
    sys.argv[2], sys.argv[3], float(sys.argv[4]), kib[0] / 1024,
    statistics.median(kib) / 1024, max(kib) / 1024, (last - first) / 1024))
PY
	cp "$WORK/$name.rss" "$WORK/plot.$name"
}

soak "pump -m 16M" "pump -m 16M"
soak "pump -m 16M (ring: -o - -o /dev/null)" "pump -m 16M -o - -o /dev/null"
soak "spoolbuf -m 8M" "spoolbuf -m 8M"
soak "substream -r 1G:-1G" "substream -r 1G:-1G"
soak "substream --lines -r 10:-10 (a ring of lines)" "tr '\\0' '\\n' | substream --lines -r 10:-10"

if command -v gnuplot >/dev/null; then
	{
		echo "set terminal pngcairo size 1000,500 font 'sans,9'"
		echo "set output '$OUT/soak.png'"
		echo "set title 'Resident memory over a soak run of $GIB GiB each'"
		echo "set xlabel 'seconds'; set ylabel 'RSS (MiB)'; set grid; set key outside bottom center horizontal"
		echo "set yrange [0:*]"
		printf 'plot '
		sep=
		for f in "$WORK"/plot.*; do
			printf "%s'%s' using 1:(\$2/1024) with lines lw 2 title '%s'" "$sep" "$f" \
			    "$(cat "$WORK/label.${f##*/plot.}")"
			sep=", "
		done
		echo
	} | gnuplot && echo && echo "![soak](soak.png)"
fi
