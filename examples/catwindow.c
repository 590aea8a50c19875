/*
 * catwindow - write a window of the concatenation of files.
 *
 *   catwindow OFFSET LENGTH FILE...
 *
 * Bytes [OFFSET, OFFSET+LENGTH) of FILE... read one after the other ("-"
 * is standard input) go to standard output; LENGTH "-" means to the end.
 * Sizes take suffixes (4K, 1M).  On regular files the window is reached
 * by seeking and copied by copy_file_range or sendfile: nothing before
 * OFFSET is read, whatever the files' sizes.
 *
 * Build: cc catwindow.c $(pkg-config --cflags --libs streamkit)
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <streamkit.h>

int
main(int argc, char *argv[])
{
	int64_t off, len = SK_UNKNOWN;
	sk_stream **parts, *s;
	int i, n;

	if (argc < 4) {
		fprintf(stderr, "usage: catwindow OFFSET LENGTH FILE...\n");
		return 2;
	}
	if (sk_parse_size(argv[1], &off) == -1)
		errx(2, "bad offset: %s", argv[1]);
	if (strcmp(argv[2], "-") != 0 && sk_parse_size(argv[2], &len) == -1)
		errx(2, "bad length: %s", argv[2]);

	n = argc - 3;
	if ((parts = calloc((size_t)n, sizeof *parts)) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		if ((parts[i] = sk_path_open(argv[3 + i])) == NULL) {
			int e = errno, j;
			for (j = 0; j < i; j++)
				sk_close(parts[j]);
			errno = e;
			err(1, "%s", argv[3 + i]);
		}
	}
	/* Both constructors own what they are given from here on, also
	 * when they fail. */
	s = sk_window_open(sk_concat_open(parts, (size_t)n), off, len);
	free(parts);
	if (s == NULL)
		err(1, "window");
	if (sk_copy(s, STDOUT_FILENO, SK_UNKNOWN) == -1)
		err(1, "%s", sk_error(s) ? "reading" : "writing");
	if (sk_close(s) == -1)
		err(1, "closing");
	return 0;
}
