/* Unit tests: the spool, on both sides of its move to disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

#define N 300000

static sk_stream *
pipe_of(const unsigned char *b, size_t n)
{
	return sk_fd_open(t_pipe_with(b, n, 1021), SK_FD_OWN);
}

static void
read_at_matches_the_source_on_both_sides_of_the_cap(void)
{
	unsigned char *src = t_pattern(N, 21);
	static const size_t caps[] = {1, 512, 4096, 65536, 1 << 20};

	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		sk_spool *sp = sk_spool_open(pipe_of(src, N), caps[c], NULL);
		unsigned char buf[7000];
		/* Read backwards and forwards across the switch to disk. */
		static const int64_t offs[] = {
		    0, 500, 4090, 70000, 299999, 1000, 65530, 250000, 0};
		for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
			ssize_t r =
			    sk_spool_read_at(sp, buf, sizeof buf, offs[i]);
			size_t want = N - (size_t)offs[i] < sizeof buf
			                  ? N - (size_t)offs[i]
			                  : sizeof buf;
			CHECK_EQ(r, (ssize_t)want);
			CHECK(memcmp(buf, src + offs[i], want) == 0);
		}
		CHECK_EQ(sk_spool_read_at(sp, buf, 10, N), 0);
		CHECK_EQ(sk_spool_read_at(sp, buf, 10, N + 5), 0);
		CHECK_EQ(sk_spool_size(sp), N);
		CHECK(sk_spool_complete(sp));
		CHECK((sk_spool_fd(sp) >= 0) == (caps[c] < N));
		CHECK_EQ(sk_spool_close(sp), 0);
	}
	free(src);
}

static void
spool_pulls_only_as_far_as_needed(void)
{
	unsigned char *src = t_pattern(N, 22);
	sk_spool *sp = sk_spool_open(pipe_of(src, N), 1 << 20, NULL);
	unsigned char b[100];

	CHECK_EQ(sk_spool_read_at(sp, b, 100, 0), 100);
	CHECK(sk_spool_size(sp) < N);
	CHECK(!sk_spool_complete(sp));
	CHECK_EQ(sk_spool_fill(sp, 5000), sk_spool_size(sp));
	CHECK(sk_spool_size(sp) >= 5000);
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), N);
	CHECK(sk_spool_complete(sp));
	sk_spool_close(sp);
	free(src);
}

static void
spool_file_is_unnamed_and_private(void)
{
	unsigned char *src = t_pattern(N, 23);
	char dir[] = "/tmp/sk-spool.XXXXXX";
	sk_spool *sp;
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	sp = sk_spool_open(pipe_of(src, N), 1000, dir);
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), N);
	fd = sk_spool_fd(sp);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(st.st_nlink, 0);
	CHECK(rmdir(dir) == 0); /* nothing visible in it */
	sk_spool_close(sp);
	free(src);
}

static void
spool_file_can_be_forced_from_memory(void)
{
	sk_spool *sp = sk_spool_open(sk_mem_open("hello", 5, 0), 0, NULL);
	char b[5];
	int fd;

	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), 5);
	CHECK_EQ(sk_spool_fd(sp), -1);
	fd = sk_spool_file(sp);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 5, 0), 5);
	CHECK(memcmp(b, "hello", 5) == 0);
	CHECK_EQ(sk_spool_read_at(sp, b, 3, 2), 3);
	CHECK(memcmp(b, "llo", 3) == 0);
	sk_spool_close(sp);
}

static void
spool_streams_and_their_sections_read_lazily(void)
{
	unsigned char *src = t_pattern(N, 24);

	for (int cap = 0; cap < 2; cap++) {
		sk_spool *sp =
		    sk_spool_open(pipe_of(src, N), cap ? 4096 : N * 2, NULL);
		sk_stream *a = sk_spool_stream_open(sp, 1000, 50000);
		sk_stream *b = sk_spool_stream_open(sp, 290000, SK_UNKNOWN);
		sk_stream *c;
		size_t len;
		unsigned char *got;
		c = sk_section_open(a, 100, 200);
		got = t_read_all(c, 7, &len);
		CHECK(len == 200 && memcmp(got, src + 1100, 200) == 0);
		free(got);
		/* Its length is known once the spool holds its end. */
		CHECK(sk_spool_size(sp) < 51000 || sk_length(a) == 50000);
		CHECK(sk_spool_fill(sp, 51000) >= 51000);
		CHECK_EQ(sk_length(a), 50000);
		got = t_read_all(a, 4096, &len);
		CHECK(len == 50000 && memcmp(got, src + 1000, 50000) == 0);
		free(got);
		got = t_read_all(b, 65536, &len);
		CHECK(len == 10000 && memcmp(got, src + 290000, 10000) == 0);
		free(got);
		sk_close(c);
		sk_close(a);
		sk_close(b);
		sk_spool_close(sp);
	}
	free(src);
}

static void
spool_reports_a_full_disk(void)
{
	/* /dev/full stands in for a temporary directory that fills up: the
	 * spool cannot create its file there, and says so. */
	unsigned char *src = t_pattern(10000, 25);
	sk_spool *sp = sk_spool_open(pipe_of(src, 10000), 100, "/nonexistent");
	unsigned char b[10];

	CHECK_EQ(sk_spool_read_at(sp, b, 10, 0), 10);
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), -1); /* sticky */
	/* What it held is still readable. */
	CHECK_EQ(sk_spool_read_at(sp, b, 10, 0), 10);
	CHECK(memcmp(b, src, 10) == 0);
	sk_spool_close(sp);
	free(src);
}

static void
spool_limit_stops_reading_one_byte_past_it(void)
{
	unsigned char *src = t_pattern(N, 26);
	static const int64_t limits[] = {0, 1, 4095, 4096, 65536, N - 1, N};

	for (int cap = 0; cap < 2; cap++) {
		for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
			sk_spool *sp = sk_spool_open(sk_mem_open(src, N, 0),
			                             cap ? 1000 : 0, NULL);
			int64_t r;
			CHECK_EQ(sk_spool_limit(sp, limits[i]), 0);
			r = sk_spool_fill(sp, SK_UNKNOWN);
			if (limits[i] >= N) {
				CHECK_EQ(r, N);
			} else {
				CHECK_EQ(r, -1);
				CHECK_EQ(errno, EFBIG);
				CHECK_EQ(sk_spool_size(sp), limits[i] + 1);
			}
			sk_spool_close(sp);
		}
	}
	free(src);
}

static void
spool_range_reads_only_as_far_as_the_range(void)
{
	unsigned char *src = t_pattern(N, 27);
	sk_spool *sp = sk_spool_open(pipe_of(src, N), 1 << 20, NULL);
	struct sk_range r;
	int inside = -1;
	sk_stream *s;
	size_t len;
	unsigned char *got;

	CHECK_EQ(sk_parse_range("100+50", &r), 0);
	s = sk_spool_range_open(sp, &r, &inside);
	CHECK_EQ(inside, 1);
	CHECK(!sk_spool_complete(sp));
	got = t_read_all(s, 7, &len);
	CHECK(len == 50 && memcmp(got, src + 100, 50) == 0);
	free(got);
	sk_close(s);
	CHECK_EQ(sk_parse_range("-10:", &r), 0);
	s = sk_spool_range_open(sp, &r, &inside);
	CHECK(sk_spool_complete(sp));
	got = t_read_all(s, 4096, &len);
	CHECK(len == 10 && memcmp(got, src + N - 10, 10) == 0);
	free(got);
	sk_close(s);
	CHECK_EQ(sk_parse_range("299990:300010", &r), 0);
	s = sk_spool_range_open(sp, &r, &inside);
	CHECK_EQ(inside, 0);
	CHECK_EQ(sk_length(s), 10);
	sk_close(s);
	sk_spool_close(sp);
	free(src);
}

static void
spool_link_names_the_whole_input(void)
{
	unsigned char *src = t_pattern(N, 28);
	char dir[] = "/tmp/sk-link.XXXXXX", path[64];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/input", dir);
	for (int cap = 0; cap < 2; cap++) {
		sk_spool *sp =
		    sk_spool_open(pipe_of(src, N), cap ? 512 : N * 2, dir);
		unsigned char b[16];
		int fd;
		CHECK_EQ(sk_spool_read_at(sp, b, 16, 0), 16);
		CHECK_EQ(sk_spool_link(sp, path), 0);
		fd = open(path, O_RDONLY);
		CHECK(fd >= 0);
		CHECK_EQ(lseek(fd, 0, SEEK_END), N);
		CHECK_EQ(pread(fd, b, 16, N - 16), 16);
		CHECK(memcmp(b, src + N - 16, 16) == 0);
		close(fd);
		/* A name that exists already is refused. */
		CHECK_EQ(sk_spool_link(sp, path), -1);
		CHECK_EQ(errno, EEXIST);
		unlink(path);
		sk_spool_close(sp);
	}
	rmdir(dir);
	free(src);
}

/* A stream that reads n bytes of src, then fails with EISDIR (a read of
 * a directory): a source that breaks on either side of the cap. */
static sk_stream *
failing_after(const unsigned char *src, size_t n)
{
	sk_stream *parts[2];
	int dfd = open("/", O_RDONLY | O_DIRECTORY);

	parts[0] = sk_mem_open(src, n, 0);
	parts[1] = sk_fd_open(dfd, SK_FD_OWN);
	return sk_concat_open(parts, 2);
}

static void
spool_says_which_side_failed(void)
{
	unsigned char *src = t_pattern(N, 29);
	/* Cut short in memory, in its file, and at the very start. */
	static const size_t cuts[] = {0, 500, 5000};
	struct rlimit old, small = {65536, 0};
	sk_spool *sp;

	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		sp = sk_spool_open(failing_after(src, cuts[i]), 1000, NULL);
		CHECK_EQ(sk_spool_failed(sp), 0);
		CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), -1);
		CHECK_EQ(errno, EISDIR);
		CHECK_EQ(sk_spool_failed(sp), SK_SPOOL_SOURCE);
		/* (In the file, a failed copy's last step is not counted.) */
		CHECK(sk_spool_size(sp) <= (int64_t)cuts[i]);
		sk_spool_close(sp);
	}
	/* No file can be made: the store side. */
	sp = sk_spool_open(sk_mem_open(src, N, 0), 1000, "/nonexistent");
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), -1);
	CHECK_EQ(sk_spool_failed(sp), SK_SPOOL_STORE);
	sk_spool_close(sp);
	/* A file size limit is EFBIG from the store, not the limit. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_FSIZE, &small);
	sp = sk_spool_open(sk_mem_open(src, N, 0), 1000, NULL);
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), -1);
	CHECK_EQ(errno, EFBIG);
	CHECK_EQ(sk_spool_failed(sp), SK_SPOOL_STORE);
	sk_spool_close(sp);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	/* And one byte past --max is the limit, also EFBIG. */
	for (int cap = 0; cap < 2; cap++) {
		sp =
		    sk_spool_open(sk_mem_open(src, N, 0), cap ? 1000 : N, NULL);
		sk_spool_limit(sp, 4096);
		CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), -1);
		CHECK_EQ(errno, EFBIG);
		CHECK_EQ(sk_spool_failed(sp), SK_SPOOL_LIMIT);
		sk_spool_close(sp);
	}
	/* A spool already past a new limit says so at once. */
	sp = sk_spool_open(sk_mem_open(src, N, 0), 0, NULL);
	CHECK_EQ(sk_spool_fill(sp, 100), 100);
	CHECK_EQ(sk_spool_limit(sp, 99), -1);
	CHECK_EQ(sk_spool_failed(sp), SK_SPOOL_LIMIT);
	sk_spool_close(sp);
	free(src);
}

static void
a_failed_move_to_a_file_is_the_store_and_not_sticky(void)
{
	unsigned char *src = t_pattern(1000, 30), b[10];
	sk_spool *sp =
	    sk_spool_open(sk_mem_open(src, 1000, 0), 1 << 20, "/nonexistent");

	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), 1000);
	CHECK_EQ(sk_spool_file(sp), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(sk_spool_failed(sp), SK_SPOOL_STORE);
	/* What memory holds is all still there. */
	CHECK_EQ(sk_spool_fill(sp, SK_UNKNOWN), 1000);
	CHECK_EQ(sk_spool_read_at(sp, b, 10, 990), 10);
	CHECK(memcmp(b, src + 990, 10) == 0);
	sk_spool_close(sp);
	free(src);
}

T_CASES(T(spool_limit_stops_reading_one_byte_past_it),
        T(spool_range_reads_only_as_far_as_the_range),
        T(spool_link_names_the_whole_input),
        T(read_at_matches_the_source_on_both_sides_of_the_cap),
        T(spool_pulls_only_as_far_as_needed),
        T(spool_file_is_unnamed_and_private),
        T(spool_file_can_be_forced_from_memory),
        T(spool_streams_and_their_sections_read_lazily),
        T(spool_reports_a_full_disk), T(spool_says_which_side_failed),
        T(a_failed_move_to_a_file_is_the_store_and_not_sticky))
