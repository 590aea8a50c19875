/*
 * Unit tests: the promises of the header's CONVENTIONS block, one case per
 * promise, on every kind they concern: sticky errors kept by stream.c,
 * ownership also on failure, sizes without wrap-around, the capability
 * query, the one list of write-side errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sk_impl.h" /* sk__write_side, the internal list under test */
#include "streamkit.h"
#include "t.h"

static const size_t sizes[] = {0, 1, 511, 512, 513, 4095, 4096, 4097, 65536};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* Is fd an open descriptor? */
static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static void
slurp_takes_size_max_as_no_limit_and_max_exactly(void)
{
	for (size_t i = 0; i < NSIZES; i++) {
		size_t n = sizes[i];
		unsigned char *src = t_pattern(n, 3);
		char *out = NULL;
		sk_stream *s = sk_mem_open(src, n, 0);

		CHECK_EQ(sk_slurp(s, SIZE_MAX, &out), n);
		CHECK(out != NULL && memcmp(out, src, n) == 0 && out[n] == 0);
		free(out);
		sk_close(s);
		/* A limit of exactly n takes it; n - 1 refuses it. */
		s = sk_fd_open(t_pipe_with(src, n, 509), SK_FD_OWN);
		CHECK_EQ(sk_slurp(s, n, &out), n);
		free(out);
		sk_close(s);
		if (n > 0) {
			s = sk_mem_open(src, n, 0);
			CHECK_EQ(sk_slurp(s, n - 1, &out), -1);
			CHECK_EQ(errno, EFBIG);
			sk_close(s);
		}
		free(src);
	}
}

/* A stream whose reads fail: a descriptor of a directory (EISDIR). */
static sk_stream *
failing_stream(void)
{
	return sk_fd_open(open("/", O_RDONLY | O_DIRECTORY), SK_FD_OWN);
}

static void
readline_keeps_a_failed_read_as_the_streams_error(void)
{
	sk_stream *b = sk_buffered_open(failing_stream(), 0);
	const char *line;
	size_t len;
	char c;

	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), -1);
	CHECK_EQ(errno, EISDIR);
	CHECK_EQ(sk_error(b), EISDIR);
	CHECK_EQ(sk_read(b, &c, 1), -1);
	CHECK_EQ(errno, EISDIR);
	CHECK_EQ(sk_readline(b, '\n', 100, &line, &len), -1);
	CHECK_EQ(errno, EISDIR);
	/* Misuse is not the stream's failure. */
	b = (sk_close(b), sk_buffered_open(sk_mem_open("a\n", 2, 0), 0));
	CHECK_EQ(sk_readline(b, '\n', 0, &line, &len), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_error(b), 0);
	CHECK_EQ(sk_readline(b, '\n', 10, &line, &len), 1);
	sk_close(b);
}

/* Reads the first field of /proc/self/statm: the address space, in pages. */
static size_t
address_space(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL || fscanf(f, "%lu", &pages) != 1)
		abort();
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void
readline_out_of_memory_is_sticky(void)
{
	const size_t n = (size_t)64 << 20;
	char *text;
	sk_stream *b;
	struct rlimit lim, old;
	const char *line;
	size_t len;
	int r;

	if (t_sanitized())
		t_skip("a sanitizer's allocator aborts rather than fail");
	text = calloc(n, 1); /* one line of 64 MiB, never touched */
	b = sk_buffered_open(sk_mem_open(text, n, 0), 65536);
	getrlimit(RLIMIT_AS, &old);
	lim = old;
	lim.rlim_cur = address_space() + ((size_t)16 << 20);
	CHECK(setrlimit(RLIMIT_AS, &lim) == 0);
	r = sk_readline(b, '\n', SIZE_MAX, &line, &len);
	CHECK(setrlimit(RLIMIT_AS, &old) == 0);
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(sk_error(b), ENOMEM);
	/* With memory back, the line is still lost: the stream stays
	 * failed rather than hand out a line with a hole in it. */
	CHECK_EQ(sk_readline(b, '\n', SIZE_MAX, &line, &len), -1);
	CHECK_EQ(errno, ENOMEM);
	sk_close(b);
	free(text);
}

static void
advance_fails_on_a_failed_stream_and_its_own_failure_sticks(void)
{
	unsigned char *src = t_pattern(100, 5);
	sk_stream *s = failing_stream(), *w;
	int64_t off, lim;
	char c;

	CHECK_EQ(sk_read(s, &c, 1), -1);
	CHECK_EQ(sk_advance(s, 1), -1);
	CHECK_EQ(errno, EISDIR);
	sk_close(s);
	/* A window asked to advance past its end has lost its place. */
	w = sk_window_open(sk_fd_open(t_tmpfile_with(src, 100), SK_FD_OWN), 10,
	                   20);
	CHECK(sk_fileno(w, &off, &lim) >= 0);
	CHECK_EQ(lim, 20);
	CHECK_EQ(sk_advance(w, -1), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_error(w), 0);
	CHECK_EQ(sk_advance(w, 21), -1);
	CHECK_EQ(sk_error(w), EINVAL);
	CHECK_EQ(sk_read(w, &c, 1), -1);
	sk_close(w);
	free(src);
}

static void
fd_open_owning_the_descriptor_closes_it_when_it_fails(void)
{
	int fd = open("/dev/null", O_RDONLY);

	CHECK(sk_fd_open(fd, SK_FD_OWN | 0x100) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(!is_open(fd));
	/* Borrowed: left open. */
	fd = open("/dev/null", O_RDONLY);
	CHECK(sk_fd_open(fd, 0x100) == NULL);
	CHECK(is_open(fd));
	close(fd);
	/* A closed descriptor says so. */
	CHECK(sk_fd_open(fd, SK_FD_OWN) == NULL);
	CHECK_EQ(errno, EBADF);
}

static void
droptail_and_recorder_refuse_negative_counts_and_close_src(void)
{
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);

	CHECK(sk_droptail_open(sk_fd_open(a, SK_FD_OWN), -1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(!is_open(a));
	CHECK(sk_recorder_open(sk_fd_open(b, SK_FD_OWN), -1) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(!is_open(b));
}

enum {
	MEM,
	FILE_,
	PIPE,
	CONCAT_FILES,
	CONCAT_PIPE,
	WINDOW_FILE,
	WINDOW_PIPE,
	SPOOL,
	BUFFERED,
	RECORDER,
	DROPTAIL,
	NKINDS
};

/* A stream of kind k over src, and whether it allows sections. */
static sk_stream *
make(int k, const unsigned char *src, size_t n, sk_spool **sp, int *can)
{
	sk_stream *two[2];
	size_t h = n / 2;

	*can = 1;
	switch (k) {
	case MEM:
		return sk_mem_open(src, n, 0);
	case FILE_:
		return sk_fd_open(t_tmpfile_with(src, n), SK_FD_OWN);
	case PIPE:
		*can = 0;
		return sk_fd_open(t_pipe_with(src, n, 0), SK_FD_OWN);
	case CONCAT_FILES:
	case CONCAT_PIPE:
		*can = k == CONCAT_FILES;
		two[0] = sk_fd_open(t_tmpfile_with(src, h), SK_FD_OWN);
		two[1] = sk_fd_open(*can ? t_tmpfile_with(src + h, n - h)
		                         : t_pipe_with(src + h, n - h, 0),
		                    SK_FD_OWN);
		return sk_concat_open(two, 2);
	case WINDOW_FILE:
	case WINDOW_PIPE:
		*can = k == WINDOW_FILE;
		return sk_window_open(
		    make(*can ? FILE_ : PIPE, src, n, sp, can), 0, SK_UNKNOWN);
	case SPOOL:
		*sp = sk_spool_open(sk_mem_open(src, n, 0), 1000, NULL);
		return sk_spool_stream_open(*sp, 0, SK_UNKNOWN);
	case BUFFERED:
		*can = 0;
		return sk_buffered_open(sk_mem_open(src, n, 0), 0);
	case RECORDER:
		*can = 0;
		return sk_recorder_open(sk_mem_open(src, n, 0), 10);
	default:
		*can = 0;
		return sk_droptail_open(sk_mem_open(src, n, 0), 0);
	}
}

static void
can_section_answers_for_every_kind_without_reading(void)
{
	unsigned char *src = t_pattern(5000, 7);

	for (int k = 0; k < NKINDS; k++) {
		sk_spool *sp = NULL;
		int can;
		sk_stream *s = make(k, src, 5000, &sp, &can), *sec;
		size_t len;
		unsigned char *got;

		CHECK_EQ(sk_can_section(s), can);
		sec = sk_section_open(s, 10, SK_UNKNOWN);
		CHECK_EQ(sec != NULL, can);
		if (sec == NULL)
			CHECK_EQ(errno, ENOTSUP);
		sk_close(sec);
		/* Nothing was consumed by asking. */
		got = t_read_all(s, 4096, &len);
		CHECK_EQ(len, 5000);
		CHECK(memcmp(got, src, len) == 0);
		free(got);
		CHECK_EQ(sk_close(s), 0);
		sk_spool_close(sp);
	}
	/* A failed stream allows nothing. */
	{
		sk_stream *f = failing_stream();
		char c;
		CHECK_EQ(sk_read(f, &c, 1), -1);
		CHECK_EQ(sk_can_section(f), 0);
		sk_close(f);
	}
	free(src);
}

static void
every_section_after_the_end_is_empty(void)
{
	unsigned char *src = t_pattern(3000, 9);

	for (int k = 0; k < NKINDS; k++) {
		sk_spool *sp = NULL;
		int can;
		sk_stream *s = make(k, src, 3000, &sp, &can), *sec;
		size_t len;

		int now;

		free(t_read_all(s, 1000, &len));
		CHECK_EQ(len, 3000);
		/* What allowed sections still does; a pipe's stream does not
		 * start to; and the answer is what sk_section_open does. */
		now = sk_can_section(s);
		CHECK(now || !can);
		CHECK(!now || k != PIPE);
		sec = sk_section_open(s, 0, SK_UNKNOWN);
		CHECK_EQ(sec != NULL, now);
		if (sec != NULL) {
			char c;
			CHECK_EQ(sk_length(sec), 0);
			CHECK_EQ(sk_read(sec, &c, 1), 0);
			sk_close(sec);
		}
		sk_close(s);
		sk_spool_close(sp);
	}
	free(src);
}

static void
write_side_errors_are_one_list(void)
{
	static const int write_side[] = {EPIPE, ECONNRESET, ENOSPC, EDQUOT,
	                                 EFBIG};
	static const int read_side[] = {EIO, EISDIR, EBADF, ENOMEM, EINVAL};

	for (size_t i = 0; i < 5; i++) {
		CHECK(sk__write_side(write_side[i]));
		CHECK(!sk__write_side(read_side[i]));
	}
}

static void
copy_tells_a_file_size_limit_as_a_write_error(void)
{
	unsigned char *src = t_pattern(100000, 11);
	struct rlimit lim, old;

	/* Here, as in the programs, a size limit fails a write (EFBIG)
	 * instead of killing the process. */
	signal(SIGXFSZ, SIG_IGN);
	for (int k = MEM; k <= PIPE; k++) {
		sk_spool *sp = NULL;
		int can, out = t_tmpfile_with("", 0);
		sk_stream *s = make(k, src, 100000, &sp, &can);

		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 50000;
		CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
		CHECK_EQ(sk_copy(s, out, SK_UNKNOWN), -1);
		CHECK_EQ(errno, EFBIG);
		setrlimit(RLIMIT_FSIZE, &old);
		CHECK_EQ(sk_error(s), 0); /* the reading side is fine */
		sk_close(s);
		close(out);
	}
	free(src);
}

T_CASES(T(slurp_takes_size_max_as_no_limit_and_max_exactly),
        T(readline_keeps_a_failed_read_as_the_streams_error),
        T(readline_out_of_memory_is_sticky),
        T(advance_fails_on_a_failed_stream_and_its_own_failure_sticks),
        T(fd_open_owning_the_descriptor_closes_it_when_it_fails),
        T(droptail_and_recorder_refuse_negative_counts_and_close_src),
        T(can_section_answers_for_every_kind_without_reading),
        T(every_section_after_the_end_is_empty),
        T(write_side_errors_are_one_list),
        T(copy_tells_a_file_size_limit_as_a_write_error))
