/*
 * Unit tests: the manifest hasher (sha256.c): SHA-256 against the
 * standard's vectors and against one-shot hashing for bodies fed in pieces
 * of every awkward size, and manifest lines that are sha256sum's own, byte
 * for byte, and that `sha256sum -c` accepts, for names with spaces,
 * backslashes, newlines and carriage returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk_impl.h"
#include "t.h"

static void
hex(const unsigned char d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
digest(const void *buf, size_t n, size_t step, char out[65])
{
	struct sk__sha256 h;
	unsigned char d[32];
	const unsigned char *p = buf;

	CHECK_EQ(sk__sha256_init(&h), 0);
	for (size_t off = 0; off < n; off += step)
		CHECK_EQ(sk__sha256_update(&h, p + off,
		                           n - off < step ? n - off : step),
		         0);
	CHECK_EQ(sk__sha256_final(&h, d), 0);
	hex(d, out);
}

static void
the_standard_vectors_hash_right(void)
{
	static const char *const want[] = {
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"};
	char out[65];
	char *million = malloc(1000000);

	digest("", 0, 1, out);
	CHECK(strcmp(out, want[0]) == 0);
	digest("abc", 3, 1, out);
	CHECK(strcmp(out, want[1]) == 0);
	digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	       7, out);
	CHECK(strcmp(out, want[2]) == 0);
	memset(million, 'a', 1000000);
	digest(million, 1000000, 65536, out);
	CHECK(strcmp(out, want[3]) == 0);
	free(million);
}

static void
pieces_of_any_size_hash_as_the_whole(void)
{
	static const size_t steps[] = {1,   3,   63,   64,    65,    511,
	                               512, 513, 4096, 65535, 65536, 65537};
	size_t n = 200003;
	unsigned char *buf = t_pattern(n, 7);
	char whole[65], part[65];

	digest(buf, n, n, whole);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		digest(buf, n, steps[i], part);
		CHECK(strcmp(whole, part) == 0);
	}
	free(buf);
}

/* What `sha256sum NAME` prints, run in dir (no shell: any name). */
static char *
sha256sum_of(const char *dir, const char *name)
{
	static char out[1024];
	int p[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return NULL;
	if ((pid = fork()) == 0) {
		dup2(p[1], 1);
		close(p[0]);
		if (chdir(dir) == 0)
			execlp("sha256sum", "sha256sum", name, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof out - 1 - (size_t)got)) > 0)
		got += n;
	close(p[0]);
	out[got] = '\0';
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? out : NULL;
}

static void
manifest_lines_are_sha256sums_and_check_ok(void)
{
	static const char *const names[] = {
	    "plain",     "sp ace",           "back\\slash",
	    "new\nline", "carriage\rreturn", "both\\\n.",
	    "\\"};
	char dir[64], cmd[128];
	FILE *ours;

	snprintf(dir, sizeof dir, "/tmp/sk-sha.%d", (int)getpid());
	mkdir(dir, 0755);
	snprintf(cmd, sizeof cmd, "%s/manifest", dir);
	ours = fopen(cmd, "w");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[128], *theirs;
		unsigned char d[32];
		struct sk__sha256 h;
		size_t len;
		char *line;
		int fd;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		CHECK_EQ(write(fd, names[i], strlen(names[i])),
		         (ssize_t)strlen(names[i]));
		close(fd);
		CHECK_EQ(sk__sha256_init(&h), 0);
		CHECK_EQ(sk__sha256_update(&h, names[i], strlen(names[i])), 0);
		CHECK_EQ(sk__sha256_final(&h, d), 0);
		line = sk__sha256_line(d, names[i], &len);
		CHECK(line != NULL && len == strlen(line));
		theirs = sha256sum_of(dir, names[i]);
		CHECK(theirs && line && strcmp(theirs, line) == 0);
		if (line)
			fwrite(line, 1, len, ours);
		free(line);
	}
	fclose(ours);
	snprintf(cmd, sizeof cmd, "cd %s && sha256sum --quiet -c manifest",
	         dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

T_CASES(T(the_standard_vectors_hash_right),
        T(pieces_of_any_size_hash_as_the_whole),
        T(manifest_lines_are_sha256sums_and_check_ok))
