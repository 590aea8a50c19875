/*
 * compress_zstd.c - zstd through libzstd's own workers, with a content
 * checksum as the zstd tool writes.  Always at least one worker: libzstd's
 * output then depends on the level and job size only, not on the number
 * of workers (without any, it would write other bytes).
 *
 * libzstd allocates with its default allocator: with a custom one, 1.5.4
 * clears a failed allocation (ZSTD_customCalloc) and crashes, where its
 * own calloc path reports the failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"

struct zs {
	ZSTD_CCtx *z;
	unsigned char *out;
	size_t cap;
};

static int
zs_error(size_t r)
{
	errno =
	    ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? ENOMEM : EIO;
	return -1;
}

static int
zs_start(sk_compress *c)
{
	struct zs *s = calloc(1, sizeof *s);
	size_t r;

	if (s == NULL)
		return -1;
	c->state = s;
	s->cap = ZSTD_CStreamOutSize();
	if ((s->z = ZSTD_createCCtx()) == NULL ||
	    (s->out = malloc(s->cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (ZSTD_isError(r = ZSTD_CCtx_setParameter(
	                     s->z, ZSTD_c_compressionLevel, c->level)) ||
	    ZSTD_isError(
	        r = ZSTD_CCtx_setParameter(s->z, ZSTD_c_checksumFlag, 1)))
		return zs_error(r);
	/* A libzstd built without threads refuses workers: every thread
	 * count then runs on the caller's, and still gives one output. */
	(void)ZSTD_CCtx_setParameter(s->z, ZSTD_c_nbWorkers, c->threads);
	if (c->block &&
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(s->z, ZSTD_c_jobSize,
	                                            (int)c->block))) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Runs bytes (or, with end, the frame's end) through zstd; 0 or -1. */
static int
zs_push(sk_compress *c, const void *buf, size_t n, ZSTD_EndDirective mode)
{
	struct zs *s = c->state;
	ZSTD_inBuffer in = {buf, n, 0};
	size_t left;

	do {
		ZSTD_outBuffer out = {s->out, s->cap, 0};
		left = ZSTD_compressStream2(s->z, &out, &in, mode);
		if (ZSTD_isError(left))
			return zs_error(left);
		if (sk__compress_emit(c, s->out, out.pos) < 0)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int
zs_write(sk_compress *c, const unsigned char *buf, size_t n)
{
	return zs_push(c, buf, n, ZSTD_e_continue);
}

static int
zs_finish(sk_compress *c)
{
	return zs_push(c, NULL, 0, ZSTD_e_end);
}

static void
zs_end(sk_compress *c)
{
	struct zs *s = c->state;

	if (s) {
		ZSTD_freeCCtx(s->z);
		free(s->out);
		free(s);
	}
}

const struct sk__cmethod sk__czstd = {
    "zstd", 1, 19, 3, zs_start, zs_write, zs_finish, zs_end,
};
