/*
 * tar_rules.c - GNU tar's selection where the producer meets it: the
 * exclusion set (tar_exclude.c) consulted by the walk, with a context
 * per directory for its ignore files and tags, and --newer's dates
 * consulted once an item's stat is known.  The walk's thread opens and
 * closes the contexts (they live in its stack's frames); the date test
 * runs wherever the item is made ready.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_impl.h"

int
sk__tar_dir_rules(sk_tar *t, int fd, const char *path,
                  struct sk_exclude_dir **xd, const char **tagname)
{
	const struct sk_exclude_dir *parent =
	    t->depth > 0 ? t->stack[t->depth - 1].xd : NULL;
	int tag;

	*xd = NULL;
	*tagname = NULL;
	if (t->opt.exclude == NULL)
		return SK_EXCL_TAG_NONE;
	*xd = sk_exclude_dir_open(t->opt.exclude, parent, fd, path,
	                          t->opt.follow, &tag, tagname);
	return *xd ? tag : -1;
}

/* The name GNU tar tests: without the slashes that end an argument. */
static int
test(const sk_tar *t, const struct sk_exclude_dir *xd, const char *path)
{
	size_t n = strlen(path);
	char *bare;
	int r;

	if (n < 2 || path[n - 1] != '/')
		return sk_exclude_test(t->opt.exclude, xd, path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if ((bare = strndup(path, n)) == NULL)
		return -1;
	r = sk_exclude_test(t->opt.exclude, xd, bare);
	free(bare);
	return r;
}

int
sk__tar_left_out(const sk_tar *t, const struct tar_frame *f, const char *name,
                 const char *path)
{
	if (f->only && strcmp(name, f->only) != 0)
		return 1;
	if (t->opt.exclude == NULL)
		return 0;
	return test(t, f->xd, path);
}

int
sk__tar_arg_left_out(const sk_tar *t, const char *path)
{
	return t->opt.exclude ? test(t, NULL, path) : 0;
}

static int
older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int
sk__tar_too_old(const sk_tar *t, struct tar_item *it)
{
	const struct stat *st = &it->st;
	int old;

	if (S_ISDIR(st->st_mode))
		return 0; /* GNU tar always stores directories */
	if (t->incr) {
		/* In a listed-incremental dump the dumpdirs decide; only a
		 * file given as an argument is judged by its dates. */
		if (it->toppath == NULL)
			return 0;
		old = !sk__tar_incr_newer(t, st);
	} else if (t->opt.newer_mode == SK_TAR_NEWER_MTIME) {
		old = older(&st->st_mtim, &t->opt.newer);
	} else if (t->opt.newer_mode == SK_TAR_NEWER) {
		old = older(&st->st_mtim, &t->opt.newer) &&
		      older(&st->st_ctim, &t->opt.newer);
	} else {
		return 0;
	}
	if (!old)
		return 0;
	/* Left out quietly: no note, nothing stored. */
	it->skip = 1;
	if (it->fd >= 0) {
		close(it->fd);
		it->fd = -1;
	}
	return 1;
}
