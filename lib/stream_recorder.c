/*
 * stream_recorder.c - passes a stream through while remembering its last
 * bytes, so that ranges counted from the end of a pipe can be answered
 * after the pipe has been read in one pass.
 */
#include <errno.h>
#include <stdlib.h>

#include "ring.h"
#include "sk_impl.h"

struct recorder {
	sk_stream base;
	sk_stream *src;
	struct sk__ring ring;
	int64_t total;
	int done;
};

static ssize_t
recorder_read(sk_stream *s, void *buf, size_t n)
{
	struct recorder *r = (struct recorder *)s;
	ssize_t got = sk_read(r->src, buf, n);

	if (got > 0) {
		sk__ring_push(&r->ring, buf, (size_t)got);
		r->total += got;
	} else if (got == 0 && !r->done) {
		r->done = 1;
		sk__ring_linearize(&r->ring);
	}
	return got;
}

static int
recorder_close(sk_stream *s)
{
	struct recorder *r = (struct recorder *)s;
	int rc = sk_close(r->src);

	sk__ring_free(&r->ring);
	free(r);
	return rc;
}

static int64_t
recorder_length(sk_stream *s)
{
	struct recorder *r = (struct recorder *)s;

	return sk_length(r->src);
}

static const struct sk_ops recorder_ops = {
    .name = "recorder",
    .read = recorder_read,
    .close = recorder_close,
    .length = recorder_length,
};

SK_API sk_stream *
sk_recorder_open(sk_stream *src, int64_t keep)
{
	struct recorder *r;

	if (src == NULL || keep < 0) {
		sk_close(src);
		errno = EINVAL;
		return NULL;
	}
	/* The ring holds keep bytes in memory. */
	if ((uint64_t)keep > SIZE_MAX) {
		sk_close(src);
		errno = ENOMEM;
		return NULL;
	}
	if ((r = calloc(1, sizeof *r)) == NULL ||
	    sk__ring_init(&r->ring, (size_t)keep) < 0) {
		free(r);
		sk_close(src);
		return NULL;
	}
	sk__init(&r->base, &recorder_ops);
	r->src = src;
	return &r->base;
}

SK_API int64_t
sk_recorder_total(sk_stream *s)
{
	if (s->ops != &recorder_ops) {
		errno = EINVAL;
		return -1;
	}
	return ((struct recorder *)s)->total;
}

SK_API sk_stream *
sk_recorder_tail_open(sk_stream *s, int64_t n)
{
	struct recorder *r = (struct recorder *)s;

	if (s->ops != &recorder_ops || n < 0 || (uint64_t)n > r->ring.cap) {
		errno = EINVAL;
		return NULL;
	}
	if (!r->done && sk_discard(s) < 0)
		return NULL;
	if (!r->done) {
		/* sk_discard() stops at the end without a final 0 read when
		 * a skip reached it exactly; ask once more. */
		char c;
		if (sk_read(s, &c, 1) != 0)
			return NULL;
		r->done = 1;
		sk__ring_linearize(&r->ring);
	}
	if ((uint64_t)n > r->ring.len)
		n = (int64_t)r->ring.len;
	return sk_mem_open(r->ring.buf + r->ring.len - (size_t)n, (size_t)n, 0);
}
