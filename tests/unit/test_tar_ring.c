/*
 * test_tar_ring.c - the read-ahead ring of lib/tar_ring.c (internal): an
 * empty ring gives any body up to its size wherever it stands, starts
 * over at its beginning, and never hands out
 * space that is still held.
 */
#include <stdint.h>

#include "t.h"
#include "tar_impl.h"

#define CAP 4096

/* A ring whose head and tail stand at pos, empty. */
static void
empty_at(struct tar_ring *r, size_t pos)
{
	uint64_t end;

	r->head = r->tail = 0;
	if (pos > 0) {
		CHECK(sk__tar_ring_get(r, pos, &end) != NULL);
		sk__tar_ring_put(r, end);
	}
}

static void
an_empty_ring_gives_any_body_wherever_it_stands(void)
{
	struct tar_ring r = {0};

	CHECK_EQ(sk__tar_ring_init(&r, CAP), 0);
	for (size_t pos = 0; pos < CAP; pos += 97) {
		for (size_t n = 1; n <= CAP; n += 61) {
			uint64_t end;
			char *p;
			empty_at(&r, pos);
			p = sk__tar_ring_get(&r, n, &end);
			CHECK(p != NULL);
			if (p == NULL)
				continue;
			CHECK(p >= r.mem && p + n <= r.mem + CAP);
			/* An empty ring starts over at its beginning. */
			CHECK(p == r.mem);
		}
	}
	sk__tar_ring_fini(&r);
}

static void
held_space_is_never_handed_out_twice(void)
{
	struct tar_ring r = {0};
	uint64_t e1, e2, e3;
	char *a, *b;

	CHECK_EQ(sk__tar_ring_init(&r, CAP), 0);
	a = sk__tar_ring_get(&r, 1000, &e1);
	b = sk__tar_ring_get(&r, 1000, &e2);
	CHECK(a != NULL && b != NULL && b >= a + 1000);
	/* Not empty: no start over, and no more than what is left. */
	CHECK(sk__tar_ring_get(&r, CAP - 2000 + 1, &e3) == NULL);
	CHECK(sk__tar_ring_get(&r, CAP - 2000, &e3) != NULL);
	CHECK(sk__tar_ring_get(&r, 1, &e3) == NULL);
	/* The first two given back, the third still held: exactly their
	 * 2000 bytes are free again. */
	sk__tar_ring_put(&r, e1);
	sk__tar_ring_put(&r, e2);
	CHECK(sk__tar_ring_get(&r, 2001, &e1) == NULL);
	b = sk__tar_ring_get(&r, 2000, &e1);
	CHECK(b == r.mem);
	sk__tar_ring_fini(&r);
}

T_CASES(T(an_empty_ring_gives_any_body_wherever_it_stands),
        T(held_space_is_never_handed_out_twice))
