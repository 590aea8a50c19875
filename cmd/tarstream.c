/*
 * tarstream - a directory as a tar stream, compressed on the fly.
 *
 * Options follow GNU tar's names where the meaning is the same.  The walk,
 * the archive and its checks are the library's (lib/tar.c); this program
 * parses, reports each warning as "tarstream: path: what", and maps the
 * outcome to GNU tar's exit statuses: 0 clean, 1 complete with warnings,
 * 2 fatal (also usage errors).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

#define EXIT_WARNED 1
#define EXIT_FATAL  2

static struct sk_tar_options opt;
static int verbose, totals, null_names, progress;
static sk_tar *tar;                      /* for the progress line */
static uint64_t total_files, total_data; /* from the pre-scan; 0: none */
static struct timespec started, drawn;

/* Operands, -C and -T in the order given: a path has dir "", a -C has
 * no path, a -T has no dir (path is its list file). */
struct item {
	const char *dir, *path;
};
static struct item *items;
static size_t nitems;

/*
 * -f FILE, when FILE is a regular file or new, is written aside and
 * renamed over FILE once the archive is complete: a run that fails or is
 * killed leaves no partial archive.  The temporary has no name where the
 * filesystem allows O_TMPFILE; otherwise the signal handler removes it.
 */
static sk_atomic *out;
static const char *volatile out_tmp;

static void
remove_tmp(void)
{
	const char *t = out_tmp;

	if (t)
		unlink(t);
}

static void
on_signal(int sig)
{
	remove_tmp();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Opens -f FILE; returns the descriptor to write the archive to. */
static int
open_output(const char *file)
{
	struct stat st;
	int fd;

	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device, a fifo: written in place, as tar does. */
		if ((fd = open(file, O_WRONLY | O_CLOEXEC)) < 0)
			err(EXIT_FATAL, "%s", file);
		return fd;
	}
	if ((out = sk_atomic_open(file, 0)) == NULL)
		err(EXIT_FATAL, "%s", file);
	if ((out_tmp = sk_atomic_tmpname(out)) != NULL) {
		atexit(remove_tmp); /* a fatal err() on the way */
		catch_signals(on_signal);
	}
	return sk_atomic_fd(out);
}

/* A fatal error: -f FILE stays as it was. */
static void
fatal(const char *what)
{
	int e = errno;

	if (out) {
		sk_atomic_abort(out);
		out = NULL;
		out_tmp = NULL;
	}
	quiet_pipe_stop(e);
	errno = e;
	err(EXIT_FATAL, "%s", what);
}

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
	    "      --format FORMAT        pax (default), ustar or gnu\n"
	    "  -z, --gzip                 compress with gzip\n"
	    "  -j, --bzip2                compress with bzip2\n"
	    "  -J, --xz                   compress with xz\n"
	    "      --zstd                 compress with zstd\n"
	    "      --compress ALGO        gzip, bzip2, xz, zstd or none\n"
	    "      --level N              compression level\n"
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
	    "  -C, --directory DIR        change to DIR for the paths after "
	    "it\n"
	    "      --one-file-system      stay in each PATH's filesystem\n"
	    "  -h, --dereference          follow symbolic links\n"
	    "      --xattrs               store extended attributes\n"
	    "      --acls                 store POSIX ACLs\n"
	    "      --reproducible         same tree, same bytes: sorted, owner "
	    "0,\n"
	    "                             mtimes clamped to SOURCE_DATE_EPOCH "
	    "or\n"
	    "                             --mtime\n"
	    "      --sort ORDER           name or none (the directory's "
	    "order)\n"
	    "      --owner NAME[:UID]     store this owner\n"
	    "      --group NAME[:GID]     store this group\n"
	    "      --numeric-owner        store no user or group names\n"
	    "      --mtime WHEN           @SECONDS or a date (YYYY-MM-DD\n"
	    "                             [HH:MM:SS], UTC) for every entry\n"
	    "  -v, --verbose              list entries on stderr\n"
	    "      --progress[=WHEN]      a progress line on stderr against a\n"
	    "                             pre-scanned total: auto (when "
	    "stderr\n"
	    "                             is a terminal, the default) or "
	    "always\n"
	    "      --totals               print the bytes written at the end\n"
	    "      --help                 show this help\n"
	    "      --version              show the version\n"
	    "\n"
	    "Exit status: 0 done, 1 the archive is complete but some files\n"
	    "changed or were skipped, 2 fatal or usage error.\n");
}

static void
on_warn(void *arg, const char *path, int e, const char *what)
{
	(void)arg;
	if (path && e)
		fprintf(stderr, "tarstream: %s: %s: %s\n", path, what,
		        strerror(e));
	else if (path)
		fprintf(stderr, "tarstream: %s: %s\n", path, what);
	else
		fprintf(stderr, "tarstream: %s\n", what);
}

static void
on_entry(void *arg, const char *name)
{
	(void)arg;
	fprintf(stderr, "%s\n", name);
}

static double
since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) +
	       (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

/* The progress line: bytes, files, rate, and against the pre-scan's
 * total a percentage and an ETA. */
static void
draw(int final)
{
	uint64_t files, data;
	double secs = since(&started), rate;
	char b1[32], b2[32], b3[32], t1[32], t2[32];

	sk_tar_counts(tar, &files, &data, NULL);
	rate = secs > 0 ? (double)data / secs : 0;
	fprintf(stderr, "\r%10s", human(b1, sizeof b1, (double)data));
	if (total_data)
		fprintf(stderr, " of %s",
		        human(b2, sizeof b2, (double)total_data));
	fprintf(stderr, "  %" PRIu64, files);
	if (total_files)
		fprintf(stderr, "/%" PRIu64, total_files);
	fprintf(stderr, " files  %s/s  %s", human(b3, sizeof b3, rate),
	        clock_text(t1, sizeof t1, secs));
	if (total_data && rate > 0 && data <= total_data)
		fprintf(stderr, "  ETA %s",
		        clock_text(t2, sizeof t2,
		                   (double)(total_data - data) / rate));
	fprintf(stderr, "\033[K%s", final ? "\n" : "");
	clock_gettime(CLOCK_MONOTONIC, &drawn);
}

static void
on_tick(void *arg)
{
	(void)arg;
	if (since(&drawn) >= 0.2)
		draw(0);
}

/* A -C: the directory dir, relative to at (the previous -C, or the
 * working directory), as a descriptor; at is closed. */
static int
change_dir(int at, const char *dir)
{
	int fd = openat(at, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		err(EXIT_FATAL, "%s", dir);
	if (at != AT_FDCWD)
		close(at);
	return fd;
}

static void
add_item(const char *dir, const char *path)
{
	struct item *n = realloc(items, (nitems + 1) * sizeof *items);

	if (n == NULL)
		err(EXIT_FATAL, "memory");
	items = n;
	items[nitems].dir = dir;
	items[nitems++].path = path;
}

/* Reads names (or patterns) from path, one per line or NUL-terminated;
 * calls fn for each (the strings stay allocated for the run). */
static void
read_names(const char *path, int delim, void (*fn)(const char *))
{
	sk_stream *s = sk_path_open(path), *b;
	const char *line;
	size_t len;
	int r;

	if (s == NULL || (b = sk_buffered_open(s, 0)) == NULL)
		err(EXIT_FATAL, "%s", path);
	while ((r = sk_readline(b, delim, 65536, &line, &len)) == 1) {
		char *copy;
		if (len > 0 && line[len - 1] == delim)
			len--;
		if (len == 0)
			continue;
		if ((copy = strndup(line, len)) == NULL)
			err(EXIT_FATAL, "memory");
		fn(copy);
	}
	if (r < 0)
		err(EXIT_FATAL, "%s", path);
	sk_close(b);
}

static void
add_path(const char *p)
{
	add_item("", p);
}

/* GNU tar's exclusion set, made at the first option that needs it. */
static sk_exclude *
exclusion(void)
{
	static sk_exclude *x;

	if (x == NULL && (x = sk_exclude_new(NULL, NULL)) == NULL)
		err(EXIT_FATAL, "memory");
	return x;
}

static void
add_exclude(const char *p)
{
	if (sk_exclude_add(exclusion(), p, SK_EXCL_DEFAULT) < 0)
		err(EXIT_FATAL, "--exclude '%s'", p);
	opt.exclude = exclusion();
}

/* NAME[:ID] for --owner and --group; numeric NAME is an id. */
static void
owner_arg(const char *text, int is_group)
{
	const char *colon = strchr(text, ':');
	char *name =
	    colon ? strndup(text, (size_t)(colon - text)) : strdup(text);
	char *end;
	long long id = -1;

	if (name == NULL)
		err(EXIT_FATAL, "memory");
	if (colon) {
		id = strtoll(colon + 1, &end, 10);
		if (*end || id < 0 || end == colon + 1)
			usage_error("invalid id in '%s'", text);
	} else if (*name >= '0' && *name <= '9') {
		id = strtoll(name, &end, 10);
		if (*end || id < 0)
			usage_error("invalid %s '%s'",
			            is_group ? "group" : "owner", text);
		free(name);
		name = NULL;
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
		opt.set_gid = 1;
		opt.gid = id;
		opt.gname = name;
	} else {
		opt.set_uid = 1;
		opt.uid = id;
		opt.uname = name;
	}
}

/* @SECONDS or YYYY-MM-DD[ HH:MM:SS] in UTC. */
static int64_t
mtime_arg(const char *text)
{
	struct tm tm = {0};
	const char *end;
	char *e;

	if (text[0] == '@') {
		long long v = strtoll(text + 1, &e, 10);
		if (*e || e == text + 1)
			usage_error("invalid --mtime '%s'", text);
		return v;
	}
	end = strptime(text, "%Y-%m-%d", &tm);
	if (end && *end)
		end = strptime(end, " %H:%M:%S", &tm);
	if (end == NULL || *end)
		usage_error("invalid --mtime '%s': @SECONDS or YYYY-MM-DD "
		            "[HH:MM:SS]",
		            text);
	return (int64_t)timegm(&tm);
}

static int
int_arg(const char *option, const char *text, int lo, int hi)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (*text == '\0' || *end || v < lo || v > hi)
		usage_error("invalid %s '%s': a number from %d to %d", option,
		            text, lo, hi);
	return (int)v;
}

int
main(int argc, char *argv[])
{
	enum {
		O_FORMAT = 256,
		O_ZSTD,
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
	    {"level", required_argument, NULL, O_LEVEL},
	    {"mtime", required_argument, NULL, O_MTIME},
	    {"null", no_argument, NULL, O_NULL},
	    {"numeric-owner", no_argument, NULL, O_NUMERIC},
	    {"one-file-system", no_argument, NULL, O_ONEFS},
	    {"owner", required_argument, NULL, O_OWNER},
	    {"progress", optional_argument, NULL, O_PROGRESS},
	    {"reproducible", no_argument, NULL, O_REPRO},
	    {"sort", required_argument, NULL, O_SORT},
	    {"io-threads", required_argument, NULL, O_IOTHREADS},
	    {"read-ahead", required_argument, NULL, O_READAHEAD},
	    {"threads", required_argument, NULL, O_THREADS},
	    {"totals", no_argument, NULL, O_TOTALS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, O_VERSION},
	    {"xattrs", no_argument, NULL, O_XATTRS},
	    {"xz", no_argument, NULL, 'J'},
	    {"zstd", no_argument, NULL, O_ZSTD},
	    {NULL, 0, NULL, 0},
	};
	const char *file = NULL, *dir = "";
	int c, fd = STDOUT_FILENO, status = 0, have_mtime = 0;
	int64_t mtime = 0;
	uint64_t written = 0;
	sk_tar *t;

	setlocale(LC_ALL, "");
	/* A file size limit (ulimit -f) is an error to report, not death. */
	signal(SIGXFSZ, SIG_IGN);
	/* '-': operands come back in order, so -C applies to what follows. */
	program_init();
	while ((c = getopt_long(argc, argv, "-b:C:f:hjJT:vX:z", longopts,
	                        NULL)) != -1) {
		switch (c) {
		case 1:
			add_item(dir, optarg);
			break;
		case 'b':
			opt.blocking =
			    int_arg("--blocking-factor", optarg, 1, 4096);
			break;
		case 'C':
			dir = optarg;
			add_item(dir, NULL);
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			opt.follow = 1;
			break;
		case 'j':
			opt.compress = SK_TAR_BZIP2;
			break;
		case 'J':
			opt.compress = SK_TAR_XZ;
			break;
		case 'T':
			/* No dir marks a -T: its names go in here, in order. */
			add_item(NULL, optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'X':
			read_names(optarg, '\n', add_exclude);
			break;
		case 'z':
			opt.compress = SK_TAR_GZIP;
			break;
		case O_ACLS:
			opt.acls = 1;
			break;
		case O_COMPRESS:
			if (strcmp(optarg, "gzip") == 0)
				opt.compress = SK_TAR_GZIP;
			else if (strcmp(optarg, "bzip2") == 0)
				opt.compress = SK_TAR_BZIP2;
			else if (strcmp(optarg, "xz") == 0)
				opt.compress = SK_TAR_XZ;
			else if (strcmp(optarg, "zstd") == 0)
				opt.compress = SK_TAR_ZSTD;
			else if (strcmp(optarg, "none") == 0)
				opt.compress = SK_TAR_PLAIN;
			else
				usage_error(
				    "invalid --compress '%s': gzip, bzip2, "
				    "xz, zstd or none",
				    optarg);
			break;
		case O_EXCLUDE:
			add_exclude(optarg);
			break;
		case O_FORMAT:
			if (strcmp(optarg, "pax") == 0 ||
			    strcmp(optarg, "posix") == 0)
				opt.format = SK_TAR_PAX;
			else if (strcmp(optarg, "ustar") == 0)
				opt.format = SK_TAR_USTAR;
			else if (strcmp(optarg, "gnu") == 0 ||
			         strcmp(optarg, "gnutar") == 0)
				opt.format = SK_TAR_GNU;
			else
				usage_error(
				    "invalid --format '%s': pax, ustar or gnu",
				    optarg);
			break;
		case O_GROUP:
			owner_arg(optarg, 1);
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		case O_LEVEL:
			opt.level = int_arg("--level", optarg, 1, 22);
			break;
		case O_MTIME:
			mtime = mtime_arg(optarg);
			have_mtime = 1;
			break;
		case O_NULL:
			null_names = 1;
			break;
		case O_NUMERIC:
			opt.numeric_owner = 1;
			break;
		case O_ONEFS:
			opt.one_file_system = 1;
			break;
		case O_OWNER:
			owner_arg(optarg, 0);
			break;
		case O_PROGRESS:
			if (optarg == NULL || strcmp(optarg, "auto") == 0)
				progress = isatty(STDERR_FILENO);
			else if (strcmp(optarg, "always") == 0)
				progress = 1;
			else
				usage_error(
				    "invalid --progress '%s': auto or always",
				    optarg);
			break;
		case O_REPRO:
			opt.reproducible = 1;
			break;
		case O_SORT:
			if (strcmp(optarg, "name") == 0)
				opt.sort = 1;
			else if (strcmp(optarg, "none") == 0)
				opt.sort = 0;
			else
				usage_error("invalid --sort '%s': name or none",
				            optarg);
			break;
		case O_THREADS:
			opt.threads = int_arg("--threads", optarg, 0, 1024);
			break;
		case O_IOTHREADS:
			opt.io_threads =
			    int_arg("--io-threads", optarg, 0, 256);
			if (opt.io_threads == 0)
				opt.io_threads = SK_TAR_NO_READAHEAD;
			break;
		case O_READAHEAD: {
			int64_t v = size_arg("--read-ahead", optarg);
			if (v < 4096 || (uint64_t)v > SIZE_MAX / 2)
				usage_error(
				    "invalid --read-ahead '%s': from 4K "
				    "up",
				    optarg);
			opt.readahead = (size_t)v;
			break;
		}
		case O_TOTALS:
			totals = 1;
			break;
		case O_VCS:
			if (sk_exclude_add_vcs(exclusion()) < 0)
				err(EXIT_FATAL, "memory");
			opt.exclude = exclusion();
			break;
		case O_VERSION:
			print_version();
			return 0;
		case O_XATTRS:
			opt.xattrs = 1;
			break;
		case O_ZSTD:
			opt.compress = SK_TAR_ZSTD;
			break;
		default:
			usage_error("unknown or incomplete option");
		}
	}
	{
		int any = 0;
		for (size_t i = 0; i < nitems; i++)
			any |= items[i].path != NULL;
		if (!any)
			usage_error(
			    "no PATH to archive (give paths, or -T FILE)");
	}
	/* Times: --mtime sets every one; --reproducible clamps them to
	 * --mtime, else to SOURCE_DATE_EPOCH when it is set. */
	if (opt.reproducible) {
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		if (!have_mtime && sde && *sde) {
			char *end;
			mtime = strtoll(sde, &end, 10);
			if (*end)
				usage_error("invalid SOURCE_DATE_EPOCH '%s'",
				            sde);
			have_mtime = 1;
		}
		if (have_mtime)
			opt.mtime_mode = SK_TAR_MTIME_CLAMP;
	} else if (have_mtime) {
		opt.mtime_mode = SK_TAR_MTIME_SET;
	}
	opt.mtime = mtime;
	opt.warn = on_warn;
	opt.entry = verbose ? on_entry : NULL;

	if (file && strcmp(file, "-") != 0) {
		fd = open_output(file);
		opt.archive_path = file;
	}
	if (progress) {
		/* The pre-scan: the same walk, nothing read.  Names from -T
		 * cannot be read twice: then there is no total. */
		int at = AT_FDCWD, from_list = 0;
		for (size_t i = 0; i < nitems; i++) {
			if (items[i].path == NULL)
				at = change_dir(at, items[i].dir);
			else if (items[i].dir == NULL)
				from_list = 1;
			else if (sk_tar_scan(at, items[i].path, &opt,
			                     &total_files, &total_data) < 0)
				err(EXIT_FATAL, "%s", items[i].path);
		}
		if (at != AT_FDCWD)
			close(at);
		if (from_list)
			total_files = total_data = 0;
		opt.tick = on_tick;
		clock_gettime(CLOCK_MONOTONIC, &started);
	}
	if ((tar = t = sk_tar_open(fd, &opt)) == NULL)
		err(EXIT_FATAL, "cannot start the archive");
	{
		/* -C takes effect where it stands, relative to the -C before
		 * it, as in GNU tar; the process never changes directory. */
		int at = AT_FDCWD;
		for (size_t i = 0; i < nitems; i++) {
			struct item *it = &items[i];
			int r = 0;
			if (it->path == NULL) { /* a -C */
				at = change_dir(at, it->dir);
				continue;
			}
			if (it->dir == NULL) { /* a -T */
				size_t first = nitems;
				read_names(it->path, null_names ? '\0' : '\n',
				           add_path);
				for (size_t j = first; j < nitems && r >= 0;
				     j++)
					r = sk_tar_add_at(t, at, items[j].path);
				nitems = first;
				it = &items[i];
			} else {
				r = sk_tar_add_at(t, at, it->path);
			}
			if (r < 0)
				fatal(file ? file : "write error");
			if (r > 0)
				status = EXIT_WARNED;
		}
		if (at != AT_FDCWD)
			close(at);
	}
	if (progress)
		draw(1);
	if (sk_tar_warned(t))
		status = EXIT_WARNED;
	if (sk_tar_close(t, &written) < 0)
		fatal(file ? file : "write error");
	if (totals)
		fprintf(stderr, "Total bytes written: %" PRIu64 " (%.1f MiB)\n",
		        written, (double)written / 1048576.0);
	if (out) {
		int r;
		hold_signals(1);
		r = sk_atomic_commit(out);
		out = NULL;
		out_tmp = NULL;
		hold_signals(0);
		if (r < 0)
			err(EXIT_FATAL, "%s", file);
	} else if (fd != STDOUT_FILENO && close(fd) < 0) {
		err(EXIT_FATAL, "%s", file);
	}
	if (status != 0)
		warnx("exiting with status %d: some files changed or were "
		      "skipped",
		      status);
	if (fd == STDOUT_FILENO)
		close_stdout();
	return status;
}
