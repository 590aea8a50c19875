/*
 * stream_linescan.c - lines of a stream in one pass: a scanner that counts
 * lines as it passes them, and the stream that gives the bytes passed on
 * the way to a line (the parts of forward line ranges).  Bytes go out
 * straight from the scanner's buffer: a copy writes them from there.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parts.h"

/* One read of the scan: large for few calls, small against memory. */
#define LINE_BUF (128 * 1024)

struct sk__scan {
	sk_stream *src; /* borrowed */
	int delim;
	char *buf;
	size_t start, end; /* unpassed bytes are buf[start, end) */
	int64_t line;      /* the line buf[start] belongs to */
	int mid;           /* bytes of that line have been passed */
	int eof;
	int seekable; /* peek through sections; move src only past buf */
};

struct sk__scan *
sk__scan_open(sk_stream *src, int delim, int seekable)
{
	struct sk__scan *sc = calloc(1, sizeof *sc);

	if (sc == NULL || (sc->buf = malloc(LINE_BUF)) == NULL) {
		free(sc);
		return NULL;
	}
	sc->src = src;
	sc->delim = delim;
	sc->seekable = seekable;
	return sc;
}

void
sk__scan_close(struct sk__scan *sc)
{
	if (sc) {
		free(sc->buf);
		free(sc);
	}
}

/* Refills the buffer, whose bytes have all been passed: a count, 0 at the
 * end, -1 on error. */
static ssize_t
fill(struct sk__scan *sc)
{
	if (!sc->seekable)
		return sk_read(sc->src, sc->buf, LINE_BUF);
	if (sc->end > 0 && sk_skip(sc->src, (int64_t)sc->end) < 0)
		return -1;
	return sk__read_at(sc->src, sc->buf, LINE_BUF, 0);
}

/*
 * Passes at most max bytes on the way to the start of line k, refilling
 * the buffer when it is empty.  Points *p at them and returns how many;
 * 0 at line k or at the end; -1 on error.
 */
static ssize_t
step(struct sk__scan *sc, int64_t k, size_t max, const char **p)
{
	while (sc->line < k) {
		char *b = sc->buf + sc->start, *q;
		size_t lim = sc->end - sc->start, used = 0;
		ssize_t r;

		if (lim == 0) {
			if (sc->eof)
				return 0;
			if ((r = fill(sc)) < 0)
				return -1;
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
		if (lim > max)
			lim = max;
		while (used < lim && sc->line < k) {
			if ((q = memchr(b + used, sc->delim, lim - used)) ==
			    NULL) {
				used = lim;
				sc->mid = 1;
				break;
			}
			used = (size_t)(q - b) + 1;
			sc->line++;
			sc->mid = 0;
		}
		sc->start += used;
		*p = b;
		return (ssize_t)used;
	}
	return 0;
}

int
sk__scan_to(struct sk__scan *sc, int64_t k)
{
	const char *p;
	ssize_t r;

	while ((r = step(sc, k, SIZE_MAX, &p)) > 0)
		;
	return r < 0 ? -1 : sc->line >= k;
}

int64_t
sk__scan_lines(const struct sk__scan *sc)
{
	return sc->line;
}

int
sk__scan_leave(struct sk__scan *sc)
{
	if (!sc->seekable || sc->start == 0)
		return 0;
	if (sk_skip(sc->src, (int64_t)sc->start) < 0)
		return -1;
	/* What was peeked beyond is read again by a later section. */
	sc->end -= sc->start;
	memmove(sc->buf, sc->buf + sc->start, sc->end);
	sc->start = 0;
	return 0;
}

sk_stream *
sk__scan_rest_open(struct sk__scan *sc)
{
	sk_stream *rest;

	if (sc->seekable) {
		/* On a file, up to the size it has now: a file that is also
		 * the output (>>) must not be chased forever. */
		if (sk__scan_leave(sc) < 0)
			return NULL;
		rest = sk__piece_open(NULL, 0, sc->src, sk_length(sc->src));
	} else {
		rest = sk__piece_open(sc->buf + sc->start, sc->end - sc->start,
		                      sc->eof ? NULL : sc->src, SK_UNKNOWN);
	}
	/* The piece borrows the buffer's bytes; nothing scans past them. */
	sc->start = sc->end = 0;
	sc->eof = 1;
	return rest;
}

/* The part: the bytes passed on the way to line k. */
struct linepart {
	sk_stream base;
	struct sk__scan *sc;
	int64_t k;
};

static ssize_t
part_read(sk_stream *s, void *buf, size_t n)
{
	struct linepart *lp = (struct linepart *)s;
	const char *p;
	ssize_t r = step(lp->sc, lp->k, n, &p);

	if (r > 0)
		memcpy(buf, p, (size_t)r);
	return r;
}

static int
part_close(sk_stream *s)
{
	free(s);
	return 0;
}

static int64_t
part_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct linepart *lp = (struct linepart *)s;
	int64_t done = 0;

	while (max == SK_UNKNOWN || done < max) {
		size_t want = max == SK_UNKNOWN || max - done > SSIZE_MAX
		                  ? SSIZE_MAX
		                  : (size_t)(max - done);
		const char *p;
		ssize_t r = step(lp->sc, lp->k, want, &p);
		if (r < 0) {
			*rerr = 1;
			return -1;
		}
		if (r == 0)
			break;
		if (sk_write_all(dst, p, (size_t)r) < 0) {
			*rerr = 0;
			return -1;
		}
		done += r;
	}
	return done;
}

static const struct sk_ops linepart_ops = {
    .name = "lines",
    .read = part_read,
    .close = part_close,
    .copy = part_copy,
};

sk_stream *
sk__scan_part_open(struct sk__scan *sc, int64_t k)
{
	struct linepart *lp = calloc(1, sizeof *lp);

	if (lp == NULL)
		return NULL;
	sk__init(&lp->base, &linepart_ops);
	lp->sc = sc;
	lp->k = k;
	return &lp->base;
}
