/*
 * compress_lz4.c - the lz4 frame format on every core, byte for byte as
 * lz4(1) writes it: independent blocks (4 MiB unless asked), each made by
 * liblz4 on a worker as LZ4F would (stored as is when it does not
 * shrink), a content checksum, and for input shorter than one block the
 * smallest block size that holds it, as lz4 does for a small file.
 * liblz4 does not export its XXH32, which the frame needs; it is here.
 */
#include <errno.h>
#include <lz4.h>
#include <lz4hc.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"

#define DEFAULT_BSID 7 /* 4 MiB */

/* ------------------------------------------------------------------ */
/* XXH32, after its specification (xxhash's doc/xxhash_spec.md)        */
/* ------------------------------------------------------------------ */

#define P1 0x9E3779B1u
#define P2 0x85EBCA77u
#define P3 0xC2B2AE3Du
#define P4 0x27D4EB2Fu
#define P5 0x165667B1u

struct xxh32 {
	uint32_t v[4];
	unsigned char buf[16];
	size_t nbuf;
	uint64_t total;
};

static uint32_t
rotl(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static uint32_t
get32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void
xxh_init(struct xxh32 *h)
{
	memset(h, 0, sizeof *h);
	h->v[0] = P1 + P2;
	h->v[1] = P2;
	h->v[2] = 0;
	h->v[3] = 0u - P1;
}

static void
xxh_stripe(struct xxh32 *h, const unsigned char *p)
{
	for (int i = 0; i < 4; i++)
		h->v[i] = rotl(h->v[i] + get32le(p + 4 * i) * P2, 13) * P1;
}

static void
xxh_update(struct xxh32 *h, const unsigned char *p, size_t n)
{
	h->total += n;
	if (h->nbuf) {
		size_t k = 16 - h->nbuf < n ? 16 - h->nbuf : n;
		memcpy(h->buf + h->nbuf, p, k);
		h->nbuf += k;
		p += k;
		n -= k;
		if (h->nbuf < 16)
			return;
		xxh_stripe(h, h->buf);
		h->nbuf = 0;
	}
	for (; n >= 16; p += 16, n -= 16)
		xxh_stripe(h, p);
	memcpy(h->buf, p, n);
	h->nbuf = n;
}

static uint32_t
xxh_digest(const struct xxh32 *h)
{
	uint32_t r = h->total >= 16 ? rotl(h->v[0], 1) + rotl(h->v[1], 7) +
	                                  rotl(h->v[2], 12) + rotl(h->v[3], 18)
	                            : P5;
	size_t i = 0;

	r += (uint32_t)h->total;
	for (; i + 4 <= h->nbuf; i += 4)
		r = rotl(r + get32le(h->buf + i) * P3, 17) * P4;
	for (; i < h->nbuf; i++)
		r = rotl(r + h->buf[i] * P5, 11) * P1;
	r ^= r >> 15;
	r *= P2;
	r ^= r >> 13;
	r *= P3;
	r ^= r >> 16;
	return r;
}

/* ------------------------------------------------------------------ */
/* The frame                                                            */
/* ------------------------------------------------------------------ */

struct lz {
	struct sk__pool *pool; /* first: see sk__pool_end */
	struct xxh32 sum;
	int bsid; /* 4-7: 64 KiB x 4^(bsid-4) */
	size_t block;
};

static void *
lzw_new(sk_compress *c)
{
	return sk__compress_alloc(
	    (size_t)(c->level < 3 ? LZ4_sizeofState() : LZ4_sizeofStateHC()));
}

static void
lzw_free(void *w)
{
	free(w);
}

static int
lz_compress(sk_compress *c, void *w, struct sk__cjob *j)
{
	size_t need = 4 + j->inlen;
	int n;

	if (sk__cjob_room(j, need) < 0)
		return -1;
	/* Room for one byte less than the input, as LZ4F gives: a block
	 * that does not shrink is stored as is. */
	if (c->level < 3)
		n = LZ4_compress_fast_extState(
		    w, (const char *)j->in, (char *)j->out + 4, (int)j->inlen,
		    (int)j->inlen - 1, 1);
	else
		n = LZ4_compress_HC_extStateHC(
		    w, (const char *)j->in, (char *)j->out + 4, (int)j->inlen,
		    (int)j->inlen - 1, c->level);
	if (n <= 0) {
		sk__put32le(j->out, (uint32_t)j->inlen | 0x80000000u);
		memcpy(j->out + 4, j->in, j->inlen);
		j->outlen = 4 + j->inlen;
	} else {
		sk__put32le(j->out, (uint32_t)n);
		j->outlen = 4 + (size_t)n;
	}
	return 0;
}

/* The frame header: independent blocks, a content checksum, the block
 * size; input shorter than a block gets the smallest size holding it. */
static int
lz_header(sk_compress *c)
{
	struct lz *l = c->state;
	unsigned char h[7] = {0x04, 0x22, 0x4d, 0x18, 0x64};
	struct xxh32 hc;
	int bsid = l->bsid;

	if (c->in < l->block)
		for (bsid = 4; bsid < l->bsid; bsid++)
			if (c->in <= (uint64_t)65536 << 2 * (bsid - 4))
				break;
	h[5] = (unsigned char)(bsid << 4);
	xxh_init(&hc);
	xxh_update(&hc, h + 4, 2);
	h[6] = (unsigned char)(xxh_digest(&hc) >> 8);
	return sk__compress_emit(c, h, sizeof h);
}

static int
lz_emit(sk_compress *c, struct sk__cjob *j)
{
	return sk__compress_emit(c, j->out, j->outlen);
}

static const struct sk__pool_ops lz_ops = {lzw_new, lzw_free,  lz_compress,
                                           lz_emit, lz_header, 0};

static int
lz_start(sk_compress *c)
{
	struct lz *l;
	int bsid = DEFAULT_BSID;

	if (c->block) {
		for (bsid = 4; bsid <= 7; bsid++)
			if (c->block == (size_t)65536 << 2 * (bsid - 4))
				break;
		if (bsid > 7) {
			errno = EINVAL;
			return -1;
		}
	}
	if ((l = calloc(1, sizeof *l)) == NULL)
		return -1;
	c->state = l;
	l->bsid = bsid;
	l->block = (size_t)65536 << 2 * (bsid - 4);
	xxh_init(&l->sum);
	l->pool = sk__pool_open(c, &lz_ops, l->block, l->block);
	return l->pool ? 0 : -1;
}

static int
lz_write(sk_compress *c, const unsigned char *buf, size_t n)
{
	struct lz *l = c->state;

	xxh_update(&l->sum, buf, n);
	return sk__pool_write(l->pool, buf, n);
}

static int
lz_finish(sk_compress *c)
{
	struct lz *l = c->state;
	unsigned char t[8] = {0};

	if (sk__pool_drain(l->pool) < 0)
		return -1;
	/* The end mark (a block of size 0), then the content checksum. */
	sk__put32le(t + 4, xxh_digest(&l->sum));
	return sk__compress_emit(c, t, sizeof t);
}

const struct sk__cmethod sk__clz4 = {
    "lz4", 1, 12, 1, lz_start, lz_write, lz_finish, sk__pool_end,
};
