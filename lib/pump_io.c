/*
 * pump_io.c - the pump's threads: one reader filling the queue from the
 * source, one writer per output emptying it.  The queue is a ring in
 * memory, or, when the bytes can move by splice(2) (one output, nothing
 * that needs to see them), a chain of pipes: byte x of the stream sits in
 * pipe (x / psize) % npipes, so pipes of the size the kernel allows make
 * a queue of any size, filled and drained in order.  Either way the same
 * counters pace both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pump_impl.h"

/* Pipes tried for the chain, from this size down to 64 KiB, and at most
 * this many of them (two descriptors each). */
#define PIPE_TRY  ((size_t)16 << 20)
#define MAX_PIPES 256

void
sk__pump_failed(sk_pump *p, int side, size_t out, int err)
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

int
sk__pump_is_output(sk_pump *p, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	for (size_t i = 0; i < p->nouts; i++)
		if (p->outs[i].regular && p->outs[i].dev == st.st_dev &&
		    p->outs[i].ino == st.st_ino)
			return 1;
	return 0;
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

/* The pacing of the rate limit: bytes since base are due at base_ns +
 * bytes / rate.  A new limit starts a new base, so a change applies from
 * now on instead of making up for the past. */
struct pace {
	uint64_t rate, base_ns, base_in, chunk;
};

static void
pace_update(sk_pump *p, struct pace *pc)
{
	uint64_t r = atomic_load(&p->rate);

	if (r == pc->rate && pc->chunk)
		return;
	pc->rate = r;
	pc->base_ns = sk__now_ns();
	pc->base_in = p->q.in;
	/* Paced reads come in chunks of a twentieth of a second, so the
	 * average holds without bursts. */
	pc->chunk = p->cfg.block;
	if (r && r / 20 < pc->chunk)
		pc->chunk = r / 20 ? r / 20 : 1;
}

void *
sk__pump_reader(void *arg)
{
	sk_pump *p = arg;
	struct pace pc = {0};
	int seen_fd = -1;

	for (;;) {
		char *span;
		size_t room;
		int64_t off, limit;
		ssize_t r;
		int fd;

		pace_update(p, &pc);
		room = sk__queue_reserve(&p->q, (size_t)pc.chunk, &span);
		if (room == 0)
			break;
		if (pc.rate) {
			uint64_t due =
			    pc.base_ns +
			    (uint64_t)((double)(p->q.in - pc.base_in) * 1e9 /
			               (double)pc.rate);
			if (sk__now_ns() < due) {
				sk__queue_sleep_until(&p->q, due);
				continue;
			}
		}
		fd = sk_fileno(p->src, &off, &limit);
		/* Each part of the source is checked once, as it comes: a
		 * file copied into itself would never end. */
		if (fd >= 0 && fd != seen_fd) {
			seen_fd = fd;
			if (sk__pump_is_output(p, fd)) {
				sk__pump_failed(p, SK_PUMP_READ, 0, ELOOP);
				sk__queue_close(&p->q, ELOOP);
				return NULL;
			}
		}
		/* A blocked read must not outlive a cancel: wait in poll. */
		if (fd >= 0 && off == SK_UNKNOWN && !wait_fd(p, fd, POLLIN, 1))
			break;
		if (p->pipes)
			r = read_into_pipe(p, room);
		else
			r = sk_read(p->src, span, room);
		if (r < 0) {
			int e = errno;
			sk__pump_failed(p, SK_PUMP_READ, 0, e);
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
write_out(sk_pump *p, struct sk__pump_output *o, const char *span, size_t n)
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

/*
 * What the pump notes about bytes just written from span (ring mode):
 * lines, and the last bytes.  One lock for both, taken only when asked.
 */
static void
note_written(sk_pump *p, struct sk__pump_output *o, const char *span, size_t w)
{
	uint64_t lines = 0;
	size_t keep = p->cfg.keep_last;

	if (p->cfg.count_lines)
		for (const char *c = span, *end = span + w;
		     (c = memchr(c, p->cfg.line_end, (size_t)(end - c))) !=
		     NULL;
		     c++)
			lines++;
	pthread_mutex_lock(&p->q.mu);
	o->lines += lines;
	if (keep && o->idx == 0) {
		if (w >= keep) {
			memcpy(p->last, span + w - keep, keep);
			p->last_len = keep;
		} else {
			size_t kept =
			    p->last_len < keep - w ? p->last_len : keep - w;
			memmove(p->last, p->last + p->last_len - kept, kept);
			memcpy(p->last + kept, span, w);
			p->last_len = kept + w;
		}
	}
	pthread_mutex_unlock(&p->q.mu);
}

void *
sk__pump_writer(void *arg)
{
	struct sk__pump_output *o = arg;
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
		if (w > 0 && p->cfg.sync && fdatasync(o->fd) < 0 &&
		    errno != EINVAL && errno != EROFS)
			w = -1; /* a pipe or a terminal has nothing to sync */
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			sk__pump_failed(p, SK_PUMP_WRITE, o->idx, errno);
			if (p->cfg.keep_going)
				sk__queue_detach(&p->q, o->idx);
			else
				sk__queue_cancel(&p->q);
			break;
		}
		if (w == 0) {
			sk__pump_failed(p, SK_PUMP_WRITE, o->idx, EIO);
			sk__queue_cancel(&p->q);
			break;
		}
		if (span && (p->cfg.count_lines || p->cfg.keep_last))
			note_written(p, o, span, (size_t)w);
		sk__queue_consume(&p->q, o->idx, (size_t)w);
	}
	pthread_mutex_lock(&p->q.mu);
	p->writers_left--;
	pthread_cond_signal(&p->run_cv);
	pthread_mutex_unlock(&p->q.mu);
	return NULL;
}

void
sk__pump_close_pipes(sk_pump *p)
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

int
sk__pump_zero_copy(sk_pump *p)
{
	int64_t off, limit;
	size_t size, n;
	int probe[2];

	/* Lines and the last bytes need the bytes in user space. */
	if (p->nouts != 1 || p->cfg.no_splice || p->cfg.count_lines ||
	    p->cfg.keep_last || sk_fileno(p->src, &off, &limit) < 0)
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
	sk__pump_close_pipes(p);
	return 0;
}
