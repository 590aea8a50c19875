/*
 * date.c - the dates GNU tar takes for --newer, --after-date, --newer-mtime
 * and --mtime, read as GNU's date parser (parse-datetime, which `date -d`
 * also uses) reads the forms people write: @SECONDS[.FRACTION]; ISO 8601
 * (2020-01-02T03:04:05.5Z, "2020-01-02 03:04 +02:00", 20200102); 1/2/2020,
 * 2020/01/02, 2 Jan 2020, "January 2, 2020"; am/pm; zones Z, UTC, GMT,
 * +05:30, -0800 and US names, else local time ($TZ); relative items alone
 * or after a date (yesterday, "2 days ago", "+3 hours", next friday, last
 * month).  A date that does not exist (2020-02-30, 25:00) is refused where
 * GNU tar would warn and use the earliest time.  Not supported: TZ="..."
 * prefixes, military zones other than Z, ordinals past "twelfth"; the
 * hour repeated when clocks go back is resolved as mktime(3) resolves it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sk_impl.h"

struct when {
	long year, mon, day; /* the date as written */
	int year_digits;
	long hour, min, sec, ns;
	int meridian; /* 0, 'a', 'p' */
	long zone;    /* seconds east of UTC */
	int dates, times, zones, dows;
	int dow, dow_ord;
	long rel_y, rel_m, rel_d;
	long long rel_s;
	int rels;
	int last_unit; /* index into units[] of the last relative item, -1 */
	long long last_n;
	int range; /* a field was out of its range: ERANGE, not EINVAL */
};

static const char *const months[] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
static const char *const wdays[] = {"sunday",    "monday",   "tuesday",
                                    "wednesday", "thursday", "friday",
                                    "saturday"};
static const struct {
	const char *name;
	int months; /* months per unit, or */
	long secs;  /* seconds per unit (days counted apart) */
	int days;
} units[] = {
    {"year", 12, 0, 0},   {"month", 1, 0, 0}, {"fortnight", 0, 0, 14},
    {"week", 0, 0, 7},    {"day", 0, 0, 1},   {"hour", 0, 3600, 0},
    {"minute", 0, 60, 0}, {"min", 0, 60, 0},  {"second", 0, 1, 0},
    {"sec", 0, 1, 0},
};
static const struct {
	const char *name;
	int n;
} ordinals[] = {{"last", -1},     {"this", 0},    {"next", 1},  {"first", 1},
                {"third", 3},     {"fourth", 4},  {"fifth", 5}, {"sixth", 6},
                {"seventh", 7},   {"eighth", 8},  {"ninth", 9}, {"tenth", 10},
                {"eleventh", 11}, {"twelfth", 12}};
static const char *const shifts[] = {"yesterday", "today", "tomorrow", "now"};
static const struct {
	const char *name;
	int hours;
} zones[] = {{"utc", 0},  {"ut", 0},   {"gmt", 0},  {"z", 0},
             {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
             {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};

/* A word's index in a table of names: the whole name, or (months and
 * weekdays) its first three letters, "sept" and "tues" style prefixes. */
static int
lookup(const char *w, size_t n, const char *const *names, size_t count,
       int abbrev)
{
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(names[i]);
		if (n == len && strncasecmp(w, names[i], n) == 0)
			return (int)i;
		if (abbrev && n >= 3 && n < len &&
		    strncasecmp(w, names[i], n) == 0)
			return (int)i;
	}
	return -1;
}

/* Reads digits at *p: the value (saturating) and their count. */
static int
number(const char **p, long long *v)
{
	int digits = 0;

	*v = 0;
	while (isdigit((unsigned char)**p)) {
		if (*v < LLONG_MAX / 10)
			*v = *v * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits;
}

/* A fraction after '.' or ',' as nanoseconds (truncated, as GNU does). */
static long
fraction(const char **p)
{
	long ns = 0;
	int k = 0;

	if ((**p != '.' && **p != ',') || !isdigit((unsigned char)(*p)[1]))
		return 0;
	for ((*p)++; isdigit((unsigned char)**p); (*p)++, k++)
		if (k < 9)
			ns = ns * 10 + (**p - '0');
	for (; k < 9; k++)
		ns *= 10;
	return ns;
}

/* +HH, +HHMM, +HH:MM after a sign: the offset in seconds, or -1. */
static int
zone_offset(const char **p, long *zone)
{
	int sign = **p == '-' ? -1 : 1, d;
	const char *s = *p + 1;
	long long a, b = 0;

	d = number(&s, &a);
	if (d == 0 || d > 4)
		return -1;
	if (d >= 3) {
		b = a % 100;
		a /= 100;
	} else if (*s == ':' && isdigit((unsigned char)s[1])) {
		s++;
		if (number(&s, &b) != 2)
			return -1;
	}
	if (a > 24 || b > 59)
		return -1;
	*zone = sign * (long)(a * 3600 + b * 60);
	*p = s;
	return 0;
}

static int
set_date(struct when *w, long long y, int ydigits, long long m, long long d)
{
	if (w->dates++)
		return -1;
	if (y > 100000 || m > 12 || d > 31) {
		w->range = 1;
		return -1;
	}
	w->year = (long)y;
	w->year_digits = ydigits;
	w->mon = (long)m;
	w->day = (long)d;
	return 0;
}

/* HH:MM[:SS[.frac]] at *p, h already read. */
static int
time_of_day(struct when *w, long long h, const char **p)
{
	long long m, s = 0;

	(*p)++; /* ':' */
	if (number(p, &m) != 2)
		return -1;
	if (**p == ':' && isdigit((unsigned char)(*p)[1])) {
		(*p)++;
		if (number(p, &s) != 2)
			return -1;
		w->ns = fraction(p);
	}
	if (w->times++)
		return -1;
	if (h > 23 || m > 59 || s > 60) {
		w->range = 1;
		return -1;
	}
	w->hour = (long)h;
	w->min = (long)m;
	w->sec = (long)s;
	/* A signed number right after a time is its zone, as GNU reads
	 * "10:00 +1" (and so "10:00 +1 day" is a day after 10:00+01). */
	{
		const char *q = *p;
		while (*q == ' ')
			q++;
		if ((*q == '+' || *q == '-') && isdigit((unsigned char)q[1]) &&
		    !w->zones) {
			if (zone_offset(&q, &w->zone) < 0)
				return -1;
			w->zones++;
			*p = q;
		}
	}
	return 0;
}

static void
relative(struct when *w, long long n, int unit)
{
	if (units[unit].months)
		w->rel_m += (long)(n * units[unit].months);
	else if (units[unit].days)
		w->rel_d += (long)(n * units[unit].days);
	else
		w->rel_s += n * units[unit].secs;
	w->rels++;
	w->last_unit = unit;
	w->last_n = n;
}

/* A word: month, weekday, unit, ordinal, zone, am/pm, ago... */
static int
word(struct when *w, const char **p, long long pending, int have_pending)
{
	const char *s = *p, *e = s;
	size_t n;
	int i;

	while (isalpha((unsigned char)*e) || *e == '.')
		e++;
	*p = e;
	n = (size_t)(e - s);
	while (n > 1 && s[n - 1] == '.')
		n--;
	if (n == 2 || n == 4) {
		if (strncasecmp(s, "am", 2) == 0 ||
		    strncasecmp(s, "a.m", 3) == 0)
			return w->times && !w->meridian ? (w->meridian = 'a', 0)
			                                : -1;
		if (strncasecmp(s, "pm", 2) == 0 ||
		    strncasecmp(s, "p.m", 3) == 0)
			return w->times && !w->meridian ? (w->meridian = 'p', 0)
			                                : -1;
	}
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
		size_t len = strlen(units[k].name);
		if ((n == len ||
		     (n == len + 1 && tolower((unsigned char)s[len]) == 's')) &&
		    strncasecmp(s, units[k].name, len) == 0) {
			relative(w, have_pending ? pending : 1, (int)k);
			return 0;
		}
	}
	if (have_pending)
		return -1;
	if ((i = lookup(s, n, months, 12, 1)) >= 0) {
		/* "Jan 2 [2020]", "Jan 2, 2020" */
		long long d, y;
		const char *q = e;
		int yd;
		while (*q == ' ' || *q == '-')
			q++;
		if (number(&q, &d) == 0)
			return -1;
		while (*q == ',' || *q == ' ' || *q == '-')
			q++;
		yd = number(&q, &y);
		if (yd == 0 || q[0] == ':') {
			y = -1;
			yd = 0;
			q = e;
			while (*q == ' ' || *q == '-')
				q++;
			number(&q, &d);
		}
		*p = q;
		return set_date(w, y, yd, i + 1, d);
	}
	if ((i = lookup(s, n, wdays, 7, 1)) >= 0) {
		if (w->dows++)
			return -1;
		w->dow = i;
		return 0;
	}
	for (size_t k = 0; k < sizeof ordinals / sizeof ordinals[0]; k++)
		if (n == strlen(ordinals[k].name) &&
		    strncasecmp(s, ordinals[k].name, n) == 0) {
			const char *q = e;
			while (*q == ' ')
				q++;
			if (isalpha((unsigned char)*q) &&
			    lookup(q,
			           strspn(q, "abcdefghijklmnopqrstuvwxyz"
			                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
			           wdays, 7, 1) >= 0) {
				w->dow_ord = ordinals[k].n;
				return 0;
			}
			*p = q;
			return word(w, p, ordinals[k].n, 1);
		}
	if (n == 3 && strncasecmp(s, "ago", 3) == 0) {
		if (w->last_unit < 0)
			return -1;
		relative(w, -2 * w->last_n, w->last_unit);
		w->rels--;
		return 0;
	}
	if ((i = lookup(s, n, shifts, 4, 0)) >= 0) {
		w->rel_d += i < 3 ? i - 1 : 0; /* yesterday ... now */
		w->rels += i != 1 && i != 3;
		return 0;
	}
	for (size_t k = 0; k < sizeof zones / sizeof zones[0]; k++)
		if (n == strlen(zones[k].name) &&
		    strncasecmp(s, zones[k].name, n) == 0) {
			if (w->zones++)
				return -1;
			w->zone = zones[k].hours * 3600L;
			if (*e == '+' || *e == '-') { /* UTC+05:30 */
				long z;
				if (zone_offset(p, &z) < 0)
					return -1;
				w->zone += z;
			}
			return 0;
		}
	return -1;
}

/* A number and what follows it decides what it is. */
static int
numeric(struct when *w, const char **p, int sign)
{
	long long a, b, c;
	int da = number(p, &a), db;

	if (sign == 0 && **p == '-' && isdigit((unsigned char)(*p)[1])) {
		/* Y-M-D, maybe followed by T and a time */
		(*p)++;
		number(p, &b);
		if (**p != '-' || !isdigit((unsigned char)(*p)[1]))
			return -1;
		(*p)++;
		number(p, &c);
		if (set_date(w, a, da, b, c) < 0)
			return -1;
		if ((**p == 'T' || **p == 't') &&
		    isdigit((unsigned char)(*p)[1])) {
			const char *q = ++*p;
			number(p, &a);
			if (**p != ':') {
				*p = q;
				return -1;
			}
			return time_of_day(w, a, p);
		}
		return 0;
	}
	if (sign == 0 && **p == '-' && isalpha((unsigned char)(*p)[1])) {
		/* 2-Jan-2020 */
		const char *q = *p + 1, *e = q;
		int m;
		while (isalpha((unsigned char)*e))
			e++;
		if ((m = lookup(q, (size_t)(e - q), months, 12, 1)) < 0)
			return -1;
		*p = e;
		if (**p == '-')
			(*p)++;
		db = number(p, &b);
		return set_date(w, db ? b : -1, db, m + 1, a);
	}
	if (sign == 0 && **p == ':')
		return time_of_day(w, a, p);
	if (sign == 0 && **p == '/') {
		(*p)++;
		if (number(p, &b) == 0)
			return -1;
		c = -1;
		db = 0;
		if (**p == '/') {
			(*p)++;
			if ((db = number(p, &c)) == 0)
				return -1;
		}
		return da >= 3 ? set_date(w, a, da, b, c)
		               : set_date(w, c, db, a, b);
	}
	{
		/* A unit, a month name or am/pm may follow after spaces. */
		const char *q = *p;
		while (*q == ' ')
			q++;
		if (isalpha((unsigned char)*q)) {
			const char *e = q;
			while (isalpha((unsigned char)*e))
				e++;
			if (sign == 0 &&
			    lookup(q, (size_t)(e - q), months, 12, 1) >= 0) {
				/* 2 Jan [2020] */
				int m =
				    lookup(q, (size_t)(e - q), months, 12, 1);
				*p = e;
				while (**p == ' ' || **p == ',')
					(*p)++;
				db = number(p, &b);
				return set_date(w, db ? b : -1, db, m + 1, a);
			}
			if (sign == 0 && da <= 2 && w->times == 0 &&
			    (tolower((unsigned char)*q) == 'a' ||
			     tolower((unsigned char)*q) == 'p') &&
			    e - q <= 4) {
				/* 5pm */
				w->times++;
				w->hour = (long)a;
				w->min = w->sec = 0;
				*p = q;
				return a > 12 ? -1 : 0;
			}
			*p = q;
			return word(w, p, sign < 0 ? -a : a, 1);
		}
	}
	if (sign)
		return -1;
	/* A bare number, as GNU reads one. */
	if (w->dates && !w->rels && (w->times || da > 2)) {
		if (w->year >= 0 || w->year_digits)
			return -1;
		w->year = (long)a;
		w->year_digits = da;
		return 0;
	}
	if (da > 4)
		return set_date(w, a / 10000, da - 4, a / 100 % 100, a % 100);
	if (w->times++)
		return -1;
	w->hour = (long)(da <= 2 ? a : a / 100);
	w->min = (long)(da <= 2 ? 0 : a % 100);
	w->sec = 0;
	if (w->hour > 23 || w->min > 59) {
		w->range = 1;
		return -1;
	}
	return 0;
}

static int
parse(struct when *w, const char *text)
{
	const char *p = text;

	memset(w, 0, sizeof *w);
	w->last_unit = -1;
	w->year = -1;
	while (*p) {
		int rc, sign = 0;
		if (isspace((unsigned char)*p) || *p == ',') {
			p++;
			continue;
		}
		if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]))
			sign = *p++ == '-' ? -1 : 1;
		if (isdigit((unsigned char)*p))
			rc = numeric(w, &p, sign);
		else if (isalpha((unsigned char)*p) && !sign)
			rc = word(w, &p, 0, 0);
		else
			rc = -1;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The year as written: two digits mean 1969-2068, as in GNU. */
static long
full_year(long y, int digits)
{
	if (digits == 2)
		return y < 69 ? y + 2000 : y + 1900;
	return y;
}

static int
convert(const struct when *w, const struct timespec *now, struct timespec *out)
{
	struct tm tm;
	time_t t, base = now->tv_sec;
	long hour = w->hour;

	if (w->zones) {
		base += w->zone;
		gmtime_r(&base, &tm);
	} else {
		localtime_r(&base, &tm);
	}
	if (w->dates) {
		if (w->year >= 0)
			tm.tm_year =
			    (int)(full_year(w->year, w->year_digits) - 1900);
		tm.tm_mon = (int)w->mon - 1;
		tm.tm_mday = (int)w->day;
	}
	if (w->meridian) {
		if (hour < 1 || hour > 12) {
			errno = ERANGE;
			return -1;
		}
		hour = hour % 12 + (w->meridian == 'p' ? 12 : 0);
	}
	if (w->dates || w->times || w->dows) {
		tm.tm_hour = w->times ? (int)hour : 0;
		tm.tm_min = w->times ? (int)w->min : 0;
		tm.tm_sec = w->times ? (int)w->sec : 0;
	}
	if (w->dates && (tm.tm_mon < 0 || tm.tm_mday < 1)) {
		errno = ERANGE;
		return -1;
	}
	/* The date must exist: nothing may spill into the next month. */
	if (w->dates) {
		struct tm chk = tm;
		time_t c = timegm(&chk);
		if (c == (time_t)-1 && errno == EOVERFLOW)
			return -1;
		if (chk.tm_mday != tm.tm_mday || chk.tm_mon != tm.tm_mon) {
			errno = ERANGE;
			return -1;
		}
	}
	if (w->dows && !w->dates) {
		struct tm d = tm;
		(void)(w->zones ? timegm(&d) : mktime(&d));
		tm.tm_mday +=
		    (w->dow - d.tm_wday + 7) % 7 +
		    7 * (w->dow_ord - (0 < w->dow_ord && d.tm_wday != w->dow));
	}
	tm.tm_year += (int)(w->rel_m / 12 + 0);
	tm.tm_mon += (int)(w->rel_m % 12);
	tm.tm_mday += (int)w->rel_d;
	tm.tm_isdst = -1;
	t = w->zones ? timegm(&tm) - w->zone : mktime(&tm);
	if (t == (time_t)-1 && errno == EOVERFLOW)
		return -1;
	out->tv_sec = t + (time_t)w->rel_s;
	out->tv_nsec = w->times || w->dates ? w->ns : now->tv_nsec;
	if (!w->times && !w->dates && !w->dows && !w->rels)
		out->tv_nsec = now->tv_nsec;
	return 0;
}

SK_API int
sk_parse_date(const char *text, const struct timespec *now,
              struct timespec *out)
{
	struct timespec n;
	struct when w;

	if (text == NULL || out == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (now == NULL) {
		clock_gettime(CLOCK_REALTIME, &n);
		now = &n;
	}
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@') {
		const char *p = text + 1;
		int neg = *p == '-';
		long long v;
		p += neg || *p == '+';
		int digits = number(&p, &v);
		if (digits == 0 || digits > 18) {
			errno = digits ? ERANGE : EINVAL;
			return -1;
		}
		out->tv_nsec = fraction(&p);
		while (isspace((unsigned char)*p))
			p++;
		if (*p) {
			errno = EINVAL;
			return -1;
		}
		out->tv_sec = (time_t)(neg ? -v : v);
		if (neg && out->tv_nsec) {
			out->tv_sec--;
			out->tv_nsec = 1000000000L - out->tv_nsec;
		}
		return 0;
	}
	if (*text == '\0' || parse(&w, text) < 0) {
		errno = *text && w.range ? ERANGE : EINVAL;
		return -1;
	}
	errno = 0;
	return convert(&w, now, out);
}
