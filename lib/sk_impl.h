/*
 * sk_impl.h - what the stream kinds share inside libstreamkit.  Not
 * installed.  Cross-file internal symbols are prefixed sk__.
 */
#ifndef SK_IMPL_H
#define SK_IMPL_H

#include "streamkit.h"

#define SK_API __attribute__((visibility("default")))

/*
 * One table of operations per kind.  Only read and close are required;
 * stream.c supplies the fallbacks documented beside each optional one.
 */
struct sk_ops {
	const char *name;
	/* > 0 bytes, 0 at the end, -1 with errno.  Never called with n == 0
	 * nor after it returned 0 or failed. */
	ssize_t (*read)(sk_stream *s, void *buf, size_t n);
	/* Frees s and what it owns; -1 with errno when releasing failed. */
	int (*close)(sk_stream *s);
	/* Bytes left or SK_UNKNOWN.  Fallback: SK_UNKNOWN. */
	int64_t (*length)(sk_stream *s);
	/* Skipped count, or -1.  Fallback: read and discard. */
	int64_t (*skip)(sk_stream *s, int64_t n);
	/* See sk_fileno/sk_advance.  Fallback: ENOTSUP. */
	int (*fileno)(sk_stream *s, int64_t *off, int64_t *limit);
	int (*advance)(sk_stream *s, int64_t k);
	/* See sk_section_open.  Fallback: ENOTSUP.  Called with (0, 0)
	 * after the end, for an empty section. */
	sk_stream *(*section)(sk_stream *s, int64_t off, int64_t len);
	/* 1 when section can succeed now, 0 when it would say ENOTSUP (see
	 * sk_can_section); never reads.  Fallback: 1 when there is a
	 * section operation, so only kinds whose sections depend on what
	 * they wrap (a descriptor that may be a pipe) need one. */
	int (*can_section)(sk_stream *s);
	/* Copy up to max (SK_UNKNOWN: all) bytes to dst; count or -1, and on
	 * -1 *rerr is set when reading failed.  Fallback: buffered loop. */
	int64_t (*copy)(sk_stream *s, int dst, int64_t max, int *rerr);
};

/* The common head of every stream; each kind's struct starts with it. */
struct sk_stream {
	const struct sk_ops *ops;
	int err;           /* sticky errno, 0 when healthy */
	unsigned char eof; /* reads return 0 from now on */
};

/* Fills the common head. */
void sk__init(sk_stream *s, const struct sk_ops *ops);

/*
 * Records errno as s's sticky error (EAGAIN and EINTR excepted; no errno
 * at all becomes EIO) and returns -1.  stream.c keeps the sticky error and
 * the end of stream; a public call made outside it (sk_readline) fails
 * through this.
 */
int sk__fail(sk_stream *s);

/* 0 when s may be used, else -1 with errno set to its sticky error. */
int sk__check(const sk_stream *s);

/*
 * Reads up to n bytes at offset off of s through a section, leaving s
 * where it is: the count, short of n only at the end, or -1 (stream.c).
 */
ssize_t sk__read_at(sk_stream *s, void *buf, size_t n, int64_t off);

/* A read loop that copies up to max bytes of s into dst through a bounded
 * buffer: the fallback of the copy operation (stream.c). */
int64_t sk__copy_loop(sk_stream *s, int dst, int64_t max, int *rerr);

/*
 * Moves up to max bytes (SK_UNKNOWN: until the end) from descriptor src to
 * dst by the kernel's zero-copy calls.  *srcoff is the file offset to read
 * at (advanced), or NULL to read at the descriptor's position.  Returns the
 * number moved, or -1 with errno; *rerr tells whether reading failed.
 * The count is short of max only at the end of src, or when no zero-copy
 * path applies to this pair of descriptors: then *unsupported is set and
 * the caller moves the rest by another way.
 */
int64_t sk__copy_fd(int src, int64_t *srcoff, int dst, int64_t max, int *rerr,
                    int *unsupported);

/* Waits with poll(2) until fd is ready for events; 0 or -1. */
int sk__wait(int fd, short events);

/* A read(2) that retries EINTR and waits out EAGAIN. */
ssize_t sk__read(int fd, void *buf, size_t n);
ssize_t sk__pread(int fd, void *buf, size_t n, int64_t off);

/* Whether errno e, from a call that moves bytes, belongs to the writing
 * side (the reader went away, the disk is full, a size limit): the one
 * list every copying path uses to tell the two sides apart (io.c). */
int sk__write_side(int e);

/*
 * The end of range r counted from the start, for a range whose positions
 * do not count from the end: START+LENGTH made absolute (saturating), and
 * never before the start (parse.c).
 */
int64_t sk__range_end(const struct sk_range *r);

/* Creates an unnamed temporary file (O_TMPFILE, else mkstemp+unlink),
 * mode 0600, in dir (NULL: $TMPDIR, then /tmp).  fd or -1. */
int sk__tmpfile(const char *dir);

/*
 * The manifest's SHA-256 (sha256.c, libcrypto): init, update as a body
 * streams, final (which frees, as free does after a failure).  0 or -1.
 * sk__sha256_line gives the line sha256sum(1) writes for name, escapes
 * included, malloc'd and ending in '\n' (*len bytes); NULL on ENOMEM.
 */
struct sk__sha256 {
	void *ctx;
};
int sk__sha256_init(struct sk__sha256 *h);
int sk__sha256_update(struct sk__sha256 *h, const void *buf, size_t n);
int sk__sha256_final(struct sk__sha256 *h, unsigned char out[32]);
void sk__sha256_free(struct sk__sha256 *h);
char *sk__sha256_line(const unsigned char digest[32], const char *name,
                      size_t *len);

/* What GNU tar keeps of a member name (its safer_name_suffix): nothing up
 * to a ".." component, no leading '/'.  A pointer into s. */
const char *sk__safer_name(const char *s);
/* sk_xform_apply without its last step: the expressions' result as it
 * is, leading "/" and ".." parts kept; NULL on no memory. */
char *sk__xform_raw(const sk_xform *x, const char *name, int scope);

#endif
