# Helpers for tests of progress lines on a terminal (a pseudo-terminal
# made by tests/cli/ptyrun.py); loaded after helper.bash.

# on_tty COLS ROWS [AFTER NEWCOLS] -- CMD: runs CMD on a terminal; the
# JSON report in $T/tty.json.
on_tty() {
	XDG_RUNTIME_DIR=$T python3 "$BATS_TEST_DIRNAME/ptyrun.py" "$@" >"$T/tty.json"
}

# widest PART: the widest line drawn in the output before or after the
# resize, escape sequences left out.
widest() {
	python3 - "$T/tty.json" "$1" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
segs = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", s) for s in re.split(r"[\r\n]", d[sys.argv[2]])]
print(max(len(s) for s in segs))
PY
}

screen() {
	python3 -c 'import json, sys; print("\n".join(l for l in json.load(open(sys.argv[1]))["screen"] if l))' "$T/tty.json"
}
