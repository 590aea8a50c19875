/*
 * stream_producer.c - bytes made by a function on its own thread, read as
 * a stream through a bounded queue (gavo's DataStreamer): the producer
 * waits when the queue is full, the reader when it is empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define DEFAULT_QUEUE ((size_t)1 << 20)

struct sk_producer {
	sk_stream base; /* the reading side */
	struct sk__queue q;
	pthread_t th;
	sk_produce_fn fn;
	void *arg;
};

static void *
producer_main(void *arg)
{
	struct sk_producer *w = arg;
	int r = w->fn(w, w->arg);

	/* errno is this thread's: hand it over through the queue. */
	sk__queue_close(&w->q, r < 0 ? (errno ? errno : EIO) : 0);
	return NULL;
}

SK_API int
sk_producer_write(sk_producer *w, const void *buf, size_t n)
{
	const char *b = buf;

	while (n > 0) {
		char *span;
		size_t room = sk__queue_reserve(&w->q, n, &span);
		if (room == 0) {
			errno = ECANCELED;
			return -1;
		}
		memcpy(span, b, room);
		sk__queue_commit(&w->q, room);
		b += room;
		n -= room;
	}
	return 0;
}

static ssize_t
producer_read(sk_stream *s, void *buf, size_t n)
{
	struct sk_producer *w = (struct sk_producer *)s;
	char *span;
	int err;
	size_t got = sk__queue_peek(&w->q, 0, n, &span, &err);

	if (got == 0) {
		if (err) {
			errno = err;
			return -1;
		}
		return 0;
	}
	memcpy(buf, span, got);
	sk__queue_consume(&w->q, 0, got);
	return (ssize_t)got;
}

static int
producer_close(sk_stream *s)
{
	struct sk_producer *w = (struct sk_producer *)s;

	/* The producer's next write fails: it returns, and is waited for. */
	sk__queue_cancel(&w->q);
	pthread_join(w->th, NULL);
	sk__queue_destroy(&w->q);
	free(w);
	return 0;
}

static const struct sk_ops producer_ops = {
    .name = "producer",
    .read = producer_read,
    .close = producer_close,
};

SK_API sk_stream *
sk_producer_open(sk_produce_fn fn, void *arg, size_t queue)
{
	struct sk_producer *w;
	int e;

	if (fn == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (queue == 0)
		queue = DEFAULT_QUEUE;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	/* The producer waits only when the queue is full, and goes on as
	 * soon as there is room: a low mark just under the size. */
	if (sk__queue_init(&w->q, queue, queue - 1 > 0 ? queue - 1 : 0, 1, 1) <
	    0) {
		free(w);
		return NULL;
	}
	sk__init(&w->base, &producer_ops);
	w->fn = fn;
	w->arg = arg;
	if ((e = pthread_create(&w->th, NULL, producer_main, w)) != 0) {
		sk__queue_destroy(&w->q);
		free(w);
		errno = e;
		return NULL;
	}
	return &w->base;
}
