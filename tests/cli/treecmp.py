#!/usr/bin/env python3
"""treecmp.py A B: compares two trees the way an archive must keep them:
names, file contents, modes, mtimes (seconds), symlink targets, which
files are hardlinks of each other, empty directories.  Prints each
difference and exits 1 if there is any."""
import os
import stat
import sys


def walk(top):
    out, inodes = {}, {}
    for dirpath, dirs, files in os.walk(top):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            item = {"mode": stat.S_IMODE(st.st_mode), "type": stat.S_IFMT(st.st_mode)}
            if stat.S_ISLNK(st.st_mode):
                item["target"] = os.readlink(p)
                item.pop("mode")
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    item["data"] = f.read()
                item["mtime"] = int(st.st_mtime)
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            out[rel] = item
    links = sorted(sorted(v) for v in inodes.values() if len(v) > 1)
    return out, links


def main():
    a, la = walk(sys.argv[1])
    b, lb = walk(sys.argv[2])
    bad = 0
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            bad += 1
            print("differs: %r: %s vs %s" % (k, str(a.get(k))[:80], str(b.get(k))[:80]))
    if la != lb:
        bad += 1
        print("hardlinks differ: %s vs %s" % (la, lb))
    sys.exit(1 if bad else 0)


main()
