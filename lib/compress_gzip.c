/*
 * compress_gzip.c - gzip on every core: blocks compressed by libdeflate
 * on the workers, joined into one gzip member.
 *
 * libdeflate (1.14) compresses whole buffers only, twice as fast as zlib
 * at the same level and as small, but each buffer becomes a complete
 * deflate stream: its last block is marked final.  A worker therefore
 * walks the output's blocks (compress_deflate.c) to learn where the final
 * block starts and where the stream ends to the bit; it clears the final
 * flag and closes the block with an empty stored block (as a sync flush
 * does), so the blocks follow each other byte-aligned.  The member ends
 * with an empty final block, the CRC-32 combined from each block's, and
 * the length.
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "compress.h"

#define DEFAULT_BLOCK ((size_t)1 << 20)
#define MIN_BLOCK     ((size_t)64 << 10)
#define MAX_BLOCK     ((size_t)64 << 20)

struct gz {
	struct sk__pool *pool; /* first: see sk__pool_end */
	uint32_t crc;
	uint32_t mtime;
};

/*
 * libdeflate's level for gzip's level n: the same number.  Measured with 1
 * MiB blocks against zlib's level n on one stream (tars of /usr/include,
 * 117 MiB, and of /usr/lib/python3.11, 51 MiB): the size is within 1%
 * at every level (from -9.6% at 1 to +0.75% at 6 on the headers, smaller
 * at every level on the Python tree), 1.5-3.4x as fast; at 6, 2.2-2.7x.
 * At 6 against gzip -6, tars of /usr/share/doc, /usr/share/perl and 300
 * shared libraries come out 0.4-2.3% smaller; the worst case seen is the
 * first 32 MiB of the headers alone, +1.24%.  One level up would buy
 * about 0.7% for a third of the speed.
 */
static int
deflate_level(int n)
{
	return n;
}

/* A worker's compressor. */
struct gzw {
	struct libdeflate_compressor *ld;
};

static void
gzw_free(void *arg)
{
	struct gzw *w = arg;

	if (w->ld)
		libdeflate_free_compressor(w->ld);
	free(w);
}

static void *
gzw_new(sk_compress *c)
{
	struct gzw *w = sk__compress_alloc(sizeof *w);

	if (w == NULL)
		return NULL;
	w->ld = libdeflate_alloc_compressor(deflate_level(c->level));
	if (w->ld == NULL) {
		gzw_free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

static int
gz_compress(sk_compress *c, void *arg, struct sk__cjob *j)
{
	struct gzw *w = arg;
	size_t need = libdeflate_deflate_compress_bound(w->ld, j->inlen) + 8;
	uint64_t last, end;
	size_t n;

	(void)c;
	if (sk__cjob_room(j, need) < 0)
		return -1;
	n = libdeflate_deflate_compress(w->ld, j->in, j->inlen, j->out,
	                                j->outcap);
	if (n == 0 || sk__deflate_final(j->out, n, &last, &end) < 0) {
		errno = EIO;
		return -1;
	}
	/* Not final any more; the bits after the end cleared; then an
	 * empty stored block: 3 header bits (zeros), padding to the byte,
	 * LEN 0 and NLEN 0xffff. */
	j->out[last / 8] &= (unsigned char)~(1u << (last % 8));
	n = (size_t)((end + 7) / 8);
	if (end % 8)
		j->out[n - 1] &= (unsigned char)((1u << (end % 8)) - 1);
	if (end % 8 == 0 || end % 8 > 5)
		j->out[n++] = 0;
	memcpy(j->out + n, "\0\0\377\377", 4);
	j->outlen = n + 4;
	j->check = libdeflate_crc32(0, j->in, j->inlen);
	return 0;
}

/* The member's header: no name, the time stamp, the level's hint. */
static int
gzip_header(sk_compress *c)
{
	struct gz *g = c->state;
	unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

	sk__put32le(h + 4, g->mtime);
	h[8] = c->level == 9 ? 2 : c->level == 1 ? 4 : 0;
	return sk__compress_emit(c, h, sizeof h);
}

static int
gz_emit(sk_compress *c, struct sk__cjob *j)
{
	struct gz *g = c->state;

	g->crc = (uint32_t)crc32_combine(g->crc, j->check, (z_off_t)j->inlen);
	return sk__compress_emit(c, j->out, j->outlen);
}

static const struct sk__pool_ops gz_ops = {gzw_new, gzw_free,    gz_compress,
                                           gz_emit, gzip_header, 0};

static int
gz_start(sk_compress *c)
{
	struct gz *g;
	size_t block = c->block ? c->block : DEFAULT_BLOCK;

	if (block < MIN_BLOCK || block > MAX_BLOCK) {
		errno = EINVAL;
		return -1;
	}
	if ((g = calloc(1, sizeof *g)) == NULL)
		return -1;
	c->state = g;
	g->mtime = c->reproducible ? 0 : (uint32_t)time(NULL);
	g->pool = sk__pool_open(c, &gz_ops, block, block);
	return g->pool ? 0 : -1;
}

static int
gz_finish(sk_compress *c)
{
	struct gz *g = c->state;
	/* An empty final block with fixed codes, then the trailer. */
	unsigned char t[10] = {3, 0};

	if (sk__pool_drain(g->pool) < 0)
		return -1;
	sk__put32le(t + 2, g->crc);
	sk__put32le(t + 6, (uint32_t)c->in);
	return sk__compress_emit(c, t, sizeof t);
}

const struct sk__cmethod sk__cgzip = {
    "gzip", 1, 9, 6, gz_start, sk__pool_take, gz_finish, sk__pool_end,
};
