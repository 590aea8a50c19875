#!/usr/bin/env python3
"""tests/fault/matrix.py BIN FAULTINJ.so: the fault matrix.  Prints TAP.

Every program runs in several scenarios; in each, every call faultinj.so
knows fails with every kind at several positions (its 1st, 2nd, ... use).
Each run must end in one of two ways:
  - exit 0 with exactly the expected output, or
  - exit non-zero with a message naming the failure (the injected errno's
    text), or, for EPIPE on a write, a quiet stop by SIGPIPE;
and in every case: no hang (a timeout), no crash (a signal other than
SIGPIPE), no temporary file left in $TMPDIR, no destination file
half-replaced (spoolbuf -o keeps the old contents or has all the new).
EINTR, EAGAIN and short counts on the byte-moving calls are not failures:
those runs must succeed.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile

BIN, SO = sys.argv[1], sys.argv[2]
ONLY = sys.argv[3] if len(sys.argv) > 3 else None
BYTE_CALLS = ["read", "write", "splice", "sendfile", "copy_file_range"]
OTHER_CALLS = ["open", "lseek", "fsync", "rename"]
KINDS = ["EINTR", "EAGAIN", "short", "ENOSPC", "EIO", "EPIPE"]
POSITIONS = [1, 2, 3, 7, 20, 100]
TIMEOUT = 30
MESSAGES = {"ENOSPC": os.strerror(28), "EIO": os.strerror(5), "EPIPE": os.strerror(32),
            "EINTR": os.strerror(4), "EAGAIN": os.strerror(11)}

rnd = random.Random(7)
DATA = rnd.randbytes(700_000)
TEXT = b"".join(b"line %d %s\n" % (i, b"x" * (i % 50)) for i in range(3000))
OLD = b"the old contents\n"


def make_tree(root):
    os.makedirs(os.path.join(root, "tree/sub/deeper"))
    with open(os.path.join(root, "tree/big"), "wb") as f:
        f.write(DATA)
    for i in range(20):
        with open(os.path.join(root, "tree/sub/f%02d" % i), "wb") as f:
            f.write(rnd.randbytes(i * 977))
    with open(os.path.join(root, "tree/sub/deeper/text"), "wb") as f:
        f.write(TEXT)
    os.symlink("sub/f01", os.path.join(root, "tree/link"))


def tree_of_tar(data, comp):
    """{name: bytes or ('link', target) or 'dir'} from archive bytes."""
    import io
    mode = "r:" if comp == "" else "r:*"
    if comp == "zst":
        data = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=True).stdout
        mode = "r:"
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as t:
        for m in t.getmembers():
            if m.isdir():
                out[m.name.rstrip("/")] = "dir"
            elif m.issym():
                out[m.name] = ("link", m.linkname)
            else:
                out[m.name] = t.extractfile(m).read()
    return out


def tree_on_disk(root):
    out = {}
    for dp, dns, fns in os.walk(os.path.join(root, "tree")):
        rel = os.path.relpath(dp, root)
        out[rel] = "dir"
        for n in fns + dns:
            p = os.path.join(dp, n)
            r = os.path.join(rel, n)
            if os.path.islink(p):
                out[r] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                out[r] = open(p, "rb").read()
    return out


# Scenarios: (name, shell command with $P for the injected program's
# prefix, input bytes or None, check(workdir) -> expected-output-ok).
def scenarios():
    s = []

    def out_is(expected, name="out"):
        return lambda w: open(os.path.join(w, name), "rb").read() == expected

    s.append(("substream file", "$P substream -r 100:600000,-5000: in >out", DATA,
              out_is(DATA[100:600000] + DATA[-5000:])))
    s.append(("substream pipe", "cat in | $P substream -r 100:600000,-5000: >out", DATA,
              out_is(DATA[100:600000] + DATA[-5000:])))
    s.append(("substream pipe to pipe, lines", "cat in | $P substream --lines -r 10:20,-5: | cat >out",
              TEXT, out_is(b"".join(TEXT.splitlines(True)[10:20] + TEXT.splitlines(True)[-5:]))))
    s.append(("substream pipe out of order (spool)", "cat in | $P substream -r 600000:650000,0:100,-5: >out",
              DATA, out_is(DATA[600000:650000] + DATA[:100] + DATA[-5:])))
    s.append(("substream file, lines out of order", "$P substream --lines -r -5:,10:20 in >out",
              TEXT, out_is(b"".join(TEXT.splitlines(True)[-5:] + TEXT.splitlines(True)[10:20]))))
    s.append(("spoolbuf spilling to its file", "cat in | $P spoolbuf -m 64K >out", DATA, out_is(DATA)))
    s.append(("spoolbuf -r on a pipe", "cat in | $P spoolbuf -m 64K -r -1000:,0+10 >out", DATA,
              out_is(DATA[-1000:] + DATA[:10])))
    s.append(("spoolbuf -o", "cat in | $P spoolbuf -m 64K -o dest", DATA, out_is(DATA, "dest")))
    s.append(("spoolbuf -x COMMAND {}", "cat in | $P spoolbuf -m 64K -x cat {} >out", DATA, out_is(DATA)))
    s.append(("spoolbuf -x COMMAND, stdin", "cat in | $P spoolbuf -m 64K -x cat >out", DATA,
              out_is(DATA)))
    s.append(("pump pipe to file", "cat in | $P pump -m 256K >out", DATA, out_is(DATA)))
    s.append(("pump file to pipe", "$P pump -m 64K in | cat >out", DATA, out_is(DATA)))
    s.append(("pump fan-out", "$P pump -m 64K -o - -o out2 in >out", DATA,
              lambda w: out_is(DATA)(w) and out_is(DATA, "out2")(w)))
    s.append(("tarstream plain", "$P tarstream -C src tree >out", None,
              lambda w: tree_of_tar(open(os.path.join(w, "out"), "rb").read(), "")
              == tree_on_disk(os.path.join(w, "src"))))
    s.append(("tarstream zstd to a pipe", "$P tarstream --zstd -C src tree | cat >out", None,
              lambda w: tree_of_tar(open(os.path.join(w, "out"), "rb").read(), "zst")
              == tree_on_disk(os.path.join(w, "src"))))
    # A pool compressor (gzip's blocks on 2 threads) into -f FILE: the
    # aside file, its rename, and the compressed writes.
    s.append(("tarstream gzip -f on 2 threads", "$P tarstream -z --threads 2 -f out -C src tree", None,
              lambda w: tree_of_tar(open(os.path.join(w, "out"), "rb").read(), "gz")
              == tree_on_disk(os.path.join(w, "src"))))
    return s


def run_one(scen, call, kind, pos, base):
    name, cmd, data, check = scen
    w = tempfile.mkdtemp(dir=base)
    tmp = os.path.join(w, "tmp")
    os.mkdir(tmp)
    if data is not None:
        with open(os.path.join(w, "in"), "wb") as f:
            f.write(data)
    else:
        make_tree(os.path.join(w, "src"))
    with open(os.path.join(w, "dest"), "wb") as f:
        f.write(OLD)
    log = os.path.join(w, "fault.log")
    prog = cmd.split("$P ", 1)[1].split()[0]
    prefix = "env LD_PRELOAD=%s SK_FAULT_PROG=%s SK_FAULT=%s:%d:%s SK_FAULT_LOG=%s" % (
        SO, prog, call, pos, kind, log)
    env = dict(os.environ, TMPDIR=tmp, PATH=BIN + ":" + os.environ["PATH"])
    before = set(os.listdir(w))
    try:
        p = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd.replace("$P", prefix)],
                           cwd=w, env=env, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "hung (over %d s)" % TIMEOUT, True
    fired = os.path.exists(log)
    rc, err = p.returncode, p.stderr.decode(errors="replace")
    problems = []
    if rc < 0 or rc > 128 and rc != 128 + signal.SIGPIPE:
        if not (kind == "EPIPE" and rc in (-signal.SIGPIPE, 128 + signal.SIGPIPE)):
            problems.append("killed by a signal, status %d" % rc)
    if os.listdir(tmp):
        problems.append("left in TMPDIR: %s" % os.listdir(tmp))
    stray = set(os.listdir(w)) - before - {"fault.log", "out", "out2"}
    if stray:
        problems.append("left behind: %s" % sorted(stray))
    dest = open(os.path.join(w, "dest"), "rb").read()
    if dest not in (OLD, DATA):
        problems.append("destination half-replaced (%d bytes)" % len(dest))
    if rc == 0:
        if not check(w):
            problems.append("exit 0 with wrong output")
        if "spoolbuf -o" in name and dest != DATA:
            problems.append("exit 0 but the destination was not replaced")
    elif not problems:
        if rc != 0 and dest != OLD and "spoolbuf -o" in name:
            problems.append("failed, yet the destination changed")
        quiet_pipe = kind == "EPIPE" and rc in (-signal.SIGPIPE, 128 + signal.SIGPIPE)
        must_succeed = kind in ("EINTR", "EAGAIN", "short") and call in BYTE_CALLS
        if must_succeed and fired:
            problems.append("status %d on a %s %s (must be retried): %s" % (rc, kind, call, err.strip()))
        elif fired and not quiet_pipe and MESSAGES.get(kind, "\0") not in err:
            problems.append("status %d without naming %s: %r" % (rc, kind, err.strip()))
        elif not fired:
            problems.append("status %d with no fault injected: %r" % (rc, err.strip()))
    shutil.rmtree(w)
    return "; ".join(problems), fired


def main():
    base = tempfile.mkdtemp(prefix="sk-fault.")
    cases = []
    for scen in scenarios():
        if ONLY and ONLY not in scen[0]:
            continue
        for call in BYTE_CALLS + OTHER_CALLS:
            for kind in KINDS:
                if kind == "short" and call not in BYTE_CALLS:
                    continue
                cases.append((scen, call, kind))
    failed = n = 0
    unused = []
    for scen, call, kind in cases:
        bad, reached = [], 0
        for pos in POSITIONS:
            problem, fired = run_one(scen, call, kind, pos, base)
            reached += fired
            if problem:
                bad.append("at use %d: %s" % (pos, problem))
            if not fired:
                break  # later positions are not reached either
        desc = "%s: %s fails with %s" % (scen[0], call, kind)
        if reached == 0 and not bad:
            # A call the scenario never makes is no test: say so, once.
            if (scen[0], call) not in unused:
                unused.append((scen[0], call))
                print("# %s: never calls %s" % (scen[0], call))
            continue
        n += 1
        if bad:
            failed += 1
            print("not ok %d - %s" % (n, desc))
            for b in bad:
                print("# " + b)
        else:
            print("ok %d - %s (%d positions)" % (n, desc, reached))
        sys.stdout.flush()
    # The plan comes last: which combinations run is known only now.
    print("1..%d" % n)
    shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
