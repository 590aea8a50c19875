/*
 * atomic.c - writing a file so that readers see the old contents or the
 * new, never a mix: the new bytes go to a file without a name in the same
 * directory, which is named and renamed over the old one only when done.
 * What cannot be replaced that way (a device, a FIFO, a descriptor the
 * process holds) is written where it is, as a shell redirection would.
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

/* Symbolic links followed before giving up, as the kernel's limit. */
#define MAX_HOPS 40

/* How an object writes its target. */
enum how {
	REPLACE, /* a new file renamed over the target at commit */
	APPEND,  /* appended to the regular target, cut back on abort */
	INPLACE, /* written where it is: nothing to rename or take back */
};

struct sk_atomic {
	int fd;
	enum how how;
	off_t orig;    /* APPEND: the length to cut back to */
	char *target;  /* REPLACE: the file to replace (symlinks resolved) */
	char *dir;     /* REPLACE: its directory */
	char *tmpname; /* REPLACE fallback: the named temporary, else NULL */
};

/* What a path names, once its symbolic links are followed. */
struct place {
	char *path; /* absolute, without links; the last part may not exist */
	int own_fd; /* >= 0: path names this process's descriptor own_fd */
	int magic;  /* path is another process's /proc/PID/fd/N */
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

/* Reads the decimal number at *p, moving past it; -1 when there is none
 * or it does not fit an int (no pid or descriptor is that large). */
static long
digits(const char **p)
{
	long v = -1;

	while (**p >= '0' && **p <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (*(*p)++ - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v;
}

/*
 * Whether path is /proc/PID/fd/N or /proc/PID/task/TID/fd/N: a link the
 * kernel resolves to an open file, which may have no name at all (a pipe,
 * a deleted file), rather than to a path.  Sets *pid and *fd.
 */
static int
proc_fd_link(const char *path, long *pid, long *fd)
{
	const char *p = path;

	if (strncmp(p, "/proc/", 6) != 0)
		return 0;
	p += 6;
	if ((*pid = digits(&p)) < 0)
		return 0;
	if (strncmp(p, "/task/", 6) == 0) {
		p += 6;
		if (digits(&p) < 0)
			return 0;
	}
	if (strncmp(p, "/fd/", 4) != 0)
		return 0;
	p += 4;
	return (*fd = digits(&p)) >= 0 && *p == '\0';
}

/* Appends "/" and the n bytes of name to the malloc'd *s; 0 or -1. */
static int
append_part(char **s, const char *name, size_t n)
{
	size_t len = strlen(*s);
	char *ns = realloc(*s, len + n + 2);

	if (ns == NULL)
		return -1;
	ns[len] = '/';
	memcpy(ns + len + 1, name, n);
	ns[len + n + 1] = '\0';
	*s = ns;
	return 0;
}

/*
 * Puts the text of the link *done in its place: *done is cut back to its
 * first len bytes (the link's directory; none for an absolute link), and
 * the link's text goes ahead of what remains of *rest after *at.
 */
static int
follow(char **done, size_t len, char **rest, size_t *at)
{
	char link[PATH_MAX + 1], *nr;
	ssize_t k = readlink(*done, link, PATH_MAX);

	if (k < 0)
		return -1;
	link[k] = '\0';
	(*done)[link[0] == '/' ? 0 : len] = '\0';
	if (asprintf(&nr, "%s/%s", link, *rest + *at) < 0)
		return -1;
	free(*rest);
	*rest = nr;
	*at = 0;
	return 0;
}

/*
 * Follows path's symbolic links one part at a time, as open(2) would, to
 * what it names (see struct place).  A last part that does not exist is
 * kept: a dangling link names the file it would create.  0, or -1 with
 * errno (ENOENT for a missing directory, ELOOP, ENOTDIR...).
 */
static int
locate(const char *path, struct place *pl)
{
	char *rest = NULL, *done = NULL;
	size_t at = 0;
	int hops = 0, e;
	struct stat st;

	pl->own_fd = -1;
	pl->magic = 0;
	pl->path = NULL;
	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((rest = strdup(path)) == NULL)
		goto fail;
	done = path[0] == '/' ? strdup("") : getcwd(NULL, 0);
	if (done == NULL)
		goto fail;
	if (strcmp(done, "/") == 0)
		done[0] = '\0';
	for (;;) {
		size_t n, len = strlen(done);
		const char *part;
		long pid, fd;
		int last;

		while (rest[at] == '/')
			at++;
		if (rest[at] == '\0')
			break;
		part = rest + at;
		n = strcspn(part, "/");
		at += n;
		last = rest[at + strspn(rest + at, "/")] == '\0';
		if (n == 1 && part[0] == '.')
			continue;
		if (n == 2 && part[0] == '.' && part[1] == '.') {
			char *slash = strrchr(done, '/');
			if (slash)
				*slash = '\0';
			continue;
		}
		if (append_part(&done, part, n) < 0)
			goto fail;
		if (lstat(done, &st) < 0) {
			/* A file may be made where none is, but not a
			 * descriptor in /proc: that one is not open. */
			if (errno == ENOENT && last &&
			    !proc_fd_link(done, &pid, &fd))
				break;
			goto fail;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		if (last && proc_fd_link(done, &pid, &fd)) {
			if (pid == (long)getpid())
				pl->own_fd = (int)fd;
			else
				pl->magic = 1;
			break;
		}
		if (++hops > MAX_HOPS) {
			errno = ELOOP;
			goto fail;
		}
		if (follow(&done, len, &rest, &at) < 0)
			goto fail;
	}
	free(rest);
	if (done[0] == '\0') { /* the root itself */
		free(done);
		if ((done = strdup("/")) == NULL)
			return -1;
	}
	pl->path = done;
	return 0;
fail:
	e = errno;
	free(rest);
	free(done);
	errno = e;
	return -1;
}

static void
free_atomic(sk_atomic *a)
{
	free(a->target);
	free(a->dir);
	free(a->tmpname);
	free(a);
}

/* Opens the nameless file in a->dir (or a named one without O_TMPFILE),
 * with the mode, and where allowed the owner, of the file it replaces. */
static int
open_replacement(sk_atomic *a, const struct stat *old)
{
	if (access("/proc/self/fd", X_OK) == 0)
		a->fd = open(a->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		if (asprintf(&a->tmpname, "%s/.%s.XXXXXX", a->dir,
		             strrchr(a->target, '/') + 1) < 0) {
			a->tmpname = NULL;
			return -1;
		}
		if ((a->fd = mkostemp(a->tmpname, O_CLOEXEC)) < 0) {
			free(a->tmpname);
			a->tmpname = NULL;
			return -1;
		}
	}
	if (old) {
		/* Owner first: chown may clear set-id bits that chmod sets. */
		if (fchown(a->fd, old->st_uid, old->st_gid) < 0) {
			/* Not ours to give away: keep our own. */
		}
		return fchmod(a->fd, old->st_mode & 07777);
	}
	return fchmod(a->fd, 0666 & ~current_umask());
}

/* Sets up a->target and a->dir from the resolved path (consumed). */
static int
split_target(sk_atomic *a, char *path)
{
	char *slash = strrchr(path, '/');

	a->target = path;
	if ((a->dir = strdup(path)) == NULL)
		return -1;
	a->dir[slash == path ? 1 : slash - path] = '\0';
	return 0;
}

SK_API sk_atomic *
sk_atomic_open(const char *path, int flags)
{
	sk_atomic *a = calloc(1, sizeof *a);
	struct place pl = {NULL, -1, 0};
	struct stat st;
	int exists, e, append = flags & SK_ATOMIC_APPEND;

	if (a == NULL)
		return NULL;
	a->fd = -1;
	a->how = INPLACE;
	if (path == NULL || (flags & ~(SK_ATOMIC_APPEND | SK_ATOMIC_INPLACE))) {
		errno = EINVAL;
		goto fail;
	}
	if (locate(path, &pl) < 0)
		goto fail;
	if (pl.own_fd >= 0) {
		/* /dev/stdout, /dev/fd/N: the descriptor itself, at its own
		 * offset, as the shell's >&N; a reopened name would start
		 * over at offset 0, and a rename would take the file away
		 * from under the rest of the shell's group. */
		int fl = fcntl(pl.own_fd, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
			errno = EBADF;
			goto fail;
		}
		if ((a->fd = fcntl(pl.own_fd, F_DUPFD_CLOEXEC, 0)) < 0)
			goto fail;
		free(pl.path);
		return a;
	}
	exists = pl.magic || stat(pl.path, &st) == 0;
	if (exists && !pl.magic && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (pl.magic || (exists && !S_ISREG(st.st_mode))) {
		/* A device, a FIFO, another process's descriptor: there is
		 * nothing to rename over, only something to write to. */
		a->fd = open(pl.path, O_WRONLY | O_NOCTTY | O_CLOEXEC |
		                          (append ? O_APPEND : 0));
		if (a->fd < 0)
			goto fail;
		free(pl.path);
		return a;
	}
	if (append || (flags & SK_ATOMIC_INPLACE)) {
		a->fd = open(pl.path,
		             O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC |
		                 (append ? O_APPEND : O_TRUNC),
		             0666);
		if (a->fd < 0 || fstat(a->fd, &st) < 0)
			goto fail;
		a->how = append ? APPEND : INPLACE;
		a->orig = st.st_size;
		free(pl.path);
		return a;
	}
	a->how = REPLACE;
	if (split_target(a, pl.path) < 0) {
		pl.path = NULL;
		goto fail;
	}
	pl.path = NULL;
	if (open_replacement(a, exists ? &st : NULL) < 0)
		goto fail;
	return a;
fail:
	e = errno;
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmpname)
		unlink(a->tmpname);
	free(pl.path);
	free_atomic(a);
	errno = e;
	return NULL;
}

SK_API char *
sk_atomic_target(const char *path)
{
	struct place pl;

	if (path == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (locate(path, &pl) < 0)
		return NULL;
	if (pl.own_fd >= 0) {
		free(pl.path);
		if (asprintf(&pl.path, "/proc/self/fd/%d", pl.own_fd) < 0)
			return NULL;
	}
	return pl.path;
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
	struct stat st;
	int e = 0;

	/* A regular file is flushed to disk: a rename must not make a file
	 * visible whose data a crash could still lose. */
	if (fstat(a->fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(a->fd) < 0 &&
	    errno != EINVAL && errno != EROFS)
		e = errno;
	if (!e && a->how == REPLACE && a->tmpname == NULL && give_name(a) < 0)
		e = errno;
	if (!e && a->how == REPLACE && rename(a->tmpname, a->target) < 0)
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
	if (a->how == APPEND) {
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
