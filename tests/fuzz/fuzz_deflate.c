/*
 * fuzz_deflate - sk__deflate_final (compress_deflate.c) on any bytes,
 * against zlib's inflate stopping at every block: where zlib finds one
 * complete stream, the walk finds the same final block and the same last
 * bit; anywhere else it answers within the bytes or says EIO, and never
 * reads past them.  The seeds are streams of libdeflate and zlib.
 */
#include <errno.h>

#include "compress.h"
#include "deflate_model.h"
#include "fuzz.h"

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
