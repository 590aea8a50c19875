/*
 * ranges_model.h - what sk_ranges must give, computed the plain way (as
 * tests/cli/refcheck.py does for substream): cut the input into units,
 * bytes or lines, resolve each range like a Python slice, join the units.
 * Shared by tests/unit/test_ranges.c and tests/fuzz/fuzz_ranges.c.
 */
#ifndef SK_RANGES_MODEL_H
#define SK_RANGES_MODEL_H

#include <stdlib.h>
#include <string.h>

#include "streamkit.h"

/* The byte offset where each unit starts, and one past the last: *count
 * units, (*count + 1) offsets, malloc'd. */
static size_t *
model_units(const unsigned char *data, size_t n, int lines, int delim,
            size_t *count)
{
	size_t *at = malloc((n + 2) * sizeof *at), k = 0;

	at[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (!lines || data[i] == (unsigned char)delim || i == n - 1)
			at[++k] = i + 1;
	*count = k;
	return at;
}

/* Resolves r against total units: [*a, *b), 1 when it lay inside. */
static int
model_resolve(const struct sk_range *r, int64_t total, int64_t *a, int64_t *b)
{
	int64_t s = r->start_from_end ? total + r->start : r->start, e;
	int inside;

	if (!r->has_end)
		e = total;
	else if (r->end_is_len)
		e = s + r->end;
	else
		e = r->end_from_end ? total + r->end : r->end;
	inside = s >= 0 && s <= total && e >= 0 && e <= total;
	s = s < 0 ? 0 : s > total ? total : s;
	e = e < 0 ? 0 : e > total ? total : e;
	*a = s;
	*b = e < s ? s : e;
	return inside;
}

/*
 * The bytes the ranges give (malloc'd, *len long) and, with strict, the
 * index of the first range past the end (*bad; -1 when none), before
 * which the output stops.
 */
static unsigned char *
model_ranges(const unsigned char *data, size_t n, const struct sk_range *r,
             size_t nr, int lines, int delim, int strict, size_t *len,
             long *bad)
{
	size_t units, *at = model_units(data, n, lines, delim, &units),
	              have = 0;
	unsigned char *out = malloc(1);

	*bad = -1;
	for (size_t i = 0; i < nr; i++) {
		int64_t a, b;
		if (!model_resolve(&r[i], (int64_t)units, &a, &b) && strict) {
			*bad = (long)i;
			break;
		}
		out = realloc(out, have + (at[b] - at[a]) + 1);
		memcpy(out + have, data + at[a], at[b] - at[a]);
		have += at[b] - at[a];
	}
	free(at);
	*len = have;
	return out;
}

#endif
