/*
 * t.h - a minimal TAP harness for the library's unit tests: one function
 * per behaviour, named by what it proves; CHECK records a failure with its
 * line and goes on, so one run shows every broken expectation.
 *
 * Each case runs alone, in a child process of its own, with a timeout: a
 * case cannot lean on what an earlier one left behind, a crash or a hang
 * fails that case only, and a leak found at the child's exit (under ASan)
 * is that case's.  A file whose cases share a fixture declares it with
 * T_SUITE(setup, teardown, ...): setup runs once before the cases chosen,
 * teardown once after them.
 *
 *   test_x [-l] [-k TEXT]...
 *
 * -k runs only the cases whose names contain TEXT (underscores or spaces
 * alike); -l lists the names.  T_TIMEOUT in the environment sets the
 * seconds a case may take (default 300).
 */
#ifndef T_H
#define T_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

extern int t_failed; /* failures in the running case */

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("#   %s:%d: CHECK(%s) failed\n", __FILE__,      \
			       __LINE__, #cond);                               \
			t_failed++;                                            \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_) {                                            \
			printf("#   %s:%d: %s == %lld, expected %s == %lld\n", \
			       __FILE__, __LINE__, #a, t_a_, #b, t_b_);        \
			t_failed++;                                            \
		}                                                              \
	} while (0)

/*
 * Runs the cases argv chooses, each in its own process, between setup and
 * teardown (either may be NULL); prints TAP; returns main's exit status.
 */
int t_main(int argc, char *argv[], void (*setup)(void), void (*teardown)(void),
           const struct t_case *cases, size_t n);

/* Helpers shared by the test files. */
/* One step of a xorshift generator (the state must not be 0): the
 * next deterministic number. */
uint32_t t_xorshift(uint32_t *x);
/* n bytes of a deterministic pattern (t_xorshift's), malloc'd. */
unsigned char *t_pattern(size_t n, unsigned seed);
/* A temporary regular file holding buf; its fd, unlinked already. */
int t_tmpfile_with(const void *buf, size_t n);
/* Writes path (mode 0640, replaced) with n bytes of t_pattern(n, seed);
 * aborts on failure. */
void t_put_pattern(const char *path, size_t n, unsigned seed);
/* A pipe whose write end is fed buf by a child process in chunks of
 * chunk bytes (0: all at once); returns the read end. */
int t_pipe_with(const void *buf, size_t n, size_t chunk);
/* Reads all of a stream with reads of at most step bytes; malloc'd. */
unsigned char *t_read_all(void *stream, size_t step, size_t *len);
/* Bytes the process has allocated with malloc and not freed, as the
 * allocator counts them (glibc's, or the sanitizer's under ASan). */
size_t t_heap_bytes(void);
/* Ends the running case as skipped (TAP "# SKIP why"): for a case that
 * cannot run here, never for one that fails. */
_Noreturn void t_skip(const char *why);
/* 1 in a build with a sanitizer (ASan, TSan), which keeps its own heap
 * and reserves address space: a case that limits memory skips there. */
int t_sanitized(void);

#define T_SUITE(setup, teardown, ...)                                          \
	int main(int argc, char *argv[])                                       \
	{                                                                      \
		static const struct t_case cases[] = {__VA_ARGS__};            \
		return t_main(argc, argv, setup, teardown, cases,              \
		              sizeof cases / sizeof cases[0]);                 \
	}
#define T_CASES(...) T_SUITE(NULL, NULL, __VA_ARGS__)
#define T(fn)                                                                  \
	{                                                                      \
#fn, fn                                                        \
	}

#endif
