/*
 * pump.h - what the parts of the pump program share: its options (pv's
 * and mbuffer's letters, pump's long options), the display, watching
 * another process (-d), and remote control (-R).
 */
#ifndef SK_CMD_PUMP_H
#define SK_CMD_PUMP_H

#include <stdint.h>

#include "progress.h"
#include "streamkit.h"

/* The display switches, pv's letters. */
enum {
	D_PROGRESS = 1 << 0, /* -p */
	D_TIMER = 1 << 1,    /* -t */
	D_ETA = 1 << 2,      /* -e */
	D_FINETA = 1 << 3,   /* -I */
	D_RATE = 1 << 4,     /* -r */
	D_AVERAGE = 1 << 5,  /* -a */
	D_BYTES = 1 << 6,    /* -b */
	D_BUFFER = 1 << 7,   /* -T */
	D_LAST = 1 << 8,     /* -A */
};

enum when { WHEN_AUTO, WHEN_ALWAYS, WHEN_NEVER };

struct pump_opts {
	/* The display. */
	unsigned display; /* D_* bits; 0: pv's default set */
	const char *format;
	const char *name;
	size_t last_n;
	int numeric, quiet, force, cursor, wait;
	enum when progress;
	double interval, delay;
	int width, height;
	int stats; /* 0 none, 1 text, 2 json */
	/* Sizes and lines. */
	int64_t size; /* -1: unknown */
	int lines, null, stop_at_size;
	/* The transfer. */
	struct sk_pump_config cfg;
	int64_t queue, low;
	int low_percent, start_percent;
	int append, discard;
	double stall;
	const char **outs;
	size_t nouts;
	/* Other modes. */
	const char *pidfile;
	long remote; /* -R: the pid to control, 0: none */
	long watch_pid;
	int watch_fd; /* -1: every file */
};

/*
 * Parses argv into o (which holds the defaults, or, for a remote change,
 * the options in force).  Returns optind.  A usage error exits 2; with
 * remote set, it is returned instead: -1, and the message in msg.
 */
int pump_parse(struct pump_opts *o, int argc, char *argv[], int remote,
               char *msg, size_t msglen);

/* Rewrites mbuffer's -W SECONDS as --stall-timeout; returns the new
 * argc.  Before pump_parse, on the command line only. */
int pump_mbuffer_forms(int argc, char *argv[]);

/* Prints pump --help. */
void pump_usage(void);

/* The display (pump_show.c).  A show keeps what one line needs between
 * draws: the drawer, the bouncing bar, numeric mode's percentage. */
struct show;

/* The counters one display draws; the pump's, or a watched file's. */
struct show_counts {
	double elapsed; /* seconds */
	uint64_t done;  /* bytes, or lines in line mode */
	double rate;    /* current, per second */
	int64_t size;   /* the total, -1 unknown */
	size_t queued, queue;
	int zero_copy, stopped, final;
	sk_pump *p; /* for -A; NULL elsewhere */
};

struct show *show_open(const struct pump_opts *o);
/* Draws (or prints one numeric line); final is the last call. */
void show_draw(struct show *sh, const struct pump_opts *o,
               const struct show_counts *c);
void show_resize(struct show *sh);
/* Prints the line once, above any progress line (SIGUSR1); sh may be
 * NULL when nothing is displayed. */
void show_print(struct show *sh, const struct pump_opts *o,
                const struct show_counts *c);
/* Prints a message line above the progress line. */
void show_above(struct show *sh, const char *text);
void show_close(struct show *sh);
/* Whether anything is displayed at all (not -q, a terminal or -f, -n). */
int show_wanted(const struct pump_opts *o);

/* Prints --stats (text or json) for the run, outputs named. */
void print_stats(sk_pump *p, const struct pump_opts *o);

/* -d PID[:FD]: watches another process's files; returns the status. */
int pump_watch(const struct pump_opts *o);

/* -R: sends argv to the pump with that pid; returns the status. */
int remote_send(long pid, int argc, char *argv[]);
/* The control socket of this pump: a descriptor to poll, or -1. */
int remote_listen(void);
/*
 * Takes one request from the control socket, applies it to o (and the
 * pump, for its rate), and answers.  1 when the display changed.
 */
int remote_take(int fd, struct pump_opts *o, sk_pump *p);

#endif
