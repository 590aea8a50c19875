/*
 * fuzz_parse - the size and range parsers: no crash on any text, and what
 * they accept resolves inside the stream it is resolved against.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "streamkit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t totals[] = {0,   1,    2,       511,
	                                 512, 4096, 1 << 20, INT64_MAX};
	char *text = malloc(size + 1);
	struct sk_range r, *list = NULL;
	const char *bad = NULL;
	int64_t v;
	size_t n = 0, i, t;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (sk_parse_size(text, &v) == 0)
		FUZZ_CHECK(v >= 0);
	else
		FUZZ_CHECK(errno == EINVAL || errno == ERANGE);

	if (sk_parse_range(text, &r) == 0) {
		FUZZ_CHECK(!r.end_is_len || r.end >= 0);
		for (t = 0; t < sizeof totals / sizeof totals[0]; t++) {
			int64_t a, b;
			int inside = sk_range_resolve(&r, totals[t], &a, &b);
			FUZZ_CHECK(0 <= a && a <= b && b <= totals[t]);
			FUZZ_CHECK(inside == 0 || inside == 1);
		}
	} else
		FUZZ_CHECK(errno == EINVAL || errno == ERANGE);

	if (sk_parse_ranges(text, &list, &n, &bad) == 0) {
		FUZZ_CHECK(n >= 1);
		for (i = 0; i < n; i++) {
			int64_t a, b;
			sk_range_resolve(&list[i], 1000, &a, &b);
			FUZZ_CHECK(0 <= a && a <= b && b <= 1000);
		}
	} else {
		/* On failure the list holds what it held (nothing; it may have
		 * been reallocated, the caller frees it), and bad points into
		 * text. */
		FUZZ_CHECK(n == 0);
		FUZZ_CHECK(bad >= text && bad <= text + size);
	}
	free(list);
	free(text);
	return 0;
}
