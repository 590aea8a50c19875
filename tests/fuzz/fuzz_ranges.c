/*
 * fuzz_ranges - sk_ranges on any bytes, any ranges, bytes or lines, strict
 * or not, from memory, a pipe, or a memory stream followed by a pipe
 * (sections, one pass, spool), with a ring and a spool small enough to
 * be crossed, parts read in sizes the input picks; against the model of
 * ranges_model.h.  The first bytes pick all that; the rest is the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ranges_model.h"
#include "streamkit.h"

#define MAX_RANGES 6

/* A position within a few units of either end of an input of n units. */
static int64_t
position(struct fuzz_in *in, size_t n, int *from_end)
{
	unsigned b = fuzz_byte(in);
	int64_t v = (int64_t)(b % 8 == 7 ? fuzz_u16(in) % (n + 4)
	                                 : (b % 8) * (n + 2) / 6);

	*from_end = b & 0x80 ? 1 : 0;
	return *from_end ? -v : v;
}

/* A pipe holding the n bytes at p, its writer closed; -1 when they do not
 * fit (the caller then uses memory). */
static int
full_pipe(const uint8_t *p, size_t n)
{
	int fds[2];

	if (pipe(fds) < 0)
		return -1;
	if (n > 65536 || sk_write_all(fds[1], p, n) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	return fds[0];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned mode = fuzz_byte(&in), kind = fuzz_byte(&in) % 3;
	struct sk_ranges_config cfg = {
	    .flags = (mode & 1 ? SK_RANGES_LINES : 0) |
	             (mode & 2 ? SK_RANGES_STRICT : 0),
	    .delim = mode & 4 ? '\0' : '\n',
	    .ring_max = mode & 8 ? 1 + fuzz_byte(&in) % 64 : 0,
	    .spool_mem = mode & 16 ? 1 + fuzz_byte(&in) % 64 : 0};
	size_t nr = 1 + fuzz_byte(&in) % MAX_RANGES, step = 1 + fuzz_byte(&in);
	struct sk_range r[MAX_RANGES];
	const uint8_t *bytes;
	size_t n, units, got = 0, wlen, *at;
	uint8_t *want, *out;
	long bad;
	sk_stream *src, *part, *two[2];
	sk_ranges *rs;
	int status, pfd;

	/* The ranges, then the data: the positions scale to its units. */
	uint8_t shape[MAX_RANGES * 6];
	for (size_t i = 0; i < sizeof shape; i++)
		shape[i] = (uint8_t)fuzz_byte(&in);
	bytes = in.p;
	n = in.n;
	at = model_units(bytes, n, cfg.flags & SK_RANGES_LINES, cfg.delim,
	                 &units);
	free(at);
	{
		struct fuzz_in sin = {shape, sizeof shape};
		for (size_t i = 0; i < nr; i++) {
			unsigned f = fuzz_byte(&sin);
			memset(&r[i], 0, sizeof r[i]);
			r[i].start =
			    position(&sin, units, &r[i].start_from_end);
			r[i].has_end = f % 4 != 0;
			r[i].end_is_len = r[i].has_end && f % 4 == 1;
			if (r[i].end_is_len)
				r[i].end = fuzz_byte(&sin) % (units + 3);
			else if (r[i].has_end)
				r[i].end =
				    position(&sin, units, &r[i].end_from_end);
		}
	}
	want =
	    model_ranges(bytes, n, r, nr, cfg.flags & SK_RANGES_LINES,
	                 cfg.delim, cfg.flags & SK_RANGES_STRICT, &wlen, &bad);

	if (kind == 0 || (pfd = full_pipe(bytes + n / 2, n - n / 2)) < 0) {
		src = sk_mem_open(bytes, n, 0);
	} else if (kind == 1) {
		close(pfd);
		pfd = full_pipe(bytes, n);
		src = pfd < 0 ? sk_mem_open(bytes, n, 0)
		              : sk_fd_open(pfd, SK_FD_OWN);
	} else {
		two[0] = sk_mem_open(bytes, n / 2, 0);
		two[1] = sk_fd_open(pfd, SK_FD_OWN);
		src = sk_concat_open(two, 2);
	}
	rs = sk_ranges_open(src, r, nr, &cfg);
	FUZZ_CHECK(rs != NULL);
	out = malloc(wlen + n * MAX_RANGES + 1);
	while ((status = sk_ranges_next(rs, &part)) > 0) {
		ssize_t k;
		while ((k = sk_read(part, out + got, step)) > 0)
			got += (size_t)k;
		FUZZ_CHECK(k == 0);
		FUZZ_CHECK(got <= wlen + n * MAX_RANGES);
	}
	if (bad < 0) {
		FUZZ_CHECK(status == 0);
		FUZZ_CHECK(got == wlen && memcmp(out, want, wlen) == 0);
	} else {
		size_t i;
		FUZZ_CHECK(status == -1 && errno == ERANGE);
		FUZZ_CHECK(sk_ranges_failure(rs, &i, NULL) ==
		           SK_RANGES_FAIL_PAST_END);
		FUZZ_CHECK(i == (size_t)bad);
		FUZZ_CHECK(got >= wlen && memcmp(out, want, wlen) == 0);
	}
	FUZZ_CHECK(sk_ranges_close(rs) == 0);
	free(out);
	free(want);
	return 0;
}
