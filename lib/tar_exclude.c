/*
 * tar_exclude.c - GNU tar's exclusion options as one set a walk consults:
 * the patterns, the tag files that cut a directory, and the ignore files
 * read in each directory.  Semantics from GNU tar's manual and its
 * behaviour (1.34, with two bugs of that release fixed as upstream has:
 * --exclude-ignore applies to its own directory only, and wildcard
 * patterns of a .cvsignore work).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tar_match.h"

#define CACHEDIR_SIGNATURE "Signature: 8a477f597d28d172789f06886806bc55"
#define IGNORE_MAX         ((size_t)64 << 20)

enum syntax { SYN_GIT, SYN_CVS, SYN_BZR, SYN_HG };

/* A tag file (kind) or an ignore file (recursive, syntax), by name. */
struct rule {
	char *name;
	int kind;
	int recursive;
	enum syntax syntax;
};

struct sk_exclude {
	struct sk__exlist *global;
	struct rule *tags; /* in the order given; tried from the last */
	size_t ntags;
	struct rule *ign;
	size_t nign;
	void (*warn)(void *arg, const char *path, int err, const char *what);
	void *arg;
};

/* One ignore file's patterns in one directory. */
struct dirlist {
	struct sk__exlist *list;
	int recursive;
};

struct sk_exclude_dir {
	const sk_exclude_dir *parent;
	struct dirlist *lists;
	size_t n;
};

SK_API sk_exclude *
sk_exclude_new(void (*warn)(void *, const char *, int, const char *), void *arg)
{
	sk_exclude *x = calloc(1, sizeof *x);

	if (x == NULL)
		return NULL;
	if ((x->global = sk__exlist_new()) == NULL) {
		free(x);
		return NULL;
	}
	x->warn = warn;
	x->arg = arg;
	return x;
}

SK_API int
sk_exclude_add(sk_exclude *x, const char *pattern, int flags)
{
	if (x == NULL || pattern == NULL ||
	    (flags & ~(SK_EXCL_WILDCARDS | SK_EXCL_ANCHORED | SK_EXCL_CASEFOLD |
	               SK_EXCL_NOSLASH | SK_EXCL_LEADING_DIR))) {
		errno = EINVAL;
		return -1;
	}
	return sk__exlist_add(x->global, pattern, flags);
}

SK_API int
sk_exclude_add_vcs(sk_exclude *x)
{
	static const char *const names[] = {
	    "CVS",          ".cvsignore", ".svn",       "RCS",
	    "SCCS",         ".git",       ".gitignore", ".gitattributes",
	    ".gitmodules",  ".arch-ids",  "{arch}",     "=RELEASE-ID",
	    "=meta-update", "=update",    ".bzr",       ".bzrignore",
	    ".bzrtags",     ".hg",        ".hgignore",  ".hgtags",
	    "_darcs"};

	/* GNU tar adds them literally, without recursion: they match a
	 * whole component of the name, and a directory of that name is cut
	 * (with what is below it) because the walk never enters it. */
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (sk__exlist_add(x->global, names[i], 0) < 0)
			return -1;
	return 0;
}

SK_API int
sk_exclude_add_backups(sk_exclude *x)
{
	static const char *const pats[] = {".#*", "*~", "#*#"};

	for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
		if (sk__exlist_add(x->global, pats[i], SK_EXCL_WILDCARDS) < 0)
			return -1;
	return 0;
}

/* Appends a rule named name (a single component) to *v; NULL with errno
 * (EINVAL for a bad name). */
static struct rule *
add_rule(struct rule **v, size_t *n, const char *name)
{
	struct rule *nv;

	if (name == NULL || *name == '\0' || strchr(name, '/')) {
		errno = EINVAL;
		return NULL;
	}
	if ((nv = realloc(*v, (*n + 1) * sizeof *nv)) == NULL)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof nv[*n]);
	if ((nv[*n].name = strdup(name)) == NULL)
		return NULL;
	return &nv[(*n)++];
}

SK_API int
sk_exclude_add_tag(sk_exclude *x, const char *name, int kind)
{
	int k = kind & ~SK_EXCL_TAG_CACHEDIR;
	struct rule *r;

	if (x == NULL || k < SK_EXCL_TAG_CONTENTS || k > SK_EXCL_TAG_ALL) {
		errno = EINVAL;
		return -1;
	}
	if ((r = add_rule(&x->tags, &x->ntags, name)) == NULL)
		return -1;
	r->kind = kind;
	return 0;
}

static enum syntax
syntax_of(const char *name)
{
	if (strcmp(name, ".cvsignore") == 0)
		return SYN_CVS;
	if (strcmp(name, ".bzrignore") == 0)
		return SYN_BZR;
	if (strcmp(name, ".hgignore") == 0)
		return SYN_HG;
	return SYN_GIT;
}

SK_API int
sk_exclude_add_ignore(sk_exclude *x, const char *name, int how)
{
	struct rule *r;

	if (x == NULL ||
	    (how != SK_EXCL_IGNORE_DIR && how != SK_EXCL_IGNORE_RECURSIVE)) {
		errno = EINVAL;
		return -1;
	}
	if ((r = add_rule(&x->ign, &x->nign, name)) == NULL)
		return -1;
	r->recursive = how == SK_EXCL_IGNORE_RECURSIVE;
	r->syntax = syntax_of(name);
	return 0;
}

SK_API int
sk_exclude_add_vcs_ignores(sk_exclude *x)
{
	if (sk_exclude_add_ignore(x, ".cvsignore", SK_EXCL_IGNORE_DIR) < 0 ||
	    sk_exclude_add_ignore(x, ".gitignore", SK_EXCL_IGNORE_RECURSIVE) <
	        0 ||
	    sk_exclude_add_ignore(x, ".bzrignore", SK_EXCL_IGNORE_RECURSIVE) <
	        0 ||
	    sk_exclude_add_ignore(x, ".hgignore", SK_EXCL_IGNORE_RECURSIVE) < 0)
		return -1;
	return 0;
}

/* Whether the tag file is there and, for a cache tag, signed. */
static int
tag_present(int dirfd, const struct rule *t, int follow)
{
	char buf[sizeof CACHEDIR_SIGNATURE - 1];
	int fd = openat(dirfd, t->name,
	                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	                    (follow ? 0 : O_NOFOLLOW));
	int ok = fd >= 0;

	if (ok && (t->kind & SK_EXCL_TAG_CACHEDIR))
		ok = read(fd, buf, sizeof buf) == (ssize_t)sizeof buf &&
		     memcmp(buf, CACHEDIR_SIGNATURE, sizeof buf) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Skips leading white space; 1 when what is left is a pattern. */
static int
comment_or_blank(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
	return **p == '\0' || **p == '#';
}

/*
 * Adds one line of an ignore file in its syntax.  *hg is the .hgignore
 * syntax in force (SK__EX_REGEX or SK_EXCL_WILDCARDS).
 */
static int
add_line(struct sk__exlist *l, enum syntax syn, char *line, int *hg)
{
	const int base = SK_EXCL_NOSLASH | SK_EXCL_WILDCARDS | SK_EXCL_ANCHORED;
	const char *p = line;
	int opts = base;
	size_t len;

	char *save = NULL;

	switch (syn) {
	case SYN_CVS:
		for (char *w = strtok_r(line, " \t\n", &save); w;
		     w = strtok_r(NULL, " \t\n", &save))
			if (sk__exlist_add(l, w, opts) < 0)
				return -1;
		return 0;
	case SYN_GIT:
		if (comment_or_blank(&p))
			return 0;
		if (p[0] == '\\' && p[1] == '#')
			p++;
		return sk__exlist_add(l, p, opts);
	case SYN_BZR:
		if (comment_or_blank(&p))
			return 0;
		if (*p == '!') {
			if (*++p == '!')
				p++;
			else
				opts |= SK__EX_INCLUDE;
		}
		if (strncmp(p, "RE:", 3) == 0) {
			p += 3;
			opts = (opts & ~SK_EXCL_WILDCARDS) | SK__EX_REGEX;
		}
		return sk__exlist_add(l, p, opts);
	case SYN_HG:
		if (comment_or_blank(&p))
			return 0;
		if (strncmp(p, "syntax:", 7) == 0) {
			for (p += 7; isspace((unsigned char)*p); p++)
				;
			if (strcmp(p, "regexp") == 0)
				*hg = SK__EX_REGEX;
			else if (strcmp(p, "glob") == 0)
				*hg = SK_EXCL_WILDCARDS;
			return 0;
		}
		len = strlen(p);
		if (p[len - 1] == '/') {
			line[p - line + len - 1] = '\0';
			opts |= SK_EXCL_LEADING_DIR;
		}
		opts &= ~(SK__EX_REGEX | SK_EXCL_WILDCARDS);
		return sk__exlist_add(l, p, opts | *hg);
	}
	return 0;
}

/* Reads an open ignore file into a new list; NULL with errno. */
static struct sk__exlist *
read_ignore(int fd, enum syntax syn)
{
	struct sk__exlist *l = sk__exlist_new();
	size_t n = 0, cap = 0;
	char *buf = NULL, *line;
	int hg = SK__EX_REGEX, e = 0;

	for (;;) {
		ssize_t r;
		if (cap - n < 4096) {
			char *nb;
			cap = cap ? 2 * cap : 8192;
			if (cap > IGNORE_MAX + 8192 ||
			    (nb = realloc(buf, cap + 1)) == NULL) {
				e = cap > IGNORE_MAX ? EFBIG : ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (l == NULL || e) {
		free(buf);
		sk__exlist_free(l);
		errno = e ? e : ENOMEM;
		return NULL;
	}
	/* Lines end at '\n'; trailing white space is dropped, and so are
	 * lines left empty, as GNU tar reads them. */
	line = buf;
	for (size_t i = 0; buf && i <= n; i++) {
		if (i < n && buf[i] != '\n')
			continue;
		buf[i] = '\0';
		for (char *end = buf + i;
		     end > line && isspace((unsigned char)end[-1]); end--)
			end[-1] = '\0';
		if (*line && add_line(l, syn, line, &hg) < 0) {
			free(buf);
			sk__exlist_free(l);
			return NULL;
		}
		line = buf + i + 1;
	}
	free(buf);
	return l;
}

/* Opens the ignore file name in dirfd if it is there: 1 with *out, 0 when
 * absent, -1 with errno when it is there but cannot be read. */
static int
load_ignore(int dirfd, const struct rule *ig, struct sk__exlist **out)
{
	struct stat st;
	int fd, e;

	if (faccessat(dirfd, ig->name, F_OK, 0) < 0)
		return 0;
	fd = openat(dirfd, ig->name,
	            O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else
		e = 0;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	*out = read_ignore(fd, ig->syntax);
	e = errno;
	close(fd);
	errno = e;
	return *out ? 1 : -1;
}

SK_API sk_exclude_dir *
sk_exclude_dir_open(const sk_exclude *x, const sk_exclude_dir *parent,
                    int dirfd, const char *path, int follow, int *tag,
                    const char **tagname)
{
	sk_exclude_dir *d = calloc(1, sizeof *d);

	*tag = SK_EXCL_TAG_NONE;
	*tagname = NULL;
	if (d == NULL)
		return NULL;
	d->parent = parent;
	for (size_t i = x->ntags; i-- > 0;)
		if (tag_present(dirfd, &x->tags[i], follow)) {
			*tag = x->tags[i].kind & ~SK_EXCL_TAG_CACHEDIR;
			*tagname = x->tags[i].name;
			break;
		}
	if (x->nign && (d->lists = calloc(x->nign, sizeof *d->lists)) == NULL) {
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < x->nign; i++) {
		struct sk__exlist *l = NULL;
		int rc = load_ignore(dirfd, &x->ign[i], &l);
		if (rc < 0 && errno == ENOMEM) {
			sk_exclude_dir_close(d);
			errno = ENOMEM;
			return NULL;
		}
		if (rc < 0 && x->warn) {
			size_t len = strlen(path) + strlen(x->ign[i].name) + 2;
			char *full = malloc(len);
			int e = errno;
			if (full)
				snprintf(full, len, "%s/%s", path,
				         x->ign[i].name);
			x->warn(x->arg, full ? full : x->ign[i].name, e,
			        "cannot read ignore file; not used");
			free(full);
		}
		if (rc > 0) {
			d->lists[d->n].list = l;
			d->lists[d->n++].recursive = x->ign[i].recursive;
		}
	}
	return d;
}

SK_API void
sk_exclude_dir_close(sk_exclude_dir *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		sk__exlist_free(d->lists[i].list);
	free(d->lists);
	free(d);
}

/* An ignore list against the name, the name without its leading "./",
 * and its last component. */
static int
list_matches(const struct sk__exlist *l, const char *name)
{
	const char *rel = name, *base = strrchr(name, '/');
	int r;

	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if ((r = sk__exlist_match(l, name)) != 0)
		return r;
	if ((r = sk__exlist_match(l, rel)) != 0)
		return r;
	return sk__exlist_match(l, base ? base + 1 : name);
}

SK_API int
sk_exclude_test(const sk_exclude *x, const sk_exclude_dir *dir,
                const char *name)
{
	int r = sk__exlist_match(x->global, name);

	for (int own = 1; r == 0 && dir; dir = dir->parent, own = 0)
		for (size_t i = 0; r == 0 && i < dir->n; i++)
			if (own || dir->lists[i].recursive)
				r = list_matches(dir->lists[i].list, name);
	return r;
}

SK_API void
sk_exclude_free(sk_exclude *x)
{
	if (x == NULL)
		return;
	sk__exlist_free(x->global);
	for (size_t i = 0; i < x->ntags; i++)
		free(x->tags[i].name);
	for (size_t i = 0; i < x->nign; i++)
		free(x->ign[i].name);
	free(x->tags);
	free(x->ign);
	free(x);
}
