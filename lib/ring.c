/*
 * ring.c - a byte ring for the kinds that hold back or remember the last
 * bytes of a stream (droptail, recorder).  Exposed as contiguous spans so
 * that reads go straight into it, as skalibs' buffers do.
 */
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int
sk__ring_init(struct sk__ring *r, size_t cap)
{
	r->buf = malloc(cap ? cap : 1);
	r->cap = cap;
	r->head = r->len = 0;
	return r->buf ? 0 : -1;
}

void
sk__ring_free(struct sk__ring *r)
{
	free(r->buf);
	r->buf = NULL;
}

size_t
sk__ring_space(struct sk__ring *r, char **p)
{
	size_t tail = (r->head + r->len) % (r->cap ? r->cap : 1);

	*p = r->buf + tail;
	if (r->len == r->cap)
		return 0;
	return tail >= r->head ? r->cap - tail : r->head - tail;
}

void
sk__ring_commit(struct sk__ring *r, size_t n)
{
	r->len += n;
}

void
sk__ring_push(struct sk__ring *r, const void *data, size_t n)
{
	const char *p = data;

	if (r->cap == 0)
		return;
	if (n >= r->cap) {
		/* Only the newest cap bytes survive. */
		memcpy(r->buf, p + n - r->cap, r->cap);
		r->head = 0;
		r->len = r->cap;
		return;
	}
	while (n > 0) {
		size_t tail = (r->head + r->len) % r->cap;
		size_t k = r->cap - tail < n ? r->cap - tail : n;
		memcpy(r->buf + tail, p, k);
		p += k;
		n -= k;
		r->len += k;
		if (r->len > r->cap) {
			r->head = (r->head + r->len - r->cap) % r->cap;
			r->len = r->cap;
		}
	}
}

size_t
sk__ring_pop(struct sk__ring *r, void *out, size_t n)
{
	char *o = out;
	size_t done = 0;

	if (n > r->len)
		n = r->len;
	while (done < n) {
		size_t k =
		    r->cap - r->head < n - done ? r->cap - r->head : n - done;
		memcpy(o + done, r->buf + r->head, k);
		done += k;
		r->head = (r->head + k) % r->cap;
		r->len -= k;
	}
	if (r->len == 0)
		r->head = 0;
	return done;
}

/* Reverses buf[a, b). */
static void
reverse(char *buf, size_t a, size_t b)
{
	while (a + 1 < b) {
		char t = buf[a];
		buf[a++] = buf[--b];
		buf[b] = t;
	}
}

void
sk__ring_linearize(struct sk__ring *r)
{
	if (r->head == 0)
		return;
	/* Rotate left by head in place: three reversals. */
	reverse(r->buf, 0, r->head);
	reverse(r->buf, r->head, r->cap);
	reverse(r->buf, 0, r->cap);
	r->head = 0;
}
