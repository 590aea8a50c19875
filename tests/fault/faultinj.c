/*
 * faultinj.so - make chosen system calls fail, for the fault matrix.
 *
 *   SK_FAULT=CALL:N[+]:KIND[,CALL:N[+]:KIND]... LD_PRELOAD=faultinj.so prog
 *
 * The Nth use of CALL (counted from 1, across all threads) fails as KIND
 * says; with "N+", that use and every later one.  CALL is one of read
 * (also pread, readv), write (also pwrite, writev), splice, sendfile,
 * copy_file_range, open (also openat), lseek, fsync (also fdatasync),
 * rename (also renameat, renameat2), or tmalloc: malloc, calloc and
 * realloc called by any thread but the main one (counted there only).
 * KIND is EINTR, EAGAIN, ENOSPC, EIO, EPIPE, ELOOP, ENOENT or ENOMEM (the
 * call returns -1, or NULL, with that errno and does nothing; ELOOP and
 * ENOENT on open stand for a name swapped for a link or removed since it
 * was looked at) or
 * "short" (the call goes through on half the bytes asked, at least one;
 * for calls without a byte count, it goes through unchanged).
 *
 * Only the program named by $SK_FAULT_PROG (its basename) is injected, so
 * that env(1) or a shell on the way there is not.  Each fault that fires
 * appends "CALL N KIND" to $SK_FAULT_LOG, when set, so a test knows
 * whether its fault was reached.  In the injected program the variables
 * are removed from the environment at start, so the commands it runs are
 * not injected.
 */
#define _GNU_SOURCE
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	C_READ,
	C_WRITE,
	C_SPLICE,
	C_SENDFILE,
	C_CFR,
	C_OPEN,
	C_LSEEK,
	C_FSYNC,
	C_RENAME,
	C_TMALLOC,
	NCALLS
};
static const char *const names[NCALLS] = {
    "read", "write", "splice", "sendfile", "copy_file_range",
    "open", "lseek", "fsync",  "rename",   "tmalloc"};

#define SHORT    (-1)
#define MAXRULES 8

struct rule {
	int call;
	unsigned long nth;
	int sticky; /* N+: from the Nth on */
	int kind;   /* an errno, or SHORT */
};

static struct rule rules[MAXRULES];
static int nrules;
static int tmalloc_rules;    /* some rule is on tmalloc */
static __thread int on_main; /* set on the main thread */
static unsigned long counts[NCALLS];
static char logpath[4096];

static int
parse_kind(const char *s)
{
	static const struct {
		const char *name;
		int val;
	} kinds[] = {{"EINTR", EINTR},   {"EAGAIN", EAGAIN}, {"ENOSPC", ENOSPC},
	             {"EIO", EIO},       {"EPIPE", EPIPE},   {"ELOOP", ELOOP},
	             {"ENOENT", ENOENT}, {"ENOMEM", ENOMEM}, {"short", SHORT}};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(s, kinds[i].name) == 0)
			return kinds[i].val;
	return 0;
}

__attribute__((constructor)) static void
faultinj_init(void)
{
	char spec[1024], exe[4096], *save = NULL, *tok, *base;
	const char *env = getenv("SK_FAULT"), *lp = getenv("SK_FAULT_LOG");
	const char *prog = getenv("SK_FAULT_PROG");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	on_main = 1; /* constructors run there */
	if (prog == NULL || n <= 0)
		return;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	if (strcmp(base ? base + 1 : exe, prog) != 0)
		return;
	unsetenv("SK_FAULT_PROG");
	if (lp != NULL)
		snprintf(logpath, sizeof logpath, "%s", lp);
	if (env == NULL)
		return;
	snprintf(spec, sizeof spec, "%s", env);
	for (tok = strtok_r(spec, ",", &save); tok && nrules < MAXRULES;
	     tok = strtok_r(NULL, ",", &save)) {
		char call[32], nth[32], kind[32];
		struct rule r = {0};
		if (sscanf(tok, "%31[^:]:%31[^:]:%31s", call, nth, kind) != 3)
			continue;
		for (r.call = 0;
		     r.call < NCALLS && strcmp(names[r.call], call) != 0;
		     r.call++)
			continue;
		r.nth = strtoul(nth, NULL, 10);
		r.sticky = strchr(nth, '+') != NULL;
		r.kind = parse_kind(kind);
		if (r.call < NCALLS && r.nth > 0 && r.kind != 0) {
			rules[nrules++] = r;
			tmalloc_rules |= r.call == C_TMALLOC;
		}
	}
	unsetenv("SK_FAULT");
	unsetenv("SK_FAULT_LOG");
	unsetenv("LD_PRELOAD");
}

static void
note(int call, unsigned long n, int kind)
{
	char line[128];
	int e = errno, len;
	long fd;

	if (logpath[0] == '\0')
		return;
	len = snprintf(line, sizeof line, "%s %lu %s\n", names[call], n,
	               kind == SHORT ? "short" : strerrorname_np(kind));
	/* Raw system calls: the log must not count as a use. */
	fd = syscall(SYS_openat, AT_FDCWD, logpath,
	             O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		long w = syscall(SYS_write, fd, line, (size_t)len);
		(void)w;
		syscall(SYS_close, fd);
	}
	errno = e;
}

/*
 * Counts one use of call.  Returns 0 to let it through as asked, an errno
 * to fail with, or SHORT.
 */
static int
fault(int call)
{
	unsigned long n =
	    __atomic_add_fetch(&counts[call], 1, __ATOMIC_SEQ_CST);

	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];
		if (r->call == call &&
		    (n == r->nth || (r->sticky && n > r->nth))) {
			note(call, n, r->kind);
			return r->kind;
		}
	}
	return 0;
}

static void *
real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static size_t
half(size_t n)
{
	return n > 1 ? n / 2 : n;
}

/* Byte-count calls: ssize_t f(..., size_t n); "short" halves n. */
#define FAIL_OR(call, n)                                                       \
	do {                                                                   \
		int k_ = fault(call);                                          \
		if (k_ > 0) {                                                  \
			errno = k_;                                            \
			return -1;                                             \
		}                                                              \
		if (k_ == SHORT)                                               \
			n = half(n);                                           \
	} while (0)

/* Calls without a byte count: "short" lets them through. */
#define FAIL(call)                                                             \
	do {                                                                   \
		int k_ = fault(call);                                          \
		if (k_ > 0) {                                                  \
			errno = k_;                                            \
			return -1;                                             \
		}                                                              \
	} while (0)

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*f)(int, void *, size_t);
	if (!f)
		f = real("read");
	FAIL_OR(C_READ, n);
	return f(fd, buf, n);
}

ssize_t
pread64(int fd, void *buf, size_t n, off_t off)
{
	static ssize_t (*f)(int, void *, size_t, off_t);
	if (!f)
		f = real("pread64");
	FAIL_OR(C_READ, n);
	return f(fd, buf, n, off);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	return pread64(fd, buf, n, off);
}

ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*f)(int, const struct iovec *, int);
	size_t one;
	if (!f)
		f = real("readv");
	one = cnt > 0 ? iov[0].iov_len : 0;
	FAIL_OR(C_READ, one);
	if (cnt > 0 && one < iov[0].iov_len)
		return read(fd, iov[0].iov_base, one);
	return f(fd, iov, cnt);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*f)(int, const void *, size_t);
	if (!f)
		f = real("write");
	FAIL_OR(C_WRITE, n);
	return f(fd, buf, n);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*f)(int, const void *, size_t, off_t);
	if (!f)
		f = real("pwrite64");
	FAIL_OR(C_WRITE, n);
	return f(fd, buf, n, off);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite64(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*f)(int, const struct iovec *, int);
	static ssize_t (*w)(int, const void *, size_t);
	size_t one;
	if (!f) {
		f = real("writev");
		w = real("write");
	}
	one = cnt > 0 ? iov[0].iov_len : 0;
	FAIL_OR(C_WRITE, one);
	if (cnt > 0 && one < iov[0].iov_len)
		return w(fd, iov[0].iov_base, one);
	return f(fd, iov, cnt);
}

ssize_t
splice(int in, loff_t *inoff, int out, loff_t *outoff, size_t n, unsigned flags)
{
	static ssize_t (*f)(int, loff_t *, int, loff_t *, size_t, unsigned);
	if (!f)
		f = real("splice");
	FAIL_OR(C_SPLICE, n);
	return f(in, inoff, out, outoff, n, flags);
}

ssize_t
sendfile64(int out, int in, off_t *off, size_t n)
{
	static ssize_t (*f)(int, int, off_t *, size_t);
	if (!f)
		f = real("sendfile64");
	FAIL_OR(C_SENDFILE, n);
	return f(out, in, off, n);
}

ssize_t
sendfile(int out, int in, off_t *off, size_t n)
{
	return sendfile64(out, in, off, n);
}

ssize_t
copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t n,
                unsigned flags)
{
	static ssize_t (*f)(int, off_t *, int, off_t *, size_t, unsigned);
	if (!f)
		f = real("copy_file_range");
	FAIL_OR(C_CFR, n);
	return f(in, inoff, out, outoff, n, flags);
}

static mode_t
mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE
	           ? va_arg(ap, mode_t)
	           : 0;
}

int
open64(const char *path, int flags, ...)
{
	static int (*f)(const char *, int, ...);
	va_list ap;
	mode_t m;
	if (!f)
		f = real("open64");
	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	FAIL(C_OPEN);
	return f(path, flags, m);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;
	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return open64(path, flags, m);
}

int
openat64(int dir, const char *path, int flags, ...)
{
	static int (*f)(int, const char *, int, ...);
	va_list ap;
	mode_t m;
	if (!f)
		f = real("openat64");
	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	FAIL(C_OPEN);
	return f(dir, path, flags, m);
}

int
openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;
	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return openat64(dir, path, flags, m);
}

off_t
lseek64(int fd, off_t off, int whence)
{
	static off_t (*f)(int, off_t, int);
	if (!f)
		f = real("lseek64");
	FAIL(C_LSEEK);
	return f(fd, off, whence);
}

off_t
lseek(int fd, off_t off, int whence)
{
	return lseek64(fd, off, whence);
}

int
fsync(int fd)
{
	static int (*f)(int);
	if (!f)
		f = real("fsync");
	FAIL(C_FSYNC);
	return f(fd);
}

int
fdatasync(int fd)
{
	static int (*f)(int);
	if (!f)
		f = real("fdatasync");
	FAIL(C_FSYNC);
	return f(fd);
}

int
rename(const char *a, const char *b)
{
	static int (*f)(const char *, const char *);
	if (!f)
		f = real("rename");
	FAIL(C_RENAME);
	return f(a, b);
}

int
renameat(int da, const char *a, int db, const char *b)
{
	static int (*f)(int, const char *, int, const char *);
	if (!f)
		f = real("renameat");
	FAIL(C_RENAME);
	return f(da, a, db, b);
}

int
renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
	static int (*f)(int, const char *, int, const char *, unsigned);
	if (!f)
		f = real("renameat2");
	FAIL(C_RENAME);
	return f(da, a, db, b, flags);
}

/* glibc's allocator under its other names: no dlsym, which allocates. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

/* Whether this allocation fails: counted only off the main thread, and
 * only when a rule asks (no cost to the other rules' runs). */
static int
alloc_fails(void)
{
	if (!tmalloc_rules || on_main)
		return 0;
	if (fault(C_TMALLOC) > 0) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *
malloc(size_t n)
{
	return alloc_fails() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __libc_realloc(p, n);
}
