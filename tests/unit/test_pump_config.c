/* Unit tests: what the pump's configuration asks for beyond the queue -
 * the stall timeout, the start threshold, line counting, the last bytes,
 * a rate changed while running, the current rate and its statistics, the
 * self-copy check, and sk_pump_close's result. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

#define MS ((uint64_t)1000000)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

struct runner {
	sk_pump *p;
	int rc, err;
	pthread_t th;
};

static void *
run_main(void *arg)
{
	struct runner *r = arg;

	r->rc = sk_pump_run(r->p);
	r->err = errno;
	return NULL;
}

static void
start(struct runner *r, sk_pump *p)
{
	r->p = p;
	pthread_create(&r->th, NULL, run_main, r);
}

/* A /dev/null descriptor: an output that takes everything. */
static int
null_fd(void)
{
	return open("/dev/null", O_WRONLY | O_CLOEXEC);
}

static void
stall_timeout_ends_a_silent_input_with_ETIMEDOUT(void)
{
	struct sk_pump_config c = {.stall_ns = 200 * MS};
	int in[2], out = null_fd(), side = 0;
	size_t which = 9;
	double t0 = now();
	sk_pump *p;

	CHECK(pipe(in) == 0);
	p = sk_pump_open(sk_fd_open(in[0], SK_FD_OWN), &out, 1, &c);
	CHECK(p != NULL);
	CHECK_EQ(sk_pump_run(p), -1);
	CHECK_EQ(errno, ETIMEDOUT);
	CHECK(now() - t0 >= 0.2 && now() - t0 < 5);
	CHECK_EQ(sk_pump_failure(p, &side, &which), ETIMEDOUT);
	CHECK_EQ(side, SK_PUMP_READ);
	CHECK_EQ(sk_pump_close(p), 0);
	close(in[1]);
	close(out);
}

static void
stall_timeout_names_an_output_that_takes_nothing(void)
{
	struct sk_pump_config c = {.stall_ns = 200 * MS, .queue = 65536};
	unsigned char *src = t_pattern(8 << 20, 7);
	int sink[2], fds[2], side = 0;
	size_t which = 9;
	sk_pump *p;

	CHECK(pipe(sink) == 0);
	fds[0] = null_fd();
	fds[1] = sink[1]; /* nobody reads it */
	p = sk_pump_open(sk_mem_open(src, 8 << 20, 0), fds, 2, &c);
	CHECK_EQ(sk_pump_run(p), -1);
	CHECK_EQ(sk_pump_failure(p, &side, &which), ETIMEDOUT);
	CHECK_EQ(side, SK_PUMP_WRITE);
	CHECK_EQ(which, 1);
	sk_pump_close(p);
	close(fds[0]);
	close(sink[0]);
	close(sink[1]);
	free(src);
}

static void
a_stopped_pump_is_not_stalled(void)
{
	struct sk_pump_config c = {.stall_ns = 150 * MS};
	int in[2], out = null_fd();
	struct runner r;

	CHECK(pipe(in) == 0);
	start(&r, sk_pump_open(sk_fd_open(in[0], SK_FD_OWN), &out, 1, &c));
	sk_pump_stop(r.p);
	nap(600);
	CHECK_EQ(sk_pump_failure(r.p, NULL, NULL), 0);
	sk_pump_start(r.p);
	CHECK(write(in[1], "abc", 3) == 3);
	close(in[1]);
	pthread_join(r.th, NULL);
	CHECK_EQ(r.rc, 0);
	sk_pump_close(r.p);
	close(out);
}

static void
start_threshold_holds_the_outputs_until_the_queue_fills(void)
{
	struct sk_pump_config c = {.queue = 65536, .start = 32768};
	unsigned char *src = t_pattern(50000, 3);
	int in[2], sink[2];
	struct runner r;
	struct sk_pump_stats st;
	char buf[65536];
	size_t got = 0;
	ssize_t n;

	for (int nosplice = 0; nosplice < 2; nosplice++) {
		c.no_splice = nosplice;
		got = 0;
		CHECK(pipe(in) == 0 && pipe(sink) == 0);
		start(&r, sk_pump_open(sk_fd_open(in[0], SK_FD_OWN), &sink[1],
		                       1, &c));
		CHECK(write(in[1], src, 20000) == 20000);
		nap(300);
		sk_pump_stats(r.p, &st);
		CHECK_EQ(st.bytes_in, 20000);
		CHECK_EQ(st.bytes_out, 0);
		CHECK(write(in[1], src + 20000, 30000) == 30000);
		close(in[1]);
		while (got < 50000 && (n = read(sink[0], buf, sizeof buf)) > 0)
			got += (size_t)n;
		pthread_join(r.th, NULL);
		CHECK_EQ(r.rc, 0);
		CHECK_EQ(got, 50000);
		sk_pump_close(r.p);
		close(sink[0]);
		close(sink[1]);
	}
	free(src);
}

static void
lines_are_counted_across_block_boundaries(void)
{
	static const size_t blocks[] = {1, 7, 512, 4096, 65536};
	size_t n = 300000, lines = 0;
	unsigned char *src = t_pattern(n, 11);

	/* Lines of every length, ending at every offset of a block. */
	for (size_t i = 0; i < n; i++) {
		if (src[i] % 61 == 0)
			src[i] = '\n';
		lines += src[i] == '\n';
	}
	for (size_t b = 0; b < 5; b++)
		for (int kind = 0; kind < 2; kind++) {
			struct sk_pump_config c = {.block = blocks[b],
			                           .count_lines = 1,
			                           .line_end = '\n'};
			int fds[2] = {null_fd(), null_fd()};
			struct sk_pump_stats st;
			sk_stream *s =
			    kind ? sk_fd_open(t_pipe_with(src, n, 4093),
			                      SK_FD_OWN)
			         : sk_mem_open(src, n, 0);
			sk_pump *p = sk_pump_open(s, fds, 1 + (size_t)kind, &c);
			CHECK_EQ(sk_pump_run(p), 0);
			sk_pump_stats(p, &st);
			CHECK_EQ(st.lines, lines);
			CHECK_EQ(st.bytes_out, n);
			CHECK(!st.zero_copy);
			sk_pump_close(p);
			close(fds[0]);
			close(fds[1]);
		}
	free(src);
}

static void
nul_ended_lines_are_counted(void)
{
	static const char data[] = "a\0bb\0\0ccc\nd";
	struct sk_pump_config c = {
	    .count_lines = 1, .line_end = '\0', .block = 3};
	int out = null_fd();
	struct sk_pump_stats st;
	sk_pump *p =
	    sk_pump_open(sk_mem_open(data, sizeof data - 1, 0), &out, 1, &c);

	CHECK_EQ(sk_pump_run(p), 0);
	sk_pump_stats(p, &st);
	CHECK_EQ(st.lines, 3);
	sk_pump_close(p);
	close(out);
}

static void
the_last_bytes_written_are_kept(void)
{
	unsigned char *src = t_pattern(100000, 5), got[64];
	static const size_t blocks[] = {5, 16, 17, 4096};

	for (size_t b = 0; b < 4; b++) {
		struct sk_pump_config c = {.keep_last = 16, .block = blocks[b]};
		int out = null_fd();
		sk_pump *p =
		    sk_pump_open(sk_mem_open(src, 100000, 0), &out, 1, &c);
		CHECK_EQ(sk_pump_last(p, got, sizeof got), 0);
		CHECK_EQ(sk_pump_run(p), 0);
		CHECK_EQ(sk_pump_last(p, got, sizeof got), 16);
		CHECK(memcmp(got, src + 100000 - 16, 16) == 0);
		CHECK_EQ(sk_pump_last(p, got, 4), 4);
		CHECK(memcmp(got, src + 100000 - 4, 4) == 0);
		sk_pump_close(p);
		close(out);
	}
	free(src);
}

static void
a_new_rate_applies_from_now_on(void)
{
	size_t n = 2 << 20;
	unsigned char *src = t_pattern(n, 9);
	struct sk_pump_config c = {.rate = 100 << 10};
	int out = null_fd();
	struct runner r;
	double t0 = now();

	/* At 100 KiB/s this would take 20 s. */
	start(&r, sk_pump_open(sk_mem_open(src, n, 0), &out, 1, &c));
	nap(300);
	sk_pump_set_rate(r.p, 0);
	pthread_join(r.th, NULL);
	CHECK_EQ(r.rc, 0);
	CHECK(now() - t0 < 10);
	sk_pump_close(r.p);
	close(out);
	free(src);
}

static void
the_current_rate_and_its_statistics_follow_the_pace(void)
{
	size_t n = 1500 << 10;
	unsigned char *src = t_pattern(n, 10);
	struct sk_pump_config c = {.rate = 1 << 20, .window_ns = 250 * MS};
	int out = null_fd();
	struct sk_pump_stats st;
	sk_pump *p = sk_pump_open(sk_mem_open(src, n, 0), &out, 1, &c);

	CHECK_EQ(sk_pump_run(p), 0);
	sk_pump_stats(p, &st);
	CHECK(st.rate_samples >= 3);
	CHECK(st.rate_min <= st.rate_mean && st.rate_mean <= st.rate_max);
	/* Paced at 1 MiB/s: the mean is near it; the spread is small next
	 * to it.  (Bounds wide enough for a loaded machine.) */
	CHECK(st.rate_mean > 0.4 * (1 << 20) && st.rate_mean < 1.5 * (1 << 20));
	CHECK(st.rate_mdev < st.rate_mean);
	CHECK(st.rate > 0);
	sk_pump_close(p);
	close(out);
	free(src);
}

static void
a_file_copied_into_itself_is_refused(void)
{
	unsigned char *src = t_pattern(10000, 12);
	int fd = t_tmpfile_with(src, 10000), other = null_fd();
	sk_stream *parts[2];
	sk_stream *s = sk_fd_open(dup(fd), SK_FD_OWN);
	sk_pump *p;

	CHECK_EQ(sk_same_file(s, fd), 1);
	CHECK_EQ(sk_same_file(s, other), 0);
	CHECK(sk_pump_open(s, &fd, 1, NULL) == NULL);
	CHECK_EQ(errno, ELOOP);
	/* A later part of the source: the run fails before writing it. */
	parts[0] = sk_mem_open("abc", 3, 0);
	parts[1] = sk_fd_open(dup(fd), SK_FD_OWN);
	p = sk_pump_open(sk_concat_open(parts, 2), &fd, 1, NULL);
	CHECK(p != NULL);
	CHECK_EQ(sk_pump_run(p), -1);
	CHECK_EQ(errno, ELOOP);
	sk_pump_close(p);
	close(fd);
	close(other);
	free(src);
}

static void
close_reports_the_sources_close_error(void)
{
	static char sh[] = "sh", c[] = "-c", cmd[] = "exit 3";
	char *argv[] = {sh, c, cmd, NULL};
	int out = null_fd();
	sk_pump *p = sk_pump_open(sk_proc_open(argv, NULL), &out, 1, NULL);

	CHECK_EQ(sk_pump_run(p), 0);
	errno = 0;
	CHECK_EQ(sk_pump_close(p), -1);
	CHECK_EQ(errno, ECHILD);
	CHECK_EQ(sk_pump_close(NULL), 0);
	close(out);
}

static void
a_bad_configuration_is_refused(void)
{
	int out = null_fd();
	struct sk_pump_config a = {.queue = 100, .start = 101};
	struct sk_pump_config b = {.keep_last = 4097};

	CHECK(sk_pump_open(sk_mem_open("x", 1, 0), &out, 1, &a) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(sk_pump_open(sk_mem_open("x", 1, 0), &out, 1, &b) == NULL);
	CHECK_EQ(errno, EINVAL);
	close(out);
}

T_CASES(T(stall_timeout_ends_a_silent_input_with_ETIMEDOUT),
        T(stall_timeout_names_an_output_that_takes_nothing),
        T(a_stopped_pump_is_not_stalled),
        T(start_threshold_holds_the_outputs_until_the_queue_fills),
        T(lines_are_counted_across_block_boundaries),
        T(nul_ended_lines_are_counted), T(the_last_bytes_written_are_kept),
        T(a_new_rate_applies_from_now_on),
        T(the_current_rate_and_its_statistics_follow_the_pace),
        T(a_file_copied_into_itself_is_refused),
        T(close_reports_the_sources_close_error),
        T(a_bad_configuration_is_refused))
