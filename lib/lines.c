/*
 * lines.c - where lines start in a stream that allows sections: line k
 * from the start, line k from the end, and a line range as byte offsets.
 * The stream is read through sections, so it never moves; the start of the
 * last line found is kept, so ranges given in ascending order cost one
 * scan in all, and lines from the end are found by reading backwards from
 * the end, so the tail of a large file costs what the tail holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sk_impl.h"

/* One read of the scan: large for few calls, small against memory. */
#define LINE_BUF (128 * 1024)

struct sk_lines {
	sk_stream *s; /* borrowed */
	int delim;
	char *buf;
	int64_t cache_line, cache_off; /* a known line start */
};

SK_API sk_lines *
sk_lines_open(sk_stream *s, int delim)
{
	sk_lines *li;

	if (s == NULL || delim < 0 || delim > 255) {
		errno = EINVAL;
		return NULL;
	}
	if (!sk_can_section(s)) {
		errno = sk_error(s) ? sk_error(s) : ENOTSUP;
		return NULL;
	}
	if ((li = calloc(1, sizeof *li)) == NULL ||
	    (li->buf = malloc(LINE_BUF)) == NULL) {
		free(li);
		return NULL;
	}
	li->s = s;
	li->delim = delim;
	return li;
}

SK_API int
sk_lines_close(sk_lines *li)
{
	if (li) {
		free(li->buf);
		free(li);
	}
	return 0;
}

/* The stream's length, reading it to its end when it cannot tell (a
 * spool still being filled). */
static int64_t
length(sk_lines *li)
{
	int64_t l = sk_length(li->s);
	sk_stream *sec;

	if (l != SK_UNKNOWN || sk_error(li->s))
		return l;
	if ((sec = sk_section_open(li->s, 0, SK_UNKNOWN)) == NULL)
		return -1;
	l = sk_discard(sec);
	sk_close(sec);
	return l;
}

/* Line k's start; clears *inside when there are fewer than k lines. */
static int64_t
start(sk_lines *li, int64_t k, int *inside)
{
	int64_t line = 0, off = 0, cur = 0;

	if (k >= li->cache_line) {
		line = li->cache_line;
		off = cur = li->cache_off;
	}
	while (line < k) {
		ssize_t r = sk__read_at(li->s, li->buf, LINE_BUF, off);
		char *p, *q;
		if (r < 0)
			return -1;
		if (r == 0) {
			/* The end: a last line without a delimiter counts. */
			if (off > cur)
				line++;
			if (line < k)
				*inside = 0;
			return off;
		}
		for (p = li->buf;
		     line < k &&
		     (q = memchr(p, li->delim, (size_t)(li->buf + r - p)));
		     p = q + 1) {
			line++;
			cur = off + (q - li->buf) + 1;
		}
		off = line == k ? cur : off + r;
	}
	li->cache_line = k;
	li->cache_off = cur;
	return cur;
}

/* The start of the k-th line from the end; clears *inside when there are
 * fewer than k lines. */
static int64_t
from_end(sk_lines *li, int64_t k, int *inside)
{
	int64_t total = length(li), end = total, found = 0;
	char last;

	if (total < 0)
		return -1;
	if (k == 0)
		return total;
	if (total == 0) {
		*inside = 0;
		return 0;
	}
	/* A delimiter at the very end closes the last line; it starts none. */
	switch (sk__read_at(li->s, &last, 1, total - 1)) {
	case -1:
		return -1;
	case 1:
		if (last == (char)li->delim)
			end--;
	}
	while (end > 0) {
		int64_t from = end > LINE_BUF ? end - LINE_BUF : 0;
		ssize_t n =
		    sk__read_at(li->s, li->buf, (size_t)(end - from), from);
		if (n < 0)
			return -1;
		if (n != end - from) {
			/* Shorter than its length said: it shrank. */
			errno = ENODATA;
			return -1;
		}
		for (int64_t j = n - 1; j >= 0; j--)
			if (li->buf[j] == (char)li->delim && ++found == k)
				return from + j + 1;
		end = from;
	}
	if (found < k - 1)
		*inside = 0;
	return 0;
}

SK_API int64_t
sk_lines_start(sk_lines *li, int64_t k, int *inside)
{
	int in = 1;
	int64_t r;

	if (k < 0) {
		errno = EINVAL;
		return -1;
	}
	r = start(li, k, &in);
	if (inside)
		*inside = in;
	return r;
}

SK_API int64_t
sk_lines_start_from_end(sk_lines *li, int64_t k, int *inside)
{
	int in = 1;
	int64_t r;

	if (k < 0) {
		errno = EINVAL;
		return -1;
	}
	r = from_end(li, k, &in);
	if (inside)
		*inside = in;
	return r;
}

SK_API int
sk_lines_range(sk_lines *li, const struct sk_range *r, int64_t *a, int64_t *b)
{
	int inside = 1;
	int64_t x, y;

	x = !r->start_from_end ? start(li, r->start, &inside)
	                       : from_end(li, -r->start, &inside);
	if (x < 0)
		return -1;
	if (!r->has_end) {
		y = length(li);
	} else if (r->end_is_len && r->start_from_end) {
		/* -N+L: L lines from N lines before the end, as far as the
		 * end. */
		int64_t e =
		    r->start + (r->end > -r->start ? -r->start : r->end);
		if (r->end > -r->start)
			inside = 0;
		y = e < 0 ? from_end(li, -e, &inside) : length(li);
	} else if (r->end_from_end) {
		y = from_end(li, -r->end, &inside);
	} else {
		y = start(li, sk__range_end(r), &inside);
	}
	if (y < 0)
		return -1;
	*a = x;
	*b = y < x ? x : y;
	return inside;
}
