/*
 * skcompress - the library's compressors from standard input to standard
 * output, for bench/compress.sh and for trying them by hand:
 *
 *   skcompress [-s] [-n] [-m METHOD] [-l LEVEL] [-T THREADS] [-b BLOCK]
 *
 * -m gzip, bzip2, xz, zstd, lz4 or none (default gzip); -n: reproducible
 * (no gzip time stamp); -s: through the pull stream (sk_compress_stream_open
 * and sk_copy) instead of sk_compress_write.  Not installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streamkit.h"

#define BUF ((size_t)128 << 10)

static void
usage(void)
{
	fprintf(stderr, "usage: skcompress [-s] [-n] [-m METHOD] [-l LEVEL] "
	                "[-T THREADS] [-b BLOCK]\n");
	exit(2);
}

static int
number(const char *text)
{
	int64_t v;

	if (sk_parse_size(text, &v) < 0 || v > 1 << 30)
		usage();
	return (int)v;
}

/* Pushes standard input through sk_compress_write; 0 or -1. */
static int
push(int method, const struct sk_compress_options *opt)
{
	sk_compress *c =
	    sk_compress_open(method, opt, STDOUT_FILENO, NULL, NULL);
	sk_stream *in = sk_fd_open(STDIN_FILENO, 0);
	char *buf = malloc(BUF);
	ssize_t n = 0;
	int rc = -1;

	if (c == NULL || in == NULL || buf == NULL)
		goto out;
	while ((n = sk_read(in, buf, BUF)) > 0)
		if (sk_compress_write(c, buf, (size_t)n) < 0)
			goto out;
	if (n == 0 && sk_compress_finish(c) == 0)
		rc = 0;
out:
	if (sk_compress_close(c) < 0)
		rc = -1;
	sk_close(in);
	free(buf);
	return rc;
}

/* Reads standard input compressed, through sk_copy; 0 or -1. */
static int
pull(int method, const struct sk_compress_options *opt)
{
	sk_stream *s =
	    sk_compress_stream_open(sk_fd_open(STDIN_FILENO, 0), method, opt);
	int rc;

	if (s == NULL)
		return -1;
	rc = sk_copy(s, STDOUT_FILENO, SK_UNKNOWN) < 0 ? -1 : 0;
	if (sk_close(s) < 0)
		rc = -1;
	return rc;
}

int
main(int argc, char **argv)
{
	struct sk_compress_options opt = {0};
	int method = SK_COMPRESS_GZIP, stream = 0, ch;

	while ((ch = getopt(argc, argv, "b:l:m:nsT:")) != -1) {
		switch (ch) {
		case 'b':
			opt.block = (size_t)number(optarg);
			break;
		case 'l':
			opt.level = number(optarg);
			break;
		case 'm':
			if ((method = sk_compress_method(optarg)) < 0)
				usage();
			break;
		case 'n':
			opt.reproducible = 1;
			break;
		case 's':
			stream = 1;
			break;
		case 'T':
			opt.threads = number(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((stream ? pull : push)(method, &opt) < 0) {
		fprintf(stderr, "skcompress: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
