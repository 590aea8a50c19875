#!/usr/bin/env python3
"""zipcheck.py: what a zip from tarstream must hold, read with Python's
zipfile (an implementation apart from libarchive, which writes them).

  zipcheck.py tree ZIP TOP METHOD
      ZIP holds exactly the tree under TOP, its names relative to TOP:
      every directory (NAME/), regular file and symbolic link once, and
      nothing else (no FIFO, device or socket).  Each member's bytes (a
      link's target) and mode (type included) are the file's, each
      file's mtime (the UT extra field) is the file's to the second; a
      file is compressed with METHOD (0 stored, 8 deflated) and has its
      sizes in a data descriptor (flag bit 3); a name has the UTF-8 flag
      (bit 11) exactly when it is well-formed UTF-8 and not ASCII.
      testzip() finds no bad CRC.

  zipcheck.py extra ZIP NAME
      NAME's extra fields (central directory) as "ID HEX" lines, and
      "uid N" and "gid N" from the 'ux' field (0x7875) when there is one.

Prints each difference and exits 1 if there is any."""
import os
import stat
import struct
import sys
import zipfile


def raw_name(info):
    # zipfile decodes an unflagged name as cp437, which maps each of the
    # 256 bytes to one character: encoding it back gives the bytes.
    if info.flag_bits & 0x800:
        return info.orig_filename.encode("utf-8")
    return info.orig_filename.encode("cp437")


def extras(data):
    out = {}
    while len(data) >= 4:
        hid, n = struct.unpack("<HH", data[:4])
        out[hid] = data[4 : 4 + n]
        data = data[4 + n :]
    return out


def utf8_flag_wanted(name):
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not name.isascii()


def on_disk(top):
    want = {}
    top_b = os.fsencode(top)
    for dirpath, dirs, files in os.walk(top_b):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, top_b)
            if stat.S_ISDIR(st.st_mode):
                rel += b"/"
            elif not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue
            want[rel] = (p, st)
    return want


def tree(path, top, method):
    bad = []
    z = zipfile.ZipFile(path)
    first_bad = z.testzip()
    if first_bad is not None:
        bad.append("bad CRC: %r" % first_bad)
    want = on_disk(top)
    seen = set()
    for info in z.infolist():
        name = raw_name(info)
        if name in seen:
            bad.append("twice: %r" % name)
        seen.add(name)
        if name not in want:
            bad.append("not in the tree: %r" % name)
            continue
        p, st = want[name]
        mode = info.external_attr >> 16
        if mode != st.st_mode:
            bad.append("%r: mode %o, file %o" % (name, mode, st.st_mode))
        if bool(info.flag_bits & 0x800) != utf8_flag_wanted(name):
            bad.append("%r: flags %#x" % (name, info.flag_bits))
        data = z.read(info)
        if stat.S_ISLNK(st.st_mode):
            if data != os.readlink(p):
                bad.append("%r: target %r" % (name, data))
        elif stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                if data != f.read():
                    bad.append("%r: %d bytes differ" % (name, len(data)))
            if info.compress_type != method:
                bad.append("%r: method %d" % (name, info.compress_type))
            if not info.flag_bits & 0x8:
                bad.append("%r: no data descriptor (flags %#x)" % (name, info.flag_bits))
            ut = extras(info.extra).get(0x5455, b"")
            if len(ut) < 5 or struct.unpack("<i", ut[1:5])[0] != int(st.st_mtime):
                bad.append("%r: mtime field %r, file %d" % (name, ut, st.st_mtime))
    for name in sorted(set(want) - seen):
        bad.append("missing: %r" % name)
    return bad


def extra(path, name):
    info = zipfile.ZipFile(path).getinfo(name)
    for hid, data in sorted(extras(info.extra).items()):
        print("%#06x %s" % (hid, data.hex()))
        if hid == 0x7875 and data[0] == 1:
            n = data[1]
            print("uid", int.from_bytes(data[2 : 2 + n], "little"))
            m = data[2 + n]
            print("gid", int.from_bytes(data[3 + n : 3 + n + m], "little"))
    return []


def main():
    if sys.argv[1] == "tree":
        bad = tree(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        bad = extra(sys.argv[2], sys.argv[3])
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


main()
