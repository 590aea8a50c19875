#!/usr/bin/env python3
"""fields.py FILE [FILE2]: the display fields that pv or pump drew in FILE
(lines split on \\r and \\n), one name per line, sorted; with FILE2, exits 1
unless both drew the same fields (tests/cli/pump-pv.bats compares these
sets, not the numbers)."""
import re
import sys

PATTERNS = {
    "name": r"^ *[A-Za-z]+:",
    "bar": r"\[[=> ]*\]\s*\d+%|\[ *<=> *\]",
    "rate+avg": r"\[[ 0-9.]+[ kKMGT]?i?B/s\].*\[[ 0-9.]+[ kKMGT]?i?B/s\]",
    "rate": r"\[[ 0-9.]+[ kKMGT]?i?B/s\]",
    "eta": r"ETA \d:\d\d:\d\d",
    "fineta": r"ETA \d\d:\d\d:\d\d",
    "buffer": r"\{[ -0-9]+%?\}|\{----\}",
    "timer": r"(?<!ETA )(?<!\d)\d+:\d\d:\d\d",
    "bytes": r"(?<![\[\d.])\d[\d.]* ?[KMGT]?i?B(?!/)",
    "last": r"\.{8}",
}



def fields(path):
    found = set()
    text = open(path, "rb").read().decode("utf-8", "replace")
    for line in re.split(r"[\r\n]+", text):
        line = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line)
        for name, pat in PATTERNS.items():
            if re.search(pat, line):
                found.add(name)
    if "rate+avg" in found:
        found.discard("rate+avg")
        found.add("avg")
    return sorted(found)


a = fields(sys.argv[1])
if len(sys.argv) == 2:
    print("\n".join(a))
    sys.exit(0)
b = fields(sys.argv[2])
if a != b or not a:
    print("%s: %s\n%s: %s" % (sys.argv[1], a, sys.argv[2], b))
    sys.exit(1)
