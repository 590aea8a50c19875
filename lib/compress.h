/*
 * compress.h - what the compressor files share inside libstreamkit: the
 * compressor object, the table each method fills, and the block pool that
 * runs the block methods (gzip, bzip2, lz4) on worker threads.  Not
 * installed.
 */
#ifndef SK_COMPRESS_H
#define SK_COMPRESS_H

#include <stdatomic.h>

#include "sk_impl.h"

struct sk__pool;

/*
 * One method: its levels and the four calls sk_compress_open, _write,
 * _finish and _close make.  start allocates the method's state in c->m;
 * write and finish return 0 or -1 with errno; end frees everything start
 * made (joining threads) and may be called after a failed start.
 */
struct sk__cmethod {
	const char *name;
	int min, max, def; /* levels */
	int (*start)(sk_compress *c);
	int (*write)(sk_compress *c, const unsigned char *buf, size_t n);
	int (*finish)(sk_compress *c);
	void (*end)(sk_compress *c);
};

struct sk_compress {
	const struct sk__cmethod *m;
	int method;
	int level;   /* resolved: never 0 */
	int threads; /* resolved: >= 1 */
	int reproducible;
	size_t block; /* as asked; 0: the method's default */
	int fd;       /* output when out is NULL */
	sk_compress_out_fn out;
	void *arg;
	int err;      /* sticky errno */
	int finished; /* 1: finish succeeded */
	uint64_t in, outn;
	void *state; /* the method's */
};

extern const struct sk__cmethod sk__cnone, sk__cgzip, sk__cbzip2, sk__cxz,
    sk__czstd, sk__clz4;

/* Hands n compressed bytes to the output; 0 or -1 with errno. */
int sk__compress_emit(sk_compress *c, const void *buf, size_t n);

/*
 * The unit tests' fault hook: while it is above zero, each allocation
 * made through sk__compress_alloc (the workers' state and buffers, and
 * liblzma's and libzstd's allocations, on any thread) counts it down, and
 * the one that brings it to zero fails with ENOMEM.
 */
extern _Atomic long sk__compress_fail_alloc;

/* malloc(3) through the fault hook. */
void *sk__compress_alloc(size_t n);

/* Stores v at p, least significant byte first. */
void sk__put32le(unsigned char *p, uint32_t v);

/*
 * In the raw deflate stream buf of n bytes: the bit where its final block
 * starts (*last) and the bit after its end (*end), counted from buf's
 * first bit (compress_deflate.c).  0, or -1 with EIO when buf does not
 * start with one complete deflate stream.
 */
int sk__deflate_final(const unsigned char *buf, size_t n, uint64_t *last,
                      uint64_t *end);

/* ------------------------------------------------------------------ */
/* The block pool                                                      */
/* ------------------------------------------------------------------ */

/* A block in flight: its input, and what a worker made of it. */
struct sk__cjob {
	unsigned char *in;
	size_t inlen, incap;
	unsigned char *out;
	size_t outlen, outcap;
	uint32_t check; /* gzip: CRC-32 of in; bzip2: the block's CRC */
	uint64_t bits;  /* bzip2: the bits of out that are the block */
	int err;        /* the worker's errno, 0 when it succeeded */
	int done;       /* compressed (under the pool's lock) */
	int last;       /* serial pools: the input's last block */
};

/* Makes j->out hold at least need bytes (its content is lost); 0 or -1. */
int sk__cjob_room(struct sk__cjob *j, size_t need);

struct sk__pool_ops {
	/* On a worker thread (or the caller's when running inline): a
	 * method's per-thread state, NULL with errno; and its release. */
	void *(*worker_new)(sk_compress *c);
	void (*worker_free)(void *w);
	/* On a worker: compresses j->in into j->out (allocating it); 0 or
	 * -1 with errno. */
	int (*compress)(sk_compress *c, void *w, struct sk__cjob *j);
	/* On the caller's thread, in the order of the blocks: writes j's
	 * output; 0 or -1 with errno. */
	int (*emit)(sk_compress *c, struct sk__cjob *j);
	/* Writes the stream's header, once, before the first block's
	 * output (or, for empty input, at the drain); 0 or -1. */
	int (*header)(sk_compress *c);
	/* Serial: one worker (none with one thread) compresses the blocks
	 * in their order with one state, as one stream; the last block is
	 * marked and sent even when empty, to end the stream. */
	int serial;
};

/*
 * A pool of c->threads workers (none when 1: blocks are then compressed
 * on the caller's thread; one when ops->serial), blocks of block bytes
 * that may grow to max
 * (sk__pool_room), and 2 x threads blocks in flight.  NULL with errno.
 * Threads start with the first full block.
 */
struct sk__pool *sk__pool_open(sk_compress *c, const struct sk__pool_ops *ops,
                               size_t block, size_t max);

/*
 * The free room of the block being filled, at least want bytes when it
 * may grow that far (never past max); 0 when it is full.  Sets *room to
 * its size.  NULL with errno when growing failed.
 */
unsigned char *sk__pool_room(struct sk__pool *p, size_t want, size_t *room);

/* Counts n bytes written into the room as part of the block. */
void sk__pool_fill(struct sk__pool *p, size_t n);

/* Bytes in the block being filled. */
size_t sk__pool_filled(const struct sk__pool *p);

/*
 * Hands the block being filled to the workers, all but its last carry
 * bytes, which start the next block; waits for room and writes out the
 * blocks that are done, in order.  An empty block is not sent.  0 or -1
 * with errno (a worker's, or the output's).
 */
int sk__pool_submit(struct sk__pool *p, size_t carry);

/* Sends the last block and writes every block out; 0 or -1 with errno. */
int sk__pool_drain(struct sk__pool *p);

/* Stops and joins the workers and frees the pool (NULL: nothing). */
void sk__pool_close(struct sk__pool *p);

/* A block method's write and end, for a state (c->state) that starts
 * with its pool: sk__pool_write into it; the pool and the state freed. */
int sk__pool_take(sk_compress *c, const unsigned char *buf, size_t n);
void sk__pool_end(sk_compress *c);

/* Copies buf into blocks of the pool, sending each one that fills. */
int sk__pool_write(struct sk__pool *p, const unsigned char *buf, size_t n);

#endif
