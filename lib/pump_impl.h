/*
 * pump_impl.h - the pump's state, shared by pump.c (making, running,
 * watching and asking the pump) and pump_io.c (its reader and writer
 * threads).  Not installed.
 */
#ifndef SK_PUMP_IMPL_H
#define SK_PUMP_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "queue.h"

/* The most sk_pump_config.keep_last may ask for. */
#define SK__PUMP_LAST_MAX 4096

struct sk__pump_output {
	struct sk_pump *p;
	size_t idx;
	int fd;
	int no_splice; /* the kernel refused: read the pipe, then write */
	pthread_t th;
	int err;        /* under the queue's lock */
	uint64_t lines; /* under the queue's lock */
	dev_t dev;      /* a regular file's identity, for the self-copy check */
	ino_t ino;
	int regular;
};

struct sk_pump {
	sk_stream *src;
	struct sk_pump_config cfg;
	struct sk__queue q;
	struct sk__pump_output *outs;
	size_t nouts;
	int (*pipes)[2]; /* zero-copy mode: the chain of pipes; else NULL */
	size_t npipes;
	size_t psize; /* bytes each pipe takes before the next one */
	int stop_fd;  /* wakes a reader waiting on its input */
	pthread_t reader;
	_Atomic uint64_t rate; /* the rate limit now (sk_pump_set_rate) */

	/* Under the queue's lock from here on. */
	uint64_t start_ns, end_ns;
	int running, done;
	int cancelled;
	int fail_err, fail_side; /* the first failure */
	size_t fail_out;
	size_t writers_left;   /* writer threads still running */
	pthread_cond_t run_cv; /* a writer ended: wakes the watcher */

	/* The watcher's samples (sk_pump_run's thread), read by stats. */
	uint64_t moved_ns;               /* when a byte last moved */
	uint64_t last_in, last_out;      /* the counters at that time */
	uint64_t samp_t[11], samp_b[11]; /* a ring over one window */
	unsigned nsamp, samp_head;
	double rate_now;
	uint64_t rate_n; /* one rate sample per window: Welford's sums */
	double rate_mean, rate_m2, rate_min, rate_max;

	unsigned char last[SK__PUMP_LAST_MAX]; /* the last bytes written */
	size_t last_len;
};

/* Records the first failure; later ones only mark their output. */
void sk__pump_failed(sk_pump *p, int side, size_t out, int err);

/* The thread bodies (pump_io.c). */
void *sk__pump_reader(void *arg);
void *sk__pump_writer(void *arg);

/* Makes the chain of pipes when zero-copy applies; 0 when the ring must
 * do.  close_pipes undoes it. */
int sk__pump_zero_copy(sk_pump *p);
void sk__pump_close_pipes(sk_pump *p);

/* Whether fd is the same regular file as one of the outputs. */
int sk__pump_is_output(sk_pump *p, int fd);

#endif
