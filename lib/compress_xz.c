/*
 * compress_xz.c - xz through liblzma's multithreaded encoder.  It is used
 * for one thread too: its output depends on the block size only, so any
 * number of threads gives the same bytes (the single-threaded encoder
 * would write one block, different bytes).
 */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>

#include "compress.h"

#define OUTBUF ((size_t)128 << 10)

struct xz {
	lzma_stream s;
	lzma_allocator a;
	int ok;
	unsigned char out[OUTBUF];
};

static void *
xz_alloc(void *opaque, size_t n, size_t size)
{
	(void)opaque;
	return n && size > SIZE_MAX / n ? NULL : sk__compress_alloc(n * size);
}

static void
xz_free(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

static int
xz_error(lzma_ret r)
{
	errno = r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR ? ENOMEM
	        : r == LZMA_OPTIONS_ERROR                       ? EINVAL
	                                                        : EIO;
	return -1;
}

static int
xz_start(sk_compress *c)
{
	struct xz *x = calloc(1, sizeof *x);
	lzma_mt mt = {0};
	lzma_ret r;

	if (x == NULL)
		return -1;
	c->state = x;
	x->s = (lzma_stream)LZMA_STREAM_INIT;
	x->a.alloc = xz_alloc;
	x->a.free = xz_free;
	x->s.allocator = &x->a;
	mt.threads = (uint32_t)c->threads;
	mt.block_size = c->block;
	mt.preset = (uint32_t)c->level;
	mt.check = LZMA_CHECK_CRC64;
	if ((r = lzma_stream_encoder_mt(&x->s, &mt)) != LZMA_OK)
		return xz_error(r);
	x->ok = 1;
	return 0;
}

/* Runs the encoder until it took all its input (or, finishing, until the
 * stream's end), writing what it makes. */
static int
xz_run(sk_compress *c, lzma_action action)
{
	struct xz *x = c->state;
	lzma_ret r;

	do {
		x->s.next_out = x->out;
		x->s.avail_out = OUTBUF;
		r = lzma_code(&x->s, action);
		if (r != LZMA_OK && r != LZMA_STREAM_END)
			return xz_error(r);
		if (sk__compress_emit(c, x->out, OUTBUF - x->s.avail_out) < 0)
			return -1;
	} while (action == LZMA_FINISH ? r != LZMA_STREAM_END
	                               : x->s.avail_in > 0);
	return 0;
}

static int
xz_write(sk_compress *c, const unsigned char *buf, size_t n)
{
	struct xz *x = c->state;

	x->s.next_in = buf;
	x->s.avail_in = n;
	return xz_run(c, LZMA_RUN);
}

static int
xz_finish(sk_compress *c)
{
	return xz_run(c, LZMA_FINISH);
}

static void
xz_end(sk_compress *c)
{
	struct xz *x = c->state;

	if (x) {
		if (x->ok)
			lzma_end(&x->s);
		free(x);
	}
}

const struct sk__cmethod sk__cxz = {
    "xz", 1, 9, 6, xz_start, xz_write, xz_finish, xz_end,
};
