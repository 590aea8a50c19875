/*
 * stream_mem.c - a stream over bytes in memory, borrowed or owned.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sk_impl.h"

struct memstream {
	sk_stream base;
	const char *buf;
	size_t len;
	size_t pos;
	int own;
};

static ssize_t
mem_read(sk_stream *s, void *buf, size_t n)
{
	struct memstream *m = (struct memstream *)s;
	size_t left = m->len - m->pos;

	if (n > left)
		n = left;
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int
mem_close(sk_stream *s)
{
	struct memstream *m = (struct memstream *)s;

	if (m->own)
		free((void *)m->buf);
	free(m);
	return 0;
}

static int64_t
mem_length(sk_stream *s)
{
	struct memstream *m = (struct memstream *)s;

	return (int64_t)(m->len - m->pos);
}

static int64_t
mem_skip(sk_stream *s, int64_t n)
{
	struct memstream *m = (struct memstream *)s;
	size_t left = m->len - m->pos;

	if ((uint64_t)n > left)
		n = (int64_t)left;
	m->pos += (size_t)n;
	return n;
}

static sk_stream *
mem_section(sk_stream *s, int64_t off, int64_t len)
{
	struct memstream *m = (struct memstream *)s;
	size_t left = m->len - m->pos;

	if ((uint64_t)off > left)
		off = (int64_t)left;
	if (len == SK_UNKNOWN || (uint64_t)len > left - (size_t)off)
		len = (int64_t)(left - (size_t)off);
	return sk_mem_open(m->buf + m->pos + off, (size_t)len, 0);
}

static int64_t
mem_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct memstream *m = (struct memstream *)s;
	size_t n = m->len - m->pos;

	if (max != SK_UNKNOWN && (uint64_t)max < n)
		n = (size_t)max;
	if (sk_write_all(dst, m->buf + m->pos, n) < 0) {
		*rerr = 0;
		return -1;
	}
	m->pos += n;
	return (int64_t)n;
}

static const struct sk_ops mem_ops = {
    .name = "mem",
    .read = mem_read,
    .close = mem_close,
    .length = mem_length,
    .skip = mem_skip,
    .section = mem_section,
    .copy = mem_copy,
};

SK_API sk_stream *
sk_mem_open(const void *buf, size_t n, int flags)
{
	struct memstream *m;

	if (buf == NULL && n > 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((m = calloc(1, sizeof *m)) == NULL) {
		if (flags & SK_MEM_OWN)
			free((void *)buf);
		return NULL;
	}
	sk__init(&m->base, &mem_ops);
	m->buf = buf ? buf : "";
	m->len = n;
	m->own = (flags & SK_MEM_OWN) && buf != NULL;
	return &m->base;
}
