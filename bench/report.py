#!/usr/bin/env python3
"""bench/report.py DATA TABLES OUTDIR [README]

Turns one `make bench` run into its report:
  OUTDIR/results.md   how it was run, a summary, then every table;
  OUTDIR/PROG.png     one chart per program (gnuplot), a panel per table.
DATA is the rows the benchmarks wrote (bench/lib.sh: program, table, label,
seconds, MiB/s, ratio, peak RSS MiB, CPU, tab-separated); TABLES is their
Markdown output.  With README, the text between the markers
<!-- bench:begin --> and <!-- bench:end --> is replaced by the summary.
"""
import os
import platform
import re
import subprocess
import sys
import time

OURS = ("substream", "spoolbuf", "pump", "tarstream", "skcompress")


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 8:
                continue
            rows.append(dict(prog=p[0], table=p[1], label=p[2], secs=float(p[3]),
                             mibs=float(p[4]), ratio=float(p[5]), rss=float(p[6]),
                             cpu=p[7]))
    return rows


def ours(row):
    return row["label"].split()[0] in OURS


def grouped(rows):
    progs = {}
    for r in rows:
        progs.setdefault(r["prog"], {}).setdefault(r["table"], []).append(r)
    return progs


def cell(text):
    """A table cell: a | would end it, even inside a code span."""
    return text.replace("|", "\\|")


def escape_rows(body):
    """Escapes the | inside code spans of the tables' rows."""
    fix = lambda m: m.group(0).replace("|", "\\|")
    return "\n".join(re.sub(r"`[^`]*`", fix, line) if line.startswith("| `") else line
                     for line in body.split("\n"))


def summary(progs):
    out = ["| program | case | streamkit | MiB/s | fastest other | MiB/s | speed | RSS MiB (ours / other) |",
           "| --- | --- | --- | ---: | --- | ---: | ---: | ---: |"]
    for prog, tables in progs.items():
        for table, rs in tables.items():
            mine = [r for r in rs if ours(r)]
            other = [r for r in rs if not ours(r)]
            if not mine or not other:
                continue
            m = mine[0]
            o = max(other, key=lambda r: r["mibs"])
            speed = m["mibs"] / o["mibs"] if o["mibs"] else 0
            out.append("| %s | %s | `%s` | %.0f | `%s` | %.0f | **%.2fx** | %.1f / %.1f |" % (
                prog, cell(table), cell(m["label"]), m["mibs"], cell(o["label"]), o["mibs"],
                speed, m["rss"], o["rss"]))
    return "\n".join(out) + "\n"


def gp_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def chart(prog, tables, outdir):
    """One PNG, a panel per table: MiB/s per command, ours in blue."""
    data = os.path.join(outdir, ".%s.dat" % prog)
    n = len(tables)
    height = 260 * n + 60
    script = ["set terminal pngcairo size 1000,%d font 'sans,9'" % height
              if has_cairo() else "set terminal png size 1000,%d" % height,
              "set output %s" % gp_quote(os.path.join(outdir, prog + ".png")),
              "set multiplot layout %d,1 title %s" % (n, gp_quote(
                  prog + ": throughput in MiB/s, higher is better (streamkit in blue)")),
              "set style fill solid 0.8 border -1",
              "set boxwidth 0.6",
              "set yrange [0:*]",
              "set grid ytics",
              "set xtics rotate by -20 left",
              "set bmargin 5",
              "set rmargin 12",
              "set offsets 0.5, 0.5, graph 0.15, 0",
              "unset key"]
    with open(data, "w") as f:
        for i, (table, rs) in enumerate(tables.items()):
            for j, r in enumerate(rs):
                label = r["label"] if len(r["label"]) <= 38 else r["label"][:36] + ".."
                f.write("%d %.1f %d %s\n" % (j, r["mibs"], 0x2f6fd0 if ours(r) else 0x9a9a9a,
                                             gp_quote(label)))
            f.write("\n\n")
            title = table if len(table) <= 110 else table[:108] + ".."
            script.append("set title %s" % gp_quote(title))
            script.append("plot %s index %d using 1:2:3:xtic(4) with boxes lc rgb variable, "
                          "'' index %d using 1:2:(sprintf('%%.0f', $2)) with labels offset 0,0.7"
                          % (gp_quote(data), i, i))
    script.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)
    os.unlink(data)


_cairo = None


def has_cairo():
    global _cairo
    if _cairo is None:
        r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _cairo = "pngcairo" in (r.stdout + r.stderr)
    return _cairo


def machine():
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1048576
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    u = platform.uname()
    return "%s %s %s, %s, %d cores, %.0f GiB RAM" % (u.system, u.release, u.machine, cpu or "?",
                                                    os.cpu_count(), mem)


def main():
    data, tables, outdir = sys.argv[1:4]
    readme = sys.argv[4] if len(sys.argv) > 4 else None
    rows = load(data)
    progs = grouped(rows)
    for prog, t in progs.items():
        chart(prog, t, outdir)
    summ = summary(progs)
    body = escape_rows(open(tables).read())
    # Each program's section gets its chart under its heading.
    for prog in progs:
        body = re.sub(r"^## %s\n" % re.escape(prog),
                      "## %s\n\n![%s](%s.png)\n" % (prog, prog, prog), body, flags=re.M)
    date = time.strftime("%Y-%m-%d", time.gmtime())
    head = """# streamkit benchmark report

Made by `make bench` on %s: %s.

Each benchmark runs streamkit side by side with its peers in one run, on
generated data (incompressible, from /dev/urandom; the tar trees are made
by the scripts), best of %s runs each.  Compare ratios within one run; the
machine is shared and absolute times vary.  *speed* below is streamkit's
throughput over the fastest other command of the same table; peak RSS is
the measured process's, from GNU time.  Every table lists its exact
commands (`$WORK` is the scratch directory).  Reproduce with `make bench`
(bench/*.sh, bench/report.py).

## Summary

""" % (date, machine(), os.environ.get("BENCH_RUNS", "3"))
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(head + summ + "\n" + body)
    if readme:
        text = open(readme).read()
        pat = re.compile(r"(<!-- bench:begin -->\n).*?(<!-- bench:end -->)", re.S)
        if pat.search(text):
            block = "Measured on %s (%s); full report: [bench/results.md](bench/results.md).\n\n%s" % (
                date, machine(), summ)
            text = pat.sub(lambda m: m.group(1) + block + m.group(2), text)
            with open(readme, "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
