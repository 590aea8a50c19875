/*
 * probe_readfiles - how fast can the regular files of a tree be read whole,
 * one after another, by a pool of threads, or through io_uring?  A
 * measurement for issue 11 (the tar producer's read-ahead), not a tool:
 *
 *   probe_readfiles DIR sync | statx | threads N | uring D [W]
 *
 * The tree is listed first (nftw, not timed); then every regular file is
 * opened with O_NOFOLLOW, stat'ed, read into a 64 KiB buffer and closed, in
 * listing order.  sync does it on one thread with fstat, statx the same with
 * statx on the descriptor, threads with N threads taking the next file from
 * an atomic counter, uring with D files in flight as linked chains of
 * STATX -> OPENAT (direct descriptor) -> READ -> CLOSE, W raising the cap
 * on io_uring's kernel workers for blocking work (by default 4 per CPU,
 * which is what statx and a cold open or read end up on).  It prints one line:
 * strategy, files, bytes, seconds, files/s.  Not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Big enough that every file of the trees of issue 11 is one read. */
#define BUFSZ      ((size_t)64 << 10)
#define OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC)

static char **paths;
static size_t npaths, cap;
static atomic_size_t next_file;
static atomic_ullong total_bytes, failures;
static int use_statx;

static int
list_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (npaths == cap) {
		cap = cap ? cap * 2 : 4096;
		paths = realloc(paths, cap * sizeof *paths);
		if (paths == NULL)
			return -1;
	}
	if ((paths[npaths] = strdup(path)) == NULL)
		return -1;
	npaths++;
	return 0;
}

/*
 * Reads from offset off up to the size the stat gave, as the producer does
 * (no extra read to see the end); returns the bytes read or -1.
 */
static long long
read_rest(int fd, char *buf, off_t off, off_t size)
{
	long long got = 0;
	ssize_t n;

	while (off + got < size &&
	       (n = pread(fd, buf, BUFSZ, off + got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += n;
	}
	return got;
}

/* The system calls the tar producer's I/O threads make for one file. */
static void
read_file(const char *path, char *buf)
{
	struct stat st;
	struct statx stx;
	long long got;
	int fd, r;

	if ((fd = openat(AT_FDCWD, path, OPEN_FLAGS)) < 0) {
		atomic_fetch_add(&failures, 1);
		return;
	}
	if (use_statx)
		r = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
	else
		r = fstat(fd, &st);
	got = r != 0      ? -1
	      : use_statx ? read_rest(fd, buf, 0, (off_t)stx.stx_size)
	                  : read_rest(fd, buf, 0, st.st_size);
	if (got < 0)
		atomic_fetch_add(&failures, 1);
	else
		atomic_fetch_add(&total_bytes, (unsigned long long)got);
	close(fd);
}

static void *
worker(void *arg)
{
	char *buf = malloc(BUFSZ);
	size_t i;

	(void)arg;
	if (buf == NULL)
		return NULL;
	while ((i = atomic_fetch_add(&next_file, 1)) < npaths)
		read_file(paths[i], buf);
	free(buf);
	return NULL;
}

static int
run_threads(unsigned n)
{
	pthread_t *tid = calloc(n, sizeof *tid);
	unsigned i;

	if (tid == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, worker, NULL) != 0)
			return -1;
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	return 0;
}

/* One file in flight: its chain's four completions, its buffer. */
struct slot {
	size_t file;
	int pending;
	long long got;
	struct statx stx;
	char *buf;
};

enum { OP_STATX, OP_OPEN, OP_READ, OP_CLOSE, NOPS };

static void
queue_chain(struct io_uring *ring, struct slot *s, unsigned idx)
{
	const char *path = paths[s->file];
	struct io_uring_sqe *sqe[NOPS];
	int k;

	for (k = 0; k < NOPS; k++)
		sqe[k] = io_uring_get_sqe(ring);
	/*
	 * The statx goes by path before the open because io_uring's statx
	 * cannot take a direct descriptor; the producer would compare it with
	 * what the open found.  Hard links keep the close running after a
	 * failed read so that the slot's descriptor is released.  A direct
	 * descriptor is never inherited, and the kernel refuses O_CLOEXEC
	 * for one (EINVAL).
	 */
	io_uring_prep_statx(sqe[OP_STATX], AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
	                    STATX_BASIC_STATS, &s->stx);
	io_uring_prep_openat_direct(sqe[OP_OPEN], AT_FDCWD, path,
	                            OPEN_FLAGS & ~O_CLOEXEC, 0, idx);
	io_uring_prep_read(sqe[OP_READ], (int)idx, s->buf, BUFSZ, 0);
	sqe[OP_READ]->flags |= IOSQE_FIXED_FILE;
	io_uring_prep_close_direct(sqe[OP_CLOSE], idx);
	for (k = 0; k < NOPS; k++) {
		io_uring_sqe_set_data64(sqe[k], (uint64_t)idx * NOPS + k);
		if (k < OP_CLOSE)
			sqe[k]->flags |=
			    k == OP_READ ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
	}
	s->pending = NOPS;
	s->got = -1;
}

/* A file bigger than the buffer: the rest by a plain read, as the brief
 * allows for a probe. */
static long long
finish_big(struct slot *s)
{
	long long rest;
	int fd = openat(AT_FDCWD, paths[s->file], OPEN_FLAGS);

	if (fd < 0)
		return -1;
	rest = read_rest(fd, s->buf, (off_t)BUFSZ, (off_t)s->stx.stx_size);
	close(fd);
	return rest < 0 ? -1 : s->got + rest;
}

static int
run_uring(unsigned depth, unsigned workers)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct slot *slots = calloc(depth, sizeof *slots);
	unsigned i, live = 0;
	int r;

	if (slots == NULL)
		return -1;
	if ((r = io_uring_queue_init(depth * NOPS, &ring, 0)) < 0 ||
	    (r = io_uring_register_files_sparse(&ring, depth)) < 0 ||
	    (workers > 0 && (r = io_uring_register_iowq_max_workers(
	                         &ring, (unsigned[2]){workers, 0})) < 0)) {
		errno = -r;
		return -1;
	}
	for (i = 0; i < depth; i++)
		if ((slots[i].buf = malloc(BUFSZ)) == NULL)
			return -1;
	for (i = 0; i < depth && (slots[i].file = next_file++) < npaths; i++) {
		queue_chain(&ring, &slots[i], i);
		live++;
	}
	while (live > 0) {
		struct slot *s;
		unsigned op;

		if ((r = io_uring_submit_and_wait(&ring, 1)) < 0) {
			if (r == -EINTR)
				continue;
			errno = -r;
			return -1;
		}
		if (io_uring_peek_cqe(&ring, &cqe) != 0)
			continue;
		i = (unsigned)(io_uring_cqe_get_data64(cqe) / NOPS);
		op = (unsigned)(io_uring_cqe_get_data64(cqe) % NOPS);
		s = &slots[i];
		if (op == OP_READ && cqe->res >= 0)
			s->got = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (--s->pending > 0)
			continue;
		if (s->got == (long long)BUFSZ)
			s->got = finish_big(s);
		if (s->got < 0)
			failures++;
		else
			total_bytes += (unsigned long long)s->got;
		if ((s->file = next_file++) < npaths)
			queue_chain(&ring, s, i);
		else
			live--;
	}
	io_uring_queue_exit(&ring);
	for (i = 0; i < depth; i++)
		free(slots[i].buf);
	free(slots);
	return 0;
}

static void
usage(void)
{
	fputs("usage: probe_readfiles DIR sync | statx | threads N | "
	      "uring D [W]\n",
	      stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	char name[32];
	unsigned n = 0, w = 0;
	double secs;
	int r;

	if (argc < 3)
		usage();
	if (strcmp(argv[2], "threads") == 0 || strcmp(argv[2], "uring") == 0) {
		if (argc != 4 && (argc != 5 || argv[2][0] != 'u'))
			usage();
		if ((n = (unsigned)atoi(argv[3])) < 1 || n > 4096)
			usage();
		if (argc == 5 &&
		    ((w = (unsigned)atoi(argv[4])) < 1 || w > 4096))
			usage();
		snprintf(name, sizeof name, w ? "%s %u w%u" : "%s %u", argv[2],
		         n, w);
	} else if (argc == 3 && (strcmp(argv[2], "sync") == 0 ||
	                         strcmp(argv[2], "statx") == 0)) {
		snprintf(name, sizeof name, "%s", argv[2]);
		use_statx = argv[2][1] == 't';
	} else
		usage();

	if (nftw(argv[1], list_one, 64, FTW_PHYS) != 0) {
		fprintf(stderr, "probe_readfiles: %s: %s\n", argv[1],
		        strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argv[2][0] == 't')
		r = run_threads(n);
	else if (argv[2][0] == 'u')
		r = run_uring(n, w);
	else
		r = (worker(NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r != 0) {
		fprintf(stderr, "probe_readfiles: %s: %s\n", name,
		        strerror(errno));
		return 1;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s\t%zu\t%llu\t%.3f\t%.0f\n", name, npaths,
	       (unsigned long long)total_bytes, secs, (double)npaths / secs);
	if (failures > 0)
		fprintf(stderr, "probe_readfiles: %llu files failed\n",
		        (unsigned long long)failures);
	return failures > 0;
}
