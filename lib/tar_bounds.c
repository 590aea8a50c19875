/*
 * tar_bounds.c - the read-ahead's bounds: the bytes of bodies read ahead
 * and the descriptors held for the writer (below), and how many of the
 * I/O threads work at once.
 *
 * When the files wait for the disk, every thread keeps a request in
 * flight: a disk (an SSD, a virtual disk) answers several at once much
 * faster than one after another.  On a warm cache an item is a few
 * microseconds of the kernel's time; threads beyond the cores only take
 * turns with each other and with the writer, and each turn costs a switch
 * and cold caches.  Measured on 2 cores, warm, medians of 5 runs (the
 * trees of bench/tarstream.sh): 8 threads at work took 1.07 s for 200,000
 * empty files, 0.29 s for 20,000 of 4 KiB; one beside the writer 0.88 s
 * and 0.22 s, and cold runs are as fast as before.
 *
 * So the threads time each item they make ready.  One that took longer
 * than SLOW, beyond the time to copy what it read at 2 GB/s (and to hash
 * it for a manifest), waited for the disk: a read from this virtual disk
 * takes 64-512 us, one from an NVMe SSD rarely under 25; a warm item takes
 * 4-8 us with one thread at work, and one in 50 takes over 25 (a thread
 * preempted, an interrupt).  Only the items the threads make ready count
 * (not the writer's).  Every WINDOW of them, a quarter or more slow lets
 * every thread work; less lets p->warm: one per CPU this process may run
 * on, less one for the writer, but at least one (and at most the threads).
 * The others wait at the gate (p->gate) until more may work.  Nothing
 * waits for them: the writer makes an item ready itself when no thread
 * has taken it.
 */
#include <sched.h>
#include <unistd.h>

#include "tar_impl.h"

#define WINDOW 64    /* items per choice */
#define SLOW   25000 /* ns */

int
sk__tar_slow(const sk_tar *t, const struct tar_item *it, uint64_t ns)
{
	uint64_t copy = it->data ? it->len : 0;

	/* A copy at 2 GB/s; with a manifest, SHA-256 at 1/3 GB/s too (a
	 * CPU without SHA instructions). */
	if (t->opt.manifest)
		copy *= 7;
	return ns > SLOW + copy / 2;
}

void
sk__tar_govern_init(struct tar_pool *p, int threads)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	else /* more CPUs than a cpu_set_t holds */
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	p->warm = n > 2 ? n - 1 : 1;
	if (p->warm > threads)
		p->warm = threads;
	STORE(p->gov, 0);
	STORE(p->allowed, threads);
}

int
sk__tar_govern(struct tar_pool *p, size_t slow, size_t n)
{
	uint64_t v = ADD(p->gov, (uint64_t)slow << 32 | n);
	uint64_t items = v & 0xffffffffu, slows = v >> 32;
	int want, was;

	/* The thread whose batch fills the window chooses, and starts the
	 * next; should another add meanwhile, that one does. */
	if (items < WINDOW ||
	    !__atomic_compare_exchange_n(&p->gov, &v, 0, 0, __ATOMIC_SEQ_CST,
	                                 __ATOMIC_SEQ_CST))
		return 0;
	want = 4 * slows >= items ? LOAD(p->nthreads) : p->warm;
	was = __atomic_exchange_n(&p->allowed, want, __ATOMIC_SEQ_CST);
	return want > was;
}

int
sk__tar_too_many(struct tar_pool *p)
{
	return LOAD(p->nthreads) - LOAD(p->idle) - LOAD(p->gated) >
	       LOAD(p->allowed);
}

int
sk__tar_pool_reserve(sk_tar *t, size_t n)
{
	struct tar_pool *p = &t->pool;
	size_t u = LOAD(p->used);

	do {
		if (u + n > p->budget)
			return 0;
	} while (!__atomic_compare_exchange_n(
	    &p->used, &u, u + n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return 1;
}

int
sk__tar_pool_hold_fd(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	if (ADD(p->fds, 1) <= p->maxfds)
		return 1;
	SUB(p->fds, 1);
	return 0;
}
