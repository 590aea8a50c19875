/*
 * tar_impl.h - the rooms of the tar producer and what they share.  Not
 * installed.
 *
 *   tar.c           the public calls: open, add, counts, scan, close
 *   tar_walk.c      the walk by directory descriptors: the items in
 *                   archive order, loops, excludes, other file systems
 *   tar_dirs.c      the directories on the walk's stack: descriptors
 *                   bounded, reopened and checked, listings read
 *   tar_names.c     stored names (GNU tar's rules) and exclude matching
 *   tar_read.c      one item made ready: opened, fstat'ed, its metadata
 *                   gathered and a small body read into memory
 *   tar_pool.c      the read-ahead: I/O threads making the next items
 *                   ready, within a budget of memory and descriptors
 *   tar_entry.c     one entry written: header, body that matches it,
 *                   changed-while-read checks
 *   tar_output.c    libarchive's write callback, blocking, and the
 *                   zero-copy path for plain tar into a pipe
 *   tar_compress.c  the format and the compressor set-up
 *   tar_stream.c    the archive as a producer stream
 *
 * The walk runs on its own thread when there is read-ahead (a lister),
 * I/O threads make items ready, and the caller's thread writes them in
 * order; without read-ahead all three run one after the other on the
 * caller's thread.  Either way the archive is the same.
 */
#ifndef SK_TAR_IMPL_H
#define SK_TAR_IMPL_H

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <zstd.h>

#include "sk_impl.h"

#define BODY_BUF (128 * 1024) /* streamed bodies pass through here */

/* A directory on the walk: open (fd >= 0) or closed to save descriptors
 * and reopened when the walk comes back to it.  Items hold references:
 * it lives, and its descriptor stays open, while they are unwritten. */
struct tar_dir {
	int refs;    /* the walk's stack and the items in it */
	int pending; /* unwritten items that need fd */
	int fd;      /* -1 while closed */
	dev_t dev;
	ino_t ino;
	char *path;     /* as given, plus the components below it */
	size_t nameoff; /* its last component in path */
	char *names;    /* its listing (the items' names point here) */
};

/* What an item is waiting for. */
enum item_state {
	ITEM_NEW,   /* made by the walk; needs opening and reading */
	ITEM_BUSY,  /* an I/O thread has it */
	ITEM_READY, /* ready to be written */
};

/* A warning found while making an item ready, reported in archive order
 * by the writer. */
struct tar_note {
	int err;
	const char *what; /* a static string */
};

/*
 * One thing to store (or only to report), in archive order.  The walk
 * fills dir, name, dtype (and for a directory, which it opens itself, st
 * and e); tar_read fills the rest.
 */
struct tar_item {
	struct tar_item *next;
	struct tar_dir *dir; /* the directory it is in (a reference) */
	const char *name;    /* its name in dir */
	const char *toppath; /* an argument: the path as given */
	char *ownpath;       /* a toppath of its own, freed with it */
	unsigned char dtype; /* readdir's d_type, or DT_UNKNOWN */
	unsigned char state;
	unsigned char skip;       /* report the notes, store nothing */
	unsigned char finalcheck; /* compare with the name at write time */
	unsigned char retry;      /* out of descriptors: the writer retries */
	unsigned char heldfd;     /* fd counts against the pool's maxfds */
	struct stat st;
	struct archive_entry *e; /* the metadata, once ready */
	int fd;                  /* body still to read from here, or -1 */
	char *data;              /* or the whole body, read ahead */
	size_t len;              /* its length */
	size_t cap;              /* what was allocated for it */
	size_t reserved;         /* budget bytes held by data */
	int nnotes;
	struct tar_note notes[2];
};

/* The read-ahead: items between the walk, the I/O threads and the writer. */
struct tar_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;  /* items to make ready, or the end */
	pthread_cond_t ready; /* the head item became ready */
	pthread_cond_t room;  /* the writer made room */
	struct tar_item *head, *tail, *todo; /* todo: next NEW item */
	size_t nitems, maxitems;
	size_t budget, used; /* bytes of bodies read ahead */
	size_t maxfile;      /* bodies up to this are read ahead */
	int fds, maxfds;     /* descriptors held by ready items */
	uint64_t progress;   /* items written, for waiters */
	int nthreads;
	pthread_t *threads;
	int stop;      /* the run is over: threads return */
	int walk_done; /* the lister has queued its last item */
};

struct tar_frame;

struct sk_tar {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	struct sk_tar_options opt;
	int fd; /* output, or -1 through the producer */
	sk_producer *producer;
	char *buf;  /* file bodies pass through here */
	int warned; /* something was skipped or changed */
	int err;    /* writing the archive failed: sticky */
	uint64_t written;
	int skip; /* the archive is a regular file: never store it */
	dev_t skip_dev;
	ino_t skip_ino;
	int skip2; /* nor the file it will replace (opt.archive_path) */
	dev_t skip2_dev;
	ino_t skip2_ino;
	uint64_t files, data; /* entries stored, body bytes read */
	int dry;              /* sk_tar_scan: walk and count, store nothing */
	/* The stored name of the entry being written, and its path, grown
	 * as needed (the writer's; the walk has its own). */
	char *name, *wpath;
	size_t namecap, wpathcap;
	/* Leading parts removed from names, each reported once. */
	char **prefixes;
	size_t nprefixes;
	/* The metadata readers: one for the caller's thread; the I/O
	 * threads have their own (libarchive objects are not shared). */
	struct archive *disk;
	int disk_flags;
	/* The walk (tar_walk.c). */
	struct tar_frame *stack;
	size_t depth, adepth;
	int maxdirs, opendirs; /* directory descriptors held */
	dev_t root_dev;
	int top_dirfd;   /* what the argument is relative to */
	const char *top; /* the argument */
	char *lpath;     /* the walk's path buffer */
	size_t lpathcap;
	char *dents;               /* getdents64's buffer */
	struct archive *walk_disk; /* the lister thread's metadata reader */
	int walk_err;              /* the walk failed (no memory): errno */
	int walk_fd; /* the argument's directory, for the lister */
	struct stat walk_st;
	/* The read-ahead (tar_pool.c). */
	struct tar_pool pool;
	int threads;   /* I/O threads; 0: none */
	size_t budget; /* bytes of bodies read ahead */
	/* zstd is compressed here, not by libarchive, for its threads. */
	ZSTD_CCtx *zc;
	char *zbuf;
	size_t zcap;
	/* The fast path (plain tar into a pipe): libarchive unbuffered,
	 * its writes coalesced here, bodies spliced from the files. */
	int fast;
	int discard; /* drop what libarchive writes (a spliced body's zeros) */
	char *obuf;
	size_t olen;
};

/* The walk's stack: a directory being walked and its listing. */
struct tar_frame {
	struct tar_dir *d;
	char **names; /* into d->names: readdir's d_type, then the name */
	size_t n, i;
	int dead; /* moved away: the rest of it is skipped */
};

#define SK_TAR_DIRFLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY)

/* O_NOFOLLOW unless the walk follows links (-h). */
static inline int
sk__tar_nofollow(const sk_tar *t)
{
	return t->opt.follow ? 0 : O_NOFOLLOW;
}

static inline int
sk__tar_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static inline void
sk__tar_lock(sk_tar *t)
{
	pthread_mutex_lock(&t->pool.lock);
}

static inline void
sk__tar_unlock(sk_tar *t)
{
	pthread_mutex_unlock(&t->pool.lock);
}

/* tar_dirs.c */
/* A directory opened as fd, its listing not read yet; one reference (the
 * walk's).  NULL on no memory. */
struct tar_dir *sk__tar_dir_new(sk_tar *t, const char *path, size_t nameoff,
                                int fd, const struct stat *st);
/* Drops a reference; the last one closes and frees. */
void sk__tar_dir_release(sk_tar *t, struct tar_dir *d);
/* Closes one directory descriptor up the stack that no unwritten item
 * needs; 1 when it did. */
int sk__tar_dir_close_one(sk_tar *t);
/* Makes room for one more directory descriptor, as far as it can. */
void sk__tar_dir_room(sk_tar *t);
/* The walk comes back to frame pf from child: pf's descriptor again,
 * checked.  0, or -1 when the directory has moved. */
int sk__tar_dir_reopen(sk_tar *t, struct tar_frame *pf, struct tar_dir *child);
/* Reads d's listing into f (sorted as asked).  0; -1 on no memory; -2
 * with errno when reading failed (what was read is kept). */
int sk__tar_dir_list(sk_tar *t, struct tar_dir *d, struct tar_frame *f);

/* tar.c */
/* A tar writing to fd, or to producer when fd is -1. */
sk_tar *sk__tar_new(int fd, sk_producer *producer,
                    const struct sk_tar_options *opt);
void sk__tar_warn(sk_tar *t, const char *path, int err, const char *what);

/* tar_names.c */
/* The stored name of path (GNU tar's rule: leading "/" and everything up
 * to a last ".." removed; literal otherwise), into t->name.  0 or -1. */
int sk__tar_name(sk_tar *t, const char *path);
/* Whether the walk should skip name (a component) at path. */
int sk__tar_excluded(const sk_tar *t, const char *name, const char *path);

/* tar_compress.c */
int sk__tar_setup(sk_tar *t);
int sk__tar_zstd(sk_tar *t, const void *buf, size_t n, int end);
void sk__tar_compress_free(sk_tar *t);

/* tar_output.c */
int sk__tar_output_open(sk_tar *t);
int sk__tar_emit(sk_tar *t, const void *buf, size_t n);
int sk__tar_flush(sk_tar *t);
/* The body of an entry whose header was just written, spliced from fd;
 * 0, or -1 when the output failed. */
int sk__tar_splice_body(sk_tar *t, struct tar_item *it, const char *path,
                        int64_t size);
/* Whether the body of size bytes takes the zero-copy path. */
int sk__tar_spliceable(const sk_tar *t, int64_t size);

/* tar_read.c */
/* Makes a NEW item ready: opens, stats, gathers metadata with disk (a
 * reader of the calling thread's), and reads a body of up to maxread
 * bytes.  Never fails: problems become notes or skip; out of descriptors
 * with can_defer, it sets retry and leaves the item to the writer. */
void sk__tar_prepare(sk_tar *t, struct tar_item *it, struct archive *disk,
                     size_t maxread, int can_defer);
/* A metadata reader with t's behaviour flags; NULL on no memory. */
struct archive *sk__tar_disk_new(const sk_tar *t);
void sk__tar_note(struct tar_item *it, int err, const char *what);
/* Builds the entry of what it->st describes, opened as fd, or when fd is
 * -1 named name in dfd (AT_FDCWD: an argument).  0, or -1 with it->skip
 * and a note. */
int sk__tar_entry_at(sk_tar *t, struct tar_item *it, struct archive *disk,
                     int dfd, const char *name, int fd);
/* Frees what an item holds (not its directory references). */
void sk__tar_item_clear(struct tar_item *it);

/* tar_entry.c */
/* dir and name joined by one slash (none when dir ends with one), into
 * *buf of *cap bytes, grown as needed; NULL on no memory. */
char *sk__tar_join(char **buf, size_t *cap, const char *dir, const char *name);
/* Writes a ready item; 0, or -1 when the archive failed (t->err). */
int sk__tar_write_item(sk_tar *t, struct tar_item *it);
/* The full path of an item, for messages, into a buffer of the walk. */
const char *sk__tar_item_path(sk_tar *t, const struct tar_item *it);

/* tar_walk.c */
/* Walks path, relative to dirfd, queueing items through the pool or
 * writing them at once.  0, or -1 with errno when the archive failed. */
int sk__tar_walk(sk_tar *t, int dirfd, const char *path);
void sk__tar_walk_free(sk_tar *t);

/* tar_pool.c */
int sk__tar_pool_start(sk_tar *t);
/* Queues an item (the walk); waits for room.  0, or -1 when stopped. */
int sk__tar_pool_put(sk_tar *t, struct tar_item *it);
/* Takes the next item in order, ready; NULL at the end of the walk. */
struct tar_item *sk__tar_pool_take(sk_tar *t);
/* Gives back what a written item held (budget, descriptors). */
void sk__tar_pool_done(sk_tar *t, struct tar_item *it);
/* The walk has queued everything (or failed). */
void sk__tar_pool_walk_end(sk_tar *t);
/* Waits until a directory descriptor may be closed or no item is
 * pending; for the walk when it runs out of descriptors. */
void sk__tar_pool_wait_room(sk_tar *t);
void sk__tar_pool_stop(sk_tar *t);
void sk__tar_pool_free(sk_tar *t);

#endif
