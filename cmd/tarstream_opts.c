/*
 * tarstream_opts.c - tarstream's options, GNU tar's names and meanings
 * where they exist, into struct ts.  Every check that GNU tar makes up
 * front is made here, as a usage error (status 2): an id out of range,
 * a date that does not exist, conflicting compressors, attributes asked
 * of a format that cannot hold them.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tarstream.h"
#include "util.h"

#define SHORTOPTS "-ab:C:f:g:hjJN:T:vX:z"

/* The largest user or group id (uid_t's), as GNU tar takes it. */
#define MAX_ID 4294967295LL
/* What ustar's 7 octal digits hold. */
#define MAX_USTAR_ID 2097151LL

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tarstream [OPTIONS] PATH...\n"
	    "Write a tar archive of the PATHs (directories recursively) to "
	    "stdout.\n"
	    "\n"
	    "  -f, --file FILE            write to FILE instead (- is stdout)\n"
	    "      --format FORMAT        pax (default), ustar, gnu or zip\n"
	    "  -z, --gzip                 compress with gzip\n"
	    "  -j, --bzip2                compress with bzip2\n"
	    "  -J, --xz                   compress with xz\n"
	    "      --zstd                 compress with zstd\n"
	    "      --lz4                  compress with lz4\n"
	    "      --compress ALGO        gzip, bzip2, xz, zstd, lz4 or none\n"
	    "  -a, --auto-compress        the compressor from -f FILE's "
	    "suffix\n"
	    "      --level N              compression level: gzip, bzip2, "
	    "xz 1-9,\n"
	    "                             zstd 1-19, lz4 1-12; with -g, 0\n"
	    "                             starts a new chain (GNU tar's)\n"
	    "      --threads N            compressor threads (default: one per "
	    "core)\n"
	    "      --io-threads N         threads reading files ahead (default "
	    "8;\n"
	    "                             0: none)\n"
	    "      --read-ahead SIZE      memory for files read ahead "
	    "(default 16M)\n"
	    "  -b, --blocking-factor N    fixed records of N x 512 bytes\n"
	    "      --exclude GLOB         skip matching names (a directory "
	    "with\n"
	    "                             all below it); repeatable\n"
	    "  -X, --exclude-from FILE    patterns from FILE, one per line\n"
	    "      --exclude-vcs          skip .git, .svn, .hg, .bzr, CVS, "
	    "_darcs\n"
	    "  -T, --files-from FILE      paths from FILE, one per line (- "
	    "stdin)\n"
	    "      --null                 -T reads NUL-terminated names\n"
	    "  -C, --directory DIR        take the paths after it from DIR\n"
	    "      --one-file-system      stay in each PATH's filesystem\n"
	    "  -h, --dereference          follow symbolic links\n"
	    "      --xattrs               store extended attributes (pax)\n"
	    "      --acls                 store POSIX ACLs (pax)\n"
	    "      --reproducible         same tree, same bytes: sorted, owner "
	    "0,\n"
	    "                             mtimes clamped to SOURCE_DATE_EPOCH "
	    "or\n"
	    "                             --mtime\n"
	    "      --sort ORDER           name, inode (for spinning disks) or\n"
	    "                             none (the directory's order)\n"
	    "      --owner NAME[:UID]     store this owner\n"
	    "      --group NAME[:GID]     store this group\n"
	    "      --numeric-owner        store no user or group names\n"
	    "      --mtime WHEN           a date (@SECONDS, 2024-05-01 "
	    "12:00,\n"
	    "                             ...) or a FILE's, for every entry\n"
	    "  -v, --verbose              list entries (twice: long listing)\n"
	    "      --progress[=WHEN]      a progress line on stderr against a\n"
	    "                             pre-scanned total: auto (when "
	    "stderr\n"
	    "                             is a terminal, the default), "
	    "always\n"
	    "                             or never\n"
	    "      --totals               print the bytes written at the "
	    "end\n");
	ts_gnu_usage(f);
	fprintf(
	    f, "      --help                 show this help\n"
	       "      --version              show the version\n"
	       "\n"
	       "Exit status: 0 done, 1 the archive is complete but some files\n"
	       "changed while read, 2 some files could not be stored, a fatal\n"
	       "error or a usage error.\n");
}

void
ts_add_item(struct ts *ts, const char *dir, const char *path)
{
	struct ts_item *n =
	    realloc(ts->items, (ts->nitems + 1) * sizeof *ts->items);

	if (n == NULL)
		err(EXIT_FATAL, "memory");
	ts->items = n;
	ts->items[ts->nitems].dir = dir;
	ts->items[ts->nitems++].path = path;
}

void
ts_read_names(struct ts *ts, const char *opt, const char *path, int delim,
              void (*fn)(struct ts *, char *))
{
	sk_stream *s = sk_path_open(path), *b;
	const char *line;
	size_t len;
	int r;

	if (s == NULL || (b = sk_buffered_open(s, 0)) == NULL)
		err(EXIT_FATAL, "%s '%s'", opt, path);
	while ((r = sk_readline(b, delim, 65536, &line, &len)) == 1) {
		char *copy;
		if (len > 0 && line[len - 1] == delim)
			len--;
		if (len == 0)
			continue;
		if ((copy = strndup(line, len)) == NULL)
			err(EXIT_FATAL, "memory");
		fn(ts, copy);
	}
	if (r < 0)
		err(EXIT_FATAL, "%s '%s'", opt, path);
	sk_close(b);
}

/* A pattern of -X: the exclusion set keeps its own copy. */
static void
add_listed_exclude(struct ts *ts, char *p)
{
	ts_gnu_exclude(ts, p);
	free(p);
}

/* A user or group id: decimal, 0 to MAX_ID; -1 when text is not one. */
static long long
id_of(const char *text)
{
	char *end;
	long long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end || errno == ERANGE || v > MAX_ID)
		return -2;
	return v;
}

/* NAME[:ID] for --owner and --group; a number alone is an id. */
static void
owner_arg(struct ts *ts, const char *option, const char *text, int is_group)
{
	const char *colon = strchr(text, ':');
	char *name =
	    colon ? strndup(text, (size_t)(colon - text)) : strdup(text);
	long long id;

	if (name == NULL)
		err(EXIT_FATAL, "memory");
	if (colon) {
		if ((id = id_of(colon + 1)) < 0)
			usage_error("invalid id in %s '%s': a number from 0 to "
			            "%lld",
			            option, text, MAX_ID);
	} else if ((id = id_of(name)) >= 0) {
		free(name);
		name = NULL;
	} else if (id == -2) {
		usage_error("invalid %s '%s': ids are 0 to %lld", option, text,
		            MAX_ID);
	} else if (is_group) {
		struct group *g = getgrnam(name);
		if (g == NULL)
			usage_error("unknown group '%s'", name);
		id = g->gr_gid;
	} else {
		struct passwd *pw = getpwnam(name);
		if (pw == NULL)
			usage_error("unknown owner '%s'", name);
		id = pw->pw_uid;
	}
	if (is_group) {
		ts->opt.set_gid = 1;
		ts->opt.gid = id;
		ts->opt.gname = name;
	} else {
		ts->opt.set_uid = 1;
		ts->opt.uid = id;
		ts->opt.uname = name;
	}
}

/* --mtime: GNU tar's date forms, or a file's name (its mtime). */
static int64_t
mtime_arg(const char *text)
{
	struct timespec ts;

	if (sk_parse_date_or_file(text, 1, &ts) < 0) {
		if (*text == '/' || *text == '.')
			usage_error("--mtime '%s': %s", text, strerror(errno));
		usage_error("invalid --mtime '%s': %s", text,
		            errno == ERANGE ? "no such date or time"
		                            : "not a date (@SECONDS, "
		                              "2024-05-01, 2024-05-01 12:00, "
		                              "...)");
	}
	return (int64_t)ts.tv_sec;
}

/* Times: --mtime sets every one; --reproducible clamps them to --mtime,
 * else to SOURCE_DATE_EPOCH when it is set. */
static void
times(struct ts *ts, int have_mtime, int64_t mtime)
{
	if (ts->opt.reproducible) {
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		if (!have_mtime && sde && *sde) {
			char *end;
			errno = 0;
			mtime = strtoll(sde, &end, 10);
			if (*end || errno)
				usage_error("invalid SOURCE_DATE_EPOCH '%s'",
				            sde);
			have_mtime = 1;
		}
		if (have_mtime)
			ts->opt.mtime_mode = SK_TAR_MTIME_CLAMP;
	} else if (have_mtime) {
		ts->opt.mtime_mode = SK_TAR_MTIME_SET;
	}
	ts->opt.mtime = mtime;
}

/* What GNU tar refuses before it starts. */
static void
consistent(struct ts *ts)
{
	int any = 0;

	for (size_t i = 0; i < ts->nitems; i++)
		any |= ts->items[i].path != NULL;
	if (!any)
		usage_error("no PATH to archive (give paths, or -T FILE)");
	if (ts->opt.format == SK_TAR_USTAR) {
		if (ts->opt.xattrs || ts->opt.acls)
			usage_error("--%s needs --format=pax: ustar cannot "
			            "hold them",
			            ts->opt.xattrs ? "xattrs" : "acls");
		if ((ts->opt.set_uid && ts->opt.uid > MAX_USTAR_ID) ||
		    (ts->opt.set_gid && ts->opt.gid > MAX_USTAR_ID))
			usage_error("--owner or --group id over %lld does not "
			            "fit --format=ustar",
			            MAX_USTAR_ID);
		if (ts->opt.mtime_mode && ts->opt.mtime < 0)
			usage_error("--mtime before 1970 is too old for "
			            "--format=ustar");
	}
	if ((ts->opt.format == SK_TAR_GNU || ts->opt.format == SK_TAR_ZIP) &&
	    (ts->opt.xattrs || ts->opt.acls))
		usage_error("--%s needs --format=pax",
		            ts->opt.xattrs ? "xattrs" : "acls");
	if (ts->opt.format == SK_TAR_ZIP && ts->opt.blocking)
		usage_error("--blocking-factor is for tar: a zip has no "
		            "records");
}

void
ts_parse(struct ts *ts, int argc, char *argv[])
{
	enum {
		O_FORMAT = 256,
		O_ZSTD,
		O_LZ4,
		O_COMPRESS,
		O_LEVEL,
		O_THREADS,
		O_IOTHREADS,
		O_READAHEAD,
		O_EXCLUDE,
		O_VCS,
		O_NULL,
		O_ONEFS,
		O_XATTRS,
		O_ACLS,
		O_REPRO,
		O_SORT,
		O_OWNER,
		O_GROUP,
		O_NUMERIC,
		O_MTIME,
		O_TOTALS,
		O_HELP,
		O_VERSION,
		O_PROGRESS
	};
	static const struct option longopts[] = {
	    {"acls", no_argument, NULL, O_ACLS},
	    {"auto-compress", no_argument, NULL, 'a'},
	    {"blocking-factor", required_argument, NULL, 'b'},
	    {"bzip2", no_argument, NULL, 'j'},
	    {"compress", required_argument, NULL, O_COMPRESS},
	    {"dereference", no_argument, NULL, 'h'},
	    {"directory", required_argument, NULL, 'C'},
	    {"exclude", required_argument, NULL, O_EXCLUDE},
	    {"exclude-from", required_argument, NULL, 'X'},
	    {"exclude-vcs", no_argument, NULL, O_VCS},
	    {"file", required_argument, NULL, 'f'},
	    {"files-from", required_argument, NULL, 'T'},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"group", required_argument, NULL, O_GROUP},
	    {"gzip", no_argument, NULL, 'z'},
	    {"help", no_argument, NULL, O_HELP},
	    {"io-threads", required_argument, NULL, O_IOTHREADS},
	    {"level", required_argument, NULL, O_LEVEL},
	    {"lz4", no_argument, NULL, O_LZ4},
	    {"mtime", required_argument, NULL, O_MTIME},
	    {"null", no_argument, NULL, O_NULL},
	    {"numeric-owner", no_argument, NULL, O_NUMERIC},
	    {"one-file-system", no_argument, NULL, O_ONEFS},
	    {"owner", required_argument, NULL, O_OWNER},
	    {"progress", optional_argument, NULL, O_PROGRESS},
	    {"read-ahead", required_argument, NULL, O_READAHEAD},
	    {"reproducible", no_argument, NULL, O_REPRO},
	    {"sort", required_argument, NULL, O_SORT},
	    {"threads", required_argument, NULL, O_THREADS},
	    {"totals", no_argument, NULL, O_TOTALS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, O_VERSION},
	    {"xattrs", no_argument, NULL, O_XATTRS},
	    {"xz", no_argument, NULL, 'J'},
	    {"zstd", no_argument, NULL, O_ZSTD},
	    TS_GNU_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	const char *dir = "";
	int c, have_mtime = 0;
	int64_t mtime = 0, v;
	const char *level0 = NULL;

	/* '-': operands come back in order, so -C applies to what follows. */
	while ((c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			ts_add_item(ts, dir, optarg);
			break;
		case 'a':
			ts_compress_auto();
			break;
		case 'b':
			ts->opt.blocking =
			    (int)int_arg("--blocking-factor", optarg, 1, 4096);
			break;
		case 'C':
			dir = optarg;
			ts_add_item(ts, dir, NULL);
			break;
		case 'f':
			ts->file = optarg;
			break;
		case 'h':
			ts->opt.follow = 1;
			break;
		case 'j':
			ts_compress_option(SK_TAR_BZIP2);
			break;
		case 'J':
			ts_compress_option(SK_TAR_XZ);
			break;
		case 'T':
			/* No dir marks a -T: its names go in here, in order. */
			ts_add_item(ts, NULL, optarg);
			break;
		case 'v':
			ts->verbose++;
			break;
		case 'X':
			ts_read_names(ts, "-X", optarg, '\n',
			              add_listed_exclude);
			break;
		case 'z':
			ts_compress_option(SK_TAR_GZIP);
			break;
		case O_ACLS:
			ts->opt.acls = 1;
			break;
		case O_COMPRESS:
			ts_compress_named(optarg);
			break;
		case O_EXCLUDE:
			ts_gnu_exclude(ts, optarg);
			break;
		case O_FORMAT:
			if (strcmp(optarg, "pax") == 0 ||
			    strcmp(optarg, "posix") == 0)
				ts->opt.format = SK_TAR_PAX;
			else if (strcmp(optarg, "ustar") == 0)
				ts->opt.format = SK_TAR_USTAR;
			else if (strcmp(optarg, "gnu") == 0 ||
			         strcmp(optarg, "gnutar") == 0)
				ts->opt.format = SK_TAR_GNU;
			else if (strcmp(optarg, "zip") == 0)
				ts->opt.format = SK_TAR_ZIP;
			else
				usage_error(
				    "invalid --format '%s': pax, ustar, "
				    "gnu or zip",
				    optarg);
			ts_compress_format(ts->opt.format);
			break;
		case O_GROUP:
			owner_arg(ts, "--group", optarg, 1);
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_IOTHREADS:
			ts->opt.io_threads =
			    (int)int_arg("--io-threads", optarg, 0, 256);
			if (ts->opt.io_threads == 0)
				ts->opt.io_threads = SK_TAR_NO_READAHEAD;
			break;
		case O_LEVEL:
			/* GNU tar's --level=0 (a new -g chain) and the
			 * compression level share the name; compression
			 * levels start at 1, so 0 is GNU tar's with -g. */
			if (strcmp(optarg, "0") == 0)
				level0 = optarg;
			else
				ts_compress_level(optarg);
			break;
		case O_MTIME:
			mtime = mtime_arg(optarg);
			have_mtime = 1;
			break;
		case O_NULL:
			ts->null_names = 1;
			break;
		case O_NUMERIC:
			ts->opt.numeric_owner = 1;
			break;
		case O_ONEFS:
			ts->opt.one_file_system = 1;
			break;
		case O_OWNER:
			owner_arg(ts, "--owner", optarg, 0);
			break;
		case O_PROGRESS:
			if (optarg == NULL || strcmp(optarg, "auto") == 0)
				ts->progress = isatty(STDERR_FILENO);
			else if (strcmp(optarg, "always") == 0)
				ts->progress = 1;
			else if (strcmp(optarg, "never") == 0)
				ts->progress = 0;
			else
				usage_error("invalid --progress '%s': auto, "
				            "always or never",
				            optarg);
			break;
		case O_READAHEAD:
			v = size_arg("--read-ahead", optarg);
			if (v < 4096 || (uint64_t)v > SIZE_MAX / 2)
				usage_error(
				    "invalid --read-ahead '%s': from 4K "
				    "up",
				    optarg);
			ts->opt.readahead = (size_t)v;
			break;
		case O_REPRO:
			ts->opt.reproducible = 1;
			break;
		case O_SORT:
			if (strcmp(optarg, "name") == 0)
				ts->opt.sort = SK_TAR_SORT_NAME;
			else if (strcmp(optarg, "inode") == 0)
				ts->opt.sort = SK_TAR_SORT_INODE;
			else if (strcmp(optarg, "none") == 0)
				ts->opt.sort = 0;
			else
				usage_error("invalid --sort '%s': name, inode "
				            "or none",
				            optarg);
			break;
		case O_THREADS:
			ts->opt.threads =
			    (int)int_arg("--threads", optarg, 0, 1024);
			break;
		case O_TOTALS:
			ts->totals = 1;
			break;
		case O_VCS:
			ts_gnu_exclude_vcs(ts);
			break;
		case O_VERSION:
			print_version();
			exit(0);
		case O_XATTRS:
			ts->opt.xattrs = 1;
			break;
		case O_ZSTD:
			ts_compress_option(SK_TAR_ZSTD);
			break;
		case O_LZ4:
			ts_compress_option(SK_TAR_LZ4);
			break;
		default:
			if (!ts_gnu_option(ts, c, optarg))
				bad_option(argv, SHORTOPTS);
		}
	}
	times(ts, have_mtime, mtime);
	if (level0 && ts->gnu.snapshot_path)
		ts_gnu_option(ts, TS_DUMP_LEVEL, level0);
	else if (level0)
		ts_compress_level(level0);
	ts_compress_settle(&ts->opt, ts->file);
	consistent(ts);
	ts_gnu_finish(ts);
}
