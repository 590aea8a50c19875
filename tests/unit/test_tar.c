/* Unit tests: the tar producer, read back with libarchive's reader. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

static char top[] = "/tmp/sk-tar.XXXXXX";
static char tree[256];
static int warnings;

static void
put(const char *rel, size_t n, unsigned seed)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", tree, rel);
	t_put_pattern(path, n, seed);
}

static void
make_tree(void)
{
	char p[512], q[512];
	static const size_t sizes[] = {0, 1, 511, 512, 513, 10240, 100000};

	if (mkdtemp(top) == NULL)
		abort();
	snprintf(tree, sizeof tree, "%s/src", top);
	mkdir(tree, 0755);
	snprintf(p, sizeof p, "%s/sub", tree);
	mkdir(p, 0750);
	snprintf(p, sizeof p, "%s/sub/deeper", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/empty", tree);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/.git", tree);
	mkdir(p, 0755);
	put(".git/config", 10, 9);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "sub/f%zu.dat", sizes[i]);
		put(rel, sizes[i], (unsigned)i + 1);
	}
	put("sub/deeper/x.o", 100, 20);
	put("name with spaces", 3, 21);
	put("caf\xc3\xa9.txt", 4, 22);
	snprintf(p, sizeof p, "%s/sub/f100000.dat", tree);
	snprintf(q, sizeof q, "%s/hardlink", tree);
	if (link(p, q) < 0)
		abort();
	snprintf(q, sizeof q, "%s/symlink", tree);
	if (symlink("sub/f1.dat", q) < 0)
		abort();
	snprintf(q, sizeof q, "%s/fifo", tree);
	if (mkfifo(q, 0600) < 0)
		abort();
}

static void
on_warn(void *arg, const char *path, int err, const char *what)
{
	(void)arg;
	(void)path;
	(void)err;
	(void)what;
	warnings++;
}

struct seen {
	int entries, files, dirs, links, hardlinks, fifos, bad_names;
	int content_ok, content_bad, vcs, objects;
};

/* Reads an archive from fd and checks every entry against the tree. */
static void
check_archive(int fd, struct seen *s)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[65536];

	memset(s, 0, sizeof *s);
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_fd(a, fd, 10240) != ARCHIVE_OK) {
		printf("# open: %s\n", archive_error_string(a));
		s->content_bad++;
		archive_read_free(a);
		return;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char path[1024];
		s->entries++;
		if (name[0] == '/' || strstr(name, "..") != NULL)
			s->bad_names++;
		if (strstr(name, ".git"))
			s->vcs++;
		if (strstr(name, ".o") && strstr(name, "x.o"))
			s->objects++;
		if (archive_entry_hardlink(e)) {
			s->hardlinks++;
			continue;
		}
		switch (archive_entry_filetype(e)) {
		case AE_IFDIR:
			s->dirs++;
			break;
		case AE_IFLNK:
			s->links++;
			if (strcmp(archive_entry_symlink(e), "sub/f1.dat") != 0)
				s->content_bad++;
			break;
		case AE_IFIFO:
			s->fifos++;
			break;
		case AE_IFREG: {
			/* Compare with the file the name stands for: the tree
			 * was given by its absolute path, stored without the
			 * leading '/'. */
			sk_stream *f;
			char *want = NULL;
			int64_t wn;
			size_t have = 0;
			ssize_t r;
			s->files++;
			snprintf(path, sizeof path, "/%s", name);
			f = sk_path_open(path);
			wn = f ? sk_slurp(f, 1 << 20, &want) : -1;
			sk_close(f);
			while ((r = archive_read_data(a, buf + have,
			                              sizeof buf - have)) > 0) {
				have += (size_t)r;
				if (have == sizeof buf)
					break;
			}
			/* Files here are under 64 KiB but one; compare a
			 * prefix. */
			if (wn >= 0 &&
			    memcmp(buf, want,
			           have < (size_t)wn ? have : (size_t)wn) ==
			        0 &&
			    (have == sizeof buf || (int64_t)have == wn))
				s->content_ok++;
			else
				s->content_bad++;
			free(want);
			break;
		}
		default:
			break;
		}
	}
	archive_read_free(a);
}

static int
tmpfd(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "%s/out.XXXXXX", top);
	fd = mkstemp(path);
	unlink(path);
	return fd;
}

/* The tree archived with o into a scratch file and read back into *s;
 * the file's descriptor, for the caller to look at more and close. */
static int
tree_read_back(const struct sk_tar_options *o, struct seen *s)
{
	int fd = tmpfd();
	sk_tar *t = sk_tar_open(fd, o);

	CHECK(t != NULL);
	CHECK_EQ(sk_tar_add(t, tree), 0);
	CHECK_EQ(sk_tar_close(t, NULL), 0);
	lseek(fd, 0, SEEK_SET);
	check_archive(fd, s);
	return fd;
}

/* The whole archive of path, made as a stream, read into memory. */
static char *
path_bytes(const char *path, const struct sk_tar_options *o, size_t *len)
{
	const char *paths[] = {path};
	sk_stream *s = sk_tar_stream_open(paths, 1, o, 4096);
	char *out = NULL;
	int64_t n = sk_slurp(s, 64 << 20, &out);

	CHECK(n > 0);
	CHECK_EQ(sk_error(s), 0);
	sk_close(s);
	*len = n > 0 ? (size_t)n : 0;
	return out;
}

static void
a_tree_with_every_kind_of_entry_is_made(void)
{
	CHECK(setlocale(LC_ALL, "C.UTF-8") != NULL);
	make_tree();
}

static void
every_format_and_compressor_reads_back_exactly(void)
{
	static const int formats[] = {SK_TAR_PAX, SK_TAR_USTAR, SK_TAR_GNU};
	static const int comps[] = {SK_TAR_PLAIN, SK_TAR_GZIP, SK_TAR_BZIP2,
	                            SK_TAR_XZ,    SK_TAR_ZSTD, SK_TAR_LZ4};

	for (size_t f = 0; f < 3; f++) {
		for (size_t c = 0; c < sizeof comps / sizeof comps[0]; c++) {
			struct sk_tar_options o = {.format = formats[f],
			                           .compress = comps[c],
			                           .warn = on_warn};
			struct seen s;
			int fd = tree_read_back(&o, &s);
			/* src, sub, sub/deeper, empty, .git: 5 dirs; 7 + x.o +
			 * spaces + café + .git/config: 11 files; 1 hardlink. */
			CHECK_EQ(s.dirs, 5);
			CHECK_EQ(s.files, 11);
			CHECK_EQ(s.hardlinks, 1);
			CHECK_EQ(s.links, 1);
			CHECK_EQ(s.fifos, 1);
			CHECK_EQ(s.content_bad, 0);
			CHECK_EQ(s.content_ok, 11);
			CHECK_EQ(s.bad_names, 0);
			close(fd);
		}
	}
}

/* A zip holds files, directories and links: the hard link comes back as
 * a second copy of its file, the FIFO is left out with a notice. */
static void
zip_reads_back_exactly_deflated_and_stored(void)
{
	static const int comps[] = {SK_TAR_GZIP, SK_TAR_PLAIN};
	static const int levels[] = {0, 1, 9};

	for (size_t c = 0; c < 2; c++) {
		for (size_t l = 0; l < (c == 0 ? 3u : 1u); l++) {
			struct sk_tar_options o = {.format = SK_TAR_ZIP,
			                           .compress = comps[c],
			                           .level = levels[l],
			                           .warn = on_warn};
			int before = warnings, fd;
			struct seen s;
			char magic[4] = {0};
			fd = tree_read_back(&o, &s);
			CHECK(pread(fd, magic, 4, 0) == 4);
			CHECK(memcmp(magic, "PK\3\4", 4) == 0);
			CHECK_EQ(s.dirs, 5);
			CHECK_EQ(s.files, 12);
			CHECK_EQ(s.hardlinks, 0);
			CHECK_EQ(s.links, 1);
			CHECK_EQ(s.fifos, 0);
			CHECK_EQ(s.content_bad, 0);
			CHECK_EQ(s.content_ok, 12);
			CHECK_EQ(s.bad_names, 0);
			/* The leading "/" removed, the FIFO left out. */
			CHECK_EQ(warnings - before, 2);
			close(fd);
		}
	}
}

/* Flags of the local header whose name is at the end of the zip's bytes
 * p[0..n): bit 3 (data descriptor), bit 11 (UTF-8 name); -1 if absent. */
static int
zip_flags(const unsigned char *p, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i + 30 + len <= n; i++)
		if (memcmp(p + i, "PK\3\4", 4) == 0 &&
		    (size_t)(p[i + 26] | p[i + 27] << 8) == len &&
		    memcmp(p + i + 30, name, len) == 0)
			return p[i + 6] | p[i + 7] << 8;
	return -1;
}

static void
zip_flags_names_and_refuses_what_it_cannot_hold(void)
{
	char dir[512], path[600];
	struct sk_tar_options o = {
	    .format = SK_TAR_ZIP, .compress = SK_TAR_GZIP, .warn = on_warn};
	size_t len;
	char *z;
	int before = warnings;

	snprintf(dir, sizeof dir, "%s/names", top);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(path, sizeof path, "%s/caf\xc3\xa9", dir);
	t_put_pattern(path, 10, 1);
	snprintf(path, sizeof path, "%s/bad\xff", dir);
	t_put_pattern(path, 10, 2);
	snprintf(path, sizeof path, "%s/ascii", dir);
	t_put_pattern(path, 10, 3);
	CHECK(chdir(top) == 0);
	z = path_bytes("names", &o, &len);
	CHECK(z != NULL);
	/* Even in the C locale: the flag says what the bytes are. */
	CHECK(setlocale(LC_ALL, "C") != NULL);
	{
		char *z2;
		size_t len2;
		z2 = path_bytes("names", &o, &len2);
		CHECK(z2 && len2 == len && memcmp(z, z2, len) == 0);
		free(z2);
	}
	CHECK(setlocale(LC_ALL, "C.UTF-8") != NULL);
	CHECK_EQ(zip_flags((unsigned char *)z, len, "names/caf\xc3\xa9"),
	         0x808);
	CHECK_EQ(zip_flags((unsigned char *)z, len, "names/bad\xff"), 0x8);
	CHECK_EQ(zip_flags((unsigned char *)z, len, "names/ascii"), 0x8);
	CHECK_EQ(warnings - before, 2 * 1); /* bad\xff, once a run */
	free(z);
	/* What a zip cannot be asked for. */
	{
		struct sk_tar_options bad[] = {
		    {.format = SK_TAR_ZIP, .compress = SK_TAR_XZ},
		    {.format = SK_TAR_ZIP, .compress = SK_TAR_ZSTD},
		    {.format = SK_TAR_ZIP,
		     .compress = SK_TAR_GZIP,
		     .level = 10},
		    {.format = SK_TAR_ZIP,
		     .compress = SK_TAR_GZIP,
		     .level = -1},
		    {.format = SK_TAR_ZIP,
		     .compress = SK_TAR_PLAIN,
		     .level = 3},
		    {.format = SK_TAR_ZIP,
		     .compress = SK_TAR_GZIP,
		     .blocking = 20},
		    {.format = SK_TAR_ZIP,
		     .compress = SK_TAR_GZIP,
		     .xattrs = 1},
		    {.format = SK_TAR_ZIP, .compress = SK_TAR_GZIP, .acls = 1},
		    {.format = SK_TAR_ZIP + 1},
		};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			int fd = tmpfd();
			errno = 0;
			CHECK(sk_tar_open(fd, &bad[i]) == NULL);
			CHECK_EQ(errno, EINVAL);
			close(fd);
		}
	}
}

static void
names_are_relative_without_dotdot(void)
{
	char path[512];
	struct sk_tar_options o = {.warn = on_warn};
	int fd = tmpfd();
	sk_tar *t = sk_tar_open(fd, &o);
	struct seen s;

	/* An absolute path with a ".." inside: stored from after the
	 * last "..", as GNU tar does. */
	snprintf(path, sizeof path, "%s/sub/deeper/../deeper", tree);
	warnings = 0;
	CHECK_EQ(sk_tar_add(t, path), 0);
	CHECK_EQ(sk_tar_close(t, NULL), 0);
	CHECK_EQ(warnings, 1); /* the removed prefix, said once */
	lseek(fd, 0, SEEK_SET);
	check_archive(fd, &s);
	CHECK_EQ(s.bad_names, 0);
	CHECK_EQ(s.entries, 2);
	close(fd);
}

static void
excludes_prune_subtrees_and_vcs(void)
{
	sk_exclude *x = sk_exclude_new(NULL, NULL);
	struct sk_tar_options o = {.exclude = x};
	int fd = tmpfd();
	sk_tar *t;
	struct seen s;

	CHECK_EQ(sk_exclude_add(x, "*.o", SK_EXCL_DEFAULT), 0);
	CHECK_EQ(sk_exclude_add(x, "empty", SK_EXCL_DEFAULT), 0);
	CHECK_EQ(sk_exclude_add_vcs(x), 0);
	t = sk_tar_open(fd, &o);

	CHECK_EQ(sk_tar_add(t, tree), 0);
	CHECK_EQ(sk_tar_close(t, NULL), 0);
	lseek(fd, 0, SEEK_SET);
	check_archive(fd, &s);
	CHECK_EQ(s.vcs, 0);
	CHECK_EQ(s.objects, 0);
	CHECK_EQ(s.dirs, 3); /* src, sub, sub/deeper */
	close(fd);
	sk_exclude_free(x);
}

static void
reproducible_archives_are_identical_compressed_too(void)
{
	static const int comps[] = {SK_TAR_PLAIN, SK_TAR_GZIP, SK_TAR_ZSTD,
	                            SK_TAR_XZ};

	for (size_t c = 0; c < 4; c++) {
		struct sk_tar_options o = {.reproducible = 1,
		                           .mtime_mode = SK_TAR_MTIME_CLAMP,
		                           .mtime = 1000000000,
		                           .compress = comps[c],
		                           .threads = 1};
		size_t la, lb;
		char *a = path_bytes(tree, &o, &la);
		/* Touch a file: its mtime is clamped, the bytes stay. */
		char path[512];
		snprintf(path, sizeof path, "%s/name with spaces", tree);
		utimensat(AT_FDCWD, path, NULL, 0);
		char *b = path_bytes(tree, &o, &lb);
		CHECK_EQ(la, lb);
		CHECK(la == lb && memcmp(a, b, la) == 0);
		free(a);
		free(b);
	}
}

static void
stream_gives_the_same_archive_as_the_descriptor(void)
{
	struct sk_tar_options o = {.sort = 1, .compress = SK_TAR_ZSTD};
	size_t n;
	char *bytes = path_bytes(tree, &o, &n);
	int fd = t_tmpfile_with(bytes, n);
	struct seen s;

	check_archive(fd, &s);
	CHECK_EQ(s.files, 11);
	CHECK_EQ(s.content_bad, 0);
	close(fd);
	free(bytes);
}

static void
closing_the_stream_early_stops_the_walk(void)
{
	const char *paths[] = {"/usr/share"};
	sk_stream *s = sk_tar_stream_open(paths, 1, NULL, 4096);
	char b[100];

	CHECK_EQ(sk_read(s, b, sizeof b), (ssize_t)sizeof b);
	/* Returns once the producer saw ECANCELED and stopped. */
	CHECK_EQ(sk_close(s), 0);
}

static void
failing_output_and_missing_input_are_reported(void)
{
	int full = open("/dev/full", O_WRONLY);
	sk_tar *t = sk_tar_open(full, NULL);
	char path[512];

	CHECK(t != NULL);
	/* Output is gathered: a small tree fails at the latest when the
	 * archive is closed, with the writer's errno. */
	errno = 0;
	if (sk_tar_add(t, tree) == -1)
		CHECK_EQ(errno, ENOSPC);
	errno = 0;
	CHECK_EQ(sk_tar_close(t, NULL), -1);
	CHECK_EQ(errno, ENOSPC);
	close(full);
	int fd = tmpfd();
	struct sk_tar_options o = {.warn = on_warn};
	t = sk_tar_open(fd, &o);
	snprintf(path, sizeof path, "%s/missing", tree);
	warnings = 0;
	/* A missing argument is a file not stored: SK_TAR_SKIPPED. */
	CHECK_EQ(sk_tar_add(t, path), SK_TAR_SKIPPED);
	CHECK_EQ(warnings, 1);
	CHECK_EQ(sk_tar_warned(t), SK_TAR_SKIPPED);
	CHECK_EQ(sk_tar_close(t, NULL), 0);
	close(fd);
	o.compress = 99;
	errno = 0;
	CHECK(sk_tar_open(1, &o) == NULL);
	CHECK_EQ(errno, EINVAL);
}

/* Archives one file with o into fd; returns the archive's size. */
static off_t
archive_one(const char *path, struct sk_tar_options *o, int fd)
{
	sk_tar *t = sk_tar_open(fd, o);

	CHECK(t != NULL);
	CHECK_EQ(sk_tar_add(t, path), 0);
	CHECK_EQ(sk_tar_close(t, NULL), 0);
	return lseek(fd, 0, SEEK_CUR);
}

static void
sparse_files_are_stored_sparse_and_read_back_whole(void)
{
	char path[512];
	static const int formats[] = {SK_TAR_PAX, SK_TAR_GNU, SK_TAR_USTAR,
	                              SK_TAR_ZIP};
	unsigned char *head = t_pattern(4096, 30), *tail = t_pattern(4096, 31);
	int fd;

	snprintf(path, sizeof path, "%s/sparse", top);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	sk_write_all(fd, head, 4096);
	CHECK(pwrite(fd, tail, 4096, (64 << 20) - 4096) == 4096);
	close(fd);
	for (size_t f = 0; f < 4; f++) {
		struct sk_tar_options o = {.format = formats[f]};
		int out = tmpfd();
		off_t size;
		if (formats[f] == SK_TAR_ZIP)
			o.compress = SK_TAR_GZIP;
		size = archive_one(path, &o, out);
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		char *buf = malloc(1 << 20);
		int64_t total = 0, bad = 0;
		ssize_t r;
		/* pax stores holes as holes; ustar and GNU have no sparse
		 * entries here: the holes go in as zeros (zip deflates them
		 * to next to nothing). */
		if (formats[f] == SK_TAR_PAX || formats[f] == SK_TAR_ZIP)
			CHECK(size < (1 << 20));
		else
			CHECK(size > (64 << 20));
		lseek(out, 0, SEEK_SET);
		archive_read_support_format_all(a);
		CHECK(archive_read_open_fd(a, out, 10240) == ARCHIVE_OK);
		CHECK(archive_read_next_header(a, &e) == ARCHIVE_OK);
		CHECK_EQ(archive_entry_size(e), 64 << 20);
		while ((r = archive_read_data(a, buf, 1 << 20)) > 0) {
			for (ssize_t i = 0; i < r; i++) {
				int64_t o2 = total + i;
				unsigned char want =
				    o2 < 4096 ? head[o2]
				    : o2 >= (64 << 20) - 4096
				        ? tail[o2 - ((64 << 20) - 4096)]
				        : 0;
				bad += (unsigned char)buf[i] != want;
			}
			total += r;
		}
		CHECK_EQ(total, 64 << 20);
		CHECK_EQ(bad, 0);
		archive_read_free(a);
		free(buf);
		close(out);
	}
	unlink(path);
	free(head);
	free(tail);
}

static void
xattrs_and_acls_are_stored_on_request(void)
{
	char path[512], cmd[600];
	struct sk_tar_options o = {0};
	int with;

	snprintf(path, sizeof path, "%s/attrs", top);
	put("../attrs", 10, 40);
	CHECK(setxattr(path, "user.streamkit", "yes", 3, 0) == 0);
	snprintf(cmd, sizeof cmd, "setfacl -m u:nobody:r '%s'", path);
	CHECK(system(cmd) == 0);
	for (with = 0; with < 2; with++) {
		int out = tmpfd();
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		o.xattrs = o.acls = with;
		archive_one(path, &o, out);
		lseek(out, 0, SEEK_SET);
		archive_read_support_format_all(a);
		CHECK(archive_read_open_fd(a, out, 10240) == ARCHIVE_OK);
		CHECK(archive_read_next_header(a, &e) == ARCHIVE_OK);
		CHECK_EQ(archive_entry_xattr_count(e) > 0, with);
		CHECK_EQ(archive_entry_acl_count(
		             e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS) > 0,
		         with);
		if (with) {
			const char *name;
			const void *v;
			size_t vn;
			archive_entry_xattr_reset(e);
			CHECK(archive_entry_xattr_next(e, &name, &v, &vn) ==
			      ARCHIVE_OK);
			CHECK(strcmp(name, "user.streamkit") == 0 && vn == 3 &&
			      memcmp(v, "yes", 3) == 0);
		}
		archive_read_free(a);
		close(out);
	}
	unlink(path);
}

/* sk_tar_length, asked before the close, is the plain archive's length
 * once closed, for every blocking factor around the record boundaries and
 * for an empty archive; compressed, it is still the length before
 * compression. */
static void
length_is_the_archive_before_compression(void)
{
	static const int blocking[] = {0, 1, 2, 3, 19, 20, 21, 64};
	char path[512];

	snprintf(path, sizeof path, "%s/sub", tree);
	for (size_t b = 0; b < sizeof blocking / sizeof *blocking; b++) {
		for (int empty = 0; empty < 2; empty++) {
			struct sk_tar_options o = {.blocking = blocking[b],
			                           .warn = on_warn};
			int fd = tmpfd();
			sk_tar *t = sk_tar_open(fd, &o);
			uint64_t len, written;
			CHECK(t != NULL);
			if (!empty)
				CHECK_EQ(sk_tar_add(t, path), 0);
			len = sk_tar_length(t);
			CHECK_EQ(sk_tar_close(t, &written), 0);
			CHECK_EQ(len, written);
			CHECK_EQ((uint64_t)lseek(fd, 0, SEEK_END), written);
			if (blocking[b])
				CHECK_EQ(len % (uint64_t)(blocking[b] * 512),
				         0);
			close(fd);
		}
	}
	{
		struct sk_tar_options p = {.warn = on_warn}, z = p;
		int fd = tmpfd();
		sk_tar *t = sk_tar_open(fd, &p);
		uint64_t plain, len, written;
		CHECK_EQ(sk_tar_add(t, path), 0);
		CHECK_EQ(sk_tar_close(t, &plain), 0);
		close(fd);
		z.compress = SK_TAR_GZIP;
		fd = tmpfd();
		t = sk_tar_open(fd, &z);
		CHECK_EQ(sk_tar_add(t, path), 0);
		len = sk_tar_length(t);
		CHECK_EQ(sk_tar_close(t, &written), 0);
		CHECK_EQ(len, plain);
		CHECK(written != plain);
		close(fd);
	}
}

static void
the_scratch_tree_is_removed(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	CHECK(system(cmd) == 0);
}

T_SUITE(a_tree_with_every_kind_of_entry_is_made, the_scratch_tree_is_removed,
        T(every_format_and_compressor_reads_back_exactly),
        T(zip_reads_back_exactly_deflated_and_stored),
        T(zip_flags_names_and_refuses_what_it_cannot_hold),
        T(names_are_relative_without_dotdot),
        T(excludes_prune_subtrees_and_vcs),
        T(reproducible_archives_are_identical_compressed_too),
        T(stream_gives_the_same_archive_as_the_descriptor),
        T(closing_the_stream_early_stops_the_walk),
        T(failing_output_and_missing_input_are_reported),
        T(sparse_files_are_stored_sparse_and_read_back_whole),
        T(xattrs_and_acls_are_stored_on_request),
        T(length_is_the_archive_before_compression))
