/*
 * tar_match.h - the pattern lists behind GNU tar's exclusion options,
 * shared by tar_match.c (the lists) and tar_exclude.c (the rules that read
 * them from options and from per-directory ignore files).  Not installed.
 */
#ifndef SK_TAR_MATCH_H
#define SK_TAR_MATCH_H

#include "sk_impl.h"

/* Option bits beyond the public SK_EXCL_* ones (streamkit.h). */
#define SK__EX_REGEX   0x100 /* a POSIX extended regex, searched anywhere */
#define SK__EX_INCLUDE 0x200 /* a match keeps the name (bzr's "!pattern") */

/*
 * An ordered list of patterns with GNU's semantics (gnulib's exclude.c):
 * consecutive patterns of one kind form a segment; literal patterns (no
 * wildcard, or wildcards off) are looked up whole, wildcard ones go
 * through fnmatch(3); the newest segment that matches decides.
 */
struct sk__exlist;

struct sk__exlist *sk__exlist_new(void);
/* Adds a copy of pattern with opts.  0, or -1 with errno (ENOMEM).  A
 * regex that does not compile is dropped, as GNU tar drops it. */
int sk__exlist_add(struct sk__exlist *l, const char *pattern, int opts);
/* 1 when name is excluded, 0 when not, -1 with ENOMEM. */
int sk__exlist_match(const struct sk__exlist *l, const char *name);
int sk__exlist_empty(const struct sk__exlist *l);
void sk__exlist_free(struct sk__exlist *l);

#endif
