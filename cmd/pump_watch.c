/*
 * pump_watch.c - -d PID[:FD]: pv's watch mode.  No byte passes through
 * pump: it reads another process's file positions from /proc
 * (fdinfo's "pos:") against the files' sizes, and draws a line per
 * file, until the descriptor closes (PID:FD) or the process ends (PID).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pump.h"
#include "util.h"

#define MAX_WATCHED 64

struct watched {
	int fd;
	char target[512];
	unsigned flags;
	int64_t size;
	uint64_t pos, prev_pos;
	double start, prev_t, rate;
	struct show *sh;
	struct pump_opts o; /* its own name */
	int seen;
};

/* The position and open flags of pid's fd; -1 when it is closed. */
static int
fdinfo(long pid, int fd, uint64_t *pos, unsigned *flags)
{
	char path[64], buf[512];
	FILE *f;
	int got = 0;

	snprintf(path, sizeof path, "/proc/%ld/fdinfo/%d", pid, fd);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof buf, f)) {
		unsigned long long v;
		if (sscanf(buf, "pos: %llu", &v) == 1) {
			*pos = v;
			got |= 1;
		} else if (sscanf(buf, "flags: %o", flags) == 1) {
			got |= 2;
		}
	}
	fclose(f);
	return got == 3 ? 0 : -1;
}

/* What pid's fd names, and its size when it is a file or a disk: 1 when
 * worth watching (a regular file or a block device), 0 when not, -1 when
 * closed. */
static int
describe(long pid, int fd, char *target, size_t len, int64_t *size)
{
	char path[64];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fd);
	if ((n = readlink(path, target, len - 1)) < 0 || stat(path, &st) < 0)
		return -1;
	target[n] = '\0';
	*size = -1;
	if (S_ISREG(st.st_mode)) {
		*size = (int64_t)st.st_size;
		return 1;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t b;
		int dfd = open(path, O_RDONLY | O_CLOEXEC);
		if (dfd >= 0 && ioctl(dfd, BLKGETSIZE64, &b) == 0)
			*size = (int64_t)b;
		if (dfd >= 0)
			close(dfd);
		return 1;
	}
	return 0;
}

static void
draw(struct watched *w, int final)
{
	struct show_counts c = {0};
	double t = mono_now();

	if (t - w->prev_t >= 0.05) {
		w->rate = (double)(w->pos - w->prev_pos) / (t - w->prev_t);
		w->prev_pos = w->pos;
		w->prev_t = t;
	}
	c.elapsed = t - w->start;
	c.done = w->pos;
	c.rate = w->rate;
	c.size = w->o.size >= 0 ? w->o.size : w->size;
	c.final = final;
	show_draw(w->sh, &w->o, &c);
}

static int
add(struct watched *w, const struct pump_opts *o, long pid, int fd, int named)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	if (describe(pid, fd, w->target, sizeof w->target, &w->size) < 0 ||
	    fdinfo(pid, fd, &w->pos, &w->flags) < 0)
		return -1;
	w->o = *o;
	if (named && o->name == NULL)
		w->o.name = w->target;
	w->start = w->prev_t = mono_now();
	w->prev_pos = w->pos;
	w->sh = show_open(&w->o);
	return 0;
}

/* Whether the watched descriptor still holds the same file, the same
 * way; updates its position. */
static int
still(long pid, struct watched *w)
{
	char target[512];
	int64_t size;
	unsigned flags = 0;
	uint64_t pos = 0;

	if (fdinfo(pid, w->fd, &pos, &flags) < 0 ||
	    describe(pid, w->fd, target, sizeof target, &size) < 0 ||
	    strcmp(target, w->target) != 0 || flags != w->flags)
		return 0;
	w->pos = pos;
	if (size >= 0)
		w->size = size;
	return 1;
}

/* Looks for new files among pid's descriptors (PID mode). */
static void
scan(long pid, const struct pump_opts *o, struct watched *ws, size_t *n)
{
	char path[64];
	int64_t size;

	for (int fd = 0; fd < 1024 && *n < MAX_WATCHED; fd++) {
		char target[512];
		int known = 0;
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fd);
		if (access(path, F_OK) < 0)
			continue;
		for (size_t i = 0; i < *n; i++)
			known |= ws[i].fd == fd;
		if (!known &&
		    describe(pid, fd, target, sizeof target, &size) == 1 &&
		    add(&ws[*n], o, pid, fd, 1) == 0)
			(*n)++;
	}
}

int
pump_watch(const struct pump_opts *opts)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
	static struct watched ws[MAX_WATCHED];
	struct pump_opts o = *opts;
	long pid = o.watch_pid;
	size_t n = 0;
	int sfd, sig;

	if (kill((pid_t)pid, 0) < 0)
		err(EXIT_RUNTIME, "%ld", pid);
	if (o.interval == 0)
		o.interval = 1;
	if (!show_wanted(&o))
		o.quiet = 1;
	if (o.quiet)
		o.numeric = 0;
	if ((sfd = signals_fd(sigs, sizeof sigs / sizeof sigs[0])) < 0)
		err(EXIT_RUNTIME, "signals");
	if (o.watch_fd >= 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, o.watch_fd);
		if (add(&ws[0], &o, pid, o.watch_fd, 0) < 0)
			err(EXIT_RUNTIME, "%s", path);
		n = 1;
	} else {
		char path[64];
		snprintf(path, sizeof path, "/proc/%ld/fd", pid);
		if (access(path, R_OK | X_OK) < 0)
			err(EXIT_RUNTIME, "%s", path);
		o.size = -1; /* pv: -s means nothing for a whole process */
	}
	for (;;) {
		struct pollfd pf = {.fd = sfd, .events = POLLIN};
		int alive;
		poll(&pf, 1, (int)(o.interval * 1000));
		while ((sig = signals_next(sfd)) != 0) {
			if (sig == SIGWINCH)
				for (size_t i = 0; i < n; i++)
					show_resize(ws[i].sh);
			else
				exit(128 + sig);
		}
		alive = kill((pid_t)pid, 0) == 0 || errno == EPERM;
		if (o.watch_fd < 0 && alive)
			scan(pid, &o, ws, &n);
		for (size_t i = 0; i < n; i++) {
			if (ws[i].sh == NULL && ws[i].seen)
				continue;
			ws[i].seen = 1;
			if (alive && still(pid, &ws[i])) {
				if (!o.quiet)
					draw(&ws[i], 0);
				continue;
			}
			if (!o.quiet)
				draw(&ws[i], 1);
			show_close(ws[i].sh);
			ws[i].sh = NULL;
			if (o.watch_fd >= 0)
				return 0;
		}
		if (!alive)
			break;
	}
	for (size_t i = 0; i < n; i++)
		show_close(ws[i].sh);
	return 0;
}
