/*
 * tarstream_compress.c - tarstream's compression options: -z, -j, -J,
 * --zstd, --lz4, --compress, -a and --level, taken as given and settled
 * once every option is read, as GNU tar settles them.
 *
 *   - Two options naming different compressors are a usage error
 *     ("conflicting compression options", GNU tar's words); the same one
 *     twice is not.
 *   - -a picks the compressor from the suffix of -f FILE (GNU tar's
 *     table, sk_compress_suffix): a known suffix wins over -z and the
 *     others, an unknown one (or no -f, or -f -) leaves them, or a plain
 *     archive.  A suffix of a compressor tarstream lacks (.lz, .Z...) is
 *     a usage error rather than an archive misnamed.
 *   - The level is checked against the compressor finally chosen, since
 *     -a may choose it after --level was read.
 */
#include <string.h>
#include <strings.h>

#include "tarstream.h"
#include "util.h"

static int method = -1; /* SK_COMPRESS_*; -1: none asked */
static int format = -1; /* --format as given; -1: none */
static int auto_compress;
static const char *level_text;

void
ts_compress_option(int m)
{
	if (method >= 0 && method != m)
		usage_error("conflicting compression options");
	method = m;
}

void
ts_compress_named(const char *name)
{
	int m = sk_compress_method(name);

	if (m < 0)
		usage_error("invalid --compress '%s': gzip, bzip2, xz, zstd, "
		            "lz4 or none",
		            name);
	ts_compress_option(m);
}

void
ts_compress_format(int f)
{
	format = f;
}

void
ts_compress_auto(void)
{
	auto_compress = 1;
}

void
ts_compress_level(const char *text)
{
	level_text = text;
}

/* The level asked for, or a usage error naming what's range lo-hi. */
static int
level_in(int lo, int hi, const char *what)
{
	long v;

	if (number_in(level_text, -99999, 99999, &v) < 0)
		usage_error("invalid --level '%s': a number from %d to %d "
		            "for %s",
		            level_text, lo, hi, what);
	if (v < lo || v > hi)
		usage_error("--level %s is out of %s's range %d-%d", level_text,
		            what, lo, hi);
	return (int)v;
}

/* The level asked for m, or a usage error naming m's range. */
static int
level_of(int m)
{
	int lo, hi;

	sk_compress_levels(m, &lo, &hi, NULL);
	return level_in(lo, hi, sk_compress_name(m));
}

/* A zip's files: deflated at the level asked, stored at --level 0. */
static void
settle_zip(struct sk_tar_options *opt)
{
	int v;

	if (method >= 0)
		usage_error("--format=zip compresses each file itself "
		            "(deflate, or --level 0 to store them): no -z, -j, "
		            "-J, --zstd, --lz4 or --compress");
	v = level_text ? level_in(0, 9, "zip") : -1;
	opt->format = SK_TAR_ZIP;
	opt->compress = v == 0 ? SK_TAR_PLAIN : SK_TAR_GZIP;
	opt->level = v > 0 ? v : 0;
}

/* Whether file's name ends in .zip (as bsdtar -a, any case). */
static int
zip_name(const char *file)
{
	size_t n = strlen(file);

	return n > 4 && strcasecmp(file + n - 4, ".zip") == 0;
}

void
ts_compress_settle(struct sk_tar_options *opt, const char *file)
{
	int m = method;
	int named = auto_compress && file && strcmp(file, "-") != 0;

	if (named && zip_name(file)) {
		if (format >= 0 && format != SK_TAR_ZIP)
			usage_error("-a: '%s' names a zip, but --format is "
			            "not zip",
			            file);
		settle_zip(opt);
		return;
	}
	if (format == SK_TAR_ZIP) {
		if (named && sk_compress_suffix(file) > SK_COMPRESS_NONE)
			usage_error("-a: '%s' names a compressed tar, but "
			            "--format is zip",
			            file);
		settle_zip(opt);
		return;
	}
	if (named) {
		int s = sk_compress_suffix(file);
		if (s < 0)
			usage_error("-a: tarstream has no compressor for the "
			            "suffix of '%s'",
			            file);
		if (s != SK_COMPRESS_NONE)
			m = s;
	}
	if (m < 0)
		m = SK_COMPRESS_NONE;
	if (level_text && m == SK_COMPRESS_NONE)
		usage_error("--level needs a compressor (-z, -j, -J, --zstd, "
		            "--lz4, --compress, or -a with a compressed "
		            "suffix)");
	opt->compress = m;
	opt->level = level_text ? level_of(m) : 0;
}
