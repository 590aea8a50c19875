/* Unit tests: the tar producer through the library's compressors (lib/
 * tar_compress.c): every compressor gives the plain archive back, the
 * same bytes for any thread count, levels checked, and a failing worker or
 * destination fails the archive. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

/* The fault hook of lib/compress.c (hidden from the shared library). */
extern _Atomic long sk__compress_fail_alloc;

static const int comps[] = {SK_TAR_GZIP, SK_TAR_BZIP2, SK_TAR_XZ, SK_TAR_ZSTD,
                            SK_TAR_LZ4};
#define NCOMPS (sizeof comps / sizeof comps[0])

static char top[] = "/tmp/sk-tarz.XXXXXX";
static char tree[256];

/* Lines of text, n bytes of them: compressible, as most archives are. */
static void
put_text(const char *rel, size_t n)
{
	char path[512], line[64];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tree, rel);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	for (size_t i = 0, k; i < n; i += k) {
		k = (size_t)snprintf(line, sizeof line, "line %zu of %zu\n",
		                     i * 7 % 1000003, n);
		fwrite(line, 1, k < n - i ? k : n - i, f);
	}
	if (fclose(f) != 0)
		abort();
}

/* A small tree, with 1.5 MiB of text so that gzip cuts two blocks even
 * at its default size, and some noise. */
static void
make_tree(void)
{
	char p[512];

	if (mkdtemp(top) == NULL)
		abort();
	snprintf(tree, sizeof tree, "%s/src", top);
	snprintf(p, sizeof p, "%s/sub", tree);
	if (mkdir(tree, 0755) < 0 || mkdir(p, 0750) < 0)
		abort();
	t_put_pattern(strcat(p, "/empty"), 0, 1);
	snprintf(p, sizeof p, "%s/sub/noise", tree);
	t_put_pattern(p, 200000, 2);
	put_text("text", 3 << 19);
}

static void
remove_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
}

/* Under ThreadSanitizer xz -9 and zstd -19 take minutes (see
 * test_compress.c): their fastest level there. */
static int
level_of(int method, int level)
{
	if (getenv("SK_TSAN") && (method == SK_TAR_XZ || method == SK_TAR_ZSTD))
		return 1;
	return level;
}

static int
tmpfd(void)
{
	char path[300];
	int fd;

	snprintf(path, sizeof path, "%s/out.XXXXXX", top);
	if ((fd = mkstemp(path)) < 0)
		abort();
	unlink(path);
	return fd;
}

/* The tree's archive with o, into memory; NULL when anything failed.
 * *written gets what sk_tar_close counted. */
static unsigned char *
archive(const struct sk_tar_options *o, size_t *len, uint64_t *written)
{
	int fd = tmpfd();
	sk_tar *t = sk_tar_open(fd, o);
	unsigned char *b = NULL;
	int ok = t != NULL;
	off_t end;

	ok = ok && sk_tar_add(t, tree) == 0;
	ok = t && sk_tar_close(t, written) == 0 && ok;
	end = lseek(fd, 0, SEEK_END);
	if (ok && end >= 0 && (b = malloc((size_t)end + 1)) != NULL &&
	    pread(fd, b, (size_t)end, 0) != end) {
		free(b);
		b = NULL;
	}
	*len = end > 0 ? (size_t)end : 0;
	close(fd);
	return b;
}

/* A reproducible archive, so that two runs may be compared. */
static struct sk_tar_options
repro(int compress, int level, int threads)
{
	struct sk_tar_options o = {.reproducible = 1,
	                           .mtime_mode = SK_TAR_MTIME_CLAMP,
	                           .mtime = 1000000000,
	                           .compress = compress,
	                           .level = level,
	                           .threads = threads};
	return o;
}

/* z decompressed by the method's own tool is exactly plain. */
static int
decompresses_to(int method, const unsigned char *z, size_t zn,
                const unsigned char *plain, size_t pn)
{
	static const char *const tools[] = {[SK_TAR_GZIP] = "gzip",
	                                    [SK_TAR_BZIP2] = "bzip2",
	                                    [SK_TAR_XZ] = "xz",
	                                    [SK_TAR_ZSTD] = "zstd -q",
	                                    [SK_TAR_LZ4] = "lz4 -q"};
	char zpath[300], ppath[300], cmd[1600];
	int fd, ok;

	snprintf(zpath, sizeof zpath, "%s/z", top);
	snprintf(ppath, sizeof ppath, "%s/plain", top);
	if ((fd = open(zpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    sk_write_all(fd, z, zn) < 0 || close(fd) < 0 ||
	    (fd = open(ppath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    sk_write_all(fd, plain, pn) < 0 || close(fd) < 0)
		abort();
	snprintf(cmd, sizeof cmd, "%s -t <%s && %s -dc <%s | cmp -s - %s",
	         tools[method], zpath, tools[method], zpath, ppath);
	ok = system(cmd) == 0;
	if (!ok)
		printf("#   failed: %s\n", cmd);
	return ok;
}

static void
every_compressor_gives_the_plain_archive_back_on_1_and_4_threads(void)
{
	struct sk_tar_options po = repro(SK_TAR_PLAIN, 0, 0);
	size_t pn;
	unsigned char *plain = archive(&po, &pn, NULL);

	CHECK(plain != NULL);
	for (size_t m = 0; plain && m < NCOMPS; m++) {
		int lo, hi, def;
		CHECK_EQ(sk_compress_levels(comps[m], &lo, &hi, &def), 0);
		/* xz -9 and zstd -19 take seconds here; test_compress.c and
		 * tarstream-compress.bats run them on less. */
		if (comps[m] == SK_TAR_XZ || comps[m] == SK_TAR_ZSTD)
			hi = def;
		for (int l = 0; l < 2; l++) {
			int level = level_of(comps[m], l ? hi : lo);
			struct sk_tar_options o1 = repro(comps[m], level, 1);
			struct sk_tar_options o4 = repro(comps[m], level, 4);
			size_t n1, n4;
			uint64_t w1 = 0, w4 = 0;
			unsigned char *z1 = archive(&o1, &n1, &w1);
			unsigned char *z4 = archive(&o4, &n4, &w4);
			CHECK(z1 && z4);
			if (z1 && z4) {
				/* zstd: one compressor on 1 thread, libzstd's
				 * workers on 4 (compress_zstd.c). */
				if (comps[m] == SK_TAR_ZSTD)
					CHECK(decompresses_to(comps[m], z1, n1,
					                      plain, pn));
				else
					CHECK(n1 == n4 &&
					      memcmp(z1, z4, n1) == 0);
				CHECK(decompresses_to(comps[m], z4, n4, plain,
				                      pn));
				CHECK(n4 < pn);
			}
			/* What sk_tar_close counts is what was written. */
			CHECK_EQ(w1, n1);
			CHECK_EQ(w4, n4);
			free(z1);
			free(z4);
		}
	}
	free(plain);
}

static void
the_stream_form_writes_the_same_compressed_bytes(void)
{
	for (size_t m = 0; m < NCOMPS; m++) {
		struct sk_tar_options o = repro(comps[m], 1, 2);
		const char *paths[] = {tree};
		sk_stream *s = sk_tar_stream_open(paths, 1, &o, 4096);
		char *got = NULL;
		int64_t gn = sk_slurp(s, 64 << 20, &got);
		size_t n;
		unsigned char *want = archive(&o, &n, NULL);

		CHECK_EQ(sk_error(s), 0);
		CHECK(want && gn == (int64_t)n && memcmp(got, want, n) == 0);
		sk_close(s);
		free(got);
		free(want);
	}
}

static void
a_level_out_of_the_compressors_range_or_an_unknown_one_is_einval(void)
{
	int fd = tmpfd();

	for (size_t m = 0; m < NCOMPS; m++) {
		int lo, hi;
		struct sk_tar_options o = {.compress = comps[m]};
		sk_compress_levels(comps[m], &lo, &hi, NULL);
		o.level = hi + 1;
		errno = 0;
		CHECK(sk_tar_open(fd, &o) == NULL && errno == EINVAL);
		o.level = lo - 1 == 0 ? -1 : lo - 1;
		errno = 0;
		CHECK(sk_tar_open(fd, &o) == NULL && errno == EINVAL);
	}
	{
		struct sk_tar_options o = {.compress = SK_TAR_LZ4 + 1};
		errno = 0;
		CHECK(sk_tar_open(fd, &o) == NULL && errno == EINVAL);
		o.compress = SK_TAR_PLAIN;
		o.level = 3; /* nothing to compress at that level */
		errno = 0;
		CHECK(sk_tar_open(fd, &o) == NULL && errno == EINVAL);
	}
	/* Nothing was written by the refused ones. */
	CHECK_EQ(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}

/*
 * An allocation of the compressor failing at the k-th, for every k until
 * one run has none left to fail: each failing run ends with ENOMEM from
 * sk_tar_open, sk_tar_add or sk_tar_close, never with 0.
 */
static void
a_compressor_running_out_of_memory_fails_the_archive_with_enomem(void)
{
	for (size_t m = 0; m < NCOMPS; m++) {
		int done = 0, failed = 0, midway = 0, k;
		for (k = 1; !done && k < 200; k++) {
			struct sk_tar_options o = repro(comps[m], 1, 3);
			int fd = tmpfd(), r;
			sk_tar *t;
			atomic_store(&sk__compress_fail_alloc, k);
			errno = 0;
			if ((t = sk_tar_open(fd, &o)) == NULL) {
				CHECK_EQ(errno, ENOMEM);
				failed++;
				close(fd);
				continue;
			}
			r = sk_tar_add(t, tree);
			if (r < 0)
				CHECK_EQ(errno, ENOMEM);
			errno = 0;
			if (sk_tar_close(t, NULL) < 0) {
				CHECK_EQ(errno, ENOMEM);
				failed++;
				midway++;
			} else {
				CHECK_EQ(r, 0);
				done =
				    atomic_load(&sk__compress_fail_alloc) > 0;
			}
			close(fd);
		}
		atomic_store(&sk__compress_fail_alloc, 0);
		CHECK(done);
		/* libzstd allocates on its own (compress_zstd.c): only the
		 * fault matrix's failing malloc reaches it. */
		CHECK(failed > 0 || comps[m] == SK_TAR_ZSTD);
		CHECK(midway > 0 || comps[m] == SK_TAR_ZSTD);
		if (!done || ((!failed || !midway) && comps[m] != SK_TAR_ZSTD))
			printf("#   %s: k %d, failed %d, midway %d\n",
			       sk_compress_name(comps[m]), k, failed, midway);
	}
}

/* The archive of the tree to fd fails with err (from sk_tar_add or
 * sk_tar_close); 1 when it does. */
static int
archive_fails_with(int fd, int compress, int err)
{
	struct sk_tar_options o = {.compress = compress, .level = 1};
	sk_tar *t = sk_tar_open(fd, &o);
	int r, e;

	if (t == NULL)
		return 0;
	r = sk_tar_add(t, tree);
	e = errno;
	if (sk_tar_close(t, NULL) == 0)
		return 0;
	return (r == 0 || e == err) && errno == err;
}

/* /dev/full, and a pipe whose reader is gone (SIGPIPE ignored, as a
 * program's parent may leave it): the archive fails with the
 * destination's errno. */
static void
a_failing_destination_fails_the_compressed_archive_with_its_errno(void)
{
	signal(SIGPIPE, SIG_IGN);
	for (size_t m = 0; m < NCOMPS; m++) {
		int fds[2], full = open("/dev/full", O_WRONLY);

		CHECK(full >= 0 && archive_fails_with(full, comps[m], ENOSPC));
		close(full);
		CHECK(pipe(fds) == 0);
		close(fds[0]);
		CHECK(archive_fails_with(fds[1], comps[m], EPIPE));
		close(fds[1]);
	}
}

T_SUITE(make_tree, remove_tree,
        T(every_compressor_gives_the_plain_archive_back_on_1_and_4_threads),
        T(the_stream_form_writes_the_same_compressed_bytes),
        T(a_level_out_of_the_compressors_range_or_an_unknown_one_is_einval),
        T(a_compressor_running_out_of_memory_fails_the_archive_with_enomem),
        T(a_failing_destination_fails_the_compressed_archive_with_its_errno))
