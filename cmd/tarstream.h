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
	const char **excludes;
	size_t nexcludes;
};

/* tarstream_opts.c */
/* Parses the options into ts, or exits 2 (or 0 for --help, --version). */
void ts_parse(struct ts *ts, int argc, char *argv[]);
/* Appends an operand (dir "" ), a -C (path NULL) or a -T (dir NULL). */
void ts_add_item(struct ts *ts, const char *dir, const char *path);
/* Reads names from path, one per line or NUL-terminated (delim); calls
 * fn for each (the strings stay allocated for the run).  An error names
 * the option (opt) and the file, and exits 2. */
void ts_read_names(struct ts *ts, const char *opt, const char *path, int delim,
                   void (*fn)(struct ts *, const char *));

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
void ts_compress_settle(struct sk_tar_options *opt, const char *file);

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
/* The last progress line, and --totals in GNU tar's words. */
void ts_show_end(struct ts *ts, uint64_t length);
/* Prints a name as GNU tar quotes it (control characters escaped). */
void ts_print_name(FILE *f, const char *name);

#endif
