/*
 * queue.h - the bounded byte queue between threads that the pump and the
 * producer stream share: one writer, any number of readers each with its
 * own position (the slowest sets the pace), a high watermark (full) and a
 * low one (where a writer paused by the high one resumes), a hold that
 * stops the writer (the pump's stop/start), and cancellation.  Blocked
 * sides sleep on condition variables; nothing spins.
 *
 * The queue counts bytes and, with a buffer, holds them in a ring.  The
 * pump's zero-copy mode uses it without a buffer, to count and pace the
 * bytes that sit in a kernel pipe.
 */
#ifndef SK_QUEUE_H
#define SK_QUEUE_H

#include <pthread.h>
#include <stdint.h>

#include "sk_impl.h"

struct sk__queue {
	pthread_mutex_t mu;
	pthread_cond_t changed; /* any state change; both sides wait on it */
	char *buf;              /* the ring, or NULL when counting only */
	size_t cap, low;
	uint64_t in;          /* bytes written in all */
	uint64_t shift;       /* byte x sits at buf[(x + shift) % cap] */
	uint64_t *pos;        /* per reader: bytes it has consumed */
	unsigned char *alive; /* per reader: still reading */
	size_t nreaders;
	int paused;         /* writer stopped at the high watermark */
	int held;           /* writer stopped by sk__queue_hold */
	int closed;         /* writer done */
	int cancelled;      /* everyone stops now */
	int writer_stopped; /* the writer stops; readers drain */
	int werr;           /* writer's error, given to readers at the end */
	size_t start;       /* readers wait for this many bytes after empty */
	unsigned char *primed; /* per reader: may read below start */
	uint64_t pauses;       /* times the high watermark was reached */
	uint64_t full_ns, empty_ns;
	int cancel_fd; /* eventfd, readable once cancelled */
};

int sk__queue_init(struct sk__queue *q, size_t cap, size_t low, size_t nreaders,
                   int with_buffer);
void sk__queue_destroy(struct sk__queue *q);

/* Nanoseconds on the monotonic clock. */
uint64_t sk__now_ns(void);

/*
 * Writer: waits for room (the watermarks and the hold) and returns how
 * many bytes may be written, at most max, and *p (with a buffer: a
 * contiguous span to fill).  0 when cancelled or no reader is left.
 */
size_t sk__queue_reserve(struct sk__queue *q, size_t max, char **p);
/* Writer: n bytes of the reserved span were written. */
void sk__queue_commit(struct sk__queue *q, size_t n);
/* Writer: no more bytes; err is its errno, or 0 for a clean end. */
void sk__queue_close(struct sk__queue *q, int err);

/*
 * Reader r: waits for bytes and returns how many are ready (with a
 * buffer: a contiguous span at *p), at most max.  With a start threshold,
 * a reader that found the queue empty waits until it holds start bytes or
 * the writer is done (mbuffer's -P: a tape drive that streams).  0 at the end
 * (then *err is the writer's error or 0) or when cancelled (*err ECANCELED).
 */
size_t sk__queue_peek(struct sk__queue *q, size_t r, size_t max, char **p,
                      int *err);
/* Reader r: n bytes were consumed. */
void sk__queue_consume(struct sk__queue *q, size_t r, size_t n);
/* Reader r is gone: it no longer holds the writer back. */
void sk__queue_detach(struct sk__queue *q, size_t r);

/* Stops (1) or restarts (0) the writer; the readers drain the queue. */
void sk__queue_hold(struct sk__queue *q, int on);
/* Makes the writer's reserve return 0 from now on; readers go on. */
void sk__queue_stop_writer(struct sk__queue *q);
/* Ends everything: both sides return at once. */
void sk__queue_cancel(struct sk__queue *q);
/* Waits until deadline_ns or a state change; for paced writers. */
void sk__queue_sleep_until(struct sk__queue *q, uint64_t deadline_ns);
/* Wakes every side waiting on the condition variable to look again. */
void sk__queue_wake(struct sk__queue *q);
/* Bytes queued now (written, not yet consumed by the slowest reader). */
size_t sk__queue_fill(struct sk__queue *q);

#endif
