/*
 * progress.h - the progress line that pump and tarstream draw on
 * standard error: fitted to the terminal's width (read with TIOCGWINSZ,
 * again after SIGWINCH), shortened by dropping the least important
 * fields first, with lines (file names) printed above it.  Three ways to
 * draw:
 *
 *   terminal  one line rewritten in place (\r, then erase to its end);
 *   cursor    several programs of one pipeline on one terminal, each on
 *             its own line (pv's -c): the programs share a small state
 *             file, locked around each draw, that says how far below its
 *             line the cursor is;
 *   plain     standard error is not a terminal but progress was asked
 *             for: whole lines ending in \n, no escape codes.
 *
 * The program decides when to draw; the drawer decides how.
 */
#ifndef SK_CMD_PROGRESS_H
#define SK_CMD_PROGRESS_H

#include <stddef.h>

struct progress;

enum progress_kind { PROGRESS_TEXT, PROGRESS_BAR, PROGRESS_BOUNCE };

/*
 * One field of the line.  Fields with the lowest prio are dropped first
 * when the line does not fit; a bar (PROGRESS_BAR: frac done, 0 to 1,
 * drawn "[===>   ] 45%"; PROGRESS_BOUNCE: a marker at frac of the way,
 * for an unknown total) takes the width the other fields leave, and is
 * dropped when that is under 8 columns.  Empty text fields are skipped.
 */
struct progress_field {
	enum progress_kind kind;
	const char *text;
	int prio;
	double frac;
};

/*
 * A drawer on fd (standard error).  cursor asks for pv's -c; width and
 * height, when > 0, override the terminal's (pv's -w and -H).  Without a
 * terminal the drawer draws plain lines.  Never fails: without memory or
 * a terminal it degrades to plain lines.
 */
struct progress *progress_open(int fd, int cursor, int width, int height);

/* Whether the drawer writes plain lines (standard error not a terminal). */
int progress_plain(const struct progress *pg);

/* The width lines are fitted to. */
int progress_width(const struct progress *pg);

/* Sets the width and height overrides again (0: the terminal's). */
void progress_set_size(struct progress *pg, int width, int height);

/*
 * Draws the line: the n fields joined by sep, fitted to the width.  The
 * line is kept, for progress_resize and progress_above to draw again.
 */
void progress_draw(struct progress *pg, const struct progress_field *f,
                   size_t n, const char *sep);

/*
 * Fits the fields to width columns into buf (len bytes) without drawing:
 * for a line printed once, such as pump's answer to SIGUSR1.
 */
void progress_format(char *buf, size_t len, const struct progress_field *f,
                     size_t n, const char *sep, int width);

/* Rereads the terminal's size (after SIGWINCH) and draws the line again. */
void progress_resize(struct progress *pg);

/*
 * Prints text (one line, without its newline) above the progress line,
 * which stays below it: tar -v's names over tarstream's line.
 */
void progress_above(struct progress *pg, const char *text);

/*
 * Leaves the last line drawn where it is, ends it with a newline, and
 * frees the drawer (and its share of the cursor state).  NULL is fine.
 */
void progress_close(struct progress *pg);

/* Formats seconds as H:MM:SS (D:HH:MM:SS past a day) into buf. */
const char *progress_clock(char *buf, size_t len, double s);

/*
 * Formats an amount as pv does: three or four digits and a prefix, binary
 * for bytes ("1.50MiB", "100 B"), decimal for counts ("12.3k"), followed
 * by unit ("B", "B/s", "/s" or "").
 */
const char *progress_amount(char *buf, size_t len, double v, int bytes,
                            const char *unit);

#endif
