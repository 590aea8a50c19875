/*
 * tar_compress.c - the archive's format and its compressor: libarchive's
 * filters for gzip, bzip2 and xz; zstd here, on all cores.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tar_impl.h"

int
sk__tar_zstd(sk_tar *t, const void *buf, size_t n, int end)
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

void
sk__tar_compress_free(sk_tar *t)
{
	ZSTD_freeCCtx(t->zc);
	free(t->zbuf);
	t->zc = NULL;
	t->zbuf = NULL;
}

/* Makes the compressor and format libarchive should use; 0 or -1. */
int
sk__tar_setup(sk_tar *t)
{
	struct archive *a = t->a;
	char num[32];
	int r;

	switch (t->opt.format) {
	case SK_TAR_PAX:
		r = archive_write_set_format_pax_restricted(a);
		break;
	case SK_TAR_USTAR:
		r = archive_write_set_format_ustar(a);
		break;
	case SK_TAR_GNU:
		r = archive_write_set_format_gnutar(a);
		break;
	default:
		return -1;
	}
	if (r != ARCHIVE_OK)
		return -1;
	switch (t->opt.compress) {
	case SK_TAR_PLAIN:
		r = archive_write_add_filter_none(a);
		break;
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
	case SK_TAR_ZSTD:
		r = setup_zstd(t) < 0 ? ARCHIVE_FATAL
		                      : archive_write_add_filter_none(a);
		break;
	default:
		return -1;
	}
	if (r != ARCHIVE_OK)
		return -1;
	if (t->opt.level > 0 && t->zc == NULL) {
		snprintf(num, sizeof num, "%d", t->opt.level);
		if (archive_write_set_filter_option(
		        a, NULL, "compression-level", num) != ARCHIVE_OK)
			return -1;
	}
	/* Blocking: fixed records only when asked for.  Otherwise keep
	 * libarchive's buffering but never pad the last block: zeros after
	 * a compressed stream's end are garbage to zstd -d and tar --zstd. */
	if (t->opt.blocking > 0) {
		archive_write_set_bytes_per_block(a, t->opt.blocking * 512);
	} else if (t->fast) {
		/* Every write straight to the callback, which gathers them:
		 * nothing may sit in libarchive when a body is spliced. */
		archive_write_set_bytes_per_block(a, 0);
	} else {
		archive_write_set_bytes_per_block(a, 10240);
		archive_write_set_bytes_in_last_block(a, 1);
	}
	return 0;
}
