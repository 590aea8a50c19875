/*
 * stream_droptail.c - all of a stream but its last n bytes (head -c -N).
 * Bytes are released only once n newer ones stand behind them, so the
 * ring holds n bytes plus one read's worth.
 */
#include <errno.h>
#include <stdlib.h>

#include "ring.h"
#include "sk_impl.h"

#define CHUNK (64 * 1024)

struct droptail {
	sk_stream base;
	sk_stream *src;
	struct sk__ring ring;
	size_t keep;
	int src_eof;
};

static ssize_t
droptail_read(sk_stream *s, void *buf, size_t n)
{
	struct droptail *d = (struct droptail *)s;

	while (d->ring.len <= d->keep) {
		char *p;
		size_t room;
		ssize_t r;

		if (d->src_eof)
			return 0;
		room = sk__ring_space(&d->ring, &p);
		r = sk_read(d->src, p, room);
		if (r < 0)
			return -1;
		if (r == 0)
			d->src_eof = 1;
		sk__ring_commit(&d->ring, (size_t)r);
	}
	if (n > d->ring.len - d->keep)
		n = d->ring.len - d->keep;
	return (ssize_t)sk__ring_pop(&d->ring, buf, n);
}

static int
droptail_close(sk_stream *s)
{
	struct droptail *d = (struct droptail *)s;
	int r = sk_close(d->src);

	sk__ring_free(&d->ring);
	free(d);
	return r;
}

static int64_t
droptail_length(sk_stream *s)
{
	struct droptail *d = (struct droptail *)s;
	int64_t l = sk_length(d->src);

	if (l == SK_UNKNOWN)
		return SK_UNKNOWN;
	l += (int64_t)d->ring.len - (int64_t)d->keep;
	return l > 0 ? l : 0;
}

static const struct sk_ops droptail_ops = {
    .name = "droptail",
    .read = droptail_read,
    .close = droptail_close,
    .length = droptail_length,
};

SK_API sk_stream *
sk_droptail_open(sk_stream *src, int64_t n)
{
	struct droptail *d;

	if (src == NULL || n < 0) {
		sk_close(src);
		errno = EINVAL;
		return NULL;
	}
	/* The ring holds n bytes in memory: more than memory can address is
	 * more than can be had. */
	if ((uint64_t)n > SIZE_MAX - CHUNK) {
		sk_close(src);
		errno = ENOMEM;
		return NULL;
	}
	if ((d = calloc(1, sizeof *d)) == NULL ||
	    sk__ring_init(&d->ring, (size_t)n + CHUNK) < 0) {
		free(d);
		sk_close(src);
		return NULL;
	}
	sk__init(&d->base, &droptail_ops);
	d->src = src;
	d->keep = (size_t)n;
	return &d->base;
}
