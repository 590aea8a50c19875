/*
 * deflate_model.h - where a deflate stream's final block starts and where
 * it ends, found by zlib: the reference for sk__deflate_final
 * (lib/compress_deflate.c).  Shared by tests/unit/test_deflate.c and
 * tests/fuzz/fuzz_deflate.c.
 */
#ifndef SK_DEFLATE_MODEL_H
#define SK_DEFLATE_MODEL_H

#include <stdint.h>
#include <string.h>
#include <zlib.h>

/* The bit where the final block of the raw deflate stream buf (n bytes)
 * starts (*last) and the bit after its end (*end), as zlib's inflate
 * stopping at every block (Z_BLOCK) finds them; 0, or -1 when zlib finds
 * no complete stream. */
static int
zlib_final(const unsigned char *buf, size_t n, uint64_t *last, uint64_t *end)
{
	static unsigned char scratch[1 << 16];
	z_stream z;
	int ret = -1;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, -15) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)buf;
	z.avail_in = (uInt)n;
	*last = 0;
	for (;;) {
		z.next_out = scratch;
		z.avail_out = sizeof scratch;
		if (inflate(&z, Z_BLOCK) != Z_OK)
			break;
		if (z.data_type & 128) {
			uint64_t pos = (uint64_t)(n - z.avail_in) * 8 -
			               (uint64_t)(z.data_type & 7);
			if (z.data_type & 64) {
				*end = pos;
				ret = 0;
				break;
			}
			*last = pos;
		} else if (z.avail_in == 0 && z.avail_out != 0) {
			break;
		}
	}
	inflateEnd(&z);
	return ret;
}

#endif
