/*
 * tar_entry.c - one entry written, on the caller's thread, in archive
 * order: the notes made while its item was made ready, its name, its
 * header, and a body that matches the header whatever the file does
 * meanwhile (padded with zeros when it shrank or failed, cut when it
 * grew).  Last, the file's name is looked up again: a file that changed,
 * grew, shrank or was replaced since it was read is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

char *
sk__tar_join(char **buf, size_t *cap, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	int slash = dl > 0 && dir[dl - 1] != '/';

	if (dl + slash + nl + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		char *nb;
		while (c < dl + slash + nl + 1)
			c *= 2;
		if ((nb = realloc(*buf, c)) == NULL)
			return NULL;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf, dir, dl);
	if (slash)
		(*buf)[dl] = '/';
	memcpy(*buf + dl + slash, name, nl + 1);
	return *buf;
}

const char *
sk__tar_item_path(sk_tar *t, const struct tar_item *it)
{
	if (it->toppath)
		return it->toppath;
	return sk__tar_join(&t->wpath, &t->wpathcap, it->dir->path, it->name);
}

/* Owners and times as the options say, over what the file has. */
static void
override(sk_tar *t, struct archive_entry *e)
{
	const struct sk_tar_options *o = &t->opt;

	if (o->reproducible) {
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
	}
	if (o->set_uid)
		archive_entry_set_uid(e, o->uid);
	if (o->set_gid)
		archive_entry_set_gid(e, o->gid);
	if (o->reproducible || o->numeric_owner) {
		archive_entry_copy_uname(e, NULL);
		archive_entry_copy_gname(e, NULL);
	}
	if (o->uname)
		archive_entry_copy_uname(e, o->uname);
	if (o->gname)
		archive_entry_copy_gname(e, o->gname);
	if (o->mtime_mode == SK_TAR_MTIME_SET ||
	    (o->mtime_mode == SK_TAR_MTIME_CLAMP &&
	     archive_entry_mtime(e) > o->mtime))
		archive_entry_set_mtime(e, o->mtime, 0);
	else if (o->reproducible)
		archive_entry_set_mtime(e, archive_entry_mtime(e), 0);
}

/* Writes n zero bytes of body; 0 or -1. */
static int
write_zeros(sk_tar *t, int64_t n)
{
	memset(t->buf, 0, BODY_BUF);
	while (n > 0) {
		size_t k = n > BODY_BUF ? BODY_BUF : (size_t)n;
		if (archive_write_data(t->a, t->buf, k) < 0)
			return -1;
		n -= (int64_t)k;
	}
	return 0;
}

/* A body read here from the item's descriptor, exactly size bytes. */
static int
stream_body(sk_tar *t, struct tar_item *it, const char *path, int64_t size)
{
	int64_t left = size;

	while (left > 0) {
		size_t k = left > BODY_BUF ? BODY_BUF : (size_t)left;
		ssize_t r = sk__read(it->fd, t->buf, k);
		if (r <= 0) {
			sk__tar_warn(
			    t, path, r < 0 ? errno : 0,
			    r < 0
			        ? "read error; the rest is stored as zeros"
			        : "file shrank while read; padded with zeros");
			it->finalcheck = 0;
			return write_zeros(t, left);
		}
		if (archive_write_data(t->a, t->buf, (size_t)r) < 0)
			return -1;
		left -= r;
		t->data += (uint64_t)r;
		if (t->opt.tick)
			t->opt.tick(t->opt.arg);
	}
	return 0;
}

/* The name looked up again after the body: the same file, unchanged? */
static void
final_check(sk_tar *t, const struct tar_item *it, const char *path)
{
	struct stat now;
	const struct stat *was = &it->st;

	if (fstatat(it->dir->fd, it->name, &now,
	            t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return; /* removed since: what was stored was the file */
	if (now.st_dev != was->st_dev || now.st_ino != was->st_ino)
		sk__tar_warn(t, path, 0,
		             "file replaced while read; stored as it was");
	else if (now.st_size > was->st_size)
		sk__tar_warn(t, path, 0,
		             "file grew while read; stored as it was");
	else if (now.st_size < was->st_size)
		sk__tar_warn(t, path, 0,
		             "file shrank while read; stored as it was");
	else if (now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	         now.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
	         now.st_ctim.tv_sec != was->st_ctim.tv_sec ||
	         now.st_ctim.tv_nsec != was->st_ctim.tv_nsec)
		sk__tar_warn(t, path, 0, "file changed while read");
}

static int
failed(sk_tar *t)
{
	if (!t->err)
		t->err = archive_errno(t->a) ? archive_errno(t->a) : EIO;
	return -1;
}

int
sk__tar_write_item(sk_tar *t, struct tar_item *it)
{
	struct archive_entry *e = it->e, *spare = NULL;
	const char *path = sk__tar_item_path(t, it);
	int64_t size;
	int r;

	if (t->err)
		return -1;
	if (path == NULL) {
		t->err = ENOMEM;
		return -1;
	}
	for (int i = 0; i < it->nnotes; i++)
		sk__tar_warn(t, path, it->notes[i].err, it->notes[i].what);
	if (it->skip || e == NULL)
		return 0;
	if (sk__tar_name(t, path) < 0) {
		t->err = ENOMEM;
		return -1;
	}
	archive_entry_copy_pathname(e, t->name);
	override(t, e);
	archive_entry_linkify(t->links, &e, &spare);
	if (e == NULL)
		return 0;
	r = archive_write_header(t->a, e);
	if (r == ARCHIVE_FATAL)
		return failed(t);
	if (r < ARCHIVE_WARN) {
		sk__tar_warn(t, path, archive_errno(t->a),
		             archive_error_string(t->a));
		return 0;
	}
	if (r == ARCHIVE_WARN)
		sk__tar_warn(t, path, 0, archive_error_string(t->a));
	t->files++;
	if (t->opt.entry)
		t->opt.entry(t->opt.arg, archive_entry_pathname(e));
	if (t->opt.tick)
		t->opt.tick(t->opt.arg);
	size = archive_entry_size(e);
	if (size > 0 && it->data) {
		if (archive_write_data(t->a, it->data, it->len) < 0)
			return failed(t);
		t->data += it->len;
	} else if (size > 0 && it->fd >= 0) {
		if (sk__tar_spliceable(t, size) &&
		    archive_entry_sparse_count(e) == 0) {
			if (sk__tar_splice_body(t, it, path, size) < 0) {
				if (!t->err)
					t->err = errno ? errno : EIO;
				return -1;
			}
		} else if (stream_body(t, it, path, size) < 0) {
			return failed(t);
		}
		/* Done with a large file: its pages need not stay cached
		 * for us (a backup should not push everything else out). */
		if (size >= (1 << 20))
			posix_fadvise(it->fd, 0, 0, POSIX_FADV_DONTNEED);
	} else if (size > 0) {
		/* Not reached: a regular item has its body or its
		 * descriptor.  The archive stays valid all the same. */
		sk__tar_warn(t, path, EIO, "read error; stored as zeros");
		if (write_zeros(t, size) < 0)
			return failed(t);
		return 0;
	}
	if (it->finalcheck && archive_entry_hardlink(e) == NULL)
		final_check(t, it, path);
	return 0;
}
