/*
 * fuzz_spool - the spool's read_at at any offsets and sizes, with a memory
 * cap small enough that it moves to its file, against a plain buffer;
 * then a stream over a part of it.
 */
#include <string.h>

#include "fuzz.h"
#include "streamkit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t memcap = fuzz_byte(&in) % 200 + 1, nops = fuzz_byte(&in) % 32, i;
	size_t len = fuzz_u16(&in) % 4096;
	uint8_t *model = malloc(len + 1), buf[600];
	sk_spool *sp;

	FUZZ_CHECK(model != NULL);
	for (i = 0; i < len; i++) /* bytes from the input, then a pattern */
		model[i] = i < in.n ? in.p[i] : (uint8_t)(i * 7 + 3);
	sp = sk_spool_open(sk_mem_open(model, len, 0), memcap, NULL);
	FUZZ_CHECK(sp != NULL);

	for (i = 0; i < nops; i++) {
		size_t off = fuzz_u16(&in) % (len + 64),
		       n = fuzz_u16(&in) % sizeof buf;
		size_t want = off >= len ? 0 : (len - off < n ? len - off : n);
		ssize_t r = sk_spool_read_at(sp, buf, n, (int64_t)off);
		if (want == 0) {
			FUZZ_CHECK(r == 0 || n == 0);
			continue;
		}
		/* A read may return fewer bytes than asked; never others. */
		FUZZ_CHECK(r > 0 && (size_t)r <= want);
		FUZZ_CHECK(memcmp(buf, model + off, (size_t)r) == 0);
		FUZZ_CHECK(sk_spool_size(sp) >= (int64_t)(off + (size_t)r));
	}
	{
		size_t off = fuzz_u16(&in) % (len + 1), got = 0;
		sk_stream *s =
		    sk_spool_stream_open(sp, (int64_t)off, SK_UNKNOWN);
		ssize_t r;
		FUZZ_CHECK(s != NULL);
		while ((r = sk_read(s, buf, fuzz_byte(&in) % 100 + 1)) > 0) {
			FUZZ_CHECK(memcmp(buf, model + off + got, (size_t)r) ==
			           0);
			got += (size_t)r;
		}
		FUZZ_CHECK(r == 0 && got == len - off);
		FUZZ_CHECK(sk_close(s) == 0);
	}
	FUZZ_CHECK(sk_spool_complete(sp) == 1 &&
	           sk_spool_size(sp) == (int64_t)len);
	FUZZ_CHECK(sk_spool_close(sp) == 0);
	free(model);
	return 0;
}
