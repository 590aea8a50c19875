/* Unit tests: concatenation, window, split, droptail, recorder, sections,
 * buffered line reading - each against a plain buffer as the reference. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

static const size_t sizes[] = {0,    1,    511,   512,   513,   4095,
                               4096, 4097, 65535, 65536, 65537, 100000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* A stream over buf of the given kind: 0 memory, 1 file, 2 pipe. */
static sk_stream *
open_kind(int kind, const unsigned char *buf, size_t n)
{
	switch (kind) {
	case 0:
		return sk_mem_open(buf, n, 0);
	case 1:
		return sk_fd_open(t_tmpfile_with(buf, n), SK_FD_OWN);
	default:
		return sk_fd_open(t_pipe_with(buf, n, 4093), SK_FD_OWN);
	}
}

static int
same(sk_stream *s, const unsigned char *want, size_t n, size_t step)
{
	size_t len;
	unsigned char *got = t_read_all(s, step, &len);
	int ok = len == n && memcmp(got, want, n) == 0;

	if (!ok)
		printf("#   read %zu bytes, expected %zu\n", len, n);
	free(got);
	return ok;
}

static void
concatenation_of_every_kind_reads_as_one_stream(void)
{
	unsigned char *src = t_pattern(300000, 11);

	for (int kinds = 0; kinds < 27; kinds++) {
		size_t cut1 = sizes[(size_t)kinds % NSIZES];
		size_t cut2 = cut1 + sizes[(size_t)(kinds * 7) % NSIZES];
		sk_stream *p[3] = {
		    open_kind(kinds % 3, src, cut1),
		    open_kind(kinds / 3 % 3, src + cut1, cut2 - cut1),
		    open_kind(kinds / 9, src + cut2, 300000 - cut2)};
		sk_stream *c = sk_concat_open(p, 3);
		int all_known =
		    kinds % 3 != 2 && kinds / 3 % 3 != 2 && kinds / 9 != 2;
		CHECK_EQ(sk_length(c), all_known ? 300000 : SK_UNKNOWN);
		CHECK(same(c, src, 300000, 1 + (size_t)kinds * 997));
		CHECK_EQ(sk_length(c), 0);
		sk_close(c);
	}
	free(src);
}

static void
nested_concatenations_are_flattened(void)
{
	sk_stream *a[2] = {sk_mem_open("ab", 2, 0), sk_mem_open("cd", 2, 0)};
	sk_stream *inner = sk_concat_open(a, 2);
	sk_stream *b[3] = {sk_mem_open("01", 2, 0), inner,
	                   sk_mem_open("", 0, 0)};
	sk_stream *outer = sk_concat_open(b, 3);
	sk_stream *c[2] = {outer, sk_mem_open("ef", 2, 0)};
	sk_stream *top = sk_concat_open(c, 2);

	CHECK_EQ(sk_length(top), 8);
	CHECK(same(top, (const unsigned char *)"01abcdef", 8, 3));
	CHECK(strcmp(sk_kind(top), "concat") == 0);
	sk_close(top);
	top = sk_concat_open(NULL, 0);
	CHECK_EQ(sk_length(top), 0);
	CHECK(same(top, (const unsigned char *)"", 0, 1));
	sk_close(top);
}

static void
concatenation_skips_across_parts(void)
{
	unsigned char *src = t_pattern(9000, 12);

	for (int kind = 0; kind < 3; kind++) {
		for (size_t skip = 0; skip <= 9000; skip += 1499) {
			sk_stream *p[3] = {open_kind(kind, src, 3000),
			                   open_kind(kind, src + 3000, 3000),
			                   open_kind(kind, src + 6000, 3000)};
			sk_stream *c = sk_concat_open(p, 3);
			CHECK_EQ(sk_skip(c, (int64_t)skip), (int64_t)skip);
			CHECK(same(c, src + skip, 9000 - skip, 512));
			sk_close(c);
		}
	}
	free(src);
}

static void
window_gives_exactly_its_bytes_on_every_kind(void)
{
	unsigned char *src = t_pattern(70000, 13);

	for (int kind = 0; kind < 3; kind++) {
		for (size_t i = 0; i < NSIZES; i++) {
			for (size_t j = 0; j < NSIZES; j += 2) {
				size_t off = sizes[i], len = sizes[j];
				size_t want = off >= 70000        ? 0
				              : len > 70000 - off ? 70000 - off
				                                  : len;
				sk_stream *w =
				    sk_window_open(open_kind(kind, src, 70000),
				                   (int64_t)off, (int64_t)len);
				if (kind != 2)
					CHECK_EQ(sk_length(w), (int64_t)want);
				CHECK(same(w, src + (off < 70000 ? off : 0),
				           want, sizes[(i + j) % NSIZES] + 1));
				sk_close(w);
			}
		}
		/* Open-ended: to the end. */
		sk_stream *w = sk_window_open(open_kind(kind, src, 70000),
		                              69999, SK_UNKNOWN);
		CHECK(same(w, src + 69999, 1, 1));
		sk_close(w);
	}
	CHECK(sk_window_open(sk_mem_open("x", 1, 0), -1, 1) == NULL);
	CHECK_EQ(errno, EINVAL);
	free(src);
}

static void
sections_are_independent_of_their_parent(void)
{
	unsigned char *src = t_pattern(20000, 14);

	for (int kind = 0; kind < 2; kind++) {
		sk_stream *p[2] = {open_kind(kind, src, 7000),
		                   open_kind(kind, src + 7000, 13000)};
		sk_stream *c = sk_concat_open(p, 2);
		sk_stream *w = sk_window_open(c, 100, 19000);
		sk_stream *s1 = sk_section_open(w, 6800, 500);
		sk_stream *s2 = sk_section_open(w, 0, SK_UNKNOWN);
		sk_stream *s3 = sk_section_open(w, 18990, 100); /* clamped */
		CHECK_EQ(sk_length(s1), 500);
		CHECK(same(s1, src + 6900, 500, 77));
		CHECK_EQ(sk_length(s2), 19000);
		CHECK(same(s2, src + 100, 19000, 4096));
		CHECK(same(s3, src + 19090, 10, 3));
		/* The parent did not move. */
		CHECK(same(w, src + 100, 19000, 65536));
		sk_close(s1);
		sk_close(s2);
		sk_close(s3);
		sk_close(w);
	}
	sk_stream *pipe = sk_fd_open(t_pipe_with(src, 10, 0), SK_FD_OWN);
	CHECK(sk_section_open(pipe, 0, 1) == NULL);
	CHECK_EQ(errno, ENOTSUP);
	sk_close(pipe);
	free(src);
}

static void
split_halves_read_in_either_order_on_every_kind(void)
{
	unsigned char *src = t_pattern(100000, 15);
	static const int64_t cuts[] = {0,     1,     512,    4096,
	                               65537, 99999, 100000, 150000};

	for (int kind = 0; kind < 3; kind++) {
		for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
			for (int order = 0; order < 3; order++) {
				sk_stream *h, *r;
				int64_t pos = cuts[i];
				size_t hl = pos > 100000 ? 100000 : (size_t)pos;
				CHECK_EQ(
				    sk_split_open(open_kind(kind, src, 100000),
				                  pos, 1000, NULL, &h, &r),
				    0);
				if (order == 0) {
					CHECK(same(h, src, hl, 999));
					CHECK(same(r, src + hl, 100000 - hl,
					           4096));
				} else if (order == 1) {
					CHECK(same(r, src + hl, 100000 - hl,
					           4096));
					CHECK(same(h, src, hl, 999));
				} else {
					/* head partly read, then the rest, then
					 * the head's remainder (from the
					 * spool). */
					unsigned char b[10];
					size_t got = 0;
					sk_read_full(h, b, 10, &got);
					CHECK(memcmp(b, src, got) == 0);
					CHECK(same(r, src + hl, 100000 - hl,
					           65536));
					CHECK(same(h, src + got, hl - got, 1));
				}
				sk_close(r);
				sk_close(h);
			}
		}
	}
	free(src);
}

static void
split_rest_after_head_closed_early_skips_the_head(void)
{
	unsigned char *src = t_pattern(5000, 16);
	sk_stream *h, *r;

	CHECK_EQ(sk_split_open(open_kind(2, src, 5000), 3000, 0, NULL, &h, &r),
	         0);
	sk_close(h);
	CHECK(same(r, src + 3000, 2000, 100));
	sk_close(r);
	free(src);
}

static void
droptail_holds_back_the_last_bytes(void)
{
	unsigned char *src = t_pattern(100000, 17);

	for (int kind = 0; kind < 3; kind++) {
		for (size_t i = 0; i < NSIZES; i++) {
			size_t n = sizes[i], want = n > 100000 ? 0 : 100000 - n;
			sk_stream *d =
			    sk_droptail_open(open_kind(kind, src, 100000), n);
			if (kind != 2)
				CHECK_EQ(sk_length(d), (int64_t)want);
			CHECK(same(d, src, want, sizes[(i + 3) % NSIZES] + 1));
			sk_close(d);
		}
	}
	sk_stream *d = sk_droptail_open(sk_mem_open("abc", 3, 0), 5);
	CHECK(same(d, (const unsigned char *)"", 0, 1));
	sk_close(d);
	free(src);
}

static void
recorder_passes_through_and_keeps_the_tail(void)
{
	unsigned char *src = t_pattern(100000, 18);

	for (int kind = 0; kind < 3; kind++) {
		for (size_t i = 0; i < NSIZES; i++) {
			size_t keep = sizes[i];
			size_t len = sizes[(i + 5) % NSIZES];
			sk_stream *r =
			    sk_recorder_open(open_kind(kind, src, len), keep);
			sk_stream *tail;
			size_t k = keep < len ? keep : len;
			/* Read half through it, let tail() discard the rest. */
			unsigned char *buf = malloc(len / 2 + 1);
			size_t got = 0;
			sk_read_full(r, buf, len / 2, &got);
			CHECK_EQ(got, len / 2);
			CHECK(memcmp(buf, src, got) == 0);
			free(buf);
			tail = sk_recorder_tail_open(r, keep);
			CHECK(tail != NULL);
			CHECK_EQ(sk_recorder_total(r), (int64_t)len);
			CHECK_EQ(sk_length(tail), (int64_t)k);
			CHECK(same(tail, src + len - k, k, 4096));
			sk_close(tail);
			sk_close(r);
		}
	}
	free(src);
}

static void
readline_returns_lines_and_refuses_long_ones(void)
{
	const char *text = "one\ntwo\n\nlast without newline";
	sk_stream *b = sk_buffered_open(sk_mem_open(text, strlen(text), 0), 4);
	const char *line;
	size_t len;

	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), 1);
	CHECK(len == 4 && memcmp(line, "one\n", 4) == 0);
	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), 1);
	CHECK(len == 4 && memcmp(line, "two\n", 4) == 0);
	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), 1);
	CHECK(len == 1 && line[0] == '\n');
	/* Too long for max 10: an error, nothing consumed. */
	CHECK_EQ(sk_readline(b, '\n', 10, &line, &len), -1);
	CHECK_EQ(errno, EMSGSIZE);
	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), 1);
	CHECK(len == 20 && memcmp(line, "last without newline", 20) == 0);
	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), 0);
	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), 0);
	sk_close(b);
	b = sk_mem_open("x", 1, 0);
	CHECK_EQ(sk_readline(b, '\n', 10, &line, &len), -1);
	CHECK_EQ(errno, EINVAL);
	sk_close(b);
	/* A line of exactly max bytes is a line, with or without its
	 * delimiter at the end of the input (fuzz_readline found the
	 * second case refused). */
	b = sk_buffered_open(sk_mem_open("abcd\nwxyz", 9, 0), 2);
	CHECK_EQ(sk_readline(b, '\n', 5, &line, &len), 1);
	CHECK(len == 5 && memcmp(line, "abcd\n", 5) == 0);
	CHECK_EQ(sk_readline(b, '\n', 4, &line, &len), 1);
	CHECK(len == 4 && memcmp(line, "wxyz", 4) == 0);
	sk_close(b);
	b = sk_buffered_open(sk_mem_open("abcd\n", 5, 0), 2);
	CHECK_EQ(sk_readline(b, '\n', 4, &line, &len), -1);
	CHECK_EQ(errno, EMSGSIZE);
	sk_close(b);
	/* No limit (SIZE_MAX): a long line still comes whole. */
	{
		size_t n = 1 << 20;
		char *big = malloc(n + 1);
		memset(big, 'x', n);
		big[n] = '\n';
		b = sk_buffered_open(sk_mem_open(big, n + 1, SK_MEM_OWN), 0);
		CHECK_EQ(sk_readline(b, '\n', SIZE_MAX, &line, &len), 1);
		CHECK(len == n + 1 && line[n] == '\n');
		sk_close(b);
	}
}

static void
readline_sweeps_line_lengths_across_buffer_sizes(void)
{
	/* Lines of every length 0..600 with NUL delimiters, read through
	 * buffers smaller and larger than the lines. */
	size_t total = 0;
	char *text = malloc(200000);
	static const size_t bufs[] = {1, 7, 512, 4096};

	for (size_t l = 0; l <= 600; l++) {
		memset(text + total, 'a' + (int)(l % 26), l);
		total += l;
		text[total++] = '\0';
	}
	for (size_t i = 0; i < 4; i++) {
		sk_stream *b = sk_buffered_open(
		    sk_fd_open(t_pipe_with(text, total, 333), SK_FD_OWN),
		    bufs[i]);
		const char *line;
		size_t len, pos = 0, l = 0;
		int r;
		while ((r = sk_readline(b, '\0', 601, &line, &len)) == 1) {
			CHECK_EQ(len, l + 1);
			CHECK(memcmp(line, text + pos, len) == 0);
			pos += len;
			l++;
		}
		CHECK_EQ(r, 0);
		CHECK_EQ(l, 601);
		sk_close(b);
	}
	free(text);
}

static void
buffered_stream_reads_like_its_source(void)
{
	unsigned char *src = t_pattern(100000, 19);

	for (size_t i = 0; i < NSIZES; i++) {
		sk_stream *b =
		    sk_buffered_open(open_kind(2, src, 100000), 1000);
		const char *line;
		size_t len;
		/* Mix a line read and plain reads. */
		if (sk_readline(b, src[0], 100000, &line, &len) == 1) {
			CHECK(len >= 1 && memcmp(line, src, len) == 0);
			CHECK(same(b, src + len, 100000 - len, sizes[i] + 1));
		}
		sk_close(b);
	}
	free(src);
}

T_CASES(T(concatenation_of_every_kind_reads_as_one_stream),
        T(nested_concatenations_are_flattened),
        T(concatenation_skips_across_parts),
        T(window_gives_exactly_its_bytes_on_every_kind),
        T(sections_are_independent_of_their_parent),
        T(split_halves_read_in_either_order_on_every_kind),
        T(split_rest_after_head_closed_early_skips_the_head),
        T(droptail_holds_back_the_last_bytes),
        T(recorder_passes_through_and_keeps_the_tail),
        T(readline_returns_lines_and_refuses_long_ones),
        T(readline_sweeps_line_lengths_across_buffer_sizes),
        T(buffered_stream_reads_like_its_source))
