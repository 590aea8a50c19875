/* spool.h - the spool's internal calls, for the kinds built on it. */
#ifndef SK_SPOOL_H
#define SK_SPOOL_H

#include "sk_impl.h"

/* Appends bytes to a spool opened with src NULL; 0 or -1. */
int sk__spool_write(sk_spool *sp, const void *buf, size_t n);
/* Marks a spool fed by sk__spool_write() complete. */
void sk__spool_end(sk_spool *sp);
/* Writes the n held bytes at *off to dst, zero-copy from the file; 0/-1,
 * *rerr set when reading the spool failed. */
int sk__spool_copy(sk_spool *sp, int64_t *off, int dst, int64_t n, int *rerr);

#endif
