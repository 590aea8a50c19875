/*
 * fuzz_readline - sk_readline over a buffered stream of any bytes, any
 * buffer size and any line limit, against a plain scan for the delimiter.
 * A line longer than the limit fails with EMSGSIZE and consumes nothing;
 * the model then reads one byte with sk_read and goes on, as a caller
 * skipping it would.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "streamkit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	int delim = fuzz_byte(&in) & 1 ? '\n' : '\0';
	size_t bufsize = fuzz_byte(&in) % 17 + 1;
	size_t max = fuzz_byte(&in) % 40 + 1;
	const uint8_t *text = in.p;
	size_t len = in.n, pos = 0;
	sk_stream *s = sk_buffered_open(sk_mem_open(text, len, 0), bufsize);

	FUZZ_CHECK(s != NULL);
	for (;;) {
		const char *line;
		size_t got;
		int r = sk_readline(s, delim, max, &line, &got);
		const uint8_t *hit = memchr(text + pos, delim, len - pos);
		size_t want =
		    hit ? (size_t)(hit - (text + pos)) + 1 : len - pos;

		if (pos == len) {
			FUZZ_CHECK(r == 0);
			FUZZ_CHECK(sk_readline(s, delim, max, &line, &got) ==
			           0);
			break;
		}
		if (want > max) {
			char c;
			FUZZ_CHECK(r == -1 && errno == EMSGSIZE);
			FUZZ_CHECK(sk_read(s, &c, 1) == 1 &&
			           (uint8_t)c == text[pos]);
			pos++;
			continue;
		}
		FUZZ_CHECK(r == 1);
		FUZZ_CHECK(got == want && memcmp(line, text + pos, got) == 0);
		pos += got;
	}
	FUZZ_CHECK(sk_close(s) == 0);
	return 0;
}
