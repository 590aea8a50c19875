/*
 * parse.c - the size and range syntax every program shares, so that
 * "4K", "0x1000" and "-1M:" mean the same thing everywhere.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "sk_impl.h"

static const struct {
	const char *suffix;
	int64_t mult;
} suffixes[] = {
    {"", 1},
    {"b", 1},
    {"k", (int64_t)1 << 10},
    {"kib", (int64_t)1 << 10},
    {"kb", 1000},
    {"m", (int64_t)1 << 20},
    {"mib", (int64_t)1 << 20},
    {"mb", 1000000},
    {"g", (int64_t)1 << 30},
    {"gib", (int64_t)1 << 30},
    {"gb", 1000000000},
    {"t", (int64_t)1 << 40},
    {"tib", (int64_t)1 << 40},
    {"tb", 1000000000000},
    {"p", (int64_t)1 << 50},
    {"pib", (int64_t)1 << 50},
    {"pb", 1000000000000000},
};

/* Parses a size from text[0, len); 0 or -1 with errno. */
static int
parse_size_n(const char *text, size_t len, int64_t *out)
{
	const char *p = text, *end = text + len;
	int base = 10, digits = 0;
	uint64_t v = 0;

	if (len >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; p < end; p++) {
		int d;
		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base) {
			errno = ERANGE;
			return -1;
		}
		v = v * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	if (digits == 0) {
		errno = EINVAL;
		return -1;
	}
	/* A hexadecimal number takes no suffix: "0x1b" is 27, not 1 byte. */
	if (base == 16 && p != end) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t sl = strlen(suffixes[i].suffix);
		if (sl == (size_t)(end - p) &&
		    strncasecmp(p, suffixes[i].suffix, sl) == 0) {
			if (v > (uint64_t)(INT64_MAX / suffixes[i].mult)) {
				errno = ERANGE;
				return -1;
			}
			*out = (int64_t)(v * (uint64_t)suffixes[i].mult);
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

SK_API int
sk_parse_size(const char *text, int64_t *out)
{
	if (text == NULL) {
		errno = EINVAL;
		return -1;
	}
	return parse_size_n(text, strlen(text), out);
}

/* A size with an optional leading minus sign, which *neg reports. */
static int
parse_signed_n(const char *text, size_t len, int64_t *out, int *neg)
{
	int64_t v;

	*neg = len > 0 && text[0] == '-';
	if (parse_size_n(text + *neg, len - (size_t)*neg, &v) < 0)
		return -1;
	*out = *neg ? -v : v;
	return 0;
}

static int
parse_range_n(const char *text, size_t len, struct sk_range *r)
{
	const char *colon = memchr(text, ':', len), *plus;
	struct sk_range v = {0, 0, 0, 0, 0, 0};

	if (colon) {
		size_t a = (size_t)(colon - text), b = len - a - 1;
		if (a > 0 &&
		    parse_signed_n(text, a, &v.start, &v.start_from_end) < 0)
			return -1;
		if (b > 0) {
			if (parse_signed_n(colon + 1, b, &v.end,
			                   &v.end_from_end) < 0)
				return -1;
			v.has_end = 1;
		}
		*r = v;
		return 0;
	}
	/* START+LENGTH: the '+' comes after START's first character. */
	plus = len > 1 ? memchr(text + 1, '+', len - 1) : NULL;
	if (plus == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (parse_signed_n(text, (size_t)(plus - text), &v.start,
	                   &v.start_from_end) < 0 ||
	    parse_size_n(plus + 1, len - (size_t)(plus - text) - 1, &v.end) < 0)
		return -1;
	v.has_end = 1;
	v.end_is_len = 1;
	*r = v;
	return 0;
}

SK_API int
sk_parse_range(const char *text, struct sk_range *r)
{
	if (text == NULL || r == NULL) {
		errno = EINVAL;
		return -1;
	}
	return parse_range_n(text, strlen(text), r);
}

SK_API int
sk_parse_ranges(const char *text, struct sk_range **list, size_t *n,
                const char **bad)
{
	size_t count = 1, k = 0;
	struct sk_range *nl;
	const char *p = text;

	for (const char *q = text; *q; q++)
		count += *q == ',';
	if ((nl = realloc(*list, (*n + count) * sizeof *nl)) == NULL)
		return -1;
	*list = nl;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (parse_range_n(p, len, &nl[*n + k]) < 0) {
			if (bad)
				*bad = p;
			return -1;
		}
		k++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*n += k;
	return 0;
}

int64_t
sk__range_end(const struct sk_range *r)
{
	int64_t e = r->end_is_len
	                ? (r->end > INT64_MAX - r->start ? INT64_MAX
	                                                 : r->start + r->end)
	                : r->end;

	return e < r->start ? r->start : e;
}

SK_API int
sk_range_resolve(const struct sk_range *r, int64_t total, int64_t *a,
                 int64_t *b)
{
	int inside = 1;
	int64_t s = r->start_from_end ? total + r->start : r->start, e;

	if (!r->has_end)
		e = total;
	else if (r->end_is_len)
		e = s > 0 && r->end > INT64_MAX - s ? INT64_MAX : s + r->end;
	else
		e = r->end_from_end ? total + r->end : r->end;
	if (s < 0 || s > total)
		inside = 0;
	if (e < 0 || e > total)
		inside = 0;
	s = s < 0 ? 0 : s > total ? total : s;
	e = e < 0 ? 0 : e > total ? total : e;
	*a = s;
	*b = e < s ? s : e;
	return inside;
}

SK_API int
sk_parse_date_or_file(const char *text, int follow, struct timespec *out)
{
	struct stat st;

	if (text == NULL || out == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* GNU tar: a date that starts with '/' or '.' names a file. */
	if (text[0] != '/' && text[0] != '.')
		return sk_parse_date(text, NULL, out);
	if ((follow ? stat(text, &st) : lstat(text, &st)) < 0)
		return -1;
	*out = st.st_mtim;
	return 0;
}
