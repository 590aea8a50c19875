/*
 * stream_buffered.c - a read buffer over a stream, with line reading that
 * fails cleanly when a line does not fit (Go's bufio.Reader.ReadSlice
 * with a limit, not a silent cut).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sk_impl.h"

#define DEFAULT_BUF (64 * 1024)

struct buffered {
	sk_stream base;
	sk_stream *src;
	char *buf;
	size_t cap;
	size_t start, end; /* unread bytes are buf[start, end) */
	int src_eof;
};

static ssize_t
buffered_read(sk_stream *s, void *out, size_t n)
{
	struct buffered *b = (struct buffered *)s;
	ssize_t r;

	if (b->start == b->end) {
		if (b->src_eof)
			return 0;
		/* A large read gains nothing from the buffer. */
		if (n >= b->cap)
			return sk_read(b->src, out, n);
		b->start = b->end = 0;
		if ((r = sk_read(b->src, b->buf, b->cap)) <= 0) {
			if (r == 0)
				b->src_eof = 1;
			return r;
		}
		b->end = (size_t)r;
	}
	if (n > b->end - b->start)
		n = b->end - b->start;
	memcpy(out, b->buf + b->start, n);
	b->start += n;
	return (ssize_t)n;
}

static int
buffered_close(sk_stream *s)
{
	struct buffered *b = (struct buffered *)s;
	int r = sk_close(b->src);

	free(b->buf);
	free(b);
	return r;
}

static int64_t
buffered_length(sk_stream *s)
{
	struct buffered *b = (struct buffered *)s;
	int64_t l = b->src_eof ? 0 : sk_length(b->src);

	return l == SK_UNKNOWN ? l : l + (int64_t)(b->end - b->start);
}

static int64_t
buffered_skip(sk_stream *s, int64_t n)
{
	struct buffered *b = (struct buffered *)s;
	size_t have = b->end - b->start;
	int64_t r;

	if ((uint64_t)n <= have) {
		b->start += (size_t)n;
		return n;
	}
	b->start = b->end = 0;
	if (b->src_eof)
		return (int64_t)have;
	r = sk_skip(b->src, n - (int64_t)have);
	return r < 0 ? -1 : r + (int64_t)have;
}

static const struct sk_ops buffered_ops = {
    .name = "buffered",
    .read = buffered_read,
    .close = buffered_close,
    .length = buffered_length,
    .skip = buffered_skip,
};

SK_API sk_stream *
sk_buffered_open(sk_stream *src, size_t bufsize)
{
	struct buffered *b;

	if (src == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (bufsize == 0)
		bufsize = DEFAULT_BUF;
	if ((b = calloc(1, sizeof *b)) == NULL ||
	    (b->buf = malloc(bufsize)) == NULL) {
		free(b);
		sk_close(src);
		return NULL;
	}
	sk__init(&b->base, &buffered_ops);
	b->src = src;
	b->cap = bufsize;
	return &b->base;
}

SK_API int
sk_readline(sk_stream *s, int delim, size_t max, const char **line, size_t *len)
{
	struct buffered *b = (struct buffered *)s;
	size_t scanned = 0;

	if (s->ops != &buffered_ops || max == 0) {
		errno = EINVAL;
		return -1;
	}
	if (sk__check(s) < 0)
		return -1;
	for (;;) {
		size_t have = b->end - b->start;
		char *hit =
		    memchr(b->buf + b->start + scanned, delim, have - scanned);
		ssize_t r;

		if (hit != NULL) {
			size_t n = (size_t)(hit - (b->buf + b->start)) + 1;
			if (n > max)
				break;
			*line = b->buf + b->start;
			*len = n;
			b->start += n;
			return 1;
		}
		scanned = have;
		/* max bytes without a delimiter are a line of max bytes only
		 * if the input ends there: read on (into max + 1 bytes of
		 * room) to tell. */
		if (have > max)
			break;
		if (b->src_eof) {
			if (have == 0)
				return 0;
			*line = b->buf + b->start;
			*len = have;
			b->start = b->end;
			return 1;
		}
		/* Make room: slide the partial line to the front, and grow
		 * the buffer (up to max) when the line fills it. */
		if (b->start > 0) {
			memmove(b->buf, b->buf + b->start, have);
			b->start = 0;
			b->end = have;
		}
		if (b->end == b->cap) {
			size_t lim = max < SIZE_MAX ? max + 1 : SIZE_MAX;
			size_t ncap = b->cap * 2 > lim ? lim : b->cap * 2;
			char *nb;
			if (ncap <= b->cap)
				ncap = b->cap + 1;
			/* Out of memory, the line is cut where no caller can
			 * resume it: the stream has failed. */
			if ((nb = realloc(b->buf, ncap)) == NULL)
				return sk__fail(s);
			b->buf = nb;
			b->cap = ncap;
		}
		r = sk_read(b->src, b->buf + b->end, b->cap - b->end);
		if (r < 0)
			return sk__fail(s);
		if (r == 0)
			b->src_eof = 1;
		b->end += (size_t)r;
	}
	errno = EMSGSIZE;
	return -1;
}
