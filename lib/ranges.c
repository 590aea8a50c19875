/*
 * ranges.c - byte or line ranges of any stream, served in the order given
 * by the cheapest plan the stream allows:
 *   - sections, when it allows them and knows its length: each range is a
 *     section, reached without reading what lies before it;
 *   - one pass, when the ranges go forward: skip, hand out a piece, and
 *     keep a ring of the last bytes for the ranges counted from the end
 *     (or hold back the tail of a last range that ends before the end);
 *   - a spool otherwise: the stream is kept, in memory and then in an
 *     unnamed file, only as far as the furthest range needs.
 * Line ranges go forward in one pass too; out of order they go through a
 * line index (lines.c) over the stream's sections or over the spool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parts.h"

#define DEFAULT_RING      ((int64_t)64 << 20)
#define DEFAULT_SPOOL_MEM ((size_t)8 << 20)

struct sk_ranges {
	sk_stream *in;  /* the stream given, owned through src or the spool */
	sk_stream *src; /* what a pass reads: in, or a wrapper owning it */
	struct sk_range *r;
	size_t n, i;
	struct sk_ranges_config cfg;
	char *tmpdir;
	int plan, done;
	/* sections */
	int64_t total, last_end;
	/* one pass over bytes */
	sk_stream *rec;  /* the recorder, owned through src */
	int64_t ring;    /* bytes from the end to keep, -1: none */
	int64_t hold;    /* bytes a last range holds back, -1: none */
	int64_t pos;     /* bytes of in passed */
	int64_t want;    /* what the current piece should give, or -1 */
	sk_stream *tail; /* the recorder's last bytes */
	int64_t base;    /* offset of the tail's first byte */
	/* lines */
	struct sk__scan *sc;
	int64_t target; /* the line the current part ends at, or -1 */
	sk_lines *li;
	sk_stream *on;    /* what the index reads: in, or the spool's stream */
	sk_spool *sp;     /* the spool, owning in */
	sk_stream *part;  /* handed out, until the next call */
	int part_is_hold; /* the part is src (a droptail), not ours to close */
	/* failure */
	int err, past_end;
	size_t bad;
	int64_t bad_total;
};

/* Can the byte ranges be served in one pass over a stream without
 * sections?  They can when they are forward ranges in ascending order,
 * then ranges counted from the end (a ring of rs->ring bytes), or when the
 * last forward range ends before the end (rs->hold bytes held back). */
static int
bytes_one_pass(sk_ranges *rs)
{
	int64_t pos = 0;
	int tail_phase = 0;

	rs->ring = rs->hold = -1;
	for (size_t i = 0; i < rs->n; i++) {
		const struct sk_range *r = &rs->r[i];
		if (r->start_from_end) {
			tail_phase = 1;
			if (-r->start > rs->ring)
				rs->ring = -r->start;
			continue;
		}
		if (tail_phase || r->start < pos)
			return 0;
		if (!r->has_end) {
			pos = INT64_MAX;
		} else if (r->end_from_end) {
			if (i != rs->n - 1)
				return 0;
			rs->hold = -r->end;
			pos = INT64_MAX;
		} else {
			pos = sk__range_end(r);
		}
	}
	return rs->ring <= rs->cfg.ring_max && rs->hold <= rs->cfg.ring_max;
}

/* Are the line ranges forward and ascending, for one pass? */
static int
lines_one_pass(const sk_ranges *rs)
{
	int64_t pos = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct sk_range *r = &rs->r[i];
		if (r->start_from_end || r->end_from_end || r->start < pos)
			return 0;
		pos = r->has_end ? sk__range_end(r) : INT64_MAX;
	}
	return 1;
}

/* Builds what the plan needs.  0, or -1 (rs->in may then belong to the
 * spool or a wrapper, which close frees). */
static int
plan(sk_ranges *rs)
{
	int seekable =
	    sk_length(rs->in) != SK_UNKNOWN && sk_can_section(rs->in);
	int lines = rs->cfg.flags & SK_RANGES_LINES;

	if (lines && lines_one_pass(rs)) {
		rs->plan = SK_RANGES_ONE_PASS;
		rs->sc = sk__scan_open(rs->in, rs->cfg.delim, seekable);
		return rs->sc ? 0 : -1;
	}
	if (seekable) {
		rs->plan = SK_RANGES_SECTIONS;
		rs->total = sk_length(rs->in);
		rs->on = rs->in;
		if (lines &&
		    (rs->li = sk_lines_open(rs->on, rs->cfg.delim)) == NULL)
			return -1;
		return 0;
	}
	if (!lines && bytes_one_pass(rs)) {
		rs->plan = SK_RANGES_ONE_PASS;
		/* A recorder remembers the last bytes for the ranges counted
		 * from the end, and counts the input for a strict hold. */
		if (rs->ring >= 0 ||
		    (rs->hold >= 0 && (rs->cfg.flags & SK_RANGES_STRICT))) {
			rs->rec = sk_recorder_open(rs->in,
			                           rs->ring > 0 ? rs->ring : 0);
			if ((rs->src = rs->rec) == NULL)
				return -1;
		}
		return 0;
	}
	rs->plan = SK_RANGES_SPOOL;
	rs->src = NULL;
	rs->sp = sk_spool_open(rs->in, rs->cfg.spool_mem, rs->tmpdir);
	if (rs->sp == NULL)
		return -1;
	if (lines &&
	    ((rs->on = sk_spool_stream_open(rs->sp, 0, SK_UNKNOWN)) == NULL ||
	     (rs->li = sk_lines_open(rs->on, rs->cfg.delim)) == NULL))
		return -1;
	return 0;
}

SK_API sk_ranges *
sk_ranges_open(sk_stream *src, const struct sk_range *r, size_t n,
               const struct sk_ranges_config *cfg)
{
	static const struct sk_ranges_config dflt = {.delim = '\n'};
	sk_ranges *rs;
	int e;

	if (src == NULL || (r == NULL && n > 0) ||
	    (cfg &&
	     (cfg->ring_max < 0 || cfg->delim < 0 || cfg->delim > 255))) {
		sk_close(src);
		errno = EINVAL;
		return NULL;
	}
	if ((rs = calloc(1, sizeof *rs)) == NULL) {
		sk_close(src);
		return NULL;
	}
	rs->in = rs->src = src;
	rs->cfg = cfg ? *cfg : dflt;
	if (rs->cfg.ring_max == 0)
		rs->cfg.ring_max = DEFAULT_RING;
	if (rs->cfg.spool_mem == 0)
		rs->cfg.spool_mem = DEFAULT_SPOOL_MEM;
	rs->want = rs->target = -1;
	rs->n = n;
	if ((n > 0 && (rs->r = malloc(n * sizeof *r)) == NULL) ||
	    (cfg && cfg->tmpdir && (rs->tmpdir = strdup(cfg->tmpdir)) == NULL))
		goto fail;
	if (n > 0)
		memcpy(rs->r, r, n * sizeof *r);
	rs->cfg.tmpdir = rs->tmpdir;
	if (plan(rs) < 0)
		goto fail;
	return rs;
fail:
	e = errno;
	sk_ranges_close(rs);
	errno = e;
	return NULL;
}

SK_API int
sk_ranges_plan(const sk_ranges *rs)
{
	return rs->plan;
}

/* Notes that range i ran past the end of an input of total units. */
static int
past_end(sk_ranges *rs, size_t i, int64_t total)
{
	rs->past_end = 1;
	rs->bad = i;
	rs->bad_total = total;
	errno = ERANGE;
	return -1;
}

/* Sets *part to a new part of ours; 1, or -1 when it could not be made. */
static int
hand_out(sk_ranges *rs, sk_stream *part)
{
	if (part == NULL)
		return -1;
	rs->part = part;
	rs->i++;
	return 1;
}

/* Ends the part handed out last: what it did not give is passed over, and
 * a strict range that the input ended inside fails now. */
static int
end_part(sk_ranges *rs)
{
	int strict = rs->cfg.flags & SK_RANGES_STRICT, r = 0;

	if (rs->part == NULL)
		return 0;
	if (rs->want >= 0) {
		int64_t got;
		if (sk_discard(rs->part) < 0)
			return -1;
		got = sk__piece_taken(rs->part);
		rs->pos += got;
		if (got < rs->want && strict)
			r = past_end(rs, rs->i - 1, rs->pos);
		rs->want = -1;
	} else if (rs->target >= 0) {
		int at = sk__scan_to(rs->sc, rs->target);
		if (at < 0)
			return -1;
		if (!at && strict)
			r = past_end(rs, rs->i - 1, sk__scan_lines(rs->sc));
		rs->target = -1;
	} else if (rs->part_is_hold) {
		if (sk_discard(rs->part) < 0)
			return -1;
		if (strict && sk_recorder_total(rs->rec) < rs->hold)
			r = past_end(rs, rs->i - 1, sk_recorder_total(rs->rec));
		rs->part = NULL;
		return r;
	}
	sk_close(rs->part);
	rs->part = NULL;
	return r;
}

/* Moves a stream with sections to offset off, so that a shared stdin is
 * left just after the last range written, as head(1) leaves it. */
static int
leave_at(sk_stream *s, int64_t off)
{
	return off > 0 && sk_skip(s, off) < 0 ? -1 : 0;
}

static int
next_sections(sk_ranges *rs)
{
	const struct sk_range *r = &rs->r[rs->i];
	int64_t a, b;
	int inside;

	if (rs->li) {
		if ((inside = sk_lines_range(rs->li, r, &a, &b)) < 0)
			return -1;
		if (!inside && (rs->cfg.flags & SK_RANGES_STRICT))
			return past_end(rs, rs->i, SK_UNKNOWN);
	} else {
		inside = sk_range_resolve(r, rs->total, &a, &b);
		if (!inside && (rs->cfg.flags & SK_RANGES_STRICT))
			return past_end(rs, rs->i, rs->total);
	}
	rs->last_end = b;
	return hand_out(rs, sk_section_open(rs->on, a, b - a));
}

/* The first range counted from the end, on one pass: all of the input
 * has been read, and the recorder holds its last bytes. */
static int
start_tail(sk_ranges *rs)
{
	if (sk_discard(rs->src) < 0)
		return -1;
	rs->total = sk_recorder_total(rs->rec);
	if ((rs->tail = sk_recorder_tail_open(rs->rec, rs->ring)) == NULL)
		return -1;
	rs->base = rs->total - sk_length(rs->tail);
	return 0;
}

static int
next_bytes_pass(sk_ranges *rs)
{
	const struct sk_range *r = &rs->r[rs->i];
	int strict = rs->cfg.flags & SK_RANGES_STRICT;
	int64_t a, b, k;

	if (r->start_from_end) {
		if (rs->tail == NULL && start_tail(rs) < 0)
			return -1;
		if (!sk_range_resolve(r, rs->total, &a, &b) && strict)
			return past_end(rs, rs->i, rs->total);
		return hand_out(rs,
		                sk_section_open(rs->tail, a - rs->base, b - a));
	}
	if (r->start > rs->pos) {
		if ((k = sk_skip(rs->src, r->start - rs->pos)) < 0)
			return -1;
		rs->pos += k;
		if (rs->pos < r->start) {
			if (strict)
				return past_end(rs, rs->i, rs->pos);
			return hand_out(rs, sk__piece_open(NULL, 0, NULL, 0));
		}
	}
	if (r->has_end && r->end_from_end) {
		/* The last range: the droptail takes the stream over. */
		sk_stream *d = sk_droptail_open(rs->src, rs->hold);
		if ((rs->src = d) == NULL)
			return -1;
		rs->part_is_hold = 1;
		rs->part = d;
		rs->i++;
		return 1;
	}
	if (r->has_end)
		rs->want = sk__range_end(r) - r->start;
	return hand_out(rs, sk__piece_open(NULL, 0, rs->src,
	                                   r->has_end ? rs->want : SK_UNKNOWN));
}

static int
next_bytes_spool(sk_ranges *rs)
{
	int inside;
	sk_stream *s = sk_spool_range_open(rs->sp, &rs->r[rs->i], &inside);

	if (s != NULL && !inside && (rs->cfg.flags & SK_RANGES_STRICT)) {
		sk_close(s);
		return past_end(rs, rs->i, sk_spool_size(rs->sp));
	}
	return hand_out(rs, s);
}

static int
next_lines_pass(sk_ranges *rs)
{
	const struct sk_range *r = &rs->r[rs->i];
	int at = sk__scan_to(rs->sc, r->start);

	if (at < 0)
		return -1;
	if (!at) {
		if (rs->cfg.flags & SK_RANGES_STRICT)
			return past_end(rs, rs->i, sk__scan_lines(rs->sc));
		return hand_out(rs, sk__piece_open(NULL, 0, NULL, 0));
	}
	if (!r->has_end)
		return hand_out(rs, sk__scan_rest_open(rs->sc));
	rs->target = sk__range_end(r);
	return hand_out(rs, sk__scan_part_open(rs->sc, rs->target));
}

/* After the last range: a shared stdin is left just after what was used. */
static int
finish(sk_ranges *rs)
{
	rs->done = 1;
	if (rs->sc)
		return sk__scan_leave(rs->sc);
	if (rs->plan == SK_RANGES_SECTIONS)
		return leave_at(rs->in, rs->last_end);
	return 0;
}

SK_API int
sk_ranges_next(sk_ranges *rs, sk_stream **part)
{
	int r;

	*part = NULL;
	if (rs->err) {
		errno = rs->err;
		return -1;
	}
	if ((r = end_part(rs)) == 0) {
		if (rs->i == rs->n)
			r = rs->done ? 0 : finish(rs);
		else if (rs->plan == SK_RANGES_SECTIONS)
			r = next_sections(rs);
		else if (rs->plan == SK_RANGES_SPOOL && !rs->li)
			r = next_bytes_spool(rs);
		else if (rs->plan == SK_RANGES_SPOOL)
			r = next_sections(rs);
		else if (rs->sc)
			r = next_lines_pass(rs);
		else
			r = next_bytes_pass(rs);
	}
	if (r < 0) {
		rs->err = errno ? errno : EIO;
		errno = rs->err;
		return -1;
	}
	*part = rs->part;
	return r;
}

SK_API int
sk_ranges_failure(const sk_ranges *rs, size_t *index, int64_t *total)
{
	if (rs->past_end) {
		if (index)
			*index = rs->bad;
		if (total)
			*total = rs->bad_total;
		return SK_RANGES_FAIL_PAST_END;
	}
	if (!rs->err && (rs->part == NULL || !sk_error(rs->part)))
		return 0;
	/* The spool failed unless reading the input did, which the input
	 * tells while the spool still holds it. */
	if (rs->sp && (sk_spool_complete(rs->sp) || !sk_error(rs->in)))
		return SK_RANGES_FAIL_SPOOL;
	return SK_RANGES_FAIL_INPUT;
}

SK_API int
sk_ranges_close(sk_ranges *rs)
{
	int err = 0;

	if (rs == NULL)
		return 0;
	if (!rs->part_is_hold && sk_close(rs->part) < 0)
		err = errno;
	sk_close(rs->tail);
	sk__scan_close(rs->sc);
	sk_lines_close(rs->li);
	if (rs->on != rs->in)
		sk_close(rs->on);
	if (rs->sp) {
		if (sk_spool_close(rs->sp) < 0 && !err)
			err = errno;
	} else if (sk_close(rs->src) < 0 && !err) {
		err = errno;
	}
	free(rs->r);
	free(rs->tmpdir);
	free(rs);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
