/*
 * pump.c - a reader thread and a writer thread per output around a
 * bounded queue (queue.c).  The queue is a ring in memory, or, when the
 * bytes can move by splice(2) (one output), a chain of pipes: byte x of
 * the stream sits in pipe (x / psize) % npipes, so pipes of the size the
 * kernel allows make a queue of any size, filled and drained in order.
 * Either way the same counters pace both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue.h"

#define DEFAULT_QUEUE ((size_t)16 << 20)
#define DEFAULT_BLOCK ((size_t)128 << 10)
/* Pipes tried for the chain, from this size down to 64 KiB, and at most
 * this many of them (two descriptors each). */
#define PIPE_TRY  ((size_t)16 << 20)
#define MAX_PIPES 256

struct output {
	struct sk_pump *p;
	size_t idx;
	int fd;
	int no_splice; /* the kernel refused: read the pipe, then write */
	pthread_t th;
	int err; /* under the queue's lock */
};

struct sk_pump {
	sk_stream *src;
	struct sk_pump_config cfg;
	struct sk__queue q;
	struct output *outs;
	size_t nouts;
	int (*pipes)[2]; /* zero-copy mode: the chain of pipes; else NULL */
	size_t npipes;
	size_t psize; /* bytes each pipe takes before the next one */
	int stop_fd;  /* wakes a reader waiting on its input */
	pthread_t reader;
	uint64_t start_ns, end_ns;
	int running, done;
	int cancelled;
	int fail_err, fail_side; /* the first failure */
	size_t fail_out;
};

/* Records the first failure; later ones only mark their output. */
static void
failed(sk_pump *p, int side, size_t out, int err)
{
	pthread_mutex_lock(&p->q.mu);
	if (side == SK_PUMP_WRITE)
		p->outs[out].err = err ? err : EIO;
	if (p->fail_err == 0) {
		p->fail_err = err ? err : EIO;
		p->fail_side = side;
		p->fail_out = out;
	}
	pthread_mutex_unlock(&p->q.mu);
}

/*
 * Waits until fd is ready for events or the run is over (the cancel
 * descriptor, or for the reader its stop descriptor).  1 when ready, 0
 * when told to stop.
 */
static int
wait_fd(sk_pump *p, int fd, short events, int reader)
{
	struct pollfd f[3] = {
	    {.fd = fd, .events = events},
	    {.fd = p->q.cancel_fd, .events = POLLIN},
	    {.fd = reader ? p->stop_fd : -1, .events = POLLIN}};

	for (;;) {
		if (poll(f, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1; /* let the I/O call report the problem */
		}
		if (f[1].revents || f[2].revents)
			return 0;
		return 1;
	}
}

/* Does fd, as a stream's next bytes, need waiting for (a pipe, socket)? */
static int
waitable(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) &&
	       !S_ISBLK(st.st_mode);
}

/* The pipe that holds stream byte x, and how much of it is left there. */
static int
chain_pipe(sk_pump *p, uint64_t x, int end, size_t *left)
{
	*left = p->psize - (size_t)(x % p->psize);
	return p->pipes[(x / p->psize) % p->npipes][end];
}

/* Moves up to room bytes of src into the queue pipes; count, 0, -1. */
static ssize_t
read_into_pipe(sk_pump *p, size_t room)
{
	int64_t off, limit;
	int fd = sk_fileno(p->src, &off, &limit);
	size_t left;
	int wfd = chain_pipe(p, p->q.in, 1, &left);
	ssize_t r;

	if (room > left)
		room = left;

	if (fd >= 0) {
		loff_t o = (loff_t)off;
		if (limit != SK_UNKNOWN && (int64_t)room > limit)
			room = (size_t)limit;
		for (;;) {
			r = splice(fd, off == SK_UNKNOWN ? NULL : &o, wfd, NULL,
			           room, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (r >= 0 || (errno != EAGAIN && errno != EINTR))
				break;
			if (errno == EINTR)
				continue;
			/* The input has nothing, or the pipe has no free slot
			 * (small splices use whole pages): wait for both. */
			if (waitable(fd) && !wait_fd(p, fd, POLLIN, 1))
				return 0;
			if (!wait_fd(p, wfd, POLLOUT, 1))
				return 0;
		}
		if (r > 0) {
			sk_advance(p->src, r);
			return r;
		}
		if (r < 0 && errno != EINVAL)
			return -1;
	}
	/* No descriptor, this part has ended, or splice refused it: read,
	 * and write into the pipe (its end is blocking: room is there). */
	{
		char buf[65536];
		if (room > sizeof buf)
			room = sizeof buf;
		r = sk_read(p->src, buf, room);
		if (r > 0 && sk_write_all(wfd, buf, (size_t)r) < 0)
			return -1;
		return r;
	}
}

static void *
reader_main(void *arg)
{
	sk_pump *p = arg;
	uint64_t chunk = p->cfg.block;

	/* Paced reads come in chunks of a twentieth of a second, so the
	 * average holds without bursts. */
	if (p->cfg.rate && p->cfg.rate / 20 < chunk)
		chunk = p->cfg.rate / 20 ? p->cfg.rate / 20 : 1;
	for (;;) {
		char *span;
		size_t room = sk__queue_reserve(&p->q, (size_t)chunk, &span);
		int64_t off, limit;
		ssize_t r;
		int fd;

		if (room == 0)
			break;
		if (p->cfg.rate) {
			uint64_t due =
			    p->start_ns + (uint64_t)((double)p->q.in * 1e9 /
			                             (double)p->cfg.rate);
			if (sk__now_ns() < due) {
				sk__queue_sleep_until(&p->q, due);
				continue;
			}
		}
		/* A blocked read must not outlive a cancel: wait in poll. */
		fd = sk_fileno(p->src, &off, &limit);
		if (fd >= 0 && off == SK_UNKNOWN && !wait_fd(p, fd, POLLIN, 1))
			break;
		if (p->pipes)
			r = read_into_pipe(p, room);
		else
			r = sk_read(p->src, span, room);
		if (r < 0) {
			int e = errno;
			failed(p, SK_PUMP_READ, 0, e);
			sk__queue_close(&p->q, e);
			return NULL;
		}
		if (r == 0)
			break;
		sk__queue_commit(&p->q, (size_t)r);
	}
	sk__queue_close(&p->q, 0);
	return NULL;
}

/* Writes up to n queued bytes to the output; count or -1. */
static ssize_t
write_out(sk_pump *p, struct output *o, const char *span, size_t n)
{
	size_t left;
	int rfd;
	ssize_t w;

	if (p->pipes == NULL)
		return write(o->fd, span, n);
	/* Only this writer moves its position: reading it here is safe. */
	rfd = chain_pipe(p, p->q.pos[o->idx], 0, &left);
	if (n > left)
		n = left;
	if (!o->no_splice) {
		w = splice(rfd, NULL, o->fd, NULL, n,
		           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (w >= 0 || errno != EINVAL)
			return w;
		o->no_splice = 1; /* say, a terminal or an appending file */
	}
	{
		char buf[65536];
		ssize_t r;
		if (n > sizeof buf)
			n = sizeof buf;
		r = read(rfd, buf, n);
		if (r <= 0)
			return r < 0 ? -1 : 0;
		if (sk_write_all(o->fd, buf, (size_t)r) < 0)
			return -1;
		return r;
	}
}

static void *
writer_main(void *arg)
{
	struct output *o = arg;
	sk_pump *p = o->p;

	for (;;) {
		char *span;
		int err;
		size_t n =
		    sk__queue_peek(&p->q, o->idx, p->cfg.block, &span, &err);
		ssize_t w;

		if (n == 0)
			break;
		if (!wait_fd(p, o->fd, POLLOUT, 0))
			break;
		w = write_out(p, o, span, n);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			failed(p, SK_PUMP_WRITE, o->idx, errno);
			if (p->cfg.keep_going)
				sk__queue_detach(&p->q, o->idx);
			else
				sk__queue_cancel(&p->q);
			break;
		}
		if (w == 0) {
			failed(p, SK_PUMP_WRITE, o->idx, EIO);
			sk__queue_cancel(&p->q);
			break;
		}
		sk__queue_consume(&p->q, o->idx, (size_t)w);
	}
	return NULL;
}

static void
close_pipes(sk_pump *p)
{
	for (size_t i = 0; p->pipes && i < p->npipes; i++) {
		if (p->pipes[i][0] >= 0)
			close(p->pipes[i][0]);
		if (p->pipes[i][1] >= 0)
			close(p->pipes[i][1]);
	}
	free(p->pipes);
	p->pipes = NULL;
	p->npipes = 0;
}

/*
 * Makes the chain of pipes for zero-copy mode: one output, a source with
 * a descriptor, pipes the kernel lets grow to a useful size.  0 when the
 * ring must do.
 */
static int
setup_zero_copy(sk_pump *p)
{
	int64_t off, limit;
	size_t size, n;
	int probe[2];

	if (p->nouts != 1 || p->cfg.no_splice ||
	    sk_fileno(p->src, &off, &limit) < 0)
		return 0;
	if (pipe2(probe, O_CLOEXEC) < 0)
		return 0;
	/* The largest size allowed here, from PIPE_TRY down. */
	size = p->cfg.queue < PIPE_TRY ? p->cfg.queue : PIPE_TRY;
	while (fcntl(probe[0], F_SETPIPE_SZ, (int)size) < 0 && size > 65536)
		size /= 2;
	close(probe[0]);
	close(probe[1]);
	n = (p->cfg.queue + size - 1) / size;
	if (n > MAX_PIPES || (p->pipes = calloc(n, sizeof *p->pipes)) == NULL)
		return 0;
	p->npipes = n;
	p->psize = size;
	for (size_t i = 0; i < n; i++)
		p->pipes[i][0] = p->pipes[i][1] = -1;
	for (size_t i = 0; i < n; i++) {
		int got;
		if (pipe2(p->pipes[i], O_CLOEXEC) < 0)
			goto no;
		/* Past the per-user pipe budget the kernel hands out small
		 * pipes: then the ring is the better queue. */
		got = fcntl(p->pipes[i][0], F_SETPIPE_SZ, (int)size);
		if (got < 0 || (size_t)got < size)
			goto no;
	}
	return 1;
no:
	close_pipes(p);
	return 0;
}

SK_API sk_pump *
sk_pump_open(sk_stream *src, const int *fds, size_t nfds,
             const struct sk_pump_config *cfg)
{
	sk_pump *p;
	int e;

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
	if (cfg)
		p->cfg = *cfg;
	if (p->cfg.queue == 0)
		p->cfg.queue = DEFAULT_QUEUE;
	if (p->cfg.low == 0)
		p->cfg.low = p->cfg.queue / 2;
	if (p->cfg.block == 0)
		p->cfg.block = DEFAULT_BLOCK;
	if (p->cfg.low >= p->cfg.queue) {
		errno = EINVAL;
		goto fail;
	}
	p->nouts = nfds;
	if ((p->outs = calloc(nfds, sizeof *p->outs)) == NULL)
		goto fail;
	for (size_t i = 0; i < nfds; i++) {
		p->outs[i].p = p;
		p->outs[i].idx = i;
		p->outs[i].fd = fds[i];
		sk_pipe_grow(fds[i], (size_t)1 << 20);
	}
	if ((p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto fail;
	if (sk__queue_init(&p->q, p->cfg.queue, p->cfg.low, nfds,
	                   !setup_zero_copy(p)) < 0)
		goto fail;
	return p;
fail:
	e = errno;
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	close_pipes(p);
	free(p->outs);
	sk_close(p->src);
	free(p);
	errno = e;
	return NULL;
}

SK_API int
sk_pump_run(sk_pump *p)
{
	size_t started = 0;
	int e;

	pthread_mutex_lock(&p->q.mu);
	p->start_ns = sk__now_ns();
	p->running = 1;
	pthread_mutex_unlock(&p->q.mu);
	if ((e = pthread_create(&p->reader, NULL, reader_main, p)) != 0) {
		errno = e;
		return -1;
	}
	for (; started < p->nouts; started++) {
		e = pthread_create(&p->outs[started].th, NULL, writer_main,
		                   &p->outs[started]);
		if (e != 0) {
			sk__queue_cancel(&p->q);
			failed(p, SK_PUMP_WRITE, started, e);
			break;
		}
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(p->outs[i].th, NULL);
	/* The writers are done: a reader still waiting for room or input
	 * has nothing left to wait for. */
	sk__queue_cancel(&p->q);
	pthread_join(p->reader, NULL);
	pthread_mutex_lock(&p->q.mu);
	p->end_ns = sk__now_ns();
	p->done = 1;
	pthread_mutex_unlock(&p->q.mu);
	if (p->fail_err) {
		errno = p->fail_err;
		return -1;
	}
	if (p->cancelled) {
		errno = ECANCELED;
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

SK_API void
sk_pump_stats(sk_pump *p, struct sk_pump_stats *st)
{
	uint64_t slow = UINT64_MAX;

	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&p->q.mu);
	st->bytes_in = p->q.in;
	for (size_t i = 0; i < p->nouts; i++)
		if (p->q.alive[i] && p->q.pos[i] < slow)
			slow = p->q.pos[i];
	st->bytes_out = slow == UINT64_MAX ? 0 : slow;
	st->queued = (size_t)(p->q.in - (slow == UINT64_MAX ? p->q.in : slow));
	st->pauses = p->q.pauses;
	st->full_ns = p->q.full_ns;
	st->empty_ns = p->q.empty_ns;
	st->stopped = p->q.held;
	st->done = p->done;
	if (p->running)
		st->elapsed_ns =
		    (p->done ? p->end_ns : sk__now_ns()) - p->start_ns;
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

SK_API void
sk_pump_close(sk_pump *p)
{
	if (p == NULL)
		return;
	sk__queue_destroy(&p->q);
	close_pipes(p);
	close(p->stop_fd);
	free(p->outs);
	sk_close(p->src);
	free(p);
}
