/*
 * fuzz.h - shared by the libFuzzer harnesses.  Each harness defines
 * LLVMFuzzerTestOneInput and checks the library against a plain model;
 * a mismatch calls FUZZ_CHECK's abort, which libFuzzer reports as a crash
 * (and driver.c, the replay used by make check, as a failed test).
 */
#ifndef SK_FUZZ_H
#define SK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #c);                                 \
			abort();                                               \
		}                                                              \
	} while (0)

/* A reader of the fuzz input's bytes as numbers; 0 once used up. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline unsigned
fuzz_byte(struct fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline size_t
fuzz_u16(struct fuzz_in *in)
{
	size_t hi = fuzz_byte(in);
	return hi << 8 | fuzz_byte(in);
}

#endif
