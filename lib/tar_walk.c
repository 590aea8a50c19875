/*
 * tar_walk.c - the walk by directory descriptors.
 *
 * Every directory is opened relative to its parent's descriptor, without
 * following a link (unless -h), and checked to be the one its listing or
 * stat named; every file is opened the same way by tar_read.c.  No path
 * below an argument is ever resolved from the top again, so a directory
 * swapped for a symbolic link during the walk cannot lead it elsewhere.
 *
 * The walk keeps a stack of the directories it is in, each with its
 * listing (one directory's names in memory per level); tar_dirs.c keeps
 * their descriptors bounded.
 *
 * Items are made in archive order and handed on: queued for the I/O
 * threads and the writer, or written at once without read-ahead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

/* The metadata reader of the thread the walk runs on. */
static struct archive **
wdisk(sk_tar *t)
{
	return t->threads > 0 && !t->dry ? &t->walk_disk : &t->disk;
}

struct tar_item *
sk__tar_item_new(sk_tar *t, struct tar_dir *d, const char *name,
                 unsigned char dtype)
{
	struct tar_item *it = calloc(1, sizeof *it);

	if (it == NULL) {
		t->walk_err = ENOMEM;
		return NULL;
	}
	it->fd = -1;
	it->dir = d;
	it->name = name;
	it->dtype = dtype;
	it->state = ITEM_NEW;
	if (d) {
		__atomic_add_fetch(&d->refs, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&d->pending, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_add_fetch(&t->pool.live, 1, __ATOMIC_SEQ_CST);
	return it;
}

/* sk_tar_scan: what the item would add to the counts. */
static void
count(sk_tar *t, struct tar_item *it)
{
	struct stat st;

	if (it->skip)
		return;
	if (it->state == ITEM_NEW) {
		if (fstatat(it->dir->fd, it->name, &st,
		            t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISSOCK(st.st_mode))
			return;
		it->st = st;
		if (sk__tar_too_old(t, it))
			return;
		if (S_ISREG(st.st_mode))
			t->data += (uint64_t)st.st_size;
	}
	t->files++;
}

/*
 * Hands an item on: counted (a scan), queued for the read-ahead, or made
 * ready and written here.  Frees it in every case but the queue's.
 * 0, or -1 when the archive failed or the run was stopped.
 */
int
sk__tar_walk_emit(sk_tar *t, struct tar_item *it, int here)
{
	int r = 0;

	if (it == NULL)
		return -1;
	if (t->dry) {
		count(t, it);
	} else if (t->threads > 0 && !here) {
		return sk__tar_pool_put(t, it); /* it owns it, failing too */
	} else {
		if (it->state == ITEM_NEW)
			sk__tar_prepare(t, it, &t->disk, &t->pool.wring, 0);
		it->state = ITEM_READY;
		r = sk__tar_write_item(t, it);
		if (r == 0 && it->needcheck) {
			it->checked = sk__tar_check(t, it);
			sk__tar_report_check(t, it);
		}
	}
	sk__tar_pool_done(t, it);
	return r;
}

/* Leaves the directory on top of the stack; unless unwinding after a
 * failure, the walk goes on in its parent. */
static void
pop(sk_tar *t, int unwind)
{
	struct tar_frame *f = &t->stack[--t->depth];
	struct tar_dir *child = f->d;

	free(f->names);
	sk_exclude_dir_close(f->xd);
	if (t->depth > 0 && !unwind) {
		struct tar_frame *pf = &t->stack[t->depth - 1];
		if (pf->d->fd < 0 && !pf->dead &&
		    sk__tar_dir_reopen(t, pf, child) < 0) {
			pf->dead = 1;
			(void)sk__tar_walk_emit(
			    t,
			    sk__tar_note_item(t, pf->d->path, 0,
			                      "directory moved while read; the "
			                      "rest of it is not stored",
			                      SK__TAR_CHANGED),
			    0);
		}
	}
	sk__tar_dir_release(t, child);
}

struct tar_frame *
sk__tar_push_frame(sk_tar *t, struct tar_dir *d, struct sk_exclude_dir *xd)
{
	struct tar_frame *f;

	if (t->depth == t->adepth) {
		size_t na = t->adepth ? t->adepth * 2 : 32;
		struct tar_frame *ns = realloc(t->stack, na * sizeof *ns);
		if (ns == NULL) {
			sk__tar_dir_release(t, d);
			sk_exclude_dir_close(xd);
			t->walk_err = ENOMEM;
			return NULL;
		}
		t->stack = ns;
		t->adepth = na;
	}
	f = &t->stack[t->depth++];
	memset(f, 0, sizeof *f);
	f->d = d;
	f->xd = xd;
	return f;
}

void
sk__tar_pop_frame(sk_tar *t)
{
	pop(t, 0);
}

static int
push(sk_tar *t, struct tar_dir *d, struct sk_exclude_dir *xd, const char *only)
{
	struct tar_frame *f = sk__tar_push_frame(t, d, xd);
	int r;

	if (f == NULL)
		return -1;
	f->only = only;
	/* What is made so far goes to the threads before a listing that
	 * may wait for the disk. */
	if (sk__tar_pool_flush(t) < 0)
		return -1;
	r = sk__tar_dir_list(t, d, f);
	if (r == -1) {
		t->walk_err = ENOMEM;
		return -1;
	}
	if (r == -2)
		return sk__tar_walk_emit(
		           t,
		           sk__tar_note_item(t, d->path, errno,
		                             "cannot read directory",
		                             SK__TAR_SKIPPED),
		           0) < 0
		           ? -1
		           : 0;
	return 0;
}

/*
 * A directory opened as fd, seen as *seen before (NULL: not stat'ed): its
 * header, then, unless it is a loop, on another file system or
 * unreadable, its listing on the stack.  0 or -1.
 */
static int
enter(sk_tar *t, struct tar_item *it, int fd, const struct stat *seen,
      const char *path, size_t nameoff)
{
	struct tar_dir *d;
	struct sk_exclude_dir *xd;
	const char *only;
	int tag;

	if (fstat(fd, &it->st) < 0 || (seen && !sk__tar_same(seen, &it->st))) {
		close(fd);
		sk__tar_note(it, 0, "replaced while read; skipped",
		             SK__TAR_CHANGED);
		it->skip = 1;
		return sk__tar_walk_emit(t, it, 0);
	}
	it->dtype = DT_DIR;
	it->state = ITEM_READY;
	if (!t->dry && sk__tar_meta_at(t, it, wdisk(t), -1, "", fd) < 0) {
		close(fd);
		return sk__tar_walk_emit(t, it, 0);
	}
	for (size_t k = 0; k < t->depth; k++)
		if (t->stack[k].d->dev == it->st.st_dev &&
		    t->stack[k].d->ino == it->st.st_ino) {
			close(fd);
			sk__tar_note(it, 0, "directory loop; not entered again",
			             SK__TAR_INFO);
			return sk__tar_walk_emit(t, it, 0);
		}
	if (t->opt.one_file_system && it->st.st_dev != t->root_dev) {
		close(fd);
		return sk__tar_walk_emit(t, it, 0);
	}
	/* GNU tar's tags: all of it left out, all but the directory, or
	 * all but the directory and its tag. */
	if ((tag = sk__tar_dir_rules(t, fd, path, &xd, &only)) < 0 ||
	    tag == SK_EXCL_TAG_ALL || tag == SK_EXCL_TAG_UNDER) {
		close(fd);
		sk_exclude_dir_close(xd);
		if (tag == SK_EXCL_TAG_UNDER)
			return sk__tar_walk_emit(t, it, 0);
		sk__tar_pool_done(t, it);
		if (tag < 0)
			t->walk_err = ENOMEM;
		return tag < 0 ? -1 : 0;
	}
	if (tag != SK_EXCL_TAG_CONTENTS)
		only = NULL;
	if ((d = sk__tar_dir_new(t, path, nameoff, fd, &it->st)) == NULL) {
		close(fd);
		sk_exclude_dir_close(xd);
		sk__tar_pool_done(t, it);
		t->walk_err = ENOMEM;
		return -1;
	}
	if (sk__tar_walk_emit(t, it, 0) < 0) {
		sk__tar_dir_release(t, d);
		sk_exclude_dir_close(xd);
		return -1;
	}
	return push(t, d, xd, only); /* it owns d and xd from here */
}

/* A child that readdir (or a stat) says is a directory. */
static int
child_dir(sk_tar *t, struct tar_frame *f, struct tar_item *it,
          const struct stat *seen, const char *path)
{
	int fd, err;

	/* The archive failed (or its reader went away): it, in hand, is
	 * dropped, not queued. */
	if (sk__tar_pool_flush(t) < 0) {
		sk__tar_pool_done(t, it);
		return -1;
	}
	for (int tries = 0;; tries++) {
		sk__tar_dir_room(t, 1); /* it, in hand */
		fd = openat(f->d->fd, it->name,
		            SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
		if (fd >= 0)
			return enter(t, it, fd, seen, path,
			             strlen(path) - strlen(it->name));
		err = errno;
		if ((err != EMFILE && err != ENFILE) || tries > 0)
			break;
		/* Out of descriptors: wait for the writer once, then try
		 * again with what it gave back. */
		if (t->threads > 0)
			sk__tar_pool_wait_room(t, 1);
		sk__tar_dir_close_one(t);
	}
	if (err == ENOTDIR || err == ELOOP || err == ENOENT) {
		/* Swapped for something else (or gone) since the listing:
		 * the careful way, as any other name. */
		it->dtype = DT_UNKNOWN;
		memset(&it->st, 0, sizeof it->st);
		return sk__tar_walk_emit(t, it, 0);
	}
	/* Unreadable: its header all the same, and a warning. */
	if (fstatat(f->d->fd, it->name, &it->st,
	            t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
		sk__tar_note(it, errno, "cannot stat; skipped",
		             SK__TAR_VANISHED);
		it->skip = 1;
		return sk__tar_walk_emit(t, it, 0);
	}
	it->state = ITEM_READY;
	if (t->dry ||
	    sk__tar_meta_at(t, it, wdisk(t), f->d->fd, it->name, -1) == 0)
		sk__tar_note(it, err, "cannot read directory", SK__TAR_SKIPPED);
	return sk__tar_walk_emit(t, it, 0);
}

/* Walks the directories on the stack to the end. */
static int
walk_stack(sk_tar *t)
{
	struct stat st;

	while (t->depth > 0) {
		struct tar_frame *f = &t->stack[t->depth - 1];
		struct tar_item *it;
		const char *name, *path;
		unsigned char dtype;
		int r;

		if (f->dead || f->i == f->n) {
			pop(t, 0);
			continue;
		}
		name = f->names[f->i] + 1;
		dtype = (unsigned char)f->names[f->i][0];
		f->i++;
		path = sk__tar_join(&t->lpath, &t->lpathcap, f->d->path, name);
		if (path == NULL) {
			t->walk_err = ENOMEM;
			return -1;
		}
		if ((r = sk__tar_left_out(t, f, name, path)) != 0) {
			if (r > 0)
				continue;
			t->walk_err = ENOMEM;
			return -1;
		}
		if ((it = sk__tar_item_new(t, f->d, name, dtype)) == NULL)
			return -1;
		if (dtype == DT_UNKNOWN || (t->opt.follow && dtype == DT_LNK)) {
			if (fstatat(f->d->fd, name, &st,
			            t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) <
			    0) {
				sk__tar_note(it, errno, "cannot stat; skipped",
				             SK__TAR_VANISHED);
				it->skip = 1;
				it->state = ITEM_READY;
				if (sk__tar_walk_emit(t, it, 0) < 0)
					return -1;
				continue;
			}
			it->dtype = dtype = (unsigned char)IFTODT(st.st_mode);
			it->st = st;
		}
		if (dtype == DT_DIR)
			r = child_dir(t, f, it, it->st.st_mode ? &it->st : NULL,
			              path);
		else
			r = sk__tar_walk_emit(t, it, 0);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The walk of one directory argument, opened as fd and seen as *st. */
static int
walk_dir(sk_tar *t, int fd, const struct stat *st)
{
	struct tar_item *it = sk__tar_item_new(t, NULL, "", DT_DIR);
	int r;

	if (it == NULL) {
		close(fd);
		return -1;
	}
	it->toppath = t->top;
	r = enter(t, it, fd, st, t->top, 0);
	if (r == 0)
		r = walk_stack(t);
	while (t->depth > 0)
		pop(t, 1);
	return r;
}

/* What runs as the walk, on the lister thread or the caller's. */
struct walk_job {
	sk_tar *t;
	int (*fn)(sk_tar *t, void *arg);
	void *arg;
};

static void *
lister(void *arg)
{
	struct walk_job *j = arg;

	(void)j->fn(j->t, j->arg);
	sk__tar_pool_walk_end(j->t);
	return NULL;
}

int
sk__tar_walk_file(sk_tar *t, int dirfd, const char *path, const struct stat *st,
                  int here)
{
	const char *slash = strrchr(path, '/');
	char *parent =
	    slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
	          : strdup(".");
	struct tar_item *it;
	struct tar_dir *d;
	struct stat pst;
	int pfd, r;

	if (parent == NULL)
		return -1;
	pfd = openat(dirfd, parent, SK_TAR_DIRFLAGS);
	if (pfd < 0 || fstat(pfd, &pst) < 0) {
		int e = errno;
		if (pfd >= 0)
			close(pfd);
		free(parent);
		sk__tar_warn(t, path, e, "cannot open its directory; skipped",
		             SK__TAR_SKIPPED);
		return 0;
	}
	d = sk__tar_dir_new(t, parent, 0, pfd, &pst);
	free(parent);
	if (d == NULL) {
		close(pfd);
		return -1;
	}
	if ((it = sk__tar_item_new(t, d, slash ? slash + 1 : path,
	                           (unsigned char)IFTODT(st->st_mode))) ==
	    NULL) {
		sk__tar_dir_release(t, d);
		return -1;
	}
	it->toppath = path;
	if (!S_ISREG(st->st_mode))
		it->st = *st;
	r = sk__tar_walk_emit(t, it, here);
	sk__tar_dir_release(t, d);
	return r;
}

/* The writer's side of a walk on the lister thread. */
static int
write_queue(sk_tar *t)
{
	struct tar_item *it;
	int r = 0;

	while ((it = sk__tar_pool_take(t)) != NULL) {
		if (r == 0 && sk__tar_write_item(t, it) < 0) {
			r = -1;
			/* Stop the walk; what is queued is dropped. */
			sk__tar_pool_stop(t);
		}
		if (r == 0 && it->needcheck)
			sk__tar_pool_written(t, it);
		else
			sk__tar_pool_done(t, it);
		sk__tar_pool_checks(t, 0);
	}
	sk__tar_pool_checks(t, 1);
	return r;
}

int
sk__tar_walk_run(sk_tar *t, int (*fn)(sk_tar *t, void *arg), void *arg)
{
	struct walk_job j = {t, fn, arg};
	pthread_t th;
	int e;

	if (t->threads == 0 || t->dry) {
		if (fn(t, arg) < 0 && !t->err)
			t->err = t->walk_err ? t->walk_err : ENOMEM;
		return t->err ? -1 : 0;
	}
	if (sk__tar_pool_start(t) < 0) {
		t->err = errno;
		return -1;
	}
	t->pool.walk_done = 0;
	if ((e = pthread_create(&th, NULL, lister, &j)) != 0) {
		t->err = e;
		return -1;
	}
	if (write_queue(t) < 0 && !t->err)
		t->err = EIO;
	pthread_join(th, NULL);
	if (t->walk_err && !t->err)
		t->err = t->walk_err;
	return t->err ? -1 : 0;
}

/* A directory argument, opened as fd (taken once walked) and seen as st. */
struct dir_arg {
	int fd;
	struct stat st;
};

static int
walk_dir_job(sk_tar *t, void *arg)
{
	struct dir_arg *a = arg;
	int fd = a->fd;

	a->fd = -1;
	return walk_dir(t, fd, &a->st);
}

int
sk__tar_walk(sk_tar *t, int dirfd, const char *path)
{
	struct dir_arg a;
	struct stat st;
	int fd, e;

	t->top_dirfd = dirfd;
	t->top = path;
	t->walk_err = 0;
	if ((e = sk__tar_arg_left_out(t, path)) != 0) {
		if (e < 0)
			t->err = ENOMEM;
		return e < 0 ? -1 : 0;
	}
	if (fstatat(dirfd, path, &st, t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) <
	    0) {
		if (!t->dry)
			sk__tar_warn(t, path, errno, "cannot stat; skipped",
			             SK__TAR_SKIPPED);
		return 0;
	}
	t->root_dev = st.st_dev;
	if (!S_ISDIR(st.st_mode)) {
		if (sk__tar_walk_file(t, dirfd, path, &st, 1) < 0 && !t->err)
			t->err = t->walk_err ? t->walk_err : ENOMEM;
		return t->err ? -1 : 0;
	}
	fd = openat(dirfd, path, SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
	if (fd < 0) {
		/* Its header all the same, and a warning. */
		struct tar_item *it;
		e = errno;
		if (t->dry)
			return 0;
		if ((it = sk__tar_item_new(t, NULL, "", DT_DIR)) == NULL)
			return -1;
		it->toppath = path;
		it->st = st;
		it->state = ITEM_READY;
		if (sk__tar_meta_at(t, it, &t->disk, dirfd, path, -1) == 0)
			sk__tar_note(it, e, "cannot read directory",
			             SK__TAR_SKIPPED);
		return sk__tar_walk_emit(t, it, 1);
	}
	a.fd = fd;
	a.st = st;
	e = sk__tar_walk_run(t, walk_dir_job, &a);
	if (a.fd >= 0)
		close(a.fd); /* the walk never started */
	return e;
}

void
sk__tar_walk_free(sk_tar *t)
{
	while (t->depth > 0)
		pop(t, 1);
	free(t->stack);
	free(t->lpath);
	free(t->dents);
	if (t->walk_disk)
		archive_read_free(t->walk_disk);
}
