/*
 * stream_fd.c - a stream over a file descriptor.  Seekable descriptors
 * (regular files, block devices) are read with pread(2) from an offset the
 * stream keeps, so skips and sections cost nothing and several sections
 * can share one descriptor; everything else is read in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_impl.h"

struct fdstream {
	sk_stream base;
	int fd;
	int own;
	int seekable;
	int section; /* a section: borrows fd, never moves its offset */
	int64_t off; /* next offset to read, when seekable */
	int64_t end; /* offset where the stream ends, or SK_UNKNOWN */
};

static const struct sk_ops fd_ops;

/* The offset of the end of a seekable descriptor right now. */
static int64_t
fd_size(struct fdstream *f)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return SK_UNKNOWN;
	if (S_ISREG(st.st_mode))
		return (int64_t)st.st_size;
	off_t e = lseek(f->fd, 0, SEEK_END);
	return e < 0 ? SK_UNKNOWN : (int64_t)e;
}

static int64_t
fd_limit(struct fdstream *f)
{
	int64_t end = f->end != SK_UNKNOWN ? f->end : fd_size(f);
	if (end == SK_UNKNOWN)
		return SK_UNKNOWN;
	return end > f->off ? end - f->off : 0;
}

static ssize_t
fd_read(sk_stream *s, void *buf, size_t n)
{
	struct fdstream *f = (struct fdstream *)s;
	ssize_t r;

	if (!f->seekable)
		return sk__read(f->fd, buf, n);
	if (f->end != SK_UNKNOWN) {
		if (f->off >= f->end)
			return 0;
		if ((int64_t)n > f->end - f->off)
			n = (size_t)(f->end - f->off);
	}
	r = sk__pread(f->fd, buf, n, f->off);
	if (r > 0)
		f->off += r;
	return r;
}

static int
fd_close(sk_stream *s)
{
	struct fdstream *f = (struct fdstream *)s;
	int r = 0;

	if (f->own) {
		r = close(f->fd);
		/* Linux has closed the descriptor even when close says EINTR.
		 */
		if (r < 0 && errno == EINTR)
			r = 0;
	} else if (f->seekable && !f->section) {
		/* Leave a shared descriptor just after what was consumed, so
		 * that the next reader of it (a shell's next command) goes on
		 * from there.  Failure here loses nothing of ours. */
		(void)lseek(f->fd, (off_t)f->off, SEEK_SET);
	}
	free(f);
	return r;
}

static int64_t
fd_length(sk_stream *s)
{
	struct fdstream *f = (struct fdstream *)s;

	return f->seekable ? fd_limit(f) : SK_UNKNOWN;
}

/*
 * Skips n bytes of a pipe by splicing them into /dev/null: the bytes never
 * enter user space.  Returns how many went, which may be short of n when
 * the pipe ended or when splice does not apply (the caller reads the rest),
 * or -1 on a read error.
 */
static int64_t
skip_splice(int fd, int64_t n)
{
	struct stat st;
	int64_t done = 0;
	int null;

	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return 0;
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return 0;
	while (done < n) {
		size_t want =
		    n - done > (1 << 20) ? (1 << 20) : (size_t)(n - done);
		ssize_t r = splice(fd, NULL, null, NULL, want, SPLICE_F_MOVE);
		if (r > 0) {
			done += r;
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && sk__wait(fd, POLLIN) == 0)
			continue;
		if (errno == EINVAL || errno == ENOSYS)
			break;
		close(null);
		return -1;
	}
	close(null);
	return done;
}

static int64_t
fd_skip(sk_stream *s, int64_t n)
{
	struct fdstream *f = (struct fdstream *)s;
	int64_t left;
	char buf[16384];
	int64_t done = 0;

	if (f->seekable) {
		left = fd_limit(f);
		if (left != SK_UNKNOWN && n > left)
			n = left;
		f->off += n;
		return n;
	}
	done = skip_splice(f->fd, n);
	if (done < 0)
		return -1;
	while (done < n) {
		size_t want = n - done < (int64_t)sizeof buf
		                  ? (size_t)(n - done)
		                  : sizeof buf;
		ssize_t r = sk__read(f->fd, buf, want);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

static int
fd_fileno(sk_stream *s, int64_t *off, int64_t *limit)
{
	struct fdstream *f = (struct fdstream *)s;

	*off = f->seekable ? f->off : SK_UNKNOWN;
	*limit = f->seekable && f->end != SK_UNKNOWN ? fd_limit(f) : SK_UNKNOWN;
	return f->fd;
}

static int
fd_advance(sk_stream *s, int64_t k)
{
	struct fdstream *f = (struct fdstream *)s;

	if (f->seekable)
		f->off += k;
	return 0;
}

static struct fdstream *
fd_new(int fd, int own)
{
	struct fdstream *f = calloc(1, sizeof *f);

	if (f == NULL)
		return NULL;
	sk__init(&f->base, &fd_ops);
	f->fd = fd;
	f->own = own;
	f->end = SK_UNKNOWN;
	return f;
}

static sk_stream *
fd_section(sk_stream *s, int64_t off, int64_t len)
{
	struct fdstream *f = (struct fdstream *)s, *g;
	int64_t left = fd_limit(f);

	if (left == SK_UNKNOWN) {
		errno = ENOTSUP;
		return NULL;
	}
	if (off > left)
		off = left;
	if (len == SK_UNKNOWN || len > left - off)
		len = left - off;
	if ((g = fd_new(f->fd, 0)) == NULL)
		return NULL;
	g->seekable = 1;
	g->section = 1;
	g->off = f->off + off;
	g->end = g->off + len;
	return &g->base;
}

static int
fd_can_section(sk_stream *s)
{
	struct fdstream *f = (struct fdstream *)s;

	return f->seekable && fd_limit(f) != SK_UNKNOWN;
}

static int64_t
fd_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct fdstream *f = (struct fdstream *)s;
	int64_t done, more, left;
	int unsupported;

	if (f->seekable) {
		/* A fixed end bounds the copy; an open one (a file that may
		 * still grow) is copied until the kernel says it ended. */
		if (f->end != SK_UNKNOWN) {
			left = fd_limit(f);
			if (max == SK_UNKNOWN || max > left)
				max = left;
		}
		done =
		    sk__copy_fd(f->fd, &f->off, dst, max, rerr, &unsupported);
	} else {
		done = sk__copy_fd(f->fd, NULL, dst, max, rerr, &unsupported);
	}
	if (done < 0 || !unsupported)
		return done;
	more =
	    sk__copy_loop(s, dst, max == SK_UNKNOWN ? max : max - done, rerr);
	return more < 0 ? -1 : done + more;
}

static const struct sk_ops fd_ops = {
    .name = "fd",
    .read = fd_read,
    .close = fd_close,
    .length = fd_length,
    .skip = fd_skip,
    .fileno = fd_fileno,
    .advance = fd_advance,
    .section = fd_section,
    .can_section = fd_can_section,
    .copy = fd_copy,
};

/* Is this size-0 regular file really empty (not a procfs-like file)? */
static int
truly_empty(int fd)
{
	char c;
	off_t pos = lseek(fd, 0, SEEK_CUR);

	return pos >= 0 && pread(fd, &c, 1, pos) == 0;
}

SK_API sk_stream *
sk_fd_open(int fd, int flags)
{
	struct fdstream *f;
	struct stat st;
	int e;

	if ((flags & ~SK_FD_OWN) != 0) {
		errno = EINVAL;
		goto fail;
	}
	if (fstat(fd, &st) < 0 || (f = fd_new(fd, flags & SK_FD_OWN)) == NULL)
		goto fail;
	/* A larger pipe means fewer wake-ups on both of its sides. */
	if (S_ISFIFO(st.st_mode))
		(void)sk_pipe_grow(fd, (size_t)1 << 20);
	/* Files that report size 0 may still have content (procfs, sysfs):
	 * one byte read at the offset tells them from empty files, and they
	 * are read in order, as a pipe. */
	if ((S_ISREG(st.st_mode) && (st.st_size > 0 || truly_empty(fd))) ||
	    S_ISBLK(st.st_mode)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if (pos >= 0) {
			f->seekable = 1;
			f->off = pos;
		}
	}
	return &f->base;
fail:
	/* Owned from the call on, as every constructor's arguments are. */
	if (flags & SK_FD_OWN) {
		e = errno;
		close(fd);
		errno = e;
	}
	return NULL;
}

SK_API sk_stream *
sk_path_open(const char *path)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		return sk_fd_open(STDIN_FILENO, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	/* A directory opens, but reading it fails later with a message that
	 * no longer names it: refuse it here. */
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	return sk_fd_open(fd, SK_FD_OWN);
}
