/*
 * tarstream_gnu.c - the options that make tarstream a backup tool the
 * way GNU tar is one: the --exclude family with GNU tar's matching rules
 * (each pattern taking the --anchored, --wildcards... given before it,
 * as GNU tar's are positional), --transform, --newer, the
 * listed-incremental snapshot (-g) and the manifest of SHA-256 digests.
 * The matching, renaming and snapshot format are the library's
 * (sk_exclude, sk_xform, sk_tar_snapshot); this file turns options into
 * them, and the snapshot and manifest files into the right outcome: both
 * are replaced only when the archive completed.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tarstream.h"
#include "util.h"

/* The manifest is written aside and renamed into place at the end. */
static sk_atomic *manifest_out;

/* Warnings of the exclusion set (an ignore file that cannot be read) go
 * where the archive's warnings go, looked up when they happen: the show
 * part sets opt.warn after the options are parsed. */
static void
exclude_warn(void *arg, const char *path, int e, const char *what)
{
	struct ts *ts = arg;

	if (ts->opt.warn)
		ts->opt.warn(ts->opt.arg, path, e, what);
}

static sk_exclude *
exclusion(struct ts *ts)
{
	if (ts->gnu.exclude == NULL) {
		if ((ts->gnu.exclude = sk_exclude_new(exclude_warn, ts)) ==
		    NULL)
			err(EXIT_FATAL, "memory");
	}
	return ts->gnu.exclude;
}

static void
check(int r, const char *what)
{
	if (r < 0)
		err(EXIT_FATAL, "%s", what);
}

void
ts_gnu_exclude(struct ts *ts, const char *pattern)
{
	if (ts->gnu.xflags == 0)
		ts->gnu.xflags = SK_EXCL_DEFAULT;
	if (sk_exclude_add(exclusion(ts), pattern, ts->gnu.xflags) < 0)
		err(EXIT_FATAL, "--exclude '%s'", pattern);
}

void
ts_gnu_exclude_vcs(struct ts *ts)
{
	check(sk_exclude_add_vcs(exclusion(ts)), "memory");
}

/* A pattern's flags: GNU tar's --anchored and the rest apply to the
 * patterns given after them. */
static void
flag(struct ts *ts, int bit, int on)
{
	if (on)
		ts->gnu.xflags |= bit;
	else
		ts->gnu.xflags &= ~bit;
}

/* -N, --after-date, --newer-mtime: GNU tar's date forms, or a file's
 * name meaning its modification time. */
static void
newer(struct ts *ts, const char *option, const char *text, int mode)
{
	if (ts->gnu.newer_given)
		usage_error("only one of -N, --newer, --after-date and "
		            "--newer-mtime may be given");
	if (sk_parse_date_or_file(text, 1, &ts->opt.newer) < 0) {
		if (*text == '/' || *text == '.')
			usage_error("%s '%s': %s", option, text,
			            strerror(errno));
		usage_error("invalid %s '%s': %s", option, text,
		            errno == ERANGE ? "no such date or time"
		                            : "not a date (@SECONDS, "
		                              "2024-05-01, 2024-05-01 12:00, "
		                              "...) nor a file");
	}
	ts->opt.newer_mode = mode;
	ts->gnu.newer_given = 1;
}

static void
transform(struct ts *ts, const char *expr)
{
	char why[256];

	if (ts->gnu.transform == NULL &&
	    (ts->gnu.transform = sk_xform_new()) == NULL)
		err(EXIT_FATAL, "memory");
	if (sk_xform_add(ts->gnu.transform, expr, why, sizeof why) < 0) {
		if (errno != EINVAL)
			err(EXIT_FATAL, "memory");
		usage_error("invalid --transform '%s': %s", expr, why);
	}
}

int
ts_gnu_option(struct ts *ts, int c, const char *arg)
{
	static const char cachedir[] = "CACHEDIR.TAG";
	static const int cache = SK_EXCL_TAG_CACHEDIR;

	if (ts->gnu.xflags == 0)
		ts->gnu.xflags = SK_EXCL_DEFAULT;
	switch (c) {
	case 'g':
		ts->gnu.snapshot_path = arg;
		return 1;
	case 'N':
		newer(ts, "--newer", arg, SK_TAR_NEWER);
		return 1;
	case TS_ANCHORED:
	case TS_NO_ANCHORED:
		flag(ts, SK_EXCL_ANCHORED, c == TS_ANCHORED);
		return 1;
	case TS_WILDCARDS:
	case TS_NO_WILDCARDS:
		flag(ts, SK_EXCL_WILDCARDS, c == TS_WILDCARDS);
		return 1;
	case TS_WILDCARDS_MATCH_SLASH:
	case TS_NO_WILDCARDS_MATCH_SLASH:
		flag(ts, SK_EXCL_NOSLASH, c == TS_NO_WILDCARDS_MATCH_SLASH);
		return 1;
	case TS_IGNORE_CASE:
	case TS_NO_IGNORE_CASE:
		flag(ts, SK_EXCL_CASEFOLD, c == TS_IGNORE_CASE);
		return 1;
	case TS_EXCLUDE_BACKUPS:
		check(sk_exclude_add_backups(exclusion(ts)), "memory");
		return 1;
	case TS_EXCLUDE_CACHES:
	case TS_EXCLUDE_CACHES_UNDER:
	case TS_EXCLUDE_CACHES_ALL:
		check(sk_exclude_add_tag(exclusion(ts), cachedir,
		                         cache | (c == TS_EXCLUDE_CACHES
		                                      ? SK_EXCL_TAG_CONTENTS
		                                  : c == TS_EXCLUDE_CACHES_UNDER
		                                      ? SK_EXCL_TAG_UNDER
		                                      : SK_EXCL_TAG_ALL)),
		      "memory");
		return 1;
	case TS_EXCLUDE_TAG:
	case TS_EXCLUDE_TAG_UNDER:
	case TS_EXCLUDE_TAG_ALL:
		check(sk_exclude_add_tag(
		          exclusion(ts), arg,
		          c == TS_EXCLUDE_TAG         ? SK_EXCL_TAG_CONTENTS
		          : c == TS_EXCLUDE_TAG_UNDER ? SK_EXCL_TAG_UNDER
		                                      : SK_EXCL_TAG_ALL),
		      arg);
		return 1;
	case TS_EXCLUDE_IGNORE:
	case TS_EXCLUDE_IGNORE_RECURSIVE:
		check(sk_exclude_add_ignore(exclusion(ts), arg,
		                            c == TS_EXCLUDE_IGNORE
		                                ? SK_EXCL_IGNORE_DIR
		                                : SK_EXCL_IGNORE_RECURSIVE),
		      arg);
		return 1;
	case TS_EXCLUDE_VCS_IGNORES:
		check(sk_exclude_add_vcs_ignores(exclusion(ts)), "memory");
		return 1;
	case TS_TRANSFORM:
		transform(ts, arg);
		return 1;
	case TS_NEWER:
		newer(ts, "--after-date", arg, SK_TAR_NEWER);
		return 1;
	case TS_NEWER_MTIME:
		newer(ts, "--newer-mtime", arg, SK_TAR_NEWER_MTIME);
		return 1;
	case TS_DUMP_LEVEL:
		/* GNU tar's --level: only 0 means anything (a new chain). */
		if (int_arg("--dump-level", arg, 0, 0) == 0)
			ts->gnu.snapshot_flags |= SK_TAR_SNAP_LEVEL0;
		return 1;
	case TS_CHECK_DEVICE:
		ts->gnu.snapshot_flags &= ~SK_TAR_SNAP_NO_CHECK_DEVICE;
		return 1;
	case TS_NO_CHECK_DEVICE:
		ts->gnu.snapshot_flags |= SK_TAR_SNAP_NO_CHECK_DEVICE;
		return 1;
	case TS_MANIFEST:
		if (*arg == '\0')
			usage_error("invalid --manifest '': a file name");
		ts->gnu.manifest_path = arg;
		return 1;
	}
	return 0;
}

void
ts_gnu_finish(struct ts *ts)
{
	ts->opt.exclude = ts->gnu.exclude;
	if (!sk_xform_empty(ts->gnu.transform))
		ts->opt.transform = ts->gnu.transform;
	if (ts->gnu.snapshot_path == NULL) {
		if (ts->gnu.snapshot_flags & SK_TAR_SNAP_LEVEL0)
			usage_error("a new chain (--level=0, --dump-level=0) "
			            "needs -g (--listed-incremental)");
		return;
	}
	if (ts->gnu.newer_given)
		usage_error("-g (--listed-incremental) and --newer cannot be "
		            "given together");
	if (ts->opt.format == SK_TAR_USTAR || ts->opt.format == SK_TAR_ZIP)
		usage_error("-g (--listed-incremental) needs --format=gnu or "
		            "pax: %s cannot hold its directory entries",
		            ts->opt.format == SK_TAR_ZIP ? "zip" : "ustar");
}

static void
on_manifest(void *arg, const char *line, size_t len)
{
	(void)arg;
	if (sk_write_all(sk_atomic_fd(manifest_out), line, len) < 0 &&
	    errno != EPIPE)
		err(EXIT_FATAL, "--manifest %s", "write error");
}

void
ts_gnu_begin(struct ts *ts)
{
	if (ts->gnu.snapshot_path) {
		char why[256] = "";
		const char *p = ts->gnu.snapshot_path;
		ts->gnu.snapshot = sk_tar_snapshot_open(
		    p, ts->gnu.snapshot_flags, why, sizeof why);
		if (ts->gnu.snapshot == NULL) {
			if (errno == EINVAL && *why)
				errx(EXIT_FATAL, "%s: %s", p, why);
			err(EXIT_FATAL, "%s", *p ? p : "''");
		}
		ts->opt.snapshot = ts->gnu.snapshot;
	}
	if (ts->gnu.manifest_path) {
		manifest_out = sk_atomic_open(ts->gnu.manifest_path, 0);
		if (manifest_out == NULL)
			err(EXIT_FATAL, "%s", ts->gnu.manifest_path);
		ts->opt.manifest = on_manifest;
	}
}

void
ts_gnu_end(struct ts *ts)
{
	if (manifest_out) {
		sk_atomic *m = manifest_out;
		manifest_out = NULL;
		if (sk_atomic_commit(m) < 0)
			err(EXIT_FATAL, "%s", ts->gnu.manifest_path);
	}
	if (ts->gnu.snapshot) {
		sk_tar_snapshot *s = ts->gnu.snapshot;
		ts->gnu.snapshot = NULL;
		if (sk_tar_snapshot_commit(s) < 0)
			err(EXIT_FATAL, "%s", ts->gnu.snapshot_path);
	}
	sk_xform_free(ts->gnu.transform);
	sk_exclude_free(ts->gnu.exclude);
}

void
ts_gnu_usage(FILE *f)
{
	fprintf(f,
	        "GNU tar's selection (patterns take the --anchored, "
	        "--wildcards,\n"
	        "--wildcards-match-slash and --ignore-case given before "
	        "them):\n"
	        "      --anchored             patterns match from the name's "
	        "start\n"
	        "      --no-anchored          ...or after any '/' (default)\n"
	        "      --wildcards            * ? [...] are wildcards "
	        "(default)\n"
	        "      --no-wildcards         patterns are literal strings\n"
	        "      --wildcards-match-slash  wildcards match '/' "
	        "(default)\n"
	        "      --no-wildcards-match-slash  ...or do not\n"
	        "      --ignore-case          patterns ignore case\n"
	        "      --no-ignore-case       ...or do not (default)\n"
	        "      --exclude-backups      skip backup files (*~, #*#, "
	        ".#*)\n"
	        "      --exclude-caches       skip what is in a directory with "
	        "a\n"
	        "                             CACHEDIR.TAG (its tag kept)\n"
	        "      --exclude-caches-under skip all below it, keep the "
	        "directory\n"
	        "      --exclude-caches-all   skip the directory too\n"
	        "      --exclude-tag FILE     as --exclude-caches, tag FILE\n"
	        "      --exclude-tag-under FILE  as --exclude-caches-under\n"
	        "      --exclude-tag-all FILE as --exclude-caches-all\n"
	        "      --exclude-ignore FILE  patterns from FILE in each "
	        "directory\n"
	        "      --exclude-ignore-recursive FILE  ...and below it\n"
	        "      --exclude-vcs-ignores  patterns from .gitignore, "
	        ".cvsignore,\n"
	        "                             .bzrignore and .hgignore\n"
	        "      --transform, --xform EXPR  rename members: "
	        "s/REGEX/REPL/FLAGS\n"
	        "  -N, --newer, --after-date DATE  only files whose mtime or "
	        "ctime\n"
	        "                             is DATE or later (a FILE: its "
	        "mtime)\n"
	        "      --newer-mtime DATE     only files modified since DATE\n"
	        "  -g, --listed-incremental FILE  an incremental dump against "
	        "the\n"
	        "                             snapshot FILE (GNU tar's "
	        "format)\n"
	        "      --dump-level 0         start a new chain (GNU tar's "
	        "--level=0)\n"
	        "      --no-check-device      a directory's device number may "
	        "change\n"
	        "      --check-device         ...or not (default)\n"
	        "      --manifest FILE        the SHA-256 of every file as "
	        "stored, in\n"
	        "                             sha256sum -c's format\n");
}
