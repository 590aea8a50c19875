#!/usr/bin/env bash
# pump against cat, pv -q and mbuffer -q, pipe to pipe.
# Targets (issue 3): at least 1.5x the faster of pv and mbuffer and at
# least 2x cat; peak RSS at most the queue plus 4 MiB; with a bursty
# source and a bursty sink, total time close to the slower side alone.
# Issue 16: the display at the default interval costs at most 2%.
. "$(dirname "$0")/lib.sh"
SIZE_MIB=${SIZE_MIB:-2048}
Q=16M

echo "## pump"
echo
gen "$WORK/data" "$SIZE_MIB"
cat "$WORK/data" >/dev/null

# Two kinds of pipe ends: plain read/write (cat), and ends that move pages
# (a sendfile source and a splice sink, substream's), so that the tool in
# the middle is what is measured.
for ends in cat splice; do
	if [ $ends = cat ]; then
		src="cat $WORK/data"
		sink="cat >/dev/null"
	else
		src="substream $WORK/data"
		sink="substream >/dev/null"
	fi
	table_head "${SIZE_MIB} MiB pipe to pipe, ends: $ends"
	case_ "pump -m $Q" "$SIZE_MIB" "$src | $RSS pump -m $Q | $sink"
	case_ "cat" "$SIZE_MIB" "$src | $RSS cat | $sink"
	case_ "pv -q" "$SIZE_MIB" "$src | $RSS pv -q | $sink"
	case_ "mbuffer -q -m $Q" "$SIZE_MIB" "$src | $RSS mbuffer -q -m $Q | $sink"
	case_ "pump -m $Q -o - -o /dev/null (ring, fan-out)" "$SIZE_MIB" "$src | $RSS pump -m $Q -o - -o /dev/null | $sink"
done

# What the display costs: pv's full line (-f, into a log, once a second,
# the default interval) against no display, 1 GiB pipe to pipe with
# splicing ends.  Target (issue 16): at most 2% slower.  -l counts lines,
# so the bytes pass through user space: its own row, against -C.
gen "$WORK/data1g" 1024
cat "$WORK/data1g" >/dev/null
table_head "1024 MiB: the cost of the display at the default interval"
src="substream $WORK/data1g"
sink="substream >/dev/null"
case_ "pump -m $Q -q" 1024 "$src | $RSS pump -m $Q -q | $sink"
case_ "pump -m $Q -f -pterbaT" 1024 "$src | $RSS pump -m $Q -f -pterbaT 2>/dev/null | $sink"
case_ "pump -m $Q -f -pterbaT -i 0.1 (10x the default)" 1024 "$src | $RSS pump -m $Q -f -pterbaT -i 0.1 2>/dev/null | $sink"
case_ "pump -m $Q -f -n" 1024 "$src | $RSS pump -m $Q -f -n 2>/dev/null | $sink"
case_ "pump -m $Q -C -q" 1024 "$src | $RSS pump -m $Q -C -q | $sink"
case_ "pump -m $Q -f -l -pterb" 1024 "$src | $RSS pump -m $Q -f -l -pterb 2>/dev/null | $sink"
case_ "pv -f -pterbaT" 1024 "$src | $RSS pv -f -pterbaT 2>/dev/null | $sink"
rm -f "$WORK/data1g"

# Bursts against a steady drain: the source writes 8 MiB at once and then
# rests 0.2 s; the sink reads 1 MiB every 25 ms (the same 40 MiB/s on
# average).  Each side alone takes about 24 x 0.2 = 4.8 s.  Without a
# buffer the source waits for the sink to drain each burst before it may
# rest, and the sink idles while it rests: about the sum, 9.6 s.  A queue
# larger than a burst lets both run at once: close to the slower alone.
cat >"$WORK/burst.py" <<'PY'
import os, sys, time
n, mode = int(sys.argv[1]), sys.argv[2]
if mode == "src":
    block = b"\0" * (8 << 20)
    for i in range(n):
        sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
        time.sleep(0.2)
else:
    while True:
        want, part = 1 << 20, 0
        while part < want:
            b = os.read(0, want - part)
            if not b:
                sys.exit(0)
            part += len(b)
        time.sleep(0.025)
PY
B="python3 $WORK/burst.py 24"
table_head "a bursty source into a steady sink, 24 x 8 MiB (MiB/s of 192 MiB)"
case_ "source alone" 192 "$B src >/dev/null"
case_ "sink alone" 192 "head -c 192M /dev/zero | $B sink"
case_ "pump -m 32M" 192 "$B src | $RSS pump -m 32M | $B sink"
case_ "mbuffer -q -m 32M" 192 "$B src | $RSS mbuffer -q -m 32M | $B sink"
case_ "pv -q" 192 "$B src | $RSS pv -q | $B sink"
case_ "cat" 192 "$B src | $RSS cat | $B sink"
