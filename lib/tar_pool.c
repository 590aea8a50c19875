/*
 * tar_pool.c - the read-ahead.  The walk queues items in archive order;
 * I/O threads take the next ones, in that order, and make them ready
 * (open, stat, metadata, small bodies read into memory); the writer takes
 * the head of the queue once it is ready.  A disk answers several
 * requests at once much faster than one after the other, and a warm cache
 * spreads the kernel's work over the cores.
 *
 * Bounds: at most maxitems queued; bodies read ahead hold at most budget
 * bytes (an I/O thread takes an item only when a whole maxfile still
 * fits, and gives back what the file did not need); large bodies keep
 * their descriptor for the writer, at most maxfds of them.  An item is
 * only ever waited for by the writer, and the writer makes the head ready
 * itself when no thread has taken it, so nothing waits in a circle.
 *
 * One lock guards the queue, the counters and the directories' reference
 * counts; no file system call is made while holding it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

/* The next item after it that still needs making ready. */
static struct tar_item *
next_todo(struct tar_item *it)
{
	while (it && it->state != ITEM_NEW)
		it = it->next;
	return it;
}

/* Takes the reservation back down to what the item holds. */
static void
settle(struct tar_pool *p, struct tar_item *it)
{
	p->used -= it->reserved;
	it->reserved = it->data ? it->len : 0;
	p->used += it->reserved;
	if (it->fd >= 0) {
		it->heldfd = 1;
		p->fds++;
	}
}

static void *
io_thread(void *arg)
{
	sk_tar *t = arg;
	struct tar_pool *p = &t->pool;
	struct archive *disk = sk__tar_disk_new(t);

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct tar_item *it = p->todo;
		/* Take the next item only when its body will fit, and while
		 * ready items do not already hold too many descriptors. */
		if (it == NULL || disk == NULL ||
		    p->used + p->maxfile > p->budget || p->fds >= p->maxfds) {
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		it->state = ITEM_BUSY;
		it->reserved = p->maxfile;
		p->used += p->maxfile;
		p->todo = next_todo(it->next);
		pthread_mutex_unlock(&p->lock);
		sk__tar_prepare(t, it, disk, p->maxfile, 1);
		pthread_mutex_lock(&p->lock);
		settle(p, it);
		it->state = ITEM_READY;
		if (it == p->head)
			pthread_cond_signal(&p->ready);
		/* A smaller body than reserved may let another thread go. */
		pthread_cond_signal(&p->work);
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
	    NULL)
		return -1;
	for (int i = 0; i < t->threads; i++) {
		int e = pthread_create(&p->threads[i], NULL, io_thread, t);
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
		p->nthreads++;
	}
	return 0;
}

int
sk__tar_pool_put(sk_tar *t, struct tar_item *it)
{
	struct tar_pool *p = &t->pool;

	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->nitems >= p->maxitems)
		pthread_cond_wait(&p->room, &p->lock);
	if (p->stop) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	it->next = NULL;
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->nitems++;
	if (it->state == ITEM_NEW) {
		if (p->todo == NULL)
			p->todo = it;
		pthread_cond_signal(&p->work);
	}
	if (it == p->head)
		pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct tar_item *
sk__tar_pool_take(sk_tar *t)
{
	struct tar_pool *p = &t->pool;
	struct tar_item *it;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		it = p->head;
		if (it == NULL && p->walk_done) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		if (it && it->state == ITEM_READY)
			break;
		if (it && it->state == ITEM_NEW && p->stop)
			break; /* to be dropped, not read */
		if (it && it->state == ITEM_NEW) {
			/* No thread has it: make it ready here rather than
			 * wait (a warm cache, or every thread busy). */
			it->state = ITEM_BUSY;
			if (p->todo == it)
				p->todo = next_todo(it->next);
			pthread_mutex_unlock(&p->lock);
			sk__tar_prepare(t, it, t->disk, p->maxfile, 0);
			pthread_mutex_lock(&p->lock);
			settle(p, it);
			it->state = ITEM_READY;
			break;
		}
		pthread_cond_wait(&p->ready, &p->lock);
	}
	p->head = it->next;
	if (p->head == NULL)
		p->tail = NULL;
	p->nitems--;
	pthread_cond_signal(&p->room);
	pthread_mutex_unlock(&p->lock);
	if (it->retry && !p->stop) {
		/* An I/O thread ran out of descriptors: now, with fewer
		 * held, once more from the start. */
		sk__tar_item_clear(it);
		it->retry = 0;
		it->nnotes = 0;
		it->skip = 0;
		pthread_mutex_lock(&p->lock);
		p->used -= it->reserved;
		it->reserved = 0;
		pthread_mutex_unlock(&p->lock);
		sk__tar_prepare(t, it, t->disk, 0, 0);
		pthread_mutex_lock(&p->lock);
		settle(p, it);
		pthread_mutex_unlock(&p->lock);
	}
	return it;
}

void
sk__tar_pool_done(sk_tar *t, struct tar_item *it)
{
	struct tar_pool *p = &t->pool;
	struct tar_dir *d = it->dir;

	sk__tar_item_clear(it);
	pthread_mutex_lock(&p->lock);
	p->used -= it->reserved;
	if (it->heldfd)
		p->fds--;
	if (d)
		d->pending--;
	p->progress++;
	pthread_cond_broadcast(&p->room);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	if (d)
		sk__tar_dir_release(t, d);
	free(it);
}

void
sk__tar_pool_walk_end(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	pthread_mutex_lock(&p->lock);
	p->walk_done = 1;
	pthread_cond_broadcast(&p->ready);
	pthread_mutex_unlock(&p->lock);
}

void
sk__tar_pool_wait_room(sk_tar *t)
{
	struct tar_pool *p = &t->pool;
	uint64_t seen;

	pthread_mutex_lock(&p->lock);
	seen = p->progress;
	while (!p->stop && p->nitems > 0 && p->progress == seen)
		pthread_cond_wait(&p->room, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void
sk__tar_pool_stop(sk_tar *t)
{
	struct tar_pool *p = &t->pool;

	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
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
	free(p->threads);
	p->threads = NULL;
	p->nthreads = 0;
}
