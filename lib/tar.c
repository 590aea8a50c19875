/*
 * tar.c - the tar producer: a walk of the tree, headers through
 * libarchive's write API, bodies read here so that each one matches its
 * header whatever the file does meanwhile.  Output goes to a descriptor or
 * through a producer queue (sk_tar_stream_open).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "sk_impl.h"

#define BODY_BUF (128 * 1024)

struct sk_tar {
	struct archive *a;
	struct archive *disk;   /* metadata: owner names, xattrs, ACLs */
	struct archive *sparse; /* the same, looking for holes too */
	struct archive_entry_linkresolver *links;
	struct sk_tar_options opt;
	int fd; /* output, or -1 through the producer */
	sk_producer *producer;
	char *buf;  /* file bodies pass through here */
	int warned; /* something was skipped or changed */
	int err;    /* writing the archive failed: sticky */
	int said_slash, said_dotdot;
	uint64_t written;
	int skip; /* the archive is a regular file: never store it */
	dev_t skip_dev;
	ino_t skip_ino;
	/* The name of the entry being stored: one buffer for the whole
	 * walk, not one per level of the recursion (a tree may be 2000
	 * levels deep). */
	char name[4096];
	/* The directories being walked, from the argument down: a loop
	 * (-h, bind mounts) is not entered twice. */
	struct walk_dir {
		dev_t dev;
		ino_t ino;
	} * dirs;
	size_t ndirs, adirs;
	int skip2; /* nor the file it will replace (opt.archive_path) */
	dev_t skip2_dev;
	ino_t skip2_ino;
	uint64_t files, data; /* entries stored, body bytes read */
	int dry;              /* sk_tar_scan: walk and count, store nothing */
	/* zstd is compressed here, not by libarchive, for its threads. */
	ZSTD_CCtx *zc;
	char *zbuf;
	size_t zcap;
	/* The fast path (plain tar into a pipe): libarchive unbuffered,
	 * its writes coalesced here, bodies spliced from the files. */
	int fast;
	int discard; /* drop what libarchive writes (a spliced body's zeros) */
	char *obuf;
	size_t olen;
};

static void
warn_at(sk_tar *t, const char *path, int err, const char *what)
{
	t->warned = 1;
	if (t->opt.warn)
		t->opt.warn(t->opt.arg, path, err, what);
}

#define OBUF (128 * 1024)
/* Bodies smaller than this are copied: a splice costs more than it saves. */
#define FAST_MIN (64 * 1024)

/* Sends archive bytes to the output; 0 or -1 with errno. */
static int
emit(sk_tar *t, const void *buf, size_t n)
{
	int r = t->producer ? sk_producer_write(t->producer, buf, n)
	                    : sk_write_all(t->fd, buf, n);

	if (r < 0)
		return -1;
	t->written += n;
	return 0;
}

/* Runs bytes (or, with end, the frame's end) through zstd; 0 or -1. */
static int
zstd_push(sk_tar *t, const void *buf, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {buf, n, 0};
	size_t left;

	do {
		ZSTD_outBuffer out = {t->zbuf, t->zcap, 0};
		left = ZSTD_compressStream2(t->zc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			errno = EIO;
			return -1;
		}
		if (out.pos > 0 && emit(t, t->zbuf, out.pos) < 0)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

/* Writes out what the fast path has coalesced; 0 or -1. */
static int
flush(sk_tar *t)
{
	size_t n = t->olen;

	t->olen = 0;
	return n ? emit(t, t->obuf, n) : 0;
}

/* The fast path's output: small writes gathered into one. */
static int
gather(sk_tar *t, const void *buf, size_t n)
{
	if (t->discard)
		return 0;
	if (t->olen + n > OBUF && flush(t) < 0)
		return -1;
	if (n >= OBUF)
		return emit(t, buf, n);
	memcpy(t->obuf + t->olen, buf, n);
	t->olen += n;
	return 0;
}

static la_ssize_t
tar_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	sk_tar *t = ctx;
	int r = t->zc     ? zstd_push(t, buf, n, ZSTD_e_continue)
	        : t->fast ? gather(t, buf, n)
	                  : emit(t, buf, n);

	if (r < 0) {
		t->err = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	return (la_ssize_t)n;
}

/*
 * zstd on all cores (or opt.threads), at the level asked (default 3), with
 * a checksum as the zstd tool writes.  The output does not depend on the
 * number of threads, so reproducible archives stay reproducible.
 */
static int
setup_zstd(sk_tar *t)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = t->opt.threads > 0 ? t->opt.threads
	              : cores > 1        ? (int)cores
	                                 : 0;

	if ((t->zc = ZSTD_createCCtx()) == NULL)
		return -1;
	t->zcap = ZSTD_CStreamOutSize();
	if ((t->zbuf = malloc(t->zcap)) == NULL)
		return -1;
	if (ZSTD_isError(
	        ZSTD_CCtx_setParameter(t->zc, ZSTD_c_compressionLevel,
	                               t->opt.level ? t->opt.level : 3)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(t->zc, ZSTD_c_checksumFlag, 1)))
		return -1;
	/* A libzstd built without threads refuses workers: run on one. */
	if (workers > 1)
		(void)ZSTD_CCtx_setParameter(t->zc, ZSTD_c_nbWorkers, workers);
	return 0;
}

/* Makes the compressor and format libarchive should use; 0 or -1. */
static int
setup(sk_tar *t)
{
	struct archive *a = t->a;
	char num[32];
	int r;

	switch (t->opt.format) {
	case SK_TAR_PAX:
		r = archive_write_set_format_pax_restricted(a);
		break;
	case SK_TAR_USTAR:
		r = archive_write_set_format_ustar(a);
		break;
	case SK_TAR_GNU:
		r = archive_write_set_format_gnutar(a);
		break;
	default:
		return -1;
	}
	if (r != ARCHIVE_OK)
		return -1;
	switch (t->opt.compress) {
	case SK_TAR_PLAIN:
		r = archive_write_add_filter_none(a);
		break;
	case SK_TAR_GZIP:
		r = archive_write_add_filter_gzip(a);
		/* No time stamp in the gzip header: same input, same bytes. */
		if (r == ARCHIVE_OK)
			archive_write_set_filter_option(a, "gzip", "timestamp",
			                                NULL);
		break;
	case SK_TAR_BZIP2:
		r = archive_write_add_filter_bzip2(a);
		break;
	case SK_TAR_XZ:
		r = archive_write_add_filter_xz(a);
		snprintf(num, sizeof num, "%d", t->opt.threads);
		if (r == ARCHIVE_OK)
			archive_write_set_filter_option(a, "xz", "threads",
			                                num);
		break;
	case SK_TAR_ZSTD:
		r = setup_zstd(t) < 0 ? ARCHIVE_FATAL
		                      : archive_write_add_filter_none(a);
		break;
	default:
		return -1;
	}
	if (r != ARCHIVE_OK)
		return -1;
	if (t->opt.level > 0 && t->zc == NULL) {
		snprintf(num, sizeof num, "%d", t->opt.level);
		if (archive_write_set_filter_option(
		        a, NULL, "compression-level", num) != ARCHIVE_OK)
			return -1;
	}
	/* Blocking: fixed records only when asked for.  Otherwise keep
	 * libarchive's buffering but never pad the last block: zeros after
	 * a compressed stream's end are garbage to zstd -d and tar --zstd. */
	if (t->opt.blocking > 0) {
		archive_write_set_bytes_per_block(a, t->opt.blocking * 512);
	} else if (t->fast) {
		/* Every write straight to tar_write, which gathers them:
		 * nothing may sit in libarchive when a body is spliced. */
		archive_write_set_bytes_per_block(a, 0);
	} else {
		archive_write_set_bytes_per_block(a, 10240);
		archive_write_set_bytes_in_last_block(a, 1);
	}
	return 0;
}

/* A tar writing to fd, or to producer when fd is -1. */
static sk_tar *
tar_new(int fd, sk_producer *producer, const struct sk_tar_options *opt)
{
	sk_tar *t = calloc(1, sizeof *t);
	struct stat st;
	int e;

	if (t == NULL)
		return NULL;
	if (opt)
		t->opt = *opt;
	t->fd = fd;
	t->producer = producer;
	if (t->opt.reproducible)
		t->opt.sort = 1;
	if (fd < 0 || fstat(fd, &st) < 0)
		st.st_mode = 0;
	if (S_ISREG(st.st_mode)) {
		t->skip = 1;
		t->skip_dev = st.st_dev;
		t->skip_ino = st.st_ino;
	}
	if (t->opt.archive_path && stat(t->opt.archive_path, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		t->skip2 = 1;
		t->skip2_dev = st.st_dev;
		t->skip2_ino = st.st_ino;
	}
	t->opt.archive_path = NULL; /* borrowed: not kept */
	if (S_ISFIFO(st.st_mode) && t->opt.compress == SK_TAR_PLAIN &&
	    t->opt.blocking == 0) {
		if ((t->obuf = malloc(OBUF)) == NULL)
			goto fail;
		t->fast = 1;
		sk_pipe_grow(fd, (size_t)1 << 20);
	}
	if ((t->buf = malloc(BODY_BUF)) == NULL ||
	    (t->a = archive_write_new()) == NULL ||
	    (t->disk = archive_read_disk_new()) == NULL ||
	    (t->sparse = archive_read_disk_new()) == NULL ||
	    (t->links = archive_entry_linkresolver_new()) == NULL)
		goto fail;
	/* The disk reader only describes files we opened: owner names
	 * (cached), and xattrs, ACLs and holes where asked for. */
	archive_read_disk_set_standard_lookup(t->disk);
	archive_read_disk_set_standard_lookup(t->sparse);
	/* Looking for holes costs several lseeks a file: only files whose
	 * blocks cannot hold their size get the reader that looks. */
	archive_read_disk_set_behavior(
	    t->disk, ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE |
	                 (t->opt.xattrs ? 0 : ARCHIVE_READDISK_NO_XATTR) |
	                 (t->opt.acls ? 0 : ARCHIVE_READDISK_NO_ACL));
	archive_read_disk_set_behavior(
	    t->sparse, ARCHIVE_READDISK_NO_FFLAGS |
	                   (t->opt.xattrs ? 0 : ARCHIVE_READDISK_NO_XATTR) |
	                   (t->opt.acls ? 0 : ARCHIVE_READDISK_NO_ACL));
	if (setup(t) < 0) {
		errno = EINVAL;
		goto fail;
	}
	archive_entry_linkresolver_set_strategy(t->links, archive_format(t->a));
	if (archive_write_open2(t->a, t, NULL, tar_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		errno = t->err ? t->err : EIO;
		goto fail;
	}
	return t;
fail:
	e = errno ? errno : ENOMEM;
	if (t->links)
		archive_entry_linkresolver_free(t->links);
	if (t->a)
		archive_write_free(t->a);
	if (t->disk)
		archive_read_free(t->disk);
	if (t->sparse)
		archive_read_free(t->sparse);
	ZSTD_freeCCtx(t->zc);
	free(t->zbuf);
	free(t->obuf);
	free(t->buf);
	free(t->dirs);
	free(t);
	errno = e;
	return NULL;
}

/*
 * The stored name: relative, without "." and ".." components.  Returns 0,
 * or -1 when it does not fit in outlen bytes (never a shortened name).
 */
static int
archive_name(sk_tar *t, const char *path, char *out, size_t outlen)
{
	const char *p = path;
	size_t n = 0;

	if (*p == '/') {
		while (*p == '/')
			p++;
		if (!t->said_slash) {
			t->said_slash = 1;
			if (t->opt.warn)
				t->opt.warn(
				    t->opt.arg, NULL, 0,
				    "removing leading '/' from member names");
		}
	}
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* an empty or "." component: nothing to store */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* Go up one stored component; above the top, drop it.
			 */
			if (n > 0) {
				while (n > 0 && out[n - 1] != '/')
					n--;
				if (n > 0)
					n--;
			} else if (!t->said_dotdot) {
				t->said_dotdot = 1;
				if (t->opt.warn)
					t->opt.warn(
					    t->opt.arg, NULL, 0,
					    "removing '..' from member names");
			}
		} else if (n + (n > 0) + len + 1 > outlen) {
			out[0] = '\0';
			return -1;
		} else {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	out[n] = '\0';
	return 0;
}

static int
excluded(sk_tar *t, const char *name, const char *path)
{
	static const char *const vcs[] = {
	    ".git",   ".svn",       ".hg",         ".bzr",          "CVS",
	    "_darcs", ".gitignore", ".gitmodules", ".gitattributes"};

	if (t->opt.exclude_vcs)
		for (size_t i = 0; i < sizeof vcs / sizeof vcs[0]; i++)
			if (strcmp(name, vcs[i]) == 0)
				return 1;
	for (size_t i = 0; i < t->opt.nexclude; i++) {
		const char *pat = t->opt.exclude[i];
		if (strchr(pat, '/') ? fnmatch(pat, path, 0) == 0
		                     : fnmatch(pat, name, 0) == 0)
			return 1;
	}
	return 0;
}

/* Owners and times as the options say, over what the file has. */
static void
override(sk_tar *t, struct archive_entry *e)
{
	const struct sk_tar_options *o = &t->opt;

	if (o->reproducible) {
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
	}
	if (o->set_uid)
		archive_entry_set_uid(e, o->uid);
	if (o->set_gid)
		archive_entry_set_gid(e, o->gid);
	if (o->reproducible || o->numeric_owner) {
		archive_entry_copy_uname(e, NULL);
		archive_entry_copy_gname(e, NULL);
	}
	if (o->uname)
		archive_entry_copy_uname(e, o->uname);
	if (o->gname)
		archive_entry_copy_gname(e, o->gname);
	if (o->mtime_mode == SK_TAR_MTIME_SET ||
	    (o->mtime_mode == SK_TAR_MTIME_CLAMP &&
	     archive_entry_mtime(e) > o->mtime))
		archive_entry_set_mtime(e, o->mtime, 0);
	else if (o->reproducible)
		archive_entry_set_mtime(e, archive_entry_mtime(e), 0);
}

/* After a body: did the file grow or change while it was read? */
static void
changed_check(sk_tar *t, int fd, const char *path, int64_t size,
              const struct stat *before)
{
	struct stat after;

	if (fstat(fd, &after) < 0)
		return;
	if (after.st_size > size)
		warn_at(t, path, 0, "file grew while read; stored as it was");
	else if (after.st_size == size &&
	         (after.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	          after.st_mtim.tv_nsec != before->st_mtim.tv_nsec))
		warn_at(t, path, 0, "file changed while read");
}

/* Writes n zero bytes of body; 0 or -1. */
static int
write_zeros(sk_tar *t, int64_t n)
{
	memset(t->buf, 0, BODY_BUF);
	while (n > 0) {
		size_t k = n > BODY_BUF ? BODY_BUF : (size_t)n;
		if (archive_write_data(t->a, t->buf, k) < 0)
			return -1;
		n -= (int64_t)k;
	}
	return 0;
}

/*
 * Writes exactly size bytes of the file's body, whatever the file does:
 * padded with zeros when it shrank or failed, cut when it grew.  Returns
 * 0, or -1 when writing the archive failed.
 */
static int
write_body(sk_tar *t, int fd, const char *path, int64_t size,
           const struct stat *before)
{
	int64_t left = size;

	while (left > 0) {
		size_t k = left > BODY_BUF ? BODY_BUF : (size_t)left;
		ssize_t r = sk__read(fd, t->buf, k);
		if (r <= 0) {
			warn_at(t, path, r < 0 ? errno : 0,
			        r < 0
			            ? "read error; the rest is stored as zeros"
			            : "file shrank while read; padded with "
			              "zeros");
			return write_zeros(t, left);
		}
		if (archive_write_data(t->a, t->buf, (size_t)r) < 0)
			return -1;
		left -= r;
		t->data += (uint64_t)r;
		if (t->opt.tick)
			t->opt.tick(t->opt.arg);
	}
	changed_check(t, fd, path, size, before);
	return 0;
}

/*
 * The fast path's body: libarchive has the header; its zeros for the body
 * are dropped, the file is spliced into the pipe, and the padding written
 * here.  Same guarantees as write_body.  0, or -1 when the output failed.
 */
static int
splice_body(sk_tar *t, int fd, const char *path, int64_t size,
            const struct stat *before)
{
	static const char zeros[512];
	int64_t left = size, pad = (512 - size % 512) % 512;
	loff_t off = 0;
	int r;

	t->discard = 1;
	r = archive_write_finish_entry(t->a);
	t->discard = 0;
	if (r == ARCHIVE_FATAL || flush(t) < 0)
		return -1;
	while (left > 0) {
		ssize_t n = splice(fd, &off, t->fd, NULL,
		                   left > (1 << 20) ? (1 << 20) : (size_t)left,
		                   SPLICE_F_MOVE | SPLICE_F_MORE);
		if (n > 0) {
			left -= n;
			t->written += (uint64_t)n;
			t->data += (uint64_t)n;
			if (t->opt.tick)
				t->opt.tick(t->opt.arg);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && sk__wait(t->fd, POLLOUT) == 0)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ENOSPC)) {
			t->err = errno;
			return -1;
		}
		warn_at(t, path, n < 0 ? errno : 0,
		        n < 0 ? "read error; the rest is stored as zeros"
		              : "file shrank while read; padded with zeros");
		pad += left;
		left = 0;
	}
	while (pad > 0) {
		size_t k = pad > 512 ? 512 : (size_t)pad;
		if (gather(t, zeros, k) < 0)
			return -1;
		pad -= (int64_t)k;
	}
	changed_check(t, fd, path, size, before);
	return 0;
}

/* Writes one entry (and its body); 0, or -1 when the archive failed. */
static int
write_entry(sk_tar *t, struct archive_entry *e, int fd, const char *path,
            const struct stat *st)
{
	struct archive_entry *spare = NULL;
	int r;

	archive_entry_linkify(t->links, &e, &spare);
	if (e == NULL)
		return 0;
	r = archive_write_header(t->a, e);
	if (r == ARCHIVE_FATAL) {
		if (!t->err)
			t->err =
			    archive_errno(t->a) ? archive_errno(t->a) : EIO;
		return -1;
	}
	if (r < ARCHIVE_WARN) {
		warn_at(t, path, archive_errno(t->a),
		        archive_error_string(t->a));
		return 0;
	}
	if (r == ARCHIVE_WARN)
		warn_at(t, path, 0, archive_error_string(t->a));
	t->files++;
	if (t->opt.entry)
		t->opt.entry(t->opt.arg, archive_entry_pathname(e));
	if (t->opt.tick)
		t->opt.tick(t->opt.arg);
	if (fd >= 0 && archive_entry_size(e) >= FAST_MIN && t->fast &&
	    archive_entry_sparse_count(e) == 0) {
		if (splice_body(t, fd, path, archive_entry_size(e), st) < 0) {
			if (!t->err)
				t->err = errno ? errno : EIO;
			return -1;
		}
	} else if (fd >= 0 && archive_entry_size(e) > 0 &&
	           write_body(t, fd, path, archive_entry_size(e), st) < 0) {
		if (!t->err)
			t->err =
			    archive_errno(t->a) ? archive_errno(t->a) : EIO;
		return -1;
	}
	return 0;
}

/* Names are kept after one byte holding readdir's d_type. */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static int add_tree(sk_tar *t, char *path, size_t plen, size_t cap,
                    dev_t root_dev, int top);

/*
 * Adds the entries of the directory at path (plen long in a buffer of
 * cap), which was stat'ed as *st; 0, or -1 when the archive failed.  The
 * directory is opened without following a link and must be the one
 * stat'ed (a symbolic link swapped in meanwhile is not listed), and one
 * that is already being walked further up (a loop through -h or a bind
 * mount) is not entered again.
 */
static int
add_dir(sk_tar *t, char *path, size_t plen, size_t cap, dev_t root_dev,
        const struct stat *st)
{
	DIR *d;
	struct dirent *de;
	struct stat dst;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0, dfd;

	for (size_t i = 0; i < t->ndirs; i++) {
		if (t->dirs[i].dev == st->st_dev &&
		    t->dirs[i].ino == st->st_ino) {
			warn_at(t, path, 0,
			        "directory loop; not entered again");
			return 0;
		}
	}
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY |
	                     (t->opt.follow ? 0 : O_NOFOLLOW));
	if (dfd < 0) {
		warn_at(t, path, errno, "cannot read directory");
		return 0;
	}
	if (fstat(dfd, &dst) < 0 || dst.st_dev != st->st_dev ||
	    dst.st_ino != st->st_ino) {
		close(dfd);
		warn_at(t, path, 0, "replaced while read; skipped");
		return 0;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		warn_at(t, path, errno, "cannot read directory");
		close(dfd);
		return 0;
	}
	if (t->ndirs == t->adirs) {
		size_t na = t->adirs ? t->adirs * 2 : 64;
		void *nd = realloc(t->dirs, na * sizeof *t->dirs);
		if (nd == NULL) {
			closedir(d);
			t->err = ENOMEM;
			return -1;
		}
		t->dirs = nd;
		t->adirs = na;
	}
	t->dirs[t->ndirs].dev = st->st_dev;
	t->dirs[t->ndirs++].ino = st->st_ino;
	/* One directory's names at a time: the only list the walk keeps. */
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *copy;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			char **nn =
			    realloc(names, (alloc = alloc ? alloc * 2 : 64) *
			                       sizeof *names);
			if (nn == NULL)
				break;
			names = nn;
		}
		if ((copy = malloc(strlen(de->d_name) + 2)) == NULL)
			break;
		copy[0] = (char)de->d_type;
		strcpy(copy + 1, de->d_name);
		names[n++] = copy;
	}
	if (errno)
		warn_at(t, path, errno, "cannot read directory");
	closedir(d);
	if (t->opt.sort && n > 1)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		const char *nm = names[i] + 1;
		size_t len = strlen(nm);
		if (rc == 0) {
			if (plen + 1 + len + 1 > cap) {
				warn_at(t, nm, ENAMETOOLONG, "name too long");
			} else {
				size_t at = plen;
				if (at == 0 || path[at - 1] != '/')
					path[at++] = '/';
				memcpy(path + at, nm, len + 1);
				rc = add_tree(t, path, at + len, cap, root_dev,
				              names[i][0] == DT_REG ? 2 : 0);
				path[plen] = '\0';
			}
		}
		free(names[i]);
	}
	free(names);
	t->ndirs--;
	return rc;
}

static int
add_tree(sk_tar *t, char *path, size_t plen, size_t cap, dev_t root_dev,
         int top)
{
	struct archive_entry *e;
	struct archive *disk;
	struct stat st, fst;
	char *name = t->name;
	const char *base = strrchr(path, '/');
	int fd = -1, rc, opened = 0;

	base = base && base[1] ? base + 1 : path;
	if (top != 1 && excluded(t, base, path))
		return 0;
	/* readdir said a regular file (top == 2): open it and stat the
	 * descriptor, one stat instead of two.  Anything else found there
	 * (swapped since the readdir) is closed unread and goes the careful
	 * way; O_NONBLOCK keeps a fifo from blocking the open. */
	if (top == 2 && !t->opt.follow && !t->dry) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
		                    O_NONBLOCK);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			opened = 1;
		} else if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (!opened &&
	    (t->opt.follow ? stat(path, &st) : lstat(path, &st)) < 0) {
		warn_at(t, path, errno, "cannot stat; skipped");
		return 0;
	}
	if (S_ISSOCK(st.st_mode)) {
		warn_at(t, path, 0, "socket ignored");
		return 0;
	}
	if (S_ISREG(st.st_mode) && ((t->skip && st.st_dev == t->skip_dev &&
	                             st.st_ino == t->skip_ino) ||
	                            (t->skip2 && st.st_dev == t->skip2_dev &&
	                             st.st_ino == t->skip2_ino))) {
		if (fd >= 0)
			close(fd);
		warn_at(t, path, 0, "the archive itself; not stored");
		return 0;
	}
	if (t->dry) {
		t->files++;
		if (S_ISREG(st.st_mode))
			t->data += (uint64_t)st.st_size;
		if (S_ISDIR(st.st_mode) &&
		    !(t->opt.one_file_system && st.st_dev != root_dev))
			return add_dir(t, path, plen, cap, root_dev, &st);
		return 0;
	}
	if (S_ISREG(st.st_mode) && !opened) {
		/* Never follow a link swapped in since the stat, and check
		 * that what opened is what was seen. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
		                    (t->opt.follow ? 0 : O_NOFOLLOW));
		if (fd < 0) {
			warn_at(t, path, errno, "cannot open; skipped");
			return 0;
		}
		if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev ||
		    fst.st_ino != st.st_ino) {
			close(fd);
			warn_at(t, path, 0, "replaced while read; skipped");
			return 0;
		}
		st = fst;
	}
	if (archive_name(t, path, name, sizeof t->name) < 0) {
		if (fd >= 0)
			close(fd);
		warn_at(t, path, ENAMETOOLONG, "name too long; skipped");
		return 0;
	}
	if (name[0] == '\0') {
		/* The argument itself was "/" or ".": only its contents. */
		if (S_ISDIR(st.st_mode))
			return add_dir(t, path, plen, cap, root_dev, &st);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if ((e = archive_entry_new2(t->a)) == NULL) {
		if (fd >= 0)
			close(fd);
		t->err = ENOMEM;
		return -1;
	}
	archive_entry_copy_pathname(e, name);
	archive_entry_copy_sourcepath(e, path);
	/* Stat fields, names, link target, and on request xattrs and
	 * ACLs; holes of regular files (the format stores them sparse). */
	disk = S_ISREG(st.st_mode) && (int64_t)st.st_blocks * 512 < st.st_size
	           ? t->sparse
	           : t->disk;
	if (archive_read_disk_entry_from_file(disk, e, fd, &st) <
	    ARCHIVE_WARN) {
		warn_at(t, path, archive_errno(disk),
		        archive_error_string(disk));
		archive_entry_free(e);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	override(t, e);
	if (!S_ISREG(st.st_mode))
		archive_entry_set_size(e, 0);
	rc = write_entry(t, e, fd, path, &st);
	archive_entry_free(e);
	if (fd >= 0) {
		/* Done with a large file: its pages need not stay cached for
		 * us (a backup should not push everything else out). */
		if (st.st_size >= (1 << 20))
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	if (rc < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		if (t->opt.one_file_system && st.st_dev != root_dev)
			return 0;
		return add_dir(t, path, plen, cap, root_dev, &st);
	}
	return 0;
}

SK_API int
sk_tar_add(sk_tar *t, const char *path)
{
	char *buf;
	size_t len = strlen(path), cap = 4096 + len;
	struct stat st;
	int warned = t->warned, rc;

	if (t->err) {
		errno = t->err;
		return -1;
	}
	if ((buf = malloc(cap)) == NULL)
		return -1;
	memcpy(buf, path, len + 1);
	/* Trailing slashes are noise in names (but "/" stays "/"). */
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	rc = (t->opt.follow ? stat(buf, &st) : lstat(buf, &st)) < 0
	         ? (warn_at(t, buf, errno, "cannot stat; skipped"), 0)
	         : add_tree(t, buf, len, cap, st.st_dev, 1);
	free(buf);
	if (rc < 0) {
		errno = t->err ? t->err : EIO;
		return -1;
	}
	t->warned |= warned;
	return t->warned ? 1 : 0;
}

SK_API int
sk_tar_close(sk_tar *t, uint64_t *written)
{
	struct archive_entry *e = NULL, *spare = NULL;
	int warned = t->warned, err = t->err;

	/* Entries the resolver still holds (none for tar's strategy). */
	while (!err) {
		archive_entry_linkify(t->links, &e, &spare);
		if (e == NULL)
			break;
		if (archive_write_header(t->a, e) == ARCHIVE_FATAL)
			err = t->err ? t->err : EIO;
	}
	if (archive_write_close(t->a) != ARCHIVE_OK && !err)
		err = t->err
		          ? t->err
		          : (archive_errno(t->a) ? archive_errno(t->a) : EIO);
	if (t->zc && !err && zstd_push(t, NULL, 0, ZSTD_e_end) < 0)
		err = errno;
	if (t->fast && !err && flush(t) < 0)
		err = errno;
	free(t->obuf);
	ZSTD_freeCCtx(t->zc);
	free(t->zbuf);
	archive_write_free(t->a);
	if (written)
		*written = t->written;
	archive_read_free(t->disk);
	archive_read_free(t->sparse);
	archive_entry_linkresolver_free(t->links);
	free(t->buf);
	free(t->dirs);
	free(t);
	if (err) {
		errno = err;
		return -1;
	}
	return warned ? 1 : 0;
}

SK_API sk_tar *
sk_tar_open(int fd, const struct sk_tar_options *opt)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	return tar_new(fd, NULL, opt);
}

struct tar_job {
	char **paths;
	size_t n;
	struct sk_tar_options opt;
};

static void
free_job(struct tar_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->paths[i]);
	free(j->paths);
	free(j);
}

/* The producer thread: the whole archive, into the queue. */
static int
tar_produce(sk_producer *w, void *arg)
{
	struct tar_job *j = arg;
	sk_tar *t = tar_new(-1, w, &j->opt);
	int rc = 0, e = 0;

	if (t == NULL) {
		e = errno;
		free_job(j);
		errno = e;
		return -1;
	}
	for (size_t i = 0; i < j->n && rc >= 0; i++)
		rc = sk_tar_add(t, j->paths[i]);
	if (rc < 0)
		e = errno;
	if (sk_tar_close(t, NULL) < 0 && !e)
		e = errno;
	free_job(j);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

SK_API sk_stream *
sk_tar_stream_open(const char *const *paths, size_t n,
                   const struct sk_tar_options *opt, size_t queue)
{
	struct tar_job *j = calloc(1, sizeof *j);
	sk_stream *s;

	if (j == NULL)
		return NULL;
	if (opt)
		j->opt = *opt;
	if ((j->paths = calloc(n ? n : 1, sizeof *j->paths)) == NULL) {
		free(j);
		return NULL;
	}
	for (; j->n < n; j->n++)
		if ((j->paths[j->n] = strdup(paths[j->n])) == NULL) {
			free_job(j);
			return NULL;
		}
	/* The job belongs to the producer thread from here on. */
	if ((s = sk_producer_open(tar_produce, j, queue)) == NULL)
		free_job(j);
	return s;
}

SK_API void
sk_tar_counts(const sk_tar *t, uint64_t *files, uint64_t *data,
              uint64_t *written)
{
	if (files)
		*files = t->files;
	if (data)
		*data = t->data;
	if (written)
		*written = t->written;
}

SK_API int
sk_tar_scan(const char *path, const struct sk_tar_options *opt, uint64_t *files,
            uint64_t *data)
{
	sk_tar t;
	struct stat st;
	size_t len = strlen(path), cap = 4096 + len;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -1;
	memset(&t, 0, sizeof t);
	if (opt)
		t.opt = *opt;
	/* Quiet: the real walk reports what it meets. */
	t.opt.warn = NULL;
	t.opt.entry = NULL;
	t.opt.tick = NULL;
	t.dry = 1;
	memcpy(buf, path, len + 1);
	if ((t.opt.follow ? stat(buf, &st) : lstat(buf, &st)) == 0)
		(void)add_tree(&t, buf, len, cap, st.st_dev, 1);
	free(buf);
	free(t.dirs);
	*files += t.files;
	*data += t.data;
	return 0;
}
