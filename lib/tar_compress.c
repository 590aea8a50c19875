/*
 * tar_compress.c - the archive's compressor: zstd here, on all cores;
 * gzip, bzip2 and xz through libarchive's filters over its raw format
 * (the tar bytes themselves are made in tar_header.c and tar_entry.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

/* libarchive's filtered output: to the archive's destination. */
static la_ssize_t
filtered(struct archive *a, void *ctx, const void *buf, size_t n)
{
	sk_tar *t = ctx;

	if (sk__tar_emit(t, buf, n) < 0) {
		t->err = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	return (la_ssize_t)n;
}

/*
 * zstd on all cores (or opt.threads), at the level asked (default 3), with
 * a checksum as the zstd tool writes.  The output does not depend on the
 * number of threads, so reproducible archives stay reproducible.
 */
static int
setup_zstd(sk_tar *t)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = t->opt.threads > 0 ? t->opt.threads
	              : cores > 1        ? (int)cores
	                                 : 0;

	if ((t->zc = ZSTD_createCCtx()) == NULL)
		return -1;
	t->zcap = ZSTD_CStreamOutSize();
	if ((t->zbuf = malloc(t->zcap)) == NULL)
		return -1;
	if (ZSTD_isError(
	        ZSTD_CCtx_setParameter(t->zc, ZSTD_c_compressionLevel,
	                               t->opt.level ? t->opt.level : 3)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(t->zc, ZSTD_c_checksumFlag, 1)))
		return -1;
	/* A libzstd built without threads refuses workers: run on one. */
	if (workers > 1)
		(void)ZSTD_CCtx_setParameter(t->zc, ZSTD_c_nbWorkers, workers);
	return 0;
}

/* gzip, bzip2 or xz: libarchive's raw format, one "entry" that is the
 * whole tar stream, through the filter. */
static int
setup_filter(sk_tar *t)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = NULL;
	char num[32];
	int r;

	if ((t->arc = a) == NULL)
		return -1;
	if (archive_write_set_format_raw(a) != ARCHIVE_OK)
		return -1;
	switch (t->opt.compress) {
	case SK_TAR_GZIP:
		r = archive_write_add_filter_gzip(a);
		/* No time stamp in the gzip header: same input, same bytes. */
		if (r == ARCHIVE_OK)
			archive_write_set_filter_option(a, "gzip", "timestamp",
			                                NULL);
		break;
	case SK_TAR_BZIP2:
		r = archive_write_add_filter_bzip2(a);
		break;
	case SK_TAR_XZ:
		r = archive_write_add_filter_xz(a);
		snprintf(num, sizeof num, "%d", t->opt.threads);
		if (r == ARCHIVE_OK)
			archive_write_set_filter_option(a, "xz", "threads",
			                                num);
		break;
	default:
		return -1;
	}
	if (r != ARCHIVE_OK)
		return -1;
	if (t->opt.level > 0) {
		snprintf(num, sizeof num, "%d", t->opt.level);
		if (archive_write_set_filter_option(
		        a, NULL, "compression-level", num) != ARCHIVE_OK)
			return -1;
	}
	/* Never pad the compressed stream: zeros after its end are garbage
	 * to the decompressors. */
	archive_write_set_bytes_per_block(a, 10240);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open2(a, t, NULL, filtered, NULL, NULL) !=
	        ARCHIVE_OK ||
	    (e = archive_entry_new()) == NULL) {
		errno = t->err ? t->err : EIO;
		return -1;
	}
	archive_entry_set_filetype(e, AE_IFREG);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

int
sk__tar_compress_open(sk_tar *t)
{
	switch (t->opt.compress) {
	case SK_TAR_PLAIN:
		return 0;
	case SK_TAR_ZSTD:
		return setup_zstd(t);
	case SK_TAR_GZIP:
	case SK_TAR_BZIP2:
	case SK_TAR_XZ:
		return setup_filter(t);
	default:
		errno = EINVAL;
		return -1;
	}
}

static int
zstd_push(sk_tar *t, const void *buf, size_t n, int end)
{
	ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
	ZSTD_inBuffer in = {buf, n, 0};
	size_t left;

	do {
		ZSTD_outBuffer out = {t->zbuf, t->zcap, 0};
		left = ZSTD_compressStream2(t->zc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			errno = EIO;
			return -1;
		}
		if (out.pos > 0 && sk__tar_emit(t, t->zbuf, out.pos) < 0)
			return -1;
	} while (end ? left != 0 : in.pos < in.size);
	return 0;
}

int
sk__tar_compress(sk_tar *t, const void *buf, size_t n)
{
	const char *p = buf;

	if (t->zc)
		return zstd_push(t, buf, n, 0);
	while (n > 0) {
		la_ssize_t r = archive_write_data(t->arc, p, n);
		if (r <= 0) {
			errno = t->err ? t->err
			               : (archive_errno(t->arc)
			                      ? archive_errno(t->arc)
			                      : EIO);
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
sk__tar_compress_end(sk_tar *t)
{
	if (t->zc)
		return zstd_push(t, NULL, 0, 1);
	if (t->arc && archive_write_close(t->arc) != ARCHIVE_OK) {
		errno = t->err ? t->err
		               : (archive_errno(t->arc) ? archive_errno(t->arc)
		                                        : EIO);
		return -1;
	}
	return 0;
}

void
sk__tar_compress_free(sk_tar *t)
{
	ZSTD_freeCCtx(t->zc);
	free(t->zbuf);
	t->zc = NULL;
	t->zbuf = NULL;
	if (t->arc)
		archive_write_free(t->arc);
	t->arc = NULL;
}
