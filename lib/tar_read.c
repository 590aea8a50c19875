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
#include <sys/xattr.h>
#include <unistd.h>

#include "tar_impl.h"

void
sk__tar_note(struct tar_item *it, int err, const char *what, int level)
{
	/* A file gone since its directory was listed was changed, not
	 * missed (GNU tar: "File removed before we read it"). */
	if (level == SK__TAR_VANISHED)
		level = err == ENOENT ? SK__TAR_CHANGED : SK__TAR_SKIPPED;
	if (it->nnotes < (int)(sizeof it->notes / sizeof it->notes[0])) {
		it->notes[it->nnotes].err = err;
		it->notes[it->nnotes].what = what;
		it->notes[it->nnotes].level = level;
		it->nnotes++;
	}
}

/* A problem that leaves nothing to store. */
static void
skip_item(struct tar_item *it, int err, const char *what, int level)
{
	sk__tar_note(it, err, what, level);
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

	(void)t;
	if (disk == NULL)
		return NULL;
	/* Only for ACLs (with user and group names, as libarchive writes
	 * and GNU tar reads them): everything else is read here. */
	archive_read_disk_set_standard_lookup(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_FFLAGS |
	                                         ARCHIVE_READDISK_NO_SPARSE |
	                                         ARCHIVE_READDISK_NO_XATTR);
	return disk;
}

/* Whether the file's blocks cannot hold its size: it may have holes. */
static int
maybe_sparse(const struct stat *st)
{
	return S_ISREG(st->st_mode) &&
	       (int64_t)st->st_blocks * 512 < (int64_t)st->st_size;
}

/* The name of a file that has no descriptor, through its directory's
 * descriptor (never through the path from the top); malloc'd. */
static char *
via_dir(int dfd, const char *name)
{
	char *p;

	if (dfd == AT_FDCWD)
		return strdup(name);
	return asprintf(&p, "/proc/self/fd/%d/%s", dfd, name) < 0 ? NULL : p;
}

static int
read_link(struct tar_item *it, int dfd, const char *name)
{
	size_t cap = (size_t)it->st.st_size + 1;
	ssize_t n;

	if (cap < 256)
		cap = 256;
	for (;;) {
		if ((it->m.link = malloc(cap)) == NULL)
			return -1;
		n = readlinkat(dfd, name, it->m.link, cap);
		if (n < 0 || (size_t)n < cap)
			break;
		free(it->m.link);
		cap *= 2;
	}
	if (n < 0) {
		free(it->m.link);
		it->m.link = NULL;
		return -1;
	}
	it->m.link[n] = '\0';
	return 0;
}

/* Extended attributes, from fd or (none) the name; 0 or -1. */
static int
read_xattrs(struct tar_item *it, int fd, const char *via)
{
	ssize_t n =
	    fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(via, NULL, 0);
	char *names, *p;

	if (n < 0)
		return errno == ENOTSUP || errno == ENODATA ? 0 : -1;
	if (n == 0)
		return 0;
	if ((names = malloc((size_t)n)) == NULL)
		return -1;
	n = fd >= 0 ? flistxattr(fd, names, (size_t)n)
	            : llistxattr(via, names, (size_t)n);
	for (p = names; n > 0 && p < names + n; p += strlen(p) + 1) {
		struct tar_xattr *x, *nx;
		ssize_t vl;
		/* ACLs go as ACLs (--acls), not as attributes. */
		if (strncmp(p, "system.posix_acl_", 17) == 0)
			continue;
		vl = fd >= 0 ? fgetxattr(fd, p, NULL, 0)
		             : lgetxattr(via, p, NULL, 0);
		if (vl < 0)
			continue; /* removed meanwhile */
		nx = realloc(it->m.xattrs, (it->m.nxattrs + 1) * sizeof *nx);
		if (nx == NULL)
			goto fail;
		it->m.xattrs = nx;
		x = &nx[it->m.nxattrs];
		if ((x->name = strdup(p)) == NULL ||
		    (x->value = malloc((size_t)vl + 1)) == NULL) {
			free(x->name);
			goto fail;
		}
		vl = fd >= 0 ? fgetxattr(fd, p, x->value, (size_t)vl)
		             : lgetxattr(via, p, x->value, (size_t)vl);
		x->len = vl < 0 ? 0 : (size_t)vl;
		it->m.nxattrs++;
	}
	free(names);
	return 0;
fail:
	free(names);
	errno = ENOMEM;
	return -1;
}

/* POSIX ACLs as SCHILY.acl text, through libarchive's disk reader. */
static int
read_acls(struct tar_item *it, struct archive *disk, int fd, const char *via)
{
	static const int types[2] = {ARCHIVE_ENTRY_ACL_TYPE_ACCESS,
	                             ARCHIVE_ENTRY_ACL_TYPE_DEFAULT};
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (e == NULL)
		return -1;
	archive_entry_copy_sourcepath(e, via);
	if (archive_read_disk_entry_from_file(disk, e, fd, &it->st) <
	    ARCHIVE_WARN) {
		archive_entry_free(e);
		errno = archive_errno(disk) ? archive_errno(disk) : EIO;
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		char *text, **to = i ? &it->m.acl_default : &it->m.acl_access;
		if (archive_entry_acl_count(e, types[i]) == 0)
			continue;
		text = archive_entry_acl_to_text(
		    e, NULL,
		    types[i] | ARCHIVE_ENTRY_ACL_STYLE_SEPARATOR_COMMA |
		        ARCHIVE_ENTRY_ACL_STYLE_EXTRA_ID);
		if (text == NULL) {
			rc = -1;
			break;
		}
		*to = text;
	}
	archive_entry_free(e);
	return rc;
}

/* The data segments of a file with holes (pax stores it sparse); none
 * when it has no hole after all.  0 or -1. */
static int
read_holes(struct tar_item *it)
{
	int64_t size = it->st.st_size, off = 0, *map = NULL;
	size_t n = 0;

	while (off < size) {
		off_t data = lseek(it->fd, off, SEEK_DATA), hole;
		int64_t *nm;
		if (data < 0)
			break; /* ENXIO: only a hole to the end */
		if ((hole = lseek(it->fd, data, SEEK_HOLE)) < 0 || hole <= data)
			break;
		if ((nm = realloc(map, (n + 2) * 2 * sizeof *map)) == NULL) {
			free(map);
			return -1;
		}
		map = nm;
		map[2 * n] = data;
		map[2 * n + 1] = (hole > size ? size : hole) - data;
		n++;
		off = hole;
	}
	if (n == 1 && map[0] == 0 && map[1] == size) {
		free(map); /* no hole at all */
		return 0;
	}
	if (n == 0 || map[2 * (n - 1)] + map[2 * (n - 1) + 1] < size) {
		int64_t *nm = realloc(map, (n + 1) * 2 * sizeof *map);
		if (nm == NULL) {
			free(map);
			return -1;
		}
		map = nm;
		map[2 * n] = size; /* GNU's map ends with the file's end */
		map[2 * n + 1] = 0;
		n++;
	}
	it->m.sparse = map;
	it->m.nsparse = n;
	return 0;
}

/*
 * The item's metadata beyond its stat: the link target, and where asked
 * extended attributes, ACLs and the holes of a sparse file (pax).  A file
 * that has no descriptor is named through its directory's descriptor.
 * 0, or -1 with a note and skip.
 */
static int
gather_meta(sk_tar *t, struct tar_item *it, struct archive **disk, int dfd,
            const char *name)
{
	char *via = NULL;
	int fd = it->fd;

	if (S_ISLNK(it->st.st_mode) && read_link(it, dfd, name) < 0) {
		/* Replaced or removed since it was listed: a change. */
		if (errno == EINVAL)
			skip_item(it, 0, "changed type while read; skipped",
			          SK__TAR_CHANGED);
		else
			skip_item(it, errno, "cannot read link; skipped",
			          SK__TAR_VANISHED);
		return -1;
	}
	if ((t->opt.xattrs || t->opt.acls) && fd < 0 &&
	    (via = via_dir(dfd, name)) == NULL)
		goto nomem;
	if (t->opt.xattrs && read_xattrs(it, fd, via) < 0) {
		int e = errno;
		free(via);
		skip_item(it, e, "cannot read its attributes; skipped",
		          SK__TAR_SKIPPED);
		return -1;
	}
	if (t->opt.acls && !S_ISLNK(it->st.st_mode)) {
		if (*disk == NULL && (*disk = sk__tar_disk_new(t)) == NULL)
			goto nomem;
		if (read_acls(it, *disk, fd, via ? via : "") < 0) {
			int e = errno;
			free(via);
			skip_item(it, e, "cannot read its ACLs; skipped",
			          SK__TAR_SKIPPED);
			return -1;
		}
	}
	free(via);
	/* (pax stores the map; the other formats store the holes as zeros,
	 * given without reading them.) */
	if (fd >= 0 && maybe_sparse(&it->st) && read_holes(it) < 0)
		goto nomem;
	return 0;
nomem:
	free(via);
	skip_item(it, ENOMEM, "cannot store", SK__TAR_SKIPPED);
	return -1;
}

int
sk__tar_meta_at(sk_tar *t, struct tar_item *it, struct archive **disk, int dfd,
                const char *name, int fd)
{
	int saved = it->fd, r;

	it->fd = fd;
	r = gather_meta(t, it, disk, dfd, name);
	it->fd = saved;
	return r;
}

/* Reads the whole body (st_size bytes) into memory; a file that shrank
 * is stored as read, with a note.  0, or -1 (then the writer reads it). */
static int
read_body(struct tar_item *it, size_t size, struct tar_ring *ring)
{
	size_t got = 0;

	if ((it->data = sk__tar_ring_get(ring, size, &it->rend)) == NULL)
		return -1;
	it->ring = ring;
	while (got < size) {
		ssize_t n = sk__read(it->fd, it->data + got, size - got);
		if (n < 0) {
			/* Nothing of it is stored: skipped, not zeros.  (Its
			 * space goes back with the item, in order.) */
			it->data = NULL;
			skip_item(it, errno, "read error; skipped",
			          SK__TAR_SKIPPED);
			return 0;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got < size) {
		sk__tar_note(it, 0, "file shrank while read; stored as read",
		             SK__TAR_CHANGED);
		it->finalcheck = 0; /* said once is enough */
		it->st.st_size = (off_t)got;
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
sk__tar_prepare(sk_tar *t, struct tar_item *it, struct archive **disk,
                struct tar_ring *ring, int can_defer)
{
	int dfd = it->dir->fd, follow = t->opt.follow;
	int nofollow = follow ? 0 : O_NOFOLLOW;
	int known = it->dtype != DT_UNKNOWN && it->st.st_mode != 0;
	struct stat fst;
	int swaps = 0;

	it->fd = -1;
	/* readdir said a regular file: open it and stat the descriptor,
	 * one call instead of two.  Anything else found there (swapped
	 * since the listing) is closed unread and goes the careful way;
	 * O_NONBLOCK keeps a fifo from blocking the open.  Where the last
	 * file of the directory was empty, stat first: an empty file needs
	 * no opening (one call instead of three). */
	if (it->dtype == DT_REG && !follow &&
	    !__atomic_load_n(&it->dir->empties, __ATOMIC_RELAXED)) {
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
				skip_item(it, errno, "cannot open; skipped",
				          SK__TAR_SKIPPED);
				return;
			}
			if (it->fd >= 0)
				close(it->fd);
			it->fd = -1;
			known = 0;
		}
	}
again:
	if (!known && fstatat(dfd, it->name, &it->st,
	                      follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
		skip_item(it, errno, "cannot stat; skipped", SK__TAR_VANISHED);
		return;
	}
	if (S_ISSOCK(it->st.st_mode)) {
		skip_item(it, 0, "socket ignored", SK__TAR_INFO);
		return;
	}
	if (S_ISREG(it->st.st_mode) &&
	    ((t->skip && it->st.st_dev == t->skip_dev &&
	      it->st.st_ino == t->skip_ino) ||
	     (t->skip2 && it->st.st_dev == t->skip2_dev &&
	      it->st.st_ino == t->skip2_ino))) {
		skip_item(it, 0, "the archive itself; not stored",
		          SK__TAR_INFO);
		return;
	}
	if (sk__tar_too_old(t, it))
		return; /* --newer (tar_rules.c): quietly left out */
	if (S_ISREG(it->st.st_mode) && it->st.st_size == 0 && it->fd < 0 &&
	    !maybe_sparse(&it->st)) {
		/* Empty as stat'ed: nothing to open (GNU tar does not open it
		 * either); the look-up after its entry tells a change. */
	} else if (S_ISREG(it->st.st_mode) && it->fd < 0) {
		/* Never follow a link swapped in since the stat, and check
		 * that what opened is what was seen. */
		it->fd = openat(dfd, it->name,
		                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		                    nofollow);
		if (it->fd < 0 && defer(it, can_defer))
			return;
		if (it->fd < 0 && (errno == ELOOP || errno == ENOENT)) {
			/* Swapped for a link, or gone, since the stat: look
			 * again, a few times; a name that keeps changing is
			 * a change (status 1), not an unreadable file. */
			if (++swaps < 3) {
				known = 0;
				goto again;
			}
			if (errno == ENOENT)
				skip_item(it, errno, "cannot open; skipped",
				          SK__TAR_VANISHED);
			else
				skip_item(it, 0,
				          "changed type while read; skipped",
				          SK__TAR_CHANGED);
			return;
		}
		if (it->fd < 0) {
			skip_item(it, errno, "cannot open; skipped",
			          SK__TAR_SKIPPED);
			return;
		}
		if (fstat(it->fd, &fst) < 0 || !same_file(&fst, &it->st)) {
			skip_item(it, 0, "replaced while read; skipped",
			          SK__TAR_CHANGED);
			return;
		}
		it->st = fst;
	}
	if (it->dtype == DT_REG && S_ISREG(it->st.st_mode)) {
		int empty = it->st.st_size == 0;
		if (__atomic_load_n(&it->dir->empties, __ATOMIC_RELAXED) !=
		    empty)
			__atomic_store_n(&it->dir->empties, empty,
			                 __ATOMIC_RELAXED);
	}
	if (gather_meta(t, it, disk, dfd, it->name) < 0)
		return;
	if (!S_ISREG(it->st.st_mode))
		return;
	it->finalcheck = 1;
	if (it->st.st_size > 0 && it->st.st_size <= (off_t)t->pool.maxfile &&
	    it->m.nsparse == 0 &&
	    sk__tar_pool_reserve(t, (size_t)it->st.st_size)) {
		it->reserved = (size_t)it->st.st_size;
		if (read_body(it, (size_t)it->st.st_size, ring) < 0) {
			/* No memory for it: the writer reads it. */
			__atomic_sub_fetch(&t->pool.used, it->reserved,
			                   __ATOMIC_SEQ_CST);
			it->reserved = 0;
		}
		/* The manifest's digest, here rather than on the writer's
		 * thread (tar_manifest.c). */
		sk__tar_digest_ahead(t, it);
	}
	if (it->st.st_size == 0 || it->data || it->skip) {
		if (it->fd >= 0) {
			close(it->fd);
			it->fd = -1;
		}
		return;
	}
	/* The body is read by the writer, from this descriptor; past the
	 * bound of descriptors held, the writer opens it again. */
	if (can_defer) {
		if (!sk__tar_pool_hold_fd(t)) {
			close(it->fd);
			it->fd = -1;
			it->retry = 1;
			return;
		}
		it->heldfd = 1;
	}
	/* Start the kernel reading its beginning now. */
	(void)posix_fadvise(it->fd, 0, 4 << 20, POSIX_FADV_WILLNEED);
}

void
sk__tar_item_clear(struct tar_item *it)
{
	free(it->m.link);
	for (size_t i = 0; i < it->m.nxattrs; i++) {
		free(it->m.xattrs[i].name);
		free(it->m.xattrs[i].value);
	}
	free(it->m.xattrs);
	free(it->m.acl_access);
	free(it->m.acl_default);
	free(it->m.sparse);
	memset(&it->m, 0, sizeof it->m);
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
	if (it->ring)
		sk__tar_ring_put(it->ring, it->rend);
	it->ring = NULL;
	it->data = NULL;
	it->hashed = 0;
	free(it->ownpath);
	it->ownpath = NULL;
}
