/*
 * t.h - a minimal TAP harness for the library's unit tests: one function
 * per behaviour, named by what it proves; CHECK records a failure with its
 * line and goes on, so one run shows every broken expectation.
 */
#ifndef T_H
#define T_H

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

/* Runs the cases, prints TAP, returns the exit status for main. */
int t_run(const struct t_case *cases, size_t n);

/* Helpers shared by the test files. */
/* n bytes of a deterministic pattern, malloc'd. */
unsigned char *t_pattern(size_t n, unsigned seed);
/* A temporary regular file holding buf; its fd, unlinked already. */
int t_tmpfile_with(const void *buf, size_t n);
/* A pipe whose write end is fed buf by a child process in chunks of
 * chunk bytes (0: all at once); returns the read end. */
int t_pipe_with(const void *buf, size_t n, size_t chunk);
/* Reads all of a stream with reads of at most step bytes; malloc'd. */
unsigned char *t_read_all(void *stream, size_t step, size_t *len);

#define T_CASES(...)                                                           \
	int main(void)                                                         \
	{                                                                      \
		static const struct t_case cases[] = {__VA_ARGS__};            \
		return t_run(cases, sizeof cases / sizeof cases[0]);           \
	}
#define T(fn)                                                                  \
	{                                                                      \
#fn, fn                                                        \
	}

#endif
