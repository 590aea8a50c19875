/*
 * Unit tests: the tar producer's walk by directory descriptors and its
 * read-ahead, through the library's calls (the CLI suite has more in
 * tests/cli/tarstream-walk.bats).  Each test makes its own tree.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

/* A scratch directory for one test; removed by rm_tree. */
static char *
scratch(void)
{
	char *d = strdup("/tmp/sk-walk.XXXXXX");

	if (d == NULL || mkdtemp(d) == NULL)
		abort();
	return d;
}

static void
rm_tree(char *d)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", d);
	free(d);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || sk_write_all(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void
make_dir(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (mkdir(p, 0755) < 0)
		abort();
}

/*
 * Reads a whole archive from s; counts entries and how many bodies
 * contain "OUTSIDE".  Returns 0 when it read back whole, -1 otherwise.
 */
static int
scan_archive(sk_stream *s, int *entries, int *outside)
{
	size_t len;
	unsigned char *all = t_read_all(s, 65536, &len);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[4096];
	int r, bad = 0;

	*entries = *outside = 0;
	archive_read_support_format_all(a);
	if (all == NULL ||
	    archive_read_open_memory(a, all, len) != ARCHIVE_OK) {
		archive_read_free(a);
		free(all);
		return -1;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		ssize_t n;
		(*entries)++;
		while ((n = archive_read_data(a, buf, sizeof buf - 1)) > 0) {
			buf[n] = '\0';
			if (strstr(buf, "OUTSIDE"))
				(*outside)++;
		}
		bad |= n < 0;
	}
	bad |= r != ARCHIVE_EOF;
	archive_read_free(a);
	free(all);
	return bad ? -1 : 0;
}

/* Swaps a and b (renameat2 RENAME_EXCHANGE) until killed, pausing a
 * little after each swap so that both states last long enough to be met
 * (a swap in a tight loop holds the directory's locks most of the time). */
static pid_t
start_swapper(const char *a, const char *b)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;) {
			if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
			            2) < 0)
				_exit(1);
			usleep(20);
		}
	}
	return pid;
}

static void
stop_swapper(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
the_pull_stream_never_stores_a_file_from_a_directory_swapped_for_a_link(void)
{
	char *d = scratch(), top[300], dir[300], out[300], link[300];
	pid_t pid;

	snprintf(top, sizeof top, "%s/top", d);
	snprintf(dir, sizeof dir, "%s/top/dir", d);
	snprintf(out, sizeof out, "%s/outside", d);
	snprintf(link, sizeof link, "%s/link", d);
	make_dir(d, "top");
	make_dir(d, "top/dir");
	make_dir(d, "outside");
	for (int i = 0; i < 50; i++) {
		char name[32];
		snprintf(name, sizeof name, "m%d", i);
		write_file(dir, name, "inside\n");
		write_file(out, name, "OUTSIDE\n");
	}
	CHECK(symlink(out, link) == 0);
	pid = start_swapper(dir, link);
	for (int run = 0; run < 80; run++) {
		const char *paths[] = {top};
		struct sk_tar_options o = {.io_threads = run % 2 ? 4 : -1};
		sk_stream *s = sk_tar_stream_open(paths, 1, &o, 0);
		int entries, outside;
		CHECK(s != NULL);
		if (s == NULL)
			break;
		CHECK_EQ(scan_archive(s, &entries, &outside), 0);
		CHECK_EQ(outside, 0);
		CHECK(entries >= 1);
		CHECK_EQ(sk_close(s), 0);
	}
	stop_swapper(pid);
	rm_tree(d);
}

/* The archive of dir made with o, in memory. */
static unsigned char *
archive_of(const char *dir, struct sk_tar_options *o, size_t *len)
{
	const char *paths[] = {dir};
	sk_stream *s;
	unsigned char *b;

	o->reproducible = 1;
	if ((s = sk_tar_stream_open(paths, 1, o, 0)) == NULL)
		return NULL;
	b = t_read_all(s, 65536, len);
	if (sk_close(s) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

static void
the_archive_does_not_depend_on_threads_or_budget(void)
{
	static const struct {
		int threads;
		size_t budget;
	} runs[] = {{-1, 0}, {1, 4096}, {2, 65536}, {3, 0}, {16, 256 << 20}};
	char *d = scratch(), sub[300];
	unsigned char *first = NULL;
	size_t flen = 0;

	make_dir(d, "sub");
	snprintf(sub, sizeof sub, "%s/sub", d);
	/* Sizes around 512, 4096, 65536 and the 1 MiB read-ahead limit. */
	static const size_t sizes[] = {0,     1,       511,     512,    513,
	                               4095,  4096,    4097,    65535,  65536,
	                               65537, 1048575, 1048576, 1048577};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char p[400];
		unsigned char *b = t_pattern(sizes[i], (unsigned)i);
		int fd;
		snprintf(p, sizeof p, "%s/f%zu", sub, sizes[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0 && sk_write_all(fd, b, sizes[i]) == 0);
		close(fd);
		free(b);
	}
	/* Many windows of the threads' governor (tar_bounds.c): how many
	 * threads work changes as they go, never the bytes. */
	make_dir(d, "many");
	for (int i = 0; i < 1000; i++) {
		char p[400];
		snprintf(p, sizeof p, "%s/many/%d", d, i);
		t_put_pattern(p, (size_t)i * 37 % 3000, (unsigned)i);
	}
	for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
		struct sk_tar_options o = {.io_threads = runs[r].threads,
		                           .readahead = runs[r].budget};
		size_t len;
		unsigned char *b = archive_of(d, &o, &len);
		CHECK(b != NULL);
		if (first == NULL) {
			first = b;
			flen = len;
			continue;
		}
		CHECK_EQ(len, flen);
		CHECK(b && memcmp(b, first, flen) == 0);
		free(b);
	}
	free(first);
	rm_tree(d);
}

static void
a_tree_deeper_than_the_descriptor_limit_is_walked_with_read_ahead(void)
{
	char *d = scratch();
	struct rlimit old, low = {24, 24};
	int fd = open(d, O_RDONLY | O_DIRECTORY), n;
	size_t len;

	/* 300 levels, a file in each. */
	for (int i = 0; i < 300; i++) {
		CHECK(mkdirat(fd, "a", 0755) == 0);
		int w = openat(fd, "f", O_WRONLY | O_CREAT, 0644);
		CHECK(w >= 0 && write(w, "x", 1) == 1);
		close(w);
		n = openat(fd, "a", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = n;
	}
	close(fd);
	getrlimit(RLIMIT_NOFILE, &old);
	low.rlim_max = old.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	for (int threads = -1; threads <= 8; threads += 9) {
		struct sk_tar_options o = {.io_threads = threads};
		const char *paths[] = {d};
		sk_stream *s = sk_tar_stream_open(paths, 1, &o, 0);
		unsigned char *b = s ? t_read_all(s, 65536, &len) : NULL;
		struct archive *a = archive_read_new();
		struct archive_entry *e;
		int entries = 0;
		CHECK(b != NULL);
		archive_read_support_format_all(a);
		if (b && archive_read_open_memory(a, b, len) == ARCHIVE_OK)
			while (archive_read_next_header(a, &e) == ARCHIVE_OK)
				entries++;
		/* The top, 300 directories, 300 files. */
		CHECK_EQ(entries, 601);
		archive_read_free(a);
		free(b);
		CHECK_EQ(sk_close(s), 0);
	}
	setrlimit(RLIMIT_NOFILE, &old);
	rm_tree(d);
}

static void
add_at_takes_paths_from_a_directory_descriptor(void)
{
	char *d = scratch();
	int dfd, out = t_tmpfile_with("", 0);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	sk_tar *t;
	const char *names[4];
	int n = 0;

	make_dir(d, "x");
	write_file(d, "x/f", "data\n");
	dfd = open(d, O_RDONLY | O_DIRECTORY);
	t = sk_tar_open(out, NULL);
	CHECK(t != NULL);
	CHECK_EQ(sk_tar_add_at(t, dfd, "x"), 0);
	CHECK_EQ(sk_tar_add_at(t, dfd, "."), 0);
	CHECK_EQ(sk_tar_close(t, NULL), 0);
	close(dfd);
	lseek(out, 0, SEEK_SET);
	archive_read_support_format_all(a);
	CHECK(archive_read_open_fd(a, out, 10240) == ARCHIVE_OK);
	while (n < 4 && archive_read_next_header(a, &e) == ARCHIVE_OK)
		names[n++] = strdup(archive_entry_pathname(e));
	/* "x" as given, then "." stored as GNU tar stores it. */
	CHECK_EQ(n, 4);
	if (n == 4) {
		CHECK(strcmp(names[0], "x/") == 0);
		CHECK(strcmp(names[1], "x/f") == 0);
		CHECK(strcmp(names[2], "./") == 0);
		CHECK(strcmp(names[3], "./x/") == 0);
	}
	for (int i = 0; i < n; i++)
		free((void *)names[i]);
	archive_read_free(a);
	close(out);
	rm_tree(d);
}

T_CASES(
    T(the_pull_stream_never_stores_a_file_from_a_directory_swapped_for_a_link),
    T(the_archive_does_not_depend_on_threads_or_budget),
    T(a_tree_deeper_than_the_descriptor_limit_is_walked_with_read_ahead),
    T(add_at_takes_paths_from_a_directory_descriptor))
