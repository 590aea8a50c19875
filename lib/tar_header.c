/*
 * tar_header.c - the bytes of one entry's header, in ustar, pax or GNU
 * form.  Written here rather than by libarchive's format writers: GNU tar
 * reads extended attributes only under SCHILY.xattr (libarchive 3.6
 * writes LIBARCHIVE.xattr), incremental archives need GNU's dumpdir
 * entries (which libarchive cannot write), and a header made in place
 * costs a fraction of libarchive's per-entry work, which is what a tree
 * of small files spends its time on.
 *
 * pax is written in its restricted form: an extended header only where
 * the ustar fields cannot say it (a long or non-ASCII name, a large size
 * or id, a time before 1970 or past 2242, attributes, ACLs, holes).  GNU
 * form uses ././@LongLink entries and base-256 numbers instead; plain
 * ustar refuses what it cannot say.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar_impl.h"

#define BLOCK 512

/* Offsets in a ustar header block. */
enum {
	H_NAME = 0,
	H_MODE = 100,
	H_UID = 108,
	H_GID = 116,
	H_SIZE = 124,
	H_MTIME = 136,
	H_CHKSUM = 148,
	H_TYPE = 156,
	H_LINK = 157,
	H_MAGIC = 257,
	H_VERSION = 263,
	H_UNAME = 265,
	H_GNAME = 297,
	H_DEVMAJOR = 329,
	H_DEVMINOR = 337,
	H_PREFIX = 345,
};

/* Room in buf for n more bytes; 0 or -1. */
static int
reserve(struct tar_buf *b, size_t n)
{
	size_t cap;
	char *nb;

	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if ((nb = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = nb;
	b->cap = cap;
	return 0;
}

static int
append(struct tar_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* A zeroed block at the end of b; NULL on no memory. */
static char *
new_block(struct tar_buf *b)
{
	char *blk;

	if (reserve(b, BLOCK) < 0)
		return NULL;
	blk = b->data + b->len;
	memset(blk, 0, BLOCK);
	b->len += BLOCK;
	return blk;
}

/* Pads b with zeros to a block boundary. */
static int
pad(struct tar_buf *b)
{
	size_t n = (BLOCK - b->len % BLOCK) % BLOCK;

	if (reserve(b, n) < 0)
		return -1;
	memset(b->data + b->len, 0, n);
	b->len += n;
	return 0;
}

/* Whether v fits in an octal field of width bytes (digits and a NUL;
 * the fields here are 8 or 12 bytes wide). */
static int
fits(int64_t v, size_t width)
{
	return v >= 0 && (uint64_t)v >> (3 * (width - 1)) == 0;
}

/* v in octal, zero-filled, then a NUL. */
static void
octal(char *f, size_t width, int64_t v)
{
	uint64_t u = (uint64_t)v;

	f[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; u >>= 3)
		f[i] = (char)('0' + (u & 7));
}

/* GNU's base-256: the first byte's high bit set, big-endian, two's
 * complement for negative values. */
static void
base256(char *f, size_t width, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (size_t i = width; i-- > 1;) {
		f[i] = (char)(u & 0xff);
		u = v < 0 ? (u >> 8) | ((uint64_t)0xff << 56) : u >> 8;
	}
	f[0] = (char)(v < 0 ? 0xff : 0x80);
}

static void
checksum(char *blk)
{
	unsigned sum = 0;

	memset(blk + H_CHKSUM, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += (unsigned char)blk[i];
	snprintf(blk + H_CHKSUM, 8, "%06o", sum);
	blk[H_CHKSUM + 7] = ' ';
}

static int
ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

int
sk__tar_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80       ? 0
		        : *p >> 5 == 6  ? 1
		        : *p >> 4 == 14 ? 2
		        : *p >> 3 == 30 ? 3
		                        : -1;
		if (n < 0)
			return 0;
		p++;
		while (n--)
			if ((*p++ & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* One pax record, "LEN key=value\n", LEN counting itself. */
static int
record(struct tar_buf *b, const char *key, const void *val, size_t vlen)
{
	size_t base = strlen(key) + vlen + 3, len = base, d;
	char num[24];

	/* The length's own digits count: settle on a fixed point. */
	for (;;) {
		d = (size_t)snprintf(num, sizeof num, "%zu", len);
		if (base + d == len)
			break;
		len = base + d;
	}
	if (append(b, num, d) < 0 || append(b, " ", 1) < 0 ||
	    append(b, key, strlen(key)) < 0 || append(b, "=", 1) < 0 ||
	    append(b, val, vlen) < 0 || append(b, "\n", 1) < 0)
		return -1;
	return 0;
}

static int
record_num(struct tar_buf *b, const char *key, int64_t v)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", (long long)v);
	return record(b, key, num, strlen(num));
}

/* Splits name for ustar's prefix and name fields; 0, or -1 when it does
 * not fit. */
static int
split(const char *name, size_t *cut)
{
	size_t n = strlen(name);

	if (n <= 100) {
		*cut = 0;
		return 0;
	}
	/* The last '/' that leaves at most 100 bytes after it and at most
	 * 155 before. */
	for (size_t i = n - 1; i > 0; i--) {
		if (name[i] != '/')
			continue;
		if (n - i - 1 > 100)
			return -1;
		if (i <= 155 && n - i - 1 > 0) {
			*cut = i;
			return 0;
		}
	}
	return -1;
}

/* Fills one ustar block for h; numbers that do not fit are left to the
 * caller's pax records or base-256. */
static void
fill(char *blk, const struct tar_head *h, const char *name, int format)
{
	size_t cut = 0;
	int64_t size = h->size;

	if (format != SK_TAR_GNU && split(name, &cut) == 0 && cut > 0) {
		memcpy(blk + H_PREFIX, name, cut);
		strncpy(blk + H_NAME, name + cut + 1, 100);
	} else {
		strncpy(blk + H_NAME, name, 100);
	}
	octal(blk + H_MODE, 8, (int64_t)(h->mode & 07777));
	if (fits(h->uid, 8))
		octal(blk + H_UID, 8, h->uid);
	else if (format == SK_TAR_GNU)
		base256(blk + H_UID, 8, h->uid);
	if (fits(h->gid, 8))
		octal(blk + H_GID, 8, h->gid);
	else if (format == SK_TAR_GNU)
		base256(blk + H_GID, 8, h->gid);
	if (fits(size, 12))
		octal(blk + H_SIZE, 12, size);
	else if (format == SK_TAR_GNU)
		base256(blk + H_SIZE, 12, size);
	if (fits(h->mtime, 12))
		octal(blk + H_MTIME, 12, h->mtime);
	else if (format == SK_TAR_GNU)
		base256(blk + H_MTIME, 12, h->mtime);
	else if (h->mtime < 0)
		octal(blk + H_MTIME, 12, 0);
	blk[H_TYPE] = h->type;
	if (h->link)
		strncpy(blk + H_LINK, h->link, 100);
	if (format == SK_TAR_GNU) {
		memcpy(blk + H_MAGIC, "ustar  ", 8);
	} else {
		memcpy(blk + H_MAGIC, "ustar", 6);
		memcpy(blk + H_VERSION, "00", 2);
	}
	if (h->uname)
		strncpy(blk + H_UNAME, h->uname, 32);
	if (h->gname)
		strncpy(blk + H_GNAME, h->gname, 32);
	if (h->type == '3' || h->type == '4') {
		if (fits(h->devmajor, 8))
			octal(blk + H_DEVMAJOR, 8, h->devmajor);
		else if (format == SK_TAR_GNU)
			base256(blk + H_DEVMAJOR, 8, h->devmajor);
		if (fits(h->devminor, 8))
			octal(blk + H_DEVMINOR, 8, h->devminor);
		else if (format == SK_TAR_GNU)
			base256(blk + H_DEVMINOR, 8, h->devminor);
	}
}

/* GNU's ././@LongLink entry for a name (type 'L') or link ('K'). */
static int
long_link(struct tar_buf *b, char type, const char *text)
{
	size_t n = strlen(text) + 1;
	char *blk = new_block(b);

	if (blk == NULL)
		return -1;
	strcpy(blk + H_NAME, "././@LongLink");
	octal(blk + H_MODE, 8, 0644);
	octal(blk + H_UID, 8, 0);
	octal(blk + H_GID, 8, 0);
	octal(blk + H_SIZE, 12, (int64_t)n);
	octal(blk + H_MTIME, 12, 0);
	blk[H_TYPE] = type;
	memcpy(blk + H_MAGIC, "ustar  ", 8);
	strcpy(blk + H_UNAME, "root");
	strcpy(blk + H_GNAME, "root");
	checksum(blk);
	if (append(b, text, n) < 0)
		return -1;
	return pad(b);
}

/* The pax extended header's records for h; sets *binary when a name had
 * to be stored as raw bytes. */
static int
pax_records(struct tar_buf *r, const struct tar_head *h, const char *name,
            int *binary)
{
	size_t cut;
	int bad = 0;

	*binary = 0;
	if (!ascii(name) || split(name, &cut) < 0) {
		bad |= !sk__tar_utf8(name);
		if (record(r, "path", name, strlen(name)) < 0)
			return -1;
	}
	if (h->link && (!ascii(h->link) || strlen(h->link) > 100)) {
		bad |= !sk__tar_utf8(h->link);
		if (record(r, "linkpath", h->link, strlen(h->link)) < 0)
			return -1;
	}
	if (bad) {
		/* Names that are not UTF-8 are kept as bytes, and said so. */
		if (record(r, "hdrcharset", "BINARY", 6) < 0)
			return -1;
		*binary = 1;
	}
	if ((!fits(h->size, 12) && record_num(r, "size", h->size) < 0) ||
	    (!fits(h->uid, 8) && record_num(r, "uid", h->uid) < 0) ||
	    (!fits(h->gid, 8) && record_num(r, "gid", h->gid) < 0) ||
	    (!fits(h->mtime, 12) && record_num(r, "mtime", h->mtime) < 0))
		return -1;
	if (h->uname && (!ascii(h->uname) || strlen(h->uname) > 32) &&
	    record(r, "uname", h->uname, strlen(h->uname)) < 0)
		return -1;
	if (h->gname && (!ascii(h->gname) || strlen(h->gname) > 32) &&
	    record(r, "gname", h->gname, strlen(h->gname)) < 0)
		return -1;
	if ((h->type == '3' || h->type == '4') &&
	    ((!fits(h->devmajor, 8) &&
	      record_num(r, "SCHILY.devmajor", h->devmajor) < 0) ||
	     (!fits(h->devminor, 8) &&
	      record_num(r, "SCHILY.devminor", h->devminor) < 0)))
		return -1;
	if (h->sparse &&
	    (record(r, "GNU.sparse.major", "1", 1) < 0 ||
	     record(r, "GNU.sparse.minor", "0", 1) < 0 ||
	     record(r, "GNU.sparse.name", name, strlen(name)) < 0 ||
	     record_num(r, "GNU.sparse.realsize", h->realsize) < 0))
		return -1;
	if (h->acl_access && record(r, "SCHILY.acl.access", h->acl_access,
	                            strlen(h->acl_access)) < 0)
		return -1;
	if (h->acl_default && record(r, "SCHILY.acl.default", h->acl_default,
	                             strlen(h->acl_default)) < 0)
		return -1;
	for (size_t i = 0; i < h->nxattrs; i++) {
		const struct tar_xattr *x = &h->xattrs[i];
		char *key = malloc(strlen(x->name) + 14);
		int rc;
		if (key == NULL)
			return -1;
		strcpy(key, "SCHILY.xattr.");
		strcat(key, x->name);
		rc = record(r, key, x->value, x->len);
		free(key);
		if (rc < 0)
			return -1;
	}
	if (h->dumpdir &&
	    record(r, "GNU.dumpdir", h->dumpdir, h->dumpdirlen) < 0)
		return -1;
	return 0;
}

/* The name an extended header entry goes by: dir/PaxHeaders/base. */
static void
pax_name(char *out, const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash && slash[1] ? slash + 1 : name;
	int dl = slash && slash[1] ? (int)(slash - name) : 0;

	if (dl > 40)
		dl = 40;
	snprintf(out, 101, "%.*s%sPaxHeaders/%.50s", dl, name, dl ? "/" : "",
	         base);
}

int
sk__tar_head(struct tar_buf *b, int format, const struct tar_head *h,
             const char **why)
{
	char name[4096 + 2], *blk, *full = name;
	size_t n = strlen(h->name), cut;
	int dir = h->type == '5' || h->type == 'D', binary = 0;
	struct tar_buf r = {0};

	*why = NULL;
	b->len = 0;
	/* A directory's name ends with a slash. */
	if (n + 2 > sizeof name && (full = malloc(n + 2)) == NULL)
		return -1;
	memcpy(full, h->name, n + 1);
	if (dir && (n == 0 || full[n - 1] != '/')) {
		full[n++] = '/';
		full[n] = '\0';
	}
	if (format == SK_TAR_USTAR) {
		if (split(full, &cut) < 0)
			*why = "name too long for ustar";
		else if (h->link && strlen(h->link) > 100)
			*why = "link target too long for ustar";
		else if (!fits(h->size, 12))
			*why = "file too large for ustar";
		else if (!fits(h->uid, 8) || !fits(h->gid, 8))
			*why = "user or group id too large for ustar";
		else if (h->mtime < 0)
			*why = "modification time too old for ustar (before "
			       "1970)";
		else if (!fits(h->mtime, 12))
			*why = "modification time too far ahead for ustar";
		else if ((h->type == '3' || h->type == '4') &&
		         (!fits(h->devmajor, 8) || !fits(h->devminor, 8)))
			*why = "device number too large for ustar";
		if (*why) {
			if (full != name)
				free(full);
			errno = EINVAL;
			return -1;
		}
	} else if (format == SK_TAR_PAX) {
		if (pax_records(&r, h, full, &binary) < 0)
			goto nomem;
		if (r.len > 0) {
			if ((blk = new_block(b)) == NULL)
				goto nomem;
			pax_name(blk + H_NAME, full);
			octal(blk + H_MODE, 8, 0644);
			octal(blk + H_UID, 8, 0);
			octal(blk + H_GID, 8, 0);
			octal(blk + H_SIZE, 12, (int64_t)r.len);
			octal(blk + H_MTIME, 12,
			      fits(h->mtime, 12) ? h->mtime : 0);
			blk[H_TYPE] = 'x';
			memcpy(blk + H_MAGIC, "ustar", 6);
			memcpy(blk + H_VERSION, "00", 2);
			checksum(blk);
			if (append(b, r.data, r.len) < 0 || pad(b) < 0)
				goto nomem;
		}
		if (binary)
			*why = "name is not UTF-8: stored as bytes "
			       "(hdrcharset=BINARY)";
	} else {
		if (h->link && strlen(h->link) > 100 &&
		    long_link(b, 'K', h->link) < 0)
			goto nomem;
		if (n > 100 && long_link(b, 'L', full) < 0)
			goto nomem;
	}
	if ((blk = new_block(b)) == NULL)
		goto nomem;
	if (h->sparse && format == SK_TAR_PAX) {
		/* GNU's sparse 1.0: a made-up name; the real one is in the
		 * extended header. */
		char fake[101];
		const char *slash = strrchr(full, '/');
		snprintf(fake, sizeof fake, "GNUSparseFile.0/%.80s",
		         slash ? slash + 1 : full);
		fill(blk, h, fake, format);
	} else {
		fill(blk, h, full, format);
	}
	checksum(blk);
	if (format == SK_TAR_GNU && h->dumpdir) {
		if (append(b, h->dumpdir, h->dumpdirlen) < 0 || pad(b) < 0)
			goto nomem;
	}
	free(r.data);
	if (full != name)
		free(full);
	return 0;
nomem:
	free(r.data);
	if (full != name)
		free(full);
	errno = ENOMEM;
	return -1;
}

int
sk__tar_sparse_map(struct tar_buf *b, const int64_t *map, size_t n)
{
	char line[48];

	b->len = 0;
	snprintf(line, sizeof line, "%zu\n", n);
	if (append(b, line, strlen(line)) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%lld\n%lld\n",
		         (long long)map[2 * i], (long long)map[2 * i + 1]);
		if (append(b, line, strlen(line)) < 0)
			return -1;
	}
	return pad(b);
}
