/*
 * test_deflate.c - sk__deflate_final, the walk over a deflate stream's
 * blocks that the gzip workers use, against zlib's inflate stopping at
 * every block.
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../fuzz/deflate_model.h"
#include "compress.h"
#include "t.h"

/* Inputs of every kind: text, noise, one byte repeated, text with runs,
 * a few bytes. */
static unsigned char *
input(int kind, size_t n)
{
	unsigned char *p = t_pattern(n ? n : 1, (unsigned)kind + 7);
	uint32_t x = 2463534242u + (uint32_t)n;

	for (size_t i = 0; i < n; i++) {
		t_xorshift(&x);
		switch (kind) {
		case 0: /* words from a small alphabet: dynamic codes */
			p[i] = (unsigned char)("etaoin shrdlu\n"[x % 14]);
			break;
		case 1: /* noise: stored blocks */
			p[i] = (unsigned char)x;
			break;
		case 2:
			p[i] = 'a';
			break;
		case 3: /* runs of noise and of text */
			p[i] = (i / 5000) % 2 ? (unsigned char)x
			                      : (unsigned char)("ab"[x % 2]);
			break;
		}
	}
	return p;
}

static void
same_as_zlib(const unsigned char *buf, size_t n)
{
	uint64_t l1 = 0, e1 = 0, l2 = 0, e2 = 0;
	int r1 = zlib_final(buf, n, &l1, &e1);
	int r2 = sk__deflate_final(buf, n, &l2, &e2);

	CHECK_EQ(r2, r1);
	if (r1 == 0 && r2 == 0) {
		CHECK_EQ(l2, l1);
		CHECK_EQ(e2, e1);
	}
}

static void
libdeflate_streams_at_every_level_agree_with_zlib(void)
{
	static const size_t sizes[] = {0,     1,      2,      3,      100,
	                               9999,  10000,  65535,  65536,  65537,
	                               70000, 200000, 300001, 1048576};

	for (int level = 0; level <= 12; level++) {
		struct libdeflate_compressor *c =
		    libdeflate_alloc_compressor(level);
		for (int kind = 0; kind < 4; kind++) {
			for (size_t i = 0; i < sizeof sizes / sizeof sizes[0];
			     i++) {
				size_t n = sizes[i], cap, m;
				unsigned char *in, *out;
				/* The slow levels (10-12) on the smaller
				 * sizes, the largest on three levels. */
				if ((n > 70000 && level > 9) ||
				    (n > 300001 && level != 1 && level != 6 &&
				     level != 9))
					continue;
				in = input(kind, n);
				cap = libdeflate_deflate_compress_bound(c, n);
				out = malloc(cap);
				m = libdeflate_deflate_compress(c, in, n, out,
				                                cap);
				CHECK(m > 0);
				same_as_zlib(out, m);
				free(in);
				free(out);
			}
		}
		libdeflate_free_compressor(c);
	}
}

/* zlib's own streams: fixed codes (Z_FIXED), Huffman only, runs, stored
 * (level 0), and many blocks: each full flush ends with an empty stored
 * block. */
static void
zlib_streams_of_every_strategy_agree(void)
{
	static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED,
	                                 Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
	size_t n = 60000;

	for (size_t s = 0; s < sizeof strategies / sizeof strategies[0]; s++) {
		for (int level = 0; level <= 9; level += 3) {
			for (int kind = 0; kind < 4; kind++) {
				unsigned char *in = input(kind, n);
				size_t cap = n * 2 + 1000;
				unsigned char *out = malloc(cap);
				z_stream z;
				memset(&z, 0, sizeof z);
				CHECK_EQ(deflateInit2(&z, level, Z_DEFLATED,
				                      -15, 8, strategies[s]),
				         Z_OK);
				z.next_out = out;
				z.avail_out = (uInt)cap;
				for (size_t at = 0; at < n; at += 20000) {
					size_t k =
					    n - at < 40000 ? n - at : 40000;
					z.next_in = in + at;
					z.avail_in = (uInt)k;
					CHECK_EQ(deflate(&z, Z_FULL_FLUSH),
					         Z_OK);
				}
				CHECK_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
				same_as_zlib(out, cap - z.avail_out);
				deflateEnd(&z);
				free(in);
				free(out);
			}
		}
	}
}

/* Cut short anywhere: an error unless what is left still holds the
 * whole stream; bytes after the stream are not looked at. */
static void
cut_or_followed_streams(void)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	size_t n = 20000, cap, m;
	unsigned char *in = input(3, n), *out;
	uint64_t last, end, l0, e0;

	cap = libdeflate_deflate_compress_bound(c, n) + 64;
	out = malloc(cap);
	m = libdeflate_deflate_compress(c, in, n, out, cap);
	CHECK_EQ(sk__deflate_final(out, m, &l0, &e0), 0);
	CHECK((e0 + 7) / 8 == m);
	for (size_t k = 0; k < m; k++) {
		errno = 0;
		if (sk__deflate_final(out, k, &last, &end) == 0) {
			CHECK(e0 <= (uint64_t)k * 8);
		} else {
			CHECK_EQ(errno, EIO);
		}
	}
	memset(out + m, 0xff, 64);
	CHECK_EQ(sk__deflate_final(out, m + 64, &last, &end), 0);
	CHECK_EQ(last, l0);
	CHECK_EQ(end, e0);
	libdeflate_free_compressor(c);
	free(in);
	free(out);
}

/* Any bytes at all: an answer within them or EIO, never a read past
 * them (ASan watches) or a hang; and zlib agrees whenever it finds one. */
static void
any_bytes_are_an_answer_or_eio(void)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(9);
	size_t n = 30000, cap, m;
	unsigned char *in = input(0, n), *out, *bad;
	uint32_t x = 12345;

	cap = libdeflate_deflate_compress_bound(c, n);
	out = malloc(cap);
	m = libdeflate_deflate_compress(c, in, n, out, cap);
	for (int round = 0; round < 3000; round++) {
		uint64_t last = 0, end = 0;
		size_t len = m;
		bad = malloc(len);
		memcpy(bad, out, len);
		for (int f = 0; f <= round % 4; f++) {
			t_xorshift(&x);
			bad[x % len] ^= (unsigned char)(1u << (x >> 24) % 8);
		}
		if (round % 2)
			len = x % len;
		errno = 0;
		if (sk__deflate_final(bad, len, &last, &end) == 0)
			CHECK(last < end && end <= (uint64_t)len * 8);
		else
			CHECK_EQ(errno, EIO);
		free(bad);
	}
	for (int round = 0; round < 3000; round++) {
		uint64_t last, end;
		size_t len = 1 + round % 300;
		bad = malloc(len);
		for (size_t i = 0; i < len; i++)
			bad[i] = (unsigned char)t_xorshift(&x);
		if (sk__deflate_final(bad, len, &last, &end) == 0)
			CHECK(end <= (uint64_t)len * 8);
		free(bad);
	}
	libdeflate_free_compressor(c);
	free(in);
	free(out);
}

T_CASES(T(libdeflate_streams_at_every_level_agree_with_zlib),
        T(zlib_streams_of_every_strategy_agree), T(cut_or_followed_streams),
        T(any_bytes_are_an_answer_or_eio))
