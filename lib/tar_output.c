/*
 * tar_output.c - where the archive's bytes go: libarchive's write
 * callback, through the compressor when it is ours, to a descriptor or a
 * producer queue; and the zero-copy path for a plain archive into a pipe,
 * where libarchive writes headers unbuffered, they are gathered here, and
 * large bodies are spliced from their files.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

#define OBUF (128 * 1024)
/* Bodies smaller than this are copied: a splice costs more than it saves. */
#define FAST_MIN (64 * 1024)

int
sk__tar_emit(sk_tar *t, const void *buf, size_t n)
{
	int r = t->producer ? sk_producer_write(t->producer, buf, n)
	                    : sk_write_all(t->fd, buf, n);

	if (r < 0)
		return -1;
	t->written += n;
	return 0;
}

int
sk__tar_flush(sk_tar *t)
{
	size_t n = t->olen;

	t->olen = 0;
	return n ? sk__tar_emit(t, t->obuf, n) : 0;
}

/* The fast path's output: small writes gathered into one. */
static int
gather(sk_tar *t, const void *buf, size_t n)
{
	if (t->discard)
		return 0;
	if (t->olen + n > OBUF && sk__tar_flush(t) < 0)
		return -1;
	if (n >= OBUF)
		return sk__tar_emit(t, buf, n);
	memcpy(t->obuf + t->olen, buf, n);
	t->olen += n;
	return 0;
}

static la_ssize_t
tar_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	sk_tar *t = ctx;
	int r = t->zc     ? sk__tar_zstd(t, buf, n, 0)
	        : t->fast ? gather(t, buf, n)
	                  : sk__tar_emit(t, buf, n);

	if (r < 0) {
		t->err = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	return (la_ssize_t)n;
}

int
sk__tar_output_open(sk_tar *t)
{
	struct stat st;

	if (t->fd >= 0 && fstat(t->fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    t->opt.compress == SK_TAR_PLAIN && t->opt.blocking == 0) {
		if ((t->obuf = malloc(OBUF)) == NULL)
			return -1;
		t->fast = 1;
		sk_pipe_grow(t->fd, (size_t)1 << 20);
	}
	if ((t->a = archive_write_new()) == NULL)
		return -1;
	if (sk__tar_setup(t) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (archive_write_open2(t->a, t, NULL, tar_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		errno = t->err ? t->err : EIO;
		return -1;
	}
	return 0;
}

int
sk__tar_spliceable(const sk_tar *t, int64_t size)
{
	return t->fast && size >= FAST_MIN;
}

int
sk__tar_splice_body(sk_tar *t, struct tar_item *it, const char *path,
                    int64_t size)
{
	static const char zeros[512];
	int64_t left = size, pad = (512 - size % 512) % 512;
	loff_t off = 0;
	int r;

	/* libarchive has the header; its zeros for the body are dropped. */
	t->discard = 1;
	r = archive_write_finish_entry(t->a);
	t->discard = 0;
	if (r == ARCHIVE_FATAL || sk__tar_flush(t) < 0)
		return -1;
	while (left > 0) {
		ssize_t n = splice(it->fd, &off, t->fd, NULL,
		                   left > (1 << 20) ? (1 << 20) : (size_t)left,
		                   SPLICE_F_MOVE | SPLICE_F_MORE);
		if (n > 0) {
			left -= n;
			t->written += (uint64_t)n;
			t->data += (uint64_t)n;
			if (t->opt.tick)
				t->opt.tick(t->opt.arg);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && sk__wait(t->fd, POLLOUT) == 0)
			continue;
		if (n < 0 && sk__write_side(errno)) {
			t->err = errno;
			return -1;
		}
		sk__tar_warn(t, path, n < 0 ? errno : 0,
		             n < 0 ? "read error; the rest is stored as zeros"
		                   : "file shrank while read; padded with "
		                     "zeros");
		pad += left;
		left = 0;
	}
	while (pad > 0) {
		size_t k = pad > 512 ? 512 : (size_t)pad;
		if (gather(t, zeros, k) < 0)
			return -1;
		pad -= (int64_t)k;
	}
	return 0;
}
