/*
 * progress.c - see progress.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progress.h"

#define MAX_LINE  1024
#define MIN_BAR   8
#define MAGIC     0x73746b70726f6731ULL /* "stkprog1" */
#define MAX_FIELD 64

struct progress {
	int fd;
	int tty;
	int wover, hover, width, height;
	char line[MAX_LINE]; /* the last line, fitted */
	int drawn;           /* a line is on the terminal, unfinished */
	int state;           /* cursor mode: the shared state file, or -1 */
	char path[128];
	int64_t slot; /* cursor mode: our line, in lines since the first */
	int heap;     /* 0: the static fallback */
};

/* The cursor mode's shared state: how many lines the programs of this
 * pipeline have put on the terminal, and how many of them are running. */
struct shared {
	uint64_t magic, leader_start;
	int64_t bottom, active;
};

/* Columns a string takes: UTF-8 continuation bytes take none. */
static size_t
columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Appends s to the line at *len, at most cols columns of it, control
 * characters shown as '?' so that the line stays one line. */
static void
append(char *line, size_t *len, const char *s, size_t cols)
{
	for (; *s && *len + 1 < MAX_LINE; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c & 0xc0) != 0x80) {
			if (cols == 0)
				break;
			cols--;
		}
		line[(*len)++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	line[*len] = '\0';
}

static void
read_size(struct progress *pg)
{
	struct winsize ws;

	pg->width = 80;
	pg->height = 25;
	if (pg->tty && ioctl(pg->fd, TIOCGWINSZ, &ws) == 0) {
		if (ws.ws_col > 0)
			pg->width = ws.ws_col;
		if (ws.ws_row > 0)
			pg->height = ws.ws_row;
	}
	if (pg->wover > 0)
		pg->width = pg->wover;
	if (pg->hover > 0)
		pg->height = pg->hover;
}

/* Writes all of buf, giving up on an error: a progress line is never
 * worth failing the run for. */
static void
put(struct progress *pg, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(pg->fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* The start time of the process group's leader, which tells this
 * pipeline's state file from a stale one of a reused group id. */
static uint64_t
leader_start(void)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field = 2;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)getpgrp());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* Field 22 counts from the pid; the name ends at the last ')'. */
	for (; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	sscanf(p, "%llu", &start);
	return start;
}

static int
shared_load(struct progress *pg, struct shared *sh)
{
	flock(pg->state, LOCK_EX);
	if (pread(pg->state, sh, sizeof *sh, 0) != (ssize_t)sizeof *sh ||
	    sh->magic != MAGIC || sh->leader_start != leader_start()) {
		memset(sh, 0, sizeof *sh);
		sh->magic = MAGIC;
		sh->leader_start = leader_start();
	}
	return 0;
}

static void
shared_store(struct progress *pg, const struct shared *sh)
{
	if (pwrite(pg->state, sh, sizeof *sh, 0) < 0) {
		/* The next load starts afresh. */
	}
	flock(pg->state, LOCK_UN);
}

/* Joins the pipeline's cursor state: takes the next line down. */
static void
cursor_join(struct progress *pg)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat st, tty;
	struct shared sh;

	if (dir == NULL || *dir != '/' || stat(dir, &st) < 0 ||
	    st.st_uid != getuid())
		dir = "/tmp";
	if (fstat(pg->fd, &tty) < 0)
		return;
	snprintf(pg->path, sizeof pg->path, "%s/streamkit-progress.%u.%lx.%d",
	         dir, (unsigned)getuid(), (unsigned long)tty.st_rdev,
	         (int)getpgrp());
	pg->state =
	    open(pg->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (pg->state < 0)
		return;
	/* Someone else's file in a shared directory is not ours to use. */
	if (fstat(pg->state, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != getuid()) {
		close(pg->state);
		pg->state = -1;
		return;
	}
	shared_load(pg, &sh);
	pg->slot = sh.bottom++;
	sh.active++;
	put(pg, "\n", 1);
	shared_store(pg, &sh);
}

struct progress *
progress_open(int fd, int cursor, int width, int height)
{
	static struct progress fallback;
	struct progress *pg = calloc(1, sizeof *pg);

	if (pg == NULL) {
		pg = &fallback; /* plain lines need no more than this */
		memset(pg, 0, sizeof *pg);
		pg->fd = fd;
		pg->state = -1;
		pg->width = 80;
		return pg;
	}
	pg->heap = 1;
	pg->fd = fd;
	pg->state = -1;
	pg->tty = isatty(fd);
	pg->wover = width;
	pg->hover = height;
	read_size(pg);
	if (cursor && pg->tty)
		cursor_join(pg);
	return pg;
}

int
progress_plain(const struct progress *pg)
{
	return !pg->tty;
}

int
progress_width(const struct progress *pg)
{
	return pg->width;
}

void
progress_set_size(struct progress *pg, int width, int height)
{
	pg->wover = width;
	pg->hover = height;
	read_size(pg);
}

/* Draws a bar of w columns into buf. */
static void
bar(char *buf, size_t w, const struct progress_field *f)
{
	size_t i = 0, inner, at;
	double frac = f->frac < 0 ? 0 : f->frac > 1 ? 1 : f->frac;
	char pct[16];

	if (f->kind == PROGRESS_BAR) {
		snprintf(pct, sizeof pct, "%2d%%", (int)(f->frac * 100));
		inner = w - 3 - strlen(pct);
		at = (size_t)((double)inner * frac);
		buf[i++] = '[';
		for (size_t k = 0; k < inner; k++)
			buf[i++] = k + 1 < at ? '=' : k + 1 == at ? '>' : ' ';
		i += (size_t)sprintf(buf + i, "] %s", pct);
	} else {
		inner = w - 2;
		at = (size_t)((double)(inner - 3) * frac);
		buf[i++] = '[';
		for (size_t k = 0; k < inner; k++)
			buf[i++] = k >= at && k < at + 3 ? "<=>"[k - at] : ' ';
		buf[i++] = ']';
	}
	buf[i] = '\0';
}

/* Fits the fields to the width into pg->line. */
static void
fit(struct progress *pg, const struct progress_field *f, size_t n,
    const char *sep)
{
	unsigned char on[MAX_FIELD];
	size_t avail = pg->width > 1 ? (size_t)pg->width - 1 : 1;
	size_t seplen = columns(sep), len = 0, barw = 0;
	char barbuf[MAX_LINE];
	int first = 1;

	if (n > MAX_FIELD)
		n = MAX_FIELD;
	for (size_t i = 0; i < n; i++)
		on[i] = f[i].kind != PROGRESS_TEXT || (f[i].text && *f[i].text);
	for (;;) {
		size_t used = 0, count = 0, drop = n, bars = 0;
		for (size_t i = 0; i < n; i++) {
			if (!on[i])
				continue;
			used += f[i].kind == PROGRESS_TEXT ? columns(f[i].text)
			                                   : MIN_BAR;
			bars += f[i].kind != PROGRESS_TEXT;
			count++;
		}
		used += count > 1 ? (count - 1) * seplen : 0;
		if (used <= avail || count <= 1) {
			barw = bars ? avail - used + MIN_BAR : 0;
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (on[i] && (drop == n || f[i].prio <= f[drop].prio))
				drop = i;
		on[drop] = 0;
	}
	if (barw > sizeof barbuf - 1)
		barw = sizeof barbuf - 1;
	pg->line[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!on[i])
			continue;
		if (!first)
			append(pg->line, &len, sep, avail - columns(pg->line));
		first = 0;
		if (f[i].kind == PROGRESS_TEXT) {
			append(pg->line, &len, f[i].text,
			       avail - columns(pg->line));
		} else if (barw >= MIN_BAR) {
			bar(barbuf, barw, &f[i]);
			append(pg->line, &len, barbuf,
			       avail - columns(pg->line));
		}
	}
}

void
progress_format(char *buf, size_t len, const struct progress_field *f, size_t n,
                const char *sep, int width)
{
	struct progress tmp = {.width = width};

	fit(&tmp, f, n, sep);
	snprintf(buf, len, "%s", tmp.line);
}

/* Puts pg->line on the terminal, the way the mode wants. */
static void
show(struct progress *pg)
{
	char buf[MAX_LINE + 64];
	int n;

	if (!pg->tty) {
		n = snprintf(buf, sizeof buf, "%s\n", pg->line);
		put(pg, buf, (size_t)n);
		return;
	}
	if (pg->state >= 0) {
		struct shared sh;
		int64_t up;
		shared_load(pg, &sh);
		up = sh.bottom - pg->slot;
		/* A line scrolled off the top cannot be reached. */
		if (up > 0 && up < pg->height) {
			n = snprintf(buf, sizeof buf,
			             "\033[%dA\r%s\033[K\033[%dB\r", (int)up,
			             pg->line, (int)up);
			put(pg, buf, (size_t)n);
		}
		shared_store(pg, &sh);
		return;
	}
	n = snprintf(buf, sizeof buf, "\r%s\033[K", pg->line);
	put(pg, buf, (size_t)n);
	pg->drawn = 1;
}

void
progress_draw(struct progress *pg, const struct progress_field *f, size_t n,
              const char *sep)
{
	fit(pg, f, n, sep);
	show(pg);
}

void
progress_resize(struct progress *pg)
{
	size_t len = 0;
	char old[MAX_LINE];

	read_size(pg);
	if (pg->line[0] == '\0' || !pg->tty)
		return;
	/* The kept line is cut to the new width; the next draw fits the
	 * fields properly. */
	memcpy(old, pg->line, sizeof old);
	pg->line[0] = '\0';
	append(pg->line, &len, old, pg->width > 1 ? (size_t)pg->width - 1 : 1);
	show(pg);
}

void
progress_above(struct progress *pg, const char *text)
{
	char buf[MAX_LINE + 16];
	size_t len = 0;
	int n;

	if (pg->state >= 0) {
		struct shared sh;
		shared_load(pg, &sh);
		sh.bottom++;
		n = snprintf(buf, sizeof buf, "\r%s\033[K\n", text);
		put(pg, buf, (size_t)n);
		shared_store(pg, &sh);
		return;
	}
	if (!pg->tty) {
		n = snprintf(buf, sizeof buf, "%s\n", text);
		put(pg, buf, (size_t)n);
		return;
	}
	buf[0] = '\r';
	len = 1;
	append(buf, &len, text, SIZE_MAX);
	n = snprintf(buf + len, sizeof buf - len, "\033[K\n");
	put(pg, buf, len + (size_t)n);
	if (pg->drawn)
		show(pg);
}

void
progress_close(struct progress *pg)
{
	if (pg == NULL)
		return;
	if (pg->state >= 0) {
		struct shared sh;
		shared_load(pg, &sh);
		if (--sh.active <= 0)
			unlink(pg->path);
		shared_store(pg, &sh);
		close(pg->state);
	} else if (pg->tty && pg->drawn) {
		put(pg, "\n", 1);
	}
	if (pg->heap)
		free(pg);
}

const char *
progress_clock(char *buf, size_t len, double s)
{
	unsigned long t = s < 0       ? 0
	                  : s > 3.6e8 ? 360000000ul
	                              : (unsigned long)s;

	if (t >= 86400)
		snprintf(buf, len, "%lu:%02lu:%02lu:%02lu", t / 86400,
		         t / 3600 % 24, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60,
		         t % 60);
	return buf;
}

const char *
progress_amount(char *buf, size_t len, double v, int bytes, const char *unit)
{
	static const char bin[] = " KMGTPEZY", dec[] = " kMGTPEZY";
	double ratio = bytes ? 1024 : 1000;
	int i = 0;
	char prefix[3] = " ";

	while (v > ratio * 0.97 && i < 8) {
		v /= ratio;
		i++;
	}
	if (i > 0) {
		prefix[0] = bytes ? bin[i] : dec[i];
		prefix[1] = bytes ? 'i' : '\0';
	}
	if (v > 99.9)
		snprintf(buf, len, "%4ld%s%s", (long)v, prefix, unit);
	else
		snprintf(buf, len, "%4.3g%s%s", v, prefix, unit);
	return buf;
}
