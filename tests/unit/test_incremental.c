/*
 * Unit tests: GNU tar's listed-incremental snapshots and decisions
 * (tar_snapshot.c, tar_incr.c).  GNU tar writes a chain of three dumps of
 * a tree changed between them (files modified, added, deleted, a
 * directory renamed, two swapped, one added); each level is also planned
 * here from GNU tar's previous snapshot, and the member list, the dumpdir
 * of every directory (rename records included) and the new snapshot must
 * be GNU tar's.  Snapshots GNU tar wrote are loaded and written back byte
 * for byte.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "tar_incr.h"

static char top[64];
static int topfd;

static void
sh(const char *cmd)
{
	char full[2048];

	snprintf(full, sizeof full, "cd %s && %s", top, cmd);
	CHECK_EQ(system(full), 0);
}

/* A scratch directory /tmp/NAME.PID, open as topfd. */
static void
make_top(const char *name)
{
	snprintf(top, sizeof top, "/tmp/%s.%d", name, (int)getpid());
	mkdir(top, 0755);
	topfd = open(top, O_RDONLY | O_DIRECTORY);
}

/* Removes the scratch directory, by its full name. */
static void
remove_top(void)
{
	char cmd[128];

	close(topfd);
	if (strncmp(top, "/tmp/sk-incr", 12) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	CHECK_EQ(system(cmd), 0);
}

static char *
slurp(const char *rel, size_t *n)
{
	int fd = openat(topfd, rel, O_RDONLY);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t r;

	*n = 0;
	if (fd < 0)
		return NULL;
	do {
		if (*n + 1 >= cap)
			buf = realloc(buf, cap = cap ? 2 * cap : 4096);
		r = read(fd, buf + *n, cap - *n);
		*n += r > 0 ? (size_t)r : 0;
	} while (r > 0);
	close(fd);
	buf[*n] = '\0';
	return buf;
}

/* Our list of members and of "name:dumpdir" lines, as text. */
struct text {
	char *p;
	size_t n;
};

static void
add_line(struct text *t, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	t->p = realloc(t->p, t->n + la + lb + 2);
	memcpy(t->p + t->n, a, la);
	memcpy(t->p + t->n + la, b, lb);
	t->n += la + lb + 1;
	t->p[t->n - 1] = '\n';
	t->p[t->n] = '\0';
}

static void
scan(struct sk__incr *inc, struct sk__snap_dir *parent, int pfd,
     const char *base, const char *full)
{
	struct sk__incr_ent *ents = NULL;
	struct sk__snap_dir *d;
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *dir;
	char code;
	int fd;

	if ((fd = openat(pfd, base, O_RDONLY | O_DIRECTORY)) < 0 ||
	    fstat(fd, &st) < 0)
		return;
	d = sk__incr_dir(inc, parent, full, &st, SK_EXCL_TAG_NONE, NULL, &code);
	CHECK(d != NULL);
	if (d == NULL || code == 'N' || (dir = fdopendir(dup(fd))) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		struct stat es;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ents = realloc(ents, (n + 1) * sizeof *ents);
		memset(&ents[n], 0, sizeof ents[n]);
		ents[n].name = strdup(de->d_name);
		if (fstatat(fd, de->d_name, &es, AT_SYMLINK_NOFOLLOW) < 0) {
			ents[n++].gone = 1;
			continue;
		}
		ents[n].is_dir = S_ISDIR(es.st_mode);
		ents[n].dev = es.st_dev;
		ents[n].mtime = es.st_mtim;
		ents[n++].ctime = es.st_ctim;
	}
	closedir(dir);
	CHECK_EQ(sk__incr_entries(inc, d, ents, n), 0);
	for (size_t i = 0; i < n; i++) {
		if (ents[i].code == 'D') {
			char *child;
			if (asprintf(&child, "%s/%s", full, ents[i].name) > 0) {
				scan(inc, d, fd, ents[i].name, child);
				free(child);
			}
		}
		free((char *)ents[i].name);
	}
	free(ents);
	close(fd);
}

/* A level planned here from snap (NULL: level 0): the members in GNU
 * tar's order, the dumpdirs, and the new snapshot written to out. */
static void
plan(const char *snap, const struct timespec *start, struct text *members,
     struct text *dumps, const char *out)
{
	struct sk__snap *old = NULL;
	struct sk__snap_dir *const *order;
	struct sk__incr *inc;
	char err[256] = "";
	size_t n;
	int fd;

	if (snap) {
		fd = openat(topfd, snap, O_RDONLY);
		old = sk__snap_load(fd, err, sizeof err);
		close(fd);
		CHECK(old != NULL);
	}
	inc = sk__incr_open(old, start, 0);
	scan(inc, NULL, topfd, "tree", "tree");
	CHECK_EQ(sk__incr_finish(inc), 0);
	order = sk__incr_order(inc, &n);
	for (size_t i = 0; i < n; i++) {
		char buf[4096], *o = buf;
		size_t len;
		const char *dd = sk__incr_dumpdir(order[i], &len);
		add_line(members, order[i]->name, "/");
		for (const char *p = dd; *p && o < buf + sizeof buf - 300;
		     p += strlen(p) + 1)
			o += snprintf(o, 300, "%c %s|", *p, p + 1);
		*o = '\0';
		add_line(dumps, order[i]->name, buf);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *dd = sk__incr_dumpdir(order[i], &len);
		int dfd = openat(topfd, order[i]->name, O_RDONLY | O_DIRECTORY);
		for (const char *p = dd; *p; p += strlen(p) + 1) {
			struct stat st;
			char *m;
			if (*p != 'Y' ||
			    asprintf(&m, "%s/", order[i]->name) < 0)
				continue;
			add_line(members, m, p + 1);
			free(m);
			/* GNU tar re-reads the directory's time after each
			 * member stored from it. */
			if (fstat(dfd, &st) == 0)
				sk__incr_set_mtime(order[i], &st.st_mtim);
		}
		close(dfd);
	}
	fd = openat(topfd, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(sk__incr_commit(inc, fd), 0);
	close(fd);
	sk__incr_free(inc);
}

/* GNU tar's dumpdirs from its incremental listing of an archive. */
static void
gnu_dumps(const char *archive, struct text *dumps)
{
	char cmd[256], line[1024], name[1024] = "", buf[4096] = "";
	FILE *p;

	snprintf(cmd, sizeof cmd, "cd %s && tar --incremental -tvvf %s", top,
	         archive);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'd') {
			char *s = strrchr(line, ' ');
			snprintf(name, sizeof name, "%s", s ? s + 1 : line);
			name[strlen(name) - 1] = '\0';
			buf[0] = '\0';
		} else if (name[0] && line[0] == '\0') {
			add_line(dumps, name, buf);
			name[0] = '\0';
		} else if (name[0]) {
			strncat(buf, line, sizeof buf - strlen(buf) - 2);
			strcat(buf, "|");
		}
	}
	if (p)
		pclose(p);
}

/* A snapshot's bytes with its records sorted by name, for comparison. */
static char *
sorted(const char *rel, size_t *n)
{
	int fd = openat(topfd, rel, O_RDONLY), mfd;
	struct sk__snap *s = sk__snap_load(fd, NULL, 0);
	char *buf = NULL;

	close(fd);
	*n = 0;
	if (s == NULL)
		return NULL;
	for (size_t i = 1; i < s->n; i++)
		for (size_t k = i;
		     k > 0 && strcmp(s->v[k - 1]->name, s->v[k]->name) > 0;
		     k--) {
			struct sk__snap_dir *t = s->v[k];
			s->v[k] = s->v[k - 1];
			s->v[k - 1] = t;
		}
	mfd = memfd_create("snap", 0);
	CHECK_EQ(sk__snap_write(s, mfd, 0), 0);
	*n = (size_t)lseek(mfd, 0, SEEK_END);
	buf = malloc(*n + 1);
	CHECK_EQ(pread(mfd, buf, *n, 0), (ssize_t)*n);
	close(mfd);
	sk__snap_free(s);
	return buf;
}

static void
level(int k)
{
	char cmd[256], snap[32], prev[32], mine[32];
	struct text gm = {NULL, 0}, om = {NULL, 0}, gd = {NULL, 0},
	            od = {NULL, 0};
	struct sk__snap *gs;
	size_t n1, n2;
	char *a, *b;
	int fd;

	snprintf(snap, sizeof snap, "snap%d", k);
	snprintf(prev, sizeof prev, "snap%d", k - 1);
	snprintf(mine, sizeof mine, "mine%d", k);
	if (k > 0) {
		snprintf(cmd, sizeof cmd, "cp %s %s", prev, snap);
		sh(cmd);
	}
	snprintf(cmd, sizeof cmd,
	         "tar -g %s -cvf a%d.tar tree >members%d 2>/dev/null", snap, k,
	         k);
	sh(cmd);
	snprintf(cmd, sizeof cmd, "members%d", k);
	gm.p = slurp(cmd, &gm.n);
	snprintf(cmd, sizeof cmd, "a%d.tar", k);
	gnu_dumps(cmd, &gd);
	fd = openat(topfd, snap, O_RDONLY);
	gs = sk__snap_load(fd, NULL, 0);
	close(fd);
	CHECK(gs != NULL);
	plan(k > 0 ? prev : NULL, gs ? &gs->time : NULL, &om, &od, mine);
	sk__snap_free(gs);
	CHECK(gm.p && om.p && gm.n == om.n && memcmp(gm.p, om.p, gm.n) == 0);
	if (!(gm.p && om.p && strcmp(gm.p, om.p) == 0))
		printf("# level %d members, GNU:\n%s# ours:\n%s", k, gm.p,
		       om.p);
	CHECK(gd.p && od.p && strcmp(gd.p, od.p) == 0);
	if (!(gd.p && od.p && strcmp(gd.p, od.p) == 0))
		printf("# level %d dumpdirs, GNU:\n%s# ours:\n%s", k, gd.p,
		       od.p);
	a = sorted(snap, &n1);
	b = sorted(mine, &n2);
	CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
	if (!(a && b && n1 == n2 && memcmp(a, b, n1) == 0))
		printf("# level %d: snapshots differ (%zu and %zu bytes)\n", k,
		       n1, n2);
	free(a);
	free(b);
	free(gm.p);
	free(om.p);
	free(gd.p);
	free(od.p);
}

static void
a_three_level_chain_is_planned_as_gnu_tar_plans_it(void)
{
	make_top("sk-incr");
	sh("mkdir -p tree/a/b tree/c tree/d/sub tree/x tree/y tree/gone && "
	   "echo 1 >tree/f1 && echo 2 >tree/a/f2 && echo 3 >tree/a/b/f3 && "
	   "echo 4 >tree/d/f4 && echo 5 >tree/d/sub/f5 && echo x >tree/x/in-x "
	   "&& echo y >tree/y/in-y && echo g >tree/gone/g && ln -s f1 tree/l1 "
	   "&& ln tree/f1 tree/c/hard && echo p >tree/a/perm && "
	   "echo o >tree/a/old && touch -d 2001-01-01 tree/a/old");
	level(0);
	sh("echo more >>tree/f1 && echo new >tree/a/new && rm tree/a/b/f3 && "
	   "mv tree/d tree/e && mkdir -p tree/c/n && echo n >tree/c/n/nf && "
	   "ln -s a tree/l2 && rm -r tree/gone && touch tree/a/f2");
	level(1);
	sh("mv tree/x tree/tmp && mv tree/y tree/x && mv tree/tmp tree/y && "
	   "echo z >tree/e/sub/f6 && rm tree/l1 && mv tree/c/n tree/n2 && "
	   "chmod 600 tree/a/perm");
	level(2);
	remove_top();
}

static void
snapshots_gnu_tar_wrote_read_back_byte_for_byte(void)
{
	make_top("sk-incr2");
	sh("mkdir -p 'tree/sp ace/deep' tree/e tree/nl && "
	   "touch 'tree/sp ace/f' tree/nl/\"$(printf 'a\\nb')\" && "
	   "tar -g s0 -cf /dev/null tree && touch tree/e/new && "
	   "cp s0 s1 && tar -g s1 -cf /dev/null tree && : >empty");
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "s1" : "s0";
		size_t n, m;
		char *orig = slurp(name, &n), *back;
		int fd = openat(topfd, name, O_RDONLY), mfd;
		struct sk__snap *s = sk__snap_load(fd, NULL, 0);
		close(fd);
		CHECK(s != NULL && s->n == 5);
		CHECK(s && sk__snap_find(s, "tree/sp ace/deep") != NULL);
		CHECK(s && sk__snap_find(s, "./tree//e/") != NULL);
		mfd = memfd_create("snap", 0);
		CHECK_EQ(sk__snap_write(s, mfd, 0), 0);
		m = (size_t)lseek(mfd, 0, SEEK_END);
		back = malloc(m + 1);
		CHECK_EQ(pread(mfd, back, m, 0), (ssize_t)m);
		CHECK(m == n && memcmp(orig, back, n) == 0);
		close(mfd);
		free(orig);
		free(back);
		sk__snap_free(s);
	}
	{
		int fd = openat(topfd, "empty", O_RDONLY);
		struct sk__snap *s = sk__snap_load(fd, NULL, 0);
		CHECK(s != NULL && s->n == 0);
		sk__snap_free(s);
		close(fd);
	}
	remove_top();
}

static void
corrupt_snapshots_are_refused_with_a_place_and_a_reason(void)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *msg;
	} bad[] = {
	    {"hello\n", 6, "not a GNU tar snapshot"},
	    {"GNU tar-1.20-1\n", 15, "unsupported snapshot format"},
	    {"GNU tar-1.34-2\n12", 17, "unexpected end"},
	    {"GNU tar-1.34-2\n1\0x\0", 19, "invalid nanoseconds"},
	    {"GNU tar-1.34-2\n1\0"
	     "2\0"
	     "7\0",
	     21, "invalid nfs flag"},
	/* The header, the dump time, a record's nfs flag and mtime. */
#define REC                                                                    \
	"GNU tar-1.34-2\n1\0"                                                  \
	"2\0"                                                                  \
	"0\0"                                                                  \
	"1\0"                                                                  \
	"2\0"
	    {REC "3\0"
	         "4\0d\0Ya\0",
	     34, "unexpected end"},
	    {REC "-3\0"
	         "4\0d\0\0\0",
	     34, "invalid device"},
	    {REC "3\0"
	         "4\0d\0\0x",
	     34, "missing record terminator"},
#undef REC
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int fd = memfd_create("snap", 0);
		char err[256] = "";
		struct sk__snap *s;
		CHECK_EQ(write(fd, bad[i].bytes, bad[i].len),
		         (ssize_t)bad[i].len);
		lseek(fd, 0, SEEK_SET);
		errno = 0;
		s = sk__snap_load(fd, err, sizeof err);
		CHECK(s == NULL);
		CHECK_EQ(errno, EINVAL);
		if (strstr(err, bad[i].msg) == NULL)
			printf("# case %zu: '%s'\n", i, err);
		CHECK(strstr(err, bad[i].msg) != NULL);
		sk__snap_free(s);
		close(fd);
	}
}

static void
a_saved_snapshot_replaces_the_old_one_whole_or_not_at_all(void)
{
	struct timespec start = {1700000000, 5};
	struct sk__incr *inc;
	struct sk__snap *s;
	char path[128], bad[160];
	struct stat st;
	int fd;

	make_top("sk-incr3");
	sh("mkdir -p tree/a && echo x >tree/a/f && echo old >snap");
	inc = sk__incr_open(NULL, &start, 0);
	scan(inc, NULL, topfd, "tree", "tree");
	CHECK_EQ(sk__incr_finish(inc), 0);
	snprintf(bad, sizeof bad, "%s/no/such/dir/snap", top);
	errno = 0;
	CHECK_EQ(sk__incr_save(inc, bad), -1);
	CHECK_EQ(errno, ENOENT);
	snprintf(path, sizeof path, "%s/snap", top);
	CHECK_EQ(sk__incr_save(inc, path), 0);
	sk__incr_free(inc);
	fd = open(path, O_RDONLY);
	s = sk__snap_load(fd, NULL, 0);
	close(fd);
	CHECK(s && s->n == 2 && s->time.tv_sec == 1700000000 &&
	      s->time.tv_nsec == 5);
	CHECK(s && sk__snap_find(s, "tree/a") &&
	      strcmp(sk__snap_find(s, "tree/a")->dump, "Yf") == 0);
	sk__snap_free(s);
	/* Nothing else is left in the directory. */
	CHECK_EQ(fstatat(topfd, "snap", &st, 0), 0);
	sh("test \"$(ls -A | wc -l)\" -eq 2");
	remove_top();
}

T_CASES(T(a_three_level_chain_is_planned_as_gnu_tar_plans_it),
        T(a_saved_snapshot_replaces_the_old_one_whole_or_not_at_all),
        T(snapshots_gnu_tar_wrote_read_back_byte_for_byte),
        T(corrupt_snapshots_are_refused_with_a_place_and_a_reason))
