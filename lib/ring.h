/* ring.h - internal byte ring; see ring.c. */
#ifndef SK_RING_H
#define SK_RING_H

#include <stddef.h>

struct sk__ring {
	char *buf;
	size_t cap;
	size_t head; /* offset of the oldest byte */
	size_t len;  /* bytes held */
};

int sk__ring_init(struct sk__ring *r, size_t cap);
void sk__ring_free(struct sk__ring *r);
/* The contiguous free span after the newest byte: its length, and *p. */
size_t sk__ring_space(struct sk__ring *r, char **p);
/* Counts n bytes written into the span sk__ring_space() gave. */
void sk__ring_commit(struct sk__ring *r, size_t n);
/* Appends n bytes, overwriting the oldest when full. */
void sk__ring_push(struct sk__ring *r, const void *data, size_t n);
/* Removes up to n of the oldest bytes into out; returns how many. */
size_t sk__ring_pop(struct sk__ring *r, void *out, size_t n);
/* Moves the bytes so the oldest is at buf[0]: only valid when full or
 * when the ring never wrapped (buf[0, len) then holds them in order). */
void sk__ring_linearize(struct sk__ring *r);

#endif
