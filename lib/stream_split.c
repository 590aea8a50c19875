/*
 * stream_split.c - one stream cut in two at a position.  On streams that
 * allow sections each half is a section (O(1), independent).  Otherwise
 * the halves share the source: the head reads it directly until the rest
 * is first read; then whatever the head has not read yet is moved into a
 * spool, and the head goes on from there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

struct shared {
	sk_stream *src;
	int refs;
	int64_t pos;       /* where the cut is */
	int64_t head_read; /* bytes of src the head has read directly */
	int head_closed;
	int rest_started;
	sk_spool *spool; /* the head's unread bytes, once the rest started */
	size_t spool_mem;
	char *tmpdir;
};

struct half {
	sk_stream base;
	struct shared *sh;
	int is_head;
	sk_stream *inner; /* a section (fast path) or the head's spool */
};

/* Moves the head's unread bytes out of the way of the rest. */
static int
start_rest(struct shared *sh)
{
	char buf[65536];
	int64_t left = sh->pos - sh->head_read;

	if (sh->rest_started)
		return 0;
	if (sh->head_closed) {
		if (sk_skip(sh->src, left) < 0)
			return -1;
	} else if (left > 0) {
		sh->spool = sk_spool_open(NULL, sh->spool_mem, sh->tmpdir);
		if (sh->spool == NULL)
			return -1;
		while (left > 0) {
			size_t k = left < (int64_t)sizeof buf ? (size_t)left
			                                      : sizeof buf;
			ssize_t r = sk_read(sh->src, buf, k);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			if (sk__spool_write(sh->spool, buf, (size_t)r) < 0)
				return -1;
			left -= r;
		}
		sk__spool_end(sh->spool);
	}
	sh->head_read = sh->pos;
	sh->rest_started = 1;
	return 0;
}

/* The head's spool stream, once there is one; -1 on error. */
static int
head_inner(struct half *h)
{
	if (h->inner == NULL && h->sh->spool != NULL &&
	    (h->inner = sk_spool_stream_open(h->sh->spool, 0, SK_UNKNOWN)) ==
	        NULL)
		return -1;
	return 0;
}

static ssize_t
half_read(sk_stream *s, void *buf, size_t n)
{
	struct half *h = (struct half *)s;
	struct shared *sh = h->sh;
	ssize_t r;

	if (h->is_head && head_inner(h) < 0)
		return -1;
	if (h->inner)
		return sk_read(h->inner, buf, n);
	if (!h->is_head) {
		if (start_rest(sh) < 0)
			return -1;
		return sk_read(sh->src, buf, n);
	}
	if (sh->rest_started || sh->head_read >= sh->pos)
		return 0;
	if ((int64_t)n > sh->pos - sh->head_read)
		n = (size_t)(sh->pos - sh->head_read);
	r = sk_read(sh->src, buf, n);
	if (r > 0)
		sh->head_read += r;
	return r;
}

static int
half_close(sk_stream *s)
{
	struct half *h = (struct half *)s;
	struct shared *sh = h->sh;
	int err = 0;

	if (h->inner && sk_close(h->inner) < 0)
		err = errno;
	if (h->is_head)
		sh->head_closed = 1;
	if (--sh->refs == 0) {
		if (sk_close(sh->src) < 0 && !err)
			err = errno;
		if (sk_spool_close(sh->spool) < 0 && !err)
			err = errno;
		free(sh->tmpdir);
		free(sh);
	}
	free(h);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int64_t
half_length(sk_stream *s)
{
	struct half *h = (struct half *)s;
	struct shared *sh = h->sh;
	int64_t l, left;

	if (h->is_head && head_inner(h) < 0)
		return SK_UNKNOWN;
	if (h->inner)
		return sk_length(h->inner);
	l = sk_length(sh->src);
	if (h->is_head) {
		left = sh->rest_started ? 0 : sh->pos - sh->head_read;
		return l == SK_UNKNOWN ? (left == 0 ? 0 : l)
		                       : (l < left ? l : left);
	}
	if (sh->rest_started || l == SK_UNKNOWN)
		return l;
	left = sh->pos - sh->head_read;
	return l > left ? l - left : 0;
}

static int64_t
half_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct half *h = (struct half *)s;
	struct shared *sh = h->sh;
	sk_stream *from;
	int64_t r, left = SK_UNKNOWN;

	if (h->is_head && head_inner(h) < 0) {
		*rerr = 1;
		return -1;
	}
	if (h->inner) {
		from = h->inner;
	} else if (!h->is_head) {
		if (start_rest(sh) < 0) {
			*rerr = 1;
			return -1;
		}
		from = sh->src;
	} else {
		left = sh->rest_started ? 0 : sh->pos - sh->head_read;
		if (max == SK_UNKNOWN || max > left)
			max = left;
		if (max == 0)
			return 0;
		from = sh->src;
	}
	r = sk_copy(from, dst, max);
	if (r < 0) {
		*rerr = sk_error(from) != 0;
		return -1;
	}
	if (left != SK_UNKNOWN)
		sh->head_read += r;
	return r;
}

static sk_stream *
half_section(sk_stream *s, int64_t off, int64_t len)
{
	struct half *h = (struct half *)s;

	if (h->is_head && head_inner(h) < 0)
		return NULL;
	if (h->inner == NULL) {
		errno = ENOTSUP;
		return NULL;
	}
	return sk_section_open(h->inner, off, len);
}

static int
half_can_section(sk_stream *s)
{
	struct half *h = (struct half *)s;

	if (h->inner)
		return sk_can_section(h->inner);
	return h->is_head && h->sh->spool != NULL;
}

static const struct sk_ops half_ops = {
    .name = "split",
    .read = half_read,
    .close = half_close,
    .length = half_length,
    .section = half_section,
    .can_section = half_can_section,
    .copy = half_copy,
};

static struct half *
half_new(struct shared *sh, int is_head)
{
	struct half *h = calloc(1, sizeof *h);

	if (h) {
		sk__init(&h->base, &half_ops);
		h->sh = sh;
		h->is_head = is_head;
	}
	return h;
}

SK_API int
sk_split_open(sk_stream *src, int64_t pos, size_t spool_mem, const char *tmpdir,
              sk_stream **head, sk_stream **rest)
{
	struct shared *sh;
	struct half *h = NULL, *r = NULL;
	int e;

	if (src == NULL || pos < 0 || head == NULL || rest == NULL) {
		sk_close(src);
		errno = EINVAL;
		return -1;
	}
	if ((sh = calloc(1, sizeof *sh)) == NULL)
		goto fail;
	sh->src = src;
	sh->pos = pos;
	sh->spool_mem = spool_mem;
	if (tmpdir && (sh->tmpdir = strdup(tmpdir)) == NULL)
		goto fail;
	if ((h = half_new(sh, 1)) == NULL || (r = half_new(sh, 0)) == NULL)
		goto fail;
	if (sk_can_section(src) && sk_length(src) != SK_UNKNOWN) {
		if ((h->inner = sk_section_open(src, 0, pos)) == NULL ||
		    (r->inner = sk_section_open(src, pos, SK_UNKNOWN)) == NULL)
			goto fail;
	}
	sh->refs = 2;
	*head = &h->base;
	*rest = &r->base;
	return 0;
fail:
	e = errno;
	if (h)
		sk_close(h->inner);
	if (r)
		sk_close(r->inner);
	free(h);
	free(r);
	if (sh)
		free(sh->tmpdir);
	free(sh);
	sk_close(src);
	errno = e;
	return -1;
}
