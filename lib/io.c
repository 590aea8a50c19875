/*
 * io.c - the system-call layer: EINTR retried, EAGAIN waited out with
 * poll(2), short writes looped, temporary files without names.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_impl.h"

int
sk__wait(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int r = poll(&p, 1, -1);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

ssize_t
sk__read(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || sk__wait(fd, POLLIN) < 0)
			return -1;
	}
}

ssize_t
sk__pread(int fd, void *buf, size_t n, int64_t off)
{
	for (;;) {
		ssize_t r = pread(fd, buf, n, (off_t)off);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || sk__wait(fd, POLLIN) < 0)
			return -1;
	}
}

SK_API int
sk_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w == 0) {
			errno = EIO;
			return -1;
		} else if (errno == EINTR) {
			continue;
		} else if (errno != EAGAIN || sk__wait(fd, POLLOUT) < 0) {
			return -1;
		}
	}
	return 0;
}

SK_API int
sk_pipe_grow(int fd, size_t size)
{
	struct stat st;
	int cur;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISFIFO(st.st_mode))
		return 0;
	cur = fcntl(fd, F_GETPIPE_SZ);
	if (cur >= 0 && (size_t)cur >= size)
		return 0;
	/* An unprivileged process may not pass /proc/sys/fs/pipe-max-size
	 * or the per-user pipe budget: the smaller pipe still works. */
	if (fcntl(fd, F_SETPIPE_SZ, (int)size) < 0 && errno != EPERM &&
	    errno != EBUSY)
		return -1;
	return 0;
}

int
sk__tmpfile(const char *dir)
{
	char *path;
	int fd, saved;

	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	/* Not O_EXCL: a spool may be given a name later (sk_spool_link). */
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* Filesystems without O_TMPFILE say EOPNOTSUPP or EISDIR (old
	 * kernels); anything else (ENOENT, EACCES) is a real error. */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -1;
	if (asprintf(&path, "%s/streamkit.XXXXXX", dir) < 0)
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0 && unlink(path) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		fd = -1;
	}
	free(path);
	return fd;
}

int
sk__write_side(int e)
{
	return e == EPIPE || e == ENOSPC || e == EDQUOT || e == EFBIG ||
	       e == ECONNRESET;
}
