/*
 * tar_read.c - one item made ready to write: the file opened relative to
 * its directory's descriptor without following a link, its stat taken
 * from the descriptor, its metadata gathered, and a small body read into
 * memory.  This runs on the I/O threads (or on the caller's thread
 * without read-ahead): it never writes the archive and never reports;
 * what it meets becomes a note that the writer reports in archive order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tar_impl.h"

void
sk__tar_note(struct tar_item *it, int err, const char *what)
{
	if (it->nnotes < (int)(sizeof it->notes / sizeof it->notes[0])) {
		it->notes[it->nnotes].err = err;
		it->notes[it->nnotes].what = what;
		it->nnotes++;
	}
}

/* A problem that leaves nothing to store. */
static void
skip_item(struct tar_item *it, int err, const char *what)
{
	sk__tar_note(it, err, what);
	it->skip = 1;
	if (it->fd >= 0) {
		close(it->fd);
		it->fd = -1;
	}
}

struct archive *
sk__tar_disk_new(const sk_tar *t)
{
	struct archive *disk = archive_read_disk_new();

	if (disk == NULL)
		return NULL;
	/* Owner names (cached per reader); the rest only where asked. */
	archive_read_disk_set_standard_lookup(disk);
	(void)t;
	return disk;
}

/* Whether the file's blocks cannot hold its size: it may have holes. */
static int
maybe_sparse(const struct stat *st)
{
	return S_ISREG(st->st_mode) &&
	       (int64_t)st->st_blocks * 512 < (int64_t)st->st_size;
}

/*
 * The item's metadata as an archive entry: the stat, owner names, the
 * link target, and where asked or needed extended attributes, ACLs and
 * the holes of a sparse file (libarchive's disk reader, given the
 * descriptor, or for a file that has none a name under /proc/self/fd that
 * goes through the directory's descriptor, never through the path from
 * the top).  0, or -1 with a note.
 */
static int
make_entry(sk_tar *t, struct tar_item *it, struct archive *disk, int dfd,
           const char *name, int fd)
{
	int deep = t->opt.xattrs || t->opt.acls || maybe_sparse(&it->st);
	struct archive_entry *e = archive_entry_new();
	const char *s;

	if (e == NULL) {
		skip_item(it, ENOMEM, "cannot store");
		return -1;
	}
	if (deep) {
		int flags =
		    ARCHIVE_READDISK_NO_FFLAGS |
		    (maybe_sparse(&it->st) ? 0 : ARCHIVE_READDISK_NO_SPARSE) |
		    (t->opt.xattrs ? 0 : ARCHIVE_READDISK_NO_XATTR) |
		    (t->opt.acls ? 0 : ARCHIVE_READDISK_NO_ACL);
		archive_read_disk_set_behavior(disk, flags);
		if (fd < 0) {
			/* libarchive reads a file without a descriptor by its
			 * name: give it one that goes through the directory's
			 * descriptor. */
			char *via;
			if ((dfd == AT_FDCWD
			         ? (via = strdup(name)) == NULL
			         : asprintf(&via, "/proc/self/fd/%d/%s", dfd,
			                    name) < 0)) {
				archive_entry_free(e);
				skip_item(it, ENOMEM, "cannot store");
				return -1;
			}
			archive_entry_copy_sourcepath(e, via);
			free(via);
		}
		if (archive_read_disk_entry_from_file(disk, e, fd, &it->st) <
		    ARCHIVE_WARN) {
			int err = archive_errno(disk);
			archive_entry_free(e);
			skip_item(it, err, "cannot read its metadata; skipped");
			return -1;
		}
	} else {
		archive_entry_copy_stat(e, &it->st);
		if ((s = archive_read_disk_uname(disk, it->st.st_uid)) != NULL)
			archive_entry_copy_uname(e, s);
		if ((s = archive_read_disk_gname(disk, it->st.st_gid)) != NULL)
			archive_entry_copy_gname(e, s);
		if (S_ISLNK(it->st.st_mode)) {
			size_t cap = (size_t)it->st.st_size + 1;
			char *target;
			ssize_t n;
			if (cap < 256)
				cap = 256;
			for (;;) {
				if ((target = malloc(cap)) == NULL) {
					archive_entry_free(e);
					skip_item(it, ENOMEM, "cannot store");
					return -1;
				}
				n = readlinkat(dfd, name, target, cap);
				if (n < 0 || (size_t)n < cap)
					break;
				free(target);
				cap *= 2;
			}
			if (n < 0) {
				free(target);
				archive_entry_free(e);
				skip_item(it, errno,
				          "cannot read link; skipped");
				return -1;
			}
			target[n] = '\0';
			archive_entry_copy_symlink(e, target);
			free(target);
		}
	}
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	if (!S_ISREG(it->st.st_mode))
		archive_entry_set_size(e, 0);
	archive_entry_copy_pathname(e, NULL);
	archive_entry_copy_sourcepath(e, NULL);
	it->e = e;
	return 0;
}

int
sk__tar_entry_at(sk_tar *t, struct tar_item *it, struct archive *disk, int dfd,
                 const char *name, int fd)
{
	return make_entry(t, it, disk, dfd, name, fd);
}

/*
 * Memory for a body read ahead.  Large ones are mapped, not malloc'd:
 * they are freed on another thread than the one that allocated them, and
 * malloc's per-thread arenas would each keep what was freed into them,
 * holding several budgets' worth where one is allowed.
 */
#define MAP_MIN (64 * 1024)

static char *
body_alloc(size_t size)
{
	void *p;

	if (size < MAP_MIN)
		return malloc(size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
body_free(char *p, size_t size)
{
	if (p == NULL)
		return;
	if (size < MAP_MIN)
		free(p);
	else
		munmap(p, size);
}

/* Reads the whole body (st_size bytes) into memory; a file that shrank
 * is stored as read, with a note.  0, or -1 (then the writer reads it). */
static int
read_body(struct tar_item *it, size_t size)
{
	size_t got = 0;

	if ((it->data = body_alloc(size)) == NULL)
		return -1;
	it->cap = size;
	while (got < size) {
		ssize_t n = sk__read(it->fd, it->data + got, size - got);
		if (n < 0) {
			/* Nothing of it is stored: skipped, not zeros. */
			body_free(it->data, it->cap);
			it->data = NULL;
			skip_item(it, errno, "read error; skipped");
			return 0;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got < size) {
		sk__tar_note(it, 0, "file shrank while read; stored as read");
		it->finalcheck = 0; /* said once is enough */
		it->st.st_size = (off_t)got;
		archive_entry_set_size(it->e, (la_int64_t)got);
	}
	it->len = got;
	return 0;
}

/* Whether fst is the file that st described. */
static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Out of descriptors: a deferred item is made ready by the writer, which
 * holds fewer; the writer itself reports it. */
static int
defer(struct tar_item *it, int can_defer)
{
	if (!can_defer || (errno != EMFILE && errno != ENFILE))
		return 0;
	it->retry = 1;
	return 1;
}

void
sk__tar_prepare(sk_tar *t, struct tar_item *it, struct archive *disk,
                size_t maxread, int can_defer)
{
	int dfd = it->dir->fd, follow = t->opt.follow;
	int nofollow = follow ? 0 : O_NOFOLLOW;
	int known = it->dtype != DT_UNKNOWN && it->st.st_mode != 0;
	struct stat fst;

	it->fd = -1;
	/* readdir said a regular file: open it and stat the descriptor,
	 * one call instead of two.  Anything else found there (swapped
	 * since the listing) is closed unread and goes the careful way;
	 * O_NONBLOCK keeps a fifo from blocking the open. */
	if (it->dtype == DT_REG && !follow) {
		it->fd = openat(dfd, it->name,
		                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
		                    O_NONBLOCK);
		if (it->fd >= 0 && fstat(it->fd, &it->st) == 0 &&
		    S_ISREG(it->st.st_mode)) {
			known = 1;
		} else {
			if (it->fd < 0 && defer(it, can_defer))
				return;
			if (it->fd < 0 && (errno == EACCES || errno == EPERM ||
			                   errno == EIO)) {
				skip_item(it, errno, "cannot open; skipped");
				return;
			}
			if (it->fd >= 0)
				close(it->fd);
			it->fd = -1;
			known = 0;
		}
	}
	if (!known && fstatat(dfd, it->name, &it->st,
	                      follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
		skip_item(it, errno, "cannot stat; skipped");
		return;
	}
	if (S_ISSOCK(it->st.st_mode)) {
		skip_item(it, 0, "socket ignored");
		return;
	}
	if (S_ISREG(it->st.st_mode) &&
	    ((t->skip && it->st.st_dev == t->skip_dev &&
	      it->st.st_ino == t->skip_ino) ||
	     (t->skip2 && it->st.st_dev == t->skip2_dev &&
	      it->st.st_ino == t->skip2_ino))) {
		skip_item(it, 0, "the archive itself; not stored");
		return;
	}
	if (S_ISREG(it->st.st_mode) && it->fd < 0) {
		/* Never follow a link swapped in since the stat, and check
		 * that what opened is what was seen. */
		it->fd = openat(dfd, it->name,
		                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		                    nofollow);
		if (it->fd < 0) {
			if (!defer(it, can_defer))
				skip_item(it, errno, "cannot open; skipped");
			return;
		}
		if (fstat(it->fd, &fst) < 0 || !same_file(&fst, &it->st)) {
			skip_item(it, 0, "replaced while read; skipped");
			return;
		}
		it->st = fst;
	}
	if (make_entry(t, it, disk, dfd, it->name, it->fd) < 0)
		return;
	if (!S_ISREG(it->st.st_mode))
		return;
	it->finalcheck = 1;
	if (it->st.st_size == 0 ||
	    (it->st.st_size <= (off_t)maxread && !maybe_sparse(&it->st) &&
	     archive_entry_sparse_count(it->e) == 0 &&
	     read_body(it, (size_t)it->st.st_size) == 0)) {
		if (it->fd >= 0) {
			close(it->fd);
			it->fd = -1;
		}
		return;
	}
	/* A large body: read by the writer, from this descriptor.  Start
	 * the kernel reading its beginning now. */
	(void)posix_fadvise(it->fd, 0, 4 << 20, POSIX_FADV_WILLNEED);
}

void
sk__tar_item_clear(struct tar_item *it)
{
	if (it->e)
		archive_entry_free(it->e);
	it->e = NULL;
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
	body_free(it->data, it->cap);
	it->data = NULL;
	free(it->ownpath);
	it->ownpath = NULL;
}
