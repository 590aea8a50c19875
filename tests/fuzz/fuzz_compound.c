/*
 * fuzz_compound - concatenations, windows and splits of memory streams,
 * read in chunks of every size, against the same operations on a plain
 * buffer.  The input's first bytes say how many parts and how long, the
 * window, the split point and the read sizes; the rest is the bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "streamkit.h"

/* Reads all of s in chunks the input chooses; returns the bytes read. */
static size_t
drain(sk_stream *s, struct fuzz_in *in, uint8_t *out, size_t cap)
{
	size_t got = 0;
	for (;;) {
		size_t want = fuzz_byte(in) % 9 + 1;
		ssize_t r;
		if (fuzz_byte(in) % 4 == 0) { /* sometimes a skip */
			int64_t k = sk_skip(s, (int64_t)want);
			FUZZ_CHECK(k >= 0 && k <= (int64_t)want);
			FUZZ_CHECK(got + (size_t)k <= cap);
			memset(out + got, 0xEE,
			       (size_t)k); /* the model skips too */
			got += (size_t)k;
			if (k < (int64_t)want)
				break;
			continue;
		}
		r = sk_read(s, out + got,
		            want > cap - got ? cap - got + 1 : want);
		FUZZ_CHECK(r >= 0);
		if (r == 0)
			break;
		got += (size_t)r;
		FUZZ_CHECK(got <= cap);
	}
	return got;
}

/* Compares, treating 0xEE runs written by drain for skips as wildcards. */
static void
same(const uint8_t *got, const uint8_t *want, size_t n, const uint8_t *mask)
{
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(mask[i] || got[i] == want[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t nparts = fuzz_byte(&in) % 6, lens[6], total = 0, i, off, len,
	       pos;
	sk_stream *parts[6], *s, *head = NULL, *rest = NULL;
	uint8_t *model, *out, *mask;
	const uint8_t *bytes;
	int unknown_len, head_first;

	for (i = 0; i < nparts; i++)
		total += lens[i] = fuzz_byte(&in) % 64;
	off = fuzz_byte(&in) % (total + 2);
	unknown_len = fuzz_byte(&in) & 1;
	len = fuzz_byte(&in) % (total + 2);
	pos = fuzz_byte(&in) % (total + 2);
	head_first = fuzz_byte(&in) & 1;
	if (in.n < total)
		return 0;
	bytes = in.p;
	in.p += total;
	in.n -= total;

	for (i = 0; i < nparts; i++) {
		size_t at = 0;
		for (size_t j = 0; j < i; j++)
			at += lens[j];
		parts[i] = sk_mem_open(bytes + at, lens[i], 0);
		FUZZ_CHECK(parts[i] != NULL);
	}
	s = sk_concat_open(parts, nparts);
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(sk_length(s) == (int64_t)total);
	s = sk_window_open(s, (int64_t)off,
	                   unknown_len ? SK_UNKNOWN : (int64_t)len);
	FUZZ_CHECK(s != NULL);

	/* The model: the window of the concatenation. */
	{
		size_t a = off < total ? off : total;
		size_t b =
		    unknown_len ? total : (a + len < total ? a + len : total);
		model = (uint8_t *)bytes + a;
		total = b - a;
	}
	FUZZ_CHECK(sk_length(s) == (int64_t)total);

	/* A section, read without consuming the window. */
	{
		sk_stream *sec = sk_section_open(s, 1, 5);
		uint8_t buf[8];
		size_t want = total > 1 ? (total - 1 < 5 ? total - 1 : 5) : 0;
		FUZZ_CHECK(sec != NULL);
		FUZZ_CHECK(sk_read_full(sec, buf, want, NULL) ==
		               (want ? 1 : 0) ||
		           want == 0);
		FUZZ_CHECK(memcmp(buf, model + 1, want) == 0);
		FUZZ_CHECK(sk_close(sec) == 0);
	}

	/* Behind a buffer the stream allows no sections: the split then
	 * keeps what the other half needs in a spool. */
	if (fuzz_byte(&in) & 1) {
		s = sk_buffered_open(s, fuzz_byte(&in) % 7 + 1);
		FUZZ_CHECK(s != NULL);
	}

	out = malloc(total + 16);
	mask = calloc(total + 16, 1);
	FUZZ_CHECK(out && mask);
	FUZZ_CHECK(sk_split_open(s, (int64_t)pos, 32, NULL, &head, &rest) == 0);
	{
		size_t hl = pos < total ? pos : total, got;
		uint8_t *hb = out, *rb = out + hl;
		if (head_first) {
			got = drain(head, &in, hb, hl);
			FUZZ_CHECK(got == hl);
			got = drain(rest, &in, rb, total - hl);
		} else {
			got = drain(rest, &in, rb, total - hl);
			FUZZ_CHECK(got == total - hl);
			got = drain(head, &in, hb, hl);
		}
		(void)got;
		for (i = 0; i < total; i++)
			mask[i] = out[i] == 0xEE;
		same(out, model, total, mask);
	}
	FUZZ_CHECK(sk_close(head) == 0);
	FUZZ_CHECK(sk_close(rest) == 0);
	free(out);
	free(mask);
	return 0;
}
