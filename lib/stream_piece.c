/*
 * stream_piece.c - a piece of a borrowed stream: some bytes already held
 * in memory, then up to a count of the stream's next bytes.  It is how
 * the ranges of one pass over a pipe are handed out without giving away
 * the pipe: each part reads on from where the last one stopped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parts.h"

struct piece {
	sk_stream base;
	const char *pre; /* borrowed bytes still to give */
	size_t npre;
	sk_stream *src; /* borrowed, NULL: none */
	int64_t left;   /* of src, SK_UNKNOWN: all */
	int64_t taken;  /* of src */
};

/* The most of src to take now for a request of n bytes. */
static int64_t
room(const struct piece *p, int64_t n)
{
	if (p->src == NULL)
		return 0;
	return p->left != SK_UNKNOWN && p->left < n ? p->left : n;
}

static void
took(struct piece *p, int64_t k)
{
	p->taken += k;
	if (p->left != SK_UNKNOWN)
		p->left -= k;
}

static ssize_t
piece_read(sk_stream *s, void *buf, size_t n)
{
	struct piece *p = (struct piece *)s;
	int64_t want;
	ssize_t r;

	if (p->npre > 0) {
		if (n > p->npre)
			n = p->npre;
		memcpy(buf, p->pre, n);
		p->pre += n;
		p->npre -= n;
		return (ssize_t)n;
	}
	if ((want = room(p, n > INT64_MAX ? INT64_MAX : (int64_t)n)) == 0)
		return 0;
	if ((r = sk_read(p->src, buf, (size_t)want)) > 0)
		took(p, r);
	return r;
}

static int
piece_close(sk_stream *s)
{
	free(s);
	return 0;
}

static int64_t
piece_length(sk_stream *s)
{
	struct piece *p = (struct piece *)s;
	int64_t l = 0;

	if (p->src != NULL && p->left != 0) {
		l = sk_length(p->src);
		if (l != SK_UNKNOWN && p->left != SK_UNKNOWN && l > p->left)
			l = p->left;
	}
	return l == SK_UNKNOWN ? l : l + (int64_t)p->npre;
}

static int64_t
piece_skip(sk_stream *s, int64_t n)
{
	struct piece *p = (struct piece *)s;
	int64_t done = 0, r;

	if (p->npre > 0) {
		done = (uint64_t)n < p->npre ? n : (int64_t)p->npre;
		p->pre += done;
		p->npre -= (size_t)done;
	}
	if ((r = room(p, n - done)) == 0)
		return done;
	if ((r = sk_skip(p->src, r)) < 0)
		return -1;
	took(p, r);
	return done + r;
}

static int64_t
piece_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct piece *p = (struct piece *)s;
	int64_t done = 0, want, r;

	if (p->npre > 0) {
		size_t k = max != SK_UNKNOWN && (uint64_t)max < p->npre
		               ? (size_t)max
		               : p->npre;
		if (sk_write_all(dst, p->pre, k) < 0) {
			*rerr = 0;
			return -1;
		}
		p->pre += k;
		p->npre -= k;
		done = (int64_t)k;
	}
	want = max == SK_UNKNOWN
	           ? (p->left == SK_UNKNOWN ? SK_UNKNOWN : p->left)
	           : room(p, max - done);
	if (p->src == NULL || want == 0)
		return done;
	if ((r = sk_copy(p->src, dst, want)) < 0) {
		*rerr = sk_error(p->src) != 0;
		return -1;
	}
	took(p, r);
	return done + r;
}

static const struct sk_ops piece_ops = {
    .name = "piece",
    .read = piece_read,
    .close = piece_close,
    .length = piece_length,
    .skip = piece_skip,
    .copy = piece_copy,
};

sk_stream *
sk__piece_open(const char *pre, size_t n, sk_stream *src, int64_t len)
{
	struct piece *p;

	if ((n > 0 && pre == NULL) || len < SK_UNKNOWN) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	sk__init(&p->base, &piece_ops);
	p->pre = pre;
	p->npre = n;
	p->src = src;
	p->left = len;
	return &p->base;
}

int64_t
sk__piece_taken(const sk_stream *s)
{
	return ((const struct piece *)s)->taken;
}
