/* Unit tests: sk_copy on every pair of descriptor kinds, its failures,
 * and process streams. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

#define N 1000003

/* Reads everything from fd (in a child writer's pipe) into a buffer. */
static unsigned char *
drain(int fd, size_t *len)
{
	sk_stream *s = sk_fd_open(fd, SK_FD_OWN);
	unsigned char *b = t_read_all(s, 65536, len);

	sk_close(s);
	return b;
}

/* Copies src into a pipe read by a child that sends it back; returns what
 * came through. */
static unsigned char *
through_pipe(sk_stream *src, int64_t max, int64_t *copied, size_t *len)
{
	int p[2], back[2];
	pid_t pid;
	unsigned char *got;

	if (pipe(p) < 0 || pipe(back) < 0)
		abort();
	if ((pid = fork()) == 0) {
		sk_stream *in;
		close(p[1]);
		close(back[0]);
		in = sk_fd_open(p[0], SK_FD_OWN);
		_exit(sk_copy(in, back[1], SK_UNKNOWN) < 0);
	}
	close(p[0]);
	close(back[1]);
	*copied = sk_copy(src, p[1], max);
	close(p[1]);
	got = drain(back[0], len);
	waitpid(pid, NULL, 0);
	return got;
}

static void
copy_moves_every_byte_between_every_kind(void)
{
	unsigned char *src = t_pattern(N, 31);
	static const int64_t maxes[] = {SK_UNKNOWN, 0,     1, 4096,
	                                65537,      N - 1, N, N + 1};

	for (int kind = 0; kind < 3; kind++) {
		for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
			int64_t max = maxes[m], copied;
			int64_t want = max == SK_UNKNOWN || max > N ? N : max;
			sk_stream *s =
			    kind == 0 ? sk_mem_open(src, N, 0)
			    : kind == 1
			        ? sk_fd_open(t_tmpfile_with(src, N), SK_FD_OWN)
			        : sk_fd_open(t_pipe_with(src, N, 65536),
			                     SK_FD_OWN);
			/* Into a pipe. */
			size_t len;
			unsigned char *got =
			    through_pipe(s, max, &copied, &len);
			CHECK_EQ(copied, want);
			CHECK_EQ(len, (size_t)want);
			CHECK(memcmp(got, src, len) == 0);
			free(got);
			sk_close(s);
			/* Into a regular file, then a second copy appends. */
			s = kind == 0 ? sk_mem_open(src, N, 0)
			    : kind == 1
			        ? sk_fd_open(t_tmpfile_with(src, N), SK_FD_OWN)
			        : sk_fd_open(t_pipe_with(src, N, 4096),
			                     SK_FD_OWN);
			int out = t_tmpfile_with("", 0);
			CHECK_EQ(sk_copy(s, out, max), want);
			CHECK_EQ(sk_copy(s, out, SK_UNKNOWN), N - want);
			struct stat st;
			fstat(out, &st);
			CHECK_EQ(st.st_size, N);
			got = malloc(N);
			CHECK_EQ(pread(out, got, N, 0), N);
			CHECK(memcmp(got, src, N) == 0);
			free(got);
			close(out);
			sk_close(s);
		}
	}
	free(src);
}

static void
copy_into_an_appending_file_falls_back(void)
{
	unsigned char *src = t_pattern(100000, 32);
	char path[] = "/tmp/sk-append.XXXXXX";
	int fd = mkstemp(path), out;
	sk_stream *s = sk_fd_open(t_tmpfile_with(src, 100000), SK_FD_OWN);
	struct stat st;

	sk_write_all(fd, "head", 4);
	close(fd);
	out = open(path, O_WRONLY | O_APPEND);
	unlink(path);
	CHECK_EQ(sk_copy(s, out, SK_UNKNOWN), 100000);
	fstat(out, &st);
	CHECK_EQ(st.st_size, 100004);
	close(out);
	sk_close(s);
	free(src);
}

static void
copy_reports_a_full_device_as_a_write_error(void)
{
	unsigned char *src = t_pattern(100000, 33);
	int full = open("/dev/full", O_WRONLY);

	for (int kind = 0; kind < 3; kind++) {
		sk_stream *s =
		    kind == 0 ? sk_mem_open(src, 100000, 0)
		    : kind == 1
		        ? sk_fd_open(t_tmpfile_with(src, 100000), SK_FD_OWN)
		        : sk_fd_open(t_pipe_with(src, 100000, 0), SK_FD_OWN);
		errno = 0;
		CHECK_EQ(sk_copy(s, full, SK_UNKNOWN), -1);
		CHECK_EQ(errno, ENOSPC);
		CHECK_EQ(sk_error(s), 0); /* the source is fine */
		sk_close(s);
	}
	close(full);
	free(src);
}

static void
copy_into_a_closed_pipe_says_epipe(void)
{
	unsigned char *src = t_pattern(N, 34);
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	for (int kind = 0; kind < 3; kind++) {
		sk_stream *s =
		    kind == 0   ? sk_mem_open(src, N, 0)
		    : kind == 1 ? sk_fd_open(t_tmpfile_with(src, N), SK_FD_OWN)
		                : sk_fd_open(t_pipe_with(src, N, 0), SK_FD_OWN);
		CHECK(pipe(p) == 0);
		close(p[0]);
		errno = 0;
		CHECK_EQ(sk_copy(s, p[1], SK_UNKNOWN), -1);
		CHECK_EQ(errno, EPIPE);
		CHECK_EQ(sk_error(s), 0);
		close(p[1]);
		sk_close(s);
	}
	free(src);
}

static void
copy_into_a_nonblocking_pipe_waits(void)
{
	unsigned char *src = t_pattern(N, 35);
	int p[2];
	pid_t pid;
	size_t len;
	unsigned char *got;
	sk_stream *s = sk_mem_open(src, N, 0);

	CHECK(pipe(p) == 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	if ((pid = fork()) == 0) {
		close(p[1]);
		usleep(50000); /* let the writer hit a full pipe */
		got = drain(p[0], &len);
		_exit(len == N && memcmp(got, src, N) == 0 ? 0 : 1);
	}
	close(p[0]);
	CHECK_EQ(sk_copy(s, p[1], SK_UNKNOWN), N);
	close(p[1]);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sk_close(s);
	free(src);
}

static void
slurp_and_discard_read_to_the_end(void)
{
	char *out = NULL;
	sk_stream *s = sk_mem_open("hello world", 11, 0);

	CHECK_EQ(sk_slurp(s, 100, &out), 11);
	CHECK(strcmp(out, "hello world") == 0);
	free(out);
	sk_close(s);
	s = sk_mem_open("hello world", 11, 0);
	CHECK_EQ(sk_slurp(s, 10, &out), -1);
	CHECK_EQ(errno, EFBIG);
	sk_close(s);
	s = sk_mem_open("hello world", 11, 0);
	CHECK_EQ(sk_slurp(s, 11, &out), 11);
	free(out);
	sk_close(s);
	s = sk_fd_open(t_pipe_with("abcdef", 6, 1), SK_FD_OWN);
	CHECK_EQ(sk_discard(s), 6);
	sk_close(s);
}

static void
process_output_is_a_stream_and_its_status_is_kept(void)
{
	char *argv[] = {(char *)"sh", (char *)"-c",
	                (char *)"printf 'a\\nb\\n'; exit 3", NULL};
	sk_stream *p = sk_proc_open(argv, NULL);
	char *out;
	int st = -1;

	CHECK(p != NULL);
	CHECK_EQ(sk_slurp(p, 100, &out), 4);
	CHECK(strcmp(out, "a\nb\n") == 0);
	free(out);
	CHECK_EQ(sk_proc_close(p, &st), 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	/* sk_close says ECHILD for a process that failed. */
	p = sk_proc_open(argv, NULL);
	sk_discard(p);
	CHECK_EQ(sk_close(p), -1);
	CHECK_EQ(errno, ECHILD);
}

static void
process_input_is_fed_from_a_stream(void)
{
	unsigned char *src = t_pattern(N, 36);
	char *argv[] = {(char *)"cat", NULL};
	sk_stream *p = sk_proc_open(
	    argv, sk_fd_open(t_pipe_with(src, N, 3000), SK_FD_OWN));
	size_t len;
	unsigned char *got = t_read_all(p, 65536, &len);
	int st;

	CHECK_EQ(len, N);
	CHECK(memcmp(got, src, N) == 0);
	CHECK_EQ(sk_proc_close(p, &st), 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(got);
	free(src);
}

static void
process_that_stops_reading_early_is_not_an_error(void)
{
	unsigned char *src = t_pattern(N * 4, 37);
	char *argv[] = {(char *)"head", (char *)"-c", (char *)"10", NULL};
	sk_stream *p;
	size_t len;
	unsigned char *got;

	/* SIGPIPE at its default: the library must not let it through. */
	signal(SIGPIPE, SIG_DFL);
	p = sk_proc_open(argv, sk_mem_open(src, N * 4, 0));
	got = t_read_all(p, 100, &len);
	CHECK_EQ(len, 10);
	CHECK(memcmp(got, src, 10) == 0);
	CHECK_EQ(sk_error(p), 0);
	CHECK_EQ(sk_close(p), 0);
	signal(SIGPIPE, SIG_IGN);
	free(got);
	free(src);
}

static void
process_that_cannot_run_is_reported(void)
{
	char *argv[] = {(char *)"/nonexistent/streamkit-cmd", NULL};

	errno = 0;
	CHECK(sk_proc_open(argv, sk_mem_open("x", 1, 0)) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(sk_proc_open(NULL, NULL) == NULL);
	CHECK_EQ(errno, EINVAL);
}

T_CASES(T(copy_moves_every_byte_between_every_kind),
        T(copy_into_an_appending_file_falls_back),
        T(copy_reports_a_full_device_as_a_write_error),
        T(copy_into_a_closed_pipe_says_epipe),
        T(copy_into_a_nonblocking_pipe_waits),
        T(slurp_and_discard_read_to_the_end),
        T(process_output_is_a_stream_and_its_status_is_kept),
        T(process_input_is_fed_from_a_stream),
        T(process_that_stops_reading_early_is_not_an_error),
        T(process_that_cannot_run_is_reported))
