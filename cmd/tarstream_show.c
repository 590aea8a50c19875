/*
 * tarstream_show.c - what tarstream shows while it works: warnings, the
 * listing of -v (names) and -vv (GNU tar's long listing), the progress
 * line (the drawer shared with pump, cmd/progress.c), and --totals.
 * Names are printed as GNU tar prints them: control characters and
 * backslashes escaped, so a listing is one line per entry.
 */
#include <err.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "progress.h"
#include "tarstream.h"
#include "util.h"

/* Redraws a second: a terminal's line, and the plain lines of a log. */
#define TICK_TTY   0.2
#define TICK_PLAIN 10.0

static struct {
	FILE *list; /* where -v goes */
	int verbose;
	struct progress *pg;
	int winch; /* a signals_fd for SIGWINCH, or -1 */
	sk_tar *tar;
	uint64_t total_files, total_data;
	double started, drawn; /* mono_now() */
	int ugswidth;          /* GNU tar's width for "user/group size" */
} sh = {.winch = -1, .ugswidth = 19};

void
ts_print_name(FILE *f, const char *name)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char let[] = "abfnrtv";
	mbstate_t mbs;
	const char *p = name;

	memset(&mbs, 0, sizeof mbs);
	while (*p) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, MB_CUR_MAX, &mbs);
		const char *e;
		if (n != (size_t)-1 && n != (size_t)-2 && n > 0 &&
		    (n > 1 ? iswprint((wint_t)wc)
		           : (*p >= 0x20 && *p < 0x7f))) {
			if (*p == '\\')
				fputc('\\', f);
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		memset(&mbs, 0, sizeof mbs);
		if ((e = strchr(esc, *p)) != NULL)
			fprintf(f, "\\%c", let[e - esc]);
		else
			fprintf(f, "\\%03o", (unsigned char)*p);
		p++;
	}
}

/* A line above the progress line, or on f when there is none. */
static void
show_line(FILE *f, char *text, size_t len)
{
	if (sh.pg) {
		/* (The drawer takes one line without its newline.) */
		if (len > 0 && text[len - 1] == '\n')
			text[len - 1] = '\0';
		progress_above(sh.pg, text);
	} else {
		fwrite(text, 1, len, f);
		fflush(f);
	}
}

/* A line is put together in memory, then shown whole (show_line). */
struct line {
	char *text;
	size_t len;
};

static FILE *
line_open(struct line *l)
{
	l->text = NULL;
	l->len = 0;
	return open_memstream(&l->text, &l->len);
}

static void
line_show(struct line *l, FILE *f, FILE *to)
{
	fclose(f);
	show_line(to, l->text, l->len);
	free(l->text);
}

static void
on_warn(void *arg, const char *path, int e, const char *what)
{
	struct line l;
	FILE *f = line_open(&l);

	(void)arg;
	if (f == NULL)
		return;
	fprintf(f, "tarstream: ");
	if (path) {
		ts_print_name(f, path);
		fprintf(f, ": ");
	}
	fprintf(f, "%s", what);
	if (e)
		fprintf(f, ": %s", strerror(e));
	fprintf(f, "\n");
	line_show(&l, f, stderr);
}

/* ls -l's mode string, with GNU tar's 'h' for a hard link. */
static void
mode_string(char *m, const struct sk_tar_entry *e)
{
	mode_t mode = e->mode;

	m[0] = e->hardlink      ? 'h'
	       : S_ISDIR(mode)  ? 'd'
	       : S_ISLNK(mode)  ? 'l'
	       : S_ISCHR(mode)  ? 'c'
	       : S_ISBLK(mode)  ? 'b'
	       : S_ISFIFO(mode) ? 'p'
	       : S_ISSOCK(mode) ? 's'
	                        : '-';
	for (int i = 0; i < 9; i++)
		m[1 + i] = mode & (0400 >> i) ? "rwxrwxrwx"[i] : '-';
	if (mode & S_ISUID)
		m[3] = m[3] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		m[6] = m[6] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		m[9] = m[9] == 'x' ? 't' : 'T';
	m[10] = '\0';
}

/* GNU tar's long listing of one entry (tar -tvf's format). */
static void
long_listing(FILE *f, const struct sk_tar_entry *e)
{
	char mode[11], user[32], group[32], size[48], when[32];
	time_t t = (time_t)e->mtime;
	struct tm tm;
	int pad;

	mode_string(mode, e);
	snprintf(user, sizeof user, "%s",
	         e->uname && *e->uname ? e->uname : "");
	if (!*user)
		snprintf(user, sizeof user, "%" PRId64, e->uid);
	snprintf(group, sizeof group, "%s",
	         e->gname && *e->gname ? e->gname : "");
	if (!*group)
		snprintf(group, sizeof group, "%" PRId64, e->gid);
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		snprintf(size, sizeof size, "%u,%u", e->devmajor, e->devminor);
	else
		snprintf(size, sizeof size, "%" PRId64,
		         e->hardlink ? (int64_t)0 : e->size);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(when, sizeof when, "%" PRId64, e->mtime);
	/* The "user/group size" column widens as GNU tar's does. */
	pad = (int)(strlen(user) + 1 + strlen(group) + 1 + strlen(size));
	if (pad > sh.ugswidth)
		sh.ugswidth = pad;
	fprintf(f, "%s %s/%s %*s %s ", mode, user, group,
	        sh.ugswidth - pad + (int)strlen(size), size, when);
	ts_print_name(f, e->name);
	if (e->link) {
		fprintf(f, e->hardlink ? " link to " : " -> ");
		ts_print_name(f, e->link);
	}
	fprintf(f, "\n");
}

static void
on_entry(void *arg, const struct sk_tar_entry *e)
{
	struct line l;
	FILE *f = line_open(&l);

	(void)arg;
	if (f == NULL)
		return;
	if (sh.verbose > 1) {
		long_listing(f, e);
	} else {
		ts_print_name(f, e->name);
		fprintf(f, "\n");
	}
	line_show(&l, f, sh.list);
}

/* The progress line: bytes and files against the pre-scan's totals,
 * the rate, the time, an estimate; a bar where the width allows. */
static void
draw(void)
{
	struct progress_field f[6];
	uint64_t files, data;
	double secs = mono_now() - sh.started, rate;
	char b1[32], b2[32], bytes[80], count[64], r[40], t1[32], eta[48];
	size_t n = 0;

	sk_tar_counts(sh.tar, &files, &data, NULL);
	rate = secs > 0 ? (double)data / secs : 0;
	progress_amount(b1, sizeof b1, (double)data, 1, "B");
	if (sh.total_data) {
		progress_amount(b2, sizeof b2, (double)sh.total_data, 1, "B");
		snprintf(bytes, sizeof bytes, "%s of %s", b1, b2);
	} else {
		snprintf(bytes, sizeof bytes, "%s", b1);
	}
	if (sh.total_files)
		snprintf(count, sizeof count, "%" PRIu64 "/%" PRIu64 " files",
		         files, sh.total_files);
	else
		snprintf(count, sizeof count, "%" PRIu64 " files", files);
	progress_amount(r, sizeof r, rate, 1, "B/s");
	progress_clock(t1, sizeof t1, secs);
	f[n++] = (struct progress_field){PROGRESS_TEXT, bytes, 6, 0};
	f[n++] = (struct progress_field){PROGRESS_TEXT, count, 5, 0};
	f[n++] = (struct progress_field){PROGRESS_TEXT, r, 3, 0};
	f[n++] = (struct progress_field){PROGRESS_TEXT, t1, 2, 0};
	if (sh.total_data && rate > 0 && data <= sh.total_data) {
		char t2[32];
		progress_clock(t2, sizeof t2,
		               (double)(sh.total_data - data) / rate);
		snprintf(eta, sizeof eta, "ETA %s", t2);
		f[n++] = (struct progress_field){PROGRESS_TEXT, eta, 4, 0};
	}
	if (sh.total_data)
		f[n++] = (struct progress_field){
		    PROGRESS_BAR, NULL, 1,
		    data >= sh.total_data
		        ? 1.0
		        : (double)data / (double)sh.total_data};
	progress_draw(sh.pg, f, n, "  ");
	sh.drawn = mono_now();
}

static void
on_tick(void *arg)
{
	(void)arg;
	if (mono_now() - sh.drawn <
	    (progress_plain(sh.pg) ? TICK_PLAIN : TICK_TTY))
		return;
	while (sh.winch >= 0 && signals_next(sh.winch) == SIGWINCH)
		progress_resize(sh.pg);
	draw();
}

void
ts_show_begin(struct ts *ts, uint64_t total_files, uint64_t total_data)
{
	/* The listing goes where the archive does not, as in GNU tar. */
	static const int winch[] = {SIGWINCH};

	sh.list = ts->file && strcmp(ts->file, "-") != 0 ? stdout : stderr;
	sh.verbose = ts->verbose;
	ts->opt.warn = on_warn;
	ts->opt.entry = ts->verbose ? on_entry : NULL;
	sh.started = mono_now();
	if (!ts->progress)
		return;
	/* (Blocked in every thread, read when the line is drawn.) */
	sh.winch = signals_fd(winch, 1);
	sh.pg = progress_open(STDERR_FILENO, 0, 0, 0);
	sh.total_files = total_files;
	sh.total_data = total_data;
	ts->opt.tick = on_tick;
}

void
ts_show_tar(sk_tar *t)
{
	sh.tar = t;
	if (sh.pg)
		draw();
}

/* A size as GNU tar's --totals says it: "10KiB", "1.5MiB". */
static const char *
gnu_size(char *buf, size_t len, double v)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 && u > 0 ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

void
ts_show_end(void)
{
	if (sh.pg) {
		draw();
		progress_close(sh.pg);
		sh.pg = NULL;
	}
	if (sh.list)
		fflush(sh.list);
}

void
ts_show_totals(const struct ts *ts, uint64_t length)
{
	double secs = mono_now() - sh.started;

	if (ts->totals) {
		char size[32], rate[32];
		fprintf(stderr, "Total bytes written: %" PRIu64 " (%s, %s/s)\n",
		        length, gnu_size(size, sizeof size, (double)length),
		        gnu_size(rate, sizeof rate,
		                 secs > 0 ? (double)length / secs
		                          : (double)length));
	}
}
