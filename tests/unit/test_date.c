/*
 * Unit tests: dates as GNU tar reads them (sk_parse_date).  GNU tar and
 * `date -d` share GNU's date parser, so every string of the table is also
 * given to date(1), in four time zones, and the two results must agree;
 * strings relative to now are compared within a few seconds of slack, as
 * the two clocks are read at different moments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

static int
gnu_date(const char *text, struct timespec *ts)
{
	char cmd[512], line[128];
	long long s;
	long ns;
	FILE *p;
	int ok = 0;

	snprintf(cmd, sizeof cmd, "date -d '%s' +%%s.%%N 2>/dev/null", text);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, p) &&
	    sscanf(line, "%lld.%ld", &s, &ns) == 2) {
		ts->tv_sec = (time_t)s;
		ts->tv_nsec = ns;
		ok = 1;
	}
	return pclose(p) == 0 && ok;
}

static void
dates_equal_gnu_dates_in_four_time_zones(void)
{
	static const char *const zones[] = {"UTC", "America/New_York",
	                                    "Asia/Kolkata", "Europe/Berlin"};
	static const char *const exact[] = {
	    "2020-01-02",
	    "2020-01-02 03:04:05",
	    "2020-01-02 03:04",
	    "2020-01-02T03:04:05",
	    "2020-01-02T03:04",
	    "2020-01-02T03:04:05Z",
	    "2020-01-02T03:04:05.5+02:00",
	    "2020-01-02T03:04:05.123456789-0530",
	    "2020-01-02 03:04:05 UTC",
	    "2020-07-02 03:04:05 GMT",
	    "2020-01-02 03:04:05 EST",
	    "2020-07-02 03:04 PDT",
	    "2020-01-02 03:04:05 +05",
	    "20200102",
	    "1/2/2020",
	    "2020/01/02",
	    "12/31/99",
	    "1/2/20",
	    "2 Jan 2020",
	    "2-Jan-2020",
	    "Jan 2 2020",
	    "January 2, 2020",
	    "Jan 2, 2020 10:30",
	    "2 jan 2020 5pm",
	    "2020-01-02 5:30 pm",
	    "2020-01-02 12:00 am",
	    "2020-03-29 02:30:00 UTC",
	    "2020-03-08 12:00 1 day ago",
	    "2020-03-09 12:00 1 day ago",
	    "2020-07-02 03:04:05",
	    "2020-03-08 12:00 +1 day",
	    "2020-03-29 01:00 +3 hours",
	    "2020-01-31 +1 month",
	    "2020-01-02 yesterday",
	    "2020-01-02 tomorrow",
	    "2020-01-02 last week",
	    "2020-01-02 next month",
	    "2020-01-02 2 fortnights ago",
	    "2020-01-02 10:00 90 minutes ago",
	    "2020-01-02 10:00 45 sec ago",
	    "2020-01-02 10:00 +1",
	    "2020-01-02 10:00 -5",
	    "2020-01-02 10:00 +0130",
	    "2020-01-02 10:00 +123",
	    "2020-01-02 10:00Z +1 day",
	    "2020-02-29",
	    "1970-01-01 00:00:00 UTC",
	    "1969-12-31 23:59:59 UTC",
	    "2038-01-19 03:14:08 UTC",
	    "2100-02-28 12:00",
	    "  2020-01-02  ",
	};
	static const char *const fuzzy[] = {
	    "now",         "today",   "yesterday",   "tomorrow",    "1 day ago",
	    "2 hours ago", "+1 week", "last year",   "next friday", "friday",
	    "10:30",       "5pm",     "this monday",
	};

	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
			struct timespec want, got = {0, 0}, now = {1e9, 0};
			int rc = sk_parse_date(exact[i], &now, &got);
			CHECK(gnu_date(exact[i], &want));
			if (rc != 0 || want.tv_sec != got.tv_sec ||
			    want.tv_nsec != got.tv_nsec)
				printf("# TZ=%s '%s': GNU %lld.%09ld, ours "
				       "%lld.%09ld "
				       "(rc %d)\n",
				       zones[z], exact[i],
				       (long long)want.tv_sec, want.tv_nsec,
				       (long long)got.tv_sec, got.tv_nsec, rc);
			CHECK_EQ(rc, 0);
			CHECK_EQ(got.tv_sec, want.tv_sec);
			CHECK_EQ(got.tv_nsec, want.tv_nsec);
		}
		for (size_t i = 0; i < sizeof fuzzy / sizeof fuzzy[0]; i++) {
			struct timespec want, got = {0, 0};
			int rc = sk_parse_date(fuzzy[i], NULL, &got);
			long long d;
			CHECK(gnu_date(fuzzy[i], &want));
			d = (long long)want.tv_sec - (long long)got.tv_sec;
			if (rc != 0 || d < -5 || d > 5)
				printf("# TZ=%s '%s': GNU %lld, ours %lld\n",
				       zones[z], fuzzy[i],
				       (long long)want.tv_sec,
				       (long long)got.tv_sec);
			CHECK_EQ(rc, 0);
			CHECK(d >= -5 && d <= 5);
		}
	}
	unsetenv("TZ");
	tzset();
}

static void
epoch_seconds_take_a_sign_and_a_fraction(void)
{
	static const struct {
		const char *text;
		long long s;
		long ns;
	} ok[] = {
	    {"@0", 0, 0},
	    {"@1700000000", 1700000000, 0},
	    {"@1.5", 1, 500000000},
	    {"@-1", -1, 0},
	    {"@-1.25", -2, 750000000},
	    {"@+7", 7, 0},
	    {"@12.0000000019", 12, 1},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct timespec t;
		CHECK_EQ(sk_parse_date(ok[i].text, NULL, &t), 0);
		CHECK_EQ(t.tv_sec, ok[i].s);
		CHECK_EQ(t.tv_nsec, ok[i].ns);
	}
}

static void
impossible_and_malformed_dates_are_refused(void)
{
	static const char *const range[] = {
	    "2020-02-30",
	    "2019-02-29",
	    "2020-04-31",
	    "2020-00-10",
	    "2020-01-00",
	    "2020-13-01",
	    "2020-01-02 25:00",
	    "2020-01-02 10:60",
	    "2020-01-02 24:00",
	    "2020-01-02 13:00 pm",
	    "@99999999999999999999999",
	};
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "2020-01-",
	    "2020-01-02T",
	    "@",
	    "@1x",
	    "1 blah",
	    "10:",
	    "2020-01-02 03:04:05 +12345",
	    "12:00:00:00",
	    "ago",
	    "Foo 2 2020",
	    "2020-01-02 10:00 -45 sec",
	    "2020-01-02 10:00 +12345",
	};
	struct timespec t;

	for (size_t i = 0; i < sizeof range / sizeof range[0]; i++) {
		errno = 0;
		if (sk_parse_date(range[i], NULL, &t) != -1 || errno != ERANGE)
			printf("# '%s' not refused with ERANGE (%d)\n",
			       range[i], errno);
		CHECK_EQ(sk_parse_date(range[i], NULL, &t), -1);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK_EQ(sk_parse_date(bad[i], NULL, &t), -1);
		if (errno != EINVAL)
			printf("# '%s': errno %d\n", bad[i], errno);
		CHECK_EQ(errno, EINVAL);
	}
	CHECK_EQ(sk_parse_date(NULL, NULL, &t), -1);
}

static void
a_leading_slash_or_dot_names_a_reference_file(void)
{
	char path[64], rel[128];
	struct timespec t, m = {1234567890, 123456789};
	struct timespec times[2] = {m, m};
	int fd;

	snprintf(path, sizeof path, "/tmp/sk-date.%d", (int)getpid());
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(futimens(fd, times), 0);
	close(fd);
	CHECK_EQ(sk_parse_date_or_file(path, 1, &t), 0);
	CHECK_EQ(t.tv_sec, m.tv_sec);
	CHECK_EQ(t.tv_nsec, m.tv_nsec);
	snprintf(rel, sizeof rel, "./../../../../../..%s", path);
	CHECK_EQ(sk_parse_date_or_file(rel, 1, &t), 0);
	CHECK_EQ(t.tv_sec, m.tv_sec);
	unlink(path);
	errno = 0;
	CHECK_EQ(sk_parse_date_or_file(path, 1, &t), -1);
	CHECK_EQ(errno, ENOENT);
	/* Anything else is a date, even when a file of that name exists. */
	CHECK_EQ(sk_parse_date_or_file("@5", 1, &t), 0);
	CHECK_EQ(t.tv_sec, 5);
}

T_CASES(T(dates_equal_gnu_dates_in_four_time_zones),
        T(epoch_seconds_take_a_sign_and_a_fraction),
        T(impossible_and_malformed_dates_are_refused),
        T(a_leading_slash_or_dot_names_a_reference_file))
