/*
 * util.h - what every streamkit program does the same way: messages in
 * the "prog: what: reason" form, usage errors, size options, and the quiet
 * stop on a closed output.  Parsing itself lives in the library.
 */
#ifndef SK_CMD_UTIL_H
#define SK_CMD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* Exit statuses shared by the programs. */
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* Prints "prog: MESSAGE" and a hint to try --help on stderr; exits 2. */
noreturn void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * For getopt_long's '?': one message naming the option that is unknown,
 * lacks its argument or takes none (program_init() keeps getopt quiet),
 * then the hint; exits 2.  shortopts is the string given to getopt_long.
 */
noreturn void bad_option(char *const argv[], const char *shortopts);

/* Parses a size option, or exits 2 naming the option and the bad text. */
int64_t size_arg(const char *option, const char *text);

/* Seconds on the monotonic clock, for intervals and rates. */
double mono_now(void);

/* A decimal number from lo to hi, the whole text: 0, or -1. */
int number_in(const char *text, long lo, long hi, long *out);

/* number_in for an option's argument, or exits 2 naming the option, the
 * bad text and the range. */
long int_arg(const char *option, const char *text, long lo, long hi);

/*
 * Reports a failed write to stdout and exits: a closed pipe (EPIPE) is a
 * quiet stop, the process ending by SIGPIPE as cat(1) would, unless the
 * parent had SIGPIPE ignored; anything else (EPIPE then included) is
 * "prog: write error: reason" and status 1.
 */
noreturn void write_failed(int err);

/*
 * The quiet stop alone: when err is EPIPE and SIGPIPE was not ignored at
 * start, ends the process by SIGPIPE; otherwise returns, for the caller to
 * report err as any other write error.
 */
void quiet_pipe_stop(int err);

/* Closes stdout, reporting a delayed write error (NFS, a full disk). */
void close_stdout(void);

/*
 * Opens the n paths (none: stdin; "-" is stdin) as one concatenated
 * stream.  Every path that cannot be opened is reported as
 * "prog: path: reason"; then nothing is returned (NULL), since a missing
 * input would shift everything after it.  Exits 1 when out of memory.
 */
struct sk_stream *open_inputs(int n, char *const paths[]);

/*
 * The same, but returns the n (at least 1) streams unjoined, in a
 * malloc'd array, calling opening(path) first for each (a program that
 * must say which name an open(2) is waiting on: a FIFO with no writer).
 */
struct sk_stream **open_parts(int n, char *const paths[],
                              void (*opening)(const char *path));

/* Formats a byte count with a binary suffix ("1.5MiB") into buf. */
const char *human(char *buf, size_t len, double v);
/* Formats seconds as H:MM:SS into buf. */
const char *clock_text(char *buf, size_t len, double s);

/*
 * Called first in every main: notes the SIGPIPE disposition inherited
 * (see quiet_pipe_stop), silences getopt's own messages (see bad_option),
 * then guard_std_fds().
 */
void program_init(void);

/*
 * A standard descriptor that was closed when the
 * program started is filled with /dev/null opened the wrong way round
 * (stdin write-only, stdout and stderr read-only), so that no file the
 * program opens later lands on it, and using it still fails with EBADF
 * as a closed one would: "prog >&-" is a write error, never a write into
 * the program's own temporary file.
 */
void guard_std_fds(void);

/*
 * Blocks (hold 1) or restores (hold 0) the signals that end a program
 * and that its handlers take (INT, TERM, HUP, QUIT, PIPE), around a step
 * that must not be cut in two, such as renaming a finished file.
 */
void hold_signals(int hold);

/*
 * Installs handler for those same signals, each blocked while it runs; a
 * handler undoes what must not survive the process, then re-raises.  A
 * signal that was ignored when the program started is left ignored.
 */
void catch_signals(void (*handler)(int));


/*
 * The signals a program takes on its main thread instead of in handlers:
 * blocks the n signals of sigs in the calling thread, and so in every
 * thread it starts afterwards (a blocked SIGPIPE makes a closed output
 * EPIPE, a blocked SIGXFSZ a file size limit EFBIG), and returns a
 * descriptor that is readable while one is pending (signalfd), or -1.
 */
int signals_fd(const int *sigs, size_t n);

/* The next signal pending on a signals_fd descriptor, or 0 when none. */
int signals_next(int fd);

/* Prints the version line for --version. */
void print_version(void);

#endif
