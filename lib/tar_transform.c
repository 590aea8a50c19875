/*
 * tar_transform.c - GNU tar's --transform: sed-like replacement
 * expressions applied to member names and link targets, written from GNU
 * tar's manual and checked against its behaviour.  Two departures, both
 * where GNU tar 1.34 misbehaves: a match number (s/x/y/2) replaces the Nth
 * match without repeating the text before the skipped ones (fixed
 * upstream in 1.35), and an expression that matches the empty string
 * moves on by one character instead of looping for ever.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_impl.h"

enum seg_type { SEG_LITERAL, SEG_BACKREF, SEG_CASE };
enum case_ctl { CASE_STOP, CASE_UP_NEXT, CASE_LOW_NEXT, CASE_UP, CASE_LOW };

struct seg {
	enum seg_type type;
	const char *lit; /* SEG_LITERAL: into the expression's text */
	size_t len;
	size_t ref;        /* SEG_BACKREF */
	enum case_ctl ctl; /* SEG_CASE */
};

struct expr {
	regex_t re;
	int global;
	unsigned long nth; /* 0: every match (global) or the first */
	int scope;         /* SK_XFORM_* this expression applies to */
	struct seg *segs;
	size_t nsegs;
	char *text; /* the replacement, unescaped, that literals point into */
};

struct sk_xform {
	struct expr *v;
	size_t n;
	int scope; /* what flags= set for the expressions that follow */
};

/* An output buffer that grows. */
struct out {
	char *p;
	size_t n, cap;
	int failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->n + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 64;
		char *np;
		while (cap < o->n + n + 1)
			cap *= 2;
		if ((np = realloc(o->p, cap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

SK_API sk_xform *
sk_xform_new(void)
{
	sk_xform *x = calloc(1, sizeof *x);

	if (x)
		x->scope = SK_XFORM_ALL;
	return x;
}

/* GNU tar's message, msg followed by arg, into err. */
static int
fail(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s%s", msg, arg);
	errno = EINVAL;
	return -1;
}

/* r/R, s/S, h/H: 1 when c is one of them (and *scope updated). */
static int
scope_flag(int *scope, int c)
{
	static const char on[] = "rsh", off[] = "RSH";
	static const int bit[] = {SK_XFORM_REGFILE, SK_XFORM_SYMLINK,
	                          SK_XFORM_LINK};
	const char *p;

	if (c && (p = strchr(on, c)) != NULL)
		*scope |= bit[p - on];
	else if (c && (p = strchr(off, c)) != NULL)
		*scope &= ~bit[p - off];
	else
		return 0;
	return 1;
}

static int
add_seg(struct expr *e, struct seg s)
{
	struct seg *nv = realloc(e->segs, (e->nsegs + 1) * sizeof *nv);

	if (nv == NULL)
		return -1;
	e->segs = nv;
	nv[e->nsegs++] = s;
	return 0;
}

/*
 * Compiles the replacement repl[0, len) into segments: literal runs, &
 * and \N back-references, \U \L \u \l \E case controls, and the escapes
 * \a \b \f \n \r \t \v \\ \& and the delimiter; any other escaped
 * character stays as written, backslash included.
 */
static int
compile_repl(struct expr *e, const char *repl, size_t len, int delim, char *err,
             size_t errlen)
{
	static const char esc[] = "abfnrtv\\&", val[] = "\a\b\f\n\r\t\v\\&";
	static const char ctl[] = "ULulE";
	static const enum case_ctl ctlv[] = {CASE_UP, CASE_LOW, CASE_UP_NEXT,
	                                     CASE_LOW_NEXT, CASE_STOP};
	char *t = malloc(len + 1); /* literal bytes, unescaped */
	size_t tn = 0, start = 0;
	const char *p;

	if ((e->text = t) == NULL)
		return -1;
#define FLUSH()                                                                \
	do {                                                                   \
		if (tn > start &&                                              \
		    add_seg(e, (struct seg){SEG_LITERAL, t + start,            \
		                            tn - start, 0, CASE_STOP}) < 0)    \
			return -1;                                             \
		start = tn;                                                    \
	} while (0)
	for (size_t i = 0; i < len; i++) {
		char c = repl[i];
		if (c == '&') {
			FLUSH();
			if (add_seg(e, (struct seg){SEG_BACKREF, NULL, 0, 0,
			                            CASE_STOP}) < 0)
				return -1;
			continue;
		}
		if (c != '\\' || i + 1 >= len) {
			t[tn++] = c;
			continue;
		}
		c = repl[++i];
		if (isdigit((unsigned char)c)) {
			size_t n = 0;
			while (i < len && isdigit((unsigned char)repl[i]) &&
			       n <= e->re.re_nsub)
				n = n * 10 + (size_t)(repl[i++] - '0');
			i--;
			if (n > e->re.re_nsub)
				return fail(
				    err, errlen,
				    "Invalid transform replacement: back "
				    "reference out of range",
				    "");
			FLUSH();
			if (add_seg(e, (struct seg){SEG_BACKREF, NULL, 0, n,
			                            CASE_STOP}) < 0)
				return -1;
		} else if ((p = strchr(ctl, c)) != NULL && c) {
			FLUSH();
			if (add_seg(e, (struct seg){SEG_CASE, NULL, 0, 0,
			                            ctlv[p - ctl]}) < 0)
				return -1;
		} else if ((p = strchr(esc, c)) != NULL && c) {
			t[tn++] = val[p - esc];
		} else if (c == delim) {
			t[tn++] = c;
		} else {
			t[tn++] = '\\';
			t[tn++] = c;
		}
	}
	FLUSH();
#undef FLUSH
	return 0;
}

static void
free_expr(struct expr *e)
{
	regfree(&e->re);
	free(e->segs);
	free(e->text);
}

/* Parses one expression at *sp (up to a ';' after its flags); advances
 * *sp past it. */
static int
parse_one(sk_xform *x, const char **sp, char *err, size_t errlen)
{
	const char *s = *sp, *re0, *re1, *rp0, *rp1, *f;
	struct expr e;
	int delim, cflags = 0, rc;
	char *re;

	if (strncmp(s, "flags=", 6) == 0) {
		x->scope = 0;
		for (s += 6; *s && *s != ';'; s++)
			if (!scope_flag(&x->scope, *s)) {
				char c[2] = {*s, '\0'};
				return fail(err, errlen,
				            "Unknown transform flag: ", c);
			}
		*sp = *s ? s + 1 : s;
		return 0;
	}
	if (s[0] != 's' || s[1] == '\0')
		return fail(err, errlen, "Invalid transform expression", "");
	delim = (unsigned char)s[1];
	re0 = re1 = s + 2;
	while (*re1 && *re1 != delim)
		re1 += re1[0] == '\\' && re1[1] ? 2 : 1;
	if (*re1 != delim)
		return fail(err, errlen, "Invalid transform expression", "");
	rp0 = rp1 = re1 + 1;
	while (*rp1 && *rp1 != delim)
		rp1 += rp1[0] == '\\' && rp1[1] ? 2 : 1;
	if (*rp1 != delim)
		return fail(err, errlen, "Invalid transform expression", "");
	memset(&e, 0, sizeof e);
	e.scope = x->scope;
	for (f = rp1 + 1; *f && *f != ';'; f++) {
		if (*f == 'g') {
			e.global = 1;
		} else if (*f == 'i') {
			cflags |= REG_ICASE;
		} else if (*f == 'x') {
			cflags |= REG_EXTENDED;
		} else if (isdigit((unsigned char)*f)) {
			char *end;
			/* Base 0, as GNU tar reads it: 010 is 8. */
			e.nth = strtoul(f, &end, 0);
			f = end - 1;
		} else if (!scope_flag(&e.scope, *f)) {
			char c[2] = {*f, '\0'};
			return fail(
			    err, errlen,
			    "Unknown flag in transform expression: ", c);
		}
	}
	if ((re = strndup(re0, (size_t)(re1 - re0))) == NULL)
		return -1;
	if ((rc = regcomp(&e.re, re, cflags)) != 0) {
		char msg[256];
		regerror(rc, &e.re, msg, sizeof msg);
		free(re);
		return fail(err, errlen, "Invalid transform expression: ", msg);
	}
	/* An anchored expression is replaced once, as in GNU tar: the rest of
	 * the name is matched again from its own start. */
	if (re[0] == '^' || (re1 > re0 && re1[-1] == '$'))
		e.global = 0;
	free(re);
	if (compile_repl(&e, rp0, (size_t)(rp1 - rp0), delim, err, errlen) <
	    0) {
		free_expr(&e);
		return -1;
	}
	{
		struct expr *nv = realloc(x->v, (x->n + 1) * sizeof *nv);
		if (nv == NULL) {
			free_expr(&e);
			return -1;
		}
		x->v = nv;
		nv[x->n++] = e;
	}
	*sp = *f ? f + 1 : f;
	return 0;
}

SK_API int
sk_xform_add(sk_xform *x, const char *expr, char *err, size_t errlen)
{
	const char *s = expr;

	if (x == NULL || expr == NULL)
		return fail(err, errlen, "Invalid transform expression", "");
	if (*s == '\0')
		return fail(err, errlen, "Invalid transform expression", "");
	while (*s)
		if (parse_one(x, &s, err, errlen) < 0)
			return -1;
	return 0;
}

/* Appends s[0, n) converted by ctl, as GNU tar does: byte by byte, the
 * single-character controls touching the first byte only. */
static void
put_case(struct out *o, const char *s, size_t n, enum case_ctl ctl)
{
	size_t from = o->n;

	put(o, s, n);
	if (o->failed || n == 0)
		return;
	for (size_t i = from; i < o->n; i++) {
		unsigned char c = (unsigned char)o->p[i];
		if (ctl == CASE_UP || (ctl == CASE_UP_NEXT && i == from))
			o->p[i] = (char)toupper(c);
		else if (ctl == CASE_LOW || (ctl == CASE_LOW_NEXT && i == from))
			o->p[i] = (char)tolower(c);
	}
}

static void
replace(const struct expr *e, const char *in, const regmatch_t *m,
        struct out *o, enum case_ctl *cur, enum case_ctl *saved)
{
	for (size_t k = 0; k < e->nsegs; k++) {
		const struct seg *s = &e->segs[k];
		const char *p = s->lit;
		size_t n = s->len;

		if (s->type == SEG_CASE) {
			if ((s->ctl == CASE_UP_NEXT ||
			     s->ctl == CASE_LOW_NEXT) &&
			    *saved != CASE_UP_NEXT && *saved != CASE_LOW_NEXT)
				*saved = *cur;
			*cur = s->ctl;
			continue;
		}
		if (s->type == SEG_BACKREF) {
			if (m[s->ref].rm_so < 0 || m[s->ref].rm_eo < 0)
				continue;
			p = in + m[s->ref].rm_so;
			n = (size_t)(m[s->ref].rm_eo - m[s->ref].rm_so);
		}
		put_case(o, p, n, *cur);
		if (*cur == CASE_UP_NEXT || *cur == CASE_LOW_NEXT) {
			*cur = *saved;
			*saved = CASE_STOP;
		}
	}
}

static void
apply_one(const struct expr *e, const char *in, struct out *o, regmatch_t *m)
{
	enum case_ctl cur = CASE_STOP, saved = CASE_STOP;
	unsigned long count = 0;

	while (*in) {
		size_t adv;

		if (regexec(&e->re, in, e->re.re_nsub + 1, m, 0) != 0) {
			put(o, in, strlen(in));
			return;
		}
		adv = (size_t)m[0].rm_eo;
		count++;
		if (e->nth && count < e->nth) {
			put(o, in, adv);
		} else {
			put(o, in, (size_t)m[0].rm_so);
			replace(e, in, m, o, &cur, &saved);
			if (!e->global) {
				put(o, in + adv, strlen(in + adv));
				return;
			}
		}
		/* An empty match moves on by one character. */
		if (m[0].rm_eo == m[0].rm_so && in[adv]) {
			put(o, in + adv, 1);
			adv++;
		}
		in += adv;
	}
}

/* GNU tar's safer_name_suffix: what it keeps of a member name. */
const char *
sk__safer_name(const char *s)
{
	const char *p = s;

	for (const char *c = s; *c;) {
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
			p = c + 2;
		while (*c && *c++ != '/')
			;
	}
	while (*p == '/')
		p++;
	return p;
}

char *
sk__xform_raw(const sk_xform *x, const char *name, int scope)
{
	struct out a = {NULL, 0, 0, 0}, b = {NULL, 0, 0, 0};
	regmatch_t *m = NULL;
	size_t nsub = 0;

	for (size_t i = 0; x && i < x->n; i++)
		if (x->v[i].re.re_nsub > nsub)
			nsub = x->v[i].re.re_nsub;
	if ((m = malloc((nsub + 1) * sizeof *m)) == NULL)
		return NULL;
	put(&a, name, strlen(name));
	for (size_t i = 0; x && i < x->n && !a.failed; i++) {
		if (!(x->v[i].scope & scope))
			continue;
		b.n = 0;
		put(&b, "", 0);
		apply_one(&x->v[i], a.p, &b, m);
		{
			struct out t = a;
			a = b;
			b = t;
		}
		a.failed |= b.failed;
	}
	free(m);
	free(b.p);
	if (a.failed) {
		free(a.p);
		errno = ENOMEM;
		return NULL;
	}
	return a.p;
}

SK_API char *
sk_xform_apply(const sk_xform *x, const char *name, int scope, int *what)
{
	char *res = sk__xform_raw(x, name, scope);
	const char *rel;

	*what = 0;
	/* A symbolic link's target is stored as it is, as GNU tar does. */
	if (res && scope != SK_XFORM_SYMLINK) {
		rel = sk__safer_name(res);
		if (rel != res) {
			*what |= SK_XFORM_STRIPPED;
			memmove(res, rel, strlen(rel) + 1);
		}
		if (*res == '\0')
			*what |= SK_XFORM_EMPTY;
	}
	return res;
}

SK_API int
sk_xform_empty(const sk_xform *x)
{
	return x == NULL || x->n == 0;
}

SK_API void
sk_xform_free(sk_xform *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++)
		free_expr(&x->v[i]);
	free(x->v);
	free(x);
}
