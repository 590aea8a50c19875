/*
 * compress_deflate.c - where a raw deflate stream's final block starts and
 * where the stream ends, to the bit, found by walking its blocks without
 * decoding them.
 *
 * The gzip workers need both positions to chain libdeflate's complete
 * streams into one (compress_gzip.c).  zlib's inflate stopping at each
 * block (Z_BLOCK) finds them too, but it writes every byte out and keeps
 * its window, and cost 13-18% of the compression time on text; this walk
 * only reads the codes: a symbol's extra bits and a match's distance are
 * skipped, never used.  Every length and count is checked, so a stream
 * that is not deflate is an error, never a read out of bounds.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "compress.h"

#define MAXBITS 15  /* the longest code */
#define FAST    10  /* codes up to this long are found in one look-up */
#define NLITLEN 288 /* literal/length symbols, with the two unused ones */
#define NDIST   32  /* distance symbols, with the two unused ones */

/* A canonical Huffman code: counts and symbols for any code (as RFC 1951
 * builds it), and a table for the short ones: symbol | length << 9 |
 * the symbol's extra bits << 13, 0 when the next FAST bits start no code
 * of at most FAST bits. */
struct huff {
	uint16_t count[MAXBITS + 1];
	uint16_t symbol[NLITLEN];
	uint32_t fast[1u << FAST];
};

struct bits {
	const unsigned char *buf;
	size_t n;
	uint64_t pos;   /* in bits from the start */
	uint64_t nbits; /* n * 8 */
};

/* At least 57 bits from pos on, the first in the lowest bit; zeros past
 * the end (the caller checks pos against nbits). */
static inline uint64_t
peek(const struct bits *b)
{
	size_t i = (size_t)(b->pos >> 3);
	uint64_t v = 0;

	if (i + 8 <= b->n) {
		memcpy(&v, b->buf + i, 8);
		v = le64toh(v);
	} else {
		for (size_t k = 0; i + k < b->n; k++)
			v |= (uint64_t)b->buf[i + k] << (8 * k);
	}
	return v >> (b->pos & 7);
}

static inline unsigned
take(struct bits *b, unsigned n)
{
	unsigned v = (unsigned)(peek(b) & ((1u << n) - 1));

	b->pos += n;
	return v;
}

/* Extra bits of the length symbols 257-285 and of the distance symbols. */
static const uint8_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint8_t dext[30] = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                 4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/*
 * Builds h from n code lengths; extra[s - from] is the count of extra bits
 * after symbol s from from on (extra may be NULL).  0, or -1 when the
 * lengths ask for more codes than there are (an incomplete code is taken:
 * a symbol it lacks is found missing when it is read).
 */
static int
build(struct huff *h, const uint8_t *len, unsigned n, const uint8_t *extra,
      unsigned from, unsigned nextra)
{
	uint16_t offs[MAXBITS + 2], next[MAXBITS + 2];
	int left = 1;

	memset(h->count, 0, sizeof h->count);
	for (unsigned s = 0; s < n; s++)
		h->count[len[s]]++;
	h->count[0] = 0;
	for (unsigned l = 1; l <= MAXBITS; l++) {
		left = left * 2 - h->count[l];
		if (left < 0)
			return -1;
	}
	offs[1] = 0;
	next[1] = 0;
	for (unsigned l = 1; l < MAXBITS; l++) {
		offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
		next[l + 1] = (uint16_t)((next[l] + h->count[l]) << 1);
	}
	memset(h->fast, 0, sizeof h->fast);
	for (unsigned s = 0; s < n; s++) {
		unsigned l = len[s], code, rev = 0, x = 0;
		if (l == 0)
			continue;
		h->symbol[offs[l]++] = (uint16_t)s;
		code = next[l]++;
		if (l > FAST)
			continue;
		/* The stream holds a code's first bit lowest. */
		for (unsigned k = 0; k < l; k++)
			rev |= ((code >> k) & 1u) << (l - 1 - k);
		if (extra != NULL && s >= from && s - from < nextra)
			x = extra[s - from];
		for (unsigned i = rev; i < (1u << FAST); i += 1u << l)
			h->fast[i] = s | l << 9 | x << 13;
	}
	return 0;
}

/* The next symbol of h, or -1 when the bits are no code of it. */
static inline int
decode(struct bits *b, const struct huff *h)
{
	uint64_t v = peek(b);
	unsigned e = h->fast[v & ((1u << FAST) - 1)];
	int code = 0, first = 0, index = 0;

	if (e != 0) {
		b->pos += (e >> 9) & 15;
		return (int)(e & 511);
	}
	/* A long code, or none: bit by bit, as RFC 1951 defines it. */
	for (unsigned l = 1; l <= MAXBITS; l++) {
		int count = h->count[l];
		code |= (int)((v >> (l - 1)) & 1);
		if (code - count < first) {
			b->pos += l;
			return h->symbol[index + (code - first)];
		}
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -1;
}

/* Skips the codes of one block up to its end-of-block symbol.  Short codes
 * are passed over several at a time from one 57-bit peek: a length code
 * and its extra bits, a distance code and its own take at most 38 bits;
 * the rest goes symbol by symbol. */
static int
skip_codes(struct bits *b, const struct huff *lit, const struct huff *dist)
{
	const unsigned mask = (1u << FAST) - 1;

	for (;;) {
		uint64_t v;
		unsigned avail = 57;
		int d;
		if (b->pos > b->nbits)
			return -1;
		v = peek(b);
		while (avail >= 38) {
			unsigned e = lit->fast[v & mask], s = e & 511, f;
			unsigned used = (e >> 9) & 15;
			if (e == 0 || s == 256)
				break;
			if (s > 256) {
				if (s > 285)
					return -1;
				used += e >> 13;
				f = dist->fast[(v >> used) & mask];
				if (f == 0)
					break;
				if ((f & 511) > 29)
					return -1;
				used += ((f >> 9) & 15) + (f >> 13);
			}
			b->pos += used;
			v >>= used;
			avail -= used;
		}
		if (avail >= 38) {
			/* A long code, the end of the block, or no code. */
			d = decode(b, lit);
			if (d < 256) {
				if (d < 0)
					return -1;
				continue;
			}
			if (d == 256)
				return b->pos <= b->nbits ? 0 : -1;
			if (d > 285)
				return -1;
			b->pos += lext[d - 257];
			d = decode(b, dist);
			if (d < 0 || d > 29)
				return -1;
			b->pos += dext[d];
		}
	}
}

static void
fixed_codes(struct huff *lit, struct huff *dist)
{
	uint8_t len[NLITLEN];
	unsigned s;

	for (s = 0; s < 144; s++)
		len[s] = 8;
	for (; s < 256; s++)
		len[s] = 9;
	for (; s < 280; s++)
		len[s] = 7;
	for (; s < NLITLEN; s++)
		len[s] = 8;
	(void)build(lit, len, NLITLEN, lext, 257, sizeof lext);
	memset(len, 5, NDIST);
	(void)build(dist, len, NDIST, dext, 0, sizeof dext);
}

/* Reads a dynamic block's code lengths and builds its two codes. */
static int
dynamic_codes(struct bits *b, struct huff *lit, struct huff *dist)
{
	static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
	                                  11, 4,  12, 3, 13, 2, 14, 1, 15};
	uint8_t len[NLITLEN + NDIST];
	struct huff *lens = dist; /* free until the lengths are read */
	unsigned nlen, ndist, ncode, i = 0;

	nlen = take(b, 5) + 257;
	ndist = take(b, 5) + 1;
	ncode = take(b, 4) + 4;
	if (nlen > 286 || ndist > 30)
		return -1;
	memset(len, 0, 19);
	for (unsigned k = 0; k < ncode; k++)
		len[order[k]] = (uint8_t)take(b, 3);
	if (build(lens, len, 19, NULL, 0, 0) < 0)
		return -1;
	while (i < nlen + ndist) {
		int s = decode(b, lens);
		unsigned rep;
		uint8_t val = 0;
		if (s < 0 || b->pos > b->nbits)
			return -1;
		if (s < 16) {
			len[i++] = (uint8_t)s;
			continue;
		}
		if (s == 16) {
			if (i == 0)
				return -1;
			val = len[i - 1];
			rep = 3 + take(b, 2);
		} else if (s == 17) {
			rep = 3 + take(b, 3);
		} else {
			rep = 11 + take(b, 7);
		}
		if (i + rep > nlen + ndist)
			return -1;
		while (rep-- > 0)
			len[i++] = val;
	}
	if (len[256] == 0)
		return -1; /* no end-of-block code */
	if (build(lit, len, nlen, lext, 257, sizeof lext) < 0 ||
	    build(dist, len + nlen, ndist, dext, 0, sizeof dext) < 0)
		return -1;
	return 0;
}

int
sk__deflate_final(const unsigned char *buf, size_t n, uint64_t *last,
                  uint64_t *end)
{
	struct bits b = {buf, n, 0, (uint64_t)n * 8};
	struct huff lit, dist, flit, fdist;
	int fixed_built = 0;

	for (;;) {
		uint64_t start = b.pos;
		unsigned hdr = take(&b, 3);
		if ((hdr >> 1) == 0) {
			/* Stored: from the next byte, LEN and its complement.
			 */
			size_t at = (size_t)((b.pos + 7) / 8);
			unsigned len;
			if (at + 4 > n)
				goto bad;
			len = buf[at] | (unsigned)buf[at + 1] << 8;
			if ((len ^ (buf[at + 2] | (unsigned)buf[at + 3]
			                              << 8)) != 0xffff)
				goto bad;
			b.pos = (uint64_t)(at + 4 + len) * 8;
		} else if ((hdr >> 1) == 1) {
			if (!fixed_built) {
				fixed_codes(&flit, &fdist);
				fixed_built = 1;
			}
			if (skip_codes(&b, &flit, &fdist) < 0)
				goto bad;
		} else if ((hdr >> 1) == 2) {
			if (dynamic_codes(&b, &lit, &dist) < 0 ||
			    skip_codes(&b, &lit, &dist) < 0)
				goto bad;
		} else {
			goto bad;
		}
		if (b.pos > b.nbits)
			goto bad;
		if (hdr & 1) {
			*last = start;
			*end = b.pos;
			return 0;
		}
	}
bad:
	errno = EIO;
	return -1;
}
