/* Unit tests: the compressors (sk_compress_*), every method through its own
 * tool, the same bytes for any thread count and write size, failures of
 * the output and of the workers' allocations, the pull stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

/* The fault hook of lib/compress.c (hidden from the shared library). */
extern _Atomic long sk__compress_fail_alloc;

#define KIB ((size_t)1 << 10)

static const int all[] = {SK_COMPRESS_GZIP, SK_COMPRESS_BZIP2,
                          SK_COMPRESS_XZ,   SK_COMPRESS_ZSTD,
                          SK_COMPRESS_LZ4,  SK_COMPRESS_NONE};
#define NALL (sizeof all / sizeof all[0])

/* Each method's tool, reading standard input. */
static const char *
tool(int method)
{
	switch (method) {
	case SK_COMPRESS_GZIP:
		return "gzip";
	case SK_COMPRESS_BZIP2:
		return "bzip2";
	case SK_COMPRESS_XZ:
		return "xz";
	case SK_COMPRESS_ZSTD:
		return "zstd -q";
	case SK_COMPRESS_LZ4:
		return "lz4 -q";
	default:
		return "cat";
	}
}

/*
 * Under ThreadSanitizer (check-tsan sets SK_TSAN) every large allocation
 * and clearing goes through its interceptors: xz -9 and zstd -19 take a
 * minute there.  Their threads are their libraries', which TSan does not
 * see into, so they run at their fastest level in that build.
 */
static int
level_of(int method, int level)
{
	if (getenv("SK_TSAN") &&
	    (method == SK_COMPRESS_XZ || method == SK_COMPRESS_ZSTD))
		return 1;
	return level;
}

/* Text, runs and noise in turn: compressible, but not trivially. */
static unsigned char *
mixed(size_t n, unsigned seed)
{
	static const char *words[] = {"stream ",   "block ", "thread ", "the ",
	                              "compress ", "of ",    "\n",      "int ",
	                              "return ",   "0;\n",   "struct ", "{\n"};
	unsigned char *b = malloc(n ? n : 1), *noise = t_pattern(4096, seed);
	uint32_t x = seed * 2654435761u + 7;
	size_t i = 0;

	while (i < n) {
		size_t k;
		x = x * 1103515245u + 12345u;
		switch ((x >> 16) % 8) {
		case 0: /* a run, sometimes past bzip2's 255 */
			for (k = (x >> 8) % 600; k-- && i < n;)
				b[i++] = (unsigned char)(x >> 24);
			break;
		case 1: /* noise */
			for (k = 0; k < (x >> 4) % 700 && i < n; k++)
				b[i++] = noise[(k + x) % 4096];
			break;
		default:
			for (const char *w = words[(x >> 20) % 12];
			     *w && i < n;)
				b[i++] = (unsigned char)*w++;
		}
	}
	free(noise);
	return b;
}

/* The output callback: collects, and fails with ENOSPC at call fail_at. */
struct sink {
	unsigned char *buf;
	size_t len, cap;
	int calls, fail_at, after_fail;
};

static int
sink_out(void *arg, const void *buf, size_t n)
{
	struct sink *s = arg;

	if (s->fail_at) {
		s->calls++;
		s->after_fail += s->calls > s->fail_at;
		if (s->calls >= s->fail_at) {
			errno = ENOSPC;
			return -1;
		}
	}
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, buf, n);
	s->len += n;
	return 0;
}

/* Compresses in[0, n) in writes of step bytes (0: one write).  Returns
 * the output (malloc'd, *len bytes), NULL when any call failed. */
static unsigned char *
squeeze(int method, int level, int threads, size_t block, const void *in,
        size_t n, size_t step, size_t *len)
{
	struct sk_compress_options o = {level, threads, 1, block};
	struct sink s = {0};
	sk_compress *c = sk_compress_open(method, &o, -1, sink_out, &s);
	const unsigned char *p = in;
	int ok = c != NULL;

	for (size_t off = 0; ok && off < n;) {
		size_t k = step && step < n - off ? step : n - off;
		ok = sk_compress_write(c, p + off, k) == 0;
		off += k;
	}
	ok = ok && sk_compress_finish(c) == 0;
	ok = sk_compress_close(c) == 0 && ok;
	*len = s.len;
	if (!ok) {
		free(s.buf);
		return NULL;
	}
	return s.buf ? s.buf : malloc(1);
}

static char dir[] = "/tmp/sk-compress.XXXXXX";

static void
cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* The path of name in a temporary directory made on first use and
 * removed at exit. */
static const char *
at(const char *name)
{
	static char path[128];
	static int made;

	/* A flag, not the template's last letter: mkdtemp may end the name
	 * in an X of its own (one time in 62). */
	if (!made) {
		if (mkdtemp(dir) == NULL)
			abort();
		made = 1;
		atexit(cleanup);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void
put_file(const char *name, const void *buf, size_t n)
{
	const char *path = at(name);
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    sk_write_all(fd, buf, n) < 0 || close(fd) < 0)
		abort();
}

/* Runs a shell command in the temporary directory; 1 when it exits 0. */
static int
sh(const char *cmd)
{
	char full[700];
	int st;

	snprintf(full, sizeof full, "cd %s && { %s; } 2>&1", at(""), cmd);
	st = system(full);
	if (st != 0)
		printf("#   failed: %s\n", cmd);
	return st == 0;
}

/* sh() of "tool rest". */
static int
sh2(const char *tool_cmd, const char *rest)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "%s %s", tool_cmd, rest);
	return sh(cmd);
}

/* The method's tool tests z and decompresses it to exactly in. */
static int
tool_reads(int method, const void *z, size_t zn, const void *in, size_t n)
{
	put_file("z", z, zn);
	put_file("orig", in, n);
	if (method == SK_COMPRESS_NONE)
		return zn == n && memcmp(z, in, n) == 0;
	return sh2(tool(method), "-t <z") &&
	       sh2(tool(method), "-dc <z | cmp -s - orig");
}

/* The same input through the method's tool, compared byte for byte. */
static int
tool_writes_the_same(const char *cmd, const void *z, size_t zn, const void *in,
                     size_t n)
{
	put_file("z", z, zn);
	put_file("orig", in, n);
	return sh2(cmd, "<orig | cmp -s - z");
}

static void
every_method_round_trips_at_its_level_extremes_on_1_and_4_threads(void)
{
	size_t n, zn[2], zn1;
	unsigned char *in = mixed(300 * KIB, 1);

	for (size_t m = 0; m < NALL; m++) {
		int lo, hi;
		sk_compress_levels(all[m], &lo, &hi, NULL);
		for (int l = 0; l < 2; l++) {
			unsigned char *z[2];
			/* xz -9 and zstd -19 are slow: two xz blocks. */
			int slow = l && (all[m] == SK_COMPRESS_XZ ||
			                 all[m] == SK_COMPRESS_ZSTD);
			n = slow ? 100 * KIB : 300 * KIB;
			/* Small blocks, so that many are in flight. */
			size_t block = all[m] == SK_COMPRESS_XZ     ? 64 * KIB
			               : all[m] == SK_COMPRESS_GZIP ? 64 * KIB
			               : all[m] == SK_COMPRESS_LZ4  ? 64 * KIB
			                                            : 0;
			int level = level_of(all[m], l ? hi : lo);
			z[0] =
			    squeeze(all[m], level, 1, block, in, n, 0, &zn[0]);
			z[1] =
			    squeeze(all[m], level, 4, block, in, n, 0, &zn[1]);
			CHECK(z[0] && z[1]);
			if (!z[0] || !z[1])
				continue;
			CHECK(tool_reads(all[m], z[1], zn[1], in, n));
			/* zstd: one compressor on 1 thread, libzstd's
			 * workers on 4; other bytes, both read. */
			if (all[m] == SK_COMPRESS_ZSTD)
				CHECK(tool_reads(all[m], z[0], zn[0], in, n));
			else
				CHECK(zn[0] == zn[1] &&
				      !memcmp(z[0], z[1], zn[0]));
			free(z[0]);
			free(z[1]);
		}
	}
	/* The defaults too: gzip's 1 MiB blocks, lz4's 4 MiB. */
	free(in);
	n = 9 * (1 << 20) / 2;
	in = mixed(n, 2);
	for (size_t m = 0; m < 2; m++) {
		int method = m ? SK_COMPRESS_LZ4 : SK_COMPRESS_GZIP;
		unsigned char *z = squeeze(method, 0, 0, 0, in, n, 0, &zn1);
		unsigned char *z1 = squeeze(method, 0, 1, 0, in, n, 0, &zn[0]);
		CHECK(z && z1 && tool_reads(method, z, zn1, in, n));
		CHECK(z && z1 && zn1 == zn[0] && !memcmp(z, z1, zn1));
		free(z);
		free(z1);
	}
	free(in);
}

static void
output_is_the_same_for_any_thread_count_and_write_size(void)
{
	size_t n = 200 * KIB + 3;
	unsigned char *in = mixed(n, 3);
	static const int threads[] = {2, 3, 7};
	static const size_t steps[] = {1, 4095, 65537};

	for (size_t m = 0; m < NALL; m++) {
		size_t block =
		    all[m] == SK_COMPRESS_GZIP || all[m] == SK_COMPRESS_LZ4
		        ? 64 * KIB
		        : 0;
		size_t zn, zk;
		/* bzip2 at level 1: blocks of 100 kB, two boundaries. */
		int level =
		    level_of(all[m], all[m] == SK_COMPRESS_BZIP2 ? 1 : 0);
		for (size_t t = 0; t < 3; t++) {
			/* zstd: one compressor up to 2 threads, libzstd's
			 * workers from 3 (compress_zstd.c). */
			int ref = all[m] == SK_COMPRESS_ZSTD && threads[t] >= 3
			              ? 3
			              : 1;
			unsigned char *z =
			    squeeze(all[m], level, ref, block, in, n, 0, &zn);
			unsigned char *k = squeeze(all[m], level, threads[t],
			                           block, in, n, steps[t], &zk);
			CHECK(z && k && zk == zn && !memcmp(k, z, zn));
			if (!(z && k && zk == zn && !memcmp(k, z, zn)))
				printf("#   %s: %d threads, writes of %zu\n",
				       sk_compress_name(all[m]), threads[t],
				       steps[t]);
			free(z);
			free(k);
		}
	}
	free(in);
	/* xz and zstd split input into jobs of their own: several here.
	 * zstd is one compressor on 1 and 2 threads (serial blocks of 512
	 * KiB, fed in writes of any size), libzstd's workers from 3. */
	n = 1536 * KIB;
	in = mixed(n, 13);
	for (int m = SK_COMPRESS_XZ; m <= SK_COMPRESS_ZSTD; m++) {
		static const int pairs[][2] = {{1, 3}, {1, 2}, {3, 4}};
		size_t block = m == SK_COMPRESS_XZ ? 300 * KIB : 512 * KIB, zn,
		       zk;
		for (int i = m == SK_COMPRESS_XZ ? 0 : 1; i < 3; i++) {
			unsigned char *z =
			    squeeze(m, 1, pairs[i][0], block, in, n, 0, &zn);
			unsigned char *k =
			    squeeze(m, 1, pairs[i][1], block, in, n,
			            1000 + 37 * (size_t)i, &zk);
			CHECK(z && k && zk == zn && !memcmp(k, z, zn));
			if (!(z && k && zk == zn && !memcmp(k, z, zn)))
				printf("#   %s: %d and %d threads differ\n",
				       sk_compress_name(m), pairs[i][0],
				       pairs[i][1]);
			free(z);
			free(k);
		}
	}
	free(in);
}

static void
empty_and_one_byte_inputs_make_complete_streams(void)
{
	for (size_t m = 0; m < NALL; m++) {
		for (size_t n = 0; n < 2; n++) {
			size_t zn;
			unsigned char *z =
			    squeeze(all[m], 0, 4, 0, "x", n, 0, &zn);
			CHECK(z && tool_reads(all[m], z, zn, "x", n));
			free(z);
		}
	}
	/* Empty, gzip -n, bzip2 and lz4 write the very same bytes. */
	for (size_t m = 0; m < 3; m++) {
		static const char *cmd[] = {"gzip -n", "bzip2", "lz4 -q"};
		static const int meth[] = {SK_COMPRESS_GZIP, SK_COMPRESS_BZIP2,
		                           SK_COMPRESS_LZ4};
		size_t zn;
		unsigned char *z = squeeze(meth[m], 0, 2, 0, "", 0, 0, &zn);
		CHECK(z && tool_writes_the_same(cmd[m], z, zn, "", 0));
		free(z);
	}
}

static void
gzip_blocks_join_at_every_size_across_block_boundaries(void)
{
	size_t n = 3 * 64 * KIB + 2;
	unsigned char *in = mixed(n, 4);
	static const size_t sizes[] = {64 * KIB - 1,  64 * KIB,
	                               64 * KIB + 1,  128 * KIB,
	                               128 * KIB + 1, 3 * 64 * KIB + 2};

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t zn;
		unsigned char *z = squeeze(SK_COMPRESS_GZIP, 0, 3, 64 * KIB, in,
		                           sizes[i], 0, &zn);
		CHECK(z && tool_reads(SK_COMPRESS_GZIP, z, zn, in, sizes[i]));
		free(z);
	}
	free(in);
}

static void
incompressible_input_round_trips_and_barely_grows(void)
{
	size_t n = 256 * KIB + 1, zn;
	unsigned char *in = t_pattern(n, 5);

	for (size_t m = 0; m < NALL; m++) {
		size_t block =
		    all[m] == SK_COMPRESS_GZIP || all[m] == SK_COMPRESS_LZ4
		        ? 64 * KIB
		        : 0;
		int level = all[m] == SK_COMPRESS_NONE ? 0 : 1;
		unsigned char *z =
		    squeeze(all[m], level, 4, block, in, n, 0, &zn);
		CHECK(z && tool_reads(all[m], z, zn, in, n));
		/* Stored blocks: a few bytes per 64 KiB at most. */
		CHECK(zn < n + n / 100 + 1024);
		free(z);
	}
	free(in);
}

static void
bzip2_writes_the_bytes_of_bzip2_also_where_a_run_crosses_a_block_end(void)
{
	/* Noise up to a long run that bzip2's block boundary (99981 coded
	 * bytes at level 1) cuts at each place in turn. */
	size_t n = 120 * KIB;
	unsigned char *in = t_pattern(n, 6), *z;
	size_t zn;

	for (size_t at = 99981 - 260; at < 99981 + 4; at += 37) {
		memset(in + at, 'r', 700);
		z = squeeze(SK_COMPRESS_BZIP2, 1, 3, 0, in, n, 0, &zn);
		CHECK(z && tool_writes_the_same("bzip2 -1", z, zn, in, n));
		if (!(z && tool_writes_the_same("bzip2 -1", z, zn, in, n)))
			printf("#   run at %zu\n", at);
		free(z);
		free(in);
		in = t_pattern(n, 6);
	}
	free(in);
	/* Text at level 2, more blocks than threads. */
	n = 1 << 20;
	in = mixed(n, 7);
	z = squeeze(SK_COMPRESS_BZIP2, 2, 2, 0, in, n, 0, &zn);
	CHECK(z && tool_writes_the_same("bzip2 -2", z, zn, in, n));
	free(z);
	free(in);
}

static void
bzip2_ends_a_block_early_on_long_runs_and_stays_valid(void)
{
	/* Zeros: 255 bytes code to 5, a block would hold 5 MB at level 1;
	 * the held input stops at 400 kB. */
	size_t n = 3 << 20, zn;
	unsigned char *in = calloc(1, n), *z;

	memcpy(in + n / 2, "a mark in the middle", 20);
	z = squeeze(SK_COMPRESS_BZIP2, 1, 4, 0, in, n, 0, &zn);
	CHECK(z && tool_reads(SK_COMPRESS_BZIP2, z, zn, in, n));
	free(z);
	free(in);
}

static void
lz4_writes_the_bytes_of_lz4_for_every_block_size_and_level(void)
{
	size_t n = 600 * KIB + 5;
	unsigned char *in = mixed(n, 8);
	static const struct {
		int level;
		size_t block, n;
		const char *cmd;
	} cases[] = {
	    {1, 64 * KIB, 600 * KIB + 5, "lz4 -q -1 -B4"},
	    {9, 256 * KIB, 600 * KIB + 5, "lz4 -q -9 -B5"},
	    {12, 0, 300 * KIB, "lz4 -q -12"},
	    {1, 0, 64 * KIB + 1,
	     "lz4 -q"}, /* one block: 256 KiB in the header */
	    {2, 0, 1, "lz4 -q -2"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t zn;
		unsigned char *z =
		    squeeze(SK_COMPRESS_LZ4, cases[i].level, 3, cases[i].block,
		            in, cases[i].n, 0, &zn);
		CHECK(z && tool_writes_the_same(cases[i].cmd, z, zn, in,
		                                cases[i].n));
		free(z);
	}
	free(in);
}

static void
gzip_output_is_read_by_every_reader_of_tar_gz(void)
{
	static const char *readers[] = {
	    "zcat <z | cmp -s - orig",
	    "pigz -dc <z | cmp -s - orig",
	    "python3 -c 'import gzip,sys; "
	    "sys.exit(gzip.open(\"z\").read() != "
	    "open(\"orig\",\"rb\").read())'",
	    "tar -tzf z >/dev/null",
	    "bsdtar -tf z >/dev/null",
	    "python3 -c 'import tarfile; tarfile.open(\"z\").getnames()'",
	};
	size_t zn, n;
	unsigned char *tarball, *z;
	int fd;

	/* A tar of three files, 300 KiB, made by GNU tar. */
	for (int i = 0; i < 3; i++) {
		char name[16];
		unsigned char *b = mixed(100 * KIB, (unsigned)i);
		snprintf(name, sizeof name, "f%d", i);
		put_file(name, b, 100 * KIB);
		free(b);
	}
	CHECK(sh("tar -cf t.tar f0 f1 f2"));
	fd = open(at("t.tar"), O_RDONLY);
	n = (size_t)lseek(fd, 0, SEEK_END);
	tarball = malloc(n);
	CHECK(pread(fd, tarball, n, 0) == (ssize_t)n);
	close(fd);
	z = squeeze(SK_COMPRESS_GZIP, 0, 4, 64 * KIB, tarball, n, 0, &zn);
	CHECK(z != NULL);
	put_file("z", z, zn);
	put_file("orig", tarball, n);
	for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
		CHECK(sh(readers[i]));
	/* And bzip2 by libarchive, Python's bz2 and GNU tar. */
	free(z);
	z = squeeze(SK_COMPRESS_BZIP2, 1, 4, 0, tarball, n, 0, &zn);
	CHECK(z != NULL);
	put_file("z", z, zn);
	CHECK(sh("bsdtar -tf z >/dev/null && tar -tjf z >/dev/null"));
	CHECK(sh("python3 -c 'import bz2,sys; "
	         "sys.exit(bz2.open(\"z\").read() != "
	         "open(\"orig\",\"rb\").read())'"));
	/* lz4, xz and zstd by libarchive. */
	for (int m = SK_COMPRESS_XZ; m <= SK_COMPRESS_LZ4; m++) {
		free(z);
		z = squeeze(m, level_of(m, 0), 4, 0, tarball, n, 0, &zn);
		put_file("z", z, zn);
		CHECK(z && sh("bsdtar -tf z >/dev/null"));
	}
	free(z);
	free(tarball);
}

static void
gzip_header_holds_the_time_unless_reproducible_and_the_level_hint(void)
{
	struct sink s = {0};
	struct sk_compress_options o = {9, 2, 0, 0};
	sk_compress *c =
	    sk_compress_open(SK_COMPRESS_GZIP, &o, -1, sink_out, &s);
	time_t before = time(NULL);
	uint32_t mtime;

	CHECK(c && sk_compress_write(c, "abc", 3) == 0);
	CHECK(sk_compress_finish(c) == 0 && sk_compress_close(c) == 0);
	mtime = (uint32_t)s.buf[4] | (uint32_t)s.buf[5] << 8 |
	        (uint32_t)s.buf[6] << 16 | (uint32_t)s.buf[7] << 24;
	CHECK(mtime + 2 >= (uint32_t)before && mtime <= (uint32_t)time(NULL));
	CHECK_EQ(s.buf[8], 2); /* XFL: slowest */
	CHECK_EQ(s.buf[3], 0); /* no name */
	free(s.buf);
}

/* Writes n bytes to a compressor whose output fails at call k. */
static void
fail_output_at(int method, int threads, int k, const unsigned char *in,
               size_t n, int *failed)
{
	struct sk_compress_options o = {0, threads, 1, 64 * KIB};
	struct sink s = {.fail_at = k};
	sk_compress *c;
	int r = 0;

	/* The fastest levels: failures do not depend on them. */
	if (method != SK_COMPRESS_NONE)
		o.level = 1;
	if (method == SK_COMPRESS_XZ || method == SK_COMPRESS_ZSTD)
		o.block = 0;
	c = sk_compress_open(method, &o, -1, sink_out, &s);
	for (size_t off = 0; r == 0 && off < n; off += 32 * KIB)
		r = sk_compress_write(c, in + off,
		                      n - off < 32 * KIB ? n - off : 32 * KIB);
	if (r == 0)
		r = sk_compress_finish(c);
	*failed = r < 0;
	if (r < 0) {
		CHECK_EQ(errno, ENOSPC);
		/* Sticky, and nothing written after the failure. */
		CHECK(sk_compress_write(c, "x", 1) < 0 && errno == ENOSPC);
		CHECK(sk_compress_finish(c) < 0 && errno == ENOSPC);
		CHECK(sk_compress_close(c) < 0 && errno == ENOSPC);
		CHECK_EQ(s.after_fail, 0);
	} else {
		CHECK(sk_compress_close(c) == 0);
	}
	free(s.buf);
}

static void
a_failing_output_fails_every_later_call_with_its_errno(void)
{
	size_t n = 300 * KIB;
	unsigned char *in = mixed(n, 9);

	for (size_t m = 0; m < NALL; m++) {
		for (int threads = 1; threads <= 4; threads += 3) {
			int failed = 1, k;
			for (k = 1; failed && k < 40; k++)
				fail_output_at(all[m], threads, k, in, n,
				               &failed);
			/* It ran until an output failed no more: every call
			 * was made to fail once. */
			CHECK(!failed && k > 2);
		}
	}
	free(in);
}

static void
an_allocation_failing_in_a_worker_fails_the_stream_with_enomem(void)
{
	size_t n = 600 * KIB;
	unsigned char *in = mixed(n, 10);

	for (size_t m = 0; m + 1 < NALL; m++) {
		int midway = 0, k, done = 0;
		for (k = 1; !done && k < 200; k++) {
			struct sk_compress_options o = {0, 4, 1, 64 * KIB};
			struct sink s = {0};
			sk_compress *c;
			int r = 0;
			o.level = 1;
			if (all[m] == SK_COMPRESS_XZ ||
			    all[m] == SK_COMPRESS_ZSTD)
				o.block = 0;
			atomic_store(&sk__compress_fail_alloc, k);
			c = sk_compress_open(all[m], &o, -1, sink_out, &s);
			if (c == NULL) {
				CHECK_EQ(errno, ENOMEM);
				continue;
			}
			for (size_t off = 0; r == 0 && off < n;
			     off += 100 * KIB)
				r = sk_compress_write(c, in + off, 100 * KIB);
			if (r == 0)
				r = sk_compress_finish(c);
			if (r < 0) {
				CHECK_EQ(errno, ENOMEM);
				midway += s.len > 0;
				CHECK(sk_compress_close(c) < 0 &&
				      errno == ENOMEM);
			} else {
				CHECK(sk_compress_close(c) == 0);
				/* No allocation was left to fail: done. */
				done =
				    atomic_load(&sk__compress_fail_alloc) > 0;
				CHECK(tool_reads(all[m], s.buf, s.len, in, n));
			}
			free(s.buf);
		}
		atomic_store(&sk__compress_fail_alloc, 0);
		CHECK(done);
		/* xz's workers allocate through the hook too, but whether
		 * one fails before output starts depends on timing; zstd's
		 * allocate on their own (see compress_zstd.c). */
		midway |=
		    all[m] == SK_COMPRESS_XZ || all[m] == SK_COMPRESS_ZSTD;
		CHECK(midway > 0);
		if (!done || midway == 0)
			printf("#   %s: k %d, failures midway %d\n",
			       sk_compress_name(all[m]), k, midway);
	}
	free(in);
}

static void
the_pull_stream_reads_its_source_compressed(void)
{
	size_t n = 300 * KIB, zn, got;
	unsigned char *in = mixed(n, 11), *z, *r;
	struct sk_compress_options o = {0, 3, 1, 64 * KIB};
	sk_stream *s;
	int fd;

	z = squeeze(SK_COMPRESS_GZIP, 0, 3, 64 * KIB, in, n, 0, &zn);
	for (size_t step = 1; step < 100000; step *= 317) {
		s = sk_compress_stream_open(sk_mem_open(in, n, 0),
		                            SK_COMPRESS_GZIP, &o);
		r = t_read_all(s, step, &got);
		CHECK(z && got == zn && !memcmp(r, z, zn));
		CHECK(sk_read(s, r, 1) == 0);
		CHECK(sk_close(s) == 0);
		free(r);
	}
	/* A source that fails: its errno. */
	fd = open("/", O_RDONLY | O_DIRECTORY);
	s = sk_compress_stream_open(sk_fd_open(fd, SK_FD_OWN), SK_COMPRESS_XZ,
	                            NULL);
	CHECK(s && sk_read(s, in, 100) < 0 && errno == EISDIR);
	CHECK(sk_error(s) == EISDIR);
	sk_close(s);
	/* A bad method: NULL, the source closed (ASan: no leak). */
	CHECK(sk_compress_stream_open(sk_mem_open(in, n, 0), 42, NULL) == NULL);
	free(z);
	free(in);
}

static void
levels_threads_and_blocks_are_checked_against_each_method(void)
{
	static const int want[][3] = {{0, 0, 0}, {1, 9, 6},  {1, 9, 9},
	                              {1, 9, 6}, {1, 19, 3}, {1, 12, 1}};
	static const struct {
		int method, level, threads;
		size_t block;
	} bad[] = {
	    {SK_COMPRESS_GZIP, 10, 0, 0},
	    {SK_COMPRESS_GZIP, -1, 0, 0},
	    {SK_COMPRESS_NONE, 1, 0, 0},
	    {SK_COMPRESS_ZSTD, 20, 0, 0},
	    {SK_COMPRESS_LZ4, 13, 0, 0},
	    {SK_COMPRESS_XZ, 0, -1, 0},
	    {SK_COMPRESS_GZIP, 0, 0, 1000},
	    {SK_COMPRESS_LZ4, 0, 0, 100000},
	    {SK_COMPRESS_GZIP, 0, 0, 1u << 30},
	    {6, 0, 0, 0},
	    {-1, 0, 0, 0},
	};
	int lo, hi, def;

	for (int m = 0; m < 6; m++) {
		CHECK(sk_compress_levels(m, &lo, &hi, &def) == 0);
		CHECK(lo == want[m][0] && hi == want[m][1] &&
		      def == want[m][2]);
	}
	CHECK(sk_compress_levels(6, &lo, NULL, NULL) < 0 && errno == EINVAL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sk_compress_options o = {bad[i].level, bad[i].threads, 0,
		                                bad[i].block};
		errno = 0;
		CHECK(sk_compress_open(bad[i].method, &o, 1, NULL, NULL) ==
		      NULL);
		CHECK_EQ(errno, EINVAL);
	}
	CHECK(sk_compress_open(SK_COMPRESS_GZIP, NULL, -1, NULL, NULL) ==
	          NULL &&
	      errno == EBADF);
	CHECK(sk_compress_close(NULL) == 0);
}

static void
methods_are_found_by_name_and_by_gnu_tar_suffix(void)
{
	static const struct {
		const char *path;
		int method;
	} cases[] = {
	    {"a.tar.gz", SK_COMPRESS_GZIP},
	    {"a.tgz", SK_COMPRESS_GZIP},
	    {"a.taz", SK_COMPRESS_GZIP},
	    {"x/a.tar.bz2", SK_COMPRESS_BZIP2},
	    {"a.tbz", SK_COMPRESS_BZIP2},
	    {"a.tbz2", SK_COMPRESS_BZIP2},
	    {"a.tz2", SK_COMPRESS_BZIP2},
	    {"a.tar.xz", SK_COMPRESS_XZ},
	    {"a.txz", SK_COMPRESS_XZ},
	    {"a.tar.zst", SK_COMPRESS_ZSTD},
	    {"a.tzst", SK_COMPRESS_ZSTD},
	    {"a.tar.lz4", SK_COMPRESS_LZ4},
	    {"a.tar", SK_COMPRESS_NONE},
	    {"a", SK_COMPRESS_NONE},
	    {"a.GZ", SK_COMPRESS_NONE},
	    {"d.gz/a", SK_COMPRESS_NONE},
	    {"a.tar.gz.part", SK_COMPRESS_NONE},
	    {"", SK_COMPRESS_NONE},
	    {".gz", SK_COMPRESS_GZIP},
	    {"a.gz", SK_COMPRESS_GZIP},
	};
	static const char *unsupported[] = {"a.tar.Z",    "a.taZ", "a.tar.lz",
	                                    "a.tar.lzma", "a.tlz", "a.tar.lzo"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_EQ(sk_compress_suffix(cases[i].path), cases[i].method);
		if (sk_compress_suffix(cases[i].path) != cases[i].method)
			printf("#   %s\n", cases[i].path);
	}
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		CHECK(sk_compress_suffix(unsupported[i]) < 0 &&
		      errno == ENOTSUP);
	for (int m = 0; m < 6; m++)
		CHECK_EQ(sk_compress_method(sk_compress_name(m)), m);
	CHECK(sk_compress_name(6) == NULL && sk_compress_name(-1) == NULL);
	CHECK(sk_compress_method("gz") < 0 && errno == EINVAL);
	CHECK(sk_compress_method(NULL) < 0);
}

static void
counts_and_the_descriptor_output_match_what_was_written(void)
{
	size_t n = 150 * KIB;
	unsigned char *in = mixed(n, 12);
	int p[2];
	uint64_t cin, cout;
	sk_compress *c;
	unsigned char *z;
	size_t zn;

	/* Through a file descriptor: the bytes the callback gets. */
	CHECK(pipe(p) == 0);
	sk_pipe_grow(p[1], 1 << 20);
	c = sk_compress_open(SK_COMPRESS_ZSTD, NULL, p[1], NULL, NULL);
	CHECK(c && sk_compress_write(c, in, n) == 0 &&
	      sk_compress_finish(c) == 0);
	sk_compress_counts(c, &cin, &cout);
	CHECK(sk_compress_write(c, in, 1) < 0 && errno == EINVAL);
	CHECK(sk_compress_finish(c) == 0);
	CHECK(sk_compress_close(c) == 0);
	close(p[1]);
	CHECK_EQ(cin, n);
	z = malloc(cout + 1);
	CHECK(read(p[0], z, cout + 1) == (ssize_t)cout);
	CHECK(tool_reads(SK_COMPRESS_ZSTD, z, cout, in, n));
	free(z);
	close(p[0]);
	z = squeeze(SK_COMPRESS_ZSTD, 0, 2, 0, in, n, 0, &zn);
	CHECK_EQ(zn, cout);
	free(z);
	free(in);
}

T_CASES(T(every_method_round_trips_at_its_level_extremes_on_1_and_4_threads),
        T(output_is_the_same_for_any_thread_count_and_write_size),
        T(empty_and_one_byte_inputs_make_complete_streams),
        T(gzip_blocks_join_at_every_size_across_block_boundaries),
        T(incompressible_input_round_trips_and_barely_grows),
        T(bzip2_writes_the_bytes_of_bzip2_also_where_a_run_crosses_a_block_end),
        T(bzip2_ends_a_block_early_on_long_runs_and_stays_valid),
        T(lz4_writes_the_bytes_of_lz4_for_every_block_size_and_level),
        T(gzip_output_is_read_by_every_reader_of_tar_gz),
        T(gzip_header_holds_the_time_unless_reproducible_and_the_level_hint),
        T(a_failing_output_fails_every_later_call_with_its_errno),
        T(an_allocation_failing_in_a_worker_fails_the_stream_with_enomem),
        T(the_pull_stream_reads_its_source_compressed),
        T(levels_threads_and_blocks_are_checked_against_each_method),
        T(methods_are_found_by_name_and_by_gnu_tar_suffix),
        T(counts_and_the_descriptor_output_match_what_was_written))
