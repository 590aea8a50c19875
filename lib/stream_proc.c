/*
 * stream_proc.c - a process's standard output as a stream, optionally fed
 * from another stream on its standard input (twisted's ProcessStreamer).
 * Feeding and reading share one poll(2) loop inside read, so no thread is
 * needed and neither pipe can deadlock the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sk_impl.h"

#define FEED_BUF (64 * 1024)

struct proc {
	sk_stream base;
	pid_t pid;
	int out; /* read end of the child's stdout */
	int in;  /* write end of the child's stdin, -1 when not fed */
	sk_stream *feed;
	char *pend;
	size_t plen, poff;
	int feed_eof;
};

/*
 * Writes to the child's stdin without letting a SIGPIPE reach the process:
 * the signal is blocked in this thread for the call, and one raised by it
 * is taken back.  The process's dispositions are never changed.
 */
static ssize_t
write_nosigpipe(int fd, const void *buf, size_t n)
{
	sigset_t pipeset, old, pending;
	int was_pending, saved;
	ssize_t w;

	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &old);
	w = write(fd, buf, n);
	saved = errno;
	if (w < 0 && errno == EPIPE && !was_pending) {
		struct timespec zero = {0, 0};
		while (sigtimedwait(&pipeset, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
}

static void
stop_feeding(struct proc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

/* Refills the pending buffer from the feed; -1 on a read error. */
static int
refill(struct proc *p)
{
	ssize_t r;

	if (p->poff < p->plen || p->feed_eof)
		return 0;
	r = sk_read(p->feed, p->pend, FEED_BUF);
	if (r < 0)
		return -1;
	if (r == 0) {
		p->feed_eof = 1;
		stop_feeding(p);
	}
	p->plen = (size_t)r;
	p->poff = 0;
	return 0;
}

static ssize_t
proc_read(sk_stream *s, void *buf, size_t n)
{
	struct proc *p = (struct proc *)s;

	while (p->in >= 0) {
		struct pollfd fds[2] = {{.fd = p->out, .events = POLLIN},
		                        {.fd = p->in, .events = POLLOUT}};
		if (refill(p) < 0)
			return -1;
		if (p->in < 0)
			break;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
			ssize_t w = write_nosigpipe(p->in, p->pend + p->poff,
			                            p->plen - p->poff);
			if (w > 0)
				p->poff += (size_t)w;
			else if (w < 0 && errno == EPIPE)
				stop_feeding(p); /* it wants no more input */
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
			break;
	}
	return sk__read(p->out, buf, n);
}

static int
reap(struct proc *p, int *status)
{
	int st = 0;

	if (p->in >= 0)
		close(p->in);
	close(p->out);
	sk_close(p->feed);
	free(p->pend);
	while (waitpid(p->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			free(p);
			return -1;
		}
	}
	if (status)
		*status = st;
	free(p);
	return 0;
}

static int
proc_close(sk_stream *s)
{
	int st;

	if (reap((struct proc *)s, &st) < 0)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

static const struct sk_ops proc_ops = {
    .name = "proc",
    .read = proc_read,
    .close = proc_close,
};

SK_API int
sk_proc_close(sk_stream *s, int *status)
{
	if (s == NULL || s->ops != &proc_ops) {
		sk_close(s);
		errno = EINVAL;
		return -1;
	}
	return reap((struct proc *)s, status);
}

SK_API sk_stream *
sk_proc_open(char *const argv[], sk_stream *in)
{
	struct proc *p = NULL;
	int outp[2] = {-1, -1}, inp[2] = {-1, -1}, fds[2], e;

	if (argv == NULL || argv[0] == NULL) {
		errno = EINVAL;
		goto fail;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		goto fail;
	if (pipe2(outp, O_CLOEXEC) < 0)
		goto fail;
	if (in &&
	    (pipe2(inp, O_CLOEXEC) < 0 || (p->pend = malloc(FEED_BUF)) == NULL))
		goto fail;
	fds[0] = inp[0];
	fds[1] = outp[1];
	if (sk_spawn(&p->pid, argv, fds, 2, 0) < 0)
		goto fail;
	close(outp[1]);
	sk__init(&p->base, &proc_ops);
	p->out = outp[0];
	p->in = -1;
	if (in) {
		close(inp[0]);
		p->in = inp[1];
		fcntl(p->in, F_SETFL, fcntl(p->in, F_GETFL) | O_NONBLOCK);
		p->feed = in;
	}
	return &p->base;
fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (inp[i] >= 0)
			close(inp[i]);
	}
	if (p)
		free(p->pend);
	free(p);
	sk_close(in);
	errno = e;
	return NULL;
}
