/*
 * streamkit.h - libstreamkit, composable byte streams for pipelines.
 *
 * This header is the library's reference.  Every call states what it
 * returns and who owns what.
 *
 * THE STREAM MODEL
 *   An sk_stream is a pull-model source of bytes: a file descriptor, a
 *   memory buffer, a concatenation of other streams, a window of one, the
 *   output of a process, a spool.  Streams compose: a constructor that wraps
 *   streams takes ownership of them and closes them when it is closed.
 *
 * CONVENTIONS
 *   - Calls that fail return -1 (or NULL) and set errno.  Nothing prints,
 *     exits, or changes a signal disposition.
 *   - Errors are sticky: once a read fails, every later read fails with the
 *     same errno (sk_error() tells it).  A clean end of input is not an
 *     error: reads return 0, and keep returning 0.
 *   - EINTR is retried inside the library.  A descriptor in O_NONBLOCK mode
 *     is waited on with poll(2), so every call here blocks like a plain
 *     read(2) or write(2) on a blocking descriptor.
 *   - Constructors are named sk_<kind>_open and take ownership of the
 *     streams (and, with an OWN flag, the descriptor or memory) they are
 *     given from the call on, also when they fail.  Closers are named
 *     sk_<kind>_close or sk_close, return 0 or -1 with errno, and free
 *     everything even when they report an error.
 *   - Counts of a stream's bytes are int64_t: offsets, lengths, positions,
 *     what is skipped or copied, and the bytes kept from a stream's end
 *     (droptail, recorder).  SK_UNKNOWN (-1) stands for "not known" or "to
 *     the end", as each call says.  size_t counts bytes of memory only:
 *     one call's buffer (sk_read), a buffer or queue capacity, a memory
 *     cap, a line limit; a stream may be larger than memory, a buffer not.
 *   - Objects are not locked: one stream is used by one thread at a time.
 */
#ifndef STREAMKIT_H
#define STREAMKIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version, written here only: the Makefile reads these three numbers
 * (the shared library's file name, streamkit.pc, the programs' --version)
 * and tests/symbols-check holds debian/changelog to them.
 */
#define SK_VERSION_MAJOR 0
#define SK_VERSION_MINOR 2
#define SK_VERSION_PATCH 0
#define SK__STR(x)       #x
#define SK__XSTR(x)      SK__STR(x)
/* The same as a string, "0.2.0". */
#define SK_VERSION                                                             \
	SK__XSTR(SK_VERSION_MAJOR)                                             \
	"." SK__XSTR(SK_VERSION_MINOR) "." SK__XSTR(SK_VERSION_PATCH)

/* "Not known" for lengths, "to the end" for range ends. */
#define SK_UNKNOWN ((int64_t)-1)

typedef struct sk_stream sk_stream;
struct sk_range; /* see "Parsers" below */

/* Returns the library's version string, e.g. "0.2.0": the SK_VERSION the
 * library was built with, which may differ from the header's. */
const char *sk_version(void);

/* ------------------------------------------------------------------ */
/* Operations on every stream                                          */
/* ------------------------------------------------------------------ */

/*
 * Reads up to n bytes into buf.  Returns the number read (> 0), 0 at the
 * end of the stream (and on every later call), or -1 with errno set.  A
 * read of n == 0 bytes returns 0 without touching the stream.
 */
ssize_t sk_read(sk_stream *s, void *buf, size_t n);

/*
 * Reads exactly n bytes.  Returns 1 when all n were read; 0 when the stream
 * was already at its end (a clean end, *got == 0); -1 with errno set on
 * error, and -1 with errno ENODATA when the stream ended after *got bytes,
 * 0 < *got < n (a truncated read).  got may be NULL.
 */
int sk_read_full(sk_stream *s, void *buf, size_t n, size_t *got);

/*
 * Closes the stream and frees it, and every stream it owns.  Returns 0, or
 * -1 with errno set when releasing a resource failed (the stream is freed
 * all the same).  sk_close(NULL) returns 0.
 */
int sk_close(sk_stream *s);

/*
 * Returns the number of bytes left to read, or SK_UNKNOWN when the stream
 * cannot tell (a pipe, a terminal, a concatenation with such a part).
 * Never fails; a stream in an error state reports SK_UNKNOWN.
 */
int64_t sk_length(sk_stream *s);

/*
 * Skips n bytes.  Returns the number skipped, which is less than n only
 * when the stream ended first; -1 with errno on error.  On seekable input
 * this is a change of offset (O(1)); otherwise the bytes are read and
 * discarded with bounded memory.
 */
int64_t sk_skip(sk_stream *s, int64_t n);

/* Returns the stream's sticky errno, or 0 if no error has happened. */
int sk_error(const sk_stream *s);

/* Returns a short name of the stream's kind ("fd", "concat", ...). */
const char *sk_kind(const sk_stream *s);

/*
 * Reaching the descriptor under a stream, for callers that want to move
 * bytes themselves (splice, sendfile, mmap).  On success returns the fd
 * whose bytes are the stream's next bytes, with *offset set to the file
 * offset to read them at (SK_UNKNOWN: read at the descriptor's own
 * position, as for a pipe) and *limit to the most bytes that belong to the
 * stream (SK_UNKNOWN: up to the end of the descriptor).  Returns -1 with
 * errno ENOTSUP when no single descriptor holds the next bytes.  The fd
 * stays owned by the stream.  After consuming k bytes through it, call
 * sk_advance(s, k) so the stream knows.  Fd streams, windows and
 * concatenations (their current part) answer this.
 */
int sk_fileno(sk_stream *s, int64_t *offset, int64_t *limit);

/*
 * Tells the stream that k bytes were consumed through sk_fileno().
 * Returns 0, or -1 with errno: the sticky error of a failed stream; EINVAL
 * for k < 0 or a stream without sk_fileno(); a failure of the stream's
 * own (k past its end) becomes its sticky error.
 */
int sk_advance(sk_stream *s, int64_t k);

/*
 * Returns a new, independent stream over bytes [off, off+len) counted from
 * s's current position (len SK_UNKNOWN: to the end), clamped to the
 * stream, without consuming s; NULL with errno ENOTSUP when s does not
 * allow random access (a pipe).  Seekable fd streams, memory streams,
 * concatenations and windows of such streams, and spool streams allow it.
 * A section of a stream that has ended is empty.  The section borrows
 * from s: close it before s.
 */
sk_stream *sk_section_open(sk_stream *s, int64_t off, int64_t len);

/*
 * Returns 1 when sk_section_open(s, ...) can succeed now for any range, 0
 * when it would fail with ENOTSUP for some (a concatenation with a pipe
 * allows sections only before the pipe) or s has failed.  Asks the stream's
 * kind; reads nothing.  A program chooses its plan with this instead of trying
 * a section and closing it.
 */
int sk_can_section(sk_stream *s);

/* ------------------------------------------------------------------ */
/* Sources                                                              */
/* ------------------------------------------------------------------ */

/* Flags for sk_fd_open(). */
#define SK_FD_OWN 0x1 /* close the descriptor when the stream is closed */

/*
 * A stream over an open descriptor: a pipe, a terminal, a socket, a
 * regular file or a block device.  Regular files and block devices are read
 * with pread(2) from the current file offset (seekable: sk_skip and
 * sk_section_open are O(1)); when a borrowed seekable descriptor is closed, its
 * file offset is left just after the bytes consumed, as head(1) does.
 * Regular files reporting size 0 (such as /proc files) are read as pipes.
 * A pipe is raised to 1 MiB where the system allows (see sk_pipe_grow).
 * With SK_FD_OWN the stream owns fd from the call on: a failing call
 * closes it too.  Returns NULL with errno on failure (EBADF for a closed
 * fd, EINVAL for an unknown flag).
 */
sk_stream *sk_fd_open(int fd, int flags);

/*
 * Opens path for reading as an fd stream that owns its descriptor; "-"
 * means standard input, borrowed.  Returns NULL with errno on failure.
 */
sk_stream *sk_path_open(const char *path);

/* Flags for sk_mem_open(). */
#define SK_MEM_OWN 0x1 /* free(buf) when the stream is closed */

/*
 * A stream over n bytes at buf.  Without SK_MEM_OWN the bytes are borrowed
 * and must outlive the stream; with it the stream frees them with free(3),
 * also when this call fails.  Returns NULL with errno on failure.
 */
sk_stream *sk_mem_open(const void *buf, size_t n, int flags);

/* ------------------------------------------------------------------ */
/* Compounds                                                            */
/* ------------------------------------------------------------------ */

/*
 * The concatenation of n streams, read one after the other.  Takes
 * ownership of every part, also when it fails (the parts are then closed).
 * Nested concatenations are flattened into one list.  Its length is the sum
 * of the parts' lengths, or SK_UNKNOWN if any part's is unknown.  A part is
 * closed as soon as it has been read to its end.  n may be 0 (an empty
 * stream).  Returns NULL with errno on failure.
 */
sk_stream *sk_concat_open(sk_stream *const *parts, size_t n);

/*
 * Bytes [off, off+len) of src (len SK_UNKNOWN: to the end), counted from
 * src's current position; off and len must be >= 0 (len may be
 * SK_UNKNOWN).  Takes ownership of src, also when it fails.  Reaching off
 * is one sk_skip(), O(1) on seekable input; it happens at the first read.
 */
sk_stream *sk_window_open(sk_stream *src, int64_t off, int64_t len);

/*
 * Splits src at pos into *head (the first pos bytes) and *rest (the bytes
 * after them).  Takes ownership of src, also when it fails; after the call
 * src must not be used (a misuse with undefined results).  The two halves
 * may be read in any order and closed in any order.  On seekable and memory
 * streams each half reads independently (O(1)); otherwise reading *rest
 * before *head has been read through stores head's unread bytes in a spool
 * (memory up to spool_mem bytes, then an unlinked temporary file in
 * tmpdir, NULL: $TMPDIR or /tmp).  Returns 0, or -1 with errno.
 */
int sk_split_open(sk_stream *src, int64_t pos, size_t spool_mem,
                  const char *tmpdir, sk_stream **head, sk_stream **rest);

/*
 * All of src but its last n bytes (head -c -N), holding n bytes back in a
 * ring buffer of n bytes of memory.  Takes ownership of src, also when it
 * fails.  NULL with errno: EINVAL for n < 0, ENOMEM when n bytes cannot be
 * held.
 */
sk_stream *sk_droptail_open(sk_stream *src, int64_t n);

/*
 * A recorder passes src through unchanged while keeping the last keep
 * bytes it passed (a ring of keep bytes of memory).  Once it has reached the
 * end, sk_recorder_tail_open() gives the last n <= keep of them as a memory
 * stream that allows sk_section_open(), and sk_recorder_total() the number of
 * bytes the stream held (-1 with EINVAL when rec is not a recorder).  Takes
 * ownership of src, also when it fails (EINVAL for keep < 0, ENOMEM).
 */
sk_stream *sk_recorder_open(sk_stream *src, int64_t keep);
int64_t sk_recorder_total(sk_stream *rec);

/*
 * Reads the recorder to its end (discarding) if it is not there yet, then
 * returns a stream over its last min(n, kept) bytes.  The stream borrows
 * from rec: close it before rec.  NULL with errno on failure (EINVAL when
 * rec is not a recorder, n < 0 or n > keep).
 */
sk_stream *sk_recorder_tail_open(sk_stream *rec, int64_t n);

/* ------------------------------------------------------------------ */
/* Buffered reading                                                     */
/* ------------------------------------------------------------------ */

/*
 * A buffered stream over src, with a buffer of bufsize bytes (0: 64 KiB)
 * that grows for long lines up to the max given to sk_readline().  It is an
 * sk_stream itself: sk_read() drains the buffer first.  Takes ownership of
 * src, also when it fails.
 */
sk_stream *sk_buffered_open(sk_stream *src, size_t bufsize);

/*
 * Reads one line ending with delim (included) from a buffered stream.  On
 * success returns 1 and points *line at the line, *len bytes long; the
 * bytes stay valid until the next call on the stream.  The last line may
 * lack the delimiter.  max (SIZE_MAX: no limit) bounds the memory a line
 * may take.  Returns 0 at the end of the stream, -1 with errno on error:
 * EMSGSIZE when a line is longer than max bytes (nothing is consumed: the
 * caller may read the bytes with sk_read), EINVAL when s was not made by
 * sk_buffered_open() or max is 0.  Other errors (reading src, ENOMEM when
 * the buffer cannot grow) are the stream's sticky error.
 */
int sk_readline(sk_stream *s, int delim, size_t max, const char **line,
                size_t *len);

/* ------------------------------------------------------------------ */
/* Spool: a lazily filled random-access buffer                          */
/* ------------------------------------------------------------------ */

typedef struct sk_spool sk_spool;

/*
 * A spool over src: the bytes of src become readable at any offset, pulled
 * from src only as far as needed.  Up to memcap bytes are kept in memory
 * (0: 8 MiB); past that, all of it moves to a temporary file in tmpdir
 * (NULL: $TMPDIR, then /tmp) that has no name: opened with O_TMPFILE, or
 * made by mkstemp(3) and unlinked at once, mode 0600.  Takes ownership of
 * src, also when it fails.  Returns NULL with errno on failure.
 */
sk_spool *sk_spool_open(sk_stream *src, size_t memcap, const char *tmpdir);

/*
 * Pulls src until the spool holds at least upto bytes (SK_UNKNOWN: all of
 * src) or src ends.  Returns the number of bytes held, or -1 with errno
 * (the error is sticky; bytes held stay readable).
 */
int64_t sk_spool_fill(sk_spool *sp, int64_t upto);

/*
 * Reads up to n bytes at offset off, pulling from src as needed.  Returns
 * the number read, 0 when off is at or past the end of src, -1 on error.
 */
ssize_t sk_spool_read_at(sk_spool *sp, void *buf, size_t n, int64_t off);

/* Bytes held so far; whether src has been read to its end (1) or not. */
int64_t sk_spool_size(const sk_spool *sp);
int sk_spool_complete(const sk_spool *sp);

/*
 * Moves the spool to its temporary file now if it is still in memory, and
 * returns that file's descriptor (owned by the spool; use pread, it has no
 * name).  Returns -1 with errno on failure.
 */
int sk_spool_file(sk_spool *sp);

/* The temporary file's descriptor, or -1 while the spool is in memory. */
int sk_spool_fd(const sk_spool *sp);

/* What sk_spool_failed() returns: the side of a spool that failed. */
#define SK_SPOOL_SOURCE 1 /* reading (or closing) src */
#define SK_SPOOL_STORE  2 /* keeping the bytes: memory, or making or
                           * writing the temporary file */
#define SK_SPOOL_LIMIT  3 /* src holds more than sk_spool_limit() allows */

/*
 * After a call on sp failed, which side failed: SK_SPOOL_SOURCE,
 * SK_SPOOL_STORE or SK_SPOOL_LIMIT, so that a caller can say "reading
 * the input" or "the spool file in DIR" without guessing from errno
 * (EFBIG is both a file size limit and a refused input).  0 while no call
 * has failed.  It is the side of the sticky error, or of the last failed
 * sk_spool_file() (STORE; not sticky: the bytes in memory stay readable).
 */
int sk_spool_failed(const sk_spool *sp);

/*
 * A stream over bytes [off, off+len) of the spool (len SK_UNKNOWN: to the
 * end of src), pulled lazily.  It borrows the spool: close it before
 * sk_spool_close().  It allows sk_section_open().
 */
sk_stream *sk_spool_stream_open(sk_spool *sp, int64_t off, int64_t len);

/*
 * Caps what the spool will take from src at max bytes: a fill that would
 * hold more fails with EFBIG (sticky), having read at most max + 1 bytes.
 * Returns 0, or -1 with EFBIG when it already holds more.
 */
int sk_spool_limit(sk_spool *sp, int64_t max);

/*
 * A stream over range r of the spool, resolved lazily: src is read only as
 * far as r needs (to its end when r counts from the end or runs to it).
 * *inside is set as sk_range_resolve() says (0 when r was clamped).  The
 * stream borrows the spool.  NULL with errno on failure (reading src).
 */
sk_stream *sk_spool_range_open(sk_spool *sp, const struct sk_range *r,
                               int *inside);

/*
 * Gives the spool's complete contents a name: path becomes a regular file
 * holding them, made by linking the temporary file when the filesystem
 * allows, else by copying.  Reads src to its end first.  path must not
 * exist.  The caller removes it.  Returns 0 or -1 with errno.
 */
int sk_spool_link(sk_spool *sp, const char *path);

/* Frees the spool, its memory, its temporary file and src.  0 or -1. */
int sk_spool_close(sk_spool *sp);

/* ------------------------------------------------------------------ */
/* Replacing a file atomically                                          */
/* ------------------------------------------------------------------ */

typedef struct sk_atomic sk_atomic;

/* Flags for sk_atomic_open(). */
#define SK_ATOMIC_APPEND  0x1 /* append to path instead of replacing it */
#define SK_ATOMIC_INPLACE 0x2 /* truncate and write path's own file */

/*
 * Prepares to write path.  Symbolic links are followed, each part of path
 * in turn as open(2) would, and the link itself is kept: what is written
 * is the file it points to (a dangling link: the file it would name).
 * Then, by what path names:
 *
 *   - A regular file, or nothing yet (the default): the bytes go to a new
 *     file in that file's directory that has no name until
 *     sk_atomic_commit() renames it over the file, so the file is never
 *     seen half-written.  It takes the mode (and, where allowed, the
 *     owner) of the file it replaces, or 0666 less the umask for a new
 *     one.  Fails (EACCES, EROFS...) where that directory is not
 *     writable; sk_atomic_target() tells which directory that is.
 *   - The same with SK_ATOMIC_APPEND: the bytes are appended to the file
 *     itself, and sk_atomic_abort() cuts it back to its old length.
 *   - The same with SK_ATOMIC_INPLACE: the file itself is truncated and
 *     written (same inode, owner, links; not atomic; no directory write).
 *   - A descriptor this process holds, named through /proc
 *     (/dev/stdout, /dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N with this
 *     process's PID): the bytes go to that descriptor (a duplicate of it),
 *     at its current offset, as a shell's >&N would; nothing is truncated
 *     or renamed.  EBADF when it is not open for writing.
 *   - A device, a FIFO, or another process's /proc/PID/fd/N: opened for
 *     writing (O_APPEND with SK_ATOMIC_APPEND) and written where it is.
 *     Opening a FIFO waits for a reader.
 *
 * Only the first way is atomic; commit and abort do what the others
 * allow (a device cannot be cut back).  A directory fails with EISDIR.
 * Returns NULL with errno on failure.
 */
sk_atomic *sk_atomic_open(const char *path, int flags);

/*
 * What sk_atomic_open(path, ...) writes: path with its symbolic links
 * followed, as an absolute path (for a descriptor this process holds,
 * "/proc/self/fd/N").  For a regular file, the directory part is where
 * the new file is made.  malloc'd, or NULL with errno (ENOENT when a
 * directory on the way is missing).
 */
char *sk_atomic_target(const char *path);

/* The descriptor to write to (owned by the object). */
int sk_atomic_fd(const sk_atomic *a);

/*
 * While a file without O_TMPFILE support is being written, the name of
 * the temporary file in path's directory, for a signal handler to unlink;
 * NULL when the file has no name (the usual case).  Valid until commit or
 * abort.
 */
const char *sk_atomic_tmpname(const sk_atomic *a);

/*
 * Makes the write final: flushes a regular file to disk, then, when
 * replacing, renames the new file over the old.  Frees a.  Returns 0, or
 * -1 with errno (a replaced file then untouched, the temporary removed).
 * A caller that handles signals should block them around this call: it
 * briefly gives the temporary file a name.
 */
int sk_atomic_commit(sk_atomic *a);

/*
 * Gives up: a replaced file is left as it was, an appended one cut back
 * to its old length; what was written in place stays written.  Frees a.
 */
void sk_atomic_abort(sk_atomic *a);

/* ------------------------------------------------------------------ */
/* Processes                                                            */
/* ------------------------------------------------------------------ */

/* Flags for sk_spawn(). */
#define SK_SPAWN_KEEP_SIGPIPE 0x1 /* leave SIGPIPE as exec leaves it */
/* The most descriptors sk_spawn() places (0 to SK_SPAWN_MAXFDS - 1). */
#define SK_SPAWN_MAXFDS 16

/*
 * Starts argv[0] (looked up in PATH, no shell) with arguments argv, and
 * sets *pid; the caller waits for it (waitpid(2)).  The child's
 * descriptor i is fds[i] of this process for i < nfds, or inherited as
 * it is when fds[i] is -1; a descriptor placed at its own number reaches
 * the child even when it is close-on-exec here.  The child starts with no
 * signal blocked and with SIGXFSZ and SIGPIPE at their default action,
 * whatever this process set for itself; with SK_SPAWN_KEEP_SIGPIPE,
 * SIGPIPE is left as exec leaves it (default when caught here, ignored
 * when ignored here), for a program that keeps a SIGPIPE its own parent
 * ignored and passes it on as a shell would.  Returns 0, or -1 with errno
 * (ENOENT: not found; EACCES, ENOEXEC: cannot be run; EINVAL: bad
 * arguments, nfds over SK_SPAWN_MAXFDS).
 */
int sk_spawn(pid_t *pid, char *const argv[], const int *fds, size_t nfds,
             int flags);

/*
 * Runs argv[0] (looked up in PATH, no shell) and returns its standard
 * output as a stream.  When in is not NULL the process's standard input is
 * fed from it (the stream takes ownership of in) as the output is read;
 * otherwise the process inherits standard input.  Standard error is
 * inherited.  A process that stops reading its input early is not an error.
 * The process is started by sk_spawn() (its signals as said there).
 * Returns NULL with errno on failure (ENOENT, EACCES when it cannot run).
 */
sk_stream *sk_proc_open(char *const argv[], sk_stream *in);

/*
 * Closes a process stream and waits for the process.  *status receives the
 * wait status (see waitpid(2)), when status is not NULL.  Returns 0, or -1
 * with errno on failure (EINVAL when s is not a process stream; it is then
 * closed with sk_close()).  sk_close() on a process stream also waits, and
 * returns -1 with errno ECHILD when the process did not exit with status 0.
 */
int sk_proc_close(sk_stream *s, int *status);

/* ------------------------------------------------------------------ */
/* The pump: flow-controlled copying between threads                   */
/* ------------------------------------------------------------------ */

/*
 * A pump moves a stream to one or more descriptors through a bounded
 * queue, a reader thread on one side and a writer thread per output on the
 * other (vert.x's Pump).  When the queue holds queue bytes the reader is
 * paused, and it resumes when the slowest output has drained it to low
 * bytes.  The pump may be stopped and started again, and counts what it
 * moves.  Its calls may come from any thread; the pump starts its own
 * threads, which inherit the caller's signal mask (a program that handles
 * signals itself blocks them before sk_pump_run).  Nothing spins: blocked
 * sides sleep on a condition variable or in poll(2).
 *
 * With one output, no need for the bytes in user space, and a queue the
 * kernel allows as a pipe (pipe-max-size; more for root), the queue is a
 * pipe and the bytes move by splice(2): zero-copy, same bounds.
 */
typedef struct sk_pump sk_pump;

struct sk_pump_config {
	size_t queue;   /* queue size in bytes; 0: 16 MiB */
	size_t low;     /* resume below this; 0: queue / 2; < queue */
	size_t block;   /* largest single read or write; 0: 128 KiB */
	uint64_t rate;  /* bytes per second on average, 0: unlimited */
	int keep_going; /* a failing output is dropped, the others go on */
	int no_splice;  /* never use the zero-copy path */
	/* Fail the run with ETIMEDOUT when no byte has moved for this long
	 * (a stopped pump is not stalled); 0: never. */
	uint64_t stall_ns;
	/* The span of the current rate (sk_pump_stats' rate); 0: 1 s. */
	uint64_t window_ns;
	/* The outputs wait until the queue holds this many bytes (or the
	 * source has ended), at the start and each time they emptied it
	 * (mbuffer's -P); 0: at once.  At most queue. */
	size_t start;
	/* Count lines (bytes equal to line_end) in what each output writes;
	 * the bytes then pass through user space (no zero-copy). */
	int count_lines;
	unsigned char line_end;
	int sync;         /* fdatasync(2) each output after every write */
	size_t keep_last; /* keep the last bytes written to output 0 for
	                   * sk_pump_last; at most 4096; no zero-copy */
};

struct sk_pump_stats {
	uint64_t bytes_in;   /* read from the source */
	uint64_t bytes_out;  /* written by the slowest output still going */
	uint64_t pauses;     /* times the reader stopped at the high mark */
	uint64_t full_ns;    /* time the reader spent waiting for room */
	uint64_t empty_ns;   /* time the outputs spent waiting for bytes */
	uint64_t elapsed_ns; /* since sk_pump_run started (until it ended) */
	size_t queued;       /* bytes in the queue now */
	size_t queue;        /* its size */
	int stopped;         /* sk_pump_stop is in force */
	int zero_copy;       /* the queue is a pipe, bytes move by splice */
	int done;            /* sk_pump_run has returned */
	uint64_t lines;      /* lines the slowest output wrote (count_lines) */
	uint64_t idle_ns;    /* since a byte last moved (the stall clock) */
	double rate;         /* bytes per second over the last window */
	/* The current rate sampled once per window since the start: how
	 * many samples, their least, greatest, mean and standard deviation
	 * (what pv --stats prints). */
	uint64_t rate_samples;
	double rate_min, rate_max, rate_mean, rate_mdev;
};

/* Which side failed, from sk_pump_failure(). */
#define SK_PUMP_READ  1
#define SK_PUMP_WRITE 2

/*
 * Makes a pump from src (owned from the call on, also on failure) to the
 * nfds descriptors in fds (borrowed; copied).  cfg may be NULL for the
 * defaults.  Returns NULL with errno: EINVAL for a bad configuration,
 * ELOOP when src reads a regular file that is also an output (a file
 * copied into itself would never end).
 */
sk_pump *sk_pump_open(sk_stream *src, const int *fds, size_t nfds,
                      const struct sk_pump_config *cfg);

/*
 * Runs the pump to the end of src, or until it fails or is cancelled;
 * blocks, and watches the run from the calling thread (the current rate,
 * the stall timeout).  Returns 0 when every byte reached every output; -1
 * with errno otherwise: ECANCELED after sk_pump_cancel, else the first
 * failure's errno (see sk_pump_failure): ETIMEDOUT when the stall timeout
 * passed, ELOOP when a later part of src is a file also written to.
 * With keep_going, an output that failed makes the result -1 too, but
 * only once the others are done.
 */
int sk_pump_run(sk_pump *p);

/* Stops the reader (the queue still drains), and starts it again. */
void sk_pump_stop(sk_pump *p);
void sk_pump_start(sk_pump *p);

/* Changes the rate limit of a pump (0: none), from now on. */
void sk_pump_set_rate(sk_pump *p, uint64_t rate);

/*
 * Ends the run early.  With drain, the reader stops and the outputs first
 * write what the queue holds; without, everything stops at once.
 */
void sk_pump_cancel(sk_pump *p, int drain);

/* A snapshot of the counters; safe while the pump runs. */
void sk_pump_stats(sk_pump *p, struct sk_pump_stats *st);

/*
 * The first failure: returns its errno (0: none) and sets *side to
 * SK_PUMP_READ or SK_PUMP_WRITE, and *output to the failing output's index.
 * A stall is ETIMEDOUT, on the read side when the queue was empty (the
 * source gave nothing), else on the write side with the slowest output.
 */
int sk_pump_failure(sk_pump *p, int *side, size_t *output);

/* Bytes written to output i, and its errno (0 while it is fine). */
uint64_t sk_pump_output(sk_pump *p, size_t i, int *err);

/*
 * Copies the last bytes written to output 0, at most n and at most
 * keep_last, into buf; returns how many.  Safe while the pump runs.
 */
size_t sk_pump_last(sk_pump *p, void *buf, size_t n);

/*
 * Whether reading s now means reading the regular file open as fd (same
 * device and inode): 1 or 0.  A program checks each input against each
 * output before it truncates any, as cat(1) does.
 */
int sk_same_file(sk_stream *s, int fd);

/*
 * Frees the pump and closes src, only after sk_pump_run has returned.
 * Returns 0, or -1 with errno when closing src failed (the pump is freed
 * all the same).  sk_pump_close(NULL) returns 0.
 */
int sk_pump_close(sk_pump *p);

/*
 * A producer stream: fn runs on its own thread and writes bytes with
 * sk_producer_write() into a bounded queue of queue bytes (0: 1 MiB);
 * reading the returned stream takes them out, in order (gavo's
 * DataStreamer).  fn returns 0 when done (the stream then ends) or -1 with
 * errno (reads then fail with it).  Closing the stream early makes
 * sk_producer_write return -1 with ECANCELED, and waits for fn to return.
 */
typedef struct sk_producer sk_producer;
typedef int (*sk_produce_fn)(sk_producer *w, void *arg);

sk_stream *sk_producer_open(sk_produce_fn fn, void *arg, size_t queue);

/* Writes all n bytes into the queue, waiting for room.  0, or -1 with
 * ECANCELED when the reading side is gone. */
int sk_producer_write(sk_producer *w, const void *buf, size_t n);

/* ------------------------------------------------------------------ */
/* The tar producer                                                    */
/* ------------------------------------------------------------------ */

/*
 * Writes files and directory trees as a tar archive, compressed on the
 * fly by the library's compressors (sk_compress_open), to a descriptor or
 * as a stream.  The walk, the headers, the bodies and the checks are done
 * here (libarchive only reads ACLs):
 *   - the walk goes by directory descriptors: every directory and file
 *     below an argument is opened relative to its parent's descriptor,
 *     never following a symbolic link (unless follow), and checked to be
 *     what its listing or stat named; no path below an argument is
 *     resolved from the top again, so a directory swapped for a link
 *     during the walk cannot make it store files from elsewhere.  Trees
 *     deeper than the descriptor limit are walked (directories higher up
 *     are closed and reopened through "..", checked).  Paths longer than
 *     PATH_MAX are stored;
 *   - names are stored as GNU tar stores them: the path as given, with
 *     leading "/" and everything up to a last ".." component removed
 *     (each prefix reported once through warn), so an archive never
 *     holds an absolute name or one that climbs out; "." is stored as
 *     "./";
 *   - hardlinks are stored once, then as links (archive_entry_linkify);
 *   - a file's body always matches its header: one that shrinks while
 *     read is padded with zeros (or, read ahead whole, stored as read),
 *     one that grows is cut, and either is reported; after its body,
 *     each file is looked up by name again, and one that changed, grew,
 *     shrank or was replaced since it was read is reported; a file that
 *     vanishes or cannot be read is skipped and reported; fifos and
 *     devices are stored, never opened; sockets are skipped;
 *   - read-ahead: io_threads threads open, stat and read the next files
 *     (in archive order) while the caller's thread writes, with bodies of
 *     up to 1 MiB (or readahead / 8) read whole into at most readahead
 *     bytes of memory; larger ones are read (or spliced) by the writer.
 *     The archive does not depend on the number of threads or the
 *     budget;
 *   - compressed output is one stream of the compressor, never padded
 *     past its end (zstd -d and tar --zstd reject zeros there); the
 *     blocking factor applies to the tar stream before compression, as
 *     in GNU tar; the gzip header holds no time.  The compressed bytes do
 *     not depend on the number of compressor threads either;
 *   - an uncompressed archive is not padded past the tar end marker
 *     unless a blocking factor asks for fixed records;
 *   - pax is written in libarchive's restricted form (extended headers
 *     only where needed), without atime and ctime;
 *   - GNU tar's selection: its exclusion rules (exclude), --transform,
 *     --newer, and listed-incremental dumps (snapshot), each as GNU tar
 *     1.34 does it; a manifest of every file's SHA-256 computed as its
 *     body streams (manifest);
 *   - sparse files are stored sparse in pax (ustar, GNU and zip store
 *     the holes as zeros, without reading them); extended attributes
 *     and POSIX ACLs on request (pax).
 * Non-ASCII names are stored as UTF-8 when the program has called
 * setlocale(LC_ALL, "") in a UTF-8 locale.  Memory stays bounded: no list
 * of all files is kept (sorting holds one directory's names), and the
 * read-ahead holds at most readahead bytes of bodies and 4096 items.
 */
typedef struct sk_tar sk_tar;

#define SK_TAR_PAX   0 /* POSIX pax (default) */
#define SK_TAR_USTAR 1 /* POSIX ustar */
#define SK_TAR_GNU   2 /* GNU tar */
/* A streamed zip, through libarchive's zip writer: each file deflated
 * (compress SK_TAR_GZIP, level 1-9, 0 for 6) or stored (SK_TAR_PLAIN,
 * level 0); sizes and CRC in data descriptors after the data; zip64
 * where an entry or the archive passes 4 GiB; names flagged UTF-8 when
 * they are, stored as their bytes with a notice when not; times
 * clamped to 1980-2038 with a notice.  Zip has no
 * hard links (each name stores the file), devices or FIFOs (left out
 * with a notice), sparse files (holes stored as zeros, never read),
 * owner names, attributes or ACLs (xattrs and acls are EINVAL), records
 * (blocking is EINVAL) or incremental dumps (snapshot is EINVAL).  The
 * central directory is held in memory until the end: some 80 bytes and
 * the name per entry. */
#define SK_TAR_ZIP   3

/* newer_mode */
#define SK_TAR_NEWER       1 /* mtime or ctime (--newer, --after-date) */
#define SK_TAR_NEWER_MTIME 2 /* mtime only (--newer-mtime) */

#define SK_TAR_MTIME_SET   1
#define SK_TAR_MTIME_CLAMP 2

/* The compressors: the same numbers as SK_COMPRESS_* (by definition), so
 * sk_compress_method() and sk_compress_suffix() give a value for
 * compress. */
#define SK_TAR_PLAIN SK_COMPRESS_NONE
#define SK_TAR_GZIP  SK_COMPRESS_GZIP
#define SK_TAR_BZIP2 SK_COMPRESS_BZIP2
#define SK_TAR_XZ    SK_COMPRESS_XZ
#define SK_TAR_ZSTD  SK_COMPRESS_ZSTD
#define SK_TAR_LZ4   SK_COMPRESS_LZ4

/* io_threads: no read-ahead, everything on the caller's thread. */
#define SK_TAR_NO_READAHEAD (-1)

/* An entry as stored, for a listing (tar -v, -vv). */
struct sk_tar_entry {
	const char *name; /* as stored; a directory's ends with '/' */
	const char *link; /* a symbolic link's target, a hard link's first
	                   * name, or NULL */
	int hardlink;     /* link is a hard link's */
	mode_t mode;      /* type and permission bits */
	int64_t uid, gid;
	const char *uname, *gname; /* NULL: none stored */
	int64_t size;              /* the file's size (not the body's) */
	int64_t mtime;             /* seconds since the epoch, as stored */
	unsigned devmajor, devminor;
};

#define SK_TAR_SORT_NAME  1
#define SK_TAR_SORT_INODE 2

struct sk_tar_options {
	int format;          /* SK_TAR_PAX, SK_TAR_USTAR, SK_TAR_GNU,
	                      * SK_TAR_ZIP */
	int compress;        /* SK_TAR_PLAIN ... SK_TAR_LZ4; for a zip, how
	                      * each file is stored (see SK_TAR_ZIP) */
	int level;           /* compression level, within the range of
	                      * sk_compress_levels; 0: the compressor's */
	int threads;         /* compressor threads; 0: one per core */
	int blocking;        /* records of N x 512 bytes; 0: none */
	int sort;            /* 0: each directory's own order;
	                        SK_TAR_SORT_NAME: names in byte order;
	                        SK_TAR_SORT_INODE: by inode number (GNU
	                        tar's --sort=inode: fewer seeks on a
	                        spinning disk) */
	int follow;          /* follow symbolic links (tar -h) */
	int one_file_system; /* do not descend into other filesystems */
	/* What to leave out, with GNU tar's rules (sk_exclude_new): names
	 * are tested as GNU tar names them (the argument as given, joined
	 * with the components below it), the arguments too; a directory
	 * left out takes everything below it along; tag files cut the
	 * directories holding them; ignore files are read in each
	 * directory.  Borrowed; NULL: nothing is left out. */
	const struct sk_exclude *exclude;
	/* GNU tar's --transform (sk_xform_new), applied to the stored names
	 * and to symbolic and hard link targets as each expression's scope
	 * says.  A name it leaves empty is not stored (what is below a
	 * directory still is); a leading "/" or a part up to ".." it makes
	 * is removed, said once through warn.  Borrowed; NULL: none. */
	const struct sk_xform *transform;
	/* GNU tar's --newer (SK_TAR_NEWER: a file is stored when its mtime
	 * or its ctime is not older than newer) and --newer-mtime
	 * (SK_TAR_NEWER_MTIME: the mtime only); 0: every file.  Directories
	 * are always stored; a file left out is not a warning. */
	int newer_mode;
	struct timespec newer;
	/* A listed-incremental dump (GNU tar's -g), from
	 * sk_tar_snapshot_open: only what changed since the dump that wrote
	 * the snapshot is stored, with GNU tar's directory entries (dumpdirs,
	 * renames), in GNU tar's order.  Needs SK_TAR_GNU or SK_TAR_PAX, and
	 * newer_mode 0; give all the paths to one sk_tar_add_paths call.
	 * Borrowed; used by one archive. */
	struct sk_tar_snapshot *snapshot;
	int reproducible;           /* sorted names, uid/gid 0 without names, no
	                             * gzip timestamp; mtimes clamped to mtime
	                             * when mtime_mode is set */
	int mtime_mode;       /* 0; SK_TAR_MTIME_SET: every mtime is mtime;
	                       * SK_TAR_MTIME_CLAMP: none is later */
	int64_t mtime;        /* seconds since the epoch */
	int set_uid, set_gid; /* store uid / gid instead of the file's */
	int64_t uid, gid;
	const char *uname, *gname; /* stored names; borrowed; NULL: looked up */
	int numeric_owner;         /* no user and group names */
	int xattrs;                /* store extended attributes (pax) */
	int acls;                  /* store POSIX ACLs (pax) */
	/* Read-ahead threads; 0: 8 (enough requests in flight for an SSD or
	 * a virtual disk to answer them together; while files come from the
	 * page cache, only one per CPU beside the caller's thread works at
	 * a time); SK_TAR_NO_READAHEAD: none.  Fewer when RLIMIT_NOFILE is
	 * low. */
	int io_threads;
	/* Bytes of file bodies read ahead; 0: 16 MiB. */
	size_t readahead;
	/* When the archive is written aside and renamed over a path at the
	 * end, that path: the file there now is not stored either, as the
	 * archive itself never is.  Borrowed; read by sk_tar_open only. */
	const char *archive_path;
	/* Called for every problem that does not end the archive (path may
	 * be NULL), and for every entry written; on the thread that calls
	 * sk_tar_add (the producer thread for sk_tar_stream_open), in
	 * archive order.  Either may be NULL. */
	void (*warn)(void *arg, const char *path, int err, const char *what);
	void (*entry)(void *arg, const struct sk_tar_entry *e);
	/* When not NULL, called after each regular file's body with the line
	 * sha256sum(1) writes for it: the SHA-256 of the bytes stored (what
	 * was read, zeros where it shrank; holes as zeros), under its stored
	 * name, escaped as sha256sum escapes it; len bytes, '\n' included.
	 * A hard link's entry has no line (its file's first name has).
	 * Hashing turns the zero-copy path off. */
	void (*manifest)(void *arg, const char *line, size_t len);
	/* Called after each entry and each block of body read: a program
	 * may redraw a progress line (sk_tar_counts). */
	void (*tick)(void *arg);
	void *arg;
};

/*
 * Starts an archive written to fd (borrowed).  When fd is a regular file,
 * that file is never stored in the archive.  opt may be NULL for the
 * defaults.  NULL with errno on failure (EINVAL for an unknown format or
 * compressor, or a level out of the compressor's range).
 */
sk_tar *sk_tar_open(int fd, const struct sk_tar_options *opt);

/* What the warnings so far amount to (sk_tar_warned), as GNU tar's exit
 * statuses: a file changed while it was read (or vanished since its
 * directory was listed); a file could not be stored (unreadable, missing,
 * more than the format holds).  Notices such as "socket ignored" or a
 * removed leading "/" count as neither. */
#define SK_TAR_CHANGED 1
#define SK_TAR_SKIPPED 2

/*
 * Adds path, and everything below it when it is a directory; a relative
 * path is taken from the directory dirfd (AT_FDCWD: the working
 * directory), which is borrowed and only used during the call.  Returns
 * what sk_tar_warned says (0, SK_TAR_CHANGED or SK_TAR_SKIPPED: the
 * archive stays valid, the warnings went to warn), or -1 with errno when
 * writing the archive failed (EPIPE when its reader went away) or memory
 * ran out; after -1 only sk_tar_close remains to call.
 */
int sk_tar_add_at(sk_tar *t, int dirfd, const char *path);

/* sk_tar_add_at(t, AT_FDCWD, path). */
int sk_tar_add(sk_tar *t, const char *path);

/* A path to add, relative to dirfd (borrowed, as in sk_tar_add_at). */
struct sk_tar_path {
	int dirfd;
	const char *path;
};

/*
 * Adds the n paths as one: without a snapshot, as sk_tar_add_at would
 * one after the other; with one, as one listed-incremental dump of them
 * all, in GNU tar's order (every directory first, sorted by name, then
 * the files, directory by directory).  With a snapshot, an archive takes
 * one call.  Returns as sk_tar_add_at does; -1 with EINVAL for a second
 * call with a snapshot.
 */
int sk_tar_add_paths(sk_tar *t, const struct sk_tar_path *paths, size_t n);

/* The worst of the warnings so far: 0, SK_TAR_CHANGED or SK_TAR_SKIPPED. */
int sk_tar_warned(const sk_tar *t);

/* Entries stored, body bytes read and archive bytes written so far. */
void sk_tar_counts(const sk_tar *t, uint64_t *files, uint64_t *data,
                   uint64_t *written);

/* The archive's length before compression as it will be once closed
 * (the end marker and the last record included): what GNU tar's --totals
 * reports.  For a zip, the bytes so far: its central directory is
 * written by sk_tar_close (which gives the whole length). */
uint64_t sk_tar_length(const sk_tar *t);

/*
 * A dry run of sk_tar_add_at: walks path (relative to dirfd) with opt's
 * selection and adds the entries it would store to *files and their body
 * bytes to *data, reading no file; for a progress line's total (opt's
 * snapshot is not read: the counts are a full dump's).  Returns 0, or -1
 * with errno (ENOMEM).
 */
int sk_tar_scan(int dirfd, const char *path, const struct sk_tar_options *opt,
                uint64_t *files, uint64_t *data);

/*
 * Ends the archive (the end marker, the compressor's tail) and frees t,
 * also when it fails.  *written, when not NULL, gets the bytes of archive
 * written in all (after compression).  Returns 0, or -1 with errno when
 * the archive could not be completed (sk_tar_warned tells about warnings
 * before the call).
 */
int sk_tar_close(sk_tar *t, uint64_t *written);

/*
 * The archive of n paths as a stream: a producer thread (sk_producer_open)
 * writes it into a queue of queue bytes (0: 1 MiB) that the stream reads.
 * opt is copied (what it points to stays borrowed: exclusion, transform,
 * snapshot); paths are copied.
 * Reads fail with the producer's errno when the archive could not be made;
 * warnings go to opt->warn on the producer thread.  Closing the stream
 * early stops the walk at once.
 */
sk_stream *sk_tar_stream_open(const char *const *paths, size_t n,
                              const struct sk_tar_options *opt, size_t queue);

/*
 * The snapshot of a listed-incremental dump (GNU tar's -g FILE, format 2):
 * what the dumps before it saw.  sk_tar_snapshot_open reads path; a
 * missing or empty file, or flags with SK_TAR_SNAP_LEVEL0 (GNU tar's
 * --level=0), start a new chain (a level 0 dump: everything is stored).
 * The file is not changed then: a new file is made aside in its
 * directory (which must be writable: EACCES now, not at the end), and
 * sk_tar_snapshot_commit renames it over path once the caller knows the
 * archive complete; sk_tar_snapshot_close drops it instead.  Both free s.
 * A snapshot that is not GNU tar's is EINVAL, with where and why in err
 * (errlen bytes; may be 0).  NULL with errno on failure.
 */
typedef struct sk_tar_snapshot sk_tar_snapshot;

#define SK_TAR_SNAP_LEVEL0          0x1 /* ignore what path holds */
#define SK_TAR_SNAP_NO_CHECK_DEVICE 0x2 /* a directory whose device number
                                         * changed is the same directory
                                         * (--no-check-device) */

sk_tar_snapshot *sk_tar_snapshot_open(const char *path, int flags, char *err,
                                      size_t errlen);
/* 0, or -1 with errno (the old file then untouched); EINVAL when no
 * archive has used s (nothing to commit). */
int sk_tar_snapshot_commit(sk_tar_snapshot *s);
void sk_tar_snapshot_close(sk_tar_snapshot *s);

/* ------------------------------------------------------------------ */
/* GNU tar's exclusion rules                                            */
/* ------------------------------------------------------------------ */

/*
 * An exclusion set holds what GNU tar's --exclude family asks for, with
 * GNU tar's semantics, for a walk to consult:
 *   - patterns (--exclude, -X, --exclude-vcs, --exclude-backups), each
 *     with the matching flags in force where it was given (GNU tar's
 *     --anchored, --ignore-case, --wildcards and their negations apply to
 *     the patterns that follow them: the caller computes the flags);
 *   - tag files (--exclude-tag, -under, -all, --exclude-caches*);
 *   - per-directory ignore files (--exclude-ignore, -recursive,
 *     --exclude-vcs-ignores).
 * Names are tested as GNU tar sees them: the argument as given, joined
 * with the components below it by '/' ("src/dir1/sub", "./a/b"); names
 * carry no trailing '/'.  GNU tar decides on the name alone, never on the
 * file's type.  The set is not changed by tests, so several walks may
 * test against one set at once; directory contexts belong to one walk.
 */
typedef struct sk_exclude sk_exclude;
typedef struct sk_exclude_dir sk_exclude_dir;

/* Matching flags of a pattern. */
#define SK_EXCL_WILDCARDS   0x01 /* '*', '?', '[...]' are wildcards */
#define SK_EXCL_ANCHORED    0x02 /* match the whole name only, not also
                                  * every part of it after a '/' */
#define SK_EXCL_CASEFOLD    0x04 /* --ignore-case */
#define SK_EXCL_NOSLASH     0x08 /* wildcards do not match '/' */
#define SK_EXCL_LEADING_DIR 0x10 /* a match of a leading directory of the
                                  * name counts (GNU tar's --recursion) */
/* What a plain --exclude means in GNU tar. */
#define SK_EXCL_DEFAULT (SK_EXCL_WILDCARDS | SK_EXCL_LEADING_DIR)

/* What a tag file does to the directory that holds it. */
#define SK_EXCL_TAG_NONE     0
#define SK_EXCL_TAG_CONTENTS 1 /* the directory and the tag file only */
#define SK_EXCL_TAG_UNDER    2 /* the directory only */
#define SK_EXCL_TAG_ALL      3 /* nothing: not even the directory */
/* With a kind: the tag counts only when it starts with the CACHEDIR.TAG
 * signature ("Signature: 8a477f597d28d172789f06886806bc55"). */
#define SK_EXCL_TAG_CACHEDIR 0x10

/* How an ignore file's patterns apply. */
#define SK_EXCL_IGNORE_DIR       0 /* to its own directory's entries */
#define SK_EXCL_IGNORE_RECURSIVE 1 /* to everything below it too */

/*
 * A new, empty set.  warn, when not NULL, is told of an ignore file that
 * exists but cannot be read (path, errno; the directory is then walked
 * without it, as GNU tar does).  NULL with errno on failure.
 */
sk_exclude *sk_exclude_new(void (*warn)(void *arg, const char *path, int err,
                                        const char *what),
                           void *arg);

/*
 * Adds a pattern with SK_EXCL_* flags (the pattern is copied).  A plain
 * --exclude is SK_EXCL_DEFAULT; --no-wildcards drops SK_EXCL_WILDCARDS,
 * --anchored adds SK_EXCL_ANCHORED, --no-wildcards-match-slash
 * SK_EXCL_NOSLASH, --ignore-case SK_EXCL_CASEFOLD, --no-recursion drops
 * SK_EXCL_LEADING_DIR.  0, or -1 with errno (ENOMEM, EINVAL).
 */
int sk_exclude_add(sk_exclude *x, const char *pattern, int flags);

/*
 * --exclude-vcs: GNU tar's list of version control names (CVS, .cvsignore,
 * RCS, SCCS, .svn, .git, .gitignore, .gitattributes, .gitmodules,
 * .arch-ids, {arch}, =RELEASE-ID, =meta-update, =update, .bzr,
 * .bzrignore, .bzrtags, .hg, .hgignore, .hgtags, _darcs), each matching
 * a whole name component.  --exclude-backups: .#*, *~ and #*#.  0 or -1.
 */
int sk_exclude_add_vcs(sk_exclude *x);
int sk_exclude_add_backups(sk_exclude *x);

/*
 * A tag file: a directory holding an entry called name is cut as kind
 * (SK_EXCL_TAG_CONTENTS, _UNDER or _ALL, optionally | SK_EXCL_TAG_CACHEDIR)
 * says.  The tag must open for reading (a symbolic link counts only when
 * links are followed).  Tags are tried newest first; the first present
 * decides.  --exclude-caches is ("CACHEDIR.TAG", SK_EXCL_TAG_CONTENTS |
 * SK_EXCL_TAG_CACHEDIR).  0 or -1 with errno.
 */
int sk_exclude_add_tag(sk_exclude *x, const char *name, int kind);

/*
 * An ignore file: each directory holding a regular file called name has
 * its patterns read from it, one per line, GNU tar's way: .cvsignore
 * (words), .gitignore, .bzrignore ("!" keeps, "RE:" regex) and .hgignore
 * ("syntax:", regex by default) by their own syntax, any other name as a
 * .gitignore.  A pattern is matched anchored, '*' not matching '/', against
 * the entry's name as given, without its leading "./", and its last
 * component.  how is SK_EXCL_IGNORE_DIR or SK_EXCL_IGNORE_RECURSIVE.
 * sk_exclude_add_vcs_ignores adds the four VCS files (.cvsignore for its
 * directory only, the others recursively).  0 or -1 with errno.
 */
int sk_exclude_add_ignore(sk_exclude *x, const char *name, int how);
int sk_exclude_add_vcs_ignores(sk_exclude *x);

/*
 * For a walk entering a directory: dirfd (borrowed; only read during the
 * call) is the directory, path its name as GNU tar sees it, parent the
 * context of the directory above (NULL for an argument).  Sets *tag to
 * the SK_EXCL_TAG_* kind that applies (SK_EXCL_TAG_NONE without one) and
 * *tagname to the tag's name (owned by x), and reads the ignore files the
 * directory holds.  follow: tags may be symbolic links (tar -h).
 * Returns the context that sk_exclude_test takes for the directory's
 * entries, to close with sk_exclude_dir_close after them and after every
 * context opened below it; NULL with errno (ENOMEM) on failure.
 */
sk_exclude_dir *sk_exclude_dir_open(const sk_exclude *x,
                                    const sk_exclude_dir *parent, int dirfd,
                                    const char *path, int follow, int *tag,
                                    const char **tagname);
void sk_exclude_dir_close(sk_exclude_dir *d);

/*
 * Whether name is excluded: 1 yes, 0 no, -1 with errno (ENOMEM).  dir is
 * the context of the directory holding it, or NULL for a walk's argument
 * (which GNU tar tests against the patterns too).
 */
int sk_exclude_test(const sk_exclude *x, const sk_exclude_dir *dir,
                    const char *name);

/* Frees the set.  Contexts opened from it must be closed first. */
void sk_exclude_free(sk_exclude *x);

/* ------------------------------------------------------------------ */
/* GNU tar's --transform                                                */
/* ------------------------------------------------------------------ */

/*
 * A list of sed-like expressions that rename archive members, with GNU
 * tar's syntax: s/REGEX/REPLACEMENT/FLAGS with any delimiter (an escaped
 * delimiter stands for itself), several expressions in one string
 * separated by ';', applied in the order given.  REGEX is a POSIX basic
 * regex (x: extended); FLAGS: g (every match), i (ignore case), a number N
 * (the Nth match; with g, it and those after), r/R s/S h/H (apply to
 * member names, symbolic link targets, hard link targets, or not).
 * "flags=rsh" sets the scope of the expressions after it (all three
 * before any).  REPLACEMENT takes & and \1..\9, \U \L \u \l \E case
 * conversion, and \n \t and the other C escapes.  An expression anchored
 * with ^ or $ is replaced once.
 */
typedef struct sk_xform sk_xform;

/* Scopes: where an expression applies. */
#define SK_XFORM_REGFILE 0x1 /* member names */
#define SK_XFORM_SYMLINK 0x2 /* symbolic link targets */
#define SK_XFORM_LINK    0x4 /* hard link targets */
#define SK_XFORM_ALL     0x7

/* What sk_xform_apply did beyond the expressions. */
#define SK_XFORM_STRIPPED 0x1 /* a leading '/' or a "../" part removed */
#define SK_XFORM_EMPTY    0x2 /* nothing is left: do not store the entry */

/* A new, empty list (it changes nothing).  NULL with errno. */
sk_xform *sk_xform_new(void);

/*
 * Adds the expressions of one --transform argument.  On a malformed one,
 * returns -1 with errno EINVAL and writes GNU tar's message ("Invalid
 * transform expression", "Unknown flag in transform expression: q", a
 * regex error...) into err (errlen bytes, may be 0); the list is then as
 * it was before the failing expression.  0 on success.
 */
int sk_xform_add(sk_xform *x, const char *expr, char *err, size_t errlen);

/*
 * Applies the expressions whose scope includes scope (one SK_XFORM_*) to
 * name: a directory's name without its trailing '/', the name GNU tar
 * would store otherwise (leading '/' and ".." parts already removed).
 * A name or hard link target is then read as GNU tar reads a member
 * name: a leading '/' and everything up to a ".." component are removed
 * (SK_XFORM_STRIPPED in *what), and an empty result sets SK_XFORM_EMPTY:
 * the entry is not stored (what is below a directory still is).  A
 * symbolic link's target is returned as the expressions left it.  Returns the new name,
 * malloc'd, or NULL with errno (ENOMEM).
 */
char *sk_xform_apply(const sk_xform *x, const char *name, int scope,
                     int *what);

/* 1 when the list holds no expression (NULL included), else 0. */
int sk_xform_empty(const sk_xform *x);

void sk_xform_free(sk_xform *x);

/* ------------------------------------------------------------------ */
/* Copying                                                              */
/* ------------------------------------------------------------------ */

/*
 * Copies up to max bytes (SK_UNKNOWN: all) of src to the descriptor dst by
 * the fastest path the kernel allows: copy_file_range(2) between regular
 * files, sendfile(2) from a file, splice(2) from or into a pipe, each
 * falling back to the next and finally to a read/write loop.  Pipes are
 * raised to 1 MiB where allowed.  Short writes, EINTR and EAGAIN (poll) are
 * handled.  Returns the number of bytes copied, less than max only when src
 * ended; -1 with errno on error.  After an error, sk_error(src) != 0 means
 * reading failed; otherwise writing to dst failed (EPIPE when its reader
 * has gone).
 */
int64_t sk_copy(sk_stream *src, int dst, int64_t max);

/*
 * Writes all n bytes of buf to fd, looping over short writes and EINTR and
 * polling on EAGAIN.  A write that returns 0 is an error (EIO).  Returns 0
 * or -1 with errno.
 */
int sk_write_all(int fd, const void *buf, size_t n);

/* Reads src to its end, discarding.  Returns the bytes read, or -1. */
int64_t sk_discard(sk_stream *src);

/*
 * Reads all of src into a new buffer, at most max bytes (SIZE_MAX: no
 * limit but memory; EFBIG past max, having read at most max + 1 bytes).
 * Returns the number of bytes and sets *out to a malloc'd buffer the caller
 * frees (NUL-terminated for convenience), or -1 with errno.
 */
int64_t sk_slurp(sk_stream *src, size_t max, char **out);

/* Raises the pipe fd to size bytes where allowed; EPERM is not an error.
 * Returns 0 (also for a descriptor that is not a pipe), or -1 with errno. */
int sk_pipe_grow(int fd, size_t size);

/* ------------------------------------------------------------------ */
/* Compression: a filter any output can go through                     */
/* ------------------------------------------------------------------ */

/*
 * A compressor takes bytes with sk_compress_write() and hands the
 * compressed stream to an output: a callback, or a descriptor.  gzip,
 * bzip2 and lz4 cut the input into blocks that worker threads compress
 * while the caller goes on writing; xz and zstd run their libraries'
 * own workers.  The output is byte-identical whatever the number of
 * threads (only gzip's time stamp changes, see reproducible), and every
 * method writes one standard stream that its own tool reads:
 *
 *   gzip   one gzip member of raw deflate blocks made by libdeflate on
 *          blocks of 1 MiB (at levels 5-8 libdeflate's next level up, so
 *          that the size stays within about 0.5% of gzip -N's), each block
 *          closed with an empty stored block, the CRC-32 combined; no file
 *          name.
 *   bzip2  one bzip2 stream whose blocks are cut where bzip2(1) cuts
 *          them (level x 100 kB after its run-length step), each made by
 *          libbz2, joined bit by bit: the same bytes as bzip2 -N, except
 *          that a block stops at 4 x its size of raw input (long runs).
 *   xz     liblzma's multithreaded encoder (blocks of 3 x the dictionary
 *          by default), CRC64, as xz -T N writes.
 *   zstd   libzstd with a content checksum, as zstd writes; always with
 *          at least one worker, so one thread and many give one output.
 *   lz4    the lz4 frame format as lz4(1) writes it: independent blocks
 *          of 4 MiB, a content checksum, the bytes of lz4 -N.
 *   none   the bytes unchanged.
 *
 * Memory: with T threads, gzip, bzip2 and lz4 hold at most 2T blocks in
 * flight, each its input and its output; at the defaults that bounds
 * gzip at 2T x 2 MiB plus 1 MiB per thread for libdeflate (measured 7.5
 * MiB for T = 2), bzip2 -9 at 2T x 4.5 MB plus the 7.6 MB libbz2 needs
 * per thread (20 MiB for T = 2), lz4 at 2T x 8 MiB (23 MiB for T = 2).
 * xz and zstd use what their libraries need: for xz -6, 165 MiB per
 * thread at most (lzma_stream_encoder_mt_memusage); for zstd -3, about
 * 40 MiB.
 *
 * The output is called only from within sk_compress_write() and
 * sk_compress_finish(), on the calling thread.  Worker threads start at
 * the first full block and inherit the calling thread's signal mask (a
 * program that takes signals on one thread blocks them first); they
 * never touch the caller's buffers after a call returns.
 */
typedef struct sk_compress sk_compress;

#define SK_COMPRESS_NONE  0
#define SK_COMPRESS_GZIP  1
#define SK_COMPRESS_BZIP2 2
#define SK_COMPRESS_XZ    3
#define SK_COMPRESS_ZSTD  4
#define SK_COMPRESS_LZ4   5

struct sk_compress_options {
	int level;        /* 0: the method's default (sk_compress_levels) */
	int threads;      /* compressing threads; 0: one per core */
	int reproducible; /* gzip: time stamp 0, not the current time */
	size_t block;     /* input bytes per block; 0: the method's default.
	                   * gzip: >= 64 KiB; lz4: 64 KiB, 256 KiB, 1 MiB or
	                   * 4 MiB; xz: its block size; zstd: its job size;
	                   * bzip2: ignored (its level sets it) */
};

/*
 * Writes n bytes of compressed output; returns 0, or -1 with errno (the
 * compressor then fails with it).  arg is the one given to
 * sk_compress_open.
 */
typedef int (*sk_compress_out_fn)(void *arg, const void *buf, size_t n);

/*
 * A compressor of method (SK_COMPRESS_*) writing to out(arg, ...), or,
 * when out is NULL, to the descriptor fd (borrowed; written with
 * sk_write_all).  opt may be NULL for the defaults.  Nothing is written
 * yet.  Returns NULL with errno: EINVAL for an unknown method, a level
 * out of its range, a negative thread count or a bad block size; ENOMEM.
 */
sk_compress *sk_compress_open(int method, const struct sk_compress_options *opt,
                              int fd, sk_compress_out_fn out, void *arg);

/*
 * Compresses n bytes of buf (copied: buf may be reused on return).
 * Output is written as blocks are done, in order; the call waits when
 * as many blocks as the bound allows are in flight.  Returns 0, or -1
 * with errno: the output's error (EPIPE, ENOSPC...), ENOMEM when a worker
 * could not allocate, EIO for a failure inside a compression library.
 * Errors are sticky: every later write and the finish fail with the same
 * errno, and no stream tail is ever written after one.  EINVAL after
 * sk_compress_finish.
 */
int sk_compress_write(sk_compress *c, const void *buf, size_t n);

/*
 * Compresses what is left, waits for every block and writes the stream's
 * tail: after 0, the output holds one complete stream.  -1 with errno
 * as for sk_compress_write.  A second call returns the first one's result.
 */
int sk_compress_finish(sk_compress *c);

/*
 * Stops the workers (waiting for them), and frees c.  It does not finish
 * the stream: closing before sk_compress_finish abandons it, incomplete.
 * Returns 0, or -1 with the sticky errno when a write or the finish
 * failed.  sk_compress_close(NULL) returns 0.
 */
int sk_compress_close(sk_compress *c);

/* Bytes taken in and bytes written out so far. */
void sk_compress_counts(const sk_compress *c, uint64_t *in, uint64_t *out);

/*
 * A stream that reads src compressed (the pull side of the same filter,
 * for sk_copy and every reader of streams).  Takes ownership of src, also
 * when it fails.  A read failing in src fails the stream with src's
 * errno; src's end writes the tail, then the stream ends.  NULL with
 * errno as sk_compress_open.
 */
sk_stream *sk_compress_stream_open(sk_stream *src, int method,
                                   const struct sk_compress_options *opt);

/*
 * The method called name: "gzip", "bzip2", "xz", "zstd", "lz4" or "none".
 * -1 with errno EINVAL for another name.
 */
int sk_compress_method(const char *name);

/* The name of a method, NULL for an unknown one. */
const char *sk_compress_name(int method);

/*
 * The method GNU tar's -a picks for an archive named path, from its last
 * suffix: .gz .tgz .taz (gzip), .bz2 .tbz .tbz2 .tz2 (bzip2), .xz .txz
 * (xz), .zst .tzst (zstd), .lz4 (lz4); SK_COMPRESS_NONE for any other
 * name.  -1 with errno ENOTSUP for a suffix GNU tar gives a compressor
 * this library lacks (.Z .taZ .lz .lzma .tlz .lzo).
 */
int sk_compress_suffix(const char *path);

/*
 * The levels of method: *min to *max, *def when none is asked (gzip 1-9,
 * 6; bzip2 1-9, 9; xz 1-9, 6; zstd 1-19, 3; lz4 1-12, 1; none 0-0, 0),
 * for a program to say "--level 12 is out of gzip's range 1-9".  Any
 * pointer may be NULL.  Returns 0, or -1 with EINVAL for an unknown
 * method.
 */
int sk_compress_levels(int method, int *min, int *max, int *def);

/* ------------------------------------------------------------------ */
/* Parsers shared by the programs                                       */
/* ------------------------------------------------------------------ */

/*
 * Parses a size: decimal or 0x hexadecimal digits, then an optional suffix
 * K M G T P (also KiB, MiB, ...: powers of 1024) or KB MB GB TB PB (powers
 * of 1000), or B; case-insensitive.  Returns 0 and sets *out, or -1 with
 * errno EINVAL (garbage, empty) or ERANGE (over INT64_MAX).
 */
int sk_parse_size(const char *text, int64_t *out);

/*
 * A range of a stream: [start, end) once both are resolved against the
 * stream's length.  A position written with a minus sign counts from the
 * end: its value is <= 0 and its from_end flag is set, so that "-0" means
 * the very end (as head -c -0 and tail -c 0 do) rather than offset 0.
 */
struct sk_range {
	int64_t start;
	int64_t end;        /* an offset, or a length when end_is_len */
	int has_end;        /* 0: to the end of the stream */
	int end_is_len;     /* written START+LENGTH: end = start + length */
	int start_from_end; /* start was written negative */
	int end_from_end;   /* end was written negative */
};

/*
 * Parses one range: START:END, START+LENGTH, START:, :END or ":" (START
 * and END take size suffixes and may be negative; LENGTH may not).
 * Returns 0, or -1 with errno EINVAL (malformed) or ERANGE (a number too
 * large).
 */
int sk_parse_range(const char *text, struct sk_range *r);

/*
 * Parses a comma-separated list of ranges, appending them to *list (of
 * *n entries, realloc'd).  On failure returns -1 with errno and sets *bad
 * to the start of the offending range within text (when bad is not NULL);
 * the list is left as it was.
 */
int sk_parse_ranges(const char *text, struct sk_range **list, size_t *n,
                    const char **bad);

/*
 * Resolves r against a stream of length total into [*a, *b), clamped to
 * [0, total] like a Python slice (an end before the start gives an empty
 * range at the start).  Returns 1 when the range lay wholly
 * inside the stream, 0 when it was clamped (what --strict refuses).
 */
int sk_range_resolve(const struct sk_range *r, int64_t total, int64_t *a,
                     int64_t *b);

/*
 * Parses a date as GNU tar's --newer, --after-date, --newer-mtime and
 * --mtime read one (GNU's date parser, as `date -d` uses it): @SECONDS
 * with an optional fraction; ISO 8601 dates and times ("2020-01-02",
 * "2020-01-02T03:04:05.5Z", "2020-01-02 03:04 +02:00", "20200102"); US and
 * month-name dates ("1/2/2020", "2 Jan 2020", "Jan 2, 2020"); am/pm;
 * zones Z, UTC, GMT, +HH[:MM], +HHMM and US names (EST, PDT...); relative
 * items, alone or after a date ("yesterday", "now", "2 days ago",
 * "+3 hours", "next friday", "last month").  A date or time without a zone
 * is local time ($TZ).  now is the time relative items count from (NULL:
 * the clock).  Returns 0 and sets *out, or -1 with errno EINVAL (not a
 * date) or ERANGE (a date that does not exist, such as 2020-02-30 or
 * 25:00, or one out of time_t's range).
 */
struct timespec;
int sk_parse_date(const char *text, const struct timespec *now,
                  struct timespec *out);

/*
 * GNU tar's rule for those options: a text that starts with '/' or '.'
 * names a file, and the date is its modification time (follow: through a
 * symbolic link, as GNU tar 1.34 does); anything else is sk_parse_date's.
 * -1 with errno from stat(2) for a file that cannot be reached.
 */
int sk_parse_date_or_file(const char *text, int follow, struct timespec *out);

/* ------------------------------------------------------------------ */
/* Ranges of a stream                                                   */
/* ------------------------------------------------------------------ */

/*
 * Serves ranges of any stream, in the order given, by the cheapest plan
 * the stream allows (substream(1) is this and options):
 *   SK_RANGES_SECTIONS  the stream allows sections and knows its length
 *                       (files): each range is a section, reached without
 *                       reading what lies before it;
 *   SK_RANGES_ONE_PASS  the ranges go forward: what lies between them is
 *                       skipped, never stored; byte ranges counted from
 *                       the end come after the forward ones from a ring of
 *                       their size (up to ring_max), and a last range that
 *                       ends before the end holds that many bytes back;
 *   SK_RANGES_SPOOL     otherwise: the stream goes into a spool (memory,
 *                       then an unnamed file) only as far as the furthest
 *                       range needs.
 * Line ranges count lines ending with delim (a last line without it
 * counts); out of order they are found through a line index (sk_lines)
 * over the stream's sections or over the spool.  Ranges that run past the
 * input are clamped, as sk_range_resolve() says, unless SK_RANGES_STRICT.
 */
typedef struct sk_ranges sk_ranges;

#define SK_RANGES_LINES  0x1 /* positions count lines, not bytes */
#define SK_RANGES_STRICT 0x2 /* a range past the end fails (ERANGE) */

#define SK_RANGES_SECTIONS 1
#define SK_RANGES_ONE_PASS 2
#define SK_RANGES_SPOOL    3

struct sk_ranges_config {
	int flags;          /* SK_RANGES_LINES, SK_RANGES_STRICT */
	int delim;          /* with SK_RANGES_LINES, the byte that ends a
	                     * line: set it ('\n'; 0 is NUL) */
	int64_t ring_max;   /* one pass keeps at most this many bytes from
	                     * the end in memory; 0: 64 MiB */
	size_t spool_mem;   /* the spool's memory before its file; 0: 8 MiB */
	const char *tmpdir; /* the spool's file goes here; NULL: $TMPDIR,
	                     * then /tmp; copied */
};

/*
 * Plans the n ranges r (copied) of src, which it owns from the call on,
 * also when it fails.  cfg may be NULL (bytes, not strict, the defaults).
 * Reads nothing yet.  NULL with errno on failure (EINVAL for a bad
 * configuration).
 */
sk_ranges *sk_ranges_open(sk_stream *src, const struct sk_range *r, size_t n,
                          const struct sk_ranges_config *cfg);

/* The plan chosen: SK_RANGES_SECTIONS, SK_RANGES_ONE_PASS or
 * SK_RANGES_SPOOL. */
int sk_ranges_plan(const sk_ranges *rs);

/*
 * The next range: sets *part to a stream of its bytes and returns 1; 0
 * when every range has been served; -1 with errno on failure (ERANGE for
 * a strict range past the end; see sk_ranges_failure).  The part is the
 * object's: it stays valid until the next call or sk_ranges_close, and
 * what it was not read of is passed over.  Call until 0: a strict range
 * that the input ends inside, on one pass, fails at the next call (once
 * its bytes have been given), and the last call leaves a stream with
 * sections (a shared standard input) just after the last range served.
 */
int sk_ranges_next(sk_ranges *rs, sk_stream **part);

/* What failed, from sk_ranges_failure(): reading the input (or memory to
 * hold it); the spool, whose file could not be made or written (a full
 * disk, ulimit -f); a strict range that ran past the input. */
#define SK_RANGES_FAIL_INPUT    1
#define SK_RANGES_FAIL_SPOOL    2
#define SK_RANGES_FAIL_PAST_END 3

/*
 * After sk_ranges_next failed, or reading a part did (sk_error(part) !=
 * 0), tells which side failed; 0 when nothing did.  For
 * SK_RANGES_FAIL_PAST_END, *index is the range's index in r and *total the
 * input's length in bytes or lines as far as it was counted (SK_UNKNOWN
 * when it was not); either pointer may be NULL.
 */
int sk_ranges_failure(const sk_ranges *rs, size_t *index, int64_t *total);

/* Frees rs, its part and its spool, and closes src.  0, or -1 with errno
 * when closing src failed. */
int sk_ranges_close(sk_ranges *rs);

/*
 * A line index over s, which must allow sections (sk_can_section; else
 * NULL with ENOTSUP), borrowed: close the index first.  Lines end with
 * delim; a last line without it counts.  Offsets and line numbers count
 * from s's position now, which reading through the index never moves.
 * The last line start found is kept, so lookups in ascending order cost
 * one scan in all; lines from the end are found reading backwards from
 * the end.  NULL with errno on failure.
 */
typedef struct sk_lines sk_lines;
sk_lines *sk_lines_open(sk_stream *s, int delim);

/*
 * The offset where line k (from 0) starts; the length of s when s has k
 * lines, and also when it has fewer: then *inside (when not NULL) is 0,
 * else 1.  -1 with errno on failure.
 */
int64_t sk_lines_start(sk_lines *li, int64_t k, int *inside);

/*
 * The offset where the k-th line from the end starts (k = 0: the end of
 * s); 0 when s has fewer than k lines, *inside then being 0.  -1 with
 * errno on failure (ENODATA when s turned out shorter than its length).
 */
int64_t sk_lines_start_from_end(sk_lines *li, int64_t k, int *inside);

/*
 * Resolves the line range r into the byte offsets [*a, *b) of s, clamped
 * like sk_range_resolve().  Returns 1 when r lay wholly inside s, 0 when
 * it was clamped, -1 with errno on failure.
 */
int sk_lines_range(sk_lines *li, const struct sk_range *r, int64_t *a,
                   int64_t *b);

/* Frees the index (not s).  Returns 0. */
int sk_lines_close(sk_lines *li);

#ifdef __cplusplus
}
#endif
#endif /* STREAMKIT_H */
