/* t.c - the harness behind t.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

int t_failed;

int
t_run(const struct t_case *cases, size_t n)
{
	int bad = 0;

	/* Tests write into pipes whose readers may be gone. */
	signal(SIGPIPE, SIG_IGN);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const char *p;
		t_failed = 0;
		cases[i].fn();
		printf("%s %zu - ", t_failed ? "not ok" : "ok", i + 1);
		/* Case names are C identifiers: show them as words. */
		for (p = cases[i].name; *p; p++)
			putchar(*p == '_' ? ' ' : *p);
		putchar('\n');
		fflush(stdout);
		bad += t_failed != 0;
	}
	return bad ? 1 : 0;
}

unsigned char *
t_pattern(size_t n, unsigned seed)
{
	unsigned char *b = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	return b;
}

int
t_tmpfile_with(const void *buf, size_t n)
{
	char path[] = "/tmp/sk-unit.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	unlink(path);
	if (sk_write_all(fd, buf, n) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

int
t_pipe_with(const void *buf, size_t n, size_t chunk)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		abort();
	if ((pid = fork()) < 0)
		abort();
	if (pid == 0) {
		const char *b = buf;
		close(p[0]);
		if (chunk == 0)
			chunk = n ? n : 1;
		for (size_t o = 0; o < n; o += chunk) {
			size_t k = n - o < chunk ? n - o : chunk;
			if (sk_write_all(p[1], b + o, k) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

unsigned char *
t_read_all(void *stream, size_t step, size_t *len)
{
	size_t cap = 4096, have = 0;
	unsigned char *b = malloc(cap);
	ssize_t r;

	for (;;) {
		if (cap - have < step) {
			cap = cap * 2 + step;
			b = realloc(b, cap);
		}
		r = sk_read(stream, b + have, step);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	*len = have;
	return b;
}
