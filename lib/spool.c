/*
 * spool.c - a lazily filled random-access buffer over a stream (Python's
 * SpooledTemporaryFile, the buffer project's StreamBuffer): memory up to a
 * cap, then an unnamed temporary file holding all of it.
 */
#include <errno.h>
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
	int fd;       /* the temporary file, -1 while in memory */
	int64_t size; /* bytes held */
	int complete;
	int err;
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

static int
sticky(sk_spool *sp)
{
	sp->err = errno ? errno : EIO;
	return -1;
}

/* Marks the source read through and lets it go. */
static void
finish(sk_spool *sp)
{
	sp->complete = 1;
	if (sp->src) {
		if (sk_close(sp->src) < 0 && !sp->err)
			sp->err = errno;
		sp->src = NULL;
	}
}

/* Pulls one step from src; 0 at the end of src, 1 after progress. */
static int
pull(sk_spool *sp, int64_t upto)
{
	if (sp->fd < 0 && (size_t)sp->size == sp->memcap && spill(sp) < 0)
		return sticky(sp);
	if (sp->fd < 0) {
		ssize_t r;
		if ((size_t)sp->size == sp->memalloc) {
			size_t n =
			    sp->memalloc ? sp->memalloc * 2 : FIRST_ALLOC;
			char *nm;
			if (n > sp->memcap)
				n = sp->memcap;
			if ((nm = realloc(sp->mem, n)) == NULL)
				return sticky(sp);
			sp->mem = nm;
			sp->memalloc = n;
		}
		r = sk_read(sp->src, sp->mem + sp->size,
		            sp->memalloc - (size_t)sp->size);
		if (r < 0)
			return sticky(sp);
		sp->size += r;
		return r > 0;
	} else {
		int64_t want = FILE_STEP, r;
		if (upto != SK_UNKNOWN && upto - sp->size < want)
			want =
			    upto - sp->size < 65536 ? 65536 : upto - sp->size;
		/* The file's own offset stays at its end: appends go there,
		 * reads use pread. */
		r = sk_copy(sp->src, sp->fd, want);
		if (r < 0)
			return sticky(sp);
		sp->size += r;
		return r == want;
	}
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
	}
	if (sp->err && !sp->complete) {
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
	if (sp->fd < 0 && spill(sp) < 0)
		return -1;
	return sp->fd;
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
	while (n > 0) {
		if (sp->fd < 0 && (size_t)sp->size + n > sp->memcap) {
			if (spill(sp) < 0)
				return sticky(sp);
		}
		if (sp->fd >= 0) {
			if (sk_write_all(sp->fd, buf, n) < 0)
				return sticky(sp);
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
				return sticky(sp);
			sp->mem = nm;
			sp->memalloc = na;
		}
		memcpy(sp->mem + sp->size, buf, n);
		sp->size += (int64_t)n;
		n = 0;
	}
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
