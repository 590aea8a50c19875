/*
 * pump_show.c - what pump displays: pv's components (-p -t -e -I -r -a
 * -b -T -A -N) in pv's order or in a -F format, pv's numeric lines (-n),
 * all drawn by the shared progress drawer; and the --stats summary.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pump.h"
#include "util.h"

#define MAX_SEG 64
#define SEG_LEN 96

struct show {
	struct progress *pg;
	int bounce; /* pv's moving percentage for an unknown total, 0..199 */
};

int
show_wanted(const struct pump_opts *o)
{
	if (o->quiet || o->progress == WHEN_NEVER)
		return 0;
	if (o->numeric || o->force || o->progress == WHEN_ALWAYS)
		return 1;
	return isatty(STDERR_FILENO);
}

struct show *
show_open(const struct pump_opts *o)
{
	struct show *sh = calloc(1, sizeof *sh);

	if (sh == NULL)
		return NULL;
	if (!o->numeric)
		sh->pg = progress_open(STDERR_FILENO, o->cursor, o->width,
		                       o->height);
	return sh;
}

void
show_resize(struct show *sh)
{
	if (sh && sh->pg)
		progress_resize(sh->pg);
}

void
show_above(struct show *sh, const char *text)
{
	if (sh && sh->pg)
		progress_above(sh->pg, text);
	else
		fprintf(stderr, "%s\n", text);
}

void
show_close(struct show *sh)
{
	if (sh == NULL)
		return;
	progress_close(sh->pg);
	free(sh);
}

/* The segments of one line, each a field for the drawer. */
struct line {
	struct progress_field f[MAX_SEG];
	char text[MAX_SEG][SEG_LEN];
	size_t n;
};

static char *
seg(struct line *l, int prio)
{
	if (l->n == MAX_SEG)
		return NULL;
	l->f[l->n].kind = PROGRESS_TEXT;
	l->f[l->n].prio = prio;
	l->f[l->n].text = l->text[l->n];
	l->text[l->n][0] = '\0';
	return l->text[l->n++];
}

static double
average(const struct show_counts *c)
{
	return c->elapsed > 0 ? (double)c->done / c->elapsed : 0;
}

static double
eta_of(const struct show_counts *c)
{
	double avg = average(c);

	if (c->size <= 0 || avg <= 0 || (int64_t)c->done >= c->size)
		return 0;
	return ((double)c->size - (double)c->done) / avg;
}

/* Appends one component, by pv's letter (or 'P' for the bar alone, 'Q'
 * for the percentage alone), to the line. */
static void
component(struct line *l, struct show *sh, const struct pump_opts *o,
          const struct show_counts *c, int letter, size_t num)
{
	char t1[48], *s;
	int bytes = !o->lines;
	double rate = c->final ? average(c) : c->rate;

	switch (letter) {
	case 'p':
	case 'P':
		if (l->n == MAX_SEG)
			return;
		l->f[l->n].kind = c->size > 0 ? PROGRESS_BAR : PROGRESS_BOUNCE;
		l->f[l->n].prio = 60;
		l->f[l->n].text = NULL;
		l->f[l->n].frac =
		    c->size > 0
		        ? (double)c->done / (double)c->size
		        : (sh->bounce > 100 ? 200 - sh->bounce : sh->bounce) /
		              100.0;
		l->n++;
		return;
	case 'Q':
		if ((s = seg(l, 65)) && c->size > 0)
			snprintf(
			    s, SEG_LEN, "%3d%%",
			    (int)((double)c->done * 100 / (double)c->size));
		return;
	case 't':
		if ((s = seg(l, 70)))
			progress_clock(s, SEG_LEN, c->elapsed);
		return;
	case 'e':
		/* The last line has no estimate left to show; pv blanks
		 * it, the drawer's erase makes room for the rest. */
		if ((s = seg(l, 80)) && c->size > 0 && !c->final)
			snprintf(s, SEG_LEN, "ETA %s",
			         progress_clock(t1, sizeof t1, eta_of(c)));
		return;
	case 'I':
		if ((s = seg(l, 35)) && c->size > 0) {
			time_t then = time(NULL) + (time_t)eta_of(c);
			struct tm tm;
			if (localtime_r(&then, &tm))
				strftime(s, SEG_LEN,
				         eta_of(c) > 6 * 3600
				             ? "ETA %Y-%m-%d %H:%M:%S"
				             : "ETA %H:%M:%S",
				         &tm);
		}
		return;
	case 'r':
	case 'a':
		if ((s = seg(l, letter == 'r' ? 75 : 50)))
			snprintf(
			    s, SEG_LEN, "[%s]",
			    progress_amount(t1, sizeof t1,
			                    letter == 'r' ? rate : average(c),
			                    bytes, bytes ? "B/s" : "/s"));
		return;
	case 'b':
		if ((s = seg(l, 85)))
			progress_amount(s, SEG_LEN, (double)c->done, bytes,
			                bytes ? "B" : "");
		return;
	case 'T':
		if ((s = seg(l, 40)) && c->queue > 0)
			snprintf(
			    s, SEG_LEN, "{%3d%%}",
			    (int)((double)c->queued * 100 / (double)c->queue));
		return;
	case 'A':
		if ((s = seg(l, 30))) {
			unsigned char last[4096];
			size_t k = c->p ? sk_pump_last(c->p, last, num) : 0;
			if (num >= SEG_LEN)
				num = SEG_LEN - 1;
			memset(s, '.', num);
			s[num] = '\0';
			for (size_t i = 0; i < k && i < num; i++)
				if (isprint(last[i]))
					s[num - k + i] = (char)last[i];
		}
		return;
	case 'N':
		if ((s = seg(l, 90)) && o->name)
			snprintf(s, SEG_LEN, "%9.80s:", o->name);
		return;
	}
}

/* pv's %{name} sequences (pv 1.8), as the letter they stand for. */
static int
named(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int letter;
	} names[] = {
	    {"progress", 'p'},
	    {"progress-bar-only", 'P'},
	    {"progress-amount-only", 'Q'},
	    {"timer", 't'},
	    {"eta", 'e'},
	    {"fineta", 'I'},
	    {"rate", 'r'},
	    {"average-rate", 'a'},
	    {"bytes", 'b'},
	    {"transferred", 'b'},
	    {"buffer-percent", 'T'},
	    {"last-written", 'A'},
	    {"name", 'N'},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len &&
		    memcmp(names[i].name, name, len) == 0)
			return names[i].letter;
	return 0;
}

/* Builds the line of a -F format: literal text is kept whole. */
static void
formatted(struct line *l, struct show *sh, const struct pump_opts *o,
          const struct show_counts *c)
{
	const char *f = o->format;

	while (*f) {
		size_t num = 0, lit;
		const char *start = f;
		int letter = 0;
		char *s;

		if (*f != '%') {
			lit = strcspn(f, "%");
			if ((s = seg(l, 100)))
				snprintf(s, SEG_LEN, "%.*s", (int)lit, f);
			f += lit;
			continue;
		}
		f++;
		while (isdigit((unsigned char)*f))
			num = num * 10 + (size_t)(*f++ - '0');
		if (*f == '{') {
			const char *end = strchr(f, '}');
			if (end)
				letter = named(f + 1, (size_t)(end - f - 1));
			if (letter) {
				f = end + 1;
				component(l, sh, o, c, letter, num ? num : 16);
				continue;
			}
		} else if (*f && strchr("ptIerabTAN", *f)) {
			component(l, sh, o, c, *f, num ? num : 16);
			f++;
			continue;
		} else if (*f == '%') {
			if ((s = seg(l, 100)))
				strcpy(s, "%");
			f++;
			continue;
		}
		/* Unknown: kept as written, as pv does. */
		if (*f)
			f++;
		if ((s = seg(l, 100)))
			snprintf(s, SEG_LEN, "%.*s", (int)(f - start), start);
	}
}

static void
numeric(struct show *sh, const struct pump_opts *o, const struct show_counts *c)
{
	char prefix[48] = "";
	long v;

	if (o->display & D_TIMER)
		snprintf(prefix, sizeof prefix, "%.4f ", c->elapsed);
	if (o->display & D_BYTES)
		fprintf(stderr, "%s%" PRIu64 "\n", prefix, c->done);
	else {
		v = c->size > 0
		        ? (long)((double)c->done * 100 / (double)c->size)
		    : sh->bounce > 100 ? 200 - sh->bounce
		                       : sh->bounce;
		fprintf(stderr, "%s%ld\n", prefix, v);
	}
	fflush(stderr);
}

/* Builds the line of the display options into l; the separator. */
static const char *
build(struct line *l, struct show *sh, const struct pump_opts *o,
      const struct show_counts *c)
{
	static const char order[] = "NbTtrapeIA", letters[] = "btTrapeIA";
	static const unsigned masks[] = {D_BYTES, D_TIMER,   D_BUFFER,
	                                 D_RATE,  D_AVERAGE, D_PROGRESS,
	                                 D_ETA,   D_FINETA,  D_LAST};
	unsigned bits = o->display;

	l->n = 0;
	if (o->format) {
		formatted(l, sh, o, c);
		return "";
	}
	if (bits == 0) /* pv's default set */
		bits = D_PROGRESS | D_TIMER | D_ETA | D_RATE | D_BYTES;
	for (const char *k = order; *k; k++) {
		const char *at = strchr(letters, *k);
		if (*k == 'N' ? o->name != NULL
		              : (at && (bits & masks[at - letters])))
			component(l, sh, o, c, *k, o->last_n ? o->last_n : 16);
	}
	return " ";
}

void
show_draw(struct show *sh, const struct pump_opts *o,
          const struct show_counts *c)
{
	struct line l;
	const char *sep;

	if (sh == NULL)
		return;
	/* pv's moving percentage: 0 to 100 and back while bytes move. */
	if (c->size <= 0 && c->rate > 0 && (sh->bounce += 2) > 199)
		sh->bounce = 0;
	if (o->numeric) {
		numeric(sh, o, c);
		return;
	}
	sep = build(&l, sh, o, c);
	progress_draw(sh->pg, l.f, l.n, sep);
}

void
show_print(struct show *sh, const struct pump_opts *o,
           const struct show_counts *c)
{
	struct show tmp = {0};
	struct line l;
	const char *sep = build(&l, sh ? sh : &tmp, o, c);
	char buf[1024];

	progress_format(buf, sizeof buf, l.f, l.n, sep,
	                sh && sh->pg ? progress_width(sh->pg) : 200);
	if (sh && sh->pg)
		progress_above(sh->pg, buf);
	else
		fprintf(stderr, "%s\n", buf);
}

static void
json_string(const char *s)
{
	fputc('"', stderr);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(stderr, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(stderr, "\\u%04x", *s);
		else
			fputc(*s, stderr);
	}
	fputc('"', stderr);
}

void
print_stats(sk_pump *p, const struct pump_opts *o)
{
	struct sk_pump_stats st;
	double secs;
	char b1[32], b2[32], r[4][32];

	sk_pump_stats(p, &st);
	secs = (double)st.elapsed_ns / 1e9;
	if (o->stats == 2) {
		fprintf(stderr,
		        "{\"bytes_in\": %" PRIu64 ", \"bytes_out\": %" PRIu64
		        ", \"lines\": %" PRIu64
		        ", \"seconds\": %.6f, \"bytes_per_second\": %.0f, "
		        "\"rate_min\": %.0f, \"rate_max\": %.0f, "
		        "\"rate_mean\": %.0f, \"rate_mdev\": %.0f, "
		        "\"rate_samples\": %" PRIu64 ", \"pauses\": %" PRIu64
		        ", \"queue_full_seconds\": %.6f, "
		        "\"queue_empty_seconds\": %.6f, \"queue\": %zu, "
		        "\"zero_copy\": %s, \"outputs\": [",
		        st.bytes_in, st.bytes_out, st.lines, secs,
		        secs > 0 ? (double)st.bytes_out / secs : 0.0,
		        st.rate_min, st.rate_max, st.rate_mean, st.rate_mdev,
		        st.rate_samples, st.pauses, (double)st.full_ns / 1e9,
		        (double)st.empty_ns / 1e9, st.queue,
		        st.zero_copy ? "true" : "false");
		for (size_t i = 0; i < o->nouts; i++) {
			int e;
			uint64_t b = sk_pump_output(p, i, &e);
			fprintf(stderr, "%s{\"name\": ", i ? ", " : "");
			json_string(o->outs[i]);
			fprintf(stderr,
			        ", \"bytes\": %" PRIu64 ", \"error\": ", b);
			if (e)
				json_string(strerror(e));
			else
				fprintf(stderr, "null");
			fputc('}', stderr);
		}
		fprintf(stderr, "]}\n");
		return;
	}
	fprintf(
	    stderr, "pump: %s (%" PRIu64 " bytes) in %.2f s, %s/s%s\n",
	    human(b1, sizeof b1, (double)st.bytes_out), st.bytes_out, secs,
	    human(b2, sizeof b2, secs > 0 ? (double)st.bytes_out / secs : 0),
	    st.zero_copy ? ", zero-copy" : "");
	if (o->lines)
		fprintf(stderr, "pump: %" PRIu64 " lines\n", st.lines);
	/* pv --stats' line, over one sample a second. */
	if (st.rate_samples > 0)
		fprintf(stderr,
		        "pump: rate min/avg/max/mdev = %s/s / %s/s / %s/s / "
		        "%s/s\n",
		        human(r[0], sizeof r[0], st.rate_min),
		        human(r[1], sizeof r[1], st.rate_mean),
		        human(r[2], sizeof r[2], st.rate_max),
		        human(r[3], sizeof r[3], st.rate_mdev));
	fprintf(stderr,
	        "pump: reader paused %" PRIu64 " times; queue full %.2f s, "
	        "empty %.2f s\n",
	        st.pauses, (double)st.full_ns / 1e9, (double)st.empty_ns / 1e9);
	for (size_t i = 0; i < o->nouts; i++) {
		int e;
		uint64_t b = sk_pump_output(p, i, &e);
		if (e)
			fprintf(stderr,
			        "pump: output %zu (%s): failed after %" PRIu64
			        " bytes: %s\n",
			        i + 1, o->outs[i], b, strerror(e));
		else
			fprintf(stderr,
			        "pump: output %zu (%s): %" PRIu64 " bytes\n",
			        i + 1, o->outs[i], b);
	}
}
