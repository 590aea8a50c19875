/*
 * stream.c - the operations every stream has, dispatched to its kind, and
 * the fallbacks for the optional ones.  Sticky errors and the end of
 * stream are kept here, once, rather than in every kind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sk_impl.h"

/* Large enough to amortise system calls, small enough that a program
 * doing forward ranges stays well inside its memory target. */
#define SKIP_CHUNK (64 * 1024)

SK_API const char *
sk_version(void)
{
	return SK_VERSION;
}

void
sk__init(sk_stream *s, const struct sk_ops *ops)
{
	s->ops = ops;
	s->err = 0;
	s->eof = 0;
}

/* Records a failure as sticky unless it is one the caller may retry. */
static void
fail(sk_stream *s)
{
	if (errno != EAGAIN && errno != EINTR && errno != 0)
		s->err = errno;
	else if (errno == 0)
		s->err = errno = EIO;
}

SK_API ssize_t
sk_read(sk_stream *s, void *buf, size_t n)
{
	ssize_t r;

	if (s->err) {
		errno = s->err;
		return -1;
	}
	if (s->eof || n == 0)
		return 0;
	r = s->ops->read(s, buf, n);
	if (r < 0)
		fail(s);
	else if (r == 0)
		s->eof = 1;
	return r;
}

SK_API int
sk_read_full(sk_stream *s, void *buf, size_t n, size_t *got)
{
	size_t have = 0;
	ssize_t r;

	while (have < n) {
		r = sk_read(s, (char *)buf + have, n - have);
		if (r < 0) {
			if (got)
				*got = have;
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	if (got)
		*got = have;
	if (have == n)
		return n == 0 ? 0 : 1;
	if (have == 0)
		return 0;
	errno = ENODATA;
	return -1;
}

SK_API int
sk_close(sk_stream *s)
{
	if (s == NULL)
		return 0;
	return s->ops->close(s);
}

SK_API int64_t
sk_length(sk_stream *s)
{
	if (s->err)
		return SK_UNKNOWN;
	if (s->eof)
		return 0;
	return s->ops->length ? s->ops->length(s) : SK_UNKNOWN;
}

SK_API int64_t
sk_skip(sk_stream *s, int64_t n)
{
	char buf[SKIP_CHUNK];
	int64_t done = 0;
	ssize_t r;

	if (s->err) {
		errno = s->err;
		return -1;
	}
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (s->eof || n == 0)
		return 0;
	if (s->ops->skip) {
		done = s->ops->skip(s, n);
		if (done < 0)
			fail(s);
		else if (done < n)
			s->eof = 1;
		return done;
	}
	while (done < n) {
		size_t want =
		    n - done < SKIP_CHUNK ? (size_t)(n - done) : SKIP_CHUNK;
		r = sk_read(s, buf, want);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

SK_API int
sk_error(const sk_stream *s)
{
	return s->err;
}

SK_API const char *
sk_kind(const sk_stream *s)
{
	return s->ops->name;
}

SK_API int
sk_fileno(sk_stream *s, int64_t *offset, int64_t *limit)
{
	if (s->err) {
		errno = s->err;
		return -1;
	}
	if (!s->ops->fileno || s->eof) {
		errno = ENOTSUP;
		return -1;
	}
	return s->ops->fileno(s, offset, limit);
}

SK_API int
sk_advance(sk_stream *s, int64_t k)
{
	if (k < 0 || !s->ops->advance) {
		errno = EINVAL;
		return -1;
	}
	return k == 0 ? 0 : s->ops->advance(s, k);
}

SK_API sk_stream *
sk_section_open(sk_stream *s, int64_t off, int64_t len)
{
	if (s->err) {
		errno = s->err;
		return NULL;
	}
	if (off < 0 || len < SK_UNKNOWN) {
		errno = EINVAL;
		return NULL;
	}
	if (!s->ops->section) {
		errno = ENOTSUP;
		return NULL;
	}
	if (s->eof)
		return sk_mem_open("", 0, 0);
	return s->ops->section(s, off, len);
}

SK_API int64_t
sk_copy(sk_stream *src, int dst, int64_t max)
{
	int64_t r;
	int rerr = 0;

	if (src->err) {
		errno = src->err;
		return -1;
	}
	if (max < SK_UNKNOWN) {
		errno = EINVAL;
		return -1;
	}
	if (src->eof || max == 0)
		return 0;
	sk_pipe_grow(dst, 1 << 20);
	if (src->ops->copy)
		r = src->ops->copy(src, dst, max, &rerr);
	else
		r = sk__copy_loop(src, dst, max, &rerr);
	if (r < 0 && rerr)
		fail(src);
	else if (r >= 0 && (max == SK_UNKNOWN || r < max))
		src->eof = 1;
	return r;
}

SK_API int64_t
sk_discard(sk_stream *src)
{
	return sk_skip(src, INT64_MAX);
}

SK_API int64_t
sk_slurp(sk_stream *src, size_t max, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (cap - len < 2) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= len + 1) {
				/* Full at max: one more byte means too large.
				 */
				char c;
				r = sk_read(src, &c, 1);
				if (r == 0)
					break;
				if (r > 0)
					errno = EFBIG;
				free(buf);
				return -1;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		r = sk_read(src, buf + len, cap - len - 1);
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return -1;
	buf[len] = '\0';
	*out = buf;
	return (int64_t)len;
}
