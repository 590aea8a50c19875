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
 *   tar_entry.c     one entry written: header fields, hardlinks, owner
 *                   names, a body that matches the header, the look-up
 *                   that tells a change since the read
 *   tar_header.c    a header's bytes: ustar, pax (restricted), GNU
 *   tar_output.c    gathering, blocking, the end marker, and the
 *                   zero-copy path for plain tar into a pipe
 *   tar_compress.c  the compressor: the library's filter (sk_compress)
 *                   between the gathered bytes and the destination
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

#include "sk_impl.h"

#define BODY_BUF (128 * 1024) /* streamed bodies pass through here */

/* Counters and states shared by the walk, the I/O threads and the writer:
 * sequentially consistent, the simplest order to reason about. */
#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v)   __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)
#define SUB(x, v)   __atomic_sub_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* A directory on the walk: open (fd >= 0) or closed to save descriptors
 * and reopened when the walk comes back to it.  Items hold references:
 * it lives, and its descriptor stays open, while they are unwritten. */
struct tar_dir {
	int refs;    /* the walk's stack and the items in it */
	int pending; /* unwritten items that need fd */
	int fd;      /* -1 while closed */
	dev_t dev;
	ino_t ino;
	int empties;    /* the last regular file read here was empty: stat
	                 * before opening (atomic; a hint, not a rule) */
	char *path;     /* as given, plus the components below it */
	size_t nameoff; /* its last component in path */
	char *names;    /* its listing (the items' names point here) */
};

/* A growable byte buffer. */
struct tar_buf {
	char *data;
	size_t len, cap;
};

struct tar_xattr {
	char *name;
	char *value;
	size_t len;
};

/* An item's metadata beyond its stat, gathered by tar_read.c. */
struct tar_meta {
	char *link; /* a symbolic link's target */
	struct tar_xattr *xattrs;
	size_t nxattrs;
	char *acl_access, *acl_default; /* SCHILY.acl text */
	int64_t *sparse;                /* offset, length of each data part */
	size_t nsparse;
};

/* What one header says (tar_header.c). */
struct tar_head {
	const char *name; /* stored name; a directory gets its '/' there */
	const char *link; /* symlink or hardlink target, or NULL */
	char type;        /* '0' '1' '2' '3' '4' '5' '6', or 'D' (GNU) */
	mode_t mode;
	int64_t uid, gid;
	const char *uname, *gname; /* or NULL */
	int64_t size;              /* the body's bytes as stored */
	int64_t mtime;
	unsigned devmajor, devminor;
	const struct tar_xattr *xattrs;
	size_t nxattrs;
	const char *acl_access, *acl_default;
	int sparse;          /* pax sparse 1.0: the body starts with the map */
	int64_t realsize;    /* the file's size, holes included */
	const char *dumpdir; /* GNU incremental: the directory's contents */
	size_t dumpdirlen;
};

/* Memory for bodies read ahead by one thread (tar_ring.c). */
struct tar_ring {
	struct sk_tar *t; /* whose (the thread's start argument) */
	char *mem;
	size_t cap;
	uint64_t head; /* handed out: the owning thread's */
	uint64_t tail; /* given back: the writer's (atomic) */
};

/* What an item is waiting for. */
enum item_state {
	ITEM_NEW,   /* made by the walk; needs opening and reading */
	ITEM_BUSY,  /* an I/O thread has it */
	ITEM_READY, /* ready to be written */
};

/* How much a warning counts (sk_tar_warned): not at all (GNU tar says
 * the same and exits 0), a file changed while the archive was made (exit
 * 1), a file could not be stored (exit 2).  VANISHED: CHANGED for ENOENT
 * (removed since its directory was listed), else SKIPPED. */
enum {
	SK__TAR_INFO = 0,
	SK__TAR_CHANGED = SK_TAR_CHANGED,
	SK__TAR_SKIPPED = SK_TAR_SKIPPED,
	SK__TAR_VANISHED = 3
};

/* A warning found while making an item ready, reported in archive order
 * by the writer. */
struct tar_note {
	int err;
	int level;
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
	unsigned char needcheck;  /* written: look its name up again */
	unsigned char checkstate; /* 0, 1 queued, 2 taken, 3 done */
	const char *checked;      /* what the look-up found, or NULL */
	struct stat st;
	struct tar_meta m;     /* the rest of its metadata, once ready */
	int fd;                /* body still to read from here, or -1 */
	char *data;            /* or the whole body, read ahead */
	size_t len;            /* its length */
	struct tar_ring *ring; /* where data came from */
	uint64_t rend;         /* what to give back to it */
	size_t reserved;       /* budget bytes held by data */
	int nnotes;
	struct tar_note notes[2];
	/* A listed-incremental directory's dumpdir (tar_incr_walk.c), or
	 * NULL; the manifest's digest of data, taken ahead. */
	const char *dumpdir;
	size_t dumpdirlen;
	unsigned char hashed;
	unsigned char digest[32];
};

/* The read-ahead: items between the walk, the I/O threads and the writer
 * (tar_pool.c).  Fields marked atomic are also read without the lock. */
struct tar_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;  /* items to make ready or look up, or the end */
	pthread_cond_t ready; /* an item the writer waits for is ready */
	pthread_cond_t room;  /* the writer made room */
	pthread_cond_t gate;  /* more threads may work at once */
	struct tar_item *head, *tail, *todo; /* todo: next NEW item */
	size_t nitems, maxitems;
	size_t ahead, maxahead; /* taken by threads, not yet by the writer
	                         * (atomic) */
	size_t nnew;            /* NEW items no thread has taken */
	/* Written items waiting for their look-up, in archive order;
	 * ctodo: the next one no thread has taken. */
	struct tar_item *chead, *ctail, *ctodo;
	size_t nchecks, nctodo;
	size_t budget, used; /* bytes of bodies read ahead (atomic) */
	size_t maxfile;      /* bodies up to this are read ahead */
	int fds, maxfds;     /* descriptors held by ready items (atomic) */
	uint64_t progress;   /* items written (atomic) */
	uint64_t live;       /* items made and not yet done (atomic) */
	int idle;            /* I/O threads waiting for work (atomic) */
	int allowed;         /* threads that may work at once (atomic) */
	int gated;           /* I/O threads waiting on gate (atomic) */
	int warm;            /* allowed while nothing waits for the disk */
	uint64_t gov;        /* items that waited << 32 | items (atomic) */
	int starved;         /* some wait because of a bound (atomic) */
	int writer_waits;    /* the writer waits (atomic) */
	int lister_waits;    /* the lister waits: 1 for room in the queue,
	                      * 2 for any item to be done (atomic) */
	int nthreads;
	pthread_t *threads;
	struct tar_ring *rings; /* one per thread */
	struct tar_ring wring;  /* the writer's */
	int stop;               /* the run is over: threads return (atomic) */
	int walk_done;          /* the lister has queued its last item */
	/* The lister's batch, not queued yet (its thread only). */
	struct tar_item *bhead, *btail;
	size_t bn;
	/* The writer's: items taken, not returned yet; written items not
	 * queued for their look-ups yet (its thread only). */
	struct tar_item *whead, *wtail, *xhead, *xtail;
	size_t xn;
};

struct tar_link;  /* tar_entry.c */
struct tar_owner; /* tar_entry.c */
struct tar_incr;  /* tar_incr_walk.c */

struct sk_tar {
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
	/* Files with more than one link, stored once then as links; owner
	 * names looked up once (tar_entry.c, the writer's). */
	struct tar_link **links, *lastlink;
	size_t nlinks, alinks;
	struct tar_owner *owners;
	size_t nowners, aowners;
	struct tar_buf hbuf; /* the header being made */
	struct tar_buf mbuf; /* a sparse map */
	/* Leading parts removed from names, each reported once. */
	char **prefixes;
	size_t nprefixes;
	/* With a transform (tar_names.c): the name before it, which hard
	 * links are known by, and a link target transformed. */
	char *plain, *xlink;
	size_t plaincap;
	/* The listed-incremental run (tar_incr_walk.c) and the manifest's
	 * hasher of the current body (tar_manifest.c). */
	struct tar_incr *incr;
	struct sk__sha256 sha;
	int hashing;
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
	/* The read-ahead (tar_pool.c). */
	struct tar_pool pool;
	int threads;   /* I/O threads; 0: none */
	size_t budget; /* bytes of bodies read ahead */
	/* The compressor; NULL for a plain archive. */
	sk_compress *comp;
	/* SK_TAR_ZIP's entry writer (tar_zip.c); NULL for a tar. */
	struct tar_zip *zip;
	/* Output: gathered in obuf; pos counts the tar stream's bytes.  The
	 * fast path (plain tar into a pipe) splices large bodies. */
	int fast;
	char *obuf;
	size_t olen, ocap;
	uint64_t pos;
};

/* The walk's stack: a directory being walked and its listing. */
struct tar_frame {
	struct tar_dir *d;
	char **names; /* into d->names: readdir's d_type, then the name */
	size_t n, i;
	int dead; /* moved away: the rest of it is skipped */
	/* GNU tar's exclusion (tar_rules.c): the directory's context, and
	 * the one name a tag file leaves in it (or NULL). */
	struct sk_exclude_dir *xd;
	const char *only;
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
/* Makes room for one more directory descriptor, as far as it can; the
 * walk holds held items of its own meanwhile. */
void sk__tar_dir_room(sk_tar *t, uint64_t held);
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
void sk__tar_warn(sk_tar *t, const char *path, int err, const char *what,
                  int level);

/* tar_names.c */
/* The stored name of path (GNU tar's rule: leading "/" and everything up
 * to a last ".." removed; literal otherwise; a directory's with a slash
 * at the end), into t->name.  0 or -1. */
int sk__tar_name(sk_tar *t, const char *path, int dir);
/* What the transform makes of t->name (a directory's: dir), into
 * t->name, t->plain keeping the name before it: 0, 1 when nothing is left
 * (not stored), -1 on no memory. */
int sk__tar_xform_name(sk_tar *t, int dir);
/* A link target as the transform makes it (scope SK_XFORM_SYMLINK or
 * SK_XFORM_LINK; a hard link's stripped as a name), into *out (t->xlink):
 * 0, 1 when a hard link's target is left empty, -1 on no memory. */
int sk__tar_xform_link(sk_tar *t, const char *target, int scope,
                       const char **out);

/* tar_header.c */
/* The header bytes of h in format, into b (replaced).  0, or -1: ENOMEM,
 * or EINVAL with *why when the format cannot hold h (ustar).  *why may
 * also be set on success: a warning (a name stored as raw bytes). */
int sk__tar_head(struct tar_buf *b, int format, const struct tar_head *h,
                 const char **why);
/* Whether s is well-formed UTF-8. */
int sk__tar_utf8(const char *s);
/* The map that starts a pax sparse 1.0 body, padded, into b. */
int sk__tar_sparse_map(struct tar_buf *b, const int64_t *map, size_t n);

/* tar_compress.c */
int sk__tar_compress_open(sk_tar *t);
int sk__tar_compress(sk_tar *t, const void *buf, size_t n);
int sk__tar_compress_end(sk_tar *t);
void sk__tar_compress_free(sk_tar *t);

/* tar_zip.c: SK_TAR_ZIP's entries through libarchive's zip writer. */
int sk__tar_zip_open(sk_tar *t);
/* h's header: 0, 1 when h is not stored (said through warn), -1
 * (t->err). */
int sk__tar_zip_head(sk_tar *t, const struct tar_head *h, const char *path);
/* Body bytes of the entry; 0 or -1 (t->err). */
int sk__tar_zip_data(sk_tar *t, const void *buf, size_t n);
int sk__tar_zip_end_entry(sk_tar *t);
/* The central directory and the end records; 0 or -1 (t->err). */
int sk__tar_zip_close(sk_tar *t);
void sk__tar_zip_free(sk_tar *t);

/* tar_output.c */
int sk__tar_output_open(sk_tar *t);
/* The end marker, the last record, the compressor's end.  0 or -1. */
int sk__tar_output_close(sk_tar *t);
/* Bytes of the tar stream, gathered; 0 or -1 (t->err). */
int sk__tar_out(sk_tar *t, const void *buf, size_t n);
int sk__tar_zeros(sk_tar *t, int64_t n);
/* Zeros to the next 512-byte boundary. */
int sk__tar_pad(sk_tar *t);
/* To the destination (after the compressor). */
int sk__tar_emit(sk_tar *t, const void *buf, size_t n);
int sk__tar_flush(sk_tar *t);
/* The body of an entry whose header was just written, spliced from fd;
 * 0, or -1 when the output failed. */
int sk__tar_splice_body(sk_tar *t, struct tar_item *it, const char *path,
                        int64_t size);
/* Whether the body of size bytes takes the zero-copy path. */
int sk__tar_spliceable(const sk_tar *t, int64_t size);

/* tar_ring.c */
int sk__tar_ring_init(struct tar_ring *r, size_t cap);
void sk__tar_ring_fini(struct tar_ring *r);
/* n contiguous bytes, or NULL when they do not fit now; *end is what to
 * give back with sk__tar_ring_put once the body is written (in the order
 * they were got). */
char *sk__tar_ring_get(struct tar_ring *r, size_t n, uint64_t *end);
void sk__tar_ring_put(struct tar_ring *r, uint64_t end);

/* tar_read.c */
/* Makes a NEW item ready: opens, stats, gathers metadata (*disk: the
 * calling thread's ACL reader, made when first needed), and reads a body
 * of up to maxread bytes.  Never fails: problems become notes or skip;
 * out of descriptors with can_defer, it sets retry and leaves the item to
 * the writer. */
void sk__tar_prepare(sk_tar *t, struct tar_item *it, struct archive **disk,
                     struct tar_ring *ring, int can_defer);
/* libarchive's disk reader, for ACLs; NULL on no memory. */
struct archive *sk__tar_disk_new(const sk_tar *t);
void sk__tar_note(struct tar_item *it, int err, const char *what, int level);
/* The metadata of what it->st describes (a directory the walk opened),
 * opened as fd, or when fd is -1 named name in dfd (AT_FDCWD: an
 * argument).  0, or -1 with it->skip and a note. */
int sk__tar_meta_at(sk_tar *t, struct tar_item *it, struct archive **disk,
                    int dfd, const char *name, int fd);
/* Frees what an item holds (not its directory references). */
void sk__tar_item_clear(struct tar_item *it);

/* tar_entry.c */
/* dir and name joined by one slash (none when dir ends with one), into
 * *buf of *cap bytes, grown as needed; NULL on no memory. */
char *sk__tar_join(char **buf, size_t *cap, const char *dir, const char *name);
void sk__tar_links_free(sk_tar *t);
/* Writes a ready item; 0, or -1 when the archive failed (t->err).  Sets
 * it->needcheck when its name is to be looked up again. */
int sk__tar_write_item(sk_tar *t, struct tar_item *it);
/* The look-up after a regular file's entry: NULL when the name still is
 * the file as read, else what changed (for a warning).  Any thread. */
const char *sk__tar_check(const sk_tar *t, const struct tar_item *it);
/* Reports what sk__tar_check found, on the writer's thread. */
void sk__tar_report_check(sk_tar *t, struct tar_item *it);
/* The full path of an item, for messages, into a buffer of the walk. */
const char *sk__tar_item_path(sk_tar *t, const struct tar_item *it);

/* tar_walk.c */
/* Walks path, relative to dirfd, queueing items through the pool or
 * writing them at once.  0, or -1 with errno when the archive failed. */
int sk__tar_walk(sk_tar *t, int dirfd, const char *path);
void sk__tar_walk_free(sk_tar *t);
/* A directory pushed on the walk's stack, opened as d (taken, with xd),
 * its listing not read; NULL (d and xd dropped) on no memory. */
struct tar_frame *sk__tar_push_frame(sk_tar *t, struct tar_dir *d,
                                     struct sk_exclude_dir *xd);
/* Pops the top frame; the walk goes on in the one below (reopened when
 * closed; when it moved, it is marked dead with a note). */
void sk__tar_pop_frame(sk_tar *t);
/* Runs fn as the walk: on a lister thread when there is read-ahead, the
 * caller's thread writing what it queues; else on the caller's thread.
 * 0, or -1 (t->err). */
int sk__tar_walk_run(sk_tar *t, int (*fn)(sk_tar *t, void *arg), void *arg);
/* An item of the walk (a reference to d), and a note with no entry about
 * path; NULL (t->walk_err) on no memory. */
struct tar_item *sk__tar_item_new(sk_tar *t, struct tar_dir *d,
                                  const char *name, unsigned char dtype);
struct tar_item *sk__tar_note_item(sk_tar *t, const char *path, int err,
                                   const char *what, int level);
/* Hands an item on (queued, or with here or no read-ahead written at
 * once); frees it unless queued.  0, or -1 when the archive failed. */
int sk__tar_walk_emit(sk_tar *t, struct tar_item *it, int here);
/* An argument that is not a directory (seen as st), through its parent. */
int sk__tar_walk_file(sk_tar *t, int dirfd, const char *path,
                      const struct stat *st, int here);

/* tar_rules.c */
/* At a directory the walk enters, opened as fd and named path: its
 * exclusion context (*xd) and the name of the tag file found in it
 * (*tagname); returns the tag's kind (SK_EXCL_TAG_*), -1 on no memory. */
int sk__tar_dir_rules(sk_tar *t, int fd, const char *path,
                      struct sk_exclude_dir **xd, const char **tagname);
/* Whether the walk leaves out name, at path, in frame f's directory: 1,
 * 0, or -1 on no memory. */
int sk__tar_left_out(const sk_tar *t, const struct tar_frame *f,
                     const char *name, const char *path);
/* Whether an argument is left out: 1, 0, -1. */
int sk__tar_arg_left_out(const sk_tar *t, const char *path);
/* When --newer (or, in an incremental dump, the snapshot) leaves out the
 * item whose stat is known: skip set, no note, its descriptor closed; 1. */
int sk__tar_too_old(const sk_tar *t, struct tar_item *it);

/* tar_pool.c */
int sk__tar_pool_start(sk_tar *t);
/* Queues an item (the walk), in batches; waits for room.  0, or -1 when
 * stopped (the item is then dropped).  flush queues the batch now: the
 * walk calls it before anything that may block. */
int sk__tar_pool_put(sk_tar *t, struct tar_item *it);
int sk__tar_pool_flush(sk_tar *t);
/* Takes the next item in order, ready; NULL at the end of the walk. */
struct tar_item *sk__tar_pool_take(sk_tar *t);
/* Gives back what a written item held (budget, descriptors). */
void sk__tar_pool_done(sk_tar *t, struct tar_item *it);
/* A written item: its look-up (by an I/O thread when there are any) and
 * then sk__tar_pool_done; the warnings of looked-up items are reported
 * in order.  With wait, returns only when every look-up is reported. */
void sk__tar_pool_written(sk_tar *t, struct tar_item *it);
void sk__tar_pool_checks(sk_tar *t, int wait);
/* The walk has queued everything (or failed). */
void sk__tar_pool_walk_end(sk_tar *t);
/* Waits until some item was done, or none is left but the held ones the
 * walk has in hand; for the walk when it runs out of descriptors. */
void sk__tar_pool_wait_room(sk_tar *t, uint64_t held);
void sk__tar_pool_stop(sk_tar *t);
void sk__tar_pool_free(sk_tar *t);

/* tar_bounds.c: the read-ahead's bounds.  Reserves n bytes of the budget
 * for a body read ahead; 1 when granted. */
int sk__tar_pool_reserve(sk_tar *t, size_t n);
/* Counts one more descriptor held for the writer; 1 when allowed. */
int sk__tar_pool_hold_fd(sk_tar *t);
/* How many I/O threads work at once.  Init allows all threads and sets
 * p->warm, the number allowed while few items are slow; sk__tar_slow
 * tells whether an item made ready in ns nanoseconds waited for the disk;
 * sk__tar_govern counts a batch of n items, slow of them slow, and returns
 * 1 when more threads may work than before (wake the gate);
 * sk__tar_too_many: whether a busy thread is one too many (p->lock held). */
void sk__tar_govern_init(struct tar_pool *p, int threads);
int sk__tar_slow(const sk_tar *t, const struct tar_item *it, uint64_t ns);
int sk__tar_govern(struct tar_pool *p, size_t slow, size_t n);
int sk__tar_too_many(struct tar_pool *p);

/* tar_manifest.c: a regular file's body on its way into the archive. */
/* The digest of a body read ahead (an I/O thread's). */
void sk__tar_digest_ahead(const sk_tar *t, struct tar_item *it);
/* Around each regular file's body: begin, its bytes (stored, or not
 * stored but hashed: holes), end (the manifest's line).  0 or -1 (t->err). */
int sk__tar_body_begin(sk_tar *t, const struct tar_item *it);
int sk__tar_body(sk_tar *t, const void *buf, size_t n);
int sk__tar_body_zeros(sk_tar *t, int64_t n, int stored);
int sk__tar_body_end(sk_tar *t, const struct tar_item *it);
void sk__tar_body_free(sk_tar *t);

/* tar_incr_walk.c: listed-incremental dumps (GNU tar's -g). */
/* Whether the options allow the snapshot: 0, or -1 (EINVAL). */
int sk__tar_incr_check(sk_tar *t);
/* The dump of n paths; 0, or -1 (t->err, or none set: a second call). */
int sk__tar_incr_walk(sk_tar *t, const struct sk_tar_path *paths, size_t n);
/* Whether a file given as an argument changed since the last dump. */
int sk__tar_incr_newer(const sk_tar *t, const struct stat *st);
void sk__tar_incr_free(sk_tar *t);

#endif
