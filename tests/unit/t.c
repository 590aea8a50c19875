/* t.c - the harness behind t.h. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define T_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define T_SANITIZER 1
#endif
#endif

#define DEFAULT_TIMEOUT 300
/* A case's exit status that says it skipped (as automake's tests do). */
#define SKIPPED 77

int t_failed;

/* Does the case's name contain text, '_' and ' ' taken as equal? */
static int
name_matches(const char *name, const char *text)
{
	size_t n = strlen(name), k = strlen(text);

	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k && (name[i + j] == text[j] ||
		                 (name[i + j] == '_' && text[j] == ' ')))
			j++;
		if (j == k)
			return 1;
	}
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
t_skip(const char *why)
{
	printf("#   skipped: %s\n", why);
	fflush(stdout);
	exit(SKIPPED);
}

/*
 * Runs one case in a child process, its own process group, and waits for
 * it at most timeout seconds (then the group is killed).  Returns 1 when
 * it passed (why then says "SKIP" when it skipped); otherwise 0, with why
 * set when the checks alone do not say.
 */
static int
run_case(const struct t_case *c, unsigned timeout, char *why, size_t whylen)
{
	sigset_t chld, old;
	double end = now() + timeout;
	int st = 0;
	pid_t pid;

	*why = '\0';
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		t_failed = 0;
		c->fn();
		fflush(stdout);
		exit(t_failed ? 1 : 0);
	}
	setpgid(pid, pid); /* either side may get there first */
	for (;;) {
		double left = end - now();
		struct timespec ts;
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(why, whylen, "timed out after %u s", timeout);
			sigprocmask(SIG_SETMASK, &old, NULL);
			return 0;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &ts);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == SKIPPED) {
		snprintf(why, whylen, "SKIP");
		return 1;
	}
	if (WIFSIGNALED(st))
		snprintf(why, whylen, "killed by signal %d (%s)", WTERMSIG(st),
		         strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st) && WEXITSTATUS(st) > 1)
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-l] [-k TEXT]...\n", prog);
	return 2;
}

int
t_main(int argc, char *argv[], void (*setup)(void), void (*teardown)(void),
       const struct t_case *cases, size_t n)
{
	const char *env = getenv("T_TIMEOUT");
	unsigned timeout =
	    env && atoi(env) > 0 ? (unsigned)atoi(env) : DEFAULT_TIMEOUT;
	char *chosen = calloc(n ? n : 1, 1);
	size_t total = 0, num = 0;
	int bad = 0, list = 0, filtered = 0, setup_failed = 0, c;

	while ((c = getopt(argc, argv, "k:l")) != -1) {
		if (c == 'l') {
			list = 1;
		} else if (c == 'k') {
			filtered = 1;
			for (size_t i = 0; i < n; i++)
				chosen[i] |=
				    name_matches(cases[i].name, optarg);
		} else {
			free(chosen);
			return usage(argv[0]);
		}
	}
	if (optind < argc) {
		free(chosen);
		return usage(argv[0]);
	}
	for (size_t i = 0; i < n; i++) {
		chosen[i] |= !filtered;
		total += chosen[i] != 0;
		if (list && chosen[i])
			printf("%s\n", cases[i].name);
	}
	if (list || (filtered && total == 0)) {
		free(chosen);
		if (!list)
			fprintf(stderr, "%s: no case matches\n", argv[0]);
		return list ? 0 : 1;
	}
	/* Tests write into pipes whose readers may be gone. */
	signal(SIGPIPE, SIG_IGN);
	printf("1..%zu\n", total);
	if (setup) {
		t_failed = 0;
		setup();
		setup_failed = t_failed != 0;
	}
	for (size_t i = 0; i < n; i++) {
		char why[128] = "setup failed";
		const char *p;
		int ok;
		if (!chosen[i])
			continue;
		ok = !setup_failed &&
		     run_case(&cases[i], timeout, why, sizeof why);
		printf("%s %zu - ", ok ? "ok" : "not ok", ++num);
		/* Case names are C identifiers: show them as words. */
		for (p = cases[i].name; *p; p++)
			putchar(*p == '_' ? ' ' : *p);
		if (*why && (!ok || strcmp(why, "SKIP") == 0))
			printf(" # %s", why);
		putchar('\n');
		fflush(stdout);
		bad += !ok;
	}
	if (teardown) {
		t_failed = 0;
		teardown();
		if (t_failed) {
			printf("# teardown failed\n");
			bad++;
		}
	}
	free(chosen);
	return bad ? 1 : 0;
}

uint32_t
t_xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

unsigned char *
t_pattern(size_t n, unsigned seed)
{
	unsigned char *b = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)t_xorshift(&x);
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

void
t_put_pattern(const char *path, size_t n, unsigned seed)
{
	unsigned char *b = t_pattern(n, seed);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	if (fd < 0 || sk_write_all(fd, b, n) < 0 || close(fd) < 0)
		abort();
	free(b);
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

#ifdef T_SANITIZER
/* The sanitizers' allocator replaces glibc's and counts for itself. */
size_t __sanitizer_get_current_allocated_bytes(void);

size_t
t_heap_bytes(void)
{
	return __sanitizer_get_current_allocated_bytes();
}

int
t_sanitized(void)
{
	return 1;
}
#else
size_t
t_heap_bytes(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

int
t_sanitized(void)
{
	return 0;
}
#endif
