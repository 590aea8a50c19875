/*
 * tar_compress.c - the archive's compressor: the library's filter
 * (sk_compress, compress*.c) between the gathered tar bytes and the
 * destination.  A plain archive has none, so that its bodies may be
 * spliced.
 */
#include <errno.h>

#include "tar_impl.h"

/* The compressed stream to the archive's destination. */
static int
to_destination(void *arg, const void *buf, size_t n)
{
	return sk__tar_emit(arg, buf, n);
}

int
sk__tar_compress_open(sk_tar *t)
{
	/* The gzip header never holds the time: the same tree gives the
	 * same bytes, as gzip gives when it reads a pipe. */
	struct sk_compress_options o = {
	    .level = t->opt.level,
	    .threads = t->opt.threads,
	    .reproducible = 1,
	};

	/* A plain archive has no level (sk_compress_levels: 0-0). */
	if (t->opt.compress == SK_TAR_PLAIN) {
		if (t->opt.level == 0)
			return 0;
		errno = EINVAL;
		return -1;
	}
	t->comp = sk_compress_open(t->opt.compress, &o, -1, to_destination, t);
	return t->comp ? 0 : -1;
}

int
sk__tar_compress(sk_tar *t, const void *buf, size_t n)
{
	return sk_compress_write(t->comp, buf, n);
}

int
sk__tar_compress_end(sk_tar *t)
{
	return t->comp ? sk_compress_finish(t->comp) : 0;
}

void
sk__tar_compress_free(sk_tar *t)
{
	/* After a failure the error is t->err's already; an unfinished
	 * stream is abandoned. */
	(void)sk_compress_close(t->comp);
	t->comp = NULL;
}
