/*
 * Unit tests: sk_ranges (every plan against the model of
 * tests/fuzz/ranges_model.h, on every kind of source, at sizes across
 * 512/4096/65536, read a byte at a time and in large copies) and sk_lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fuzz/ranges_model.h"
#include "streamkit.h"
#include "t.h"

static const size_t sizes[] = {0,    1,    511,   512,   513,  4095,
                               4096, 4097, 65535, 65536, 65537};
#define NSIZES (sizeof sizes / sizeof sizes[0])

enum { MEM, FILE_, PIPE, TRICKLE, FILE_PIPE, NSOURCES };

/* A pipe holding all n bytes, its writer closed: no process to start
 * when the pipe can be made large enough, else a writer child. */
static int
full_pipe(const unsigned char *data, size_t n)
{
	int p[2];

	if (pipe(p) < 0)
		abort();
	if (fcntl(p[1], F_SETPIPE_SZ, (int)(n < 4096 ? 4096 : n)) < 0 ||
	    sk_write_all(p[1], data, n) < 0) {
		close(p[0]);
		close(p[1]);
		return t_pipe_with(data, n, 4093);
	}
	close(p[1]);
	return p[0];
}

static sk_stream *
source(int kind, const unsigned char *data, size_t n)
{
	sk_stream *two[2];

	switch (kind) {
	case MEM:
		return sk_mem_open(data, n, 0);
	case FILE_:
		return sk_fd_open(t_tmpfile_with(data, n), SK_FD_OWN);
	case PIPE:
		return sk_fd_open(full_pipe(data, n), SK_FD_OWN);
	case TRICKLE: /* a writer of one byte at a time */
		return sk_fd_open(t_pipe_with(data, n, 1), SK_FD_OWN);
	default:
		two[0] = sk_fd_open(t_tmpfile_with(data, n / 3), SK_FD_OWN);
		two[1] = sk_fd_open(t_pipe_with(data + n / 3, n - n / 3, 777),
		                    SK_FD_OWN);
		return sk_concat_open(two, 2);
	}
}

/* Copies every part to a temporary file (by sk_copy) or reads it step
 * bytes at a time; returns what came, malloc'd, and the last result of
 * sk_ranges_next in *status. */
static unsigned char *
serve(sk_ranges *rs, size_t step, size_t *len, int *status)
{
	unsigned char *out = malloc(1);
	size_t have = 0;
	sk_stream *part;
	int r;

	while ((r = sk_ranges_next(rs, &part)) > 0) {
		size_t k;
		unsigned char *got;
		if (step == 0) {
			int fd = t_tmpfile_with("", 0);
			int64_t c = sk_copy(part, fd, SK_UNKNOWN);
			sk_stream *back;
			CHECK(c >= 0);
			lseek(fd, 0, SEEK_SET);
			back = sk_fd_open(fd, SK_FD_OWN);
			got = t_read_all(back, 65536, &k);
			sk_close(back);
		} else {
			got = t_read_all(part, step, &k);
		}
		out = realloc(out, have + k + 1);
		memcpy(out + have, got, k);
		have += k;
		free(got);
	}
	*len = have;
	*status = r;
	return out;
}

/* Runs one case and checks it against the model. */
static void
one(const unsigned char *data, size_t n, int kind, const char *text,
    const struct sk_ranges_config *cfg, size_t step)
{
	struct sk_range *r = NULL;
	size_t nr = 0, len, wlen;
	long bad;
	int status, strict = cfg->flags & SK_RANGES_STRICT;
	int lines = cfg->flags & SK_RANGES_LINES;
	unsigned char *want, *got;
	sk_ranges *rs;

	if (sk_parse_ranges(text, &r, &nr, NULL) < 0)
		abort();
	want = model_ranges(data, n, r, nr, lines, cfg->delim, strict, &wlen,
	                    &bad);
	rs = sk_ranges_open(source(kind, data, n), r, nr, cfg);
	CHECK(rs != NULL);
	got = serve(rs, step, &len, &status);
	if (bad < 0) {
		CHECK_EQ(status, 0);
		CHECK_EQ(len, wlen);
		CHECK(len == wlen && memcmp(got, want, len) == 0);
	} else {
		size_t i;
		CHECK_EQ(status, -1);
		CHECK_EQ(errno, ERANGE);
		CHECK_EQ(sk_ranges_failure(rs, &i, NULL),
		         SK_RANGES_FAIL_PAST_END);
		CHECK_EQ(i, bad);
		/* What came before the failing range came whole. */
		CHECK(len >= wlen && memcmp(got, want, wlen) == 0);
	}
	if (t_failed)
		printf("#   case: %zu bytes, source %d, ranges '%s', flags %d, "
		       "step %zu, plan %d\n",
		       n, kind, text, cfg->flags, step, sk_ranges_plan(rs));
	CHECK_EQ(sk_ranges_close(rs), 0);
	free(want);
	free(got);
	free(r);
}

static const char *const byte_ranges[] = {
    ":",
    "0:10",
    "10:",
    "-10:",
    ":-10",
    "0+1,5+5,100:200",
    "0:1,-1:",
    "-1:,0:1",
    "511:513,-513:",
    "100:50",
    "0:1,0:1",
    "-5:-2,3:4",
    "4096:,0:4096",
    "1:-1",
    "0:0,-0:",
    "70000:",
    ":-70000",
    "4095+2,65535+2,-4097:",
    "-3+10",
    "2:4,1:3",
};
#define NBYTE_RANGES (sizeof byte_ranges / sizeof byte_ranges[0])

static void
byte_ranges_match_the_model_on_every_source_and_size(void)
{
	for (size_t z = 0; z < NSIZES && !t_failed; z++) {
		size_t n = sizes[z];
		unsigned char *data = t_pattern(n, (unsigned)n);
		for (int kind = 0; kind < NSOURCES && !t_failed; kind++) {
			if ((kind == TRICKLE && n > 4097) ||
			    (kind == FILE_PIPE && n != 513 && n != 65537))
				continue;
			for (size_t i = 0; i < NBYTE_RANGES; i++) {
				struct sk_ranges_config cfg = {.delim = '\n'};
				one(data, n, kind, byte_ranges[i], &cfg,
				    i % 3 == 0   ? 0
				    : i % 3 == 1 ? 1
				                 : 4096);
				cfg.flags = SK_RANGES_STRICT;
				if (i % 2)
					one(data, n, kind, byte_ranges[i], &cfg,
					    0);
			}
		}
		free(data);
	}
}

static void
tails_past_the_ring_go_through_the_spool(void)
{
	unsigned char *data = t_pattern(100000, 3);
	struct sk_ranges_config cfg = {
	    .delim = '\n', .ring_max = 100, .spool_mem = 1000};
	static const char *const list[] = {"0:10,-101:", "0:10,-100:", "5:-101",
	                                   "5:-100", "-99999:"};

	for (size_t i = 0; i < 5; i++)
		for (int kind = MEM; kind <= PIPE; kind++)
			one(data, 100000, kind, list[i], &cfg, i % 2 ? 1 : 0);
	free(data);
}

/* Lines of the given lengths (the delimiter included), the last one cut
 * short of its delimiter when open_end. */
static unsigned char *
text_of(const size_t *lens, size_t k, int delim, int open_end, size_t *n)
{
	size_t total = 0, at = 0;
	unsigned char *t;

	for (size_t i = 0; i < k; i++)
		total += lens[i];
	t = malloc(total + 1);
	for (size_t i = 0; i < k; i++) {
		memset(t + at, 'a' + (int)(i % 26), lens[i]);
		at += lens[i];
		if (lens[i] > 0)
			t[at - 1] = (unsigned char)delim;
	}
	if (open_end && total > 0 && lens[k - 1] > 1)
		total--;
	*n = total;
	return t;
}

static const char *const line_ranges[] = {
    ":",         "0:1",    "1:",      "-1:",     ":-1",     "2:5,7:",
    "-3:-1,0:2", "5:3",    "-2+1",    "0+3,1+1", "9999:",   "-9999:",
    ":-9999",    "3:,-2:", "1:2,0:1", "1:2,0:6", "1:2,0:7", "-1+5",
};
#define NLINE_RANGES (sizeof line_ranges / sizeof line_ranges[0])

/* Every line range list on every source of text t (n bytes). */
static void
line_ranges_on(const unsigned char *t, size_t n, int delim)
{
	for (int kind = 0; kind < NSOURCES; kind++) {
		/* A byte at a time (written or read) on small inputs only. */
		if ((kind == TRICKLE && n > 5000) ||
		    (kind == FILE_PIPE && n > 20000))
			continue;
		for (size_t i = 0; i < NLINE_RANGES; i++) {
			struct sk_ranges_config cfg = {
			    .flags = SK_RANGES_LINES |
			             (i % 2 ? SK_RANGES_STRICT : 0),
			    .delim = delim};
			size_t step = i % 3 != 1 ? 0 : n < 5000 ? 1 : 4095;
			one(t, n, kind, line_ranges[i], &cfg, step);
		}
	}
}

static void
line_ranges_match_the_model_across_buffer_boundaries(void)
{
	/* Line lengths around the sizes that matter: the 128 KiB scan
	 * buffer, 4096 and 512, 1; NUL-terminated lines on the small ones;
	 * a last line with and without its delimiter; empty input. */
	static const size_t shapes[][6] = {
	    {1, 1, 1, 1, 1, 1},
	    {2, 512, 511, 513, 1, 3},
	    {4096, 4095, 4097, 2, 1, 1},
	    {65536, 65537, 70000, 1, 2, 3},
	    {131072, 1, 131071, 131073, 5, 1},
	};

	for (size_t sh = 0; sh < 5 && !t_failed; sh++)
		for (int open_end = 0; open_end < 2; open_end++)
			for (int nul = 0; nul < (sh < 2 ? 2 : 1); nul++) {
				int delim = nul ? '\0' : '\n';
				size_t n;
				unsigned char *t =
				    text_of(shapes[sh], 6, delim, open_end, &n);
				line_ranges_on(t, n, delim);
				free(t);
			}
	line_ranges_on((const unsigned char *)"", 0, '\n');
}

static int
plan_of(int kind, const char *text, int flags, int64_t ring_max)
{
	static const unsigned char data[] = "a\nb\nc\nd\n";
	struct sk_ranges_config cfg = {
	    .flags = flags, .delim = '\n', .ring_max = ring_max};
	struct sk_range *r = NULL;
	size_t nr = 0;
	sk_ranges *rs;
	int plan;

	sk_parse_ranges(text, &r, &nr, NULL);
	rs = sk_ranges_open(source(kind, data, 8), r, nr, &cfg);
	plan = sk_ranges_plan(rs);
	sk_ranges_close(rs);
	free(r);
	return plan;
}

static void
the_plan_follows_what_the_stream_can_do(void)
{
	CHECK_EQ(plan_of(MEM, "5:,0:1", 0, 0), SK_RANGES_SECTIONS);
	CHECK_EQ(plan_of(FILE_, "-1:", 0, 0), SK_RANGES_SECTIONS);
	CHECK_EQ(plan_of(FILE_PIPE, "0:1", 0, 0), SK_RANGES_ONE_PASS);
	CHECK_EQ(plan_of(PIPE, "0:1,3:4,-2:,-1:", 0, 0), SK_RANGES_ONE_PASS);
	CHECK_EQ(plan_of(PIPE, "1:-1", 0, 0), SK_RANGES_ONE_PASS);
	CHECK_EQ(plan_of(PIPE, "3:4,0:1", 0, 0), SK_RANGES_SPOOL);
	CHECK_EQ(plan_of(PIPE, "-1:,0:1", 0, 0), SK_RANGES_SPOOL);
	CHECK_EQ(plan_of(PIPE, "-5:", 0, 4), SK_RANGES_SPOOL);
	CHECK_EQ(plan_of(PIPE, "-4:", 0, 4), SK_RANGES_ONE_PASS);
	CHECK_EQ(plan_of(PIPE, "0:1,2:", SK_RANGES_LINES, 0),
	         SK_RANGES_ONE_PASS);
	CHECK_EQ(plan_of(FILE_, "0:1,2:", SK_RANGES_LINES, 0),
	         SK_RANGES_ONE_PASS);
	CHECK_EQ(plan_of(FILE_, "-1:", SK_RANGES_LINES, 0), SK_RANGES_SECTIONS);
	CHECK_EQ(plan_of(PIPE, "-1:", SK_RANGES_LINES, 0), SK_RANGES_SPOOL);
}

/* Serves text's ranges of "0123456789" from kind; returns the failure. */
static int
strict_failure(int kind, const char *text, int flags, size_t *index,
               int64_t *total, char *out)
{
	struct sk_ranges_config cfg = {.flags = SK_RANGES_STRICT | flags,
	                               .delim = '\n'};
	struct sk_range *r = NULL;
	size_t nr = 0, len;
	int status, side;
	unsigned char *got;
	sk_ranges *rs;

	sk_parse_ranges(text, &r, &nr, NULL);
	rs = sk_ranges_open(
	    source(kind, (const unsigned char *)"0123456789", 10), r, nr, &cfg);
	got = serve(rs, 3, &len, &status);
	memcpy(out, got, len);
	out[len] = 0;
	side = sk_ranges_failure(rs, index, total);
	sk_ranges_close(rs);
	free(got);
	free(r);
	return side;
}

static void
a_strict_failure_names_the_range_and_the_length_counted(void)
{
	size_t i = 99;
	int64_t total = 0;
	char out[32];

	CHECK_EQ(strict_failure(FILE_, "0:2,5:11", 0, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(i, 1);
	CHECK_EQ(total, 10);
	CHECK(strcmp(out, "01") == 0);
	/* On one pass the range gives what there is, then fails. */
	CHECK_EQ(strict_failure(PIPE, "0:2,5:11", 0, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(i, 1);
	CHECK_EQ(total, 10);
	CHECK(strcmp(out, "0156789") == 0);
	CHECK_EQ(strict_failure(PIPE, "1:-11", 0, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(i, 0);
	CHECK_EQ(total, 10);
	CHECK_EQ(strict_failure(PIPE, "-11:", 0, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(total, 10);
	CHECK_EQ(strict_failure(PIPE, "20:", 0, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(total, 10);
	/* One line, counted on one pass; not counted by the index. */
	CHECK_EQ(strict_failure(PIPE, "0:2", SK_RANGES_LINES, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(total, 1);
	CHECK_EQ(strict_failure(FILE_, "-2:", SK_RANGES_LINES, &i, &total, out),
	         SK_RANGES_FAIL_PAST_END);
	CHECK_EQ(total, SK_UNKNOWN);
	CHECK_EQ(strict_failure(FILE_, "0:1", SK_RANGES_LINES, &i, &total, out),
	         0);
}

/* Serves ranges from a borrowed descriptor; returns where it is left. */
static off_t
left_at(int fd, const char *text, int flags)
{
	struct sk_ranges_config cfg = {.flags = flags, .delim = '\n'};
	struct sk_range *r = NULL;
	size_t nr = 0, len;
	int status;
	sk_ranges *rs;

	lseek(fd, 0, SEEK_SET);
	sk_parse_ranges(text, &r, &nr, NULL);
	rs = sk_ranges_open(sk_fd_open(fd, 0), r, nr, &cfg);
	free(serve(rs, 0, &len, &status));
	CHECK_EQ(status, 0);
	sk_ranges_close(rs);
	free(r);
	return lseek(fd, 0, SEEK_CUR);
}

static void
a_shared_seekable_stream_is_left_after_the_last_range(void)
{
	int fd = t_tmpfile_with("1\n2\n3\n4\n5\n", 10);

	CHECK_EQ(left_at(fd, "0:4", 0), 4);
	CHECK_EQ(left_at(fd, "6:8,0:1", 0), 1);
	CHECK_EQ(left_at(fd, "0:3", SK_RANGES_LINES), 6);
	CHECK_EQ(left_at(fd, "-2:-1,1:2", SK_RANGES_LINES), 4);
	CHECK_EQ(left_at(fd, "3:", SK_RANGES_LINES), 10);
	close(fd);
}

static void
parts_left_unread_are_passed_over(void)
{
	unsigned char *data = t_pattern(100000, 5);
	struct sk_range *r = NULL;
	size_t nr = 0, len;
	sk_stream *part;
	sk_ranges *rs;
	unsigned char *got;

	sk_parse_ranges("0:50000,60000:60010", &r, &nr, NULL);
	rs = sk_ranges_open(source(PIPE, data, 100000), r, nr, NULL);
	CHECK_EQ(sk_ranges_next(rs, &part), 1);
	CHECK_EQ(sk_ranges_next(rs, &part), 1);
	got = t_read_all(part, 7, &len);
	CHECK_EQ(len, 10);
	CHECK(memcmp(got, data + 60000, 10) == 0);
	CHECK_EQ(sk_ranges_next(rs, &part), 0);
	CHECK_EQ(sk_ranges_next(rs, &part), 0);
	CHECK_EQ(sk_ranges_close(rs), 0);
	free(got);
	free(r);
	free(data);
}

static void
a_spool_that_cannot_write_is_told_from_an_input_that_cannot_read(void)
{
	unsigned char *data = t_pattern(50000, 7);
	struct sk_ranges_config cfg = {
	    .delim = '\n', .spool_mem = 1000, .tmpdir = "/nonexistent/dir"};
	struct sk_range *r = NULL;
	size_t nr = 0;
	sk_stream *part;
	sk_ranges *rs;

	int null = open("/dev/null", O_WRONLY);

	sk_parse_ranges("40000:40001,0:1", &r, &nr, NULL);
	rs = sk_ranges_open(source(PIPE, data, 50000), r, nr, &cfg);
	CHECK_EQ(sk_ranges_failure(rs, NULL, NULL), 0);
	CHECK_EQ(sk_ranges_next(rs, &part), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(sk_ranges_failure(rs, NULL, NULL), SK_RANGES_FAIL_SPOOL);
	CHECK_EQ(sk_ranges_next(rs, &part), -1); /* and it stays failed */
	sk_ranges_close(rs);
	/* A directory's descriptor fails every read. */
	rs = sk_ranges_open(
	    sk_fd_open(open("/", O_RDONLY | O_DIRECTORY), SK_FD_OWN), r, nr,
	    &cfg);
	CHECK_EQ(sk_ranges_next(rs, &part), -1);
	CHECK_EQ(errno, EISDIR);
	CHECK_EQ(sk_ranges_failure(rs, NULL, NULL), SK_RANGES_FAIL_INPUT);
	sk_ranges_close(rs);
	/* Failing while a part is read says so too. */
	rs = sk_ranges_open(
	    sk_fd_open(open("/", O_RDONLY | O_DIRECTORY), SK_FD_OWN), &r[1], 1,
	    NULL);
	CHECK_EQ(sk_ranges_next(rs, &part), 1);
	CHECK_EQ(sk_copy(part, null, SK_UNKNOWN), -1);
	CHECK(sk_error(part) != 0);
	CHECK_EQ(sk_ranges_failure(rs, NULL, NULL), SK_RANGES_FAIL_INPUT);
	sk_ranges_close(rs);
	close(null);
	free(r);
	free(data);
}

static void
open_refuses_a_bad_configuration_and_closes_src(void)
{
	int fd = open("/dev/null", O_RDONLY);
	struct sk_ranges_config cfg = {.delim = 256};
	struct sk_range r;

	sk_parse_range(":", &r);
	CHECK(sk_ranges_open(sk_fd_open(fd, SK_FD_OWN), &r, 1, &cfg) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(fcntl(fd, F_GETFD) == -1);
	CHECK(sk_ranges_open(NULL, &r, 1, NULL) == NULL);
	CHECK_EQ(sk_ranges_close(NULL), 0);
}

/* The byte offset of line k in t (n bytes), counting as the model does. */
static int64_t
offset_of_line(const unsigned char *t, size_t n, int64_t k)
{
	size_t units, *at = model_units(t, n, 1, '\n', &units);
	int64_t off = (size_t)k <= units ? (int64_t)at[k] : (int64_t)n;

	free(at);
	return off;
}

static void
line_index_finds_starts_from_both_ends_in_any_order(void)
{
	static const size_t shape[] = {1,     131072, 3,    131071, 131073,
	                               65536, 512,    4096, 1,      2};
	size_t n, units, *at;
	unsigned char *t = text_of(shape, 10, '\n', 1, &n);
	sk_stream *f = sk_fd_open(t_tmpfile_with(t, n), SK_FD_OWN);
	sk_lines *li = sk_lines_open(f, '\n');
	int inside;

	at = model_units(t, n, 1, '\n', &units);
	CHECK_EQ(units, 10);
	/* Up, down, and up again: the cache must not mislead. */
	for (int pass = 0; pass < 3; pass++)
		for (int64_t j = 0; j <= 11; j++) {
			int64_t k = pass == 1 ? 11 - j : j;
			CHECK_EQ(sk_lines_start(li, k, &inside),
			         offset_of_line(t, n, k));
			CHECK_EQ(inside, k <= 10);
			CHECK_EQ(sk_lines_start_from_end(li, k, &inside),
			         k <= 10 ? (int64_t)at[10 - k] : 0);
			CHECK_EQ(inside, k <= 10);
		}
	CHECK_EQ(sk_lines_start(li, -1, NULL), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_length(f), n); /* the stream never moved */
	sk_lines_close(li);
	sk_close(f);
	/* A pipe has no sections. */
	f = sk_fd_open(t_pipe_with("a\n", 2, 0), SK_FD_OWN);
	CHECK(sk_lines_open(f, '\n') == NULL);
	CHECK_EQ(errno, ENOTSUP);
	sk_close(f);
	free(at);
	free(t);
}

T_CASES(T(byte_ranges_match_the_model_on_every_source_and_size),
        T(tails_past_the_ring_go_through_the_spool),
        T(line_ranges_match_the_model_across_buffer_boundaries),
        T(the_plan_follows_what_the_stream_can_do),
        T(a_strict_failure_names_the_range_and_the_length_counted),
        T(a_shared_seekable_stream_is_left_after_the_last_range),
        T(parts_left_unread_are_passed_over),
        T(a_spool_that_cannot_write_is_told_from_an_input_that_cannot_read),
        T(open_refuses_a_bad_configuration_and_closes_src),
        T(line_index_finds_starts_from_both_ends_in_any_order))
