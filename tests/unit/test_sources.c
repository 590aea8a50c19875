/* Unit tests: fd, path and memory sources; the common operations. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

#define N 200003
static const size_t steps[] = {1,    7,    511,   512,   513,   4095,
                               4096, 4097, 65535, 65536, 65537, 1 << 20};
#define NSTEPS (sizeof steps / sizeof steps[0])

static void
memory_stream_reads_back_every_byte_at_every_step(void)
{
	unsigned char *src = t_pattern(N, 1);

	for (size_t i = 0; i < NSTEPS; i++) {
		sk_stream *s = sk_mem_open(src, N, 0);
		size_t len;
		unsigned char *got = t_read_all(s, steps[i], &len);
		CHECK_EQ(len, N);
		CHECK(memcmp(got, src, N) == 0);
		CHECK_EQ(sk_read(s, got, 10), 0); /* after the end: still 0 */
		CHECK_EQ(sk_read(s, got, 10), 0);
		free(got);
		CHECK_EQ(sk_close(s), 0);
	}
	free(src);
}

static void
file_stream_reads_back_every_byte_at_every_step(void)
{
	unsigned char *src = t_pattern(N, 2);
	int fd = t_tmpfile_with(src, N);

	for (size_t i = 0; i < NSTEPS; i++) {
		sk_stream *s;
		size_t len;
		unsigned char *got;
		lseek(fd, 0, SEEK_SET);
		s = sk_fd_open(fd, 0);
		CHECK_EQ(sk_length(s), N);
		got = t_read_all(s, steps[i], &len);
		CHECK_EQ(len, N);
		CHECK(memcmp(got, src, N) == 0);
		CHECK_EQ(sk_length(s), 0);
		free(got);
		sk_close(s);
	}
	close(fd);
	free(src);
}

static void
pipe_stream_reads_back_every_byte_with_bursty_writer(void)
{
	unsigned char *src = t_pattern(N, 3);

	for (size_t i = 0; i < NSTEPS; i++) {
		int fd = t_pipe_with(src, N, steps[NSTEPS - 1 - i]);
		sk_stream *s = sk_fd_open(fd, SK_FD_OWN);
		size_t len;
		unsigned char *got;
		CHECK_EQ(sk_length(s), SK_UNKNOWN);
		got = t_read_all(s, steps[i], &len);
		CHECK_EQ(len, N);
		CHECK(memcmp(got, src, N) == 0);
		free(got);
		sk_close(s);
	}
	free(src);
}

static void
empty_inputs_end_at_once(void)
{
	char b[4];
	int fd = t_tmpfile_with("", 0);
	sk_stream *s[3] = {sk_mem_open(NULL, 0, 0), sk_fd_open(fd, SK_FD_OWN),
	                   sk_fd_open(t_pipe_with("", 0, 0), SK_FD_OWN)};

	for (int i = 0; i < 3; i++) {
		CHECK_EQ(sk_read(s[i], b, sizeof b), 0);
		CHECK_EQ(sk_skip(s[i], 10), 0);
		CHECK_EQ(sk_length(s[i]), 0);
		sk_close(s[i]);
	}
}

static void
skip_on_a_file_seeks_and_on_a_pipe_reads(void)
{
	unsigned char *src = t_pattern(N, 4);
	int fd = t_tmpfile_with(src, N);
	sk_stream *f = sk_fd_open(fd, SK_FD_OWN);
	sk_stream *p = sk_fd_open(t_pipe_with(src, N, 1000), SK_FD_OWN);
	unsigned char b[16];

	CHECK_EQ(sk_skip(f, 100000), 100000);
	CHECK_EQ(sk_skip(p, 100000), 100000);
	CHECK_EQ(sk_read(f, b, 16), 16);
	CHECK(memcmp(b, src + 100000, 16) == 0);
	CHECK_EQ(sk_read_full(p, b, 16, NULL), 1);
	CHECK(memcmp(b, src + 100000, 16) == 0);
	/* A skip past the end says how far it got. */
	CHECK_EQ(sk_skip(f, N), N - 100016);
	CHECK_EQ(sk_skip(p, N), N - 100016);
	CHECK_EQ(sk_read(f, b, 1), 0);
	CHECK_EQ(sk_read(p, b, 1), 0);
	sk_close(f);
	sk_close(p);
	free(src);
}

static void
read_full_tells_clean_end_from_truncation(void)
{
	char b[10];
	size_t got = 99;
	sk_stream *s = sk_mem_open("abcdefghijklmno", 15, 0);

	CHECK_EQ(sk_read_full(s, b, 10, &got), 1);
	CHECK_EQ(got, 10);
	errno = 0;
	CHECK_EQ(sk_read_full(s, b, 10, &got), -1);
	CHECK_EQ(errno, ENODATA);
	CHECK_EQ(got, 5);
	CHECK(memcmp(b, "klmno", 5) == 0);
	CHECK_EQ(sk_read_full(s, b, 10, &got), 0);
	CHECK_EQ(got, 0);
	sk_close(s);
}

static void
errors_are_sticky(void)
{
	int p[2];
	sk_stream *s;
	char b[4];

	/* A descriptor that cannot be read (write end of a pipe). */
	CHECK(pipe(p) == 0);
	s = sk_fd_open(p[1], 0);
	CHECK_EQ(sk_read(s, b, 4), -1);
	CHECK_EQ(sk_error(s), EBADF);
	errno = 0;
	CHECK_EQ(sk_read(s, b, 4), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(sk_skip(s, 1), -1);
	CHECK_EQ(sk_length(s), SK_UNKNOWN);
	sk_close(s);
	close(p[0]);
	close(p[1]);
}

static void
path_open_reports_missing_files_and_directories(void)
{
	errno = 0;
	CHECK(sk_path_open("/nonexistent/streamkit") == NULL);
	CHECK_EQ(errno, ENOENT);
	errno = 0;
	CHECK(sk_path_open("/") == NULL);
	CHECK_EQ(errno, EISDIR);
	CHECK(sk_fd_open(-1, 0) == NULL);
	CHECK_EQ(errno, EBADF);
}

static void
borrowed_file_descriptor_is_left_after_what_was_read(void)
{
	unsigned char *src = t_pattern(1000, 5);
	int fd = t_tmpfile_with(src, 1000);
	sk_stream *s = sk_fd_open(fd, 0);
	char b[100];

	CHECK_EQ(sk_read(s, b, 100), 100);
	CHECK_EQ(sk_skip(s, 50), 50);
	sk_close(s);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 150);
	close(fd);
	free(src);
}

static void
nonblocking_pipe_is_waited_on_not_failed(void)
{
	unsigned char *src = t_pattern(300000, 6);
	int fd = t_pipe_with(src, 300000, 333);
	sk_stream *s;
	size_t len;
	unsigned char *got;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	s = sk_fd_open(fd, SK_FD_OWN);
	got = t_read_all(s, 4096, &len);
	CHECK_EQ(len, 300000);
	CHECK(memcmp(got, src, len) == 0);
	CHECK_EQ(sk_error(s), 0);
	free(got);
	free(src);
	sk_close(s);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
interrupted_reads_are_retried(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval it = {{0, 2000}, {0, 2000}};
	unsigned char *src = t_pattern(50000, 7);
	int p[2];
	pid_t pid;
	sk_stream *s;
	size_t len;
	unsigned char *got;

	/* No SA_RESTART: every alarm interrupts the blocked read. */
	sigaction(SIGALRM, &sa, NULL);
	CHECK(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		for (size_t o = 0; o < 50000; o += 5000) {
			usleep(10000);
			sk_write_all(p[1], src + o, 5000);
		}
		_exit(0);
	}
	close(p[1]);
	setitimer(ITIMER_REAL, &it, NULL);
	s = sk_fd_open(p[0], SK_FD_OWN);
	got = t_read_all(s, 65536, &len);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_EQ(len, 50000);
	CHECK(memcmp(got, src, len) == 0);
	CHECK_EQ(sk_error(s), 0);
	sk_close(s);
	free(got);
	free(src);
}

static void
owned_memory_is_freed_and_borrowed_is_not(void)
{
	/* Large enough to stand out of anything else the heap holds. */
	const size_t big = (size_t)4 << 20;
	size_t before = t_heap_bytes();
	char *own = malloc(big), *borrowed = malloc(big);
	sk_stream *a, *b;

	memset(own, 'o', big);
	memset(borrowed, 'b', big);
	CHECK(t_heap_bytes() >= before + 2 * big);
	a = sk_mem_open(own, big, SK_MEM_OWN);
	b = sk_mem_open(borrowed, big, 0);
	CHECK_EQ(sk_length(a), big);
	CHECK_EQ(sk_close(a), 0);
	CHECK_EQ(sk_close(b), 0);
	/* The owned buffer went with its stream; the borrowed one stays. */
	CHECK(t_heap_bytes() < before + 2 * big);
	CHECK(t_heap_bytes() >= before + big);
	CHECK(borrowed[big - 1] == 'b');
	free(borrowed);
	CHECK(t_heap_bytes() < before + big);
	CHECK(sk_mem_open(NULL, 1, SK_MEM_OWN) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_close(NULL), 0);
	CHECK(strcmp(sk_version(), SK_VERSION) == 0);
}

static void
fileno_gives_the_descriptor_and_advance_moves_on(void)
{
	unsigned char *src = t_pattern(1000, 8);
	int fd = t_tmpfile_with(src, 1000);
	sk_stream *s = sk_fd_open(fd, SK_FD_OWN), *m = sk_mem_open("x", 1, 0);
	int64_t off, lim;
	char b[10];

	CHECK_EQ(sk_skip(s, 10), 10);
	CHECK_EQ(sk_fileno(s, &off, &lim), fd);
	CHECK_EQ(off, 10);
	CHECK_EQ(sk_advance(s, 90), 0);
	CHECK_EQ(sk_read(s, b, 10), 10);
	CHECK(memcmp(b, src + 100, 10) == 0);
	CHECK_EQ(sk_fileno(m, &off, &lim), -1);
	CHECK_EQ(errno, ENOTSUP);
	CHECK(strcmp(sk_kind(s), "fd") == 0);
	sk_close(s);
	sk_close(m);
	free(src);
}

T_CASES(T(memory_stream_reads_back_every_byte_at_every_step),
        T(file_stream_reads_back_every_byte_at_every_step),
        T(pipe_stream_reads_back_every_byte_with_bursty_writer),
        T(empty_inputs_end_at_once),
        T(skip_on_a_file_seeks_and_on_a_pipe_reads),
        T(read_full_tells_clean_end_from_truncation), T(errors_are_sticky),
        T(path_open_reports_missing_files_and_directories),
        T(borrowed_file_descriptor_is_left_after_what_was_read),
        T(nonblocking_pipe_is_waited_on_not_failed),
        T(interrupted_reads_are_retried),
        T(owned_memory_is_freed_and_borrowed_is_not),
        T(fileno_gives_the_descriptor_and_advance_moves_on))
