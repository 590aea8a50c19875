/*
 * tar_names.c - stored names and exclude matching.
 *
 * Names are stored as GNU tar stores them: the path as given, joined with
 * the components below it, with leading slashes and everything up to the
 * last ".." component removed (each removed prefix reported once), and
 * nothing else changed.  An archive so never holds an absolute name nor
 * one that climbs out of the directory it is extracted in.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "tar_impl.h"

/* Reports the removal of prefix (n bytes) the first time it is seen. */
static void
say_prefix(sk_tar *t, const char *prefix, size_t n)
{
	char msg[128];

	for (size_t i = 0; i < t->nprefixes; i++)
		if (strlen(t->prefixes[i]) == n &&
		    memcmp(t->prefixes[i], prefix, n) == 0)
			return;
	/* Remember a bounded number; past that a prefix may be said twice. */
	if (t->nprefixes < 64) {
		char **np =
		    realloc(t->prefixes, (t->nprefixes + 1) * sizeof *np);
		if (np) {
			t->prefixes = np;
			if ((np[t->nprefixes] = strndup(prefix, n)) != NULL)
				t->nprefixes++;
		}
	}
	if (n > 60)
		snprintf(msg, sizeof msg,
		         "removing leading '%.28s...%.28s' from member names",
		         prefix, prefix + n - 28);
	else
		snprintf(msg, sizeof msg,
		         "removing leading '%.*s' from member names", (int)n,
		         prefix);
	if (t->opt.warn)
		t->opt.warn(t->opt.arg, NULL, 0, msg);
}

int
sk__tar_name(sk_tar *t, const char *path)
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
		say_prefix(t, path, (size_t)(keep - path));
	if (*keep == '\0')
		keep = "."; /* the top itself: "./" once made a directory */
	n = strlen(keep);
	if (n + 1 > t->namecap) {
		size_t cap = t->namecap ? t->namecap : 256;
		char *nb;
		while (cap < n + 1)
			cap *= 2;
		if ((nb = realloc(t->name, cap)) == NULL)
			return -1;
		t->name = nb;
		t->namecap = cap;
	}
	memcpy(t->name, keep, n + 1);
	return 0;
}

int
sk__tar_excluded(const sk_tar *t, const char *name, const char *path)
{
	static const char *const vcs[] = {
	    ".git",   ".svn",       ".hg",         ".bzr",          "CVS",
	    "_darcs", ".gitignore", ".gitmodules", ".gitattributes"};

	if (t->opt.exclude_vcs)
		for (size_t i = 0; i < sizeof vcs / sizeof vcs[0]; i++)
			if (strcmp(name, vcs[i]) == 0)
				return 1;
	for (size_t i = 0; i < t->opt.nexclude; i++) {
		const char *pat = t->opt.exclude[i];
		if (strchr(pat, '/') ? fnmatch(pat, path, 0) == 0
		                     : fnmatch(pat, name, 0) == 0)
			return 1;
	}
	return 0;
}
