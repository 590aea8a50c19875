/*
 * substream - write byte or line ranges of the concatenation of its inputs.
 *
 * The library's ranges (sk_ranges_open) choose how to read the input from
 * what it allows: sections of files, one pass over a pipe when the ranges
 * go forward, a spool otherwise.  This program parses the options, copies
 * each part to standard output, and turns failures into messages.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

#define SHORTOPTS "hlr:szV"
#define SUFFIXES  "K M G T P, KiB MiB GiB TiB PiB, KB MB GB TB PB"

/* Reachable from here until exit, so that LeakSanitizer sees what an
 * error exit leaves to the kernel as held, not lost. */
static struct sk_range *ranges;
static size_t nranges;
static sk_ranges *rs;
static int opt_lines;

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: substream [-lsz] [-r RANGE]... [FILE]...\n"
	        "Write ranges of the concatenation of FILEs (stdin when none, "
	        "or -).\n"
	        "\n"
	        "  -r, --range RANGE      START:END, START+LENGTH, START: or "
	        ":END, from 0;\n"
	        "                         negative positions count from the "
	        "end;\n"
	        "                         numbers are decimal or 0x hex, with "
	        "an optional\n"
	        "                         suffix K M G T P or KiB MiB GiB TiB "
	        "PiB (1024)\n"
	        "                         or KB MB GB TB PB (1000), in either "
	        "case;\n"
	        "                         comma lists and repeated -r are "
	        "written in\n"
	        "                         the order given (default: "
	        "everything)\n"
	        "  -l, --lines            count lines instead of bytes\n"
	        "  -z, --zero-terminated  with --lines, lines end with NUL\n"
	        "  -s, --strict           fail when a range runs past the "
	        "input\n"
	        "  -h, --help             show this help\n"
	        "  -V, --version          show the version\n"
	        "\n"
	        "Exit status: 0 done, 1 runtime error, 2 usage error.\n");
}

/* Writes r back as text, for messages. */
static const char *
range_text(const struct sk_range *r)
{
	static char buf[80];
	int n = 0;

	if (r->start != 0 || r->start_from_end || !r->has_end || r->end_is_len)
		n = snprintf(buf, sizeof buf, "%s%" PRId64,
		             r->start_from_end && r->start == 0 ? "-" : "",
		             r->start);
	if (r->end_is_len)
		snprintf(buf + n, sizeof buf - (size_t)n, "+%" PRId64, r->end);
	else if (r->has_end)
		snprintf(buf + n, sizeof buf - (size_t)n, ":%s%" PRId64,
		         r->end_from_end && r->end == 0 ? "-" : "", r->end);
	else
		snprintf(buf + n, sizeof buf - (size_t)n, ":");
	return buf;
}

/*
 * Why the range text[0, len) did not parse: a number too large, a decimal
 * number with a suffix that is not one (1E), or the form.
 */
static noreturn void
bad_range(const char *text, int len)
{
	const char *p = text, *end = text + len;

	if (errno == ERANGE)
		usage_error("invalid range '%.*s': number too large", len,
		            text);
	while (p < end) {
		const char *num = *p == '-' ? p + 1 : p, *q = num, *sfx;
		char word[32];
		int64_t v;
		while (q < end && isdigit((unsigned char)*q))
			q++;
		sfx = q;
		while (q < end && isalpha((unsigned char)*q))
			q++;
		if (sfx > num && q > sfx && (size_t)(q - num) < sizeof word &&
		    !(sfx - num == 1 && *num == '0' && tolower(*sfx) == 'x')) {
			snprintf(word, sizeof word, "%.*s", (int)(q - num),
			         num);
			if (sk_parse_size(word, &v) < 0)
				usage_error(
				    "invalid range '%.*s': unknown suffix "
				    "'%.*s' (" SUFFIXES ")",
				    len, text, (int)(q - sfx), sfx);
		}
		while (q < end && *q != ':' && *q != '+')
			q++;
		p = q + 1;
	}
	usage_error("invalid range '%.*s': expected START:END, START+LENGTH, "
	            "START: or :END",
	            len, text);
}

/* Reports why the ranges failed, and exits. */
static noreturn void
failed(void)
{
	size_t i = 0;
	int64_t total = SK_UNKNOWN;
	const char *dir = getenv("TMPDIR");

	switch (sk_ranges_failure(rs, &i, &total)) {
	case SK_RANGES_FAIL_PAST_END:
		if (total < 0)
			errx(EXIT_RUNTIME,
			     "range '%s' runs past the end of the input",
			     range_text(&ranges[i]));
		errx(EXIT_RUNTIME,
		     "range '%s' runs past the end of the input (%" PRId64
		     " %s)",
		     range_text(&ranges[i]), total,
		     opt_lines ? "lines" : "bytes");
	case SK_RANGES_FAIL_SPOOL:
		err(EXIT_RUNTIME, "spool write error in %s",
		    dir && *dir ? dir : "/tmp");
	default:
		err(EXIT_RUNTIME, "read error");
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"range", required_argument, NULL, 'r'},
	    {"lines", no_argument, NULL, 'l'},
	    {"strict", no_argument, NULL, 's'},
	    {"zero-terminated", no_argument, NULL, 'z'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct sk_ranges_config cfg = {.delim = '\n'};
	const char *bad;
	sk_stream *in, *part;
	int c, r;

	/* A file size limit (ulimit -f) is an error to report, not death. */
	signal(SIGXFSZ, SIG_IGN);
	program_init();
	while ((c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			cfg.flags |= SK_RANGES_LINES;
			break;
		case 'r':
			if (sk_parse_ranges(optarg, &ranges, &nranges, &bad) <
			    0) {
				const char *end = strchr(bad, ',');
				bad_range(bad, end ? (int)(end - bad)
				                   : (int)strlen(bad));
			}
			break;
		case 's':
			cfg.flags |= SK_RANGES_STRICT;
			break;
		case 'z':
			cfg.delim = '\0';
			break;
		case 'V':
			print_version();
			return 0;
		default:
			bad_option(argv, SHORTOPTS);
		}
	}
	opt_lines = (cfg.flags & SK_RANGES_LINES) != 0;
	if (cfg.delim == '\0' && !opt_lines)
		usage_error("-z (--zero-terminated) counts lines: it needs -l "
		            "(--lines)");
	if (nranges == 0 && sk_parse_ranges(":", &ranges, &nranges, NULL) < 0)
		err(EXIT_RUNTIME, "memory");

	/* A missing input would shift every offset after it: write nothing. */
	if ((in = open_inputs(argc - optind, argv + optind)) == NULL) {
		free(ranges);
		return EXIT_RUNTIME;
	}
	if ((rs = sk_ranges_open(in, ranges, nranges, &cfg)) == NULL)
		err(EXIT_RUNTIME, "memory");
	while ((r = sk_ranges_next(rs, &part)) > 0) {
		if (sk_copy(part, STDOUT_FILENO, SK_UNKNOWN) >= 0)
			continue;
		if (sk_error(part) == 0)
			write_failed(errno);
		failed();
	}
	if (r < 0)
		failed();
	if (sk_ranges_close(rs) < 0)
		err(EXIT_RUNTIME, "read error");
	free(ranges);
	close_stdout();
	return 0;
}
