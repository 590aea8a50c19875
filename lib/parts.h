/*
 * parts.h - the internal stream kinds that ranges.c hands out as parts:
 * a piece of a borrowed stream (stream_piece.c) and the lines of one, read
 * in one pass (stream_linescan.c).
 */
#ifndef SK_PARTS_H
#define SK_PARTS_H

#include "sk_impl.h"

/*
 * A piece: the n bytes at pre (borrowed; n may be 0), then up to len bytes
 * (SK_UNKNOWN: all) of src (borrowed; NULL: none).  Closing it closes
 * neither.  NULL with errno on failure.
 */
sk_stream *sk__piece_open(const char *pre, size_t n, sk_stream *src,
                          int64_t len);
/* The bytes of src the piece has given so far, read, copied or skipped. */
int64_t sk__piece_taken(const sk_stream *piece);

/*
 * A line scanner over src (borrowed): it counts lines as it passes them.
 * With seekable (src allows sections and knows its length) it peeks
 * through sections and moves src only past what it has passed, so that a
 * shared descriptor is left just after the last line used.
 */
struct sk__scan;
struct sk__scan *sk__scan_open(sk_stream *src, int delim, int seekable);
void sk__scan_close(struct sk__scan *sc);
/* Moves to the start of line k, passing what lies before it: 1 when
 * there, 0 when src ended first, -1 on error. */
int sk__scan_to(struct sk__scan *sc, int64_t k);
/* The number of lines passed so far. */
int64_t sk__scan_lines(const struct sk__scan *sc);
/* A stream of the bytes from here to the start of line k: reading it
 * moves the scanner.  It borrows the scanner. */
sk_stream *sk__scan_part_open(struct sk__scan *sc, int64_t k);
/* A stream of everything from here to the end (what is buffered, then
 * src, up to the length src has now when seekable).  The scanner is at
 * the end afterwards. */
sk_stream *sk__scan_rest_open(struct sk__scan *sc);
/* Seekable: moves src to the scanner's position.  0 or -1. */
int sk__scan_leave(struct sk__scan *sc);

#endif
