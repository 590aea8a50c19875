/*
 * tar_snapshot.c - GNU tar's snapshot file for listed-incremental dumps,
 * format version 2, read as GNU tar 1.34 reads it and written as it
 * writes it:
 *
 *   "GNU tar-1.34-2\n"
 *   SEC \0 NSEC \0                        the time the dump started
 *   then per directory:
 *   NFS \0 MTIME_SEC \0 MTIME_NSEC \0 DEV \0 INO \0 NAME \0
 *   (CODE NAME \0)*  \0  \0               its dumpdir: Y, N or D entries
 *
 * Numbers are decimal.  GNU tar reads any "GNU tar-VERSION-2" first line;
 * records may come in any order.  A loaded file written back unchanged is
 * the same bytes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar_incr.h"

#define HEADER "GNU tar-1.34-2\n"

static size_t
hash_str(const char *s)
{
	size_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static size_t
hash_id(uintmax_t dev, uintmax_t ino)
{
	return (size_t)((dev * 0x9e3779b97f4a7c15u) ^ ino);
}

/* A name for lookups: no "." components, no repeated or trailing '/'. */
static char *
normalize(const char *name)
{
	char *out = malloc(strlen(name) + 2), *o = out;
	const char *p = name;

	if (out == NULL)
		return NULL;
	if (*p == '/')
		*o++ = '/';
	while (*p) {
		size_t len;
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (!(len == 1 && p[0] == '.')) {
			if (o > out && o[-1] != '/')
				*o++ = '/';
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	if (o == out)
		*o++ = '.';
	*o = '\0';
	return out;
}

/* Puts r into the two indexes unless a record with its key is there,
 * as GNU's tables keep the first record they got. */
static void
index_one(struct sk__snap *s, struct sk__snap_dir *r)
{
	size_t m = s->nslot - 1, i;

	for (i = hash_str(r->key) & m; s->byname[i]; i = (i + 1) & m)
		if (strcmp(s->byname[i]->key, r->key) == 0)
			break;
	if (s->byname[i] == NULL)
		s->byname[i] = r;
	for (i = hash_id(r->dev, r->ino) & m; s->byid[i]; i = (i + 1) & m)
		if (s->byid[i]->dev == r->dev && s->byid[i]->ino == r->ino)
			break;
	if (s->byid[i] == NULL)
		s->byid[i] = r;
}

static int
grow(struct sk__snap *s)
{
	size_t n = s->nslot ? s->nslot : 64;
	struct sk__snap_dir **a, **b, **v;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		if ((v = realloc(s->v, cap * sizeof *v)) == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	while (n < 2 * (s->n + 1))
		n *= 2;
	if (n == s->nslot)
		return 0;
	a = calloc(n, sizeof *a);
	b = calloc(n, sizeof *b);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -1;
	}
	free(s->byname);
	free(s->byid);
	s->byname = a;
	s->byid = b;
	s->nslot = n;
	for (size_t k = 0; k < s->n; k++)
		index_one(s, s->v[k]);
	return 0;
}

struct sk__snap *
sk__snap_new(void)
{
	struct sk__snap *s = calloc(1, sizeof *s);

	if (s && grow(s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

struct sk__snap_dir *
sk__snap_add(struct sk__snap *s, const char *name, const struct timespec *mtime,
             uintmax_t dev, uintmax_t ino, int nfs, const char *dump,
             size_t dumplen)
{
	struct sk__snap_dir *r;
	size_t len = strlen(name);

	if (grow(s) < 0 || (r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	/* GNU drops one trailing slash of a name. */
	if (len > 1 && name[len - 1] == '/')
		len--;
	r->name = strndup(name, len);
	r->key = r->name ? normalize(r->name) : NULL;
	if (dumplen == 0) {
		dump = "";
		dumplen = 1;
	}
	r->dump = malloc(dumplen);
	if (r->name == NULL || r->key == NULL || r->dump == NULL) {
		free(r->name);
		free(r->key);
		free(r->dump);
		free(r);
		return NULL;
	}
	memcpy(r->dump, dump, dumplen);
	r->dumplen = dumplen;
	r->mtime = *mtime;
	r->dev = dev;
	r->ino = ino;
	r->nfs = nfs;
	s->v[s->n++] = r;
	index_one(s, r);
	return r;
}

struct sk__snap_dir *
sk__snap_find(const struct sk__snap *s, const char *name)
{
	char *key = normalize(name);
	size_t m = s->nslot - 1, i;
	struct sk__snap_dir *r = NULL;

	if (key == NULL)
		return NULL;
	for (i = hash_str(key) & m; s->byname[i]; i = (i + 1) & m)
		if (strcmp(s->byname[i]->key, key) == 0) {
			r = s->byname[i];
			break;
		}
	free(key);
	return r;
}

struct sk__snap_dir *
sk__snap_find_id(const struct sk__snap *s, uintmax_t dev, uintmax_t ino)
{
	size_t m = s->nslot - 1;

	for (size_t i = hash_id(dev, ino) & m; s->byid[i]; i = (i + 1) & m)
		if (s->byid[i]->dev == dev && s->byid[i]->ino == ino)
			return s->byid[i];
	return NULL;
}

/* A cursor over the file's bytes, for messages that say where. */
struct cur {
	const char *p, *end, *start;
	char *err;
	size_t errlen;
};

static int
bad(struct cur *c, const char *what)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "byte %zu: %s",
		         (size_t)(c->p - c->start), what);
	errno = EINVAL;
	return -1;
}

/* A NUL-terminated string at the cursor; NULL at the end of the file. */
static const char *
field(struct cur *c, size_t *len)
{
	const char *s = c->p, *z;

	if (s >= c->end)
		return NULL;
	if ((z = memchr(s, '\0', (size_t)(c->end - s))) == NULL)
		return NULL;
	*len = (size_t)(z - s);
	c->p = z + 1;
	return s;
}

/* A decimal number field in [lo, hi]; 1, 0 at a clean end, -1. */
static int
num(struct cur *c, const char *what, intmax_t lo, uintmax_t hi, uintmax_t *v,
    int *neg)
{
	const char *s;
	size_t len, i = 0;
	uintmax_t x = 0;

	if (c->p >= c->end)
		return 0;
	if ((s = field(c, &len)) == NULL)
		return bad(c, "unexpected end of snapshot file");
	*neg = len > 0 && s[0] == '-' && lo < 0;
	i = (size_t)*neg;
	if (i == len)
		return bad(c, what);
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (UINTMAX_MAX - 9) / 10)
			return bad(c, what);
		x = x * 10 + (uintmax_t)(s[i] - '0');
	}
	if (*neg ? x > (uintmax_t)INTMAX_MAX + 1 : x > hi)
		return bad(c, what);
	*v = x;
	return 1;
}

static int
timestamp(struct cur *c, struct timespec *t, int eof_ok)
{
	uintmax_t s, ns;
	int neg, rc = num(c, "invalid time stamp", INTMAX_MIN,
	                  (uintmax_t)INTMAX_MAX, &s, &neg);

	if (rc == 0 && !eof_ok)
		return bad(c, "unexpected end of snapshot file");
	if (rc <= 0)
		return rc;
	t->tv_sec = neg ? -(time_t)s : (time_t)s;
	rc = num(c, "invalid nanoseconds", 0, 999999999, &ns, &neg);
	if (rc <= 0)
		return rc == 0 ? bad(c, "unexpected end of snapshot file") : -1;
	t->tv_nsec = (long)ns;
	return 1;
}

static int
parse(struct sk__snap *s, struct cur *c)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	const char *dash;

	if (nl == NULL || strncmp(c->p, "GNU tar-", 8) != 0)
		return bad(c, "not a GNU tar snapshot of format version 2");
	dash = memrchr(c->p, '-', (size_t)(nl - c->p));
	if (dash == NULL || dash < c->p + 8 || nl - dash != 2 || dash[1] != '2')
		return bad(c, "unsupported snapshot format version (not 2)");
	c->p = nl + 1;
	if (timestamp(c, &s->time, 0) < 0)
		return -1;
	for (;;) {
		struct timespec mt;
		uintmax_t nfs, dev, ino;
		const char *name, *dump;
		size_t len;
		int neg, rc = num(c, "invalid nfs flag", 0, 1, &nfs, &neg);
		if (rc <= 0)
			return rc;
		if (timestamp(c, &mt, 0) < 0)
			return -1;
		rc =
		    num(c, "invalid device number", 0, UINTMAX_MAX, &dev, &neg);
		if (rc > 0)
			rc = num(c, "invalid inode number", 0, UINTMAX_MAX,
			         &ino, &neg);
		if (rc <= 0)
			return rc < 0
			           ? -1
			           : bad(c, "unexpected end of snapshot file");
		if ((name = field(c, &len)) == NULL)
			return bad(c, "unexpected end of snapshot file");
		dump = c->p;
		do {
			const char *e = field(c, &len);
			if (e == NULL)
				return bad(c,
				           "unexpected end of snapshot file");
		} while (len > 0);
		if (c->p >= c->end || *c->p != '\0')
			return bad(c, "missing record terminator");
		c->p++;
		if (sk__snap_add(s, name, &mt, dev, ino, (int)nfs, dump,
		                 (size_t)(c->p - 1 - dump)) == NULL)
			return -1;
	}
}

struct sk__snap *
sk__snap_load(int fd, char *err, size_t errlen)
{
	struct sk__snap *s = sk__snap_new();
	size_t n = 0, cap = 0;
	char *buf = NULL;
	struct cur c;
	int rc = 0, e;

	if (s == NULL)
		return NULL;
	for (;;) {
		ssize_t r;
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (nb == NULL) {
				rc = -1;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = (int)r;
			break;
		}
		n += (size_t)r;
	}
	if (rc == 0 && n > 0) {
		c = (struct cur){buf, buf + n, buf, err, errlen};
		rc = parse(s, &c);
	}
	e = errno;
	free(buf);
	if (rc < 0) {
		sk__snap_free(s);
		errno = e;
		return NULL;
	}
	return s;
}

/* stdio over the descriptor, so that a short write is an error. */
static int
put_num(FILE *f, intmax_t neg, uintmax_t v)
{
	return neg ? fprintf(f, "-%ju%c", v, 0) : fprintf(f, "%ju%c", v, 0);
}

int
sk__snap_write(const struct sk__snap *s, int fd, int found_only)
{
	FILE *f;
	int e, fd2 = dup(fd);

	if (fd2 < 0 || (f = fdopen(fd2, "w")) == NULL) {
		e = errno;
		if (fd2 >= 0)
			close(fd2);
		errno = e;
		return -1;
	}
	fputs(HEADER, f);
	put_num(f, s->time.tv_sec < 0,
	        s->time.tv_sec < 0 ? (uintmax_t) - (intmax_t)s->time.tv_sec
	                           : (uintmax_t)s->time.tv_sec);
	put_num(f, 0, (uintmax_t)s->time.tv_nsec);
	for (size_t i = 0; i < s->n; i++) {
		const struct sk__snap_dir *r = s->v[i];
		time_t t = r->mtime.tv_sec;
		if (found_only && !r->found)
			continue;
		put_num(f, 0, (uintmax_t)r->nfs);
		put_num(f, t < 0,
		        t < 0 ? (uintmax_t) - (intmax_t)t : (uintmax_t)t);
		put_num(f, 0, (uintmax_t)r->mtime.tv_nsec);
		put_num(f, 0, r->dev);
		put_num(f, 0, r->ino);
		fwrite(r->name, strlen(r->name) + 1, 1, f);
		/* Only the Y, N and D entries: rename records belong to the
		 * archive, not to the snapshot. */
		for (const char *p = r->dump; *p; p += strlen(p) + 1)
			if (*p == 'Y' || *p == 'N' || *p == 'D')
				fwrite(p, strlen(p) + 1, 1, f);
		fwrite("\0\0", 2, 1, f);
	}
	e = ferror(f) ? EIO : 0;
	if (fclose(f) != 0 && e == 0)
		e = errno;
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

void
sk__snap_free(struct sk__snap *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i]->name);
		free(s->v[i]->key);
		free(s->v[i]->dump);
		free(s->v[i]->olddump);
		free(s->v[i]);
	}
	free(s->v);
	free(s->byname);
	free(s->byid);
	free(s);
}
