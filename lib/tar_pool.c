/*
 * tar_pool.c - the read-ahead.  The walk queues items in archive order;
 * I/O threads take the next ones, in that order, and make them ready
 * (open, stat, metadata, small bodies read into memory); the writer takes
 * the head of the queue once it is ready.  A disk answers several
 * requests at once much faster than one after the other, and a warm cache
 * spreads the kernel's work over the cores.
 *
 * Bounds: at most maxitems queued and maxahead of them taken by threads;
 * bodies read ahead hold at most budget bytes (a body is read ahead only
 * when it fits what is left, else the writer reads it); large bodies keep
 * their descriptor for the writer, at most maxfds of them (past that the
 * writer opens the file again).  An item is only ever waited for by the
 * writer, and the writer makes the head ready itself when no thread has
 * taken it, so nothing waits in a circle.
 *
 * Cost: on a warm cache an item is a few microseconds of work, so the
 * lock is taken per batch, not per item: the walk queues BATCH items at
 * a time, a thread takes TAKE, the writer takes every ready item at the
 * head at once, and look-ups go to the threads in batches too.  An item
 * becomes ready by an atomic store; the writer and a thread that finishes
 * its head item agree through writer_waits who wakes whom.  Sleepers are
 * woken only when someone sleeps, and threads stopped by a bound only
 * once it is down by half.  How many threads work at once is
 * tar_bounds.c's choice: all of them while items wait for the disk, one
 * per core otherwise; the others wait at the gate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue.h" /* sk__now_ns */
#include "tar_impl.h"

#define BATCH 32 /* items per lock: queued, taken by the writer, looked up */
#define TAKE  8  /* new items an I/O thread takes at once */

/* Appends it to the list from *head to *tail. */
static void
push_back(struct tar_item **head, struct tar_item **tail, struct tar_item *it)
{
	it->next = NULL;
	if (*tail)
		(*tail)->next = it;
	else
		*head = it;
	*tail = it;
}

static int
state(struct tar_item *it)
{
	return LOAD(it->state);
}

/* The next item from it on that still needs making ready (locked). */
static struct tar_item *
next_todo(struct tar_item *it)
{
	while (it && state(it) != ITEM_NEW)
		it = it->next;
	return it;
}

/* Whether a thread may take more items: what was read ahead leaves
 * room, and not too many items are ahead of the writer. */
static int
may_take(struct tar_pool *p)
{
	return LOAD(p->used) < p->budget && LOAD(p->fds) < p->maxfds &&
	       LOAD(p->ahead) < p->maxahead;
}

/* The same, with the bounds halved: where sleepers are woken again. */
static int
well_below(struct tar_pool *p)
{
	return LOAD(p->used) <= p->budget / 2 &&
	       LOAD(p->fds) <= p->maxfds / 2 &&
	       LOAD(p->ahead) <= p->maxahead / 2;
}

/* Frees what an item holds of the budget and the descriptors, and its
 * metadata and body. */
static void
give_back(struct tar_pool *p, struct tar_item *it)
{
	if (it->reserved)
		SUB(p->used, it->reserved);
	it->reserved = 0;
	if (it->heldfd)
		SUB(p->fds, 1);
	it->heldfd = 0;
	sk__tar_item_clear(it);
}

/* Tells the writer an item it may wait for is ready. */
static void
ready(struct tar_pool *p, struct tar_item *it)
{
	STORE(it->state, ITEM_READY);
	if (LOAD(p->writer_waits)) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_signal(&p->ready);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Look-ups taken from the queue (locked), done unlocked. */
static void
do_checks(sk_tar *t, struct tar_item **batch, size_t n)
{
	struct tar_pool *p = &t->pool;

	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < n; i++) {
		batch[i]->checked = sk__tar_check(t, batch[i]);
		STORE(batch[i]->checkstate, 3);
	}
	if (LOAD(p->writer_waits)) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_signal(&p->ready);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
}

/* Takes up to max look-ups no thread has (locked). */
static size_t
take_checks(struct tar_pool *p, struct tar_item **batch, size_t max)
{
	size_t n = 0;

	while (p->ctodo && n < max) {
		struct tar_item *it = p->ctodo;
		STORE(it->checkstate, 2);
		p->ctodo = it->next;
		p->nctodo--;
		batch[n++] = it;
	}
	return n;
}

static void *
io_thread(void *arg)
{
	struct tar_ring *ring = arg;
	sk_tar *t = ring->t;
	struct tar_pool *p = &t->pool;
	struct archive *disk = NULL; /* for ACLs, made when needed */
	struct tar_item *batch[BATCH];

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		size_t n, slow = 0;
		int more;
		if (sk__tar_too_many(p)) {
			ADD(p->gated, 1);
			pthread_cond_wait(&p->gate, &p->lock);
			SUB(p->gated, 1);
			continue;
		}
		n = take_checks(p, batch, BATCH);
		if (n > 0) {
			/* Look-ups first: cheap, and reported in order. */
			do_checks(t, batch, n);
			continue;
		}
		if (p->todo == NULL || !may_take(p)) {
			if (p->todo)
				STORE(p->starved, 1); /* by a bound */
			ADD(p->idle, 1);
			pthread_cond_wait(&p->work, &p->lock);
			SUB(p->idle, 1);
			continue;
		}
		while (p->todo && n < TAKE && LOAD(p->ahead) < p->maxahead) {
			struct tar_item *it = p->todo;
			STORE(it->state, ITEM_BUSY);
			ADD(p->ahead, 1);
			p->nnew--;
			p->todo = next_todo(it->next);
			batch[n++] = it;
		}
		pthread_mutex_unlock(&p->lock);
		for (size_t i = 0; i < n; i++) {
			uint64_t t0 = sk__now_ns();
			sk__tar_prepare(t, batch[i], &disk, ring, 1);
			slow += sk__tar_slow(t, batch[i], sk__now_ns() - t0);
			ready(p, batch[i]);
		}
		more = sk__tar_govern(p, slow, n);
		pthread_mutex_lock(&p->lock);
		if (more) /* wake those waiting at the gate */
			pthread_cond_broadcast(&p->gate);
	}
	pthread_mutex_unlock(&p->lock);
	if (disk)
		archive_read_free(disk);
	return NULL;
}

int
sk__tar_pool_start(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	if (t->threads == 0 || p->threads)
		return 0;
	if ((p->threads = calloc((size_t)t->threads, sizeof *p->threads)) ==
	        NULL ||
	    (p->rings = calloc((size_t)t->threads, sizeof *p->rings)) == NULL) {
		free(p->threads);
		p->threads = NULL;
		return -1;
	}
	sk__tar_govern_init(p, t->threads);
	for (int i = 0; i < t->threads; i++) {
		int e;
		/* The budget, shared out; a thread without a ring reads
		 * nothing ahead, it only opens and stats. */
		p->rings[i].t = t;
		(void)sk__tar_ring_init(&p->rings[i],
		                        p->budget / (size_t)t->threads);
		e = pthread_create(&p->threads[i], NULL, io_thread,
		                   &p->rings[i]);
		if (e) {
			/* Fewer threads still work; none at all cannot. */
			if (i == 0) {
				free(p->threads);
				p->threads = NULL;
				errno = e;
				return -1;
			}
			break;
		}
		ADD(p->nthreads, 1);
	}
	return 0;
}

/* Drops items that will never be written (the run was stopped). */
static void
drop(sk_tar *t, struct tar_item *it)
{
	while (it) {
		struct tar_item *next = it->next;
		sk__tar_pool_done(t, it);
		it = next;
	}
}

int
sk__tar_pool_flush(sk_tar *t)
{
	struct tar_pool *p = &t->pool;
	size_t nnew = 0;

	if (p->bhead == NULL)
		return LOAD(p->stop) ? -1 : 0;
	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->nitems >= p->maxitems) {
		STORE(p->lister_waits, 1);
		pthread_cond_wait(&p->room, &p->lock);
	}
	STORE(p->lister_waits, 0);
	if (p->stop) {
		pthread_mutex_unlock(&p->lock);
		drop(t, p->bhead);
		p->bhead = p->btail = NULL;
		p->bn = 0;
		return -1;
	}
	for (struct tar_item *it = p->bhead; it; it = it->next) {
		if (state(it) == ITEM_NEW) {
			nnew++;
			if (p->todo == NULL)
				p->todo = it;
		} else {
			ADD(p->ahead, 1); /* ready as queued: a dir, a note */
		}
	}
	if (p->tail)
		p->tail->next = p->bhead;
	else
		p->head = p->bhead;
	p->tail = p->btail;
	p->nitems += p->bn;
	p->nnew += nnew;
	p->bhead = p->btail = NULL;
	p->bn = 0;
	if (p->idle && nnew && may_take(p)) {
		if (nnew > TAKE && p->idle > 1)
			pthread_cond_broadcast(&p->work);
		else
			pthread_cond_signal(&p->work);
	}
	if (LOAD(p->writer_waits))
		pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int
sk__tar_pool_put(sk_tar *t, struct tar_item *it)
{
	struct tar_pool *p = &t->pool;

	push_back(&p->bhead, &p->btail, it);
	p->bn++;
	/* Whole batches, unless the writer has nothing to do. */
	if (p->bn >= BATCH || LOAD(p->writer_waits))
		return sk__tar_pool_flush(t);
	return 0;
}

/* The writer's take (locked): moves the ready items at the head into its
 * own list; 1 when it moved any. */
static int
take_ready(struct tar_pool *p)
{
	size_t n = 0;

	while (p->head && state(p->head) == ITEM_READY && n < BATCH) {
		struct tar_item *it = p->head;
		p->head = it->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->nitems--;
		SUB(p->ahead, 1);
		push_back(&p->whead, &p->wtail, it);
		n++;
	}
	return n > 0;
}

struct tar_item *
sk__tar_pool_take(sk_tar *t)
{
	struct tar_pool *p = &t->pool;
	struct tar_item *it = NULL;

	if (p->whead == NULL) {
		pthread_mutex_lock(&p->lock);
		for (;;) {
			if (take_ready(p))
				break;
			it = p->head;
			if (it == NULL && p->walk_done) {
				pthread_mutex_unlock(&p->lock);
				return NULL;
			}
			if (it && state(it) == ITEM_NEW) {
				/* No thread has it: make it ready here rather
				 * than wait (a warm cache, or every thread
				 * busy); or, stopped, drop it. */
				p->head = it->next;
				if (p->head == NULL)
					p->tail = NULL;
				p->nitems--;
				p->nnew--;
				if (p->todo == it)
					p->todo = next_todo(it->next);
				it->next = NULL;
				break;
			}
			it = NULL;
			if (p->chead || p->xhead) {
				/* Nothing to write yet: finish the look-ups
				 * meanwhile (the walk may wait for the
				 * descriptors they hold). */
				pthread_mutex_unlock(&p->lock);
				sk__tar_pool_checks(t, 1);
				pthread_mutex_lock(&p->lock);
				continue;
			}
			/* Said before looking again: a thread that makes
			 * the head ready after this sees it and wakes us. */
			STORE(p->writer_waits, 1);
			if (p->head && state(p->head) == ITEM_READY) {
				STORE(p->writer_waits, 0);
				continue;
			}
			pthread_cond_wait(&p->ready, &p->lock);
			STORE(p->writer_waits, 0);
		}
		if (LOAD(p->lister_waits) == 1 && p->nitems <= p->maxitems / 2)
			pthread_cond_signal(&p->room);
		pthread_mutex_unlock(&p->lock);
		if (it) {
			if (!LOAD(p->stop))
				sk__tar_prepare(t, it, &t->disk, &p->wring, 0);
			STORE(it->state, ITEM_READY);
			return it;
		}
	}
	it = p->whead;
	p->whead = it->next;
	if (p->whead == NULL)
		p->wtail = NULL;
	it->next = NULL;
	if (it->retry && !LOAD(p->stop)) {
		/* An I/O thread ran out of descriptors or of budget for
		 * them: now, once more from the start. */
		give_back(p, it);
		it->retry = 0;
		it->nnotes = 0;
		it->skip = 0;
		sk__tar_prepare(t, it, &t->disk, &p->wring, 0);
	}
	return it;
}

void
sk__tar_pool_done(sk_tar *t, struct tar_item *it)
{
	struct tar_pool *p = &t->pool;
	struct tar_dir *d = it->dir;

	give_back(p, it);
	if (d)
		__atomic_sub_fetch(&d->pending, 1, __ATOMIC_SEQ_CST);
	SUB(p->live, 1);
	ADD(p->progress, 1);
	/* The walk may wait for a descriptor this freed; threads stopped by
	 * a bound wait for it to be down by half. */
	if (LOAD(p->lister_waits) == 2 || (LOAD(p->starved) && well_below(p))) {
		pthread_mutex_lock(&p->lock);
		if (p->lister_waits == 2)
			pthread_cond_broadcast(&p->room);
		if (p->starved && well_below(p)) {
			STORE(p->starved, 0);
			pthread_cond_broadcast(&p->work);
		}
		pthread_mutex_unlock(&p->lock);
	}
	if (d)
		sk__tar_dir_release(t, d);
	free(it);
}

/* Queues the writer's batch of written items for their look-ups. */
static void
flush_checks(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	if (p->xhead == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->ctail)
		p->ctail->next = p->xhead;
	else
		p->chead = p->xhead;
	p->ctail = p->xtail;
	if (p->ctodo == NULL)
		p->ctodo = p->xhead;
	p->nchecks += p->xn;
	p->nctodo += p->xn;
	if (p->idle)
		pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	p->xhead = p->xtail = NULL;
	p->xn = 0;
}

void
sk__tar_pool_written(sk_tar *t, struct tar_item *it)
{
	struct tar_pool *p = &t->pool;

	/* Only its names and stat are needed from here on. */
	give_back(p, it);
	if (p->nthreads == 0) {
		it->checked = sk__tar_check(t, it);
		sk__tar_report_check(t, it);
		sk__tar_pool_done(t, it);
		return;
	}
	STORE(it->checkstate, 1);
	push_back(&p->xhead, &p->xtail, it);
	if (++p->xn >= BATCH)
		flush_checks(t);
}

void
sk__tar_pool_checks(sk_tar *t, int wait)
{
	struct tar_pool *p = &t->pool;
	struct tar_item *batch[BATCH], *it;

	if (wait)
		flush_checks(t);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		size_t n = 0;
		while ((it = p->chead) != NULL && n < BATCH &&
		       LOAD(it->checkstate) == 3) {
			p->chead = it->next;
			if (p->chead == NULL)
				p->ctail = NULL;
			p->nchecks--;
			batch[n++] = it;
		}
		if (n > 0) {
			pthread_mutex_unlock(&p->lock);
			for (size_t i = 0; i < n; i++) {
				sk__tar_report_check(t, batch[i]);
				sk__tar_pool_done(t, batch[i]);
			}
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (it == NULL || !wait)
			break;
		/* Not done yet: do the untaken ones here rather than wait. */
		if ((n = take_checks(p, batch, BATCH)) > 0) {
			do_checks(t, batch, n);
			continue;
		}
		STORE(p->writer_waits, 1);
		if (LOAD(it->checkstate) != 3)
			pthread_cond_wait(&p->ready, &p->lock);
		STORE(p->writer_waits, 0);
	}
	pthread_mutex_unlock(&p->lock);
}

void
sk__tar_pool_walk_end(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	(void)sk__tar_pool_flush(t);
	pthread_mutex_lock(&p->lock);
	p->walk_done = 1;
	pthread_cond_broadcast(&p->ready);
	pthread_mutex_unlock(&p->lock);
}

void
sk__tar_pool_wait_room(sk_tar *t, uint64_t held)
{
	struct tar_pool *p = &t->pool;
	uint64_t seen;

	if (sk__tar_pool_flush(t) < 0)
		return;
	pthread_mutex_lock(&p->lock);
	seen = LOAD(p->progress);
	while (!p->stop && LOAD(p->live) > held && LOAD(p->progress) == seen) {
		STORE(p->lister_waits, 2);
		pthread_cond_wait(&p->room, &p->lock);
	}
	STORE(p->lister_waits, 0);
	pthread_mutex_unlock(&p->lock);
}

void
sk__tar_pool_stop(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	pthread_mutex_lock(&p->lock);
	STORE(p->stop, 1);
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->gate);
	pthread_cond_broadcast(&p->room);
	pthread_cond_broadcast(&p->ready);
	pthread_mutex_unlock(&p->lock);
}

void
sk__tar_pool_free(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	sk__tar_pool_stop(t);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->rings)
		for (int i = 0; i < t->threads; i++)
			sk__tar_ring_fini(&p->rings[i]);
	free(p->rings);
	p->rings = NULL;
	free(p->threads);
	p->threads = NULL;
	p->nthreads = 0;
	sk__tar_ring_fini(&p->wring);
}
