/*
 * compress_zstd.c - zstd with a content checksum, as the zstd tool
 * writes, in one of two ways by the number of threads:
 *
 * - 1 or 2: one compressor, libzstd's single-threaded one, as
 *   `zstd --single-thread`; with 2 threads it runs on a worker of a serial
 *   block pool (compress_pool.c) while the caller makes the next block.
 *   On 2 cores this is faster than libzstd's two workers: at level 3
 *   those spent 1.5x the CPU time of one compressor (copies between
 *   their buffers) and were no faster than it, so beside a producer
 *   such as the tar walk they came out behind.
 * - 3 or more: libzstd's own workers, as `zstd -T N`; their output
 *   depends on the level and job size only, not on the number of
 *   workers.
 *
 * So the bytes are the same for 1 and 2 threads, and for any count from
 * 3.  libzstd allocates with its default allocator: with a custom one,
 * 1.5.4 clears a failed allocation (ZSTD_customCalloc) and crashes, where
 * its own calloc path reports the failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"

/* From this many threads on, libzstd's workers. */
#define MT_FROM 3
#define BLOCK   ((size_t)1 << 20)

struct zs {
	struct sk__pool *pool; /* serial: first, see sk__pool_end */
	ZSTD_CCtx *z;          /* libzstd's workers */
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

/* A compressor at c's level, with the checksum; NULL with errno. */
static ZSTD_CCtx *
zs_cctx(sk_compress *c)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	size_t r;

	if (z == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (ZSTD_isError(r = ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel,
	                                            c->level)) ||
	    ZSTD_isError(
	        r = ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1))) {
		ZSTD_freeCCtx(z);
		zs_error(r);
		return NULL;
	}
	return z;
}

/* The serial pool's worker: one single-threaded compressor for the whole
 * stream, fed the blocks in order. */
static void *
zsw_new(sk_compress *c)
{
	return zs_cctx(c);
}

static void
zsw_free(void *w)
{
	ZSTD_freeCCtx(w);
}

/* The block through the compressor; the last one ends the frame.  What
 * it gives out may be less than the block (libzstd keeps up to a block
 * of its own) or, at the end, more. */
static int
zsw_compress(sk_compress *c, void *w, struct sk__cjob *j)
{
	ZSTD_inBuffer in = {j->in, j->inlen, 0};
	ZSTD_EndDirective mode = j->last ? ZSTD_e_end : ZSTD_e_continue;
	size_t need = ZSTD_compressBound(j->inlen + ZSTD_BLOCKSIZE_MAX) + 64;
	size_t left;

	(void)c;
	if (sk__cjob_room(j, need) < 0)
		return -1;
	j->outlen = 0;
	do {
		ZSTD_outBuffer out = {j->out, j->outcap, j->outlen};
		left = ZSTD_compressStream2(w, &out, &in, mode);
		if (ZSTD_isError(left))
			return zs_error(left);
		if (out.pos == j->outlen && out.pos == j->outcap) {
			errno = EIO; /* the bound was wrong: never */
			return -1;
		}
		j->outlen = out.pos;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int
zsw_emit(sk_compress *c, struct sk__cjob *j)
{
	return sk__compress_emit(c, j->out, j->outlen);
}

static int
zsw_header(sk_compress *c)
{
	(void)c;
	return 0; /* the frame's header comes out of the compressor */
}

static const struct sk__pool_ops zs_serial = {
    zsw_new, zsw_free, zsw_compress, zsw_emit, zsw_header, 1,
};

static int
zs_start(sk_compress *c)
{
	struct zs *s = calloc(1, sizeof *s);
	size_t r;

	if (s == NULL)
		return -1;
	c->state = s;
	if (c->threads < MT_FROM) {
		size_t block = c->block ? c->block : BLOCK;
		s->pool = sk__pool_open(c, &zs_serial, block, block);
		return s->pool ? 0 : -1;
	}
	s->cap = ZSTD_CStreamOutSize();
	if ((s->z = zs_cctx(c)) == NULL)
		return -1;
	if ((s->out = malloc(s->cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
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
	struct zs *s = c->state;

	if (s->pool)
		return sk__pool_write(s->pool, buf, n);
	return zs_push(c, buf, n, ZSTD_e_continue);
}

static int
zs_finish(sk_compress *c)
{
	struct zs *s = c->state;

	if (s->pool)
		return sk__pool_drain(s->pool);
	return zs_push(c, NULL, 0, ZSTD_e_end);
}

static void
zs_end(sk_compress *c)
{
	struct zs *s = c->state;

	if (s) {
		sk__pool_close(s->pool);
		ZSTD_freeCCtx(s->z);
		free(s->out);
		free(s);
	}
}

const struct sk__cmethod sk__czstd = {
    "zstd", 1, 19, 3, zs_start, zs_write, zs_finish, zs_end,
};
