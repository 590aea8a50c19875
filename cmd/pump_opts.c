/*
 * pump_opts.c - pump's options: pv's letters with pv's meanings first,
 * mbuffer's common forms where they do not collide, pump's own features
 * as long options.  The same parser serves the command line and a remote
 * change (-R), which may only touch what can change while running.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pump.h"
#include "util.h"

#define MAX_QUEUE ((int64_t)1 << 40)

enum {
	O_QUEUE = 256,
	O_LOW,
	O_BLOCK,
	O_APPEND,
	O_STATS,
	O_STALL,
	O_PROGRESS,
	O_PREFILL,
	O_PIDFILE,
};

static const char optstring[] =
    "0A:B:CD:EF:H:IL:N:P:R:STU:VWXYabcd:efhi:klm:no:pqrs:tvw:";

static const struct option longopts[] = {
    {"append", no_argument, NULL, O_APPEND},
    {"average-rate", no_argument, NULL, 'a'},
    {"block", required_argument, NULL, O_BLOCK},
    {"buffer-percent", no_argument, NULL, 'T'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"bytes", no_argument, NULL, 'b'},
    {"cursor", no_argument, NULL, 'c'},
    {"delay-start", required_argument, NULL, 'D'},
    {"discard", no_argument, NULL, 'X'},
    {"eta", no_argument, NULL, 'e'},
    {"fineta", no_argument, NULL, 'I'},
    {"force", no_argument, NULL, 'f'},
    {"format", required_argument, NULL, 'F'},
    {"height", required_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {"interval", required_argument, NULL, 'i'},
    {"keep-going", no_argument, NULL, 'k'},
    {"last-written", required_argument, NULL, 'A'},
    {"line-mode", no_argument, NULL, 'l'},
    {"low", required_argument, NULL, O_LOW},
    {"name", required_argument, NULL, 'N'},
    {"no-splice", no_argument, NULL, 'C'},
    {"null", no_argument, NULL, '0'},
    {"numeric", no_argument, NULL, 'n'},
    {"output", required_argument, NULL, 'o'},
    {"pidfile", required_argument, NULL, O_PIDFILE},
    {"prefill", required_argument, NULL, O_PREFILL},
    {"progress", optional_argument, NULL, O_PROGRESS},
    {"queue", required_argument, NULL, O_QUEUE},
    {"quiet", no_argument, NULL, 'q'},
    {"rate", no_argument, NULL, 'r'},
    {"rate-limit", required_argument, NULL, 'L'},
    {"remote", required_argument, NULL, 'R'},
    {"size", required_argument, NULL, 's'},
    {"skip-errors", no_argument, NULL, 'E'},
    {"stall-timeout", required_argument, NULL, O_STALL},
    {"stats", optional_argument, NULL, O_STATS},
    {"stop-at-size", no_argument, NULL, 'S'},
    {"store-and-forward", required_argument, NULL, 'U'},
    {"sync", no_argument, NULL, 'Y'},
    {"timer", no_argument, NULL, 't'},
    {"version", no_argument, NULL, 'V'},
    {"wait", no_argument, NULL, 'W'},
    {"watchfd", required_argument, NULL, 'd'},
    {"width", required_argument, NULL, 'w'},
    {NULL, 0, NULL, 0},
};

/* Options a remote change may carry: the display, the size, the rate. */
static const char remote_ok[] = "ptIeraTAFnqNiwHLsbv";

/* A remote change reports its errors instead of exiting. */
static jmp_buf *remote_jmp;
static char *remote_msg;
static size_t remote_len;

static _Noreturn __attribute__((format(printf, 1, 2))) void
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (remote_jmp) {
		vsnprintf(remote_msg, remote_len, fmt, ap);
		va_end(ap);
		longjmp(*remote_jmp, 1);
	}
	{
		char msg[512];
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		usage_error("%s", msg);
	}
}

static int64_t
size_of(const char *opt, const char *text)
{
	int64_t v;

	if (sk_parse_size(text, &v) < 0)
		fail("invalid size for %s: '%s' (%s)", opt, text,
		     errno == ERANGE ? "too large"
		                     : "expected a number with an optional "
		                       "suffix K, M, G, T, KB, MB...");
	return v;
}

static double
seconds_of(const char *opt, const char *text, int zero_ok)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end != '\0' || !(v >= 0) || (!zero_ok && v == 0) ||
	    v > 1e9)
		fail("invalid %s: '%s' (a %s number of seconds)", opt, text,
		     zero_ok ? "non-negative" : "positive");
	return v;
}

static long
int_of(const char *opt, const char *text, long lo, long hi)
{
	long v;

	if (number_in(text, lo, hi, &v) < 0)
		fail("invalid %s: '%s' (a number from %ld to %ld)", opt, text,
		     lo, hi);
	return v;
}

/* A percentage, "N" or "N%", within [lo, hi]; -1 when text is not one. */
static int
percent_of(const char *text, int lo, int hi)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || (*end != '\0' && strcmp(end, "%") != 0) ||
	    text[0] == '-' || text[0] == '+' || v < lo || v > hi)
		return -1;
	return (int)v;
}

static void
parse_low(struct pump_opts *o, const char *text)
{
	size_t n = strlen(text);

	if (n > 1 && text[n - 1] == '%') {
		int v = percent_of(text, 0, 99);
		if (v < 0)
			fail("invalid --low '%s': a percentage from 0 to 99",
			     text);
		o->low_percent = v;
		o->low = -1;
		return;
	}
	o->low = size_of("--low", text);
}

/* -s SIZE, or -s @FILE: the size of FILE (pv 1.7). */
static int64_t
parse_size(const char *text)
{
	struct stat st;

	if (text[0] != '@')
		return size_of("--size", text);
	if (stat(text + 1, &st) < 0)
		fail("--size %s: %s", text, strerror(errno));
	return (int64_t)st.st_size;
}

static void
add_output(struct pump_opts *o, const char *name)
{
	const char **n = realloc(o->outs, (o->nouts + 1) * sizeof *o->outs);

	if (n == NULL)
		fail("out of memory");
	o->outs = n;
	o->outs[o->nouts++] = name;
}

/* -d PID[:FD] */
static void
parse_watch(struct pump_opts *o, const char *text)
{
	char *end;
	long pid = strtol(text, &end, 10);

	if (end == text || pid < 1 || (*end != '\0' && *end != ':'))
		fail("invalid --watchfd '%s': PID or PID:FD", text);
	o->watch_pid = pid;
	o->watch_fd = -1;
	if (*end == ':')
		o->watch_fd = (int)int_of("--watchfd", end + 1, 0, 1 << 30);
}

static void
one(struct pump_opts *o, int c, const char *arg)
{
	int64_t v;

	switch (c) {
	case '0':
		o->null = o->lines = 1;
		break;
	case 'A':
		o->last_n = (size_t)int_of("--last-written", arg, 1, 4096);
		o->display |= D_LAST;
		break;
	case 'B':
	case 'm':
	case O_QUEUE:
		o->queue = size_of(c == 'B'   ? "--buffer-size"
		                   : c == 'm' ? "-m"
		                              : "--queue",
		                   arg);
		if (o->queue < 2 || o->queue > MAX_QUEUE)
			fail("the queue (%s) must be from 2 bytes to 1T",
			     c == 'm'   ? "-m"
			     : c == 'B' ? "-B"
			                : "--queue");
		break;
	case 'C':
		o->cfg.no_splice = 1;
		break;
	case 'D':
		o->delay = seconds_of("--delay-start", arg, 1);
		break;
	case 'E':
		fail("-E (skip read errors) is not supported: a copy with "
		     "holes of zeros is dd conv=noerror,sync's job");
	case 'U':
		fail("-U (store and forward) is not supported: use "
		     "spoolbuf(1), which holds the whole input first");
	case 'F':
		o->format = arg;
		break;
	case 'H':
		o->height = (int)int_of("--height", arg, 1, 10000);
		break;
	case 'I':
		o->display |= D_FINETA;
		break;
	case 'L':
		v = size_of("--rate-limit", arg);
		if (v < 1)
			fail("--rate-limit must be at least 1 byte per second");
		o->cfg.rate = (uint64_t)v;
		break;
	case 'N':
		o->name = arg;
		break;
	case 'P':
		/* mbuffer's -P PERCENT, or pv's -P FILE: a number is a
		 * percentage (a pid file named so is ./90 or --pidfile). */
		if ((o->start_percent = percent_of(arg, 0, 100)) < 0)
			o->pidfile = arg;
		break;
	case O_PIDFILE:
		o->pidfile = arg;
		break;
	case O_PREFILL:
		if ((o->start_percent = percent_of(arg, 0, 100)) < 0)
			fail("invalid --prefill '%s': a percentage from 0 to "
			     "100",
			     arg);
		break;
	case 'R':
		o->remote = int_of("--remote", arg, 1, 1L << 30);
		break;
	case 'S':
		o->stop_at_size = 1;
		break;
	case 'T':
		o->display |= D_BUFFER;
		break;
	case 'W':
		o->wait = 1;
		break;
	case 'X':
		o->discard = 1;
		break;
	case 'Y':
		o->cfg.sync = 1;
		break;
	case 'a':
		o->display |= D_AVERAGE;
		break;
	case 'b':
		o->display |= D_BYTES;
		break;
	case 'c':
		o->cursor = 1;
		break;
	case 'd':
		parse_watch(o, arg);
		break;
	case 'e':
		o->display |= D_ETA;
		break;
	case 'f':
		o->force = 1;
		break;
	case 'i':
		o->interval = seconds_of("--interval", arg, 0);
		break;
	case 'k':
		o->cfg.keep_going = 1;
		break;
	case 'l':
		o->lines = 1;
		break;
	case 'n':
		o->numeric = 1;
		break;
	case 'o':
		add_output(o, arg);
		break;
	case 'p':
		o->display |= D_PROGRESS;
		break;
	case O_PROGRESS:
		if (arg == NULL)
			o->display |= D_PROGRESS;
		else if (strcmp(arg, "auto") == 0)
			o->progress = WHEN_AUTO;
		else if (strcmp(arg, "always") == 0)
			o->progress = WHEN_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			o->progress = WHEN_NEVER;
		else
			fail("invalid --progress '%s': auto, always or never",
			     arg);
		break;
	case 'q':
		o->quiet = 1;
		break;
	case 'r':
		o->display |= D_RATE;
		break;
	case 's':
		o->size = parse_size(arg);
		if (o->size < 0)
			fail("invalid --size '%s'", arg);
		break;
	case 't':
		o->display |= D_TIMER;
		break;
	case 'v':
		o->stats = 1;
		break;
	case O_STATS:
		if (arg == NULL || strcmp(arg, "text") == 0)
			o->stats = 1;
		else if (strcmp(arg, "json") == 0)
			o->stats = 2;
		else
			fail("invalid --stats '%s': text or json", arg);
		break;
	case 'w':
		o->width = (int)int_of("--width", arg, 1, 10000);
		break;
	case O_LOW:
		parse_low(o, arg);
		break;
	case O_BLOCK:
		v = size_of("--block", arg);
		if (v < 1 || v > (1 << 30))
			fail("--block must be from 1 byte to 1G");
		o->cfg.block = (size_t)v;
		break;
	case O_APPEND:
		o->append = 1;
		break;
	case O_STALL:
		o->stall = seconds_of("--stall-timeout", arg, 0);
		break;
	}
}

/*
 * mbuffer's -W SECONDS next to pv's -W (wait, no argument): a -W
 * followed by a number is mbuffer's watchdog.  Rewritten before getopt
 * sees it; an input file named with digits after pv's -W is ./30.
 */
int
pump_mbuffer_forms(int argc, char *argv[])
{
	static char buf[64];

	for (int i = 1; i + 1 < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-W") != 0)
			continue;
		errno = 0;
		if (strtod(argv[i + 1], &end) > 0 && *end == '\0' &&
		    end != argv[i + 1] && errno == 0) {
			snprintf(buf, sizeof buf, "--stall-timeout=%s",
			         argv[i + 1]);
			argv[i] = buf;
			for (int j = i + 1; j + 1 < argc; j++)
				argv[j] = argv[j + 1];
			argv[argc - 1] = NULL;
			return argc - 1;
		}
	}
	return argc;
}

int
pump_parse(struct pump_opts *o, int argc, char *argv[], int remote, char *msg,
           size_t msglen)
{
	jmp_buf jb;
	int c;

	if (remote) {
		remote_jmp = &jb;
		remote_msg = msg;
		remote_len = msglen;
		if (setjmp(jb)) {
			remote_jmp = NULL;
			return -1;
		}
	}
	optind = 0; /* GNU getopt: start afresh, also a second time */
	for (;;) {
		int li = -1;
		char shown[64];
		if ((c = getopt_long(argc, argv, optstring, longopts, &li)) ==
		    -1)
			break;
		if (li >= 0)
			snprintf(shown, sizeof shown, "--%s",
			         longopts[li].name);
		else
			snprintf(shown, sizeof shown, "-%c", c);
		if (c == '?') {
			if (remote)
				fail("bad option '%s'", argv[optind - 1]);
			bad_option(argv, optstring);
		}
		if (c == 'h' || c == 'V') {
			if (remote)
				fail("-%c cannot be sent to a running pump", c);
			if (c == 'h')
				pump_usage();
			else
				print_version();
			exit(0);
		}
		if (remote && (c >= 256 || strchr(remote_ok, c) == NULL))
			fail("%s cannot change while pump runs", shown);
		one(o, c, optarg);
	}
	remote_jmp = NULL;
	return optind;
}

void
pump_usage(void)
{
	printf(
	    "usage: pump [OPTIONS] [FILE]...\n"
	    "       pump -d PID[:FD] [DISPLAY OPTIONS]\n"
	    "       pump -R PID [OPTIONS]\n"
	    "Copy the concatenation of FILEs (stdin when none, or -) to "
	    "stdout\n"
	    "through a bounded queue, showing progress: pv's options, "
	    "mbuffer's\n"
	    "common ones, a queue with watermarks, fan-out, a stall timeout.\n"
	    "\n"
	    "Display (pv's):\n"
	    "  -p, --progress[=WHEN]   progress bar; WHEN: auto, always, "
	    "never\n"
	    "  -t, --timer             elapsed time\n"
	    "  -e, --eta               estimated time left\n"
	    "  -I, --fineta            estimated time of arrival\n"
	    "  -r, --rate              current rate\n"
	    "  -a, --average-rate      average rate\n"
	    "  -b, --bytes             bytes (lines with -l) so far\n"
	    "  -T, --buffer-percent    how full the queue is\n"
	    "  -A, --last-written NUM  the last NUM bytes written\n"
	    "  -F, --format FORMAT     pv's format: %%p %%t %%e %%I %%r %%a "
	    "%%b %%T %%nA\n"
	    "                          %%N %%%% and %%{name}\n"
	    "  -n, --numeric           one number per line: percentage, or "
	    "with\n"
	    "                          -b bytes (lines with -l); -t adds "
	    "seconds\n"
	    "  -q, --quiet             no display\n"
	    "  -v, --stats[=FORMAT]    a summary at the end: text or json\n"
	    "Output modifiers (pv's):\n"
	    "  -W, --wait              display nothing until the first byte\n"
	    "  -D, --delay-start SEC   display nothing for SEC seconds\n"
	    "  -s, --size SIZE|@FILE   the total, for percentage and ETA\n"
	    "  -l, --line-mode         count lines\n"
	    "  -0, --null              lines end with NUL (implies -l)\n"
	    "  -i, --interval SEC      update every SEC seconds (default 1)\n"
	    "  -w, --width N           assume N columns\n"
	    "  -H, --height N          assume N rows\n"
	    "  -N, --name NAME         prefix the display with NAME\n"
	    "  -f, --force             display even when stderr is not a "
	    "terminal\n"
	    "  -c, --cursor            each pump of a pipeline on its own "
	    "line\n"
	    "Transfer:\n"
	    "  -L, --rate-limit RATE   at most RATE bytes per second\n"
	    "  -B, -m, --queue SIZE    queue size (default 16M; -B pv's, -m "
	    "mbuffer's)\n"
	    "      --low SIZE|N%%       resume when the queue is down to this\n"
	    "                          (default 50%%; mbuffer's -p N is --low "
	    "N%%)\n"
	    "  -P, --prefill PERCENT   write only once the queue is that full\n"
	    "                          (mbuffer's -P)\n"
	    "      --block SIZE        largest single read or write (default "
	    "128K)\n"
	    "  -C, --no-splice         never move bytes by splice(2)\n"
	    "  -S, --stop-at-size      stop after --size bytes\n"
	    "  -Y, --sync              sync outputs after every write\n"
	    "  -X, --discard           write nothing (count only)\n"
	    "  -o, --output FILE       write to FILE; repeat to fan out (- is "
	    "stdout)\n"
	    "      --append            append to -o FILEs instead of "
	    "truncating\n"
	    "  -k, --keep-going        go on without an output that fails\n"
	    "      --stall-timeout SEC fail when no byte moves for SEC "
	    "seconds\n"
	    "                          (mbuffer's -W SEC)\n"
	    "Other:\n"
	    "  -d, --watchfd PID[:FD]  show the progress of another process's "
	    "files\n"
	    "  -R, --remote PID        change a running pump's options\n"
	    "  -P, --pidfile FILE      write the process id to FILE\n"
	    "  -h, --help              show this help\n"
	    "  -V, --version           show the version\n"
	    "\n"
	    "SIZE and RATE take K M G T (1024) or KB MB GB (1000) suffixes.\n"
	    "Signals: USR1 prints the progress line, USR2 pauses and resumes,\n"
	    "INT and TERM stop after writing out what was read (twice: at "
	    "once).\n"
	    "Exit status: 0 done, 1 runtime error, 2 usage error, 128+N after\n"
	    "signal N.\n");
}
