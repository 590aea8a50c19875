/*
 * tar_ring.c - memory for bodies read ahead: a ring per thread.  A thread
 * takes space for the bodies it reads in the order it reads them, and the
 * writer gives it back in the same order (it writes items in archive
 * order, and one thread's items come in the order it took them), so a
 * ring needs no lists and no locks: the thread moves its head, the writer
 * the tail.  malloc would hand each thread an arena that the writer's
 * frees shrink and the thread's next mallocs grow again, page faults and
 * madvise calls for every few files; a ring's pages are touched once.
 */
#include <errno.h>
#include <sys/mman.h>

#include "tar_impl.h"

int
sk__tar_ring_init(struct tar_ring *r, size_t cap)
{
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	r->mem = p;
	r->cap = cap;
	r->head = 0;
	r->tail = 0;
	return 0;
}

void
sk__tar_ring_fini(struct tar_ring *r)
{
	if (r->mem)
		munmap(r->mem, r->cap);
	r->mem = NULL;
}

char *
sk__tar_ring_get(struct tar_ring *r, size_t n, uint64_t *end)
{
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	size_t pos, skip;
	char *p;

	if (r->mem == NULL || n == 0 || n > r->cap)
		return NULL;
	pos = (size_t)(r->head % r->cap);
	if (tail == r->head) {
		/* Empty: start over at the beginning.  When the writer keeps
		 * up (a warm cache) the same few pages serve every body and
		 * stay in the cache, instead of a walk through all of the
		 * ring; and any body up to the ring's size fits.  The space
		 * skipped holds nothing, so it is not counted. */
		skip = pos ? r->cap - pos : 0;
	} else {
		/* Contiguous: a body that would wrap starts over at the
		 * beginning, the end left unused (and counted) until the
		 * writer passes it. */
		skip = pos + n > r->cap ? r->cap - pos : 0;
		if (r->head + skip + n - tail > r->cap)
			return NULL;
	}
	r->head += skip;
	p = r->mem + r->head % r->cap;
	r->head += n;
	*end = r->head;
	return p;
}

void
sk__tar_ring_put(struct tar_ring *r, uint64_t end)
{
	__atomic_store_n(&r->tail, end, __ATOMIC_RELEASE);
}
