/*
 * stream_window.c - bytes [off, off+len) of another stream (Go's
 * SectionReader over a reader; twisted's truncater).  The offset is reached
 * lazily, by one sk_skip(), so building a window costs nothing and
 * positioning on seekable input is O(1).
 */
#include <errno.h>
#include <stdlib.h>

#include "sk_impl.h"

struct window {
	sk_stream base;
	sk_stream *src;
	int64_t pending; /* bytes still to skip before the window starts */
	int64_t left;    /* bytes left in the window, or SK_UNKNOWN */
};

/* Skips to the start of the window; 1 when there, 0 when src ended
 * first, -1 on error. */
static int
reach(struct window *w)
{
	int64_t r;

	if (w->pending == 0)
		return 1;
	r = sk_skip(w->src, w->pending);
	if (r < 0)
		return -1;
	if (r < w->pending) {
		w->pending = 0;
		w->left = 0;
		return 0;
	}
	w->pending = 0;
	return 1;
}

static ssize_t
window_read(sk_stream *s, void *buf, size_t n)
{
	struct window *w = (struct window *)s;
	ssize_t r;

	if (reach(w) < 0)
		return -1;
	if (w->left == 0)
		return 0;
	if (w->left != SK_UNKNOWN && (int64_t)n > w->left)
		n = (size_t)w->left;
	r = sk_read(w->src, buf, n);
	if (r > 0 && w->left != SK_UNKNOWN)
		w->left -= r;
	return r;
}

static int
window_close(sk_stream *s)
{
	struct window *w = (struct window *)s;
	int r = sk_close(w->src);

	free(w);
	return r;
}

static int64_t
window_length(sk_stream *s)
{
	struct window *w = (struct window *)s;
	int64_t l = sk_length(w->src);

	if (l != SK_UNKNOWN)
		l = l > w->pending ? l - w->pending : 0;
	if (w->left == SK_UNKNOWN)
		return l;
	if (l == SK_UNKNOWN)
		return w->left == 0 ? 0 : SK_UNKNOWN;
	return l < w->left ? l : w->left;
}

static int64_t
window_skip(sk_stream *s, int64_t n)
{
	struct window *w = (struct window *)s;
	int64_t r;

	if (reach(w) < 0)
		return -1;
	if (w->left != SK_UNKNOWN && n > w->left)
		n = w->left;
	if ((r = sk_skip(w->src, n)) < 0)
		return -1;
	if (w->left != SK_UNKNOWN)
		w->left -= r;
	return r;
}

static int
window_fileno(sk_stream *s, int64_t *off, int64_t *limit)
{
	struct window *w = (struct window *)s;
	int fd;

	if (reach(w) < 0)
		return -1;
	if ((fd = sk_fileno(w->src, off, limit)) < 0)
		return -1;
	if (w->left != SK_UNKNOWN && (*limit == SK_UNKNOWN || *limit > w->left))
		*limit = w->left;
	return fd;
}

static int
window_advance(sk_stream *s, int64_t k)
{
	struct window *w = (struct window *)s;

	if (w->left != SK_UNKNOWN) {
		if (k > w->left) {
			errno = EINVAL;
			return -1;
		}
		w->left -= k;
	}
	return sk_advance(w->src, k);
}

static sk_stream *
window_section(sk_stream *s, int64_t off, int64_t len)
{
	struct window *w = (struct window *)s;

	if (w->left != SK_UNKNOWN) {
		if (off > w->left)
			off = w->left;
		if (len == SK_UNKNOWN || len > w->left - off)
			len = w->left - off;
	}
	if (off > INT64_MAX - w->pending) {
		errno = EOVERFLOW;
		return NULL;
	}
	return sk_section_open(w->src, w->pending + off, len);
}

static int
window_can_section(sk_stream *s)
{
	return sk_can_section(((struct window *)s)->src);
}

static int64_t
window_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct window *w = (struct window *)s;
	int64_t r;

	if (reach(w) < 0) {
		*rerr = 1;
		return -1;
	}
	if (w->left != SK_UNKNOWN && (max == SK_UNKNOWN || max > w->left))
		max = w->left;
	if (max == 0)
		return 0;
	r = sk_copy(w->src, dst, max);
	if (r < 0) {
		*rerr = sk_error(w->src) != 0;
		return -1;
	}
	if (w->left != SK_UNKNOWN)
		w->left -= r;
	return r;
}

static const struct sk_ops window_ops = {
    .name = "window",
    .read = window_read,
    .close = window_close,
    .length = window_length,
    .skip = window_skip,
    .fileno = window_fileno,
    .advance = window_advance,
    .section = window_section,
    .can_section = window_can_section,
    .copy = window_copy,
};

SK_API sk_stream *
sk_window_open(sk_stream *src, int64_t off, int64_t len)
{
	struct window *w;

	if (src == NULL || off < 0 || len < SK_UNKNOWN) {
		sk_close(src);
		errno = EINVAL;
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		sk_close(src);
		return NULL;
	}
	sk__init(&w->base, &window_ops);
	w->src = src;
	w->pending = off;
	w->left = len;
	return &w->base;
}
