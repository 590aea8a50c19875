/*
 * Unit tests: replacing and appending to files atomically, and writing in
 * place what cannot be replaced (devices, FIFOs, the process's own
 * descriptors).  Each case makes and removes its own scratch directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

/* The scratch directory of the running case. */
static char dir[64];

static void
scratch(void)
{
	snprintf(dir, sizeof dir, "/tmp/sk-atomic.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
}

/* dir/name, in a static buffer (one of four, for a call's arguments). */
static const char *
at(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || sk_write_all(fd, text, strlen(text)) < 0)
		abort();
	fchmod(fd, mode);
	close(fd);
}

/* The contents of path, malloc'd; "(missing)" when it cannot be read. */
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

/* Whether path holds exactly text. */
static int
holds(const char *path, const char *text)
{
	char *got = get(path);
	int same = strcmp(got, text) == 0;

	if (!same)
		printf("#   %s holds '%s', expected '%s'\n", path, got, text);
	free(got);
	return same;
}

/* How many entries the scratch directory holds (temporaries would show). */
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
remove_scratch(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
}

/* Writes text through sk_atomic_open(path, flags) and commits; 0 or -1. */
static int
write_via(const char *path, int flags, const char *text)
{
	sk_atomic *a = sk_atomic_open(path, flags);

	if (a == NULL)
		return -1;
	if (sk_write_all(sk_atomic_fd(a), text, strlen(text)) < 0) {
		sk_atomic_abort(a);
		return -1;
	}
	return sk_atomic_commit(a);
}

static void
commit_replaces_the_file_keeping_its_mode(void)
{
	struct stat st;
	sk_atomic *a;

	scratch();
	put(at("f"), "old contents", 0640);
	a = sk_atomic_open(at("f"), 0);
	CHECK(a != NULL);
	sk_write_all(sk_atomic_fd(a), "new", 3);
	CHECK(holds(at("f"), "old contents")); /* not yet */
	CHECK_EQ(entries(), 1);
	CHECK_EQ(sk_atomic_commit(a), 0);
	CHECK(holds(at("f"), "new"));
	stat(at("f"), &st);
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(entries(), 1);
	remove_scratch();
}

static void
abort_leaves_the_file_as_it_was(void)
{
	sk_atomic *a;

	scratch();
	put(at("f"), "keep me", 0600);
	a = sk_atomic_open(at("f"), 0);
	sk_write_all(sk_atomic_fd(a), "half", 4);
	sk_atomic_abort(a);
	CHECK(holds(at("f"), "keep me"));
	CHECK_EQ(entries(), 1);
	/* Appending, then aborting, cuts back to the old length. */
	a = sk_atomic_open(at("f"), SK_ATOMIC_APPEND);
	sk_write_all(sk_atomic_fd(a), " and more", 9);
	sk_atomic_abort(a);
	CHECK(holds(at("f"), "keep me"));
	CHECK_EQ(write_via(at("f"), SK_ATOMIC_APPEND, "!"), 0);
	CHECK(holds(at("f"), "keep me!"));
	remove_scratch();
}

static void
new_file_gets_the_umask_mode(void)
{
	struct stat st;
	mode_t old = umask(027);

	scratch();
	CHECK_EQ(write_via(at("new"), 0, ""), 0);
	stat(at("new"), &st);
	CHECK_EQ(st.st_mode & 0777, 0640);
	umask(old);
	remove_scratch();
}

static void
a_symlink_is_kept_and_its_target_replaced(void)
{
	struct stat st;
	char buf[64];
	ssize_t n;

	scratch();
	/* Relative, absolute, through a linked directory, a chain. */
	mkdir(at("d"), 0755);
	put(at("d/f"), "old", 0604);
	CHECK(symlink("d/f", at("rel")) == 0);
	CHECK(symlink(at("d/f"), at("abs")) == 0);
	CHECK(symlink("d", at("dl")) == 0);
	CHECK(symlink("rel", at("chain")) == 0);
	CHECK_EQ(write_via(at("rel"), 0, "1"), 0);
	CHECK(holds(at("d/f"), "1"));
	CHECK_EQ(write_via(at("abs"), 0, "2"), 0);
	CHECK(holds(at("d/f"), "2"));
	CHECK_EQ(write_via(at("dl/f"), 0, "3"), 0);
	CHECK(holds(at("d/f"), "3"));
	CHECK_EQ(write_via(at("chain"), 0, "4"), 0);
	CHECK(holds(at("d/f"), "4"));
	/* A link relative to a linked directory resolves from the target. */
	CHECK(symlink("f", at("d/near")) == 0);
	CHECK_EQ(write_via(at("dl/near"), 0, "5"), 0);
	CHECK(holds(at("d/f"), "5"));
	/* The links stay links, the file keeps its mode, nothing else. */
	for (const char *const *l =
	         (const char *const[]){"rel", "abs", "dl", "chain", NULL};
	     *l; l++) {
		CHECK(lstat(at(*l), &st) == 0 && S_ISLNK(st.st_mode));
	}
	CHECK(stat(at("d/f"), &st) == 0 && (st.st_mode & 07777) == 0604);
	CHECK_EQ(entries(), 5);
	/* A dangling link makes the file it names. */
	CHECK(symlink("d/newfile", at("dangling")) == 0);
	CHECK_EQ(write_via(at("dangling"), 0, "made"), 0);
	CHECK(holds(at("d/newfile"), "made"));
	n = readlink(at("dangling"), buf, sizeof buf - 1);
	CHECK(n == 9 && memcmp(buf, "d/newfile", 9) == 0);
	remove_scratch();
}

static void
symlink_loops_stop_at_forty_links(void)
{
	char name[16], next[16];

	scratch();
	put(at("f"), "x", 0644);
	/* l0 -> l1 -> ... -> l40 -> f: 41 links, one more than allowed;
	 * from l1 on, 40: allowed, as open(2) does. */
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "l%d", i);
		snprintf(next, sizeof next, i == 40 ? "f" : "l%d", i + 1);
		CHECK(symlink(next, at(name)) == 0);
	}
	errno = 0;
	CHECK(sk_atomic_open(at("l0"), 0) == NULL);
	CHECK_EQ(errno, ELOOP);
	CHECK_EQ(write_via(at("l1"), 0, "ok"), 0);
	CHECK(holds(at("f"), "ok"));
	CHECK(symlink("self", at("self")) == 0);
	CHECK(sk_atomic_open(at("self"), 0) == NULL);
	CHECK_EQ(errno, ELOOP);
	remove_scratch();
}

static void
open_reports_what_cannot_be_written(void)
{
	scratch();
	errno = 0;
	CHECK(sk_atomic_open(at("no/such/dir/f"), 0) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(sk_atomic_open(dir, 0) == NULL);
	CHECK_EQ(errno, EISDIR);
	CHECK(sk_atomic_open("/", 0) == NULL);
	CHECK_EQ(errno, EISDIR);
	CHECK(sk_atomic_open("", 0) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(sk_atomic_open(at("f"), 0x100) == NULL);
	CHECK_EQ(errno, EINVAL);
	put(at("file"), "x", 0644);
	CHECK(sk_atomic_open(at("file/f"), 0) == NULL);
	CHECK_EQ(errno, ENOTDIR);
	CHECK_EQ(entries(), 1);
	remove_scratch();
}

/* Runs a reader of the FIFO path in a child that copies it to out. */
static pid_t
fifo_reader(const char *path, const char *out)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("sh", "sh", "-c", "exec cat \"$1\" >\"$2\"", "sh", path,
		       out, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
a_fifo_is_written_in_place(void)
{
	struct stat st;
	pid_t pid;
	int status;

	scratch();
	CHECK(mkfifo(at("fifo"), 0640) == 0);
	pid = fifo_reader(at("fifo"), at("got"));
	CHECK_EQ(write_via(at("fifo"), 0, "through"), 0);
	waitpid(pid, &status, 0);
	CHECK(holds(at("got"), "through"));
	CHECK(lstat(at("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640);
	/* Appending to it is the same write. */
	pid = fifo_reader(at("fifo"), at("got"));
	CHECK_EQ(write_via(at("fifo"), SK_ATOMIC_APPEND, "again"), 0);
	waitpid(pid, &status, 0);
	CHECK(holds(at("got"), "again"));
	CHECK_EQ(entries(), 2);
	remove_scratch();
}

/* Whether path is still the character device maj:min of mode mode. */
static int
still_device(const char *path, unsigned maj, unsigned min, mode_t mode)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) == maj && minor(st.st_rdev) == min &&
	       (st.st_mode & 07777) == mode;
}

static void
devices_are_written_in_place_and_dev_null_stays(void)
{
	struct stat before;
	sk_atomic *a;

	scratch();
	/* A node made here first: should it be replaced, the test stops
	 * before /dev/null itself is tried. */
	if (mknod(at("null"), S_IFCHR | 0620, makedev(1, 3)) < 0) {
		printf("# no mknod (%s): the node made here is skipped\n",
		       strerror(errno));
	} else {
		chmod(at("null"), 0620);
		CHECK_EQ(write_via(at("null"), 0, "gone"), 0);
		CHECK_EQ(write_via(at("null"), SK_ATOMIC_APPEND, "gone"), 0);
		CHECK_EQ(write_via(at("null"), SK_ATOMIC_INPLACE, "gone"), 0);
		/* Abort has nothing to take back, and does not try. */
		a = sk_atomic_open(at("null"), 0);
		sk_atomic_abort(a);
		CHECK(still_device(at("null"), 1, 3, 0620));
		CHECK_EQ(entries(), 1);
		if (!still_device(at("null"), 1, 3, 0620)) {
			remove_scratch();
			return;
		}
	}
	CHECK(stat("/dev/null", &before) == 0);
	CHECK_EQ(write_via("/dev/null", 0, "gone"), 0);
	CHECK(still_device("/dev/null", 1, 3, before.st_mode & 07777));
	/* /dev/full: the write itself fails, as it should. */
	a = sk_atomic_open("/dev/full", 0);
	CHECK(a != NULL);
	CHECK_EQ(sk_write_all(sk_atomic_fd(a), "x", 1), -1);
	CHECK_EQ(errno, ENOSPC);
	sk_atomic_abort(a);
	CHECK(still_device("/dev/full", 1, 7, 0666));
	remove_scratch();
}

/*
 * Runs the names of this process's descriptor fd through sk_atomic_open
 * with fd on a file opened by the test "as a shell would" (> or >>):
 * each write must land at the descriptor's offset, after what was there.
 */
static void
own_descriptors_are_written_at_their_offset(void)
{
	char names[4][64];
	int fd, flags;

	scratch();
	for (int append = 0; append <= 1; append++) {
		put(at("log"), "", 0644);
		flags = O_WRONLY | (append ? O_APPEND : 0);
		fd = open(at("log"), flags);
		CHECK(fd > 2);
		snprintf(names[0], 64, "/dev/fd/%d", fd);
		snprintf(names[1], 64, "/proc/self/fd/%d", fd);
		snprintf(names[2], 64, "/proc/%d/fd/%d", (int)getpid(), fd);
		snprintf(names[3], 64, "/proc/thread-self/fd/%d", fd);
		CHECK_EQ(write(fd, "<", 1), 1);
		for (int i = 0; i < 4; i++)
			CHECK_EQ(write_via(names[i], 0, "x"), 0);
		CHECK_EQ(write(fd, ">", 1), 1);
		/* Nothing replaced: the descriptor still names the file. */
		CHECK(holds(at("log"), "<xxxx>"));
		close(fd);
		CHECK_EQ(entries(), 1);
	}
	fd = open(at("log"), O_WRONLY);
	/* One that is not open is no file to make. */
	snprintf(names[0], 64, "/dev/fd/%d", fd);
	close(fd);
	errno = 0;
	CHECK(sk_atomic_open(names[0], 0) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(sk_atomic_target(names[0]) == NULL);
	CHECK_EQ(errno, ENOENT);
	/* A descriptor open only for reading cannot be written. */
	fd = open(at("log"), O_RDONLY);
	snprintf(names[0], 64, "/dev/fd/%d", fd);
	errno = 0;
	CHECK(sk_atomic_open(names[0], 0) == NULL);
	CHECK_EQ(errno, EBADF);
	close(fd);
	CHECK(holds(at("log"), "<xxxx>"));
	remove_scratch();
}

static void
dev_stdout_in_a_redirected_group_keeps_the_file(void)
{
	int saved = dup(STDOUT_FILENO), fd;

	/* { echo a; spoolbuf -o /dev/stdout; echo b; } >log */
	scratch();
	fflush(stdout);
	fd = open(at("log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	CHECK_EQ(write(STDOUT_FILENO, "a\n", 2), 2);
	CHECK_EQ(write_via("/dev/stdout", 0, "spooled\n"), 0);
	CHECK_EQ(write(STDOUT_FILENO, "b\n", 2), 2);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	CHECK(holds(at("log"), "a\nspooled\nb\n"));
	CHECK_EQ(entries(), 1);
	remove_scratch();
}

static void
inplace_keeps_the_inode_and_its_links(void)
{
	struct stat before, after;
	sk_atomic *a;

	scratch();
	put(at("f"), "old and long", 0640);
	CHECK(link(at("f"), at("hard")) == 0);
	stat(at("f"), &before);
	CHECK_EQ(write_via(at("f"), SK_ATOMIC_INPLACE, "new"), 0);
	stat(at("f"), &after);
	CHECK_EQ(after.st_ino, before.st_ino);
	CHECK(holds(at("hard"), "new"));
	CHECK_EQ(after.st_mode & 07777, 0640);
	/* A replace, by contrast, leaves the other link with the old. */
	CHECK_EQ(write_via(at("f"), 0, "replaced"), 0);
	CHECK(holds(at("hard"), "new"));
	/* In place makes a missing file; abort does not undo a write. */
	CHECK_EQ(write_via(at("g"), SK_ATOMIC_INPLACE, "g"), 0);
	CHECK(holds(at("g"), "g"));
	a = sk_atomic_open(at("g"), SK_ATOMIC_INPLACE);
	sk_atomic_abort(a);
	CHECK(holds(at("g"), ""));
	remove_scratch();
}

static void
target_names_the_file_that_is_written(void)
{
	char *t, want[PATH_MAX + 16], cwd[PATH_MAX];

	scratch();
	mkdir(at("d"), 0755);
	CHECK(symlink("d/f", at("l")) == 0);
	t = sk_atomic_target(at("l"));
	snprintf(want, sizeof want, "%s/d/f", dir);
	CHECK(t && strcmp(t, want) == 0);
	free(t);
	t = sk_atomic_target("/dev/stdout");
	CHECK(t && strcmp(t, "/proc/self/fd/1") == 0);
	free(t);
	/* Relative names are made absolute; "." and ".." are resolved. */
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(chdir(at("d")) == 0);
	t = sk_atomic_target("./../d/./x");
	snprintf(want, sizeof want, "%s/d/x", dir);
	CHECK(t && strcmp(t, want) == 0);
	free(t);
	CHECK(chdir(cwd) == 0);
	CHECK(sk_atomic_target(at("missing/x")) == NULL);
	CHECK_EQ(errno, ENOENT);
	remove_scratch();
}

T_CASES(T(commit_replaces_the_file_keeping_its_mode),
        T(abort_leaves_the_file_as_it_was), T(new_file_gets_the_umask_mode),
        T(a_symlink_is_kept_and_its_target_replaced),
        T(symlink_loops_stop_at_forty_links),
        T(open_reports_what_cannot_be_written), T(a_fifo_is_written_in_place),
        T(devices_are_written_in_place_and_dev_null_stays),
        T(own_descriptors_are_written_at_their_offset),
        T(dev_stdout_in_a_redirected_group_keeps_the_file),
        T(inplace_keeps_the_inode_and_its_links),
        T(target_names_the_file_that_is_written))
