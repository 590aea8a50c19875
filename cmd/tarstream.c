/*
 * tarstream - a directory as a tar stream, compressed on the fly.
 *
 * Options follow GNU tar's names where the meaning is the same
 * (tarstream_opts.c).  The walk, the archive and its checks are the
 * library's (lib/tar*.c); this program opens the output, runs the paths
 * in the order given (-C as directory descriptors: the process never
 * changes directory), shows what happens (tarstream_show.c), and maps the
 * outcome to GNU tar's exit statuses: 0 clean, 1 complete but files
 * changed while read, 2 files could not be stored, or fatal (also usage
 * errors).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tarstream.h"
#include "util.h"

static struct ts ts;

/*
 * -f FILE is written through sk_atomic: a regular file (or a new one) is
 * written aside and renamed over FILE once the archive is complete, so a
 * run that fails or is killed leaves no partial archive; a device or a
 * FIFO is written in place.  The aside file has no name where the file
 * system allows O_TMPFILE; otherwise the signal handler removes it.
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
	if ((out = sk_atomic_open(file, 0)) == NULL)
		err(EXIT_FATAL, "%s", *file ? file : "''");
	if ((out_tmp = sk_atomic_tmpname(out)) != NULL) {
		atexit(remove_tmp); /* a fatal err() on the way */
		catch_signals(on_signal);
	}
	return sk_atomic_fd(out);
}

static const char write_error[] = "write error";

/* A fatal error: -f FILE stays as it was. */
static void
fatal(const char *what)
{
	int e = errno;

	/* Memory ran out (in the walk, a read-ahead thread, the compressor):
	 * not a write error, whatever the output. */
	if (e == ENOMEM && what == write_error)
		what = "archive not complete";

	if (out) {
		sk_atomic_abort(out);
		out = NULL;
		out_tmp = NULL;
	}
	quiet_pipe_stop(e);
	errno = e;
	err(EXIT_FATAL, "%s", what);
}

/* A -C: the directory dir, relative to at (the previous -C, or the
 * working directory), as a descriptor; at is closed. */
static int
change_dir(int at, const char *dir)
{
	int fd = openat(at, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		err(EXIT_FATAL, "%s", *dir ? dir : "''");
	if (at != AT_FDCWD)
		close(at);
	return fd;
}

/* The pre-scan for the progress line's totals: the same walk, nothing
 * read.  Names from -T cannot be read twice: then there is no total. */
static void
pre_scan(uint64_t *files, uint64_t *data)
{
	int at = AT_FDCWD, from_list = 0;

	for (size_t i = 0; i < ts.nitems; i++) {
		if (ts.items[i].path == NULL)
			at = change_dir(at, ts.items[i].dir);
		else if (ts.items[i].dir == NULL)
			from_list = 1;
		else if (sk_tar_scan(at, ts.items[i].path, &ts.opt, files,
		                     data) < 0)
			err(EXIT_FATAL, "%s", ts.items[i].path);
	}
	if (at != AT_FDCWD)
		close(at);
	if (from_list)
		*files = *data = 0;
}

static void
add_listed(struct ts *t, char *p)
{
	ts_add_item(t, "", p);
}

/* With -g, every path goes to the one listed-incremental dump: gathered
 * here (each with its own descriptor of its -C), added at the end. */
static struct sk_tar_path *gathered;
static size_t ngathered;

static int
add_one(sk_tar *t, int at, const char *path)
{
	struct sk_tar_path *n;

	if (ts.opt.snapshot == NULL)
		return sk_tar_add_at(t, at, path);
	if ((n = realloc(gathered, (ngathered + 1) * sizeof *n)) == NULL)
		err(EXIT_FATAL, "memory");
	gathered = n;
	n[ngathered].dirfd = at == AT_FDCWD ? AT_FDCWD : dup(at);
	if ((n[ngathered].path = strdup(path)) == NULL ||
	    n[ngathered].dirfd == -1)
		err(EXIT_FATAL, "%s", path);
	ngathered++;
	return 0;
}

static int
add_gathered(sk_tar *t)
{
	int r = ngathered ? sk_tar_add_paths(t, gathered, ngathered) : 0;

	for (size_t i = 0; i < ngathered; i++) {
		if (gathered[i].dirfd != AT_FDCWD)
			close(gathered[i].dirfd);
		free((char *)gathered[i].path);
	}
	free(gathered);
	return r;
}

/* The paths in the order given; -C takes effect where it stands,
 * relative to the -C before it, as in GNU tar. */
static void
add_all(sk_tar *t, const char *what)
{
	int at = AT_FDCWD;

	for (size_t i = 0; i < ts.nitems; i++) {
		struct ts_item *it = &ts.items[i];
		int r = 0;
		if (it->path == NULL) { /* a -C */
			at = change_dir(at, it->dir);
			continue;
		}
		if (it->dir == NULL) { /* a -T */
			size_t first = ts.nitems;
			ts_read_names(&ts, "-T", it->path,
			              ts.null_names ? '\0' : '\n', add_listed);
			for (size_t j = first; j < ts.nitems && r >= 0; j++)
				r = add_one(t, at, ts.items[j].path);
			ts.nitems = first;
		} else {
			r = add_one(t, at, it->path);
		}
		if (r < 0)
			fatal(what);
	}
	if (at != AT_FDCWD)
		close(at);
	if (add_gathered(t) < 0)
		fatal(what);
}

int
main(int argc, char *argv[])
{
	const char *what;
	uint64_t length, written, files = 0, data = 0;
	int fd = STDOUT_FILENO, status;
	sk_tar *t;

	setlocale(LC_ALL, "");
	/* A file size limit (ulimit -f) is an error to report, not death. */
	signal(SIGXFSZ, SIG_IGN);
	program_init();
	ts_parse(&ts, argc, argv);
	ts_gnu_begin(&ts);
	if (ts.file && strcmp(ts.file, "-") != 0) {
		fd = open_output(ts.file);
		ts.opt.archive_path = ts.file;
	}
	what = fd == STDOUT_FILENO ? write_error : ts.file;
	if (ts.progress)
		pre_scan(&files, &data);
	ts_show_begin(&ts, files, data);
	if ((t = sk_tar_open(fd, &ts.opt)) == NULL)
		err(EXIT_FATAL, "cannot start the archive");
	ts_show_tar(t);
	add_all(t, what);
	status = sk_tar_warned(t) == SK_TAR_SKIPPED   ? EXIT_FATAL
	         : sk_tar_warned(t) == SK_TAR_CHANGED ? EXIT_WARNED
	                                              : 0;
	/* --totals counts the archive before compression, as GNU tar's;
	 * a zip's is known once closed. */
	length = sk_tar_length(t);
	/* The last progress line reads the archive's counts: before it is
	 * freed. */
	ts_show_end();
	if (sk_tar_close(t, &written) < 0)
		fatal(what);
	ts_show_totals(&ts, ts.opt.format == SK_TAR_ZIP ? written : length);
	if (out) {
		int r;
		hold_signals(1);
		r = sk_atomic_commit(out);
		out = NULL;
		out_tmp = NULL;
		hold_signals(0);
		if (r < 0)
			err(EXIT_FATAL, "%s", ts.file);
	}
	if (status == EXIT_FATAL)
		warnx("exiting with failure status due to previous errors");
	if (fd == STDOUT_FILENO)
		close_stdout();
	ts_gnu_end(&ts);
	return status;
}
