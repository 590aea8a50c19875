/*
 * compress_bzip2.c - bzip2 on every core, as one bzip2 stream.
 *
 * bzip2 first run-length codes its input (runs of 4 to 255 equal bytes
 * become 4 bytes and a count) and ends a block when that coded form
 * reaches level x 100000 - 19 bytes; a run still open then goes on in the
 * next block.  The caller replays that rule here, byte by byte, so each
 * block handed to a worker is exactly one of bzip2's blocks; a worker
 * compresses it with libbz2 as a stream of its own, and the blocks are
 * then taken out of those streams (between the 4-byte header and the
 * 80-bit end marker with its CRC) and joined bit by bit under one header,
 * with the combined CRC at the end.  The result is the stream bzip2
 * itself writes, whatever the number of threads.
 */
#include <bzlib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"

/* Input held for one block at most: 4 x the block's coded size, reached
 * only by long runs; the block then ends early (still a valid stream). */
#define MAX_RAW(level) ((size_t)(level)*400000)

struct bz {
	struct sk__pool *pool; /* first: see sk__pool_end */
	uint32_t crc;          /* combined */
	unsigned char acc;     /* bits not yet written, from the top */
	unsigned nacc;         /* how many (0-7) */
	unsigned char *buf;    /* joined output */
	size_t bufcap;
	/* The run-length coder's state for the block being filled, as in
	 * libbz2's ADD_CHAR_TO_BLOCK: the byte of the open run (256: none),
	 * its length, and the coded bytes so far. */
	unsigned ch, len;
	size_t coded, limit;
};

static const unsigned char eos_magic[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};

/*
 * A worker keeps what libbz2 allocates for a block (7.6 MB at level 9)
 * from one block to the next: fresh each time, those pages cost more in
 * page faults than a tenth of the compression.
 */
#define KEEP 4

struct bzw {
	struct {
		void *p;
		size_t n;
		int used;
	} keep[KEEP];
};

static void *
bzw_new(sk_compress *c)
{
	struct bzw *w = sk__compress_alloc(sizeof *w);

	(void)c;
	if (w)
		memset(w, 0, sizeof *w);
	return w;
}

static void
bzw_free(void *arg)
{
	struct bzw *w = arg;

	for (int i = 0; i < KEEP; i++)
		free(w->keep[i].p);
	free(w);
}

static void *
bz_alloc(void *opaque, int n, int m)
{
	struct bzw *w = opaque;
	size_t size = (size_t)n * (size_t)m;
	int i;

	for (i = 0; i < KEEP; i++) {
		if (w->keep[i].p && !w->keep[i].used && w->keep[i].n == size) {
			w->keep[i].used = 1;
			return w->keep[i].p;
		}
	}
	for (i = 0; i < KEEP && w->keep[i].p; i++)
		;
	if (i == KEEP)
		return sk__compress_alloc(size);
	if ((w->keep[i].p = sk__compress_alloc(size)) == NULL)
		return NULL;
	w->keep[i].n = size;
	w->keep[i].used = 1;
	return w->keep[i].p;
}

static void
bz_free(void *opaque, void *p)
{
	struct bzw *w = opaque;

	for (int i = 0; i < KEEP; i++) {
		if (w->keep[i].p == p) {
			w->keep[i].used = 0;
			return;
		}
	}
	free(p);
}

static uint32_t
get32be(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Bit i of buf, counting from the top bit of buf[0]. */
static unsigned
bit(const unsigned char *buf, uint64_t i)
{
	return buf[i / 8] >> (7 - i % 8) & 1;
}

/*
 * In the one-block stream out[0, n), finds the bits of the block: from
 * bit 32 to the end marker, which is followed by the CRC (equal to the
 * block's) and 0-7 zero bits.  Returns the count, or 0 when the stream is
 * not one block.
 */
static uint64_t
block_bits(const unsigned char *out, size_t n, uint32_t crc)
{
	unsigned char tail[10];

	if (n < 14 + 10)
		return 0;
	memcpy(tail, eos_magic, 6);
	for (int i = 0; i < 4; i++)
		tail[6 + i] = (unsigned char)(crc >> (24 - 8 * i));
	for (unsigned pad = 0; pad < 8; pad++) {
		uint64_t at = (uint64_t)n * 8 - pad - 80;
		int ok = 1;
		for (unsigned k = 0; ok && k < pad; k++)
			ok = !bit(out, (uint64_t)n * 8 - 1 - k);
		for (unsigned k = 0; ok && k < 80; k++)
			ok = bit(out, at + k) == bit(tail, k);
		if (ok)
			return at - 32;
	}
	return 0;
}

static int
bz_compress(sk_compress *c, void *w, struct sk__cjob *j)
{
	bz_stream s = {0};
	size_t need = j->inlen + j->inlen / 100 + 700;
	int r;

	if (need > (size_t)c->level * 101000 + 700)
		need = (size_t)c->level * 101000 + 700;
	for (;;) {
		if (sk__cjob_room(j, need) < 0)
			return -1;
		s.bzalloc = bz_alloc;
		s.bzfree = bz_free;
		s.opaque = w;
		/* workFactor 30: bzip2's, for the same blocks. */
		if ((r = BZ2_bzCompressInit(&s, c->level, 0, 30)) != BZ_OK) {
			errno = r == BZ_MEM_ERROR ? ENOMEM : EIO;
			return -1;
		}
		s.next_in = (char *)j->in;
		s.avail_in = (unsigned)j->inlen;
		s.next_out = (char *)j->out;
		s.avail_out = (unsigned)j->outcap;
		r = BZ2_bzCompress(&s, BZ_FINISH);
		BZ2_bzCompressEnd(&s);
		if (r == BZ_STREAM_END)
			break;
		if (r != BZ_FINISH_OK) {
			errno = EIO;
			return -1;
		}
		/* Did not fit (it always should): room enough this time. */
		need = j->inlen + j->inlen / 50 + 4096;
	}
	j->outlen = (size_t)s.total_out_lo32;
	j->check = get32be(j->out + 10);
	if ((j->bits = block_bits(j->out, j->outlen, j->check)) == 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Makes room for n more bytes of joined output. */
static int
reserve(struct bz *b, size_t n)
{
	unsigned char *p;

	if (n <= b->bufcap)
		return 0;
	if ((p = realloc(b->buf, n)) == NULL)
		return -1;
	b->buf = p;
	b->bufcap = n;
	return 0;
}

/*
 * Appends nbits bits of src, from bit 0, after the bits held, and writes
 * out every whole byte.
 */
static int
put_bits(sk_compress *c, struct bz *b, const unsigned char *src, uint64_t nbits)
{
	size_t whole = (size_t)(nbits / 8), n = 0;
	unsigned rest = (unsigned)(nbits % 8), k = b->nacc;

	if (reserve(b, whole + 2) < 0)
		return -1;
	if (k == 0) {
		memcpy(b->buf, src, whole);
		n = whole;
	} else {
		for (size_t i = 0; i < whole; i++) {
			b->buf[n++] = (unsigned char)(b->acc | src[i] >> k);
			b->acc = (unsigned char)(src[i] << (8 - k));
		}
	}
	if (rest) {
		/* The top rest bits of the last byte. */
		unsigned v = src[whole] & (0xffu << (8 - rest)) & 0xff;
		unsigned total = k + rest;
		unsigned both = (b->acc | v >> k) & 0xff;
		if (total >= 8) {
			b->buf[n++] = (unsigned char)both;
			b->acc = (unsigned char)(v << (8 - k));
			b->nacc = total - 8;
		} else {
			b->acc = (unsigned char)both;
			b->nacc = total;
		}
	}
	return sk__compress_emit(c, b->buf, n);
}

static int
bz_header(sk_compress *c)
{
	unsigned char h[4] = {'B', 'Z', 'h', (unsigned char)('0' + c->level)};

	return sk__compress_emit(c, h, sizeof h);
}

static int
bz_emit(sk_compress *c, struct sk__cjob *j)
{
	struct bz *b = c->state;

	b->crc = (b->crc << 1 | b->crc >> 31) ^ j->check;
	/* The block starts at byte 4 of its stream, byte-aligned. */
	return put_bits(c, b, j->out + 4, j->bits);
}

static const struct sk__pool_ops bz_ops = {bzw_new, bzw_free,  bz_compress,
                                           bz_emit, bz_header, 0};

static int
bz_start(sk_compress *c)
{
	struct bz *b;
	size_t limit = (size_t)c->level * 100000 - 19;

	if ((b = calloc(1, sizeof *b)) == NULL)
		return -1;
	c->state = b;
	b->ch = 256;
	b->limit = limit;
	b->pool =
	    sk__pool_open(c, &bz_ops, limit + limit / 4, MAX_RAW(c->level));
	return b->pool ? 0 : -1;
}

/*
 * Runs bytes through the run-length rule and returns how many of the n
 * fit in the block being filled: fewer than n when bzip2 ends the block
 * before buf[returned].
 */
static size_t
fit(struct bz *b, const unsigned char *buf, size_t n)
{
	unsigned ch = b->ch, len = b->len;
	size_t coded = b->coded, i;

	for (i = 0; i < n && coded < b->limit; i++) {
		unsigned x = buf[i];
		if (x == ch && len < 255) {
			len++;
			continue;
		}
		if (ch < 256)
			coded += len < 4 ? len : 5;
		ch = x;
		len = 1;
	}
	b->ch = ch;
	b->len = len;
	b->coded = coded;
	return i;
}

static int
bz_write(sk_compress *c, const unsigned char *buf, size_t n)
{
	struct bz *b = c->state;

	while (n > 0) {
		size_t room, k;
		unsigned char *to =
		    sk__pool_room(b->pool, n < b->limit ? n : b->limit, &room);
		if (to == NULL)
			return -1;
		if (room == 0) {
			/* Held input is at its cap: end the block here, and
			 * start the next one afresh. */
			if (sk__pool_submit(b->pool, 0) < 0)
				return -1;
			b->coded = 0;
			b->ch = 256;
			b->len = 0;
			continue;
		}
		k = fit(b, buf, n < room ? n : room);
		memcpy(to, buf, k);
		sk__pool_fill(b->pool, k);
		buf += k;
		n -= k;
		/* bzip2 ends a block as soon as it is full, even at the end
		 * of a write; the open run goes on in the next block. */
		if (b->coded >= b->limit) {
			if (sk__pool_submit(b->pool, b->len) < 0)
				return -1;
			b->coded = 0;
		}
	}
	return 0;
}

static int
bz_finish(sk_compress *c)
{
	struct bz *b = c->state;
	unsigned char t[10];

	if (sk__pool_drain(b->pool) < 0)
		return -1;
	memcpy(t, eos_magic, 6);
	for (int i = 0; i < 4; i++)
		t[6 + i] = (unsigned char)(b->crc >> (24 - 8 * i));
	if (put_bits(c, b, t, 80) < 0)
		return -1;
	/* The last byte, padded with zeros. */
	return b->nacc ? sk__compress_emit(c, &b->acc, 1) : 0;
}

static void
bz_end(sk_compress *c)
{
	struct bz *b = c->state;

	if (b)
		free(b->buf);
	sk__pool_end(c);
}

const struct sk__cmethod sk__cbzip2 = {
    "bzip2", 1, 9, 9, bz_start, bz_write, bz_finish, bz_end,
};
