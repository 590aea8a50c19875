/*
 * tar_zip.c - the entry writer of SK_TAR_ZIP: the same walk, read-ahead,
 * selection, names and manifest as a tar, with each entry's header and
 * body handed to libarchive's zip writer instead of tar_header.c.
 *
 * The zip is streamed: every entry's sizes and CRC follow its data in a
 * data descriptor, zip64 extensions appear where an entry or the archive
 * passes 4 GiB, and the central directory is written at the end
 * (libarchive keeps it in memory: some 80 bytes and the name per entry).
 * Files are deflated one by one, or stored.  Zip has no hard links,
 * devices or FIFOs: a hard link is stored as a copy of its file, devices
 * and FIFOs are left out with a notice.
 *
 * Names: zip says a name is UTF-8 with a flag bit; libarchive sets it for
 * a name that is not ASCII when the locale's character set is UTF-8.  The
 * writer therefore runs each header under a thread-local locale
 * (uselocale): C.UTF-8 for a well-formed UTF-8 name, C for any other,
 * which is stored as its bytes, unflagged, with a notice.  The program's
 * own locale is never changed.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar_impl.h"

/* The times a zip holds without doubt (see sk__tar_zip_head). */
#define ZIP_MTIME_MIN 315532800  /* 1980-01-01 00:00:00 UTC */
#define ZIP_MTIME_MAX 2147483647 /* 2038-01-19 03:14:07 UTC */

struct tar_zip {
	struct archive *a;
	struct archive_entry *e;
	locale_t utf8, plain; /* (locale_t)0 when not available */
	int in_entry;         /* a header written, its data not finished */
	int abandoned;        /* being freed unfinished: write nothing more */
	int said_mtime;       /* the clamped --mtime was said */
};

/* libarchive's output: the gathered stream, as a tar's would be. */
static la_ssize_t
to_output(struct archive *a, void *arg, const void *buf, size_t n)
{
	sk_tar *t = arg;

	if (t->zip->abandoned || sk__tar_out(t, buf, n) < 0) {
		archive_set_error(a, t->err ? t->err : EIO, "write error");
		return -1;
	}
	return (la_ssize_t)n;
}

/* libarchive's failure as t's error: its errno when it has one. */
static int
failed(sk_tar *t)
{
	int e = archive_errno(t->zip->a);

	if (!t->err)
		t->err = e > 0 ? e : EIO;
	return -1;
}

int
sk__tar_zip_open(sk_tar *t)
{
	struct tar_zip *z;
	char level[4];

	if (t->opt.blocking ||
	    (t->opt.compress != SK_TAR_PLAIN &&
	     t->opt.compress != SK_TAR_GZIP) ||
	    t->opt.level < 0 || t->opt.level > 9 ||
	    (t->opt.compress == SK_TAR_PLAIN && t->opt.level != 0) ||
	    t->opt.xattrs || t->opt.acls) {
		errno = EINVAL;
		return -1;
	}
	if ((z = calloc(1, sizeof *z)) == NULL)
		return -1;
	t->zip = z;
	z->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	z->plain = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
	if ((z->a = archive_write_new()) == NULL ||
	    (z->e = archive_entry_new()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(level, sizeof level, "%d", t->opt.level ? t->opt.level : 6);
	if (archive_write_set_format_zip(z->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(z->a, "zip", "compression",
	                                    t->opt.compress == SK_TAR_PLAIN
	                                        ? "store"
	                                        : "deflate") != ARCHIVE_OK ||
	    (t->opt.compress == SK_TAR_GZIP &&
	     archive_write_set_format_option(z->a, "zip", "compression-level",
	                                     level) != ARCHIVE_OK) ||
	    /* No blocking: every piece straight to the gathered output. */
	    archive_write_set_bytes_per_block(z->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(z->a, t, NULL, to_output, NULL, NULL) !=
	        ARCHIVE_OK) {
		errno = archive_errno(z->a) > 0 ? archive_errno(z->a) : EINVAL;
		return -1;
	}
	return 0;
}

int
sk__tar_zip_head(sk_tar *t, const struct tar_head *h, const char *path)
{
	struct tar_zip *z = t->zip;
	struct archive_entry *e = z->e;
	locale_t was = (locale_t)0, use;
	int utf8 = sk__tar_utf8(h->name); /* the flag is the name's alone */
	int64_t mtime = h->mtime;
	int r;

	switch (h->type) {
	case '0':
	case '5':
	case '2':
		break;
	default:
		sk__tar_warn(t, path, 0,
		             h->type == '6'
		                 ? "fifo not stored: zip cannot hold it"
		                 : "device not stored: zip cannot "
		                   "hold it",
		             SK__TAR_INFO);
		return 1;
	}
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, h->name);
	archive_entry_set_filetype(e, h->type == '0'   ? AE_IFREG
	                              : h->type == '5' ? AE_IFDIR
	                                               : AE_IFLNK);
	archive_entry_set_perm(e, h->mode & 07777);
	archive_entry_set_uid(e, h->uid);
	archive_entry_set_gid(e, h->gid);
	/* DOS times start in 1980; the 'UT' field is 32 bits, read as
	 * signed by some and unsigned by others: what both agree on. */
	if (mtime < ZIP_MTIME_MIN || mtime > ZIP_MTIME_MAX) {
		/* A time the options gave (--mtime=@0) is said once. */
		int given = t->opt.mtime_mode && mtime == t->opt.mtime;
		mtime = mtime < ZIP_MTIME_MIN ? ZIP_MTIME_MIN : ZIP_MTIME_MAX;
		if (!given || !z->said_mtime)
			sk__tar_warn(
			    t, given ? NULL : path, 0,
			    mtime == ZIP_MTIME_MIN
			        ? "modification time before 1980; stored as "
			          "1980-01-01"
			        : "modification time after 2038; stored as "
			          "2038-01-19",
			    SK__TAR_INFO);
		z->said_mtime |= given;
	}
	archive_entry_set_mtime(e, mtime, 0);
	if (h->type == '2')
		archive_entry_copy_symlink(e, h->link);
	archive_entry_set_size(e, h->type == '0' ? h->size : 0);
	if (!utf8)
		sk__tar_warn(
		    t, path, 0,
		    "name is not UTF-8; stored as its bytes, unflagged",
		    SK__TAR_INFO);
	use = utf8 ? z->utf8 : z->plain;
	if (use)
		was = uselocale(use);
	r = archive_write_header(z->a, e);
	if (use)
		uselocale(was);
	if (r == ARCHIVE_FATAL)
		return failed(t);
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		sk__tar_warn(t, path, 0, archive_error_string(z->a),
		             SK__TAR_SKIPPED);
		return 1;
	}
	z->in_entry = 1;
	return 0;
}

int
sk__tar_zip_data(sk_tar *t, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		la_ssize_t w = archive_write_data(t->zip->a, p, n);
		if (w <= 0)
			return failed(t);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
sk__tar_zip_end_entry(sk_tar *t)
{
	struct tar_zip *z = t->zip;

	if (!z->in_entry)
		return 0;
	z->in_entry = 0;
	return archive_write_finish_entry(z->a) == ARCHIVE_OK ? 0 : failed(t);
}

int
sk__tar_zip_close(sk_tar *t)
{
	if (sk__tar_zip_end_entry(t) < 0)
		return -1;
	/* The central directory, then the end records. */
	return archive_write_close(t->zip->a) == ARCHIVE_OK ? 0 : failed(t);
}

void
sk__tar_zip_free(sk_tar *t)
{
	struct tar_zip *z = t->zip;

	if (z == NULL)
		return;
	/* An unfinished zip is abandoned: libarchive's free would write the
	 * central directory. */
	z->abandoned = 1;
	if (z->a)
		archive_write_free(z->a);
	archive_entry_free(z->e);
	if (z->utf8)
		freelocale(z->utf8);
	if (z->plain)
		freelocale(z->plain);
	free(z);
	t->zip = NULL;
}
