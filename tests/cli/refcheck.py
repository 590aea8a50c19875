#!/usr/bin/env python3
"""Random ranges checked against a reference model of substream.

refcheck.py bytes|lines COUNT SEED [spoolbuf]: runs COUNT random cases,
each on a regular file, a pipe, a concatenation of files and a file
followed by a pipe, and compares the output and exit status with the model
below.  With "spoolbuf", the ranges go to spoolbuf (bytes, no --strict),
on a pipe and on -i FILE.
Prints one line per mismatch and exits 1 if there was any.
"""
import os
import random
import subprocess
import sys
import tempfile

PROG = sys.argv[4] if len(sys.argv) > 4 else "substream"
SUB = os.path.join(os.environ["SK_BIN"], PROG)


def resolve(r, total):
    # Positions are (negative?, magnitude): "-0" counts from the end.
    (sneg, s), (eneg, e), has_end, is_len = r
    S = total - s if sneg else s
    if not has_end:
        E = total
    elif is_len:
        E = S + e
    else:
        E = total - e if eneg else e
    inside = 0 <= S <= total and 0 <= E <= total
    S = min(max(S, 0), total)
    E = min(max(E, 0), total)
    return S, max(E, S), inside


def split_lines(data, delim):
    out, start = [], 0
    while start < len(data):
        i = data.find(delim, start)
        end = len(data) if i < 0 else i + 1
        out.append(data[start:end])
        start = end
    return out


def model(data, ranges, lines, strict, delim=b"\n"):
    items = split_lines(data, delim) if lines else data
    out = b""
    for r in ranges:
        a, b, inside = resolve(r, len(items))
        if strict and not inside:
            return out, 1
        out += b"".join(items[a:b]) if lines else items[a:b]
    return out, 0


def text(r):
    (sneg, s), (eneg, e), has_end, is_len = r
    start = ("-" if sneg else "") + str(s)
    if is_len:
        return "%s+%d" % (start, e)
    return "%s:%s" % (start, (("-" if eneg else "") + str(e)) if has_end else "")


def rand_range(rng, n):
    def pos():
        v = rng.choice([0, 1, n // 2, max(n - 1, 0), n, n + 3, rng.randint(0, n + 2)])
        return (rng.random() < 0.35, v)
    kind = rng.random()
    if kind < 0.25:
        return (pos(), (False, rng.randint(0, n + 2)), True, True)
    if kind < 0.4:
        return (pos(), (False, 0), False, False)
    return (pos(), pos(), True, False)


def main():
    mode, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lines = mode == "lines"
    rng = random.Random(seed)
    bad = 0
    tmp = tempfile.mkdtemp()
    try:
        for case in range(count):
            if lines:
                nl = rng.choice([0, 1, 2, 5, 40])
                data = b"".join(
                    b"x" * rng.choice([0, 1, 3, 700]) + b"\n" for _ in range(nl))
                if rng.random() < 0.5:
                    data += b"tail"  # a last line without a newline
                unit = len(split_lines(data, b"\n"))
            else:
                data = rng.randbytes(rng.choice([0, 1, 511, 512, 4097, 70000]))
                unit = len(data)
            ranges = [rand_range(rng, unit) for _ in range(rng.randint(1, 4))]
            strict = rng.random() < 0.3 and PROG == "substream"
            cut = rng.randint(0, len(data))
            a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
            with open(a, "wb") as f:
                f.write(data[:cut])
            with open(b, "wb") as f:
                f.write(data[cut:])
            args = [SUB] + (["--lines"] if lines else []) + (["--strict"] if strict else [])
            for r in ranges:
                args += ["-r", text(r)]
            want, wstatus = model(data, ranges, lines, strict)
            setups = [
                ("file", [a, b] if cut else [os.path.join(tmp, "all")], None),
                ("pipe", [], data),
                ("file+pipe", [a, "-"], data[cut:]),
            ]
            with open(os.path.join(tmp, "all"), "wb") as f:
                f.write(data)
            if PROG == "spoolbuf":
                setups = [("pipe", [], data),
                          ("-i file", ["-i", os.path.join(tmp, "all")], None)]
                args += ["-m", str(rng.choice([1, 512, 4096, 1 << 20]))]
            for name, files, stdin in setups:
                p = subprocess.run(args + files, input=stdin if stdin is not None else b"",
                                   capture_output=True, timeout=60)
                ok = p.returncode == wstatus and (wstatus != 0 or p.stdout == want)
                if wstatus:
                    ok = ok and b"runs past the end" in p.stderr
                ok = ok and (p.returncode != 0 or p.stderr == b"")
                if not ok:
                    bad += 1
                    print("# MISMATCH case %d %s: %s on %d %s: status %d want %d,"
                          " %d bytes want %d %s" % (
                              case, name, " ".join(args[1:]), unit, mode,
                              p.returncode, wstatus, len(p.stdout), len(want),
                              p.stderr.decode(errors="replace").strip()))
    finally:
        subprocess.run(["rm", "-rf", tmp])
    sys.exit(1 if bad else 0)


main()
