/*
 * tar_incr.h - GNU tar's listed-incremental dumps (-g FILE): the snapshot
 * file (tar_snapshot.c) and the decisions of one run (tar_incr.c).  Not
 * installed; the tar producer drives it.  Semantics from GNU tar 1.34's
 * manual and behaviour (its snapshot format version 2).
 *
 * A run, as the walk must drive it to write what GNU tar writes:
 *   1. sk__snap_load the old snapshot (or none: level 0), sk__incr_open.
 *   2. Pass 1, directories only, parents before children: for each
 *      directory sk__incr_dir with its stat, then sk__incr_entries with
 *      every name it holds (stat'ed, exclusions applied) to get the codes
 *      Y (store), N (do not), D (a directory: scanned in its turn when
 *      its code stays D).
 *   3. sk__incr_finish: rename records go to the first directory.
 *   4. Pass 2, in sk__incr_order's order: each directory as a GNU dumpdir
 *      entry ('D' type, contents sk__incr_dumpdir); then, directory by
 *      directory in the same order, the entries coded Y that are not
 *      directories.
 *   5. When the archive is complete, sk__incr_commit writes the new
 *      snapshot aside and renames it over the old one.
 */
#ifndef SK_TAR_INCR_H
#define SK_TAR_INCR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "sk_impl.h"

/* One directory's record, as the snapshot file holds it. */
struct sk__snap_dir {
	char *name; /* as the walk named it, no trailing '/' */
	char *key;  /* name normalized, for lookups */
	int nfs;    /* GNU's NFS flag (never set on Linux) */
	struct timespec mtime;
	uintmax_t dev, ino;
	char *dump;     /* "Cname\0" entries, C in Y N D, then one '\0' */
	size_t dumplen; /* bytes of dump, the final '\0' included */
	/* The run's state for the directory. */
	int found;    /* seen by this run: written to the new snapshot */
	int visited;  /* sk__incr_dir called for it */
	int children; /* SK__INCR_NONE, _CHANGED, _ALL */
	int renamed;  /* last of a chain of renames */
	struct sk__snap_dir *orig; /* the record it was renamed from */
	char *olddump;             /* the dump before this run rebuilt it */
	size_t olddumplen;
	const char *tagfile;
	/* The walk's (tar_incr_walk.c): which argument it is below, and the
	 * directory above it in this run. */
	size_t arg;
	struct sk__snap_dir *up;
};

struct sk__snap {
	struct timespec time; /* when the dump that wrote it started */
	struct sk__snap_dir **v;
	size_t n, cap;
	struct sk__snap_dir **byname, **byid; /* open addressing, 2x n */
	size_t nslot;
};

/*
 * Reads a snapshot from fd (read to its end).  An empty file is a level 0
 * (an empty snapshot, time 0).  -1 with errno EINVAL on a malformed file,
 * with a message of where and why in err (errlen bytes).
 */
struct sk__snap *sk__snap_load(int fd, char *err, size_t errlen);
/* An empty snapshot (level 0). */
struct sk__snap *sk__snap_new(void);
/* Writes s in GNU tar's format: every record, or only those found when
 * found_only.  0 or -1 with errno. */
int sk__snap_write(const struct sk__snap *s, int fd, int found_only);
void sk__snap_free(struct sk__snap *s);
/* Record lookups: by name (normalized), by device and inode. */
struct sk__snap_dir *sk__snap_find(const struct sk__snap *s, const char *name);
struct sk__snap_dir *sk__snap_find_id(const struct sk__snap *s, uintmax_t dev,
                                      uintmax_t ino);
/* Adds a record (names copied); NULL with errno. */
struct sk__snap_dir *sk__snap_add(struct sk__snap *s, const char *name,
                                  const struct timespec *mtime, uintmax_t dev,
                                  uintmax_t ino, int nfs, const char *dump,
                                  size_t dumplen);

/* The public object (sk_tar_snapshot_open): the old snapshot until a
 * run takes it, the run, and the new file made aside. */
struct sk_tar_snapshot {
	int flags;
	struct sk__snap *old;
	struct sk__incr *inc;
	sk_atomic *out;
};

/* What a directory's children get. */
#define SK__INCR_NONE    0
#define SK__INCR_CHANGED 1
#define SK__INCR_ALL     2

/* Options of a run. */
#define SK__INCR_NO_CHECK_DEVICE 0x1 /* --no-check-device */
#define SK__INCR_ONE_FS          0x2 /* --one-file-system */

struct sk__incr;

/* A name in a directory, as pass 1 gives it; code is the answer. */
struct sk__incr_ent {
	const char *name; /* one component */
	int is_dir;
	int excluded; /* by the patterns or ignore files */
	int gone;     /* could not be stat'ed (vanished) */
	dev_t dev;
	struct timespec mtime, ctime;
	char code; /* set by sk__incr_entries: 'Y', 'N' or 'D' */
};

/* A run over old (taken; NULL: level 0), started at start. */
struct sk__incr *sk__incr_open(struct sk__snap *old,
                               const struct timespec *start, int flags);
/*
 * A directory of pass 1: name as the walk names it, st its stat, parent
 * the record of the directory above (NULL for an argument), tag and
 * tagname what sk_exclude_dir_open said of it.  Returns its record, with
 * children set; *code is what its parent's dumpdir says of it ('D', or 'N'
 * when a tag cuts it whole or it was already visited).  NULL with errno.
 */
struct sk__snap_dir *sk__incr_dir(struct sk__incr *inc,
                                  struct sk__snap_dir *parent, const char *name,
                                  const struct stat *st, int tag,
                                  const char *tagname, char *code);
/* A directory below parent that pass 1 could not open: 'N' in parent's
 * dumpdir, as GNU tar leaves it. */
void sk__incr_drop(struct sk__snap_dir *parent, const char *base);
/* Codes the n entries of dir and builds its dumpdir.  0 or -1. */
int sk__incr_entries(struct sk__incr *inc, struct sk__snap_dir *dir,
                     struct sk__incr_ent *ents, size_t n);
/* Whether a file given as an argument is stored (newer than the dump). */
int sk__incr_file_newer(const struct sk__incr *inc, const struct stat *st);
/* After pass 1: the rename records.  0 or -1. */
int sk__incr_finish(struct sk__incr *inc);
/* The directories of pass 2 in GNU tar's order; owned by inc. */
struct sk__snap_dir *const *sk__incr_order(struct sk__incr *inc, size_t *n);
/* The contents of dir's dumpdir entry (GNU.dumpdir in pax) and length. */
const char *sk__incr_dumpdir(const struct sk__snap_dir *dir, size_t *len);
/* A directory's time after its entries were stored (GNU re-reads it). */
void sk__incr_set_mtime(struct sk__snap_dir *dir, const struct timespec *t);
/* Writes the new snapshot to fd.  0 or -1 with errno. */
int sk__incr_commit(struct sk__incr *inc, int fd);
/* The same, replacing the file at path atomically (sk_atomic): call it
 * only when the archive is complete; until then the old snapshot stays. */
int sk__incr_save(struct sk__incr *inc, const char *path);
void sk__incr_free(struct sk__incr *inc);

#endif
