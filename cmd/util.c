/*
 * util.c - the program side of errors and options, shared by the programs in
 * cmd/.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

extern char *program_invocation_short_name;

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n",
	        program_invocation_short_name);
	exit(EXIT_USAGE);
}

void
bad_option(char *const argv[], const char *shortopts)
{
	const char *arg = argv[optind - 1];
	int len = (int)strcspn(arg, "=");

	/* A long option: getopt leaves it in argv[optind - 1], optopt then
	 * being 0 (unknown or ambiguous) or its value (an argument wrong). */
	if (optopt == 0)
		usage_error("unknown option '%.*s'", len, arg);
	if (strncmp(arg, "--", 2) == 0 &&
	    (optopt > UCHAR_MAX || strchr(shortopts, optopt) != NULL)) {
		if (arg[len] == '=')
			usage_error("option '%.*s' takes no argument", len,
			            arg);
		usage_error("option '%s' needs an argument", arg);
	}
	if (optopt <= UCHAR_MAX && optopt != ':' &&
	    strchr(shortopts, optopt) != NULL)
		usage_error("option '-%c' needs an argument", optopt);
	usage_error("unknown option '-%c'", optopt);
}

int64_t
size_arg(const char *option, const char *text)
{
	int64_t v;

	if (sk_parse_size(text, &v) < 0)
		usage_error("invalid size for %s: '%s' (%s)", option, text,
		            errno == ERANGE
		                ? "too large"
		                : "expected a number with an "
		                  "optional suffix K, M, G, T, KB, MB...");
	return v;
}

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
number_in(const char *text, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

long
int_arg(const char *option, const char *text, long lo, long hi)
{
	long v;

	if (number_in(text, lo, hi, &v) < 0)
		usage_error("invalid %s: '%s' (a number from %ld to %ld)",
		            option, text, lo, hi);
	return v;
}

/* Whether SIGPIPE was ignored when the program started (program_init). */
static int pipe_ignored;

void
quiet_pipe_stop(int e)
{
	sigset_t pipe;

	if (e != EPIPE || pipe_ignored)
		return;
	/* Die the way a reader that went away expects writers to (a
	 * program that blocked SIGPIPE to see EPIPE included). */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	signal(SIGPIPE, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &pipe, NULL);
	raise(SIGPIPE);
	_exit(EXIT_RUNTIME);
}

void
write_failed(int e)
{
	quiet_pipe_stop(e);
	errno = e;
	err(EXIT_RUNTIME, "write error");
}

void
close_stdout(void)
{
	if (close(STDOUT_FILENO) < 0 && errno != EINTR && errno != EBADF)
		write_failed(errno);
}

void
print_version(void)
{
	printf("%s (streamkit) %s\n", program_invocation_short_name,
	       sk_version());
}

struct sk_stream **
open_parts(int n, char *const paths[], void (*opening)(const char *path))
{
	int nparts = n > 0 ? n : 1, failed = 0;
	sk_stream **parts = calloc((size_t)nparts, sizeof *parts);

	if (parts == NULL)
		err(EXIT_RUNTIME, "memory");
	for (int i = 0; i < nparts; i++) {
		const char *path = n > 0 ? paths[i] : "-";
		if (opening)
			opening(path);
		if ((parts[i] = sk_path_open(path)) == NULL) {
			/* An empty name would read as no name at all. */
			warn("%s", *path ? path : "''");
			failed = 1;
		}
	}
	if (failed) {
		for (int i = 0; i < nparts; i++)
			sk_close(parts[i]);
		free(parts);
		return NULL;
	}
	return parts;
}

struct sk_stream *
open_inputs(int n, char *const paths[])
{
	sk_stream **parts = open_parts(n, paths, NULL), *in;

	if (parts == NULL)
		return NULL;
	in = sk_concat_open(parts, (size_t)(n > 0 ? n : 1));
	free(parts);
	if (in == NULL)
		err(EXIT_RUNTIME, "memory");
	return in;
}

/* Formats a byte count with a binary suffix. */
const char *
human(char *buf, size_t len, double v)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

const char *
clock_text(char *buf, size_t len, double s)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);

	snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

void
program_init(void)
{
	struct sigaction old;

	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		pipe_ignored = 1;
	/* One message for a bad option: the program's (bad_option), not
	 * getopt's as well. */
	opterr = 0;
	guard_std_fds();
}

void
guard_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

/* The signals that end a program and that its handlers take. */
static void
ending_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGPIPE);
}

void
hold_signals(int hold)
{
	static sigset_t old;
	sigset_t set;

	if (hold) {
		ending_signals(&set);
		sigprocmask(SIG_BLOCK, &set, &old);
	} else {
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

void
catch_signals(void (*handler)(int))
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
	struct sigaction sa = {.sa_handler = handler}, old;

	ending_signals(&sa.sa_mask);
	/* A signal the parent ignored stays ignored (nohup, trap '' PIPE,
	 * a systemd unit): the program was asked not to die of it. */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

int
signals_fd(const int *sigs, size_t n)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int
signals_next(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof si) != (ssize_t)sizeof si)
		return 0;
	return (int)si.ssi_signo;
}
