/*
 * stream.c - the operations every stream has, dispatched to its kind, and
 * the fallbacks for the optional ones.  Sticky errors and the end of
 * stream are kept here, once, rather than in every kind.  Below it is only
 * io.c: the kinds are above, and so is everything built on streams.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sk_impl.h"

/* Large enough to amortise system calls, small enough that a program
 * doing forward ranges stays well inside its memory target. */
#define SKIP_CHUNK (64 * 1024)
/* One copy loop buffer: big enough for pipes raised to 1 MiB to be
 * drained in few calls, small against the programs' memory targets. */
#define LOOP_BUF (128 * 1024)

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
int
sk__fail(sk_stream *s)
{
	if (errno != EAGAIN && errno != EINTR && errno != 0)
		s->err = errno;
	else if (errno == 0)
		s->err = errno = EIO;
	return -1;
}

int
sk__check(const sk_stream *s)
{
	if (s->err) {
		errno = s->err;
		return -1;
	}
	return 0;
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
		sk__fail(s);
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
			sk__fail(s);
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
	if (sk__check(s) < 0)
		return -1;
	if (k < 0 || !s->ops->advance) {
		errno = EINVAL;
		return -1;
	}
	if (k > 0 && s->ops->advance(s, k) < 0)
		return sk__fail(s);
	return 0;
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
	/* After the end every section is empty, even of a file that grew
	 * since: the kind makes an empty one of its own. */
	if (s->eof)
		off = len = 0;
	return s->ops->section(s, off, len);
}

SK_API int
sk_can_section(sk_stream *s)
{
	if (s->err || !s->ops->section)
		return 0;
	return s->ops->can_section ? s->ops->can_section(s) : 1;
}

ssize_t
sk__read_at(sk_stream *s, void *buf, size_t n, int64_t off)
{
	sk_stream *sec = sk_section_open(s, off, (int64_t)n);
	size_t got = 0;
	int r, e;

	if (sec == NULL)
		return -1;
	r = sk_read_full(sec, buf, n, &got);
	e = errno;
	sk_close(sec);
	if (r < 0 && e != ENODATA) {
		errno = e;
		return -1;
	}
	return (ssize_t)got;
}

int64_t
sk__copy_loop(sk_stream *s, int dst, int64_t max, int *rerr)
{
	char *buf = malloc(LOOP_BUF);
	int64_t done = 0;
	ssize_t r;

	if (buf == NULL) {
		*rerr = 0;
		return -1;
	}
	while (max == SK_UNKNOWN || done < max) {
		size_t want = LOOP_BUF;
		if (max != SK_UNKNOWN && max - done < (int64_t)want)
			want = (size_t)(max - done);
		r = sk_read(s, buf, want);
		if (r < 0) {
			*rerr = 1;
			done = -1;
			break;
		}
		if (r == 0)
			break;
		if (sk_write_all(dst, buf, (size_t)r) < 0) {
			*rerr = 0;
			done = -1;
			break;
		}
		done += r;
	}
	free(buf);
	return done;
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
		sk__fail(src);
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
	/* Room for max bytes, their NUL, and one byte more that tells an
	 * input of exactly max bytes from a larger one. */
	size_t len = 0, cap = 0, lim = max < SIZE_MAX - 1 ? max + 2 : SIZE_MAX;
	char *buf = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (cap - len < 2) {
			size_t ncap = cap == 0 ? 4096 : cap * 2;
			if (ncap > lim || ncap < cap)
				ncap = lim;
			if (ncap <= cap) {
				free(buf);
				errno = EFBIG;
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
		if (len > max) {
			free(buf);
			errno = EFBIG;
			return -1;
		}
	}
	buf[len] = '\0';
	*out = buf;
	return (int64_t)len;
}
