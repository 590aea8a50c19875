/*
 * pump.c - making, running, watching and asking a pump.  The threads
 * themselves are in pump_io.c.  The thread that calls sk_pump_run is the
 * pump's watcher while the others work: a few times a second it samples
 * the counters for the current rate and its statistics, and ends the run
 * when no byte has moved for the stall timeout.  It sleeps on its own
 * condition variable, which only a finishing writer signals, so the
 * watching costs nothing per block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pump_impl.h"

#define DEFAULT_QUEUE  ((size_t)16 << 20)
#define DEFAULT_BLOCK  ((size_t)128 << 10)
#define DEFAULT_WINDOW ((uint64_t)1000000000)
/* Samples per rate window: the current rate moves in tenths of it. */
#define TICKS 10

SK_API sk_pump *
sk_pump_open(sk_stream *src, const int *fds, size_t nfds,
             const struct sk_pump_config *cfg)
{
	sk_pump *p;
	pthread_condattr_t ca;
	int e, fd;
	int64_t off, limit;

	if (src == NULL || fds == NULL || nfds == 0) {
		sk_close(src);
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		sk_close(src);
		return NULL;
	}
	p->src = src;
	p->stop_fd = -1;
	p->q.cancel_fd = -1;
	if (cfg)
		p->cfg = *cfg;
	if (p->cfg.queue == 0)
		p->cfg.queue = DEFAULT_QUEUE;
	if (p->cfg.low == 0)
		p->cfg.low = p->cfg.queue / 2;
	if (p->cfg.block == 0)
		p->cfg.block = DEFAULT_BLOCK;
	if (p->cfg.window_ns == 0)
		p->cfg.window_ns = DEFAULT_WINDOW;
	if (p->cfg.low >= p->cfg.queue || p->cfg.start > p->cfg.queue ||
	    p->cfg.keep_last > SK__PUMP_LAST_MAX) {
		errno = EINVAL;
		goto fail;
	}
	atomic_init(&p->rate, p->cfg.rate);
	p->nouts = nfds;
	if ((p->outs = calloc(nfds, sizeof *p->outs)) == NULL)
		goto fail;
	for (size_t i = 0; i < nfds; i++) {
		struct stat st;
		p->outs[i].p = p;
		p->outs[i].idx = i;
		p->outs[i].fd = fds[i];
		if (fstat(fds[i], &st) == 0 && S_ISREG(st.st_mode)) {
			p->outs[i].regular = 1;
			p->outs[i].dev = st.st_dev;
			p->outs[i].ino = st.st_ino;
		}
		sk_pipe_grow(fds[i], (size_t)1 << 20);
	}
	/* The first part of the source is checked here, before anything
	 * runs; the reader checks each later one as it comes. */
	if ((fd = sk_fileno(src, &off, &limit)) >= 0 &&
	    sk__pump_is_output(p, fd)) {
		errno = ELOOP;
		goto fail;
	}
	if ((p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto fail;
	if (sk__queue_init(&p->q, p->cfg.queue, p->cfg.low, nfds,
	                   !sk__pump_zero_copy(p)) < 0)
		goto fail;
	p->q.start = p->cfg.start;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->run_cv, &ca);
	pthread_condattr_destroy(&ca);
	return p;
fail:
	e = errno;
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	sk__pump_close_pipes(p);
	free(p->outs);
	sk_close(p->src);
	free(p);
	errno = e;
	return NULL;
}

/* The bytes the slowest live output has written; under the lock. */
static uint64_t
slowest_out(sk_pump *p, size_t *which)
{
	uint64_t slow = UINT64_MAX;

	for (size_t i = 0; i < p->nouts; i++)
		if (p->q.alive[i] && p->q.pos[i] < slow) {
			slow = p->q.pos[i];
			if (which)
				*which = i;
		}
	return slow == UINT64_MAX ? 0 : slow;
}

/*
 * One tick of the watcher, under the lock: the rate over the last window,
 * a rate sample for the statistics once per window, and the stall clock.
 * Returns 1 when the run has stalled.
 */
static int
watch_tick(sk_pump *p, uint64_t now)
{
	size_t which = 0;
	uint64_t out = slowest_out(p, &which);
	unsigned h = p->samp_head, oldest;

	p->samp_t[h] = now;
	p->samp_b[h] = out;
	p->samp_head = (h + 1) % (TICKS + 1);
	if (p->nsamp < TICKS + 1)
		p->nsamp++;
	oldest = (p->samp_head + (TICKS + 1) - p->nsamp) % (TICKS + 1);
	if (now > p->samp_t[oldest])
		p->rate_now = (double)(out - p->samp_b[oldest]) * 1e9 /
		              (double)(now - p->samp_t[oldest]);
	if (p->nsamp == TICKS + 1 && h % TICKS == 0) {
		double d = p->rate_now - p->rate_mean;
		if (p->rate_n == 0 || p->rate_now < p->rate_min)
			p->rate_min = p->rate_now;
		if (p->rate_n == 0 || p->rate_now > p->rate_max)
			p->rate_max = p->rate_now;
		p->rate_n++;
		p->rate_mean += d / (double)p->rate_n;
		p->rate_m2 += d * (p->rate_now - p->rate_mean);
	}
	if (p->q.in != p->last_in || out != p->last_out || p->q.held) {
		p->last_in = p->q.in;
		p->last_out = out;
		p->moved_ns = now;
		return 0;
	}
	if (p->cfg.stall_ns == 0 || now - p->moved_ns < p->cfg.stall_ns)
		return 0;
	/* Nothing queued: the input gives nothing; else an output takes
	 * nothing. */
	if (p->fail_err == 0) {
		p->fail_err = ETIMEDOUT;
		p->fail_side = p->q.in == out ? SK_PUMP_READ : SK_PUMP_WRITE;
		p->fail_out = which;
	}
	return 1;
}

/* Watches the run until every writer has ended. */
static void
watch(sk_pump *p)
{
	uint64_t tick = p->cfg.window_ns / TICKS, next;

	if (p->cfg.stall_ns && p->cfg.stall_ns / 4 < tick)
		tick = p->cfg.stall_ns / 4 ? p->cfg.stall_ns / 4 : 1;
	pthread_mutex_lock(&p->q.mu);
	p->moved_ns = p->start_ns;
	/* The first sample is the start: the rate is known from the first
	 * tick on. */
	p->samp_t[0] = p->start_ns;
	p->samp_b[0] = 0;
	p->samp_head = 1;
	p->nsamp = 1;
	next = p->start_ns + tick;
	while (p->writers_left > 0) {
		struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u),
		                      .tv_nsec = (long)(next % 1000000000u)};
		uint64_t now;
		pthread_cond_timedwait(&p->run_cv, &p->q.mu, &ts);
		now = sk__now_ns();
		if (now < next)
			continue;
		next += tick;
		if (next <= now)
			next = now + tick;
		if (watch_tick(p, now)) {
			pthread_mutex_unlock(&p->q.mu);
			sk__queue_cancel(&p->q);
			pthread_mutex_lock(&p->q.mu);
		}
	}
	pthread_mutex_unlock(&p->q.mu);
}

SK_API int
sk_pump_run(sk_pump *p)
{
	size_t started = 0;
	int e;

	pthread_mutex_lock(&p->q.mu);
	p->start_ns = sk__now_ns();
	p->running = 1;
	p->writers_left = p->nouts;
	pthread_mutex_unlock(&p->q.mu);
	if ((e = pthread_create(&p->reader, NULL, sk__pump_reader, p)) != 0) {
		errno = e;
		return -1;
	}
	for (; started < p->nouts; started++) {
		e = pthread_create(&p->outs[started].th, NULL, sk__pump_writer,
		                   &p->outs[started]);
		if (e != 0) {
			sk__queue_cancel(&p->q);
			sk__pump_failed(p, SK_PUMP_WRITE, started, e);
			pthread_mutex_lock(&p->q.mu);
			p->writers_left -= p->nouts - started;
			pthread_mutex_unlock(&p->q.mu);
			break;
		}
	}
	watch(p);
	for (size_t i = 0; i < started; i++)
		pthread_join(p->outs[i].th, NULL);
	/* The writers are done: a reader still waiting for room or input
	 * has nothing left to wait for. */
	sk__queue_cancel(&p->q);
	pthread_join(p->reader, NULL);
	pthread_mutex_lock(&p->q.mu);
	p->end_ns = sk__now_ns();
	p->done = 1;
	e = p->fail_err ? p->fail_err : p->cancelled ? ECANCELED : 0;
	pthread_mutex_unlock(&p->q.mu);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

SK_API void
sk_pump_stop(sk_pump *p)
{
	sk__queue_hold(&p->q, 1);
}

SK_API void
sk_pump_start(sk_pump *p)
{
	sk__queue_hold(&p->q, 0);
}

SK_API void
sk_pump_set_rate(sk_pump *p, uint64_t rate)
{
	atomic_store(&p->rate, rate);
	/* A reader sleeping out the old pace looks again. */
	sk__queue_wake(&p->q);
}

SK_API void
sk_pump_cancel(sk_pump *p, int drain)
{
	uint64_t one = 1;

	pthread_mutex_lock(&p->q.mu);
	p->cancelled = 1;
	pthread_mutex_unlock(&p->q.mu);
	if (write(p->stop_fd, &one, sizeof one) < 0) {
		/* Already signalled. */
	}
	if (drain)
		sk__queue_stop_writer(&p->q);
	else
		sk__queue_cancel(&p->q);
}

/* A square root by Newton's steps, so that the library needs no libm for
 * one standard deviation. */
static double
root(double x)
{
	double r = x > 1 ? x / 2 : 1;

	if (!(x > 0))
		return 0;
	for (int i = 0; i < 64; i++) {
		double n = (r + x / r) / 2;
		if (n == r)
			break;
		r = n;
	}
	return r;
}

SK_API void
sk_pump_stats(sk_pump *p, struct sk_pump_stats *st)
{
	uint64_t now = sk__now_ns(), lines = UINT64_MAX;

	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&p->q.mu);
	st->bytes_in = p->q.in;
	st->bytes_out = slowest_out(p, NULL);
	for (size_t i = 0; i < p->nouts; i++)
		if (p->q.alive[i] && p->outs[i].lines < lines)
			lines = p->outs[i].lines;
	st->lines = lines == UINT64_MAX ? 0 : lines;
	st->queued =
	    (size_t)(p->q.in -
	             (st->bytes_out > p->q.in ? p->q.in : st->bytes_out));
	st->pauses = p->q.pauses;
	st->full_ns = p->q.full_ns;
	st->empty_ns = p->q.empty_ns;
	st->stopped = p->q.held;
	st->done = p->done;
	if (p->running) {
		uint64_t end = p->done ? p->end_ns : now;
		st->elapsed_ns = end - p->start_ns;
		st->idle_ns = end - (p->moved_ns ? p->moved_ns : p->start_ns);
	}
	/* Until the first tick, the average is the best guess. */
	st->rate = p->nsamp > 1 || st->elapsed_ns == 0
	               ? p->rate_now
	               : (double)st->bytes_out * 1e9 / (double)st->elapsed_ns;
	st->rate_samples = p->rate_n;
	st->rate_min = p->rate_min;
	st->rate_max = p->rate_max;
	st->rate_mean = p->rate_mean;
	st->rate_mdev =
	    p->rate_n > 1 ? root(p->rate_m2 / (double)p->rate_n) : 0.0;
	pthread_mutex_unlock(&p->q.mu);
	st->queue = p->cfg.queue;
	st->zero_copy = p->pipes != NULL;
}

SK_API int
sk_pump_failure(sk_pump *p, int *side, size_t *output)
{
	int e;

	pthread_mutex_lock(&p->q.mu);
	e = p->fail_err;
	if (side)
		*side = p->fail_side;
	if (output)
		*output = p->fail_out;
	pthread_mutex_unlock(&p->q.mu);
	return e;
}

SK_API uint64_t
sk_pump_output(sk_pump *p, size_t i, int *err)
{
	uint64_t b;

	pthread_mutex_lock(&p->q.mu);
	b = i < p->nouts ? p->q.pos[i] : 0;
	if (err)
		*err = i < p->nouts ? p->outs[i].err : EINVAL;
	pthread_mutex_unlock(&p->q.mu);
	return b;
}

SK_API size_t
sk_pump_last(sk_pump *p, void *buf, size_t n)
{
	size_t k;

	pthread_mutex_lock(&p->q.mu);
	k = p->last_len < n ? p->last_len : n;
	memcpy(buf, p->last + p->last_len - k, k);
	pthread_mutex_unlock(&p->q.mu);
	return k;
}

SK_API int
sk_same_file(sk_stream *s, int fd)
{
	struct stat a, b;
	int64_t off, limit;
	int sfd = sk_fileno(s, &off, &limit);

	return sfd >= 0 && fstat(sfd, &a) == 0 && fstat(fd, &b) == 0 &&
	       S_ISREG(a.st_mode) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

SK_API int
sk_pump_close(sk_pump *p)
{
	int rc;

	if (p == NULL)
		return 0;
	pthread_cond_destroy(&p->run_cv);
	sk__queue_destroy(&p->q);
	sk__pump_close_pipes(p);
	close(p->stop_fd);
	free(p->outs);
	rc = sk_close(p->src);
	free(p);
	return rc;
}
