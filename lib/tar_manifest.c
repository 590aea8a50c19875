/*
 * tar_manifest.c - a file's body on its way into the archive, and the
 * manifest's SHA-256 of it taken on the way (sha256.c).  Every byte of a
 * body the entry writer stores passes here: hashed when a manifest is
 * asked for, then given to the tar stream (tar_output.c).  So the digest is
 * always of what was stored: what was read, zeros where a file shrank, a grown
 * file cut at its size.
 *
 * A body read ahead whole is hashed by the I/O thread that read it, in
 * parallel with the writer; a streamed one by the writer as it streams.
 * The zero-copy path cannot be hashed (the bytes never reach user space),
 * so a manifest turns it off: see bench/tarstream.sh's "manifest cost"
 * for what that costs against a tee(2) of the spliced pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tar_impl.h"

static const char zeros[64 * 1024];

void
sk__tar_digest_ahead(const sk_tar *t, struct tar_item *it)
{
	struct sk__sha256 h;

	if (t->opt.manifest == NULL || it->data == NULL || it->skip)
		return;
	/* On failure (no memory) the writer hashes it instead. */
	if (sk__sha256_init(&h) < 0)
		return;
	if (sk__sha256_update(&h, it->data, it->len) < 0) {
		sk__sha256_free(&h);
		return;
	}
	if (sk__sha256_final(&h, it->digest) == 0)
		it->hashed = 1;
}

int
sk__tar_body_begin(sk_tar *t, const struct tar_item *it)
{
	t->hashing = 0;
	if (t->opt.manifest == NULL || (it->hashed && it->data))
		return 0;
	if (sk__sha256_init(&t->sha) < 0) {
		t->err = ENOMEM;
		return -1;
	}
	t->hashing = 1;
	return 0;
}

/* Only the digest: bytes of the file that are not stored (holes). */
static int
hash(sk_tar *t, const void *buf, size_t n)
{
	if (t->hashing && sk__sha256_update(&t->sha, buf, n) < 0) {
		t->err = errno;
		return -1;
	}
	return 0;
}

int
sk__tar_body(sk_tar *t, const void *buf, size_t n)
{
	if (hash(t, buf, n) < 0)
		return -1;
	return t->zip ? sk__tar_zip_data(t, buf, n) : sk__tar_out(t, buf, n);
}

int
sk__tar_body_zeros(sk_tar *t, int64_t n, int stored)
{
	if (!t->hashing && !t->zip)
		return stored ? sk__tar_zeros(t, n) : 0;
	while (n > 0) {
		size_t k = n > (int64_t)sizeof zeros ? sizeof zeros : (size_t)n;
		if ((stored ? sk__tar_body(t, zeros, k) : hash(t, zeros, k)) <
		    0)
			return -1;
		n -= (int64_t)k;
	}
	return 0;
}

int
sk__tar_body_end(sk_tar *t, const struct tar_item *it)
{
	unsigned char digest[32];
	const unsigned char *d = it->digest;
	char *line;
	size_t len;

	if (t->opt.manifest == NULL)
		return 0;
	if (t->hashing) {
		t->hashing = 0;
		if (sk__sha256_final(&t->sha, digest) < 0) {
			t->err = errno;
			return -1;
		}
		d = digest;
	}
	if ((line = sk__sha256_line(d, t->name, &len)) == NULL) {
		t->err = ENOMEM;
		return -1;
	}
	t->opt.manifest(t->opt.arg, line, len);
	free(line);
	return 0;
}

void
sk__tar_body_free(sk_tar *t)
{
	if (t->hashing)
		sk__sha256_free(&t->sha);
	t->hashing = 0;
}
