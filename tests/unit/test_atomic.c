/* Unit tests: replacing and appending to files atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

static char dir[] = "/tmp/sk-atomic.XXXXXX";

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	sk_write_all(fd, text, strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static char *
get(const char *path)
{
	sk_stream *s = sk_path_open(path);
	char *out = NULL;

	if (s == NULL)
		return strdup("(missing)");
	sk_slurp(s, 1 << 20, &out);
	sk_close(s);
	return out;
}

/* How many entries the directory holds (temporaries would show). */
static int
entries(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static void
commit_replaces_the_file_keeping_its_mode(void)
{
	char path[64], *got;
	struct stat st;
	sk_atomic *a;

	snprintf(path, sizeof path, "%s/f", dir);
	put(path, "old contents", 0640);
	a = sk_atomic_open(path, 0);
	CHECK(a != NULL);
	sk_write_all(sk_atomic_fd(a), "new", 3);
	got = get(path);
	CHECK(strcmp(got, "old contents") == 0); /* not yet */
	free(got);
	CHECK_EQ(entries(), 1);
	CHECK_EQ(sk_atomic_commit(a), 0);
	got = get(path);
	CHECK(strcmp(got, "new") == 0);
	free(got);
	stat(path, &st);
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(entries(), 1);
	unlink(path);
}

static void
abort_leaves_the_file_as_it_was(void)
{
	char path[64], *got;
	sk_atomic *a;

	snprintf(path, sizeof path, "%s/f", dir);
	put(path, "keep me", 0600);
	a = sk_atomic_open(path, 0);
	sk_write_all(sk_atomic_fd(a), "half", 4);
	sk_atomic_abort(a);
	got = get(path);
	CHECK(strcmp(got, "keep me") == 0);
	free(got);
	CHECK_EQ(entries(), 1);
	/* Appending, then aborting, cuts back to the old length. */
	a = sk_atomic_open(path, SK_ATOMIC_APPEND);
	sk_write_all(sk_atomic_fd(a), " and more", 9);
	sk_atomic_abort(a);
	got = get(path);
	CHECK(strcmp(got, "keep me") == 0);
	free(got);
	a = sk_atomic_open(path, SK_ATOMIC_APPEND);
	sk_write_all(sk_atomic_fd(a), "!", 1);
	CHECK_EQ(sk_atomic_commit(a), 0);
	got = get(path);
	CHECK(strcmp(got, "keep me!") == 0);
	free(got);
	unlink(path);
}

static void
new_file_gets_the_umask_mode_and_symlinks_are_followed(void)
{
	char path[64], link[64], *got;
	struct stat st;
	sk_atomic *a;

	snprintf(path, sizeof path, "%s/new", dir);
	umask(027);
	a = sk_atomic_open(path, 0);
	CHECK(a != NULL);
	CHECK_EQ(sk_atomic_commit(a), 0);
	stat(path, &st);
	CHECK_EQ(st.st_mode & 0777, 0640);
	umask(022);
	snprintf(link, sizeof link, "%s/link", dir);
	CHECK(symlink("new", link) == 0);
	a = sk_atomic_open(link, 0);
	sk_write_all(sk_atomic_fd(a), "via link", 8);
	CHECK_EQ(sk_atomic_commit(a), 0);
	lstat(link, &st);
	CHECK(S_ISLNK(st.st_mode));
	got = get(path);
	CHECK(strcmp(got, "via link") == 0);
	free(got);
	unlink(link);
	unlink(path);
}

static void
open_reports_what_cannot_be_written(void)
{
	char path[80];

	snprintf(path, sizeof path, "%s/no/such/dir/f", dir);
	errno = 0;
	CHECK(sk_atomic_open(path, 0) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(sk_atomic_open(dir, 0) == NULL);
	CHECK_EQ(errno, EISDIR);
	CHECK_EQ(entries(), 0);
}

static void
a_scratch_directory_is_made(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
}

static void
nothing_is_left_in_the_scratch_directory(void)
{
	CHECK(rmdir(dir) == 0);
}

T_SUITE(a_scratch_directory_is_made, nothing_is_left_in_the_scratch_directory,
        T(commit_replaces_the_file_keeping_its_mode),
        T(abort_leaves_the_file_as_it_was),
        T(new_file_gets_the_umask_mode_and_symlinks_are_followed),
        T(open_reports_what_cannot_be_written))
