/* Unit tests: the size and range parsers every program shares. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "streamkit.h"
#include "t.h"

static void
sizes_take_decimal_hex_and_suffixes(void)
{
	static const struct {
		const char *text;
		int64_t want;
	} ok[] = {
	    {"0", 0},
	    {"17", 17},
	    {"0x10", 16},
	    {"0XfF", 255},
	    {"1K", 1024},
	    {"1k", 1024},
	    {"1KiB", 1024},
	    {"1KB", 1000},
	    {"2M", 2 << 20},
	    {"2MB", 2000000},
	    {"3G", 3LL << 30},
	    {"1GB", 1000000000},
	    {"1T", 1LL << 40},
	    {"1P", 1LL << 50},
	    {"5B", 5},
	    {"9223372036854775807", INT64_MAX},
	    {"8191P", 8191LL << 50},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t v = -1;
		CHECK_EQ(sk_parse_size(ok[i].text, &v), 0);
		if (v != ok[i].want)
			printf("#   '%s'\n", ok[i].text);
		CHECK_EQ(v, ok[i].want);
	}
}

static void
sizes_reject_garbage_and_overflow_with_the_right_errno(void)
{
	static const char *bad[] = {"",     "K",  "-1", "1.5", "12x", "0x",
	                            "0x1K", " 1", "1 ", "1KK", "1Q",  "abc"};
	static const char *big[] = {"9223372036854775808", "8192P", "9E",
	                            "99999999999999999999999",
	                            "0x8000000000000000"};
	int64_t v;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK_EQ(sk_parse_size(bad[i], &v), -1);
		CHECK_EQ(errno, EINVAL);
	}
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		errno = 0;
		CHECK_EQ(sk_parse_size(big[i], &v), -1);
		if (errno != ERANGE && errno != EINVAL)
			printf("#   '%s' errno %d\n", big[i], errno);
		CHECK(errno == ERANGE ||
		      (errno == EINVAL && strchr(big[i], 'E')));
	}
}

static void
ranges_parse_every_form(void)
{
	static const struct {
		const char *text;
		struct sk_range want;
	} ok[] = {
	    {"10:20", {10, 20, 1, 0, 0, 0}},
	    {"10:", {10, 0, 0, 0, 0, 0}},
	    {":20", {0, 20, 1, 0, 0, 0}},
	    {":", {0, 0, 0, 0, 0, 0}},
	    {"-5:", {-5, 0, 0, 0, 1, 0}},
	    {"-5:-1", {-5, -1, 1, 0, 1, 1}},
	    {"-0:", {0, 0, 0, 0, 1, 0}},
	    {":-0", {0, 0, 1, 0, 0, 1}},
	    {"4K+512", {4096, 512, 1, 1, 0, 0}},
	    {"-1M+10", {-(1 << 20), 10, 1, 1, 1, 0}},
	    {"0x10:0x20", {16, 32, 1, 0, 0, 0}},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct sk_range r;
		CHECK_EQ(sk_parse_range(ok[i].text, &r), 0);
		CHECK_EQ(r.start, ok[i].want.start);
		CHECK_EQ(r.end, ok[i].want.end);
		CHECK_EQ(r.has_end, ok[i].want.has_end);
		CHECK_EQ(r.end_is_len, ok[i].want.end_is_len);
		CHECK_EQ(r.start_from_end, ok[i].want.start_from_end);
		CHECK_EQ(r.end_from_end, ok[i].want.end_from_end);
	}
}

static void
ranges_reject_malformed_text(void)
{
	static const char *bad[] = {"",      "10",   "+5",   "1+-5", "a:b",
	                            "1:2:3", "--1:", "1++2", "1:K"};
	struct sk_range r;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		if (sk_parse_range(bad[i], &r) != -1)
			printf("#   accepted '%s'\n", bad[i]);
		CHECK_EQ(errno, EINVAL);
	}
	CHECK_EQ(sk_parse_range("99999999999999999999:", &r), -1);
	CHECK_EQ(errno, ERANGE);
}

static void
range_lists_append_and_point_at_the_bad_one(void)
{
	struct sk_range *list = NULL;
	size_t n = 0;
	const char *bad = NULL, *text = "0:1,2+3,oops,5:";

	CHECK_EQ(sk_parse_ranges("0:100,4K+512", &list, &n, &bad), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(list[1].start, 4096);
	CHECK_EQ(sk_parse_ranges("-1:", &list, &n, &bad), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(sk_parse_ranges(text, &list, &n, &bad), -1);
	CHECK_EQ(n, 3);
	CHECK(bad == text + 8);
	CHECK_EQ(sk_parse_ranges("1:2,", &list, &n, &bad), -1);
	free(list);
}

static void
resolve_clamps_like_python_slices(void)
{
	static const struct {
		const char *text;
		int64_t total, a, b;
		int inside;
	} cases[] = {
	    {"0:10", 100, 0, 10, 1},
	    {"90:", 100, 90, 100, 1},
	    {"90:110", 100, 90, 100, 0},
	    {"-10:", 100, 90, 100, 1},
	    {"-110:", 100, 0, 100, 0},
	    {":-10", 100, 0, 90, 1},
	    {"50:40", 100, 50, 50, 1},
	    {"-10+5", 100, 90, 95, 1},
	    {"-10+20", 100, 90, 100, 0},
	    {"100:", 100, 100, 100, 1},
	    {"101:", 100, 100, 100, 0},
	    {"0:0", 0, 0, 0, 1},
	    {"-1:", 0, 0, 0, 0},
	    {"5+9223372036854775807", 10, 5, 10, 0},
	    {"-3+1", 1, 0, 0, 0},
	    {"-514+235", 511, 0, 232, 0},
	    {"-0:", 100, 100, 100, 1},
	    {":-0", 100, 0, 100, 1},
	    {"-0+5", 100, 100, 100, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sk_range r;
		int64_t a, b;
		int in;
		CHECK_EQ(sk_parse_range(cases[i].text, &r), 0);
		in = sk_range_resolve(&r, cases[i].total, &a, &b);
		if (a != cases[i].a || b != cases[i].b || in != cases[i].inside)
			printf("#   %s on %lld: [%lld,%lld) inside %d\n",
			       cases[i].text, (long long)cases[i].total,
			       (long long)a, (long long)b, in);
		CHECK(a == cases[i].a && b == cases[i].b &&
		      in == cases[i].inside);
	}
}

T_CASES(T(sizes_take_decimal_hex_and_suffixes),
        T(sizes_reject_garbage_and_overflow_with_the_right_errno),
        T(ranges_parse_every_form), T(ranges_reject_malformed_text),
        T(range_lists_append_and_point_at_the_bad_one),
        T(resolve_clamps_like_python_slices))
