/*
 * atomic.c - writing a file so that readers see the old contents or the
 * new, never a mix: the new bytes go to a file without a name in the same
 * directory, which is named and renamed over the old one only when done.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sk_impl.h"

struct sk_atomic {
	int fd;
	int append;
	off_t orig;    /* append: the length to cut back to */
	char *target;  /* the file to replace (symlinks resolved) */
	char *dir;     /* its directory */
	char *tmpname; /* fallback: the named temporary, else NULL */
};

/* The process's umask, read without changing it (umask(2) would). */
static mode_t
current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned m = 022;

	if (f == NULL)
		return 022;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			break;
	fclose(f);
	return (mode_t)m;
}

static void
free_atomic(sk_atomic *a)
{
	free(a->target);
	free(a->dir);
	free(a->tmpname);
	free(a);
}

SK_API sk_atomic *
sk_atomic_open(const char *path, int flags)
{
	sk_atomic *a = calloc(1, sizeof *a);
	struct stat st;
	char *slash;
	int exists, e;

	if (a == NULL)
		return NULL;
	a->fd = -1;
	if (flags & SK_ATOMIC_APPEND) {
		a->append = 1;
		a->fd =
		    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
		if (a->fd < 0 || fstat(a->fd, &st) < 0)
			goto fail;
		a->orig = st.st_size;
		return a;
	}
	/* Replace what a symbolic link points to, not the link. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		a->target = realpath(path, NULL);
	if (a->target == NULL && (a->target = strdup(path)) == NULL)
		goto fail;
	if ((a->dir = strdup(a->target)) == NULL)
		goto fail;
	slash = strrchr(a->dir, '/');
	if (slash == NULL)
		strcpy(a->dir, ".");
	else if (slash == a->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	/* Both absolute: the caller may change directory before commit. */
	{
		char *dir = realpath(a->dir, NULL), *target;
		const char *base = strrchr(a->target, '/');
		if (dir == NULL)
			goto fail;
		base = base ? base + 1 : a->target;
		if (asprintf(&target, "%s/%s", strcmp(dir, "/") ? dir : "",
		             base) < 0) {
			free(dir);
			goto fail;
		}
		free(a->dir);
		free(a->target);
		a->dir = dir;
		a->target = target;
	}
	exists = stat(a->target, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (access("/proc/self/fd", X_OK) == 0)
		a->fd = open(a->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		if (asprintf(&a->tmpname, "%s/.%s.XXXXXX", a->dir,
		             strrchr(a->target, '/') + 1) < 0) {
			a->tmpname = NULL;
			goto fail;
		}
		if ((a->fd = mkostemp(a->tmpname, O_CLOEXEC)) < 0) {
			free(a->tmpname);
			a->tmpname = NULL;
			goto fail;
		}
	}
	if (exists) {
		/* Owner first: chown may clear set-id bits that chmod sets. */
		if (fchown(a->fd, st.st_uid, st.st_gid) < 0) {
			/* Not ours to give away: keep our own. */
		}
		if (fchmod(a->fd, st.st_mode & 07777) < 0)
			goto fail;
	} else if (fchmod(a->fd, 0666 & ~current_umask()) < 0) {
		goto fail;
	}
	return a;
fail:
	e = errno;
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmpname)
		unlink(a->tmpname);
	free_atomic(a);
	errno = e;
	return NULL;
}

SK_API int
sk_atomic_fd(const sk_atomic *a)
{
	return a->fd;
}

SK_API const char *
sk_atomic_tmpname(const sk_atomic *a)
{
	return a->tmpname;
}

/* Names the unnamed file in the target's directory; 0 or -1. */
static int
give_name(sk_atomic *a)
{
	char proc[64];
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", a->fd);
	for (int tries = 0; tries < 100; tries++) {
		seed = seed * 1103515245u + 12345u;
		free(a->tmpname);
		if (asprintf(&a->tmpname, "%s/.sk-atomic.%08x", a->dir, seed) <
		    0) {
			a->tmpname = NULL;
			return -1;
		}
		if (linkat(AT_FDCWD, proc, AT_FDCWD, a->tmpname,
		           AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	free(a->tmpname);
	a->tmpname = NULL;
	return -1;
}

SK_API int
sk_atomic_commit(sk_atomic *a)
{
	int e = 0;

	if (fsync(a->fd) < 0 && errno != EINVAL && errno != EROFS)
		e = errno;
	if (!e && !a->append && a->tmpname == NULL && give_name(a) < 0)
		e = errno;
	if (!e && !a->append && rename(a->tmpname, a->target) < 0)
		e = errno;
	if (close(a->fd) < 0 && !e && errno != EINTR)
		e = errno;
	a->fd = -1;
	if (e) {
		if (a->tmpname)
			unlink(a->tmpname);
		free_atomic(a);
		errno = e;
		return -1;
	}
	free_atomic(a);
	return 0;
}

SK_API void
sk_atomic_abort(sk_atomic *a)
{
	int e = errno;

	if (a == NULL)
		return;
	if (a->append) {
		/* Take back what this run appended. */
		if (ftruncate(a->fd, a->orig) < 0) {
			/* Nothing more can be done; the error that led here is
			 * the one to report. */
		}
	} else if (a->tmpname) {
		unlink(a->tmpname);
	}
	close(a->fd);
	free_atomic(a);
	errno = e;
}
