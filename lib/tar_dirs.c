/*
 * tar_dirs.c - the directories on the walk's stack.  Descriptors are
 * bounded: when too many are open, those of directories higher up that
 * no unwritten item needs are closed, and reopened when the walk comes
 * back, through ".." from the child (checked by device and inode) or,
 * failing that, down again from the nearest open one by the names it
 * had, each checked.  A tree deeper than the descriptor limit is walked
 * all the same, and a directory that moved meanwhile is never taken for
 * the one it replaced.  Listings are read here with getdents64.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

#define DENTS (64 * 1024)

struct tar_dir *
sk__tar_dir_new(sk_tar *t, const char *path, size_t nameoff, int fd,
                const struct stat *st)
{
	struct tar_dir *d = calloc(1, sizeof *d);

	if (d == NULL || (d->path = strdup(path)) == NULL) {
		free(d);
		return NULL;
	}
	d->refs = 1;
	d->fd = fd;
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->nameoff = nameoff;
	ADD(t->opendirs, 1);
	return d;
}

void
sk__tar_dir_release(sk_tar *t, struct tar_dir *d)
{
	int fd;

	if (SUB(d->refs, 1) > 0)
		return;
	/* The last reference: nobody else uses d any more. */
	fd = d->fd;
	if (fd >= 0) {
		SUB(t->opendirs, 1);
		close(fd);
	}
	free(d->path);
	free(d->names);
	free(d);
}

/* Closes the descriptor of one directory up the stack that no unwritten
 * item needs; 1 when it did. */
int
sk__tar_dir_close_one(sk_tar *t)
{
	int fd = -1;

	/* (The walk's thread alone changes the descriptors of directories
	 * on its stack; an item that needs one counts in its pending.) */
	for (size_t k = 0; k + 1 < t->depth && fd < 0; k++) {
		struct tar_dir *d = t->stack[k].d;
		if (d->fd >= 0 && LOAD(d->pending) == 0) {
			fd = d->fd;
			d->fd = -1;
			SUB(t->opendirs, 1);
		}
	}
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Makes room for one more directory descriptor, as far as it can. */
void
sk__tar_dir_room(sk_tar *t, uint64_t held)
{
	for (;;) {
		if (LOAD(t->opendirs) < t->maxdirs || sk__tar_dir_close_one(t))
			return;
		/* Nothing will free one (no read-ahead, or nothing left to
		 * write): go over. */
		if (t->threads == 0 || t->dry || LOAD(t->pool.live) <= held)
			return;
		sk__tar_pool_wait_room(t, held);
	}
}

/* Opens stack[level]'s directory again, down from the nearest open one
 * above it (or the argument) by the names the walk had, each checked. */
static int
descend(sk_tar *t, size_t level)
{
	size_t k = level;
	int fd = -1, base = -1;
	struct stat st;

	while (k > 0 && base < 0) {
		k--;
		base = t->stack[k].d->fd;
	}
	if (base < 0) {
		fd = openat(t->top_dirfd, t->top,
		            SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    st.st_dev != t->stack[0].d->dev ||
		    st.st_ino != t->stack[0].d->ino)
			goto fail;
		k = 0;
		base = fd;
	}
	for (size_t j = k + 1; j <= level; j++) {
		struct tar_dir *d = t->stack[j].d;
		int nfd = openat(base, d->path + d->nameoff,
		                 SK_TAR_DIRFLAGS | sk__tar_nofollow(t));
		if (fd >= 0)
			close(fd);
		fd = nfd;
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != d->dev ||
		    st.st_ino != d->ino)
			goto fail;
		base = fd;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The walk comes back to frame pf from child: its descriptor again. */
int
sk__tar_dir_reopen(sk_tar *t, struct tar_frame *pf, struct tar_dir *child)
{
	struct tar_dir *d = pf->d;
	struct stat st;
	int fd = child->fd >= 0
	             ? openat(child->fd, "..", SK_TAR_DIRFLAGS | O_NOFOLLOW)
	             : -1;

	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_dev != d->dev ||
	                st.st_ino != d->ino)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fd = descend(t, (size_t)(pf - t->stack));
	if (fd < 0)
		return -1;
	d->fd = fd;
	ADD(t->opendirs, 1);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* A listed entry is its inode number, its type and its name; names[i]
 * points at the type. */
#define INO_LEN sizeof(uint64_t)

static uint64_t
ino_of(const char *entry)
{
	uint64_t ino;

	memcpy(&ino, entry - INO_LEN, INO_LEN);
	return ino;
}

static int
cmp_inodes(const void *a, const void *b)
{
	uint64_t x = ino_of(*(char *const *)a), y = ino_of(*(char *const *)b);

	return x < y ? -1 : x > y;
}

/* Reads d's listing into frame f; -1 with errno when reading failed
 * (the names read so far are kept). */
int
sk__tar_dir_list(sk_tar *t, struct tar_dir *d, struct tar_frame *f)
{
	size_t len = 0, cap = 0, n = 0;
	char *block = NULL;
	int err = 0;

	if (t->dents == NULL && (t->dents = malloc(DENTS)) == NULL)
		return -1;
	for (;;) {
		ssize_t got = getdents64(d->fd, t->dents, DENTS);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			err = got < 0 ? errno : 0;
			break;
		}
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *de =
			    (struct dirent64 *)(t->dents + off);
			const char *nm = de->d_name;
			size_t nl = strlen(nm);
			off += de->d_reclen;
			if (nm[0] == '.' &&
			    (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
				continue;
			if (len + INO_LEN + nl + 2 > cap) {
				size_t c = cap ? cap * 2 : 4096;
				char *nb;
				while (c < len + INO_LEN + nl + 2)
					c *= 2;
				if ((nb = realloc(block, c)) == NULL) {
					free(block);
					return -1;
				}
				block = nb;
				cap = c;
			}
			uint64_t ino = de->d_ino;
			memcpy(block + len, &ino, INO_LEN);
			block[len + INO_LEN] = (char)de->d_type;
			memcpy(block + len + INO_LEN + 1, nm, nl + 1);
			len += INO_LEN + nl + 2;
			n++;
		}
	}
	d->names = block;
	if ((f->names = malloc((n ? n : 1) * sizeof *f->names)) == NULL)
		return -1;
	for (size_t i = 0, off = 0; i < n; i++) {
		f->names[i] = block + off + INO_LEN;
		off += INO_LEN + strlen(block + off + INO_LEN + 1) + 2;
	}
	f->n = n;
	if (t->opt.sort && n > 1)
		qsort(f->names, n, sizeof *f->names,
		      t->opt.sort == SK_TAR_SORT_INODE ? cmp_inodes
		                                       : cmp_names);
	if (err) {
		errno = err;
		return -2;
	}
	return 0;
}

/* A note with no entry, about a directory the walk could not go on in. */
struct tar_item *
sk__tar_note_item(sk_tar *t, const char *path, int err, const char *what,
                  int level)
{
	struct tar_item *it = sk__tar_item_new(t, NULL, "", DT_UNKNOWN);

	if (it == NULL)
		return NULL;
	if ((it->ownpath = strdup(path)) == NULL) {
		sk__tar_pool_done(t, it);
		t->walk_err = ENOMEM;
		return NULL;
	}
	it->toppath = it->ownpath;
	sk__tar_note(it, err, what, level);
	it->skip = 1;
	it->state = ITEM_READY;
	return it;
}
