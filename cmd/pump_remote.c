/*
 * pump_remote.c - -R PID: change a running pump's options from another
 * process, as pv's -R does.
 *
 * Every pump listens on a datagram socket in the abstract namespace,
 * "streamkit-pump.PID": nothing on disk to clean up, gone with the
 * process.  `pump -R PID OPTIONS` sends its options there as one
 * datagram of NUL-separated words and waits for the answer ("ok", or
 * the error).  The kernel attaches the sender's credentials
 * (SO_PASSCRED), and a pump obeys only its own user and root.  The
 * running pump parses the words with the same parser as its command
 * line, in a mode that refuses what cannot change while it runs.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pump.h"
#include "util.h"

#define MAX_MSG   8192
#define MAX_WORDS 128

/* The abstract address of pump pid; its length for bind and sendto. */
static socklen_t
address(struct sockaddr_un *sa, long pid)
{
	int n;

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof sa->sun_path - 1,
	             "streamkit-pump.%ld", pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	                   (size_t)n);
}

int
remote_listen(void)
{
	struct sockaddr_un sa;
	socklen_t len = address(&sa, (long)getpid());
	int one = 1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	/* Without the socket the pump still runs; -R then says so. */
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether word is -R/--remote (and takes the next word with it). */
static int
remote_word(const char *w, int *takes_next)
{
	*takes_next = strcmp(w, "-R") == 0 || strcmp(w, "--remote") == 0;
	return *takes_next || strncmp(w, "-R", 2) == 0 ||
	       strncmp(w, "--remote=", 9) == 0;
}

int
remote_send(long pid, int argc, char *argv[])
{
	struct sockaddr_un sa, me = {.sun_family = AF_UNIX};
	socklen_t len = address(&sa, pid);
	char msg[MAX_MSG], answer[512];
	size_t n = 0;
	struct pollfd pf;
	ssize_t r;
	int fd, next;

	for (int i = 1; i < argc; i++) {
		size_t w = strlen(argv[i]) + 1;
		if (remote_word(argv[i], &next)) {
			i += next;
			continue;
		}
		if (n + w > sizeof msg)
			errx(EXIT_USAGE, "-R: the options are too long");
		memcpy(msg + n, argv[i], w);
		n += w;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* An address of the family alone binds an automatic abstract name,
	 * for the answer to come back to. */
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&me, sizeof me.sun_family) < 0)
		err(EXIT_RUNTIME, "socket");
	if (sendto(fd, msg, n, 0, (struct sockaddr *)&sa, len) < 0) {
		if (kill((pid_t)pid, 0) < 0)
			err(EXIT_RUNTIME, "%ld", pid);
		errx(EXIT_RUNTIME, "%ld: not a running pump", pid);
	}
	pf.fd = fd;
	pf.events = POLLIN;
	if (poll(&pf, 1, 5000) <= 0)
		errx(EXIT_RUNTIME, "%ld: no answer", pid);
	if ((r = recv(fd, answer, sizeof answer - 1, 0)) < 0)
		err(EXIT_RUNTIME, "%ld", pid);
	answer[r] = '\0';
	close(fd);
	if (strcmp(answer, "ok") != 0)
		errx(EXIT_RUNTIME, "%ld: %s", pid, answer);
	return 0;
}

/* Copies a string the options keep: the request's buffer goes away. */
static const char *
keep(const char *now, const char *was)
{
	char *s;

	if (now == NULL || now == was)
		return now;
	if ((s = strdup(now)) == NULL)
		return was;
	return s;
}

/* Applies one request; the answer in ans. 1 when the display changed. */
static int
apply(char *buf, size_t n, struct pump_opts *o, sk_pump *p, char *ans,
      size_t anslen)
{
	static char prog[] = "pump";
	char *words[MAX_WORDS + 1] = {prog};
	struct pump_opts t = *o;
	int nw = 1;

	/* Until the pump runs, the run thread still reads the options. */
	if (p == NULL) {
		snprintf(ans, anslen, "still opening its files");
		return 0;
	}
	for (size_t i = 0; i < n && nw < MAX_WORDS; i += strlen(buf + i) + 1)
		words[nw++] = buf + i;
	words[nw] = NULL;
	/* As pv does: display switches in a request replace the display;
	 * a request without any keeps it. */
	t.display = 0;
	t.format = NULL;
	if (pump_parse(&t, nw, words, 1, ans, anslen) < 0)
		return 0;
	if (optind < nw) {
		snprintf(ans, anslen, "files cannot change while pump runs");
		return 0;
	}
	if (t.cfg.rate != o->cfg.rate)
		sk_pump_set_rate(p, t.cfg.rate);
	if (t.display == 0 && t.format == NULL) {
		t.display = o->display;
		t.format = o->format;
	}
	t.format = keep(t.format, o->format);
	t.name = keep(t.name, o->name);
	*o = t;
	snprintf(ans, anslen, "ok");
	return 1;
}

int
remote_take(int fd, struct pump_opts *o, sk_pump *p)
{
	char buf[MAX_MSG], ctrl[CMSG_SPACE(sizeof(struct ucred))];
	char ans[512] = "permission denied";
	struct sockaddr_un from;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
	struct msghdr mh = {.msg_name = &from,
	                    .msg_namelen = sizeof from,
	                    .msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctrl,
	                    .msg_controllen = sizeof ctrl};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &mh, 0);
	int changed = 0;

	if (n < 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		struct ucred cr;
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_CREDENTIALS)
			continue;
		memcpy(&cr, CMSG_DATA(cm), sizeof cr);
		if (cr.uid == getuid() || cr.uid == 0)
			changed = apply(buf, (size_t)n, o, p, ans, sizeof ans);
	}
	if (sendto(fd, ans, strlen(ans), MSG_DONTWAIT, (struct sockaddr *)&from,
	           mh.msg_namelen) < 0) {
		/* The sender gave up waiting; the change stands. */
	}
	return changed;
}
