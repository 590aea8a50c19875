/*
 * pump - copy with a bounded queue: the reader pauses when the queue is
 * full and resumes when it has drained to the low mark; fan-out, progress,
 * rate limit, stats.
 *
 * The pump itself (lib/pump.c) runs on its own threads.  This program's
 * main thread blocks every signal it cares about and takes them with
 * sigtimedwait, waking a few times a second to redraw the progress line
 * and watch for a stall: no signal handler ever touches the pump.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

#define DEFAULT_QUEUE ((int64_t)16 << 20)
#define TICK_MS       200

enum when { NEVER, AUTO, ALWAYS };

static struct sk_pump_config cfg;
static const char **out_names;
static size_t nouts;
static int opt_append, low_percent = 50;
static int64_t opt_low = -1, opt_size = -1;
static enum when opt_progress = NEVER;
static int opt_stats;    /* 0 none, 1 text, 2 json */
static double opt_stall; /* seconds, 0: none */

struct run {
	sk_pump *p;
	int rc, err;
	volatile int finished;
	pthread_t main; /* woken with SIGALRM when the run is over */
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: pump [OPTIONS] [FILE]...\n"
	    "Copy the concatenation of FILEs (stdin when none, or -) to "
	    "stdout\n"
	    "through a bounded queue: the reader pauses when it is full and\n"
	    "resumes when it has drained to the low mark.\n"
	    "\n"
	    "  -q, --queue SIZE          queue size (default 16M)\n"
	    "      --low SIZE|N%%         resume when the queue is down to "
	    "this\n"
	    "                            (default 50%%)\n"
	    "  -b, --block SIZE          largest single read or write (default "
	    "128K)\n"
	    "  -o, --output FILE         write to FILE instead of stdout; "
	    "repeat\n"
	    "                            to fan out (- is stdout)\n"
	    "  -a, --append              append to -o FILEs instead of "
	    "truncating\n"
	    "  -k, --keep-going          go on without an output that fails\n"
	    "  -L, --rate-limit RATE     at most RATE bytes per second on "
	    "average\n"
	    "  -p, --progress[=WHEN]     a progress line on stderr: auto (when "
	    "it\n"
	    "                            is a terminal, the default) or "
	    "always\n"
	    "  -s, --size SIZE           the total, for percentage and ETA\n"
	    "      --stats[=FORMAT]      a summary on stderr at the end: text "
	    "or\n"
	    "                            json\n"
	    "      --stall-timeout SECS  fail when no byte moves for SECS "
	    "seconds\n"
	    "  -h, --help                show this help\n"
	    "  -V, --version             show the version\n"
	    "\n"
	    "SIZE and RATE take K M G T (1024) or KB MB GB (1000) suffixes.\n"
	    "Signals: USR1 prints the progress line, USR2 pauses and resumes,\n"
	    "INT and TERM stop after writing out what was read (twice: at "
	    "once).\n"
	    "Exit status: 0 done, 1 runtime error, 2 usage error, 128+N after\n"
	    "signal N.\n");
}

/* The one progress line: bytes, current and average rate, queue, time. */
static void
progress_line(char *line, size_t len, const struct sk_pump_stats *st,
              double rate_now)
{
	char b1[32], b2[32], b3[32], t1[32], t2[32];
	double secs = (double)st->elapsed_ns / 1e9;
	double avg = secs > 0 ? (double)st->bytes_out / secs : 0;
	int n;

	n = snprintf(line, len, "%10s %10s/s (avg %s/s) queue %3d%% %s",
	             human(b1, sizeof b1, (double)st->bytes_out),
	             human(b2, sizeof b2, rate_now), human(b3, sizeof b3, avg),
	             (int)(100.0 * (double)st->queued / (double)st->queue),
	             clock_text(t1, sizeof t1, secs));
	if (opt_size > 0 && n > 0 && (size_t)n < len) {
		double frac = (double)st->bytes_out / (double)opt_size;
		double eta =
		    avg > 0 ? ((double)opt_size - (double)st->bytes_out) / avg
		            : 0;
		n += snprintf(line + n, len - (size_t)n, " [%3d%%] ETA %s",
		              (int)(frac * 100 > 100 ? 100 : frac * 100),
		              clock_text(t2, sizeof t2, eta));
	}
	if (st->stopped && n > 0 && (size_t)n < len)
		snprintf(line + n, len - (size_t)n, " [stopped]");
}

static void
print_stats(sk_pump *p)
{
	struct sk_pump_stats st;
	double secs;
	char b1[32], b2[32];

	sk_pump_stats(p, &st);
	secs = (double)st.elapsed_ns / 1e9;
	if (opt_stats == 2) {
		fprintf(stderr,
		        "{\"bytes_in\": %" PRIu64 ", \"bytes_out\": %" PRIu64
		        ", \"seconds\": %.6f, \"bytes_per_second\": %.0f, "
		        "\"pauses\": %" PRIu64
		        ", \"queue_full_seconds\": %.6f, "
		        "\"queue_empty_seconds\": %.6f, \"queue\": %zu, "
		        "\"zero_copy\": %s, \"outputs\": [",
		        st.bytes_in, st.bytes_out, secs,
		        secs > 0 ? (double)st.bytes_out / secs : 0.0, st.pauses,
		        (double)st.full_ns / 1e9, (double)st.empty_ns / 1e9,
		        st.queue, st.zero_copy ? "true" : "false");
		for (size_t i = 0; i < nouts; i++) {
			int e;
			uint64_t b = sk_pump_output(p, i, &e);
			fprintf(stderr, "%s{\"name\": \"", i ? ", " : "");
			for (const char *c = out_names[i]; *c; c++) {
				if (*c == '"' || *c == '\\')
					fprintf(stderr, "\\%c", *c);
				else if ((unsigned char)*c < 0x20)
					fprintf(stderr, "\\u%04x", *c);
				else
					fputc(*c, stderr);
			}
			fprintf(stderr,
			        "\", \"bytes\": %" PRIu64 ", \"error\": ", b);
			if (e)
				fprintf(stderr, "\"%s\"}", strerror(e));
			else
				fprintf(stderr, "null}");
		}
		fprintf(stderr, "]}\n");
		return;
	}
	fprintf(
	    stderr, "pump: %s (%" PRIu64 " bytes) in %.2f s, %s/s%s\n",
	    human(b1, sizeof b1, (double)st.bytes_out), st.bytes_out, secs,
	    human(b2, sizeof b2, secs > 0 ? (double)st.bytes_out / secs : 0),
	    st.zero_copy ? ", zero-copy" : "");
	fprintf(stderr,
	        "pump: reader paused %" PRIu64 " times; queue full %.2f s, "
	        "empty %.2f s\n",
	        st.pauses, (double)st.full_ns / 1e9, (double)st.empty_ns / 1e9);
	for (size_t i = 0; i < nouts; i++) {
		int e;
		uint64_t b = sk_pump_output(p, i, &e);
		if (e)
			fprintf(stderr,
			        "pump: output %zu (%s): failed after %" PRIu64
			        " bytes: %s\n",
			        i + 1, out_names[i], b, strerror(e));
		else
			fprintf(stderr,
			        "pump: output %zu (%s): %" PRIu64 " bytes\n",
			        i + 1, out_names[i], b);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run_main(void *arg)
{
	struct run *r = arg;

	r->rc = sk_pump_run(r->p);
	r->err = errno;
	r->finished = 1;
	pthread_kill(r->main, SIGALRM);
	return NULL;
}

/* Parses --low: a size, or a percentage of the queue. */
static void
parse_low(const char *text)
{
	size_t n = strlen(text);

	if (n > 1 && text[n - 1] == '%') {
		char *end;
		long v = strtol(text, &end, 10);
		if (end != text + n - 1 || v < 0 || v >= 100)
			usage_error(
			    "invalid --low '%s': a percentage from 0 to 99",
			    text);
		low_percent = (int)v;
		opt_low = -1;
		return;
	}
	opt_low = size_arg("--low", text);
}

static double
seconds_arg(const char *opt, const char *text)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || *end != '\0' || !(v > 0) || v > 1e9)
		usage_error("invalid %s: '%s' (a positive number of seconds)",
		            opt, text);
	return v;
}

/*
 * Refuses to copy a regular file into itself, as cat(1) does: the reader
 * would chase an end that the writer keeps moving (and -o would truncate
 * the input before reading it).  Checked before any output is opened.
 */
static void
refuse_self_copy(int argc, char *argv[])
{
	for (int i = 0; i < (argc > 0 ? argc : 1); i++) {
		const char *in = argc > 0 ? argv[i] : "-";
		struct stat a;
		if ((strcmp(in, "-") == 0 ? fstat(STDIN_FILENO, &a)
		                          : stat(in, &a)) < 0 ||
		    !S_ISREG(a.st_mode))
			continue;
		for (size_t j = 0; j < nouts; j++) {
			struct stat b;
			if ((strcmp(out_names[j], "-") == 0
			         ? fstat(STDOUT_FILENO, &b)
			         : stat(out_names[j], &b)) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				errx(EXIT_RUNTIME,
				     "%s: input file is output file", in);
		}
	}
}

/* Opens the outputs; "-" is stdout.  Exits 1 naming a file that fails. */
static int *
open_outputs(void)
{
	int *fds = calloc(nouts, sizeof *fds);

	if (fds == NULL)
		err(EXIT_RUNTIME, "memory");
	for (size_t i = 0; i < nouts; i++) {
		if (strcmp(out_names[i], "-") == 0) {
			fds[i] = STDOUT_FILENO;
			continue;
		}
		fds[i] = open(out_names[i],
		              O_WRONLY | O_CREAT | O_CLOEXEC |
		                  (opt_append ? O_APPEND : O_TRUNC),
		              0666);
		if (fds[i] < 0)
			err(EXIT_RUNTIME, "%s", out_names[i]);
	}
	return fds;
}

int
main(int argc, char *argv[])
{
	enum { OPT_LOW = 256, OPT_STATS, OPT_STALL };
	static const struct option longopts[] = {
	    {"append", no_argument, NULL, 'a'},
	    {"block", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {"keep-going", no_argument, NULL, 'k'},
	    {"low", required_argument, NULL, OPT_LOW},
	    {"output", required_argument, NULL, 'o'},
	    {"progress", optional_argument, NULL, 'p'},
	    {"queue", required_argument, NULL, 'q'},
	    {"rate-limit", required_argument, NULL, 'L'},
	    {"size", required_argument, NULL, 's'},
	    {"stall-timeout", required_argument, NULL, OPT_STALL},
	    {"stats", optional_argument, NULL, OPT_STATS},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int64_t queue = DEFAULT_QUEUE, v;
	sk_stream *in;
	struct run run = {0};
	sigset_t sigs;
	pthread_t th;
	int c, *fds, signo = 0, status = 0;
	uint64_t last_moved = 0, last_in = 0, last_out = 0, prev_out = 0;
	double last_change, prev_t, rate_now = 0;
	char line[256];

	program_init();
	while ((c = getopt_long(argc, argv, "ab:hkL:o:p::q:s:V", longopts,
	                        NULL)) != -1) {
		switch (c) {
		case 'a':
			opt_append = 1;
			break;
		case 'b':
			v = size_arg("--block", optarg);
			if (v < 1 || v > (1 << 30))
				usage_error(
				    "--block must be from 1 byte to 1G");
			cfg.block = (size_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			cfg.keep_going = 1;
			break;
		case 'L':
			v = size_arg("--rate-limit", optarg);
			if (v < 1)
				usage_error(
				    "--rate-limit must be at least 1 byte "
				    "per second");
			cfg.rate = (uint64_t)v;
			break;
		case 'o':
			out_names =
			    realloc(out_names, (nouts + 1) * sizeof *out_names);
			if (out_names == NULL)
				err(EXIT_RUNTIME, "memory");
			out_names[nouts++] = optarg;
			break;
		case 'p':
			if (optarg == NULL || strcmp(optarg, "auto") == 0)
				opt_progress = AUTO;
			else if (strcmp(optarg, "always") == 0)
				opt_progress = ALWAYS;
			else
				usage_error(
				    "invalid --progress '%s': auto or always",
				    optarg);
			break;
		case 'q':
			queue = size_arg("--queue", optarg);
			if (queue < 2 || queue > ((int64_t)1 << 40))
				usage_error(
				    "--queue must be from 2 bytes to 1T");
			break;
		case 's':
			opt_size = size_arg("--size", optarg);
			break;
		case 'V':
			print_version();
			return 0;
		case OPT_LOW:
			parse_low(optarg);
			break;
		case OPT_STATS:
			if (optarg == NULL || strcmp(optarg, "text") == 0)
				opt_stats = 1;
			else if (strcmp(optarg, "json") == 0)
				opt_stats = 2;
			else
				usage_error(
				    "invalid --stats '%s': text or json",
				    optarg);
			break;
		case OPT_STALL:
			opt_stall = seconds_arg("--stall-timeout", optarg);
			break;
		default:
			usage_error("unknown or incomplete option");
		}
	}
	cfg.queue = (size_t)queue;
	cfg.low = opt_low >= 0 ? (size_t)opt_low
	                       : (size_t)((double)queue * low_percent / 100.0);
	if (cfg.low >= cfg.queue)
		usage_error("--low must be below the queue size (%" PRId64 ")",
		            queue);
	if (nouts == 0) {
		if ((out_names = malloc(sizeof *out_names)) == NULL)
			err(EXIT_RUNTIME, "memory");
		out_names[nouts++] = "-";
	}
	if (opt_progress == AUTO && !isatty(STDERR_FILENO))
		opt_progress = NEVER;

	argc -= optind;
	argv += optind;
	/* A missing input would shift every offset after it: write nothing. */
	if ((in = open_inputs(argc, argv)) == NULL) {
		free(out_names);
		return EXIT_RUNTIME;
	}
	if (opt_size < 0)
		opt_size = sk_length(in); /* known for regular files */

	/* Every thread the pump starts inherits this mask: the signals
	 * come to sigtimedwait below, and a closed output is EPIPE. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGPIPE);
	sigaddset(&sigs, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGXFSZ, SIG_IGN);

	refuse_self_copy(argc, argv);
	fds = open_outputs();
	/* The library reads a low mark of 0 as "the default": resuming at
	 * one byte left is, in effect, resuming when empty. */
	if (cfg.low == 0)
		cfg.low = 1;
	if ((run.p = sk_pump_open(in, fds, nouts, &cfg)) == NULL)
		err(EXIT_RUNTIME, "pump");
	run.main = pthread_self();
	if ((errno = pthread_create(&th, NULL, run_main, &run)) != 0)
		err(EXIT_RUNTIME, "thread");

	last_change = prev_t = now();
	while (!run.finished) {
		struct timespec tick = {0, TICK_MS * 1000000L};
		struct sk_pump_stats st;
		int sig = sigtimedwait(&sigs, NULL, &tick);
		double t = now();

		sk_pump_stats(run.p, &st);
		/* The current rate: a moving average over about a second. */
		if (t > prev_t) {
			double r =
			    (double)(st.bytes_out - prev_out) / (t - prev_t);
			rate_now = prev_out == 0 ? r : 0.8 * rate_now + 0.2 * r;
			prev_out = st.bytes_out;
			prev_t = t;
		}
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			/* The first asks to write out what was read; a second
			 * stops at once. */
			sk_pump_cancel(run.p, signo == 0);
			signo = sig;
		} else if (sig == SIGUSR1) {
			progress_line(line, sizeof line, &st, rate_now);
			fprintf(stderr, "%s%s\n",
			        opt_progress ? "\r\033[K" : "", line);
		} else if (sig == SIGUSR2) {
			if (st.stopped)
				sk_pump_start(run.p);
			else
				sk_pump_stop(run.p);
		}
		if (st.bytes_in != last_in || st.bytes_out != last_out ||
		    st.stopped) {
			last_in = st.bytes_in;
			last_out = st.bytes_out;
			last_change = t;
			last_moved = st.bytes_out;
		} else if (opt_stall > 0 && t - last_change >= opt_stall &&
		           !run.finished) {
			sk_pump_cancel(run.p, 0);
			pthread_join(th, NULL);
			if (opt_progress)
				fputc('\n', stderr);
			errx(EXIT_RUNTIME,
			     "stalled: no byte moved for %g s (%" PRIu64
			     " bytes written)",
			     opt_stall, last_moved);
		}
		if (opt_progress) {
			progress_line(line, sizeof line, &st, rate_now);
			fprintf(stderr, "\r%s\033[K", line);
		}
	}
	pthread_join(th, NULL);
	if (opt_progress) {
		struct sk_pump_stats st;
		sk_pump_stats(run.p, &st);
		progress_line(line, sizeof line, &st,
		              st.elapsed_ns ? (double)st.bytes_out * 1e9 /
		                                  (double)st.elapsed_ns
		                            : 0);
		fprintf(stderr, "\r%s\033[K\n", line);
	}
	if (opt_stats)
		print_stats(run.p);
	if (run.rc < 0) {
		int side = 0;
		size_t which = 0;
		int e = sk_pump_failure(run.p, &side, &which);
		if (e == 0 && signo) {
			struct sk_pump_stats st;
			sk_pump_stats(run.p, &st);
			warnx("stopped by %s after %" PRIu64 " bytes",
			      strsignal(signo), st.bytes_out);
			status = 128 + signo;
		} else if (side == SK_PUMP_READ) {
			errno = e;
			warn("read error");
			status = EXIT_RUNTIME;
		} else if (e == EPIPE && nouts == 1 &&
		           strcmp(out_names[0], "-") == 0) {
			write_failed(EPIPE); /* the quiet stop */
		} else {
			errno = e;
			warn("%s", strcmp(out_names[which], "-") == 0
			               ? "write error"
			               : out_names[which]);
			status = EXIT_RUNTIME;
		}
	}
	sk_pump_close(run.p);
	for (size_t i = 0; i < nouts; i++)
		if (fds[i] != STDOUT_FILENO && close(fds[i]) < 0 &&
		    status == 0) {
			warn("%s", out_names[i]);
			status = EXIT_RUNTIME;
		}
	free(fds);
	free(out_names);
	if (status == 0)
		close_stdout();
	return status;
}
