/*
 * tar_incr_walk.c - a listed-incremental dump (GNU tar's -g), walked by
 * directory descriptors like any other (tar_walk.c, tar_dirs.c), in GNU
 * tar's two passes (tar_incr.h has the decisions):
 *
 *   1. Every directory under the arguments, parents first: each entry
 *      fstatat'ed relative to its directory, exclusions and tags applied,
 *      and coded Y (stored), N (not) or D (a directory, visited in turn).
 *      Nothing is stored yet; only what goes wrong is noted.
 *   2. The directories, sorted by name, each as an entry with its dumpdir
 *      (and the file arguments among them); then, directory by directory
 *      in the same order, the entries coded Y, through the read-ahead as
 *      in any walk.
 *
 * The second pass reaches each directory down the walk's stack: the
 * frames it shares with the one before stay, the others are popped, and
 * the rest is opened one component at a time from the nearest, each
 * checked against the device and inode the first pass saw.  No path is
 * ever resolved from the top but the arguments themselves, and memory is
 * what GNU tar's snapshot holds: each directory's record and dumpdir, and
 * one listing per level of the stack during the first pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"
#include "tar_incr.h"

/* An argument: its name as GNU tar keeps it (no trailing slashes), its
 * record when it is a directory, its stat when it is a file. */
struct arg {
	char *name;
	struct sk__snap_dir *rec;
	int file;
	struct stat st;
};

/* What the first pass keeps for a frame of the stack. */
struct scan {
	struct sk__snap_dir *rec;
	struct sk__incr_ent *ents;
	size_t n, i;
};

struct tar_incr {
	struct sk__incr *inc;
	const struct sk_tar_path *paths;
	struct arg *args;
	size_t nargs;
	/* By depth on the walk's stack: the first pass's listings, the
	 * second's records. */
	struct scan *scan;
	struct sk__snap_dir **recs;
	size_t cap;
	struct sk__snap_dir **chain; /* a directory and those above it */
	size_t chaincap;
};

int
sk__tar_incr_check(sk_tar *t)
{
	if (t->opt.snapshot == NULL)
		return 0;
	if ((t->opt.format != SK_TAR_GNU && t->opt.format != SK_TAR_PAX) ||
	    t->opt.newer_mode != 0 || t->opt.snapshot->inc != NULL)
		return -1;
	return 0;
}

int
sk__tar_incr_newer(const sk_tar *t, const struct stat *st)
{
	return sk__incr_file_newer(t->incr->inc, st);
}

/* The metadata reader of the walk's thread. */
static struct archive **
wdisk(sk_tar *t)
{
	return t->threads > 0 ? &t->walk_disk : &t->disk;
}

/* Room for the stack's depth in the per-depth arrays. */
static int
grow(sk_tar *t, struct tar_incr *w)
{
	size_t cap = w->cap;

	if (t->depth <= cap)
		return 0;
	while (cap < t->depth)
		cap = cap ? 2 * cap : 32;
	{
		struct scan *ns = realloc(w->scan, cap * sizeof *ns);
		if (ns == NULL)
			return -1;
		w->scan = ns;
	}
	{
		struct sk__snap_dir **nr = realloc(w->recs, cap * sizeof *nr);
		if (nr == NULL)
			return -1;
		w->recs = nr;
	}
	memset(w->scan + w->cap, 0, (cap - w->cap) * sizeof *w->scan);
	memset(w->recs + w->cap, 0, (cap - w->cap) * sizeof *w->recs);
	w->cap = cap;
	return 0;
}

/* A note about path, with no entry; -1 when the archive failed. */
static int
note(sk_tar *t, const char *path, int err, const char *what, int level)
{
	return sk__tar_walk_emit(
	    t, sk__tar_note_item(t, path, err, what, level), 0);
}

/* Pops the top frame and what the passes kept for it. */
static void
pop(sk_tar *t, struct tar_incr *w)
{
	struct scan *sc = &w->scan[t->depth - 1];

	free(sc->ents);
	memset(sc, 0, sizeof *sc);
	w->recs[t->depth - 1] = NULL;
	sk__tar_pop_frame(t);
}

/* Opens name in dirfd as a directory, making room for its descriptor;
 * -1 with errno. */
static int
open_dir(sk_tar *t, int dirfd, const char *name)
{
	int fd;

	sk__tar_dir_room(t, 0);
	fd = openat(dirfd, name, SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
	    sk__tar_dir_close_one(t))
		fd = openat(dirfd, name, SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
	return fd;
}

/* Pass 1's entries of the directory on top of the stack (listing read). */
static int
list(sk_tar *t, struct tar_incr *w, struct tar_frame *f, struct scan *sc)
{
	int r = sk__tar_dir_list(t, f->d, f);

	if (r == -1)
		return -1;
	if (r == -2 && note(t, f->d->path, errno, "cannot read directory",
	                    SK__TAR_SKIPPED) < 0)
		return -1;
	if ((sc->ents = calloc(f->n ? f->n : 1, sizeof *sc->ents)) == NULL)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		struct sk__incr_ent *e = &sc->ents[sc->n++];
		const char *path;
		struct stat st;
		e->name = f->names[i] + 1;
		path =
		    sk__tar_join(&t->lpath, &t->lpathcap, f->d->path, e->name);
		if (path == NULL ||
		    (r = sk__tar_left_out(t, f, e->name, path)) < 0)
			return -1;
		e->excluded = r;
		if (fstatat(f->d->fd, e->name, &st,
		            t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
			e->gone = 1;
			continue;
		}
		e->is_dir = S_ISDIR(st.st_mode);
		e->dev = st.st_dev;
		e->mtime = st.st_mtim;
		e->ctime = st.st_ctim;
	}
	return sk__incr_entries(w->inc, sc->rec, sc->ents, sc->n);
}

/*
 * Pass 1 enters a directory opened as fd, seen as st, named path (its
 * last component at nameoff), below up (NULL: argument a): its record,
 * and unless the decisions cut it, its coded listing on the stack.
 * 0 or -1 (no memory).
 */
static int
enter(sk_tar *t, struct tar_incr *w, struct sk__snap_dir *up, int fd,
      const struct stat *st, const char *path, size_t nameoff, size_t a)
{
	struct sk_exclude_dir *xd;
	struct sk__snap_dir *rec;
	const char *tagname;
	struct tar_frame *f;
	struct tar_dir *d;
	char code;
	int tag;

	for (size_t k = 0; k < t->depth; k++)
		if (t->stack[k].d->dev == st->st_dev &&
		    t->stack[k].d->ino == st->st_ino) {
			close(fd);
			if (up)
				sk__incr_drop(up, path + nameoff);
			return note(t, path, 0,
			            "directory loop; not entered again",
			            SK__TAR_INFO);
		}
	if ((tag = sk__tar_dir_rules(t, fd, path, &xd, &tagname)) < 0) {
		close(fd);
		return -1;
	}
	rec = sk__incr_dir(w->inc, up, path, st, tag, tagname, &code);
	if (rec == NULL || code == 'N') {
		close(fd);
		sk_exclude_dir_close(xd);
		return rec ? 0 : -1;
	}
	rec->arg = a;
	rec->up = up;
	if (up == NULL)
		w->args[a].rec = rec;
	if ((d = sk__tar_dir_new(t, path, nameoff, fd, st)) == NULL) {
		close(fd);
		sk_exclude_dir_close(xd);
		return -1;
	}
	if ((f = sk__tar_push_frame(t, d, xd)) == NULL || grow(t, w) < 0)
		return -1;
	w->scan[t->depth - 1].rec = rec;
	/* A directory the decisions cut (a tag, another file system) keeps
	 * the dumpdir they give it without a listing. */
	if (rec->children == SK__INCR_NONE)
		return sk__incr_entries(w->inc, rec, NULL, 0);
	return list(t, w, f, &w->scan[t->depth - 1]);
}

/* Pass 1 below the directories on the stack, down to depth base. */
static int
scan_stack(sk_tar *t, struct tar_incr *w, size_t base)
{
	while (t->depth > base) {
		struct tar_frame *f = &t->stack[t->depth - 1];
		struct scan *sc = &w->scan[t->depth - 1];
		struct sk__incr_ent *e;
		const char *path;
		struct stat st;
		int fd;

		if (f->dead || sc->i == sc->n) {
			pop(t, w);
			continue;
		}
		if ((e = &sc->ents[sc->i++])->code != 'D')
			continue;
		path =
		    sk__tar_join(&t->lpath, &t->lpathcap, f->d->path, e->name);
		if (path == NULL)
			return -1;
		if ((fd = open_dir(t, f->d->fd, e->name)) < 0 ||
		    fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
			/* GNU tar leaves what it cannot open out ('N'). */
			int err = fd < 0 ? errno : ENOTDIR;
			if (fd >= 0)
				close(fd);
			sk__incr_drop(sc->rec, e->name);
			if (note(t, path, err,
			         "cannot open directory; not stored",
			         SK__TAR_SKIPPED) < 0)
				return -1;
			continue;
		}
		if (enter(t, w, sc->rec, fd, &st, path,
		          strlen(path) - strlen(e->name), sc->rec->arg) < 0)
			return -1;
	}
	return 0;
}

/* Pass 1 of argument a. */
static int
scan_arg(sk_tar *t, struct tar_incr *w, size_t a)
{
	const char *path = w->paths[a].path;
	int dirfd = w->paths[a].dirfd, fd, r;
	struct arg *g = &w->args[a];
	struct stat st;

	if ((r = sk__tar_arg_left_out(t, path)) != 0)
		return r < 0 ? -1 : 0;
	if (fstatat(dirfd, path, &st, t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) <
	    0)
		return note(t, path, errno, "cannot stat; skipped",
		            SK__TAR_VANISHED);
	if (!S_ISDIR(st.st_mode)) {
		g->file = 1;
		g->st = st;
		return 0;
	}
	if ((fd = openat(dirfd, path, SK_TAR_DIRFLAGS | sk__tar_nofollow(t))) <
	    0)
		return note(t, path, errno, "cannot open directory; not stored",
		            SK__TAR_SKIPPED);
	t->top = path;
	t->top_dirfd = dirfd;
	t->root_dev = st.st_dev;
	if (enter(t, w, NULL, fd, &st, g->name, 0, a) < 0)
		return -1;
	return scan_stack(t, w, 0);
}

/*
 * Makes the walk's stack end at rec's directory: the frames on its way
 * kept, the others popped, the rest opened down from the deepest kept,
 * each checked to be the directory pass 1 saw.  0; 1 when it cannot be
 * reached (noted); -1.
 */
static int
reach(sk_tar *t, struct tar_incr *w, struct sk__snap_dir *rec)
{
	size_t k = 0, keep = 0;
	struct sk__snap_dir *r;

	for (r = rec; r; r = r->up) {
		if (k == w->chaincap) {
			size_t cap = k ? 2 * k : 32;
			struct sk__snap_dir **nc =
			    realloc(w->chain, cap * sizeof *nc);
			if (nc == NULL)
				return -1;
			w->chain = nc;
			w->chaincap = cap;
		}
		w->chain[k++] = r;
	}
	/* chain[k - 1] is the argument, chain[0] rec. */
	while (keep < t->depth && keep < k && !t->stack[keep].dead &&
	       w->recs[keep] == w->chain[k - 1 - keep])
		keep++;
	while (t->depth > keep)
		pop(t, w);
	/* (A directory that moved since: popping to it marked it dead.) */
	while (t->depth > 0 && t->stack[t->depth - 1].dead)
		pop(t, w);
	while (t->depth < k) {
		struct sk__snap_dir *want = w->chain[k - 1 - t->depth];
		const struct sk_tar_path *p = &w->paths[want->arg];
		const char *base = strrchr(want->name, '/');
		struct tar_dir *d;
		struct stat st;
		int fd;
		if (t->depth == 0) {
			t->top = p->path;
			t->top_dirfd = p->dirfd;
			fd = openat(p->dirfd, p->path,
			            SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
			base = want->name;
		} else {
			base = base && base[1] ? base + 1 : want->name;
			fd = open_dir(t, t->stack[t->depth - 1].d->fd, base);
		}
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    (uintmax_t)st.st_dev != want->dev ||
		    (uintmax_t)st.st_ino != want->ino) {
			int err = fd < 0 ? errno : 0;
			if (fd >= 0)
				close(fd);
			return note(t, want->name, err,
			            err ? "cannot open directory; not stored"
			                : "directory replaced while read; not "
			                  "stored",
			            err ? SK__TAR_SKIPPED : SK__TAR_CHANGED) < 0
			           ? -1
			           : 1;
		}
		if ((d = sk__tar_dir_new(t, want->name,
		                         (size_t)(base - want->name), fd,
		                         &st)) == NULL) {
			close(fd);
			return -1;
		}
		if (sk__tar_push_frame(t, d, NULL) == NULL || grow(t, w) < 0)
			return -1;
		w->recs[t->depth - 1] = want;
	}
	return 0;
}

/* Pass 2's entry for rec's directory, with its dumpdir. */
static int
dump_dir(sk_tar *t, struct tar_incr *w, struct sk__snap_dir *rec)
{
	struct tar_item *it;
	struct tar_dir *d;
	int r;

	if ((r = reach(t, w, rec)) != 0)
		return r < 0 ? -1 : 0;
	d = t->stack[t->depth - 1].d;
	if ((it = sk__tar_item_new(t, d, "", DT_DIR)) == NULL)
		return -1;
	if (t->depth == 1)
		it->toppath = w->paths[rec->arg].path; /* as given */
	it->state = ITEM_READY;
	it->dumpdir = rec->dump;
	it->dumpdirlen = rec->dumplen;
	if (fstat(d->fd, &it->st) < 0) {
		sk__tar_note(it, errno, "cannot stat; skipped",
		             SK__TAR_VANISHED);
		it->skip = 1;
	} else {
		(void)sk__tar_meta_at(t, it, wdisk(t), -1, "", d->fd);
	}
	return sk__tar_walk_emit(t, it, 0);
}

/* Pass 2's files of rec's directory: its entries coded Y. */
static int
dump_files(sk_tar *t, struct tar_incr *w, struct sk__snap_dir *rec)
{
	struct tar_dir *d;
	struct stat st;
	const char *p;
	int r;

	for (p = rec->dump; *p && *p != 'Y'; p += strlen(p) + 1)
		;
	if (*p == '\0')
		return 0;
	if ((r = reach(t, w, rec)) != 0)
		return r < 0 ? -1 : 0;
	d = t->stack[t->depth - 1].d;
	for (; *p; p += strlen(p) + 1) {
		struct tar_item *it;
		if (*p != 'Y')
			continue;
		if ((it = sk__tar_item_new(t, d, p + 1, DT_UNKNOWN)) == NULL ||
		    sk__tar_walk_emit(t, it, 0) < 0)
			return -1;
	}
	/* GNU tar reads the directory's time again after its files. */
	if (fstat(d->fd, &st) == 0)
		sk__incr_set_mtime(rec, &st.st_mtim);
	return 0;
}

/* Pass 2: first the directories (sorted by sk__incr_finish) with the file
 * arguments merged in by name, then the files of each directory. */
static int
pass2(sk_tar *t, struct tar_incr *w)
{
	size_t n, i = 0;
	struct sk__snap_dir *const *order = sk__incr_order(w->inc, &n);
	struct arg *next_file = NULL;

	for (;;) {
		/* The file argument that sorts first, not yet stored. */
		next_file = NULL;
		for (size_t a = 0; a < w->nargs; a++)
			if (w->args[a].file &&
			    (next_file == NULL ||
			     strcmp(w->args[a].name, next_file->name) < 0))
				next_file = &w->args[a];
		if (next_file &&
		    (i == n || strcmp(next_file->name, order[i]->name) < 0)) {
			size_t a = (size_t)(next_file - w->args);
			next_file->file = 0;
			if (sk__tar_walk_file(t, w->paths[a].dirfd,
			                      w->paths[a].path, &next_file->st,
			                      0) < 0)
				return -1;
			continue;
		}
		if (i == n)
			break;
		if (dump_dir(t, w, order[i++]) < 0)
			return -1;
	}
	for (i = 0; i < n; i++)
		if (dump_files(t, w, order[i]) < 0)
			return -1;
	while (t->depth > 0)
		pop(t, w);
	return 0;
}

static int
run(sk_tar *t, void *arg)
{
	struct tar_incr *w = arg;

	for (size_t a = 0; a < w->nargs; a++)
		if (scan_arg(t, w, a) < 0)
			goto fail;
	if (sk__incr_finish(w->inc) < 0 || pass2(t, w) < 0)
		goto fail;
	return 0;
fail:
	while (t->depth > 0)
		pop(t, w);
	if (!t->walk_err && !t->err)
		t->walk_err = ENOMEM;
	return -1;
}

int
sk__tar_incr_walk(sk_tar *t, const struct sk_tar_path *paths, size_t n)
{
	struct sk_tar_snapshot *s = t->opt.snapshot;
	struct tar_incr *w;
	struct timespec start;
	int flags = 0;

	if (s->inc || t->incr)
		return -1; /* one dump per snapshot */
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->args = calloc(n ? n : 1, sizeof *w->args)) == NULL) {
		free(w);
		t->err = ENOMEM;
		return -1;
	}
	t->incr = w;
	w->paths = paths;
	w->nargs = n;
	for (size_t a = 0; a < n; a++) {
		/* GNU tar's name for it: without trailing slashes. */
		size_t len = strlen(paths[a].path);
		while (len > 1 && paths[a].path[len - 1] == '/')
			len--;
		if ((w->args[a].name = strndup(paths[a].path, len)) == NULL) {
			t->err = ENOMEM;
			return -1;
		}
	}
	if (s->flags & SK_TAR_SNAP_NO_CHECK_DEVICE)
		flags |= SK__INCR_NO_CHECK_DEVICE;
	if (t->opt.one_file_system)
		flags |= SK__INCR_ONE_FS;
	clock_gettime(CLOCK_REALTIME, &start);
	if ((w->inc = s->inc = sk__incr_open(s->old, &start, flags)) == NULL) {
		t->err = ENOMEM;
		return -1;
	}
	s->old = NULL; /* the run's now */
	t->walk_err = 0;
	return sk__tar_walk_run(t, run, w);
}

void
sk__tar_incr_free(sk_tar *t)
{
	struct tar_incr *w = t->incr;

	if (w == NULL)
		return;
	for (size_t a = 0; a < w->nargs; a++)
		free(w->args[a].name);
	free(w->args);
	for (size_t k = 0; k < w->cap; k++)
		free(w->scan[k].ents);
	free(w->scan);
	free(w->recs);
	free(w->chain);
	free(w);
	t->incr = NULL;
}
