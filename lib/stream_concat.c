/*
 * stream_concat.c - streams read one after another (Go's MultiReader).
 * Nested concatenations are flattened at construction, so a long chain
 * built by repeated wrapping costs one level, not one per link.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "sk_impl.h"

struct concat {
	sk_stream base;
	sk_stream **parts;
	size_t n;
	size_t cur; /* parts before cur are read and closed */
	int cerr;   /* first errno from closing a finished part */
};

/* Closes the current part, which has ended, and moves on. */
static int
next_part(struct concat *c)
{
	int r = sk_close(c->parts[c->cur]);
	c->parts[c->cur++] = NULL;
	if (r < 0 && c->cerr == 0)
		c->cerr = errno;
	return r;
}

static ssize_t
concat_read(sk_stream *s, void *buf, size_t n)
{
	struct concat *c = (struct concat *)s;

	while (c->cur < c->n) {
		ssize_t r = sk_read(c->parts[c->cur], buf, n);
		if (r != 0)
			return r;
		next_part(c);
	}
	return 0;
}

static int
concat_close(sk_stream *s)
{
	struct concat *c = (struct concat *)s;
	int err = c->cerr;

	for (size_t i = c->cur; i < c->n; i++)
		if (sk_close(c->parts[i]) < 0 && err == 0)
			err = errno;
	free(c->parts);
	free(c);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int64_t
concat_length(sk_stream *s)
{
	struct concat *c = (struct concat *)s;
	int64_t total = 0;

	for (size_t i = c->cur; i < c->n; i++) {
		int64_t l = sk_length(c->parts[i]);
		if (l == SK_UNKNOWN || l > INT64_MAX - total)
			return SK_UNKNOWN;
		total += l;
	}
	return total;
}

static int64_t
concat_skip(sk_stream *s, int64_t n)
{
	struct concat *c = (struct concat *)s;
	int64_t done = 0;

	while (done < n && c->cur < c->n) {
		int64_t r = sk_skip(c->parts[c->cur], n - done);
		if (r < 0)
			return -1;
		done += r;
		if (done < n)
			next_part(c);
	}
	return done;
}

static int
concat_fileno(sk_stream *s, int64_t *off, int64_t *limit)
{
	struct concat *c = (struct concat *)s;

	/* Parts known to be empty are passed over, so the descriptor given
	 * is one with bytes to come, when the lengths tell. */
	while (c->cur < c->n && c->cur + 1 < c->n &&
	       sk_length(c->parts[c->cur]) == 0)
		next_part(c);
	if (c->cur == c->n) {
		errno = ENOTSUP;
		return -1;
	}
	return sk_fileno(c->parts[c->cur], off, limit);
}

static int
concat_advance(sk_stream *s, int64_t k)
{
	struct concat *c = (struct concat *)s;

	if (c->cur == c->n) {
		errno = EINVAL;
		return -1;
	}
	return sk_advance(c->parts[c->cur], k);
}

static sk_stream *
concat_section(sk_stream *s, int64_t off, int64_t len)
{
	struct concat *c = (struct concat *)s;
	sk_stream **secs;
	size_t k = 0;
	int64_t pos = 0;
	sk_stream *r;

	if ((secs = calloc(c->n - c->cur + 1, sizeof *secs)) == NULL)
		return NULL;
	for (size_t i = c->cur; i < c->n; i++) {
		int64_t l = sk_length(c->parts[i]);
		int64_t a, b;
		if (l == SK_UNKNOWN || !sk_can_section(c->parts[i])) {
			errno = ENOTSUP;
			goto fail;
		}
		/* The part covers [pos, pos+l); take its overlap with the
		 * section [off, off+len). */
		a = off > pos ? off - pos : 0;
		b = len == SK_UNKNOWN || off + len - pos > l ? l
		                                             : off + len - pos;
		if (a < b && (secs[k++] = sk_section_open(c->parts[i], a,
		                                          b - a)) == NULL)
			goto fail;
		pos += l;
		if (len != SK_UNKNOWN && pos >= off + len)
			break;
	}
	r = sk_concat_open(secs, k);
	free(secs);
	return r;
fail:
	while (k > 0)
		sk_close(secs[--k]);
	free(secs);
	return NULL;
}

/* Sections need every part's length and sections. */
static int
concat_can_section(sk_stream *s)
{
	struct concat *c = (struct concat *)s;

	for (size_t i = c->cur; i < c->n; i++)
		if (sk_length(c->parts[i]) == SK_UNKNOWN ||
		    !sk_can_section(c->parts[i]))
			return 0;
	return 1;
}

static int64_t
concat_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct concat *c = (struct concat *)s;
	int64_t done = 0;

	while (c->cur < c->n && (max == SK_UNKNOWN || done < max)) {
		sk_stream *p = c->parts[c->cur];
		int64_t want = max == SK_UNKNOWN ? max : max - done;
		int64_t r = sk_copy(p, dst, want);
		if (r < 0) {
			*rerr = sk_error(p) != 0;
			return -1;
		}
		done += r;
		if (want == SK_UNKNOWN || r < want)
			next_part(c);
	}
	return done;
}

static const struct sk_ops concat_ops = {
    .name = "concat",
    .read = concat_read,
    .close = concat_close,
    .length = concat_length,
    .skip = concat_skip,
    .fileno = concat_fileno,
    .advance = concat_advance,
    .section = concat_section,
    .can_section = concat_can_section,
    .copy = concat_copy,
};

SK_API sk_stream *
sk_concat_open(sk_stream *const *parts, size_t n)
{
	struct concat *c;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		if (parts[i] == NULL) {
			errno = EINVAL;
			goto fail;
		}
		if (parts[i]->ops == &concat_ops) {
			struct concat *in = (struct concat *)parts[i];
			total += in->n - in->cur;
		} else {
			total++;
		}
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		goto fail;
	if ((c->parts = calloc(total ? total : 1, sizeof *c->parts)) == NULL) {
		free(c);
		goto fail;
	}
	sk__init(&c->base, &concat_ops);
	for (size_t i = 0; i < n; i++) {
		if (parts[i]->ops == &concat_ops) {
			struct concat *in = (struct concat *)parts[i];
			/* Take the inner parts; an inner error from a part it
			 * already closed is kept for our close. */
			for (size_t j = in->cur; j < in->n; j++)
				c->parts[k++] = in->parts[j];
			if (in->cerr && !c->cerr)
				c->cerr = in->cerr;
			if (sk_error(&in->base)) {
				/* A failed inner stream stays failed. */
				errno = sk_error(&in->base);
				sk__fail(&c->base);
			}
			free(in->parts);
			free(in);
		} else {
			c->parts[k++] = parts[i];
		}
	}
	c->n = k;
	return &c->base;
fail:
	for (size_t i = 0; i < n; i++)
		sk_close(parts[i]);
	return NULL;
}
