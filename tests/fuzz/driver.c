/*
 * driver.c - replays fuzz inputs without libFuzzer: make check runs every
 * file of a harness's seed corpus and of its regressions (crashes found,
 * kept as tests) through it, under gcc and under ASan+UBSan.
 *
 *   test_fuzz_NAME [DIR|FILE]...   (default: the directories built in)
 *
 * Prints TAP: one test per directory, failing on the first input that
 * makes the harness abort (the abort itself ends the run; the plan then
 * shows the test as missing).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		return -1;
	}
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "# %s\n", path); /* shown when the harness aborts */
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int
run_path(const char *path, int *count)
{
	struct stat st;
	struct dirent **names;
	int n, i, bad = 0;

	if (stat(path, &st) == -1)
		return 0; /* an empty corpus directory is not in git */
	if (!S_ISDIR(st.st_mode)) {
		++*count;
		return run_file(path);
	}
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char p[4096];
		if (names[i]->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", path, names[i]->d_name);
			if (run_file(p) == -1)
				bad = 1;
			++*count;
		}
		free(names[i]);
	}
	free(names);
	return bad ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	const char *dflt[] = {FUZZ_CORPUS, FUZZ_REGRESS};
	const char **paths = argc > 1 ? (const char **)argv + 1 : dflt;
	int n = argc > 1 ? argc - 1 : 2, i, status = 0;

	printf("1..%d\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int count = 0;
		if (run_path(paths[i], &count) == -1) {
			printf("not ok %d - %s\n", i + 1, paths[i]);
			status = 1;
		} else
			printf("ok %d - %s: %d inputs\n", i + 1, paths[i],
			       count);
		fflush(stdout);
	}
	return status;
}
