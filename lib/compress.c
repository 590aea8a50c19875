/*
 * compress.c - the compressor object: methods by number, name and suffix,
 * levels checked against each method's range, the output, the sticky
 * error.  The methods themselves live in compress_*.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"

/* More threads than this only cost memory: blocks in flight are 2 x. */
#define MAX_THREADS 256

_Atomic long sk__compress_fail_alloc;

void *
sk__compress_alloc(size_t n)
{
	long left = atomic_load(&sk__compress_fail_alloc);

	/* Only one thread may bring the count to zero. */
	while (left > 0) {
		if (atomic_compare_exchange_weak(&sk__compress_fail_alloc,
		                                 &left, left - 1)) {
			if (left == 1) {
				errno = ENOMEM;
				return NULL;
			}
			break;
		}
	}
	return malloc(n);
}

void
sk__put32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Indexed by SK_COMPRESS_*. */
static const struct sk__cmethod *const methods[] = {
    &sk__cnone, &sk__cgzip, &sk__cbzip2, &sk__cxz, &sk__czstd, &sk__clz4,
};
#define NMETHODS (sizeof methods / sizeof methods[0])

static const struct sk__cmethod *
method_of(int method)
{
	if (method < 0 || (size_t)method >= NMETHODS) {
		errno = EINVAL;
		return NULL;
	}
	return methods[method];
}

SK_API int
sk_compress_levels(int method, int *min, int *max, int *def)
{
	const struct sk__cmethod *m = method_of(method);

	if (m == NULL)
		return -1;
	if (min)
		*min = m->min;
	if (max)
		*max = m->max;
	if (def)
		*def = m->def;
	return 0;
}

SK_API const char *
sk_compress_name(int method)
{
	const struct sk__cmethod *m = method_of(method);

	return m ? m->name : NULL;
}

SK_API int
sk_compress_method(const char *name)
{
	for (size_t i = 0; name && i < NMETHODS; i++)
		if (strcmp(name, methods[i]->name) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

SK_API int
sk_compress_suffix(const char *path)
{
	/* GNU tar's table (suffixes.c), matched on the last suffix only,
	 * plus lz4, which GNU tar runs through -I. */
	static const struct {
		const char *suffix;
		int method;
	} table[] = {
	    {"gz", SK_COMPRESS_GZIP},
	    {"tgz", SK_COMPRESS_GZIP},
	    {"taz", SK_COMPRESS_GZIP},
	    {"bz2", SK_COMPRESS_BZIP2},
	    {"tbz", SK_COMPRESS_BZIP2},
	    {"tbz2", SK_COMPRESS_BZIP2},
	    {"tz2", SK_COMPRESS_BZIP2},
	    {"xz", SK_COMPRESS_XZ},
	    {"txz", SK_COMPRESS_XZ},
	    {"zst", SK_COMPRESS_ZSTD},
	    {"tzst", SK_COMPRESS_ZSTD},
	    {"lz4", SK_COMPRESS_LZ4},
	    {"Z", -1},
	    {"taZ", -1},
	    {"lz", -1},
	    {"lzma", -1},
	    {"tlz", -1},
	    {"lzo", -1},
	};
	/* As GNU tar: what follows the name's last dot ("d.gz/f" has
	 * "gz/f", no suffix of the table). */
	const char *dot = path ? strrchr(path, '.') : NULL;

	if (dot == NULL)
		return SK_COMPRESS_NONE;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(dot + 1, table[i].suffix) != 0)
			continue;
		if (table[i].method < 0)
			errno = ENOTSUP;
		return table[i].method;
	}
	return SK_COMPRESS_NONE;
}

int
sk__compress_emit(sk_compress *c, const void *buf, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	r = c->out ? c->out(c->arg, buf, n) : sk_write_all(c->fd, buf, n);
	if (r < 0) {
		/* A callback that forgot errno still fails. */
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	c->outn += n;
	return 0;
}

SK_API sk_compress *
sk_compress_open(int method, const struct sk_compress_options *opt, int fd,
                 sk_compress_out_fn out, void *arg)
{
	const struct sk__cmethod *m = method_of(method);
	struct sk_compress_options o = {0};
	sk_compress *c;

	if (m == NULL)
		return NULL;
	if (opt)
		o = *opt;
	if (o.threads < 0 ||
	    (o.level != 0 && (o.level < m->min || o.level > m->max))) {
		errno = EINVAL;
		return NULL;
	}
	if (out == NULL && fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->m = m;
	c->method = method;
	c->level = o.level ? o.level : m->def;
	if (o.threads == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		o.threads =
		    cores > 1 ? (int)(cores < MAX_THREADS ? cores : MAX_THREADS)
		              : 1;
	}
	c->threads = o.threads < MAX_THREADS ? o.threads : MAX_THREADS;
	c->reproducible = o.reproducible;
	c->block = o.block;
	c->fd = fd;
	c->out = out;
	c->arg = arg;
	if (m->start(c) < 0) {
		int e = errno;
		m->end(c);
		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

SK_API int
sk_compress_write(sk_compress *c, const void *buf, size_t n)
{
	if (c->err) {
		errno = c->err;
		return -1;
	}
	if (c->finished) {
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return 0;
	c->in += n;
	if (c->m->write(c, buf, n) < 0) {
		c->err = errno ? errno : EIO;
		errno = c->err;
		return -1;
	}
	return 0;
}

SK_API int
sk_compress_finish(sk_compress *c)
{
	if (c->err) {
		errno = c->err;
		return -1;
	}
	if (c->finished)
		return 0;
	if (c->m->finish(c) < 0) {
		c->err = errno ? errno : EIO;
		errno = c->err;
		return -1;
	}
	c->finished = 1;
	return 0;
}

SK_API int
sk_compress_close(sk_compress *c)
{
	int err;

	if (c == NULL)
		return 0;
	err = c->err;
	c->m->end(c);
	free(c);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

SK_API void
sk_compress_counts(const sk_compress *c, uint64_t *in, uint64_t *out)
{
	if (in)
		*in = c->in;
	if (out)
		*out = c->outn;
}

/* "none": the bytes go straight to the output. */
static int
none_start(sk_compress *c)
{
	(void)c;
	return 0;
}

static int
none_write(sk_compress *c, const unsigned char *buf, size_t n)
{
	return sk__compress_emit(c, buf, n);
}

static int
none_finish(sk_compress *c)
{
	(void)c;
	return 0;
}

static void
none_end(sk_compress *c)
{
	(void)c;
}

const struct sk__cmethod sk__cnone = {
    "none", 0, 0, 0, none_start, none_write, none_finish, none_end,
};
