/*
 * compress_pool.c - the block methods' engine: the caller fills blocks,
 * worker threads compress them in any order, the caller writes them out
 * in order.  Blocks live in a ring of 2 x threads slots: the block being
 * filled reuses the slot of the oldest one, which must be written out
 * first, so memory stays bounded and a slow output slows the writer down.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"

struct sk__pool {
	sk_compress *c;
	const struct sk__pool_ops *ops;
	size_t block, max;
	struct sk__cjob *jobs;
	size_t njobs;
	/* Blocks are numbered in input order.  Those in [emitted, filled)
	 * are in flight; block filled is being filled; workers have taken
	 * [emitted.., taken).  filled and taken change under mu. */
	uint64_t emitted, filled, taken;
	pthread_mutex_t mu;
	pthread_cond_t work; /* a block was sent, or quit */
	pthread_cond_t done; /* a block was compressed */
	int quit;
	pthread_t *tids;
	int nworkers; /* started; 0 until the first full block */
	int wanted;   /* threads to start (0: compress inline) */
	void *inline_w;
	int said_header;
};

static struct sk__cjob *
slot(struct sk__pool *p, uint64_t seq)
{
	return &p->jobs[seq % p->njobs];
}

/* Compresses j with worker state *w, made on first use; sets j->err. */
static void
run_job(struct sk__pool *p, void **w, struct sk__cjob *j)
{
	j->err = 0;
	if (*w == NULL && (*w = p->ops->worker_new(p->c)) == NULL) {
		j->err = errno ? errno : ENOMEM;
		return;
	}
	if (p->ops->compress(p->c, *w, j) < 0)
		j->err = errno ? errno : EIO;
}

static void *
worker_main(void *arg)
{
	struct sk__pool *p = arg;
	void *w = NULL;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct sk__cjob *j;
		while (!p->quit && p->taken == p->filled)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		j = slot(p, p->taken++);
		pthread_mutex_unlock(&p->mu);
		run_job(p, &w, j);
		pthread_mutex_lock(&p->mu);
		j->done = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (w)
		p->ops->worker_free(w);
	return NULL;
}

struct sk__pool *
sk__pool_open(sk_compress *c, const struct sk__pool_ops *ops, size_t block,
              size_t max)
{
	struct sk__pool *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->c = c;
	p->ops = ops;
	p->block = block;
	p->max = max > block ? max : block;
	p->wanted = c->threads > 1 ? ops->serial ? 1 : c->threads : 0;
	/* A serial worker gets a block ahead, as much as the caller. */
	p->njobs = p->wanted ? ops->serial ? 3 : 2 * (size_t)p->wanted : 1;
	p->jobs = calloc(p->njobs, sizeof *p->jobs);
	p->tids = calloc(p->wanted ? (size_t)p->wanted : 1, sizeof *p->tids);
	if (p->jobs == NULL || p->tids == NULL) {
		free(p->jobs);
		free(p->tids);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	return p;
}

/* Starts the workers.  Fewer than asked (none at all, even) only costs
 * speed: the output does not depend on their number. */
static void
start_workers(struct sk__pool *p)
{
	while (p->nworkers < p->wanted &&
	       pthread_create(&p->tids[p->nworkers], NULL, worker_main, p) == 0)
		p->nworkers++;
	p->wanted = 0;
}

static int
header(struct sk__pool *p)
{
	if (p->said_header)
		return 0;
	p->said_header = 1;
	return p->ops->header(p->c);
}

/*
 * Writes out the oldest blocks that are done, in order: all of them when
 * wait is set (waiting for each), else while the oldest is ready, and
 * in any case until fewer than njobs are in flight.  0 or -1 with errno.
 */
static int
emit_done(struct sk__pool *p, int wait)
{
	while (p->emitted < p->filled) {
		struct sk__cjob *j = slot(p, p->emitted);
		int must = wait || p->filled - p->emitted >= p->njobs;
		int ready;

		pthread_mutex_lock(&p->mu);
		while (must && !j->done)
			pthread_cond_wait(&p->done, &p->mu);
		ready = j->done;
		pthread_mutex_unlock(&p->mu);
		if (!ready)
			return 0;
		if (j->err) {
			errno = j->err;
			return -1;
		}
		if (header(p) < 0 || p->ops->emit(p->c, j) < 0)
			return -1;
		j->done = 0;
		j->inlen = 0;
		j->last = 0;
		p->emitted++;
	}
	return 0;
}

int
sk__cjob_room(struct sk__cjob *j, size_t need)
{
	if (j->outcap >= need)
		return 0;
	free(j->out);
	j->outcap = 0;
	if ((j->out = sk__compress_alloc(need)) == NULL)
		return -1;
	j->outcap = need;
	return 0;
}

unsigned char *
sk__pool_room(struct sk__pool *p, size_t want, size_t *room)
{
	struct sk__cjob *j = slot(p, p->filled);

	if (j->incap < p->block ||
	    (j->incap - j->inlen < want && j->incap < p->max)) {
		size_t cap = j->incap < p->block ? p->block : j->incap;
		unsigned char *in;
		while (cap - j->inlen < want && cap < p->max)
			cap = cap * 2 < p->max ? cap * 2 : p->max;
		if ((in = sk__compress_alloc(cap)) == NULL)
			return NULL;
		if (j->inlen)
			memcpy(in, j->in, j->inlen);
		free(j->in);
		j->in = in;
		j->incap = cap;
	}
	*room = j->incap - j->inlen;
	return j->in + j->inlen;
}

void
sk__pool_fill(struct sk__pool *p, size_t n)
{
	slot(p, p->filled)->inlen += n;
}

size_t
sk__pool_filled(const struct sk__pool *p)
{
	return p->jobs[p->filled % p->njobs].inlen;
}

int
sk__pool_submit(struct sk__pool *p, size_t carry)
{
	struct sk__cjob *j = slot(p, p->filled);
	unsigned char keep[256];

	if (j->inlen <= carry && !j->last)
		return 0;
	/* The carried bytes (a run bzip2 goes on with in its next block)
	 * leave this block before a worker may see it. */
	if (carry > sizeof keep) {
		errno = EINVAL;
		return -1;
	}
	memcpy(keep, j->in + j->inlen - carry, carry);
	j->inlen -= carry;
	if (p->wanted)
		start_workers(p);
	if (p->nworkers == 0) {
		run_job(p, &p->inline_w, j);
		j->done = 1;
		p->filled++;
	} else {
		pthread_mutex_lock(&p->mu);
		p->filled++;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
	/* The next block's slot is the oldest block's: write that one (and
	 * whatever else is ready) first. */
	if (emit_done(p, 0) < 0)
		return -1;
	if (carry) {
		size_t room;
		unsigned char *to = sk__pool_room(p, carry, &room);
		if (to == NULL)
			return -1;
		memcpy(to, keep, carry);
		sk__pool_fill(p, carry);
	}
	return 0;
}

int
sk__pool_drain(struct sk__pool *p)
{
	if (p->ops->serial)
		slot(p, p->filled)->last = 1;
	if (sk__pool_submit(p, 0) < 0 || emit_done(p, 1) < 0)
		return -1;
	return header(p);
}

int
sk__pool_write(struct sk__pool *p, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		size_t room, k;
		unsigned char *to = sk__pool_room(p, 0, &room);
		if (to == NULL)
			return -1;
		if (room == 0) {
			if (sk__pool_submit(p, 0) < 0)
				return -1;
			continue;
		}
		k = n < room ? n : room;
		memcpy(to, buf, k);
		sk__pool_fill(p, k);
		buf += k;
		n -= k;
	}
	return 0;
}

void
sk__pool_close(struct sk__pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->tids[i], NULL);
	if (p->inline_w)
		p->ops->worker_free(p->inline_w);
	for (size_t i = 0; i < p->njobs; i++) {
		free(p->jobs[i].in);
		free(p->jobs[i].out);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->jobs);
	free(p->tids);
	free(p);
}

int
sk__pool_take(sk_compress *c, const unsigned char *buf, size_t n)
{
	struct sk__pool **state = c->state;

	return sk__pool_write(*state, buf, n);
}

void
sk__pool_end(sk_compress *c)
{
	struct sk__pool **state = c->state;

	if (state) {
		sk__pool_close(*state);
		free(state);
	}
}
