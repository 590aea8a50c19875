/*
 * stream_spool.c - a stream over a range of a spool, pulled lazily.  It
 * is what makes a pipe random-access for the programs: sections of it
 * read the same spool at other offsets.  It is built on spool.c (the
 * layer below), never the other way round.
 */
#include <errno.h>
#include <stdlib.h>

#include "spool.h"

#define COPY_STEP ((int64_t)1 << 20)

struct spoolstream {
	sk_stream base;
	sk_spool *sp;
	int64_t off;
	int64_t end; /* SK_UNKNOWN: the end of the source */
};

static ssize_t
spoolstream_read(sk_stream *s, void *buf, size_t n)
{
	struct spoolstream *t = (struct spoolstream *)s;
	ssize_t r;

	if (t->end != SK_UNKNOWN) {
		if (t->off >= t->end)
			return 0;
		if ((int64_t)n > t->end - t->off)
			n = (size_t)(t->end - t->off);
	}
	r = sk_spool_read_at(t->sp, buf, n, t->off);
	if (r > 0)
		t->off += r;
	return r;
}

static int
spoolstream_close(sk_stream *s)
{
	free(s);
	return 0;
}

static int64_t
spoolstream_length(sk_stream *s)
{
	struct spoolstream *t = (struct spoolstream *)s;
	int64_t size = sk_spool_size(t->sp);

	if (t->end != SK_UNKNOWN && size >= t->end)
		return t->end - t->off;
	if (!sk_spool_complete(t->sp))
		return SK_UNKNOWN;
	if (t->end != SK_UNKNOWN && t->end < size)
		size = t->end;
	return size > t->off ? size - t->off : 0;
}

static int64_t
spoolstream_skip(sk_stream *s, int64_t n)
{
	struct spoolstream *t = (struct spoolstream *)s;
	int64_t target, have;

	if (t->end != SK_UNKNOWN && n > t->end - t->off)
		n = t->end - t->off;
	target = t->off + n;
	if ((have = sk_spool_fill(t->sp, target)) < 0)
		return -1;
	if (target > have)
		target = have;
	n = target - t->off;
	t->off = target;
	return n;
}

static sk_stream *
spoolstream_section(sk_stream *s, int64_t off, int64_t len)
{
	struct spoolstream *t = (struct spoolstream *)s;
	int64_t a = t->off + off, b;

	if (t->end != SK_UNKNOWN && a > t->end)
		a = t->end;
	b = len == SK_UNKNOWN ? t->end : a + len;
	if (t->end != SK_UNKNOWN && b > t->end)
		b = t->end;
	return sk_spool_stream_open(t->sp, a,
	                            b == SK_UNKNOWN ? SK_UNKNOWN : b - a);
}

static int64_t
spoolstream_copy(sk_stream *s, int dst, int64_t max, int *rerr)
{
	struct spoolstream *t = (struct spoolstream *)s;
	int64_t done = 0;

	while (max == SK_UNKNOWN || done < max) {
		int64_t want = COPY_STEP, have, n;
		if (max != SK_UNKNOWN && max - done < want)
			want = max - done;
		if (t->end != SK_UNKNOWN && t->end - t->off < want)
			want = t->end - t->off;
		if (want == 0)
			break;
		if ((have = sk_spool_fill(t->sp, t->off + want)) < 0) {
			*rerr = 1;
			return -1;
		}
		n = have - t->off < want ? have - t->off : want;
		if (n <= 0)
			break;
		if (sk__spool_copy(t->sp, &t->off, dst, n, rerr) < 0)
			return -1;
		done += n;
	}
	return done;
}

static const struct sk_ops spoolstream_ops = {
    .name = "spool",
    .read = spoolstream_read,
    .close = spoolstream_close,
    .length = spoolstream_length,
    .skip = spoolstream_skip,
    .section = spoolstream_section,
    .copy = spoolstream_copy,
};

SK_API sk_stream *
sk_spool_stream_open(sk_spool *sp, int64_t off, int64_t len)
{
	struct spoolstream *t;

	if (sp == NULL || off < 0 || len < SK_UNKNOWN) {
		errno = EINVAL;
		return NULL;
	}
	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	sk__init(&t->base, &spoolstream_ops);
	t->sp = sp;
	t->off = off;
	t->end = len == SK_UNKNOWN ? SK_UNKNOWN : off + len;
	return &t->base;
}

SK_API sk_stream *
sk_spool_range_open(sk_spool *sp, const struct sk_range *r, int *inside)
{
	int64_t need = SK_UNKNOWN, total, a, b;

	if (!r->start_from_end && r->has_end && !r->end_from_end) {
		int64_t e = r->end;
		if (r->end_is_len)
			e = r->start > INT64_MAX - r->end ? INT64_MAX
			                                  : r->start + r->end;
		need = e > r->start ? e : r->start;
	}
	if (sk_spool_fill(sp, need) < 0)
		return NULL;
	/* An incomplete spool already holds all the range needs. */
	total = sk_spool_complete(sp) ? sk_spool_size(sp) : INT64_MAX;
	*inside = sk_range_resolve(r, total, &a, &b);
	return sk_spool_stream_open(sp, a, b - a);
}
