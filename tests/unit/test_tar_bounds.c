/*
 * test_tar_bounds.c - how many read-ahead threads work at once
 * (lib/tar_bounds.c, internal): every 64 items, a quarter or more slow
 * lets all threads work, fewer lets only the warm number; an item is slow
 * past 25 us plus the time to copy (and hash) what it read; a busy thread
 * is one too many only past the allowed number.
 */
#include <stdint.h>
#include <stdlib.h>

#include "t.h"
#include "tar_impl.h"

static void
pool(struct tar_pool *p, int threads, int warm)
{
	*p = (struct tar_pool){0};
	p->nthreads = threads;
	sk__tar_govern_init(p, threads);
	p->warm = warm;
}

static void
a_quarter_of_slow_items_lets_every_thread_work(void)
{
	struct tar_pool p;

	/* Sweep the slow items of one window across the boundary (16 of
	 * 64), in batches of 8 as the threads take them. */
	for (size_t slow = 0; slow <= 64; slow++) {
		int more = 0;
		pool(&p, 8, 1);
		STORE(p.allowed, 1);
		for (size_t i = 0; i < 8; i++) {
			size_t s = slow > 8 * i ? slow - 8 * i : 0;
			more |= sk__tar_govern(&p, s > 8 ? 8 : s, 8);
			/* Nothing is chosen before 64 items. */
			if (i < 7)
				CHECK_EQ(p.allowed, 1);
		}
		CHECK_EQ(p.allowed, slow >= 16 ? 8 : 1);
		CHECK_EQ(more, slow >= 16);
		CHECK_EQ(p.gov, 0); /* the next window starts empty */
	}
}

static void
fast_items_bring_it_down_to_the_warm_number(void)
{
	struct tar_pool p;

	pool(&p, 8, 3);
	CHECK_EQ(p.allowed, 8); /* all, until the first window is seen */
	for (int i = 0; i < 63; i++)
		CHECK_EQ(sk__tar_govern(&p, 0, 1), 0);
	CHECK_EQ(p.allowed, 8);
	CHECK_EQ(sk__tar_govern(&p, 0, 1), 0); /* fewer: nobody to wake */
	CHECK_EQ(p.allowed, 3);
	/* A batch larger than the window decides at once. */
	CHECK_EQ(sk__tar_govern(&p, 25, 100), 1);
	CHECK_EQ(p.allowed, 8);
	CHECK_EQ(sk__tar_govern(&p, 24, 100), 0);
	CHECK_EQ(p.allowed, 3);
}

static void
the_warm_number_is_at_most_the_threads(void)
{
	struct tar_pool p = {0};

	for (int n = 1; n <= 64; n++) {
		sk__tar_govern_init(&p, n);
		CHECK(p.warm >= 1 && p.warm <= n);
		CHECK_EQ(p.allowed, n);
	}
}

static void
manifest_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	(void)line;
	(void)len;
}

static void
an_item_is_slow_past_25us_and_its_copy(void)
{
	struct tar_item it = {0};
	sk_tar *t = calloc(1, sizeof *t);
	char body[1];

	CHECK(t != NULL);
	CHECK_EQ(sk__tar_slow(t, &it, 25000), 0);
	CHECK_EQ(sk__tar_slow(t, &it, 25001), 1);
	it.data = body;
	it.len = 1 << 20; /* 1 MiB read: 524288 ns more */
	CHECK_EQ(sk__tar_slow(t, &it, 25000 + 524288), 0);
	CHECK_EQ(sk__tar_slow(t, &it, 25000 + 524289), 1);
	/* Hashed for a manifest as well: 7 times as long. */
	t->opt.manifest = manifest_line;
	CHECK_EQ(sk__tar_slow(t, &it, 25000 + 7 * 524288), 0);
	CHECK_EQ(sk__tar_slow(t, &it, 25000 + 7 * 524288 + 1), 1);
	it.data = NULL; /* nothing read: nothing hashed */
	CHECK_EQ(sk__tar_slow(t, &it, 25001), 1);
	free(t);
}

static void
a_busy_thread_is_one_too_many_only_past_the_allowed(void)
{
	struct tar_pool p;

	pool(&p, 8, 2);
	for (int allowed = 1; allowed <= 8; allowed++)
		for (int busy = 1; busy <= 8; busy++) {
			STORE(p.allowed, allowed);
			/* The rest wait: some for work, some at the gate. */
			p.idle = (8 - busy) / 2;
			p.gated = 8 - busy - p.idle;
			CHECK_EQ(sk__tar_too_many(&p), busy > allowed);
		}
}

T_CASES(T(a_quarter_of_slow_items_lets_every_thread_work),
        T(fast_items_bring_it_down_to_the_warm_number),
        T(the_warm_number_is_at_most_the_threads),
        T(an_item_is_slow_past_25us_and_its_copy),
        T(a_busy_thread_is_one_too_many_only_past_the_allowed))
