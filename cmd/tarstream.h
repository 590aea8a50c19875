/*
 * tarstream.h - what tarstream's parts share: the configuration its
 * options make (tarstream_opts.c), and the listing, progress line and
 * warnings it shows (tarstream_show.c); tarstream.c runs it.
 */
#ifndef SK_CMD_TARSTREAM_H
#define SK_CMD_TARSTREAM_H

#include <stdio.h>

#include "streamkit.h"

/* GNU tar's exit statuses: complete; complete, but files changed while
 * read; fatal, usage errors, and files that could not be stored. */
#define EXIT_WARNED 1
#define EXIT_FATAL  2

/* Operands, -C and -T in the order given: a path has dir "", a -C has
 * no path, a -T has no dir (path is its list file). */
struct ts_item {
	const char *dir, *path;
};

struct ts {
	struct sk_tar_options opt;
	const char *file; /* -f: NULL or "-" for standard output */
	int verbose;      /* -v: 1 names, 2 (-vv) long listing */
	int totals;
	int null_names; /* -T lists end names with NUL */
	int progress;   /* draw the progress line */
	struct ts_item *items;
	size_t nitems;
	/* GNU tar's selection, names and manifest (tarstream_gnu.c). */
	struct ts_gnu {
		sk_exclude *exclude;
		int xflags; /* SK_EXCL_* for the patterns given next */
		sk_xform *transform;
		const char *snapshot_path; /* -g FILE */
		int snapshot_flags;        /* SK_TAR_SNAP_* */
		sk_tar_snapshot *snapshot;
		const char *manifest_path;
		FILE *manifest;
		int newer_given;
	} gnu;
};

/* tarstream_opts.c */
/* Parses the options into ts, or exits 2 (or 0 for --help, --version). */
void ts_parse(struct ts *ts, int argc, char *argv[]);
/* Appends an operand (dir "" ), a -C (path NULL) or a -T (dir NULL). */
void ts_add_item(struct ts *ts, const char *dir, const char *path);
/* Reads names from path, one per line or NUL-terminated (delim); calls
 * fn for each with a copy that fn owns.  An error names
 * the option (opt) and the file, and exits 2. */
void ts_read_names(struct ts *ts, const char *opt, const char *path, int delim,
                   void (*fn)(struct ts *, char *));

/* tarstream_compress.c: the compression options, settled after all are
 * read (GNU tar's -a may pick the compressor from -f's name). */
/* -z, -j, -J, --zstd, --lz4: one compressor; another one is a usage
 * error. */
void ts_compress_option(int method);
/* --compress NAME. */
void ts_compress_named(const char *name);
/* -a. */
void ts_compress_auto(void);
/* --level TEXT, checked once the compressor is known. */
void ts_compress_level(const char *text);
/* Sets opt->compress and opt->level from the options and file (-f), or
 * exits 2. */
/* --format as given: zip takes no compressor and levels 0-9. */
void ts_compress_format(int format);
/* The compressor and level, and the format -a picks (a .zip suffix). */
void ts_compress_settle(struct sk_tar_options *opt, const char *file);

/* tarstream_gnu.c: GNU tar's --exclude family, --transform, --newer,
 * -g and --manifest, as a block of options of their own. */
enum {
	TS_GNU_FIRST = 512,
	TS_ANCHORED = TS_GNU_FIRST,
	TS_NO_ANCHORED,
	TS_WILDCARDS,
	TS_NO_WILDCARDS,
	TS_WILDCARDS_MATCH_SLASH,
	TS_NO_WILDCARDS_MATCH_SLASH,
	TS_IGNORE_CASE,
	TS_NO_IGNORE_CASE,
	TS_EXCLUDE_BACKUPS,
	TS_EXCLUDE_CACHES,
	TS_EXCLUDE_CACHES_UNDER,
	TS_EXCLUDE_CACHES_ALL,
	TS_EXCLUDE_TAG,
	TS_EXCLUDE_TAG_UNDER,
	TS_EXCLUDE_TAG_ALL,
	TS_EXCLUDE_IGNORE,
	TS_EXCLUDE_IGNORE_RECURSIVE,
	TS_EXCLUDE_VCS_IGNORES,
	TS_TRANSFORM,
	TS_NEWER,
	TS_NEWER_MTIME,
	TS_INCREMENTAL,
	TS_DUMP_LEVEL,
	TS_CHECK_DEVICE,
	TS_NO_CHECK_DEVICE,
	TS_MANIFEST
};
/* The getopt_long entries of the block, to splice into the table. */
#define TS_GNU_LONGOPTS                                                        \
	{"after-date", required_argument, NULL, TS_NEWER},                     \
	    {"anchored", no_argument, NULL, TS_ANCHORED},                      \
	    {"check-device", no_argument, NULL, TS_CHECK_DEVICE},              \
	    {"dump-level", required_argument, NULL, TS_DUMP_LEVEL},            \
	    {"exclude-backups", no_argument, NULL, TS_EXCLUDE_BACKUPS},        \
	    {"exclude-caches", no_argument, NULL, TS_EXCLUDE_CACHES},          \
	    {"exclude-caches-all", no_argument, NULL, TS_EXCLUDE_CACHES_ALL},  \
	    {"exclude-caches-under", no_argument, NULL,                        \
	     TS_EXCLUDE_CACHES_UNDER},                                         \
	    {"exclude-ignore", required_argument, NULL, TS_EXCLUDE_IGNORE},    \
	    {"exclude-ignore-recursive", required_argument, NULL,              \
	     TS_EXCLUDE_IGNORE_RECURSIVE},                                     \
	    {"exclude-tag", required_argument, NULL, TS_EXCLUDE_TAG},          \
	    {"exclude-tag-all", required_argument, NULL, TS_EXCLUDE_TAG_ALL},  \
	    {"exclude-tag-under", required_argument, NULL,                     \
	     TS_EXCLUDE_TAG_UNDER},                                            \
	    {"exclude-vcs-ignores", no_argument, NULL,                         \
	     TS_EXCLUDE_VCS_IGNORES},                                          \
	    {"ignore-case", no_argument, NULL, TS_IGNORE_CASE},                \
	    {"listed-incremental", required_argument, NULL, 'g'},              \
	    {"manifest", required_argument, NULL, TS_MANIFEST},                \
	    {"newer", required_argument, NULL, 'N'},                           \
	    {"newer-mtime", required_argument, NULL, TS_NEWER_MTIME},          \
	    {"no-anchored", no_argument, NULL, TS_NO_ANCHORED},                \
	    {"no-check-device", no_argument, NULL, TS_NO_CHECK_DEVICE},        \
	    {"no-ignore-case", no_argument, NULL, TS_NO_IGNORE_CASE},          \
	    {"no-wildcards", no_argument, NULL, TS_NO_WILDCARDS},              \
	    {"no-wildcards-match-slash", no_argument, NULL,                    \
	     TS_NO_WILDCARDS_MATCH_SLASH},                                     \
	    {"transform", required_argument, NULL, TS_TRANSFORM},              \
	    {"wildcards", no_argument, NULL, TS_WILDCARDS},                    \
	    {"wildcards-match-slash", no_argument, NULL,                       \
	     TS_WILDCARDS_MATCH_SLASH},                                        \
	{                                                                      \
		"xform", required_argument, NULL, TS_TRANSFORM                 \
	}
/* The block's lines of --help. */
void ts_gnu_usage(FILE *f);
/* Takes option c of the block (or -g, -N): 1, or 0 when c is not one. */
int ts_gnu_option(struct ts *ts, int c, const char *arg);
/* --exclude PATTERN and --exclude-vcs, with the flags in force. */
void ts_gnu_exclude(struct ts *ts, const char *pattern);
void ts_gnu_exclude_vcs(struct ts *ts);
/* After the options: their checks (usage errors) and ts->opt set. */
void ts_gnu_finish(struct ts *ts);
/* Before the archive: the snapshot read (exit 2 when it cannot be), the
 * manifest opened. */
void ts_gnu_begin(struct ts *ts);
/* After a complete archive: the manifest closed, the snapshot replaced;
 * exits 2 when either fails. */
void ts_gnu_end(struct ts *ts);

/* tarstream_show.c */
/*
 * Sets up what the program shows while the archive is made: warnings
 * (always), the listing of -v and -vv (on standard output when the
 * archive goes to a file, as GNU tar does, else on standard error), and
 * the progress line against the totals of a pre-scan (0: none).
 */
void ts_show_begin(struct ts *ts, uint64_t total_files, uint64_t total_data);
/* The archive being made, for the progress line's counts. */
void ts_show_tar(sk_tar *t);
/* The last progress line (before the archive is closed). */
void ts_show_end(void);
/* --totals in GNU tar's words, for an archive of length bytes. */
void ts_show_totals(const struct ts *ts, uint64_t length);
/* Prints a name as GNU tar quotes it (control characters escaped). */
void ts_print_name(FILE *f, const char *name);

#endif
