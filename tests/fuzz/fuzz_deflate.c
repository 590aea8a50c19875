/*
 * fuzz_deflate - sk__deflate_final (compress_deflate.c) on any bytes,
 * against zlib's inflate stopping at every block: where zlib finds one
 * complete stream, the walk finds the same final block and the same last
 * bit; anywhere else it answers within the bytes or says EIO, and never
 * reads past them.  The seeds are streams of libdeflate and zlib.
 */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "compress.h"
#include "fuzz.h"

static int
zlib_final(const uint8_t *buf, size_t n, uint64_t *last, uint64_t *end)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t zl = 0, ze = 0, last = 0, end = 0;
	int zr = zlib_final(data, size, &zl, &ze), r;

	errno = 0;
	r = sk__deflate_final(data, size, &last, &end);
	if (r == 0) {
		FUZZ_CHECK(last < end && end <= (uint64_t)size * 8);
	} else {
		FUZZ_CHECK(r == -1 && errno == EIO);
	}
	if (zr == 0) {
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(last == zl && end == ze);
	}
	return 0;
}
