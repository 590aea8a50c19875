/*
 * spool.c - a lazily filled random-access buffer over a stream (Python's
 * SpooledTemporaryFile, the buffer project's StreamBuffer): memory up to a
 * cap, then an unnamed temporary file holding all of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

#define DEFAULT_MEMCAP ((size_t)8 << 20)
#define FIRST_ALLOC    ((size_t)64 << 10)
/* How much one fill step pulls into the file when the caller wants all:
 * large, for few calls, and bounded, so a failure is noticed soon. */
#define FILE_STEP ((int64_t)4 << 20)

struct sk_spool {
	sk_stream *src; /* NULL once read to the end, or when pushed to */
	size_t memcap;
	char *tmpdir;
	char *mem;
	size_t memalloc;
	int fd;        /* the temporary file, -1 while in memory */
	int64_t size;  /* bytes held */
	int64_t limit; /* most bytes it may hold, or SK_UNKNOWN */
	int complete;
	int err;  /* sticky errno */
	int side; /* SK_SPOOL_SOURCE, _STORE or _LIMIT: what failed last */
};

SK_API sk_spool *
sk_spool_open(sk_stream *src, size_t memcap, const char *tmpdir)
{
	sk_spool *sp = calloc(1, sizeof *sp);

	if (sp == NULL || (tmpdir && (sp->tmpdir = strdup(tmpdir)) == NULL)) {
		free(sp);
		sk_close(src);
		return NULL;
	}
	sp->src = src;
	sp->memcap = memcap ? memcap : DEFAULT_MEMCAP;
	sp->fd = -1;
	sp->limit = SK_UNKNOWN;
	return sp;
}

/* Moves what memory holds into a new temporary file. */
static int
spill(sk_spool *sp)
{
	int fd = sk__tmpfile(sp->tmpdir);

	if (fd < 0)
		return -1;
	if (sk_write_all(fd, sp->mem, (size_t)sp->size) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	free(sp->mem);
	sp->mem = NULL;
	sp->memalloc = 0;
	sp->fd = fd;
	return 0;
}

/* Makes the failure in errno sticky, recording the side that failed. */
static int
sticky(sk_spool *sp, int side)
{
	sp->err = errno ? errno : EIO;
	sp->side = side;
	return -1;
}

/* The limit refused src: EFBIG, sticky. */
static int
over_limit(sk_spool *sp)
{
	errno = EFBIG;
	return sticky(sp, SK_SPOOL_LIMIT);
}

/* Marks the source read through and lets it go. */
static void
finish(sk_spool *sp)
{
	sp->complete = 1;
	if (sp->src) {
		if (sk_close(sp->src) < 0 && !sp->err)
			sticky(sp, SK_SPOOL_SOURCE);
		sp->src = NULL;
	}
}

/* Pulls one step from src; 0 at the end of src, 1 after progress. */
static int
pull(sk_spool *sp, int64_t upto)
{
	/* Past the limit, one byte more is all it takes to know. */
	if (sp->limit != SK_UNKNOWN &&
	    (upto == SK_UNKNOWN || upto > sp->limit + 1))
		upto = sp->limit + 1;
	if (sp->fd < 0 && (size_t)sp->size == sp->memcap && spill(sp) < 0)
		return sticky(sp, SK_SPOOL_STORE);
	if (sp->fd < 0) {
		ssize_t r;
		if ((size_t)sp->size == sp->memalloc) {
			size_t n =
			    sp->memalloc ? sp->memalloc * 2 : FIRST_ALLOC;
			char *nm;
			if (n > sp->memcap)
				n = sp->memcap;
			if ((nm = realloc(sp->mem, n)) == NULL)
				return sticky(sp, SK_SPOOL_STORE);
			sp->mem = nm;
			sp->memalloc = n;
		}
		size_t room = sp->memalloc - (size_t)sp->size;
		if (upto != SK_UNKNOWN && upto > sp->size &&
		    (int64_t)room > upto - sp->size)
			room = (size_t)(upto - sp->size);
		r = sk_read(sp->src, sp->mem + sp->size, room);
		if (r < 0)
			return sticky(sp, SK_SPOOL_SOURCE);
		sp->size += r;
		return r > 0;
	} else {
		int64_t want = FILE_STEP, r;
		if (upto != SK_UNKNOWN && upto - sp->size < want)
			want = upto - sp->size;
		/* Small steps only where a limit must not be overshot. */
		if (want < 65536 && sp->limit == SK_UNKNOWN)
			want = 65536;
		if (want <= 0)
			want = 1;
		/* The file's own offset stays at its end: appends go there,
		 * reads use pread. */
		r = sk_copy(sp->src, sp->fd, want);
		/* sk_copy says which side failed by the source's error. */
		if (r < 0)
			return sticky(sp, sk_error(sp->src) ? SK_SPOOL_SOURCE
			                                    : SK_SPOOL_STORE);
		sp->size += r;
		return r == want;
	}
}

SK_API int
sk_spool_limit(sk_spool *sp, int64_t max)
{
	if (max < 0) {
		errno = EINVAL;
		return -1;
	}
	sp->limit = max;
	if (sp->size > max)
		return over_limit(sp);
	return 0;
}

SK_API int64_t
sk_spool_fill(sk_spool *sp, int64_t upto)
{
	while (!sp->complete && (upto == SK_UNKNOWN || sp->size < upto)) {
		int r;
		if (sp->err) {
			errno = sp->err;
			return -1;
		}
		if (sp->src == NULL) /* fed by sk__spool_write */
			break;
		r = pull(sp, upto);
		if (r < 0)
			return -1;
		if (r == 0)
			finish(sp);
		if (sp->limit != SK_UNKNOWN && sp->size > sp->limit) {
			over_limit(sp);
			break;
		}
	}
	if (sp->err && (!sp->complete || sp->side == SK_SPOOL_LIMIT)) {
		errno = sp->err;
		return -1;
	}
	return sp->size;
}

SK_API ssize_t
sk_spool_read_at(sk_spool *sp, void *buf, size_t n, int64_t off)
{
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	if (n > INT64_MAX - (uint64_t)off)
		n = (size_t)(INT64_MAX - off);
	if (off + (int64_t)n > sp->size &&
	    sk_spool_fill(sp, off + (int64_t)n) < 0 && off >= sp->size)
		return -1;
	if (off >= sp->size || n == 0)
		return 0;
	if ((int64_t)n > sp->size - off)
		n = (size_t)(sp->size - off);
	if (sp->fd >= 0)
		return sk__pread(sp->fd, buf, n, off);
	memcpy(buf, sp->mem + off, n);
	return (ssize_t)n;
}

SK_API int64_t
sk_spool_size(const sk_spool *sp)
{
	return sp->size;
}

SK_API int
sk_spool_complete(const sk_spool *sp)
{
	return sp->complete;
}

SK_API int
sk_spool_file(sk_spool *sp)
{
	if (sp->fd < 0 && spill(sp) < 0) {
		/* Not sticky: what memory holds is still all there. */
		sp->side = SK_SPOOL_STORE;
		return -1;
	}
	return sp->fd;
}

SK_API int
sk_spool_failed(const sk_spool *sp)
{
	return sp->side;
}

SK_API int
sk_spool_fd(const sk_spool *sp)
{
	return sp->fd;
}

SK_API int
sk_spool_close(sk_spool *sp)
{
	int err = 0;

	if (sp == NULL)
		return 0;
	if (sp->src && sk_close(sp->src) < 0)
		err = errno;
	if (sp->fd >= 0 && close(sp->fd) < 0 && errno != EINTR && !err)
		err = errno;
	free(sp->mem);
	free(sp->tmpdir);
	free(sp);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int
sk__spool_write(sk_spool *sp, const void *buf, size_t n)
{
	if (sp->err) {
		errno = sp->err;
		return -1;
	}
	if (n == 0)
		return 0;
	if (sp->fd < 0 && (size_t)sp->size + n > sp->memcap && spill(sp) < 0)
		return sticky(sp, SK_SPOOL_STORE);
	if (sp->fd >= 0) {
		if (sk_write_all(sp->fd, buf, n) < 0)
			return sticky(sp, SK_SPOOL_STORE);
		sp->size += (int64_t)n;
		return 0;
	}
	if ((size_t)sp->size + n > sp->memalloc) {
		size_t na = sp->memalloc ? sp->memalloc : FIRST_ALLOC;
		char *nm;
		while (na < (size_t)sp->size + n)
			na *= 2;
		if (na > sp->memcap)
			na = sp->memcap;
		if ((nm = realloc(sp->mem, na)) == NULL)
			return sticky(sp, SK_SPOOL_STORE);
		sp->mem = nm;
		sp->memalloc = na;
	}
	memcpy(sp->mem + sp->size, buf, n);
	sp->size += (int64_t)n;
	return 0;
}

void
sk__spool_end(sk_spool *sp)
{
	finish(sp);
}

int
sk__spool_copy(sk_spool *sp, int64_t *off, int dst, int64_t n, int *rerr)
{
	int unsupported = 0;
	int64_t r;

	if (sp->fd < 0) {
		if (sk_write_all(dst, sp->mem + *off, (size_t)n) < 0) {
			*rerr = 0;
			return -1;
		}
		*off += n;
		return 0;
	}
	while (n > 0) {
		r = sk__copy_fd(sp->fd, off, dst, n, rerr, &unsupported);
		if (r < 0)
			return -1;
		n -= r;
		if (n > 0 && unsupported) {
			char buf[65536];
			size_t k =
			    n < (int64_t)sizeof buf ? (size_t)n : sizeof buf;
			ssize_t g = sk__pread(sp->fd, buf, k, *off);
			if (g <= 0) {
				*rerr = 1;
				if (g == 0)
					errno = EIO;
				return -1;
			}
			if (sk_write_all(dst, buf, (size_t)g) < 0) {
				*rerr = 0;
				return -1;
			}
			*off += g;
			n -= g;
		} else if (n > 0 && r == 0) {
			*rerr = 1;
			errno = EIO; /* the file is shorter than we wrote */
			return -1;
		}
	}
	return 0;
}

SK_API int
sk_spool_link(sk_spool *sp, const char *path)
{
	char proc[64];
	int64_t off = 0;
	int fd, out, rerr = 0, unsupported = 0, e;

	if (sk_spool_fill(sp, SK_UNKNOWN) < 0 || (fd = sk_spool_file(sp)) < 0)
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	/* No O_TMPFILE here (an unlinked file cannot be linked), no /proc,
	 * or another filesystem: copy instead. */
	if ((out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0)
		return -1;
	while (off < sp->size) {
		int64_t r = sk__copy_fd(fd, &off, out, sp->size - off, &rerr,
		                        &unsupported);
		if (r < 0 || (r == 0 && !unsupported))
			goto fail;
		if (unsupported) {
			char buf[65536];
			ssize_t g = sk__pread(fd, buf, sizeof buf, off);
			if (g <= 0 || sk_write_all(out, buf, (size_t)g) < 0)
				goto fail;
			off += g;
		}
	}
	if (close(out) < 0) {
		out = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno ? errno : EIO;
	if (out >= 0)
		close(out);
	unlink(path);
	errno = e;
	return -1;
}
