/*
 * tar.c - the tar producer's public calls.  The rooms behind them are
 * listed in tar_impl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tar_impl.h"

/* Read-ahead defaults: see sk_tar_options in streamkit.h for why. */
#define DEFAULT_THREADS 8
#define DEFAULT_BUDGET  ((size_t)16 << 20)
#define MAXFILE         ((size_t)1 << 20)
#define MAXITEMS        1024
#define MAXAHEAD        256

void
sk__tar_warn(sk_tar *t, const char *path, int err, const char *what, int level)
{
	if (level == SK__TAR_VANISHED)
		level = err == ENOENT ? SK__TAR_CHANGED : SK__TAR_SKIPPED;
	if (level > t->warned)
		t->warned = level;
	if (t->opt.warn)
		t->opt.warn(t->opt.arg, path, err, what);
}

/*
 * Descriptors: the walk's directories, the large files waiting for the
 * writer, and the I/O threads' transient ones all come out of what
 * RLIMIT_NOFILE leaves after a reserve for the program's own.
 */
static void
set_limits(sk_tar *t)
{
	struct rlimit rl;
	long avail = 1024 - 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		avail = (long)rl.rlim_cur - 16;
	if (avail < 4)
		avail = 4;
	t->maxdirs = avail / 4 > 128 ? 128
	             : avail / 4 < 2 ? 2
	                             : (int)(avail / 4);
	t->pool.maxfds = avail / 4 > 64  ? 64
	                 : avail / 4 < 1 ? 1
	                                 : (int)(avail / 4);
	if (t->threads > avail / 4)
		t->threads = avail / 4 < 1 ? 1 : (int)(avail / 4);
}

/* The parts every sk_tar has, a scan's included. */
static int
tar_init(sk_tar *t, const struct sk_tar_options *opt)
{
	if (opt)
		t->opt = *opt;
	if (t->opt.reproducible)
		t->opt.sort = SK_TAR_SORT_NAME;
	t->fd = -1;
	t->threads = t->opt.io_threads < 0    ? 0
	             : t->opt.io_threads == 0 ? DEFAULT_THREADS
	                                      : t->opt.io_threads;
	t->budget = t->opt.readahead ? t->opt.readahead : DEFAULT_BUDGET;
	t->pool.budget = t->budget;
	t->pool.maxitems = MAXITEMS;
	t->pool.maxahead = MAXAHEAD;
	set_limits(t);
	/* Each thread's ring holds at least two bodies read whole. */
	t->pool.maxfile = t->budget / (size_t)(t->threads ? 2 * t->threads : 2);
	if (t->pool.maxfile > MAXFILE)
		t->pool.maxfile = MAXFILE;
	t->pool.wring.t = t;
	(void)sk__tar_ring_init(&t->pool.wring, 2 * t->pool.maxfile);
	if (pthread_mutex_init(&t->pool.lock, NULL) != 0)
		return -1;
	pthread_cond_init(&t->pool.work, NULL);
	pthread_cond_init(&t->pool.ready, NULL);
	pthread_cond_init(&t->pool.room, NULL);
	pthread_cond_init(&t->pool.gate, NULL);
	return 0;
}

static void
tar_free(sk_tar *t)
{
	sk__tar_pool_free(t);
	sk__tar_walk_free(t);
	sk__tar_links_free(t);
	free(t->hbuf.data);
	free(t->mbuf.data);
	if (t->disk)
		archive_read_free(t->disk);
	sk__tar_compress_free(t);
	sk__tar_zip_free(t);
	sk__tar_incr_free(t);
	sk__tar_body_free(t);
	free(t->plain);
	free(t->xlink);
	for (size_t i = 0; i < t->nprefixes; i++)
		free(t->prefixes[i]);
	free(t->prefixes);
	free(t->obuf);
	free(t->buf);
	free(t->name);
	free(t->wpath);
	pthread_mutex_destroy(&t->pool.lock);
	pthread_cond_destroy(&t->pool.work);
	pthread_cond_destroy(&t->pool.ready);
	pthread_cond_destroy(&t->pool.room);
	pthread_cond_destroy(&t->pool.gate);
	free(t);
}

/* A tar writing to fd, or to producer when fd is -1. */
sk_tar *
sk__tar_new(int fd, sk_producer *producer, const struct sk_tar_options *opt)
{
	sk_tar *t = calloc(1, sizeof *t);
	struct stat st;
	int e;

	if (t == NULL)
		return NULL;
	if (tar_init(t, opt) < 0)
		goto fail;
	t->fd = fd;
	t->producer = producer;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		t->skip = 1;
		t->skip_dev = st.st_dev;
		t->skip_ino = st.st_ino;
	}
	if (t->opt.archive_path && stat(t->opt.archive_path, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		t->skip2 = 1;
		t->skip2_dev = st.st_dev;
		t->skip2_ino = st.st_ino;
	}
	t->opt.archive_path = NULL; /* borrowed: not kept */
	if (t->opt.format < SK_TAR_PAX || t->opt.format > SK_TAR_ZIP ||
	    sk__tar_incr_check(t) < 0) {
		errno = EINVAL;
		goto fail;
	}
	if ((t->buf = malloc(BODY_BUF)) == NULL || sk__tar_output_open(t) < 0)
		goto fail;
	return t;
fail:
	e = errno ? errno : ENOMEM;
	tar_free(t);
	errno = e;
	return NULL;
}

SK_API sk_tar *
sk_tar_open(int fd, const struct sk_tar_options *opt)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	return sk__tar_new(fd, NULL, opt);
}

SK_API int
sk_tar_add_paths(sk_tar *t, const struct sk_tar_path *paths, size_t n)
{
	int rc = 0;

	if (t->err) {
		errno = t->err;
		return -1;
	}
	if (t->opt.snapshot) {
		/* One dump of them all, in GNU tar's order. */
		if ((rc = sk__tar_incr_walk(t, paths, n)) < 0 && !t->err) {
			errno = EINVAL; /* a second call */
			return -1;
		}
	} else {
		for (size_t i = 0; i < n && rc >= 0; i++)
			rc = sk__tar_walk(t, paths[i].dirfd, paths[i].path);
	}
	if (rc < 0 || t->err) {
		errno = t->err ? t->err : EIO;
		return -1;
	}
	return t->warned;
}

SK_API int
sk_tar_add_at(sk_tar *t, int dirfd, const char *path)
{
	struct sk_tar_path p = {dirfd, path};

	return sk_tar_add_paths(t, &p, 1);
}

SK_API int
sk_tar_add(sk_tar *t, const char *path)
{
	return sk_tar_add_at(t, AT_FDCWD, path);
}

SK_API int
sk_tar_warned(const sk_tar *t)
{
	return t->warned;
}

SK_API int
sk_tar_close(sk_tar *t, uint64_t *written)
{
	int err = t->err;

	if (!err && sk__tar_output_close(t) < 0)
		err = t->err ? t->err : (errno ? errno : EIO);
	if (written)
		*written = t->written;
	tar_free(t);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

SK_API void
sk_tar_counts(const sk_tar *t, uint64_t *files, uint64_t *data,
              uint64_t *written)
{
	if (files)
		*files = t->files;
	if (data)
		*data = t->data;
	if (written)
		*written = t->written;
}

SK_API uint64_t
sk_tar_length(const sk_tar *t)
{
	uint64_t rec =
	    t->opt.blocking > 0 ? (uint64_t)t->opt.blocking * 512 : 0;
	uint64_t n = t->pos + 1024;

	if (t->zip)
		return t->pos; /* the central directory comes at the end */
	return rec ? n + (rec - n % rec) % rec : n;
}

SK_API int
sk_tar_scan(int dirfd, const char *path, const struct sk_tar_options *opt,
            uint64_t *files, uint64_t *data)
{
	sk_tar *t = calloc(1, sizeof *t);
	int e = 0;

	if (t == NULL)
		return -1;
	if (tar_init(t, opt) < 0) {
		e = errno ? errno : ENOMEM;
	} else {
		/* Quiet and on this thread: the real walk reports. */
		t->opt.warn = NULL;
		t->opt.entry = NULL;
		t->opt.tick = NULL;
		t->dry = 1;
		if (sk__tar_walk(t, dirfd, path) < 0)
			e = t->err ? t->err : ENOMEM;
		*files += t->files;
		*data += t->data;
	}
	tar_free(t);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}
