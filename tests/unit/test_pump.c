/* Unit tests: the pump (watermarks, fan-out, stop/start, rate, failures,
 * cancel) and the producer stream. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

#define N 3000017

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

struct drainer {
	int fd;
	unsigned char *buf;
	size_t len;
	pthread_t th;
};

static void *
drain_main(void *arg)
{
	struct drainer *d = arg;
	size_t cap = 1 << 20;
	ssize_t r;

	d->buf = malloc(cap);
	for (;;) {
		if (cap - d->len < 65536)
			d->buf = realloc(d->buf, cap *= 2);
		r = read(d->fd, d->buf + d->len, 65536);
		if (r <= 0)
			break;
		d->len += (size_t)r;
	}
	close(d->fd);
	return NULL;
}

/* A pipe whose read end a thread drains into memory; returns the write
 * end. */
static int
drained_pipe(struct drainer *d)
{
	int p[2];

	if (pipe(p) < 0)
		abort();
	memset(d, 0, sizeof *d);
	d->fd = p[0];
	pthread_create(&d->th, NULL, drain_main, d);
	return p[1];
}

static sk_stream *
source(int kind, const unsigned char *b, size_t n)
{
	switch (kind) {
	case 0:
		return sk_mem_open(b, n, 0);
	case 1:
		return sk_fd_open(t_tmpfile_with(b, n), SK_FD_OWN);
	default:
		return sk_fd_open(t_pipe_with(b, n, 7919), SK_FD_OWN);
	}
}

static void
pump_moves_every_byte_in_every_mode(void)
{
	unsigned char *src = t_pattern(N, 41);
	static const size_t queues[] = {4096, 65536, 1 << 20, 16 << 20};

	for (int kind = 0; kind < 3; kind++) {
		for (size_t qi = 0; qi < 4; qi++) {
			for (int nosplice = 0; nosplice < 2; nosplice++) {
				struct sk_pump_config c = {
				    .queue = queues[qi],
				    .block = 1000 + qi * 30000,
				    .no_splice = nosplice};
				struct drainer d;
				int fd = drained_pipe(&d);
				sk_pump *p = sk_pump_open(source(kind, src, N),
				                          &fd, 1, &c);
				struct sk_pump_stats st;
				CHECK(p != NULL);
				CHECK_EQ(sk_pump_run(p), 0);
				sk_pump_stats(p, &st);
				CHECK_EQ(st.bytes_in, N);
				CHECK_EQ(st.bytes_out, N);
				CHECK(st.done);
				sk_pump_close(p);
				close(fd);
				pthread_join(d.th, NULL);
				CHECK_EQ(d.len, N);
				CHECK(memcmp(d.buf, src, N) == 0);
				free(d.buf);
			}
		}
	}
	free(src);
}

static void
pump_fans_out_to_every_output(void)
{
	unsigned char *src = t_pattern(N, 42);
	struct drainer d[3];
	int fds[3];
	struct sk_pump_config c = {.queue = 100000, .block = 4096};
	sk_pump *p;

	for (int i = 0; i < 3; i++)
		fds[i] = drained_pipe(&d[i]);
	p = sk_pump_open(source(2, src, N), fds, 3, &c);
	CHECK_EQ(sk_pump_run(p), 0);
	for (int i = 0; i < 3; i++) {
		int err = -1;
		CHECK_EQ(sk_pump_output(p, (size_t)i, &err), N);
		CHECK_EQ(err, 0);
		close(fds[i]);
		pthread_join(d[i].th, NULL);
		CHECK(d[i].len == N && memcmp(d[i].buf, src, N) == 0);
		free(d[i].buf);
	}
	sk_pump_close(p);
	free(src);
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

/* Waits until bytes_in has not moved for 100 ms; returns it. */
static uint64_t
settled_in(sk_pump *p, struct sk_pump_stats *st)
{
	uint64_t last = UINT64_MAX;

	for (int i = 0; i < 100; i++) {
		sk_pump_stats(p, st);
		if (st->bytes_in == last)
			break;
		last = st->bytes_in;
		nap(100);
	}
	return st->bytes_in;
}

static void
reader_pauses_at_the_high_mark_and_resumes_at_the_low(void)
{
	unsigned char *src = t_pattern(N, 43);
	struct sk_pump_config c = {
	    .queue = 65536, .low = 32768, .block = 4096, .no_splice = 1};
	int sink[2];
	struct runner r;
	struct sk_pump_stats st;
	uint64_t in1, in2, in3;
	char buf[65536];
	size_t got = 0;

	CHECK(pipe(sink) == 0);
	r.p = sk_pump_open(source(0, src, N), &sink[1], 1, &c);
	/* A small sink pipe, so that the queue is what fills. */
	fcntl(sink[1], F_SETPIPE_SZ, 4096);
	pthread_create(&r.th, NULL, run_main, &r);
	/* The sink reads nothing: the reader stops with a full queue. */
	in1 = settled_in(r.p, &st);
	/* Full, less what the 4 KiB sink pipe took. */
	CHECK(st.queued >= 65536 - 4096);
	CHECK_EQ(st.pauses, 1);
	CHECK(in1 <= 65536 + 4096);
	/* Drain 16 KiB: the queue is still above the low mark. */
	while (got < 16384)
		got += (size_t)read(sink[0], buf, 16384 - got);
	in2 = settled_in(r.p, &st);
	CHECK_EQ(in2, in1);
	CHECK_EQ(st.pauses, 1);
	/* Drain 40 KiB more: below the low mark, the reader refills. */
	got = 0;
	while (got < 40960)
		got += (size_t)read(sink[0], buf, 40960 - got);
	in3 = settled_in(r.p, &st);
	CHECK(in3 > in2 + 16384);
	CHECK_EQ(st.pauses, 2);
	CHECK(st.full_ns > 0);
	/* Let it finish into a drainer. */
	struct drainer d = {.fd = sink[0]};
	pthread_create(&d.th, NULL, drain_main, &d);
	pthread_join(r.th, NULL);
	CHECK_EQ(r.rc, 0);
	sk_pump_close(r.p);
	close(sink[1]);
	pthread_join(d.th, NULL);
	CHECK_EQ(d.len + 16384 + 40960, N);
	free(d.buf);
	free(src);
}

static void
stop_halts_the_reader_and_start_resumes_it(void)
{
	unsigned char *src = t_pattern(N, 44);
	struct sk_pump_config c = {
	    .queue = 65536, .block = 4096, .rate = 4 << 20};
	struct drainer d;
	int fd = drained_pipe(&d);
	struct runner r;
	struct sk_pump_stats st;
	uint64_t a, b;

	r.p = sk_pump_open(source(0, src, N), &fd, 1, &c);
	pthread_create(&r.th, NULL, run_main, &r);
	nap(100);
	sk_pump_stop(r.p);
	a = settled_in(r.p, &st);
	CHECK(st.stopped);
	nap(200);
	sk_pump_stats(r.p, &st);
	b = st.bytes_in;
	CHECK_EQ(a, b);
	CHECK_EQ(st.queued, 0); /* the queue drained meanwhile */
	sk_pump_start(r.p);
	pthread_join(r.th, NULL);
	CHECK_EQ(r.rc, 0);
	sk_pump_close(r.p);
	close(fd);
	pthread_join(d.th, NULL);
	CHECK(d.len == N && memcmp(d.buf, src, N) == 0);
	free(d.buf);
	free(src);
}

static void
rate_limit_holds_the_average(void)
{
	unsigned char *src = t_pattern(400000, 45);
	struct sk_pump_config c = {.rate = 1000000};
	struct drainer d;
	int fd = drained_pipe(&d);
	sk_pump *p = sk_pump_open(source(2, src, 400000), &fd, 1, &c);
	double t0 = now(), dt;

	CHECK_EQ(sk_pump_run(p), 0);
	dt = now() - t0;
	/* 400 kB at 1 MB/s: 0.4 s; the first chunk goes at once, so at
	 * least 0.3 s.  Only the lower bound is sharp on a busy machine. */
	CHECK(dt >= 0.3);
	CHECK(dt < 10);
	sk_pump_close(p);
	close(fd);
	pthread_join(d.th, NULL);
	CHECK(d.len == 400000 && memcmp(d.buf, src, d.len) == 0);
	free(d.buf);
	free(src);
}

static void
failing_output_ends_the_run_and_says_which(void)
{
	unsigned char *src = t_pattern(N, 46);
	int fds[2], side = 0;
	size_t which = 9;
	struct drainer d;
	sk_pump *p;

	fds[0] = drained_pipe(&d);
	fds[1] = open("/dev/full", O_WRONLY);
	p = sk_pump_open(source(1, src, N), fds, 2, NULL);
	errno = 0;
	CHECK_EQ(sk_pump_run(p), -1);
	CHECK_EQ(errno, ENOSPC);
	CHECK_EQ(sk_pump_failure(p, &side, &which), ENOSPC);
	CHECK_EQ(side, SK_PUMP_WRITE);
	CHECK_EQ(which, 1);
	sk_pump_close(p);
	close(fds[0]);
	pthread_join(d.th, NULL);
	free(d.buf);
	/* With keep_going the other output gets everything. */
	fds[0] = drained_pipe(&d);
	struct sk_pump_config c = {.keep_going = 1};
	p = sk_pump_open(source(1, src, N), fds, 2, &c);
	CHECK_EQ(sk_pump_run(p), -1);
	CHECK_EQ(sk_pump_failure(p, &side, &which), ENOSPC);
	int err = 0;
	CHECK_EQ(sk_pump_output(p, 0, &err), N);
	CHECK_EQ(err, 0);
	sk_pump_output(p, 1, &err);
	CHECK_EQ(err, ENOSPC);
	sk_pump_close(p);
	close(fds[0]);
	close(fds[1]);
	pthread_join(d.th, NULL);
	CHECK(d.len == N && memcmp(d.buf, src, N) == 0);
	free(d.buf);
	free(src);
}

static void
failing_input_is_reported_as_the_read_side(void)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY), side = 0;
	struct drainer d;
	int fd = drained_pipe(&d);
	sk_pump *p;

	/* A directory: it opens, and every read fails with EISDIR. */
	p = sk_pump_open(sk_fd_open(dir, SK_FD_OWN), &fd, 1, NULL);
	CHECK_EQ(sk_pump_run(p), -1);
	CHECK_EQ(sk_pump_failure(p, &side, NULL), EISDIR);
	CHECK_EQ(side, SK_PUMP_READ);
	sk_pump_close(p);
	close(fd);
	pthread_join(d.th, NULL);
	free(d.buf);
}

static void
cancel_ends_a_run_on_an_endless_input_at_once(void)
{
	for (int drain = 0; drain < 2; drain++) {
		int in[2];
		struct drainer d;
		int fd = drained_pipe(&d);
		struct runner r;
		struct sk_pump_stats st;
		double t0;

		CHECK(pipe(in) == 0);
		sk_write_all(in[1], "hello",
		             5); /* then nothing, never closed */
		r.p = sk_pump_open(sk_fd_open(in[0], 0), &fd, 1, NULL);
		pthread_create(&r.th, NULL, run_main, &r);
		nap(100);
		t0 = now();
		sk_pump_cancel(r.p, drain);
		pthread_join(r.th, NULL);
		CHECK(now() - t0 < 2);
		CHECK_EQ(r.rc, -1);
		CHECK_EQ(r.err, ECANCELED);
		sk_pump_stats(r.p, &st);
		CHECK_EQ(st.bytes_in, 5);
		sk_pump_close(r.p);
		close(fd);
		pthread_join(d.th, NULL);
		CHECK_EQ(d.len, 5);
		free(d.buf);
		close(in[0]);
		close(in[1]);
	}
}

struct prod {
	const unsigned char *src;
	size_t n, chunk;
	int fail_at, saw_cancel;
};

static int
produce(sk_producer *w, void *arg)
{
	struct prod *pr = arg;

	for (size_t o = 0; o < pr->n; o += pr->chunk) {
		size_t k = pr->n - o < pr->chunk ? pr->n - o : pr->chunk;
		if (pr->fail_at && o >= (size_t)pr->fail_at) {
			errno = EPROTO;
			return -1;
		}
		if (sk_producer_write(w, pr->src + o, k) < 0) {
			pr->saw_cancel = errno == ECANCELED;
			return -1;
		}
	}
	return 0;
}

static void
producer_stream_reads_what_the_function_writes(void)
{
	unsigned char *src = t_pattern(N, 47);
	static const size_t chunks[] = {1, 511, 4096, 65537, N};

	for (size_t i = 0; i < 5; i++) {
		struct prod pr = {src, i == 0 ? 100000 : N, chunks[i], 0, 0};
		sk_stream *s =
		    sk_producer_open(produce, &pr, i == 2 ? 1000 : 0);
		size_t len;
		unsigned char *got = t_read_all(s, 4096 + i * 1000, &len);
		CHECK_EQ(len, pr.n);
		CHECK(memcmp(got, src, len) == 0);
		CHECK_EQ(sk_error(s), 0);
		free(got);
		CHECK_EQ(sk_close(s), 0);
	}
	free(src);
}

static void
producer_failure_and_early_close_reach_the_other_side(void)
{
	unsigned char *src = t_pattern(N, 48);
	struct prod pr = {src, N, 1000, 50000, 0};
	sk_stream *s = sk_producer_open(produce, &pr, 4096);
	size_t len;
	unsigned char *got = t_read_all(s, 4096, &len);

	CHECK_EQ(len, 50000);
	CHECK_EQ(sk_error(s), EPROTO);
	free(got);
	sk_close(s);
	/* Close after a little: the producer's write sees ECANCELED. */
	struct prod pr2 = {src, N, 1000, 0, 0};
	char b[10];
	s = sk_producer_open(produce, &pr2, 4096);
	CHECK_EQ(sk_read(s, b, 10), 10);
	sk_close(s);
	CHECK_EQ(pr2.saw_cancel, 1);
	free(src);
}

T_CASES(T(pump_moves_every_byte_in_every_mode),
        T(pump_fans_out_to_every_output),
        T(reader_pauses_at_the_high_mark_and_resumes_at_the_low),
        T(stop_halts_the_reader_and_start_resumes_it),
        T(rate_limit_holds_the_average),
        T(failing_output_ends_the_run_and_says_which),
        T(failing_input_is_reported_as_the_read_side),
        T(cancel_ends_a_run_on_an_endless_input_at_once),
        T(producer_stream_reads_what_the_function_writes),
        T(producer_failure_and_early_close_reach_the_other_side))
