/*
 * stream_compress.c - a stream that reads another one compressed: the
 * pull side of the compressor (lib/compress.c).  A read takes input from
 * src only when the compressed bytes already made are all read, so what
 * is held stays what one write of INBUF bytes can release: at most the
 * blocks in flight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"

#define INBUF ((size_t)128 << 10)

struct cstream {
	sk_stream base;
	sk_stream *src;
	sk_compress *c;
	unsigned char *in;
	unsigned char *buf; /* compressed, [pos, len) not read yet */
	size_t pos, len, cap;
	int done; /* src ended and the tail is made */
};

/* The compressor's output: kept until read. */
static int
collect(void *arg, const void *buf, size_t n)
{
	struct cstream *z = arg;

	if (z->len + n > z->cap) {
		size_t cap = z->cap ? z->cap : INBUF;
		unsigned char *p;
		while (cap < z->len + n)
			cap *= 2;
		if ((p = realloc(z->buf, cap)) == NULL)
			return -1;
		z->buf = p;
		z->cap = cap;
	}
	memcpy(z->buf + z->len, buf, n);
	z->len += n;
	return 0;
}

static ssize_t
cstream_read(sk_stream *s, void *buf, size_t n)
{
	struct cstream *z = (struct cstream *)s;

	while (z->pos == z->len) {
		ssize_t got;
		if (z->done)
			return 0;
		z->pos = z->len = 0;
		if ((got = sk_read(z->src, z->in, INBUF)) < 0)
			return -1;
		if (got == 0) {
			if (sk_compress_finish(z->c) < 0)
				return -1;
			z->done = 1;
		} else if (sk_compress_write(z->c, z->in, (size_t)got) < 0) {
			return -1;
		}
	}
	if (n > z->len - z->pos)
		n = z->len - z->pos;
	memcpy(buf, z->buf + z->pos, n);
	z->pos += n;
	return (ssize_t)n;
}

static int
cstream_close(sk_stream *s)
{
	struct cstream *z = (struct cstream *)s;
	int rc = sk_close(z->src);
	int e = errno;

	/* The compressor's error already failed a read: not again here. */
	(void)sk_compress_close(z->c);
	free(z->in);
	free(z->buf);
	free(z);
	errno = e;
	return rc;
}

static const struct sk_ops cstream_ops = {
    .name = "compress",
    .read = cstream_read,
    .close = cstream_close,
};

SK_API sk_stream *
sk_compress_stream_open(sk_stream *src, int method,
                        const struct sk_compress_options *opt)
{
	struct cstream *z;
	int e;

	if (src == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((z = calloc(1, sizeof *z)) == NULL)
		goto fail;
	if ((z->in = malloc(INBUF)) == NULL ||
	    (z->c = sk_compress_open(method, opt, -1, collect, z)) == NULL) {
		free(z->in);
		free(z);
		goto fail;
	}
	sk__init(&z->base, &cstream_ops);
	z->src = src;
	return &z->base;
fail:
	e = errno;
	sk_close(src);
	errno = e;
	return NULL;
}
