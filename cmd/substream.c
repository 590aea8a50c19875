/*
 * substream - write byte or line ranges of the concatenation of its inputs.
 *
 * The program chooses one of three plans and leaves the byte moving to the
 * library:
 *   - random access, when every input is seekable: each range is a section
 *     of the concatenation, copied zero-copy;
 *   - one pass, on pipes, when the ranges go forward: skip, copy, and keep
 *     a ring of the last bytes for ranges counted from the end;
 *   - a spool otherwise: the input is read lazily, as far as the furthest
 *     range needs, into memory and then an unnamed temporary file.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

/* Up to this many bytes counted from the end of a pipe are kept in memory;
 * more go through the spool, which moves to disk past SPOOL_MEM. */
#define RING_MAX  ((int64_t)64 << 20)
#define SPOOL_MEM ((size_t)8 << 20)
#define LINE_BUF  (128 * 1024)

static struct sk_range *ranges;
static size_t nranges;

/*
 * What a run builds stays reachable from here until exit.  An error exits
 * where it happens, without unwinding (the kernel frees everything), and
 * LeakSanitizer then sees these as held, not lost.
 */
static volatile struct {
	sk_stream *in, *wrap, *tail, *sec;
	sk_spool *sp;
	char *buf;
} live; /* volatile: written only, and the writes must stay */
static int opt_lines, opt_strict;
static int delim = '\n';

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: substream [-lsz] [-r RANGE]... [FILE]...\n"
	    "Write ranges of the concatenation of FILEs (stdin when none, or "
	    "-).\n"
	    "\n"
	    "  -r, --range RANGE      START:END, START+LENGTH, START: or "
	    ":END;\n"
	    "                         negative positions count from the end;\n"
	    "                         numbers take K M G T (1024) or KB MB GB\n"
	    "                         (1000) suffixes; comma lists and "
	    "repeated\n"
	    "                         -r are written in the order given\n"
	    "                         (default: everything)\n"
	    "  -l, --lines            count lines instead of bytes\n"
	    "  -z, --zero-terminated  with --lines, lines end with NUL\n"
	    "  -s, --strict           fail when a range runs past the input\n"
	    "  -h, --help             show this help\n"
	    "  -V, --version          show the version\n"
	    "\n"
	    "Exit status: 0 done, 1 runtime error, 2 usage error.\n");
}

/* Writes r back as text, for messages. */
static const char *
range_text(const struct sk_range *r)
{
	static char buf[80];
	int n = 0;

	if (r->start != 0 || r->start_from_end || !r->has_end || r->end_is_len)
		n = snprintf(buf, sizeof buf, "%s%" PRId64,
		             r->start_from_end && r->start == 0 ? "-" : "",
		             r->start);
	if (r->end_is_len)
		snprintf(buf + n, sizeof buf - (size_t)n, "+%" PRId64, r->end);
	else if (r->has_end)
		snprintf(buf + n, sizeof buf - (size_t)n, ":%s%" PRId64,
		         r->end_from_end && r->end == 0 ? "-" : "", r->end);
	else
		snprintf(buf + n, sizeof buf - (size_t)n, ":");
	return buf;
}

static void
past_end(const struct sk_range *r, int64_t total)
{
	if (total < 0)
		errx(EXIT_RUNTIME, "range '%s' runs past the end of the input",
		     range_text(r));
	errx(EXIT_RUNTIME,
	     "range '%s' runs past the end of the input (%" PRId64 " %s)",
	     range_text(r), total, opt_lines ? "lines" : "bytes");
}

/* Copies up to max bytes of s to stdout; exits on failure. */
static int64_t
emit(sk_stream *s, int64_t max)
{
	int64_t r = sk_copy(s, STDOUT_FILENO, max);

	if (r < 0) {
		if (sk_error(s))
			err(EXIT_RUNTIME, "read error");
		write_failed(errno);
	}
	return r;
}

static void
read_failed(void)
{
	err(EXIT_RUNTIME, "read error");
}

/* Does r need the total length of the input to be resolved? */
static int
needs_total(const struct sk_range *r)
{
	return r->start_from_end || !r->has_end || r->end_from_end;
}

/* The absolute end of a range whose parts are not counted from the end. */
static int64_t
abs_end(const struct sk_range *r)
{
	int64_t e = r->end_is_len
	                ? (r->end > INT64_MAX - r->start ? INT64_MAX
	                                                 : r->start + r->end)
	                : r->end;
	return e < r->start ? r->start : e;
}

/*
 * Moves a seekable input to offset off, so that a shared stdin is left
 * just after the last range written, as head(1) leaves it.
 */
static void
consume_to(sk_stream *in, int64_t off)
{
	if (off > 0 && sk_skip(in, off) < 0)
		read_failed();
}

/* ---- bytes ------------------------------------------------------------ */

/* Every input seekable: each range is a section, copied zero-copy. */
static void
bytes_sections(sk_stream *in, int64_t total)
{
	int64_t a = 0, b = 0;

	for (size_t i = 0; i < nranges; i++) {
		sk_stream *sec;
		if (!sk_range_resolve(&ranges[i], total, &a, &b) && opt_strict)
			past_end(&ranges[i], total);
		if ((live.sec = sec = sk_section_open(in, a, b - a)) == NULL)
			read_failed();
		emit(sec, SK_UNKNOWN);
		sk_close(sec);
		live.sec = NULL;
	}
	consume_to(in, b);
}

/*
 * Can the ranges be served in one pass over a pipe?  They can when they
 * are forward ranges in ascending order, then ranges counted from the end
 * (served from a ring of *ring bytes; -1 when there are none), or when the last
 * forward range ends before the end (*droptail bytes held back).  Returns 1
 * when they can.
 */
static int
one_pass(int64_t *ring, int64_t *droptail)
{
	int64_t pos = 0;
	int tail_phase = 0;

	*ring = -1; /* no range counted from the end */
	*droptail = -1;
	for (size_t i = 0; i < nranges; i++) {
		const struct sk_range *r = &ranges[i];
		if (r->start_from_end) {
			tail_phase = 1;
			if (-r->start > *ring)
				*ring = -r->start;
			continue;
		}
		if (tail_phase || r->start < pos)
			return 0;
		if (!r->has_end) {
			pos = INT64_MAX;
		} else if (r->end_from_end) {
			if (i != nranges - 1)
				return 0;
			*droptail = -r->end;
			pos = INT64_MAX;
		} else {
			pos = abs_end(r);
		}
	}
	return *ring <= RING_MAX && *droptail <= RING_MAX;
}

static void
bytes_one_pass(sk_stream *in, int64_t ring, int64_t droptail)
{
	sk_stream *src = in;
	int64_t pos = 0;
	size_t i;

	/* A recorder remembers the last bytes for the ranges counted from the
	 * end, and counts the input for --strict. */
	if (ring >= 0 || (droptail >= 0 && opt_strict)) {
		if ((src = sk_recorder_open(in, ring > 0 ? (size_t)ring : 0)) ==
		    NULL)
			err(EXIT_RUNTIME, "memory");
		live.wrap = src;
	}
	for (i = 0; i < nranges && !ranges[i].start_from_end; i++) {
		const struct sk_range *r = &ranges[i];
		int64_t k;
		if (r->start > pos) {
			if ((k = sk_skip(src, r->start - pos)) < 0)
				read_failed();
			pos += k;
			if (pos < r->start) {
				if (opt_strict)
					past_end(r, pos);
				continue;
			}
		}
		if (!r->has_end) {
			pos += emit(src, SK_UNKNOWN);
		} else if (r->end_from_end) {
			sk_stream *d = sk_droptail_open(src, (size_t)droptail);
			if ((live.wrap = d) == NULL)
				err(EXIT_RUNTIME, "memory");
			emit(d, SK_UNKNOWN);
			if (opt_strict && sk_recorder_total(src) < droptail)
				past_end(r, sk_recorder_total(src));
			sk_close(d);
			return;
		} else {
			int64_t want = abs_end(r) - r->start,
			        got = emit(src, want);
			pos += got;
			if (got < want && opt_strict)
				past_end(r, pos);
		}
	}
	if (i < nranges) {
		int64_t total, base;
		sk_stream *tail;
		if (sk_discard(src) < 0)
			read_failed();
		total = sk_recorder_total(src);
		if ((live.tail = tail =
		         sk_recorder_tail_open(src, (size_t)ring)) == NULL)
			read_failed();
		base = total - sk_length(tail);
		for (; i < nranges; i++) {
			int64_t a, b;
			sk_stream *sec;
			if (!sk_range_resolve(&ranges[i], total, &a, &b) &&
			    opt_strict)
				past_end(&ranges[i], total);
			if ((live.sec = sec = sk_section_open(tail, a - base,
			                                      b - a)) == NULL)
				err(EXIT_RUNTIME, "memory");
			emit(sec, SK_UNKNOWN);
			sk_close(sec);
			live.sec = NULL;
		}
		sk_close(tail);
		live.tail = NULL;
	}
	sk_close(src);
	live.wrap = NULL;
}

/* Anything else on a pipe: through a spool, read only as far as needed. */
static void
bytes_spool(sk_stream *in)
{
	sk_spool *sp = live.sp = sk_spool_open(in, SPOOL_MEM, NULL);

	if (sp == NULL)
		err(EXIT_RUNTIME, "spool");
	for (size_t i = 0; i < nranges; i++) {
		int inside;
		sk_stream *sec = sk_spool_range_open(sp, &ranges[i], &inside);
		if ((live.sec = sec) == NULL)
			read_failed();
		if (!inside && opt_strict)
			past_end(&ranges[i], sk_spool_size(sp));
		emit(sec, SK_UNKNOWN);
		sk_close(sec);
		live.sec = NULL;
	}
	live.sp = NULL;
	if (sk_spool_close(sp) < 0)
		read_failed();
}

static void
run_bytes(sk_stream *in)
{
	int64_t total = sk_length(in), ring, droptail;
	sk_stream *probe;

	if (total != SK_UNKNOWN &&
	    (probe = sk_section_open(in, 0, 0)) != NULL) {
		sk_close(probe);
		bytes_sections(in, total);
		sk_close(in);
	} else if (one_pass(&ring, &droptail)) {
		bytes_one_pass(in, ring, droptail);
	} else {
		bytes_spool(in);
	}
}

/* ---- lines ------------------------------------------------------------ */

/* A forward scanner over a stream, counting lines. */
struct scan {
	sk_stream *src;
	char *buf;
	size_t start, end;
	int64_t line; /* index of the line that buf[start] belongs to */
	int mid;      /* bytes of the current line have been passed */
	int eof;
	int seekable; /* peek through sections; consume only what is passed */
};

/* Fills the empty buffer; the bytes it held have all been passed. */
static ssize_t
scan_fill(struct scan *sc)
{
	sk_stream *sec;
	size_t got;

	if (!sc->seekable) {
		ssize_t r = sk_read(sc->src, sc->buf, LINE_BUF);
		if (r < 0)
			read_failed();
		return r;
	}
	consume_to(sc->src, (int64_t)sc->end);
	if ((live.sec = sec = sk_section_open(sc->src, 0, LINE_BUF)) == NULL)
		read_failed();
	if (sk_read_full(sec, sc->buf, LINE_BUF, &got) < 0 && errno != ENODATA)
		read_failed();
	sk_close(sec);
	live.sec = NULL;
	return (ssize_t)got;
}

/*
 * Moves to the start of line target, writing what it passes when out is
 * set.  Returns 1 when there, 0 when the input ended first.
 */
static int
scan_to(struct scan *sc, int64_t target, int out)
{
	while (sc->line < target) {
		size_t seg = sc->start;
		char *p;
		if (sc->start == sc->end) {
			ssize_t r;
			if (sc->eof)
				return 0;
			r = scan_fill(sc);
			sc->start = 0;
			sc->end = (size_t)r;
			if (r == 0) {
				sc->eof = 1;
				/* A last line without a delimiter counts. */
				if (sc->mid) {
					sc->mid = 0;
					sc->line++;
				}
			}
			continue;
		}
		while (sc->line < target &&
		       (p = memchr(sc->buf + sc->start, delim,
		                   sc->end - sc->start)) != NULL) {
			sc->start = (size_t)(p - sc->buf) + 1;
			sc->line++;
			sc->mid = 0;
		}
		if (sc->line < target && sc->start < sc->end) {
			sc->start = sc->end;
			sc->mid = 1;
		}
		if (out && sk_write_all(STDOUT_FILENO, sc->buf + seg,
		                        sc->start - seg) < 0)
			write_failed(errno);
	}
	return 1;
}

/* Are the line ranges forward and ascending, for one pass? */
static int
lines_forward(void)
{
	int64_t pos = 0;

	for (size_t i = 0; i < nranges; i++) {
		const struct sk_range *r = &ranges[i];
		if (needs_total(r) && (r->start_from_end || r->end_from_end))
			return 0;
		if (r->start < pos)
			return 0;
		pos = r->has_end ? abs_end(r) : INT64_MAX;
	}
	return 1;
}

static void
lines_one_pass(sk_stream *in, int seekable)
{
	struct scan sc = {.src = in, .seekable = seekable};

	if ((live.buf = sc.buf = malloc(LINE_BUF)) == NULL)
		err(EXIT_RUNTIME, "memory");
	for (size_t i = 0; i < nranges; i++) {
		const struct sk_range *r = &ranges[i];
		if (!scan_to(&sc, r->start, 0)) {
			if (opt_strict)
				past_end(r, sc.line);
			continue;
		}
		if (r->has_end) {
			if (!scan_to(&sc, abs_end(r), 1) && opt_strict)
				past_end(r, sc.line);
			continue;
		}
		/* To the end: what is buffered, then the rest zero-copy. */
		if (seekable) {
			consume_to(in, (int64_t)sc.start);
		} else if (sk_write_all(STDOUT_FILENO, sc.buf + sc.start,
		                        sc.end - sc.start) < 0) {
			write_failed(errno);
		}
		sc.start = sc.end = 0;
		/* On a file, up to the size it has now: a file that is also
		 * the output (>>) must not be chased forever. */
		if (!sc.eof || seekable)
			emit(in, seekable ? sk_length(in) : SK_UNKNOWN);
		sc.eof = 1;
	}
	if (seekable)
		consume_to(in, (int64_t)sc.start);
	free(sc.buf);
	sk_close(in);
}

/* Random access to the input for line ranges: seekable input, or a spool. */
struct ra {
	sk_stream *in;
	sk_spool *sp;
	int64_t cache_line, cache_off; /* a known line start, for scans */
};

static ssize_t
ra_read(struct ra *ra, void *buf, size_t n, int64_t off)
{
	sk_stream *sec;
	size_t got;

	if (ra->sp) {
		ssize_t r = sk_spool_read_at(ra->sp, buf, n, off);
		if (r < 0)
			read_failed();
		return r;
	}
	if ((live.tail = sec = sk_section_open(ra->in, off, (int64_t)n)) ==
	    NULL)
		read_failed();
	if (sk_read_full(sec, buf, n, &got) < 0 && errno != ENODATA)
		read_failed();
	sk_close(sec);
	live.tail = NULL;
	return (ssize_t)got;
}

static int64_t
ra_length(struct ra *ra)
{
	int64_t l =
	    ra->sp ? sk_spool_fill(ra->sp, SK_UNKNOWN) : sk_length(ra->in);

	if (l < 0)
		read_failed();
	return l;
}

/* The offset where line k starts (the length when k is the line count);
 * *inside is cleared when the input has fewer than k lines. */
static int64_t
line_start(struct ra *ra, char *buf, int64_t k, int *inside)
{
	int64_t line = 0, off = 0, cur = 0;

	if (k >= ra->cache_line) {
		line = ra->cache_line;
		off = cur = ra->cache_off;
	}
	while (line < k) {
		ssize_t r = ra_read(ra, buf, LINE_BUF, off);
		char *p, *q;
		if (r == 0) {
			/* The end: a last line without a delimiter counts. */
			if (off > cur)
				line++;
			if (line < k)
				*inside = 0;
			return off;
		}
		for (p = buf;
		     line < k && (q = memchr(p, delim, (size_t)(buf + r - p)));
		     p = q + 1) {
			line++;
			cur = off + (q - buf) + 1;
		}
		off = line == k ? cur : off + r;
	}
	ra->cache_line = k;
	ra->cache_off = cur;
	return cur;
}

/* The offset where the k-th line from the end starts (k = 0: the end). */
static int64_t
line_from_end(struct ra *ra, char *buf, int64_t k, int *inside)
{
	int64_t total = ra_length(ra), end = total, found = 0;
	char last;

	if (k == 0)
		return total;
	if (total == 0) {
		*inside = 0;
		return 0;
	}
	/* A delimiter at the very end closes the last line; it starts none. */
	if (ra_read(ra, &last, 1, total - 1) == 1 && last == delim)
		end--;
	while (end > 0) {
		int64_t from = end > LINE_BUF ? end - LINE_BUF : 0;
		ssize_t n = ra_read(ra, buf, (size_t)(end - from), from);
		if (n != end - from)
			errx(EXIT_RUNTIME,
			     "read error: input changed while read");
		for (int64_t j = n - 1; j >= 0; j--)
			if (buf[j] == delim && ++found == k)
				return from + j + 1;
		end = from;
	}
	if (found < k - 1)
		*inside = 0;
	return 0;
}

static void
lines_random(struct ra *ra)
{
	char *buf = live.buf = malloc(LINE_BUF);
	int64_t a = 0, b = 0;

	if (buf == NULL)
		err(EXIT_RUNTIME, "memory");
	for (size_t i = 0; i < nranges; i++) {
		const struct sk_range *r = &ranges[i];
		int inside = 1;
		sk_stream *sec;
		a = !r->start_from_end
		        ? line_start(ra, buf, r->start, &inside)
		        : line_from_end(ra, buf, -r->start, &inside);
		if (!r->has_end) {
			b = ra_length(ra);
		} else if (r->end_is_len && r->start_from_end) {
			int64_t e = r->start +
			            (r->end > -r->start ? -r->start : r->end);
			if (r->end > -r->start)
				inside = 0;
			b = e < 0 ? line_from_end(ra, buf, -e, &inside)
			          : ra_length(ra);
		} else if (r->end_from_end) {
			b = line_from_end(ra, buf, -r->end, &inside);
		} else {
			b = line_start(ra, buf, abs_end(r), &inside);
		}
		if (!inside && opt_strict)
			past_end(r, -1);
		if (b < a)
			b = a;
		sec = ra->sp ? sk_spool_stream_open(ra->sp, a, b - a)
		             : sk_section_open(ra->in, a, b - a);
		if ((live.sec = sec) == NULL)
			read_failed();
		emit(sec, SK_UNKNOWN);
		sk_close(sec);
		live.sec = NULL;
	}
	if (ra->in)
		consume_to(ra->in, b);
	free(buf);
}

static void
run_lines(sk_stream *in)
{
	struct ra ra = {.in = in};
	sk_stream *probe;
	int seekable = 0;

	if (sk_length(in) != SK_UNKNOWN &&
	    (probe = sk_section_open(in, 0, 0))) {
		sk_close(probe);
		seekable = 1;
	}
	if (lines_forward()) {
		lines_one_pass(in, seekable);
		return;
	}
	if (seekable) {
		lines_random(&ra);
		sk_close(in);
		return;
	}
	if ((live.sp = ra.sp = sk_spool_open(in, SPOOL_MEM, NULL)) == NULL)
		err(EXIT_RUNTIME, "spool");
	ra.in = NULL;
	lines_random(&ra);
	sk_spool_close(ra.sp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"range", required_argument, NULL, 'r'},
	    {"lines", no_argument, NULL, 'l'},
	    {"strict", no_argument, NULL, 's'},
	    {"zero-terminated", no_argument, NULL, 'z'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *bad;
	int c;
	sk_stream *in;

	/* A file size limit (ulimit -f) is an error to report, not death. */
	signal(SIGXFSZ, SIG_IGN);
	program_init();
	while ((c = getopt_long(argc, argv, "hlr:szV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			opt_lines = 1;
			break;
		case 'r':
			if (sk_parse_ranges(optarg, &ranges, &nranges, &bad) <
			    0) {
				const char *end = strchr(bad, ',');
				int len =
				    end ? (int)(end - bad) : (int)strlen(bad);
				usage_error(
				    "invalid range '%.*s': %s", len, bad,
				    errno == ERANGE
				        ? "number too large"
				        : "expected START:END, START+LENGTH, "
				          "START: or :END");
			}
			break;
		case 's':
			opt_strict = 1;
			break;
		case 'z':
			delim = '\0';
			break;
		case 'V':
			print_version();
			return 0;
		default:
			usage_error("unknown or incomplete option");
		}
	}
	if (nranges == 0 && sk_parse_ranges(":", &ranges, &nranges, NULL) < 0)
		err(EXIT_RUNTIME, "memory");

	argc -= optind;
	argv += optind;
	/* A missing input would shift every offset after it: write nothing. */
	if ((in = open_inputs(argc, argv)) == NULL) {
		free(ranges);
		return EXIT_RUNTIME;
	}
	live.in = in;
	if (opt_lines)
		run_lines(in);
	else
		run_bytes(in);
	free(ranges);
	close_stdout();
	return 0;
}
