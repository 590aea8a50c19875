/*
 * tar_incr.c - the decisions of one listed-incremental run, as GNU tar
 * 1.34 makes them (see tar_incr.h for how a walk drives it):
 *   - a directory the snapshot knows under its name, with the same device
 *     (unless --no-check-device) and inode, has its changed children
 *     stored: entries that are new to its dumpdir, or whose mtime or
 *     ctime is not older than the previous dump;
 *   - one whose device and inode the snapshot knows under another name
 *     was renamed: its children are judged against the old dumpdir, and
 *     a rename record (R old, T new) goes into the archive;
 *   - one the snapshot does not know is new: everything below it is
 *     stored; so is everything with no snapshot (level 0);
 *   - tags cut directories as without -g, and the dumpdir says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_incr.h"

struct sk__incr {
	struct sk__snap *s;
	struct timespec start; /* recorded as this dump's time */
	struct timespec newer; /* the previous dump's time */
	int flags;
	struct sk__snap_dir **order; /* the directories of pass 2 */
	size_t norder, cap;
};

static int
older(const struct timespec *t, const struct timespec *than)
{
	return t->tv_sec < than->tv_sec ||
	       (t->tv_sec == than->tv_sec && t->tv_nsec < than->tv_nsec);
}

struct sk__incr *
sk__incr_open(struct sk__snap *old, const struct timespec *start, int flags)
{
	struct sk__incr *inc = calloc(1, sizeof *inc);

	if (inc == NULL || (old == NULL && (old = sk__snap_new()) == NULL)) {
		free(inc);
		sk__snap_free(old);
		return NULL;
	}
	inc->s = old;
	inc->start = *start;
	inc->flags = flags;
	inc->newer = old->time;
	if (old->n == 0 && old->time.tv_sec == 0 && old->time.tv_nsec == 0)
		inc->newer.tv_sec = (time_t)INT64_MIN; /* level 0: all is new */
	return inc;
}

/* Names below old (not old itself) now start with new, as GNU tar renames
 * the records under a renamed directory. */
static int
replace_prefix(struct sk__snap *s, const char *old, const char *new)
{
	size_t ol = strlen(old), nl = strlen(new);

	for (size_t i = 0; i < s->n; i++) {
		char *name = s->v[i]->name, *nn;
		size_t len = strlen(name);
		if (len <= ol || memcmp(name, old, ol) != 0 || name[ol] != '/')
			continue;
		if ((nn = malloc(len - ol + nl + 1)) == NULL)
			return -1;
		memcpy(nn, new, nl);
		memcpy(nn + nl, name + ol, len - ol + 1);
		free(name);
		s->v[i]->name = nn;
	}
	return 0;
}

static int
note_rename(struct sk__incr *inc, struct sk__snap_dir *d,
            struct sk__snap_dir *from)
{
	d->orig = from;
	d->renamed = 1;
	from->renamed = 0;
	return replace_prefix(inc->s, from->name, d->name);
}

/* The entry called base in a dumpdir, or NULL. */
static char *
locate(char *dump, const char *base)
{
	for (char *p = dump; p && *p; p += strlen(p) + 1)
		if ((*p == 'Y' || *p == 'N' || *p == 'D' || *p == ' ' ||
		     *p == 'I') &&
		    strcmp(p + 1, base) == 0)
			return p;
	return NULL;
}

static int
add_order(struct sk__incr *inc, struct sk__snap_dir *d)
{
	if (inc->norder == inc->cap) {
		size_t cap = inc->cap ? 2 * inc->cap : 64;
		struct sk__snap_dir **v = realloc(inc->order, cap * sizeof *v);
		if (v == NULL)
			return -1;
		inc->order = v;
		inc->cap = cap;
	}
	inc->order[inc->norder++] = d;
	return 0;
}

struct sk__snap_dir *
sk__incr_dir(struct sk__incr *inc, struct sk__snap_dir *parent,
             const char *name, const struct stat *st, int tag,
             const char *tagname, char *code)
{
	uintmax_t dev = (uintmax_t)st->st_dev, ino = (uintmax_t)st->st_ino;
	int nfs = (dev >> (sizeof st->st_dev * 8 - 1)) & 1;
	struct sk__snap_dir *d = sk__snap_find(inc->s, name), *m;
	const char *base = strrchr(name, '/');
	char *slot =
	    parent ? locate(parent->dump, base ? base + 1 : name) : NULL;

	*code = 'D';
	if (d && d->visited) {
		/* Seen already in this run: an argument takes the name it
		 * was given, anything else is not stored twice. */
		if (parent) {
			*code = 'N';
		} else {
			char *nn = strdup(name);
			if (nn == NULL)
				return NULL;
			free(d->name);
			d->name = nn;
		}
	} else if (d && strcmp(d->name, name) != 0) {
		*code = 'N';
	} else if (d) {
		int same_dev = !(inc->flags & SK__INCR_NO_CHECK_DEVICE) ||
		               (d->nfs && nfs) || d->dev == dev;
		d->children = SK__INCR_CHANGED;
		if (!same_dev || d->ino != ino) {
			if ((m = sk__snap_find_id(inc->s, dev, ino)) != NULL) {
				if (strcmp(m->name, name) != 0 &&
				    note_rename(inc, d, m) < 0)
					return NULL;
			} else {
				d->children = SK__INCR_ALL;
				d->dev = dev;
				d->ino = ino;
			}
			d->nfs |= nfs;
		}
		d->found = 1;
	} else {
		m = sk__snap_find_id(inc->s, dev, ino);
		d = sk__snap_add(inc->s, name, &st->st_mtim, dev, ino, nfs,
		                 NULL, 0);
		if (d == NULL)
			return NULL;
		d->found = 1;
		d->children = m ? SK__INCR_CHANGED : SK__INCR_ALL;
		if (m && strcmp(m->name, name) != 0 &&
		    note_rename(inc, d, m) < 0)
			return NULL;
	}
	if (*code == 'N') {
		if (slot)
			*slot = 'N';
		return d;
	}
	if ((inc->flags & SK__INCR_ONE_FS) && parent &&
	    (uintmax_t)st->st_dev != parent->dev) {
		d->children = SK__INCR_NONE;
		d->dump[0] = '\0';
		d->dumplen = 1;
	} else if (parent && parent->children == SK__INCR_ALL) {
		d->children = SK__INCR_ALL;
	}
	d->visited = 1;
	if (d->children != SK__INCR_NONE) {
		if (tag == SK_EXCL_TAG_ALL) {
			*code = 'N';
			d->children = SK__INCR_NONE;
		} else if (tag == SK_EXCL_TAG_CONTENTS) {
			d->children = SK__INCR_NONE;
			d->tagfile = tagname;
		} else if (tag == SK_EXCL_TAG_UNDER) {
			d->tagfile = tagname;
		}
	}
	if (slot)
		*slot = *code;
	if (*code == 'D' && add_order(inc, d) < 0)
		return NULL;
	return d;
}

void
sk__incr_drop(struct sk__snap_dir *parent, const char *base)
{
	char *slot = locate(parent->dump, base);

	if (slot)
		*slot = 'N';
}

static int
cmp_ents(const void *a, const void *b)
{
	return strcmp(((const struct sk__incr_ent *)a)->name,
	              ((const struct sk__incr_ent *)b)->name);
}

/* Replaces dir's dumpdir with the n codes and names given. */
static int
set_dump(struct sk__snap_dir *dir, const struct sk__incr_ent *ents, size_t n)
{
	size_t len = 1;
	char *dump, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(ents[i].name) + 2;
	if ((dump = malloc(len)) == NULL)
		return -1;
	p = dump;
	for (size_t i = 0; i < n; i++) {
		*p++ = ents[i].code;
		p = stpcpy(p, ents[i].name) + 1;
	}
	*p = '\0';
	free(dir->olddump);
	dir->olddump = dir->dump;
	dir->olddumplen = dir->dumplen;
	dir->dump = dump;
	dir->dumplen = len;
	return 0;
}

int
sk__incr_entries(struct sk__incr *inc, struct sk__snap_dir *dir,
                 struct sk__incr_ent *ents, size_t n)
{
	char *old;

	if (dir->children == SK__INCR_NONE) {
		/* Nothing below it is stored; a tag's directory keeps just
		 * the tag, any other keeps the dumpdir it had. */
		for (size_t i = 0; i < n; i++)
			ents[i].code = 'N';
		struct sk__incr_ent tag = {dir->tagfile, 0,      0,  0, 0,
		                           {0, 0},       {0, 0}, 'Y'};
		return dir->tagfile ? set_dump(dir, &tag, 1) : 0;
	}
	if (dir->children == SK__INCR_ALL)
		old = NULL;
	else if (dir->orig)
		old = dir->orig->olddump ? dir->orig->olddump : dir->orig->dump;
	else
		old = dir->dump;
	if (n > 1)
		qsort(ents, n, sizeof *ents, cmp_ents);
	for (size_t i = 0; i < n; i++) {
		struct sk__incr_ent *e = &ents[i];
		int is_new = locate(old, e->name) == NULL;
		if (dir->tagfile || e->excluded || e->gone)
			e->code = 'N';
		else if (e->is_dir)
			e->code = 'D';
		else if ((inc->flags & SK__INCR_ONE_FS) &&
		         (uintmax_t)e->dev != dir->dev)
			e->code = 'N';
		else if (is_new)
			e->code = 'Y';
		else
			e->code = older(&e->mtime, &inc->newer) &&
			                  older(&e->ctime, &inc->newer)
			              ? 'N'
			              : 'Y';
	}
	return set_dump(dir, ents, n);
}

int
sk__incr_file_newer(const struct sk__incr *inc, const struct stat *st)
{
	return !(older(&st->st_mtim, &inc->newer) &&
	         older(&st->st_ctim, &inc->newer));
}

static int
cmp_dirs(const void *a, const void *b)
{
	return strcmp((*(struct sk__snap_dir *const *)a)->name,
	              (*(struct sk__snap_dir *const *)b)->name);
}

/* Appends "C" then s (made relative as GNU tar stores names) to buf. */
static int
append(char **buf, size_t *len, char c, const char *s)
{
	size_t l;
	char *nb;

	s = sk__safer_name(s);
	l = strlen(s);
	if ((nb = realloc(*buf, *len + l + 3)) == NULL)
		return -1;
	*buf = nb;
	nb[*len - 1] = c;
	memcpy(nb + *len, s, l + 1);
	*len += l + 2;
	nb[*len - 1] = '\0';
	return 0;
}

/* GNU tar's rename records for the chain ending at d; a cycle goes
 * through a temporary directory (X) beside d. */
static int
store_rename(struct sk__snap_dir *d, char **buf, size_t *len)
{
	struct sk__snap_dir *prev = d, *p;

	while (prev && prev->orig != d)
		prev = prev->orig;
	if (prev == NULL) {
		for (p = d; p && p->orig; p = p->orig)
			if (append(buf, len, 'R', p->orig->name) < 0 ||
			    append(buf, len, 'T', p->name) < 0)
				return -1;
		return 0;
	}
	{
		char *dir = strdup(d->name), *slash;
		int rc;
		if (dir == NULL)
			return -1;
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			strcpy(dir, ".");
		rc = append(buf, len, 'X', dir);
		free(dir);
		if (rc < 0 || append(buf, len, 'R', d->name) < 0 ||
		    append(buf, len, 'T', "") < 0)
			return -1;
	}
	for (p = d; p != prev; p = p->orig)
		if (append(buf, len, 'R', p->orig->name) < 0 ||
		    append(buf, len, 'T', p->name) < 0)
			return -1;
	if (append(buf, len, 'R', "") < 0 ||
	    append(buf, len, 'T', prev->name) < 0)
		return -1;
	return 0;
}

int
sk__incr_finish(struct sk__incr *inc)
{
	struct sk__snap_dir *first;
	size_t len;
	char *buf;

	if (inc->norder == 0)
		return 0;
	qsort(inc->order, inc->norder, sizeof *inc->order, cmp_dirs);
	first = inc->order[0];
	len = first->dumplen;
	if ((buf = malloc(len)) == NULL)
		return -1;
	memcpy(buf, first->dump, len);
	for (size_t i = 0; i < inc->s->n; i++)
		if (inc->s->v[i]->renamed &&
		    store_rename(inc->s->v[i], &buf, &len) < 0) {
			free(buf);
			return -1;
		}
	free(first->dump);
	first->dump = buf;
	first->dumplen = len;
	return 0;
}

struct sk__snap_dir *const *
sk__incr_order(struct sk__incr *inc, size_t *n)
{
	*n = inc->norder;
	return inc->order;
}

const char *
sk__incr_dumpdir(const struct sk__snap_dir *dir, size_t *len)
{
	*len = dir->dumplen;
	return dir->dump;
}

void
sk__incr_set_mtime(struct sk__snap_dir *dir, const struct timespec *t)
{
	dir->mtime = *t;
}

int
sk__incr_commit(struct sk__incr *inc, int fd)
{
	inc->s->time = inc->start;
	return sk__snap_write(inc->s, fd, 1);
}

int
sk__incr_save(struct sk__incr *inc, const char *path)
{
	sk_atomic *a = sk_atomic_open(path, 0);

	if (a == NULL)
		return -1;
	if (sk__incr_commit(inc, sk_atomic_fd(a)) < 0) {
		int e = errno;
		sk_atomic_abort(a);
		errno = e;
		return -1;
	}
	return sk_atomic_commit(a);
}

void
sk__incr_free(struct sk__incr *inc)
{
	if (inc == NULL)
		return;
	sk__snap_free(inc->s);
	free(inc->order);
	free(inc);
}

SK_API sk_tar_snapshot *
sk_tar_snapshot_open(const char *path, int flags, char *err, size_t errlen)
{
	sk_tar_snapshot *s = calloc(1, sizeof *s);
	int fd = -1, e;

	if (errlen)
		err[0] = '\0';
	if (s == NULL)
		return NULL;
	s->flags = flags;
	/* GNU tar's --level=0 reads nothing; neither does a new chain. */
	if (!(flags & SK_TAR_SNAP_LEVEL0) &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 &&
	    errno != ENOENT) {
		e = errno;
		if (errlen)
			snprintf(err, errlen, "cannot read: %s", strerror(e));
		goto fail;
	}
	if (fd >= 0) {
		s->old = sk__snap_load(fd, err, errlen);
		e = errno;
		close(fd);
		if (s->old == NULL)
			goto fail;
	}
	/* The new one is made aside now: a directory it cannot be written
	 * in fails here, before the dump, not after it. */
	if ((s->out = sk_atomic_open(path, 0)) == NULL) {
		e = errno;
		if (errlen)
			snprintf(err, errlen, "cannot write: %s", strerror(e));
		goto fail;
	}
	return s;
fail:
	sk__snap_free(s->old);
	free(s);
	errno = e;
	return NULL;
}

SK_API int
sk_tar_snapshot_commit(sk_tar_snapshot *s)
{
	sk_atomic *out = s->out;
	int e = 0;

	if (s->inc == NULL)
		e = EINVAL; /* no dump was made with it */
	else if (sk__incr_commit(s->inc, sk_atomic_fd(out)) < 0)
		e = errno;
	else if ((s->out = NULL, sk_atomic_commit(out)) < 0)
		e = errno;
	sk_tar_snapshot_close(s);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

SK_API void
sk_tar_snapshot_close(sk_tar_snapshot *s)
{
	if (s == NULL)
		return;
	if (s->out)
		sk_atomic_abort(s->out);
	sk__incr_free(s->inc);
	sk__snap_free(s->old);
	free(s);
}
