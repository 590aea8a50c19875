/*
 * tar_match.c - GNU tar's exclude pattern lists, written from its manual
 * and its behaviour (gnulib's exclude module is what GNU tar uses):
 *   - a pattern is matched against the whole name and, unless anchored,
 *     against every part of it that follows a '/';
 *   - with wildcards, fnmatch(3) decides, '*' matching '/' unless asked
 *     not to, and a match of a leading directory counts (FNM_LEADING_DIR)
 *     when recursion is on; without wildcards, or for a pattern that has
 *     none, the name (or a leading directory of it) must equal the
 *     pattern, backslash escapes removed;
 *   - patterns are kept in segments of one kind, and the newest segment
 *     that matches decides whether the name is excluded or kept (an
 *     "include" pattern of a .bzrignore keeps it).
 */
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "tar_match.h"

enum { SEG_HASH, SEG_PATTERN };

struct pat {
	char *text;
	int opts;
	int has_re;
	regex_t re;
};

struct seg {
	struct seg *next; /* older segment */
	int type;
	int opts; /* the options of the patterns that opened it */
	struct pat *pats;
	size_t n, cap;
	/* SEG_HASH: open addressing over pats, slots hold index + 1. */
	size_t *slot;
	size_t nslot;
};

struct sk__exlist {
	struct seg *head; /* newest first */
};

/* The bits a literal segment groups by, as GNU's hash segments do. */
#define HASH_GROUP                                                             \
	(SK__EX_INCLUDE | SK_EXCL_ANCHORED | SK_EXCL_LEADING_DIR |             \
	 SK_EXCL_CASEFOLD)

static int
fnm_flags(int opts)
{
	return (opts & SK_EXCL_CASEFOLD ? FNM_CASEFOLD : 0) |
	       (opts & SK_EXCL_NOSLASH ? FNM_PATHNAME : 0) |
	       (opts & SK_EXCL_LEADING_DIR ? FNM_LEADING_DIR : 0);
}

/* Whether fnmatch would see a wildcard in s ('\' escapes one). */
static int
has_wildcards(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '*' || *s == '?' || *s == '[')
			return 1;
	}
	return 0;
}

/* Removes the backslash of every escape, in place. */
static void
unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		*out++ = *s;
	}
	*out = '\0';
}

/*
 * The next character of s, lowered, for case-blind comparison of names in
 * the current locale's encoding; a byte that is not a valid character
 * stands for itself.  Advances *s.
 */
static wint_t
next_lower(const char **s, mbstate_t *st)
{
	wchar_t wc;
	size_t n = mbrtowc(&wc, *s, MB_CUR_MAX, st);

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(st, 0, sizeof *st);
		return (wint_t)(unsigned char)*(*s)++ | 0x80000000u;
	}
	*s += n;
	return towlower((wint_t)wc);
}

static int
casecmp_eq(const char *a, const char *b)
{
	mbstate_t sa, sb;

	memset(&sa, 0, sizeof sa);
	memset(&sb, 0, sizeof sb);
	while (*a && *b)
		if (next_lower(&a, &sa) != next_lower(&b, &sb))
			return 0;
	return *a == *b;
}

static size_t
hash_name(const char *s, int casefold)
{
	size_t h = 2166136261u;
	mbstate_t st;

	memset(&st, 0, sizeof st);
	while (*s) {
		wint_t c = casefold ? next_lower(&s, &st) : (unsigned char)*s++;
		h = (h ^ (size_t)c) * 16777619u;
	}
	return h;
}

static int
names_equal(const char *a, const char *b, int casefold)
{
	return casefold ? casecmp_eq(a, b) : strcmp(a, b) == 0;
}

static size_t
hash_find(const struct seg *g, const char *name)
{
	int cf = (g->opts & SK_EXCL_CASEFOLD) != 0;
	size_t i;

	if (g->nslot == 0)
		return 0;
	i = hash_name(name, cf) & (g->nslot - 1);
	for (; g->slot[i]; i = (i + 1) & (g->nslot - 1))
		if (names_equal(g->pats[g->slot[i] - 1].text, name, cf))
			return g->slot[i];
	return 0;
}

/* Rebuilds the index at twice the entries, so it stays at most half full. */
static int
hash_grow(struct seg *g)
{
	size_t n = 16, *slot;
	int cf = (g->opts & SK_EXCL_CASEFOLD) != 0;

	while (n < 2 * (g->n + 1))
		n *= 2;
	if (n <= g->nslot)
		return 0;
	if ((slot = calloc(n, sizeof *slot)) == NULL)
		return -1;
	for (size_t k = 0; k < g->n; k++) {
		size_t i = hash_name(g->pats[k].text, cf) & (n - 1);
		while (slot[i])
			i = (i + 1) & (n - 1);
		slot[i] = k + 1;
	}
	free(g->slot);
	g->slot = slot;
	g->nslot = n;
	return 0;
}

static struct seg *
head_segment(struct sk__exlist *l, int type, int opts)
{
	struct seg *g = l->head;

	if (g && g->type == type &&
	    (type == SEG_PATTERN
	         ? (g->opts & SK__EX_INCLUDE) == (opts & SK__EX_INCLUDE)
	         : (g->opts & HASH_GROUP) == (opts & HASH_GROUP)))
		return g;
	if ((g = calloc(1, sizeof *g)) == NULL)
		return NULL;
	g->type = type;
	g->opts = opts;
	g->next = l->head;
	l->head = g;
	return g;
}

/* A regex matches a leading directory when it may be followed by "/...". */
static int
compile_regex(struct pat *p)
{
	int cflags = REG_EXTENDED | REG_NOSUB |
	             (p->opts & SK_EXCL_CASEFOLD ? REG_ICASE : 0);
	size_t len = strlen(p->text);
	char *tmp;
	int rc;

	if (!(p->opts & SK_EXCL_LEADING_DIR))
		return regcomp(&p->re, p->text, cflags);
	while (len > 0 && p->text[len - 1] == '/')
		len--;
	if (len == 0)
		return 1;
	if ((tmp = malloc(len + sizeof "(/.*)?")) == NULL)
		return -1;
	memcpy(tmp, p->text, len);
	strcpy(tmp + len, "(/.*)?");
	rc = regcomp(&p->re, tmp, cflags);
	free(tmp);
	return rc;
}

int
sk__exlist_add(struct sk__exlist *l, const char *pattern, int opts)
{
	int wild = (opts & (SK__EX_REGEX | SK_EXCL_WILDCARDS)) &&
	           has_wildcards(pattern);
	struct seg *g = head_segment(l, wild ? SEG_PATTERN : SEG_HASH, opts);
	struct pat *p;
	char *text;

	if (g == NULL || (text = strdup(pattern)) == NULL)
		return -1;
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		struct pat *np = realloc(g->pats, cap * sizeof *np);
		if (np == NULL) {
			free(text);
			return -1;
		}
		g->pats = np;
		g->cap = cap;
	}
	p = &g->pats[g->n];
	memset(p, 0, sizeof *p);
	p->text = text;
	p->opts = opts;
	if (wild) {
		if (opts & SK__EX_REGEX) {
			int rc = compile_regex(p);
			if (rc != 0) {
				free(text);
				if (rc < 0)
					return -1;
				return 0; /* GNU tar drops a bad regex */
			}
			p->has_re = 1;
		}
		g->n++;
		return 0;
	}
	if (opts & SK_EXCL_WILDCARDS)
		unescape(text);
	if (hash_find(g, text)) {
		free(text);
		return 0;
	}
	if (hash_grow(g) < 0) {
		free(text);
		return -1;
	}
	g->n++;
	{
		size_t i = hash_name(text, (g->opts & SK_EXCL_CASEFOLD) != 0) &
		           (g->nslot - 1);
		while (g->slot[i])
			i = (i + 1) & (g->nslot - 1);
		g->slot[i] = g->n;
	}
	return 0;
}

/* A wildcard pattern against name and, unanchored, every part after '/'. */
static int
pattern_matches(const struct pat *p, const char *name)
{
	int fl = fnm_flags(p->opts);

	if (p->has_re)
		return regexec(&p->re, name, 0, NULL, 0) == 0;
	if (fnmatch(p->text, name, fl) == 0)
		return 1;
	if (!(p->opts & SK_EXCL_ANCHORED))
		for (const char *s = name; *s; s++)
			if (s[0] == '/' && s[1] != '/' &&
			    fnmatch(p->text, s + 1, fl) == 0)
				return 1;
	return 0;
}

/* A literal segment: the name, or (leading dir) any directory above it,
 * or the same for every part after a '/' when unanchored. */
static int
literal_matches(const struct seg *g, const char *name, char *buf)
{
	for (;;) {
		strcpy(buf, name);
		for (;;) {
			char *slash;
			if (hash_find(g, buf))
				return 1;
			if (!(g->opts & SK_EXCL_LEADING_DIR) ||
			    (slash = strrchr(buf, '/')) == NULL)
				break;
			*slash = '\0';
		}
		if (g->opts & SK_EXCL_ANCHORED)
			return 0;
		if ((name = strchr(name, '/')) == NULL)
			return 0;
		name++;
	}
}

int
sk__exlist_match(const struct sk__exlist *l, const char *name)
{
	char small[256], *buf = small;
	size_t len = strlen(name);
	const struct seg *g;
	int hit = 0;

	if (l == NULL || l->head == NULL)
		return 0;
	if (len >= sizeof small && (buf = malloc(len + 1)) == NULL)
		return -1;
	for (g = l->head; g; g = g->next) {
		if (g->type == SEG_HASH) {
			hit = literal_matches(g, name, buf);
		} else {
			for (size_t i = 0; i < g->n && !hit; i++)
				hit = pattern_matches(&g->pats[i], name);
		}
		if (hit)
			break;
	}
	if (buf != small)
		free(buf);
	if (hit)
		return !(g->opts & SK__EX_INCLUDE);
	/* No match: the opposite of what the oldest pattern does, so a list
	 * that starts with an include keeps only what it includes. */
	for (g = l->head; g->next; g = g->next)
		;
	return (g->opts & SK__EX_INCLUDE) != 0;
}

int
sk__exlist_empty(const struct sk__exlist *l)
{
	return l == NULL || l->head == NULL;
}

struct sk__exlist *
sk__exlist_new(void)
{
	return calloc(1, sizeof(struct sk__exlist));
}

void
sk__exlist_free(struct sk__exlist *l)
{
	if (l == NULL)
		return;
	while (l->head) {
		struct seg *g = l->head;
		l->head = g->next;
		for (size_t i = 0; i < g->n; i++) {
			if (g->pats[i].has_re)
				regfree(&g->pats[i].re);
			free(g->pats[i].text);
		}
		free(g->pats);
		free(g->slot);
		free(g);
	}
	free(l);
}
