/*
 * tar_entry.c - one entry written, on the caller's thread, in archive
 * order: the notes made while its item was made ready, its name, its
 * header, and a body that matches the header whatever the file does
 * meanwhile (padded with zeros when it shrank or failed, cut when it
 * grew).  Last, the file's name is looked up again: a file that changed,
 * grew, shrank or was replaced since it was read is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tar_impl.h"

char *
sk__tar_join(char **buf, size_t *cap, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	int slash = dl > 0 && dir[dl - 1] != '/';

	if (dl + slash + nl + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		char *nb;
		while (c < dl + slash + nl + 1)
			c *= 2;
		if ((nb = realloc(*buf, c)) == NULL)
			return NULL;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf, dir, dl);
	if (slash)
		(*buf)[dl] = '/';
	memcpy(*buf + dl + slash, name, nl + 1);
	return *buf;
}

const char *
sk__tar_item_path(sk_tar *t, const struct tar_item *it)
{
	if (it->toppath)
		return it->toppath;
	return sk__tar_join(&t->wpath, &t->wpathcap, it->dir->path, it->name);
}

struct tar_owner {
	int64_t id;
	int group;
	char *name; /* NULL: the id has no name */
};

/* The user or group name of id, looked up once and kept for the run.
 * (Most trees have a handful of owners: a scan from the last one found
 * is short.) */
static const char *
owner_name(sk_tar *t, int group, int64_t id)
{
	char buf[4096], *name = NULL;
	struct tar_owner *o;

	for (size_t i = t->nowners; i-- > 0;)
		if (t->owners[i].id == id && t->owners[i].group == group)
			return t->owners[i].name;
	if (group) {
		struct group g, *r = NULL;
		if (getgrgid_r((gid_t)id, &g, buf, sizeof buf, &r) == 0 && r)
			name = strdup(r->gr_name);
	} else {
		struct passwd pw, *r = NULL;
		if (getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &r) == 0 && r)
			name = strdup(r->pw_name);
	}
	if (t->nowners == t->aowners) {
		size_t na = t->aowners ? t->aowners * 2 : 8;
		struct tar_owner *no = realloc(t->owners, na * sizeof *no);
		if (no == NULL)
			return name ? (free(name), NULL) : NULL;
		t->owners = no;
		t->aowners = na;
	}
	o = &t->owners[t->nowners++];
	o->id = id;
	o->group = group;
	o->name = name;
	return name;
}

/* A file with more links than one: the name it was first stored under,
 * until all its links have been seen. */
struct tar_link {
	struct tar_link *next;
	dev_t dev;
	ino_t ino;
	nlink_t left;
	char name[];
};

static size_t
link_slot(const sk_tar *t, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)dev;

	return (size_t)(h >> 7) & (t->alinks - 1);
}

/* The first name of the file st describes, when it was stored already
 * (and then counts this link); else remembers name and returns NULL. */
static const char *
link_target(sk_tar *t, const struct stat *st, const char *name, int *nomem)
{
	struct tar_link **pp, *l;
	size_t n;

	*nomem = 0;
	if (t->alinks > 0) {
		for (pp = &t->links[link_slot(t, st->st_dev, st->st_ino)];
		     (l = *pp) != NULL; pp = &l->next) {
			if (l->dev != st->st_dev || l->ino != st->st_ino)
				continue;
			/* The target's name must outlive the entry: the
			 * link leaves the table only after it is used. */
			if (--l->left == 0) {
				*pp = l->next;
				t->nlinks--;
				free(t->lastlink);
				t->lastlink = l;
			}
			return l->name;
		}
	}
	if (t->nlinks >= t->alinks / 2) {
		size_t na = t->alinks ? t->alinks * 2 : 256;
		struct tar_link **nl = calloc(na, sizeof *nl);
		if (nl == NULL) {
			*nomem = 1;
			return NULL;
		}
		for (size_t i = 0; i < t->alinks; i++) {
			while ((l = t->links[i]) != NULL) {
				size_t slot;
				t->links[i] = l->next;
				slot = (size_t)(((uint64_t)l->ino *
				                 0x9e3779b97f4a7c15ULL) ^
				                (uint64_t)l->dev) >>
				           7 &
				       (na - 1);
				l->next = nl[slot];
				nl[slot] = l;
			}
		}
		free(t->links);
		t->links = nl;
		t->alinks = na;
	}
	n = strlen(name);
	if ((l = malloc(sizeof *l + n + 1)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->left = st->st_nlink - 1;
	memcpy(l->name, name, n + 1);
	pp = &t->links[link_slot(t, st->st_dev, st->st_ino)];
	l->next = *pp;
	*pp = l;
	t->nlinks++;
	return NULL;
}

void
sk__tar_links_free(sk_tar *t)
{
	for (size_t i = 0; i < t->alinks; i++) {
		struct tar_link *l;
		while ((l = t->links[i]) != NULL) {
			t->links[i] = l->next;
			free(l);
		}
	}
	free(t->links);
	free(t->lastlink);
	for (size_t i = 0; i < t->nowners; i++)
		free(t->owners[i].name);
	free(t->owners);
}

/* The header fields of an item, with the owners and times the options
 * ask for. */
static void
fields(sk_tar *t, const struct tar_item *it, struct tar_head *h)
{
	const struct sk_tar_options *o = &t->opt;
	const struct stat *st = &it->st;

	memset(h, 0, sizeof *h);
	h->name = t->name;
	h->mode = st->st_mode;
	h->type = S_ISREG(st->st_mode)    ? '0'
	          : S_ISDIR(st->st_mode)  ? '5'
	          : S_ISLNK(st->st_mode)  ? '2'
	          : S_ISCHR(st->st_mode)  ? '3'
	          : S_ISBLK(st->st_mode)  ? '4'
	          : S_ISFIFO(st->st_mode) ? '6'
	                                  : '0';
	h->link = it->m.link;
	h->uid = o->reproducible ? 0 : st->st_uid;
	h->gid = o->reproducible ? 0 : st->st_gid;
	if (o->set_uid)
		h->uid = o->uid;
	if (o->set_gid)
		h->gid = o->gid;
	if (!o->reproducible && !o->numeric_owner) {
		h->uname = o->uname     ? o->uname
		           : o->set_uid ? NULL
		                        : owner_name(t, 0, st->st_uid);
		h->gname = o->gname     ? o->gname
		           : o->set_gid ? NULL
		                        : owner_name(t, 1, st->st_gid);
	} else {
		h->uname = o->uname;
		h->gname = o->gname;
	}
	h->mtime = st->st_mtim.tv_sec;
	if (o->mtime_mode == SK_TAR_MTIME_SET ||
	    (o->mtime_mode == SK_TAR_MTIME_CLAMP && h->mtime > o->mtime))
		h->mtime = o->mtime;
	if (h->type == '3' || h->type == '4') {
		h->devmajor = major(st->st_rdev);
		h->devminor = minor(st->st_rdev);
	}
	h->xattrs = it->m.xattrs;
	h->nxattrs = it->m.nxattrs;
	h->acl_access = it->m.acl_access;
	h->acl_default = it->m.acl_default;
	if (h->type == '0')
		h->size = st->st_size;
}

/* A body read here from the item's descriptor: exactly size bytes from
 * off, padded with zeros when the file ends early or fails. */
static int
stream_part(sk_tar *t, struct tar_item *it, const char *path, int64_t off,
            int64_t size)
{
	while (size > 0) {
		size_t k = size > BODY_BUF ? BODY_BUF : (size_t)size;
		ssize_t r = sk__pread(it->fd, t->buf, k, off);
		if (r <= 0) {
			sk__tar_warn(
			    t, path, r < 0 ? errno : 0,
			    r < 0 ? "read error; the rest is stored as zeros"
			          : "file shrank while read; padded with zeros",
			    r < 0 ? SK__TAR_SKIPPED : SK__TAR_CHANGED);
			it->finalcheck = 0;
			return sk__tar_body_zeros(t, size, 1);
		}
		if (sk__tar_body(t, t->buf, (size_t)r) < 0)
			return -1;
		off += r;
		size -= r;
		t->data += (uint64_t)r;
		if (t->opt.tick)
			t->opt.tick(t->opt.arg);
	}
	return 0;
}

/* A regular file's body as the header says: read ahead, spliced, read
 * here, or (sparse) its map and data parts.  0 or -1. */
static int
write_body(sk_tar *t, struct tar_item *it, const char *path,
           const struct tar_head *h)
{
	if (h->sparse || (it->m.nsparse > 0 && it->fd >= 0)) {
		/* The data parts read, the holes never: pax stores its map
		 * and no holes, the other formats store them as zeros.  The
		 * map ends at the file's size.  (The holes count in the
		 * manifest's digest, as zeros.) */
		int64_t at = 0;
		if (h->sparse && sk__tar_out(t, t->mbuf.data, t->mbuf.len) < 0)
			return -1;
		for (size_t i = 0; i < it->m.nsparse; i++) {
			int64_t off = it->m.sparse[2 * i];
			if (sk__tar_body_zeros(t, off - at, !h->sparse) < 0 ||
			    stream_part(t, it, path, off,
			                it->m.sparse[2 * i + 1]) < 0)
				return -1;
			at = off + it->m.sparse[2 * i + 1];
		}
	} else if (it->data) {
		if (sk__tar_body(t, it->data, it->len) < 0)
			return -1;
		t->data += it->len;
	} else if (it->fd >= 0 && !t->hashing &&
	           sk__tar_spliceable(t, h->size)) {
		return sk__tar_splice_body(t, it, path, h->size);
	} else if (it->fd >= 0) {
		if (stream_part(t, it, path, 0, h->size) < 0)
			return -1;
	} else {
		/* Not reached: a regular item has its body or its
		 * descriptor.  The archive stays valid all the same. */
		sk__tar_warn(t, path, EIO, "read error; stored as zeros",
		             SK__TAR_SKIPPED);
		if (sk__tar_body_zeros(t, h->size, 1) < 0)
			return -1;
	}
	return sk__tar_pad(t);
}

const char *
sk__tar_check(const sk_tar *t, const struct tar_item *it)
{
	struct stat now;
	const struct stat *was = &it->st;

	if (fstatat(it->dir->fd, it->name, &now,
	            t->opt.follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return NULL; /* removed since: what was stored was the file */
	if (now.st_dev != was->st_dev || now.st_ino != was->st_ino)
		return "file replaced while read; stored as it was";
	if (now.st_size > was->st_size)
		return "file grew while read; stored as it was";
	if (now.st_size < was->st_size)
		return "file shrank while read; stored as it was";
	if (now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
	    now.st_ctim.tv_sec != was->st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != was->st_ctim.tv_nsec)
		return "file changed while read";
	return NULL;
}

void
sk__tar_report_check(sk_tar *t, struct tar_item *it)
{
	const char *path;

	if (it->checked == NULL)
		return;
	if ((path = sk__tar_item_path(t, it)) != NULL)
		sk__tar_warn(t, path, 0, it->checked, SK__TAR_CHANGED);
	it->checked = NULL;
}

int
sk__tar_write_item(sk_tar *t, struct tar_item *it)
{
	const char *path = sk__tar_item_path(t, it), *why, *first;
	struct tar_head h;
	int nomem, r;

	if (t->err)
		return -1;
	if (path == NULL) {
		t->err = ENOMEM;
		return -1;
	}
	for (int i = 0; i < it->nnotes; i++)
		sk__tar_warn(t, path, it->notes[i].err, it->notes[i].what,
		             it->notes[i].level);
	if (it->skip)
		return 0;
	r = sk__tar_name(t, path, S_ISDIR(it->st.st_mode));
	if (r == 0 && t->opt.transform)
		r = sk__tar_xform_name(t, S_ISDIR(it->st.st_mode));
	if (r != 0) {
		if (r > 0)
			return 0; /* the transform left no name */
		t->err = ENOMEM;
		return -1;
	}
	fields(t, it, &h);
	if (t->zip)
		h.uname = h.gname = NULL; /* a zip holds ids only */
	if (h.type == '2' && t->opt.transform &&
	    sk__tar_xform_link(t, h.link, SK_XFORM_SYMLINK, &h.link) < 0) {
		t->err = ENOMEM;
		return -1;
	}
	if (it->dumpdir) {
		/* A listed-incremental directory: GNU's 'D' entry with the
		 * dumpdir as its body, or a pax record on a '5'. */
		h.dumpdir = it->dumpdir;
		h.dumpdirlen = it->dumpdirlen;
		if (t->opt.format == SK_TAR_GNU) {
			h.type = 'D';
			h.size = (int64_t)it->dumpdirlen;
		}
	}
	/* Zip has no hard links: each name stores the file. */
	if (!S_ISDIR(it->st.st_mode) && it->st.st_nlink > 1 && !t->zip) {
		first = link_target(
		    t, &it->st, t->opt.transform ? t->plain : t->name, &nomem);
		r = 0;
		if (!nomem && first && t->opt.transform)
			r = sk__tar_xform_link(t, first, SK_XFORM_LINK, &first);
		if (nomem || r < 0) {
			t->err = ENOMEM;
			return -1;
		}
		/* A target the transform empties: the file stored whole. */
		if (first && r == 0) {
			h.type = '1';
			h.link = first;
			h.size = 0;
		}
	}
	if (h.type == '0' && it->m.nsparse > 0 && t->opt.format == SK_TAR_PAX) {
		int64_t stored = 0;
		for (size_t i = 0; i < it->m.nsparse; i++)
			stored += it->m.sparse[2 * i + 1];
		if (sk__tar_sparse_map(&t->mbuf, it->m.sparse, it->m.nsparse) <
		    0) {
			t->err = ENOMEM;
			return -1;
		}
		h.sparse = 1;
		h.realsize = it->st.st_size;
		h.size = (int64_t)t->mbuf.len + stored;
	}
	if (t->zip) {
		if ((r = sk__tar_zip_head(t, &h, path)) != 0)
			return r < 0 ? -1 : 0;
	} else if (sk__tar_head(&t->hbuf, t->opt.format, &h, &why) < 0) {
		if (errno != EINVAL) {
			t->err = ENOMEM;
			return -1;
		}
		/* What the format cannot hold is not stored, as GNU tar
		 * refuses it. */
		sk__tar_warn(t, path, 0, why, SK__TAR_SKIPPED);
		return 0;
	} else {
		if (why)
			sk__tar_warn(t, path, 0, why, SK__TAR_INFO);
		if (sk__tar_out(t, t->hbuf.data, t->hbuf.len) < 0)
			return -1;
	}
	t->files++;
	if (t->opt.entry) {
		struct sk_tar_entry le = {
		    .name = t->name,
		    .link = h.link,
		    .hardlink = h.type == '1',
		    .mode = it->st.st_mode,
		    .uid = h.uid,
		    .gid = h.gid,
		    .uname = h.uname,
		    .gname = h.gname,
		    .size = h.sparse ? h.realsize : h.size,
		    .mtime = h.mtime,
		    .devmajor = h.devmajor,
		    .devminor = h.devminor,
		};
		t->opt.entry(t->opt.arg, &le);
	}
	if (t->opt.tick)
		t->opt.tick(t->opt.arg);
	/* The body, through the manifest's hasher (tar_manifest.c). */
	if (h.type == '0' && sk__tar_body_begin(t, it) < 0)
		return -1;
	if (h.type == '0' && h.size > 0) {
		if (write_body(t, it, path, &h) < 0)
			return -1;
		/* Done with a large file: its pages need not stay cached
		 * for us (a backup should not push everything else out). */
		if (it->fd >= 0 && h.size >= (1 << 20))
			posix_fadvise(it->fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	if (h.type == '0' && sk__tar_body_end(t, it) < 0)
		return -1;
	if (t->zip && sk__tar_zip_end_entry(t) < 0)
		return -1;
	/* The look-up by name that tells a change since the read: the
	 * caller does it (or has an I/O thread do it) now that the entry is
	 * out. */
	it->needcheck = it->finalcheck && h.type == '0';
	return 0;
}
