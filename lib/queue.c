/*
 * queue.c - see queue.h.  One mutex and one condition variable: the
 * state is small and every change matters to someone, so waking all
 * waiters on each change is both simple and cheap at these rates (one
 * change per block of tens of KiB).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

uint64_t
sk__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
sk__queue_init(struct sk__queue *q, size_t cap, size_t low, size_t nreaders,
               int with_buffer)
{
	pthread_condattr_t ca;

	memset(q, 0, sizeof *q);
	if (cap == 0 || low >= cap || nreaders == 0) {
		errno = EINVAL;
		return -1;
	}
	q->cap = cap;
	q->low = low;
	q->nreaders = nreaders;
	q->cancel_fd = -1;
	if ((with_buffer && (q->buf = malloc(cap)) == NULL) ||
	    (q->pos = calloc(nreaders, sizeof *q->pos)) == NULL ||
	    (q->alive = malloc(nreaders)) == NULL ||
	    (q->primed = calloc(nreaders, 1)) == NULL ||
	    (q->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		int e = errno;
		free(q->buf);
		free(q->pos);
		free(q->alive);
		free(q->primed);
		errno = e;
		return -1;
	}
	memset(q->alive, 1, nreaders);
	pthread_mutex_init(&q->mu, NULL);
	/* Timed waits measure against the monotonic clock, which no
	 * change of the wall clock moves. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->changed, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void
sk__queue_destroy(struct sk__queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->changed);
	if (q->cancel_fd >= 0)
		close(q->cancel_fd);
	free(q->buf);
	free(q->pos);
	free(q->alive);
	free(q->primed);
}

/* The position of the slowest live reader; q->in when none is left. */
static uint64_t
slowest(const struct sk__queue *q)
{
	uint64_t m = q->in;

	for (size_t i = 0; i < q->nreaders; i++)
		if (q->alive[i] && q->pos[i] < m)
			m = q->pos[i];
	return m;
}

static int
any_alive(const struct sk__queue *q)
{
	for (size_t i = 0; i < q->nreaders; i++)
		if (q->alive[i])
			return 1;
	return 0;
}

size_t
sk__queue_fill(struct sk__queue *q)
{
	size_t f;

	pthread_mutex_lock(&q->mu);
	f = (size_t)(q->in - slowest(q));
	pthread_mutex_unlock(&q->mu);
	return f;
}

size_t
sk__queue_reserve(struct sk__queue *q, size_t max, char **p)
{
	size_t fill, room, off, span;
	uint64_t t0 = 0;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->cancelled || q->writer_stopped || !any_alive(q)) {
			room = 0;
			break;
		}
		fill = (size_t)(q->in - slowest(q));
		if (fill >= q->cap && !q->paused) {
			q->paused = 1;
			q->pauses++;
		}
		if (q->paused && fill <= q->low)
			q->paused = 0;
		if (!q->paused && !q->held) {
			room = q->cap - fill;
			/* Empty: start again at the front of the ring, where
			 * the cache is still warm, rather than walking all of
			 * it (a large ring with a fast reader would otherwise
			 * touch new memory for every block). */
			if (fill == 0 && q->buf)
				q->shift = (q->cap - q->in % q->cap) % q->cap;
			break;
		}
		if (t0 == 0)
			t0 = sk__now_ns();
		pthread_cond_wait(&q->changed, &q->mu);
	}
	if (t0)
		q->full_ns += sk__now_ns() - t0;
	pthread_mutex_unlock(&q->mu);
	if (room > max)
		room = max;
	if (q->buf && room > 0) {
		/* Only the writer moves q->in and q->shift: reading them
		 * unlocked here is safe. */
		off = (size_t)((q->in + q->shift) % q->cap);
		span = q->cap - off;
		if (room > span)
			room = span;
		*p = q->buf + off;
	} else {
		*p = NULL;
	}
	return room;
}

void
sk__queue_commit(struct sk__queue *q, size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&q->mu);
	q->in += n;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void
sk__queue_close(struct sk__queue *q, int err)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	q->werr = err;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

size_t
sk__queue_peek(struct sk__queue *q, size_t r, size_t max, char **p, int *err)
{
	size_t ready = 0, off, span;
	uint64_t t0 = 0;

	*err = 0;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->cancelled) {
			*err = ECANCELED;
			ready = 0;
			break;
		}
		ready = (size_t)(q->in - q->pos[r]);
		if (ready > 0 &&
		    (q->primed[r] || ready >= q->start || q->closed)) {
			q->primed[r] = 1;
			break;
		}
		if (ready == 0) {
			q->primed[r] = 0;
			if (q->closed) {
				*err = q->werr;
				break;
			}
		}
		if (t0 == 0)
			t0 = sk__now_ns();
		pthread_cond_wait(&q->changed, &q->mu);
	}
	/* The time the queue stood empty, counted once: by reader 0. */
	if (t0 && r == 0)
		q->empty_ns += sk__now_ns() - t0;
	/* The shift moves only while this reader has nothing pending. */
	off = (size_t)((q->pos[r] + q->shift) % q->cap);
	pthread_mutex_unlock(&q->mu);
	if (ready > max)
		ready = max;
	if (q->buf && ready > 0) {
		span = q->cap - off;
		if (ready > span)
			ready = span;
		*p = q->buf + off;
	} else {
		*p = NULL;
	}
	return ready;
}

void
sk__queue_consume(struct sk__queue *q, size_t r, size_t n)
{
	pthread_mutex_lock(&q->mu);
	q->pos[r] += n;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void
sk__queue_detach(struct sk__queue *q, size_t r)
{
	pthread_mutex_lock(&q->mu);
	q->alive[r] = 0;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void
sk__queue_hold(struct sk__queue *q, int on)
{
	pthread_mutex_lock(&q->mu);
	q->held = on;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void
sk__queue_stop_writer(struct sk__queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->writer_stopped = 1;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void
sk__queue_wake(struct sk__queue *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void
sk__queue_cancel(struct sk__queue *q)
{
	uint64_t one = 1;

	pthread_mutex_lock(&q->mu);
	q->cancelled = 1;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
	/* Wakes a side blocked in poll(2) on its descriptor. */
	if (write(q->cancel_fd, &one, sizeof one) < 0) {
		/* Already signalled: the counter is not at its maximum. */
	}
}

void
sk__queue_sleep_until(struct sk__queue *q, uint64_t deadline_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
	                      .tv_nsec = (long)(deadline_ns % 1000000000u)};

	pthread_mutex_lock(&q->mu);
	if (!q->cancelled)
		pthread_cond_timedwait(&q->changed, &q->mu, &ts);
	pthread_mutex_unlock(&q->mu);
}
