#!/usr/bin/env python3
"""ptyrun.py COLS ROWS [RESIZE_AFTER NEW_COLS] -- COMMAND...

Runs COMMAND (through bash -c) on a pseudo-terminal of COLS x ROWS, as an
interactive user's terminal would hold it; after RESIZE_AFTER seconds, the
terminal is resized to NEW_COLS (the kernel sends SIGWINCH).  Prints JSON:
the raw output before and after the resize, the final screen of a small
terminal emulator (\\r, \\n, ESC[nA, ESC[nB, ESC[K, wrapping at the right
margin, scrolling), and the exit status."""
import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time


def winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def emulate(data, rows, cols_of):
    screen = [[" "] * 400 for _ in range(rows)]
    r = c = 0
    i = 0
    while i < len(data):
        ch = data[i]
        cols = cols_of(i)
        m = re.match(r"\x1b\[(\d*)([A-Za-z])", data[i:])
        if m:
            n = int(m.group(1) or 1)
            if m.group(2) == "A":
                r = max(0, r - n)
            elif m.group(2) == "B":
                r = min(rows - 1, r + n)
            elif m.group(2) == "K":
                for k in range(c, 400):
                    screen[r][k] = " "
            i += m.end()
            continue
        if ch == "\r":
            c = 0
        elif ch == "\n":
            r += 1
        else:
            if c >= cols:
                c = 0
                r += 1
            if r >= rows:
                screen.pop(0)
                screen.append([" "] * 400)
                r = rows - 1
            screen[r][c] = ch
            c += 1
        if r >= rows:
            screen.pop(0)
            screen.append([" "] * 400)
            r = rows - 1
        i += 1
    return ["".join(line).rstrip() for line in screen]


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    cols, rows = int(args[0]), int(args[1])
    resize = float(args[2]) if sep > 2 else None
    newcols = int(args[3]) if sep > 3 else cols
    cmd = " ".join(args[sep + 1:])
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("bash", ["bash", "-c", cmd])
    winsize(fd, rows, cols)
    out = [b"", b""]
    start = time.time()
    part = 0
    while True:
        if resize is not None and part == 0 and time.time() - start >= resize:
            winsize(fd, rows, newcols)
            part = 1
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                b = os.read(fd, 65536)
            except OSError:
                break
            if not b:
                break
            out[part] += b
    _, status = os.waitpid(pid, 0)
    before, after = (x.decode("latin-1") for x in out)
    split = len(before)
    screen = emulate(before + after, rows,
                     lambda i: cols if i < split else newcols)
    json.dump({"before": before, "after": after, "screen": screen,
               "status": os.waitstatus_to_exitcode(status)}, sys.stdout)


main()
