/*
 * tar_names.c - stored names.
 *
 * Names are stored as GNU tar stores them: the path as given, joined with
 * the components below it, with leading slashes and everything up to the
 * last ".." component removed (each removed prefix reported once), and
 * nothing else changed.  An archive so never holds an absolute name nor
 * one that climbs out of the directory it is extracted in.
 *
 * GNU tar's --transform applies to that name, then to link targets as
 * the expressions' scopes say.  Where GNU tar 1.34 stores what the
 * expressions make (an absolute name, an empty one) and leaves it to the
 * reader to strip it, the name is stored here as GNU tar reads it back:
 * stripped the same way, and not stored at all when nothing is left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tar_impl.h"

/* Reports the removal of prefix (n bytes) from what ("member names",
 * "hard link targets") the first time it is seen. */
static void
say_prefix(sk_tar *t, const char *prefix, size_t n, const char *what)
{
	char msg[160];

	if (n > 60)
		snprintf(msg, sizeof msg,
		         "removing leading '%.28s...%.28s' from %s", prefix,
		         prefix + n - 28, what);
	else
		snprintf(msg, sizeof msg, "removing leading '%.*s' from %s",
		         (int)n, prefix, what);
	for (size_t i = 0; i < t->nprefixes; i++)
		if (strcmp(t->prefixes[i], msg) == 0)
			return;
	/* Remember a bounded number; past that a prefix may be said twice. */
	if (t->nprefixes < 64) {
		char **np =
		    realloc(t->prefixes, (t->nprefixes + 1) * sizeof *np);
		if (np) {
			t->prefixes = np;
			if ((np[t->nprefixes] = strdup(msg)) != NULL)
				t->nprefixes++;
		}
	}
	if (t->opt.warn)
		t->opt.warn(t->opt.arg, NULL, 0, msg);
}

/* Room for n bytes in *buf of *cap; 0 or -1. */
static int
room(char **buf, size_t *cap, size_t n)
{
	size_t c = *cap ? *cap : 256;
	char *nb;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if ((nb = realloc(*buf, c)) == NULL)
		return -1;
	*buf = nb;
	*cap = c;
	return 0;
}

int
sk__tar_name(sk_tar *t, const char *path, int dir)
{
	const char *p, *keep = path;
	size_t n;

	/* The part after the last ".." component, then without leading
	 * slashes. */
	for (p = path; *p;) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			keep = p + 2;
		while (*p && *p != '/')
			p++;
		while (*p == '/')
			p++;
	}
	while (*keep == '/')
		keep++;
	if (keep > path && !t->dry)
		say_prefix(t, path, (size_t)(keep - path), "member names");
	if (*keep == '\0')
		keep = "."; /* the top itself: "./" once made a directory */
	n = strlen(keep);
	if (room(&t->name, &t->namecap, n + 2) < 0)
		return -1;
	memcpy(t->name, keep, n + 1);
	/* A directory's name ends with a slash, as GNU tar stores it. */
	if (dir && t->name[n - 1] != '/') {
		t->name[n] = '/';
		t->name[n + 1] = '\0';
	}
	return 0;
}

int
sk__tar_xform_name(sk_tar *t, int dir)
{
	size_t n = strlen(t->name);
	const char *keep;
	char *raw;

	if (room(&t->plain, &t->plaincap, n + 1) < 0)
		return -1;
	memcpy(t->plain, t->name, n + 1);
	/* The expressions see a directory's name without its slash. */
	if (dir && n > 1 && t->plain[n - 1] == '/')
		t->plain[n - 1] = '\0';
	if ((raw = sk__xform_raw(t->opt.transform, t->plain,
	                         SK_XFORM_REGFILE)) == NULL)
		return -1;
	keep = sk__safer_name(raw);
	if (keep > raw && !t->dry)
		say_prefix(t, raw, (size_t)(keep - raw), "member names");
	n = strlen(keep);
	if (n == 0) {
		free(raw);
		return 1;
	}
	if (room(&t->name, &t->namecap, n + 2) < 0) {
		free(raw);
		return -1;
	}
	memcpy(t->name, keep, n + 1);
	if (dir && t->name[n - 1] != '/') {
		t->name[n] = '/';
		t->name[n + 1] = '\0';
	}
	free(raw);
	return 0;
}

int
sk__tar_xform_link(sk_tar *t, const char *target, int scope, const char **out)
{
	char *raw = sk__xform_raw(t->opt.transform, target, scope);
	const char *keep;

	if (raw == NULL)
		return -1;
	free(t->xlink);
	t->xlink = raw;
	*out = raw;
	if (scope == SK_XFORM_SYMLINK)
		return 0; /* stored as made: a link may point anywhere */
	keep = sk__safer_name(raw);
	if (keep > raw) {
		say_prefix(t, raw, (size_t)(keep - raw), "hard link targets");
		memmove(raw, keep, strlen(keep) + 1);
	}
	return *raw == '\0' ? 1 : 0;
}
