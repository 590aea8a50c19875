/*
 * tar_output.c - where the archive's bytes go: gathered into blocks of
 * 128 KiB (or whole records of the blocking factor), through the
 * compressor when there is one, to a descriptor or a producer queue.
 * For a plain archive into a pipe, large bodies are spliced from their
 * files between the gathered headers (the zero-copy path).
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

static const char zeros[512];

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

/* The gathered bytes to the compressor or the destination. */
static int
sink(sk_tar *t, const void *buf, size_t n)
{
	int r = t->comp ? sk__tar_compress(t, buf, n) : sk__tar_emit(t, buf, n);

	if (r < 0 && !t->err)
		t->err = errno ? errno : EIO;
	return r;
}

int
sk__tar_flush(sk_tar *t)
{
	size_t n = t->olen;

	t->olen = 0;
	return n ? sink(t, t->obuf, n) : 0;
}

int
sk__tar_out(sk_tar *t, const void *buf, size_t n)
{
	const char *p = buf;

	t->pos += n;
	while (n > 0) {
		size_t k = t->ocap - t->olen;
		if (k > n)
			k = n;
		memcpy(t->obuf + t->olen, p, k);
		t->olen += k;
		p += k;
		n -= k;
		if (t->olen == t->ocap && sk__tar_flush(t) < 0)
			return -1;
	}
	return 0;
}

int
sk__tar_zeros(sk_tar *t, int64_t n)
{
	while (n > 0) {
		size_t k = n > (int64_t)sizeof zeros ? sizeof zeros : (size_t)n;
		if (sk__tar_out(t, zeros, k) < 0)
			return -1;
		n -= (int64_t)k;
	}
	return 0;
}

int
sk__tar_pad(sk_tar *t)
{
	if (t->zip)
		return 0; /* zip entries follow one another unpadded */
	return sk__tar_zeros(t, (int64_t)((512 - t->pos % 512) % 512));
}

int
sk__tar_output_open(sk_tar *t)
{
	struct stat st;
	size_t rec = t->opt.blocking > 0 ? (size_t)t->opt.blocking * 512 : 0;

	/* Whole records of the blocking factor at a time. */
	t->ocap = rec ? (OBUF / rec > 0 ? OBUF / rec * rec : rec) : OBUF;
	if ((t->obuf = malloc(t->ocap)) == NULL)
		return -1;
	if (t->opt.format == SK_TAR_ZIP)
		return sk__tar_zip_open(t);
	if (t->fd >= 0 && fstat(t->fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    t->opt.compress == SK_TAR_PLAIN && rec == 0) {
		t->fast = 1;
		sk_pipe_grow(t->fd, (size_t)1 << 20);
	}
	return sk__tar_compress_open(t);
}

int
sk__tar_output_close(sk_tar *t)
{
	size_t rec = t->opt.blocking > 0 ? (size_t)t->opt.blocking * 512 : 0;

	if (t->zip)
		return sk__tar_zip_close(t) < 0 ? -1 : sk__tar_flush(t);
	/* The end marker: two zero blocks; with a blocking factor, the last
	 * record filled up. */
	if (sk__tar_zeros(t, 1024) < 0 ||
	    (rec &&
	     sk__tar_zeros(t, (int64_t)((rec - t->pos % rec) % rec)) < 0) ||
	    sk__tar_flush(t) < 0)
		return -1;
	if (sk__tar_compress_end(t) < 0) {
		if (!t->err)
			t->err = errno;
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
	int64_t left = size;
	loff_t off = 0;

	if (sk__tar_flush(t) < 0)
		return -1;
	while (left > 0) {
		ssize_t n = splice(it->fd, &off, t->fd, NULL,
		                   left > (1 << 20) ? (1 << 20) : (size_t)left,
		                   SPLICE_F_MOVE | SPLICE_F_MORE);
		if (n > 0) {
			left -= n;
			t->written += (uint64_t)n;
			t->pos += (uint64_t)n;
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
		                     "zeros",
		             n < 0 ? SK__TAR_SKIPPED : SK__TAR_CHANGED);
		it->finalcheck = 0;
		if (sk__tar_zeros(t, left) < 0)
			return -1;
		left = 0;
	}
	return sk__tar_pad(t);
}
