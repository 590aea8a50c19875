/*
 * pump - copy through a bounded queue with pv's display and options,
 * mbuffer's watermarks and fan-out, a stall timeout, remote control.
 *
 * The pump itself (lib/pump.c) runs on threads of its own, started by a
 * run thread that first opens the inputs and outputs: opening a FIFO
 * blocks until its other side appears, and the main thread must stay
 * free for what it does, all from one poll(2): signals (blocked in every
 * thread and read from a signalfd, so no handler ever touches the pump),
 * remote control requests, the display, and the end of the run.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pump.h"
#include "util.h"

#define DEFAULT_QUEUE ((int64_t)16 << 20)

static struct pump_opts o = {.size = -1,
                             .low = -1,
                             .low_percent = 50,
                             .start_percent = -1,
                             .watch_fd = -1};

/* What the run thread and the main thread share, under mu. */
static struct {
	pthread_mutex_t mu;
	sk_pump *p;
	const char *waiting; /* the name open(2) is waiting on */
	int waiting_out;     /* an output (no reader) or an input (no writer) */
	int status;          /* the run thread's verdict when it failed */
	int rc, err;
	int finished; /* also told through done_fd, to wake the poll */
	int done_fd;
	int argc;
	char **argv;
} run = {.mu = PTHREAD_MUTEX_INITIALIZER, .status = -1, .done_fd = -1};

static void
opening(const char *name, int out)
{
	pthread_mutex_lock(&run.mu);
	run.waiting = name;
	run.waiting_out = out;
	pthread_mutex_unlock(&run.mu);
}

static void
opening_input(const char *name)
{
	opening(name, 0);
}

/* Opens the outputs without truncating them; "-" is stdout. */
static int
open_outputs(int *fds)
{
	for (size_t i = 0; i < o.nouts; i++) {
		if (strcmp(o.outs[i], "-") == 0) {
			fds[i] = STDOUT_FILENO;
			continue;
		}
		opening(o.outs[i], 1);
		fds[i] = open(o.outs[i],
		              O_WRONLY | O_CREAT | O_CLOEXEC |
		                  (o.append ? O_APPEND : 0),
		              0666);
		if (fds[i] < 0) {
			warn("%s", *o.outs[i] ? o.outs[i] : "''");
			return -1;
		}
	}
	opening(NULL, 0);
	return 0;
}

/*
 * Refuses to copy a regular file into itself, as cat(1) does, before any
 * output is truncated: then the run would chase an end that its own
 * writes keep moving.
 */
static int
self_copy(sk_stream **parts, int nparts, const int *fds)
{
	for (int i = 0; i < nparts; i++)
		for (size_t j = 0; j < o.nouts; j++)
			if (sk_same_file(parts[i], fds[j])) {
				warnx("%s: input file is output file",
				      run.argc > 0 ? run.argv[i] : "-");
				return -1;
			}
	return 0;
}

static void
truncate_outputs(const int *fds)
{
	struct stat st;

	for (size_t i = 0; i < o.nouts && !o.append; i++)
		if (fds[i] != STDOUT_FILENO && fstat(fds[i], &st) == 0 &&
		    S_ISREG(st.st_mode) && ftruncate(fds[i], 0) < 0)
			warn("%s", o.outs[i]);
}

/* Opens everything and makes the pump; NULL with run.status set. */
static sk_pump *
assemble(int *fds)
{
	int nparts = run.argc > 0 ? run.argc : 1;
	sk_stream **parts = open_parts(run.argc, run.argv, opening_input);
	sk_stream *in;
	sk_pump *p;
	char b[32];

	/* A missing input would shift every offset after it: write
	 * nothing. */
	if (parts == NULL)
		return NULL;
	if (open_outputs(fds) < 0 || self_copy(parts, nparts, fds) < 0) {
		for (int i = 0; i < nparts; i++)
			sk_close(parts[i]);
		free(parts);
		return NULL;
	}
	truncate_outputs(fds);
	in = sk_concat_open(parts, (size_t)nparts);
	free(parts);
	if (in == NULL)
		err(EXIT_RUNTIME, "memory");
	if (o.size < 0 && !o.lines)
		o.size = sk_length(in); /* known for regular files */
	if (o.stop_at_size && (in = sk_window_open(in, 0, o.size)) == NULL)
		err(EXIT_RUNTIME, "memory");
	if ((p = sk_pump_open(in, fds, o.nouts, &o.cfg)) == NULL) {
		if (errno == ENOMEM)
			warn("cannot allocate a queue of %s (%zu bytes)",
			     human(b, sizeof b, (double)o.cfg.queue),
			     o.cfg.queue);
		else
			warn("cannot start");
	}
	return p;
}

static void *
run_main(void *arg)
{
	int *fds = arg;
	sk_pump *p = assemble(fds);
	uint64_t one = 1;

	pthread_mutex_lock(&run.mu);
	run.p = p;
	if (p == NULL)
		run.status = EXIT_RUNTIME;
	pthread_mutex_unlock(&run.mu);
	if (p) {
		run.rc = sk_pump_run(p);
		run.err = errno;
	}
	pthread_mutex_lock(&run.mu);
	run.finished = 1;
	pthread_mutex_unlock(&run.mu);
	/* The wake-up is a courtesy: the main thread also looks at the
	 * flag after each poll, which never waits long. */
	if (write(run.done_fd, &one, sizeof one) < 0) {
		/* Seen at the next poll's end. */
	}
	return NULL;
}

static void
remove_pidfile(void)
{
	if (o.pidfile)
		unlink(o.pidfile);
}

static void
write_pidfile(void)
{
	FILE *f;

	if (o.pidfile == NULL)
		return;
	if ((f = fopen(o.pidfile, "w")) == NULL ||
	    fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0)
		err(EXIT_RUNTIME, "%s", o.pidfile);
	atexit(remove_pidfile);
}

/* The counters the display shows. */
static void
counts(sk_pump *p, struct show_counts *c, double start, int final)
{
	struct sk_pump_stats st;

	memset(c, 0, sizeof *c);
	c->size = o.size;
	c->final = final;
	c->p = p;
	if (p == NULL) {
		c->elapsed = mono_now() - start;
		return;
	}
	sk_pump_stats(p, &st);
	c->elapsed = (double)st.elapsed_ns / 1e9;
	c->done = o.lines ? st.lines : st.bytes_out;
	c->rate = st.rate;
	if (o.lines && st.bytes_out)
		c->rate = st.rate * (double)st.lines / (double)st.bytes_out;
	c->queued = st.queued;
	c->queue = st.queue;
	c->zero_copy = st.zero_copy;
	c->stopped = st.stopped;
}

/* Says why the run stalled, and how far it got; exits 1. */
static noreturn void
stalled(sk_pump *p, int side, size_t which)
{
	struct sk_pump_stats st = {0};
	char why[512];

	if (p)
		sk_pump_stats(p, &st);
	if (p == NULL)
		snprintf(why, sizeof why, "%s has no %s", run.waiting,
		         run.waiting_out ? "reader" : "writer");
	else if (side == SK_PUMP_READ)
		snprintf(why, sizeof why, "the input gave nothing");
	else
		snprintf(why, sizeof why, "%s took nothing",
		         strcmp(o.outs[which], "-") == 0 ? "stdout"
		                                         : o.outs[which]);
	errx(EXIT_RUNTIME,
	     "stalled: no byte moved for %g s (%" PRIu64 " bytes written; %s)",
	     o.stall, st.bytes_out, why);
}

/* Maps the end of the run to a message and an exit status. */
static int
outcome(sk_pump *p, int signo)
{
	int side = 0, e;
	size_t which = 0;
	struct sk_pump_stats st;

	if (run.rc == 0)
		return 0;
	e = sk_pump_failure(p, &side, &which);
	sk_pump_stats(p, &st);
	if (e == 0 && signo) {
		warnx("stopped by %s after %" PRIu64 " bytes", strsignal(signo),
		      st.bytes_out);
		return 128 + signo;
	}
	if (e == ETIMEDOUT)
		stalled(p, side, which);
	if (e == ELOOP) {
		warnx("an input file is an output file");
		return EXIT_RUNTIME;
	}
	if (side == SK_PUMP_READ) {
		errno = e;
		warn("read error");
		return EXIT_RUNTIME;
	}
	if (e == EPIPE && o.nouts == 1 && strcmp(o.outs[0], "-") == 0)
		write_failed(EPIPE); /* the quiet stop */
	errno = e;
	warn("%s",
	     strcmp(o.outs[which], "-") == 0 ? "write error" : o.outs[which]);
	return EXIT_RUNTIME;
}

/* Fills in what the options leave to the program; usage errors. */
static void
settle(void)
{
	int64_t queue = o.queue > 0 ? o.queue : DEFAULT_QUEUE;

	o.cfg.queue = (size_t)queue;
	o.cfg.low = o.low >= 0
	                ? (size_t)o.low
	                : (size_t)((double)queue * o.low_percent / 100.0);
	if (o.cfg.low >= o.cfg.queue)
		usage_error("--low must be below the queue size (%" PRId64 ")",
		            queue);
	/* The library reads a low mark of 0 as "the default": resuming at
	 * one byte left is, in effect, resuming when empty. */
	if (o.cfg.low == 0)
		o.cfg.low = 1;
	if (o.start_percent > 0)
		o.cfg.start = (size_t)((double)queue * o.start_percent / 100.0);
	o.cfg.stall_ns = (uint64_t)(o.stall * 1e9);
	if (o.lines) {
		o.cfg.count_lines = 1;
		o.cfg.line_end = o.null ? '\0' : '\n';
	}
	if (o.display & D_LAST || (o.format && strchr(o.format, 'A')))
		o.cfg.keep_last = 4096;
	/* As pv: a size of 0 is no size, and -S without one does nothing. */
	if (o.size == 0)
		o.size = -1;
	if (o.stop_at_size && o.size < 0)
		o.stop_at_size = 0;
	if (o.stop_at_size && o.lines)
		usage_error("--stop-at-size counts bytes, not lines (-l)");
	if (o.discard && o.nouts)
		usage_error("--discard and --output cannot go together");
	if (o.discard)
		o.outs = NULL;
	if (o.nouts == 0) {
		static const char *dflt[1];
		dflt[0] = o.discard ? "/dev/null" : "-";
		o.outs = dflt;
		o.nouts = 1;
	}
	if (o.interval == 0)
		o.interval = 1;
}

int
main(int argc, char *argv[])
{
	static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,  SIGUSR1,
	                           SIGUSR2, SIGPIPE, SIGXFSZ, SIGWINCH};
	struct show *sh = NULL;
	struct show_counts c;
	pthread_t th;
	int sfd, ctl, *fds, signo = 0, status, early, shown = 0, interval_set;
	double start, next;

	program_init();
	argc = pump_mbuffer_forms(argc, argv);
	optind = pump_parse(&o, argc, argv, 0, NULL, 0);
	if (o.remote)
		return remote_send(o.remote, argc, argv);
	interval_set = o.interval > 0;
	if (o.watch_pid)
		return pump_watch(&o);
	settle();
	run.argc = argc - optind;
	run.argv = argv + optind;
	/* Every thread inherits this mask: the signals come to sfd below,
	 * a closed output is EPIPE, a file size limit EFBIG. */
	if ((sfd = signals_fd(sigs, sizeof sigs / sizeof sigs[0])) < 0 ||
	    (run.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		err(EXIT_RUNTIME, "signals");
	write_pidfile();
	ctl = remote_listen();
	if ((fds = calloc(o.nouts, sizeof *fds)) == NULL)
		err(EXIT_RUNTIME, "memory");
	if ((errno = pthread_create(&th, NULL, run_main, fds)) != 0)
		err(EXIT_RUNTIME, "thread");

	if (show_wanted(&o)) {
		sh = show_open(&o);
		/* --progress=always into a log writes a line every 10 s
		 * unless -i says; pv's -f keeps pv's second. */
		if (sh && !o.numeric && !interval_set && !o.force &&
		    !isatty(STDERR_FILENO))
			o.interval = 10;
	}
	start = mono_now();
	next = start + o.interval;
	for (;;) {
		struct pollfd pf[3] = {{.fd = sfd, .events = POLLIN},
		                       {.fd = run.done_fd, .events = POLLIN},
		                       {.fd = ctl, .events = POLLIN}};
		double t = mono_now(), wait = next - t;
		sk_pump *p;
		int sig;

		int finished;

		if (wait > 0.25)
			wait =
			    0.25; /* the flag, and the opening's stall clock */
		poll(pf, 3, wait > 0 ? (int)(wait * 1000) + 1 : 0);
		pthread_mutex_lock(&run.mu);
		p = run.p;
		finished = run.finished;
		pthread_mutex_unlock(&run.mu);
		if (finished)
			break;
		while ((sig = signals_next(sfd)) != 0) {
			if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
				if (p == NULL) {
					/* Still opening (a FIFO with no other
					 * side): nothing to write out. */
					warnx("stopped by %s after 0 bytes",
					      strsignal(sig));
					exit(128 + sig);
				}
				/* The first asks to write out what was
				 * read; a second stops at once. */
				sk_pump_cancel(p, signo == 0);
				signo = sig;
			} else if (sig == SIGUSR1) {
				counts(p, &c, start, 0);
				show_print(sh, &o, &c);
			} else if (sig == SIGUSR2 && p) {
				struct sk_pump_stats st;
				sk_pump_stats(p, &st);
				if (st.stopped)
					sk_pump_start(p);
				else
					sk_pump_stop(p);
			} else if (sig == SIGWINCH) {
				show_resize(sh);
			}
		}
		if (pf[2].revents && remote_take(ctl, &o, p) && sh) {
			show_close(sh);
			sh = show_wanted(&o) ? show_open(&o) : NULL;
		}
		t = mono_now();
		if (p == NULL && o.stall > 0 && t - start >= o.stall) {
			pthread_mutex_lock(&run.mu);
			if (run.waiting)
				stalled(NULL, 0, 0);
			pthread_mutex_unlock(&run.mu);
		}
		if (t < next)
			continue;
		next += o.interval;
		if (next < t)
			next = t + o.interval;
		counts(p, &c, start, 0);
		if (sh && p && !(o.wait && c.done == 0) &&
		    c.elapsed >= o.delay) {
			show_draw(sh, &o, &c);
			shown = 1;
		}
	}
	pthread_join(th, NULL);
	early = run.status;
	if (early >= 0) {
		show_close(sh);
		free(fds);
		return early;
	}
	counts(run.p, &c, start, 1);
	if (sh && !(o.wait && c.done == 0) && (c.elapsed >= o.delay || shown))
		show_draw(sh, &o, &c);
	show_close(sh);
	if (o.stats)
		print_stats(run.p, &o);
	status = outcome(run.p, signo);
	if (sk_pump_close(run.p) < 0 && status == 0) {
		warn("read error");
		status = EXIT_RUNTIME;
	}
	for (size_t i = 0; i < o.nouts; i++)
		if (fds[i] != STDOUT_FILENO && close(fds[i]) < 0 &&
		    status == 0) {
			warn("%s", o.outs[i]);
			status = EXIT_RUNTIME;
		}
	free(fds);
	if (status == 0)
		close_stdout();
	return status;
}
