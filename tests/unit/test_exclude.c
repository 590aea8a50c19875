/*
 * Unit tests: GNU tar's exclusion rules (sk_exclude).  The table cases
 * build a varied tree, run GNU tar itself on it (tar -cf - OPTIONS tree |
 * tar -tf -) and compare its member list with what a walk that consults
 * the exclusion set keeps, walking the way GNU tar does.  The other cases
 * pin behaviour where GNU tar 1.34 has bugs (see tar_exclude.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

static char top[64];

static void
put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", top, rel);
	for (char *s = path + strlen(top) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (text == NULL) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A fresh scratch directory; its descriptor. */
static int
fresh_top(void)
{
	snprintf(top, sizeof top, "/tmp/sk-excl.%d", (int)getpid());
	mkdir(top, 0755);
	return open(top, O_RDONLY | O_DIRECTORY);
}

static void
make_tree(void)
{
	static const char *files[] = {"tree/a.c",
	                              "tree/a.o",
	                              "tree/b.txt",
	                              "tree/B.TXT",
	                              "tree/README",
	                              "tree/Makefile~",
	                              "tree/.#lock",
	                              "tree/#auto#",
	                              "tree/sp ace",
	                              "tree/x*y",
	                              "tree/xzy",
	                              "tree/[x]",
	                              "tree/x",
	                              "tree/a?b",
	                              "tree/keep.o",
	                              "tree/#hash",
	                              "tree/dir1/sub/f",
	                              "tree/dir1/sub2/g.o",
	                              "tree/dir1/f.o",
	                              "tree/src/dir1/sub/h.c",
	                              "tree/src/x.c",
	                              "tree/src/dir1/y.o",
	                              "tree/src/app.log",
	                              "tree/src/deep/z.log",
	                              "tree/.git/config",
	                              "tree/CVS/Entries",
	                              "tree/cache/data",
	                              "tree/fakecache/data",
	                              "tree/fakecache/CACHEDIR.TAG",
	                              "tree/tagged/.nobackup",
	                              "tree/tagged/x",
	                              "tree/tagged/sub/y",
	                              "tree/deep/a/b/c/d.txt",
	                              "tree/Upper/Lower.C",
	                              "tree/hg/a.o",
	                              "tree/hg/b.c",
	                              "tree/hg/build/out",
	                              "tree/hg/.hgignore",
	                              "tree/bzr/a.o",
	                              "tree/bzr/keep.o",
	                              "tree/bzr/c.txt",
	                              "tree/bzr/.bzrignore",
	                              "tree/leaf/one",
	                              "tree/leaf/two.o",
	                              "tree/.gitattributes",
	                              "tree/sub/.gitignore",
	                              "tree/sub/q.o",
	                              "tree/sub/q.c"};

	close(fresh_top());
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		put(files[i], "x\n");
	put("tree/empty", NULL);
	put("tree/.gitignore", "*.o\n# comment\n\\#hash\n  README  \n");
	put("tree/sub/.gitignore", "q.c\n");
	put("tree/cache/CACHEDIR.TAG",
	    "Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n");
	put("tree/hg/.hgignore", "syntax: glob\n*.o\nsyntax: regexp\n.*ld/\n");
	put("tree/bzr/.bzrignore", "*.o\n!keep.o\nRE:c\\.t.*\n");
	put("tree/leaf/.cvsignore", "one  two.o\n");
	put("tree/patterns", "a.c\n\n*.log   \n");
}

static void remove_tree(void);

/* Closes what a single-directory case opened and removes its tree. */
static void
finish(sk_exclude *x, sk_exclude_dir *d, int fd)
{
	sk_exclude_dir_close(d);
	close(fd);
	sk_exclude_free(x);
	remove_tree();
}

static void
remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
}

/* Options as GNU tar takes them, applied in order as it does. */
static sk_exclude *
build(const char *const *argv)
{
	sk_exclude *x = sk_exclude_new(NULL, NULL);
	int flags = SK_EXCL_DEFAULT;
	char path[512];

	for (; *argv; argv++) {
		const char *a = *argv, *v = strchr(a, '=');
		v = v ? v + 1 : "";
		if (strncmp(a, "--exclude=", 10) == 0)
			CHECK_EQ(sk_exclude_add(x, v, flags), 0);
		else if (strncmp(a, "--exclude-from=", 15) == 0) {
			char line[256];
			FILE *f;
			snprintf(path, sizeof path, "%s/%s", top, v);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof line, f)) {
				size_t n = strlen(line);
				while (n && (line[n - 1] == '\n' ||
				             line[n - 1] == ' '))
					line[--n] = '\0';
				if (n)
					CHECK_EQ(sk_exclude_add(x, line, flags),
					         0);
			}
			if (f)
				fclose(f);
		} else if (strcmp(a, "--anchored") == 0)
			flags |= SK_EXCL_ANCHORED;
		else if (strcmp(a, "--no-anchored") == 0)
			flags &= ~SK_EXCL_ANCHORED;
		else if (strcmp(a, "--ignore-case") == 0)
			flags |= SK_EXCL_CASEFOLD;
		else if (strcmp(a, "--no-ignore-case") == 0)
			flags &= ~SK_EXCL_CASEFOLD;
		else if (strcmp(a, "--wildcards") == 0)
			flags |= SK_EXCL_WILDCARDS;
		else if (strcmp(a, "--no-wildcards") == 0)
			flags &= ~SK_EXCL_WILDCARDS;
		else if (strcmp(a, "--wildcards-match-slash") == 0)
			flags &= ~SK_EXCL_NOSLASH;
		else if (strcmp(a, "--no-wildcards-match-slash") == 0)
			flags |= SK_EXCL_NOSLASH;
		else if (strcmp(a, "--no-recursion") == 0)
			flags &= ~SK_EXCL_LEADING_DIR;
		else if (strcmp(a, "--exclude-vcs") == 0)
			CHECK_EQ(sk_exclude_add_vcs(x), 0);
		else if (strcmp(a, "--exclude-backups") == 0)
			CHECK_EQ(sk_exclude_add_backups(x), 0);
		else if (strcmp(a, "--exclude-caches") == 0)
			sk_exclude_add_tag(x, "CACHEDIR.TAG",
			                   SK_EXCL_TAG_CONTENTS |
			                       SK_EXCL_TAG_CACHEDIR);
		else if (strcmp(a, "--exclude-caches-under") == 0)
			sk_exclude_add_tag(x, "CACHEDIR.TAG",
			                   SK_EXCL_TAG_UNDER |
			                       SK_EXCL_TAG_CACHEDIR);
		else if (strcmp(a, "--exclude-caches-all") == 0)
			sk_exclude_add_tag(x, "CACHEDIR.TAG",
			                   SK_EXCL_TAG_ALL |
			                       SK_EXCL_TAG_CACHEDIR);
		else if (strncmp(a, "--exclude-tag=", 14) == 0)
			CHECK_EQ(sk_exclude_add_tag(x, v, SK_EXCL_TAG_CONTENTS),
			         0);
		else if (strncmp(a, "--exclude-tag-under=", 20) == 0)
			CHECK_EQ(sk_exclude_add_tag(x, v, SK_EXCL_TAG_UNDER),
			         0);
		else if (strncmp(a, "--exclude-tag-all=", 18) == 0)
			CHECK_EQ(sk_exclude_add_tag(x, v, SK_EXCL_TAG_ALL), 0);
		else if (strncmp(a, "--exclude-ignore=", 17) == 0)
			CHECK_EQ(
			    sk_exclude_add_ignore(x, v, SK_EXCL_IGNORE_DIR), 0);
		else if (strncmp(a, "--exclude-ignore-recursive=", 27) == 0)
			CHECK_EQ(sk_exclude_add_ignore(
			             x, v, SK_EXCL_IGNORE_RECURSIVE),
			         0);
		else if (strcmp(a, "--exclude-vcs-ignores") == 0)
			CHECK_EQ(sk_exclude_add_vcs_ignores(x), 0);
		else
			printf("# unknown option %s\n", a);
	}
	return x;
}

struct list {
	char **v;
	size_t n;
};

static void
add(struct list *l, const char *path, int dir)
{
	char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	size_t len = strlen(path);

	l->v = nv;
	nv[l->n] = malloc(len + 2);
	memcpy(nv[l->n], path, len + 1);
	if (dir)
		strcpy(nv[l->n] + len, "/");
	l->n++;
}

/* The walk GNU tar makes, deciding with the set: the argument tested
 * against the patterns, a tag checked on entering a directory, each
 * entry tested with the directory's context. */
static void
walk(const sk_exclude *x, const sk_exclude_dir *parent, int pfd,
     const char *name, const char *path, struct list *out)
{
	struct stat st;
	sk_exclude_dir *d;
	const char *tagname;
	int fd, tag;
	DIR *dir;
	struct dirent *de;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add(out, path, 0);
		return;
	}
	if ((fd = openat(pfd, name, O_RDONLY | O_DIRECTORY)) < 0)
		return;
	d = sk_exclude_dir_open(x, parent, fd, path, 0, &tag, &tagname);
	if (d == NULL || tag == SK_EXCL_TAG_ALL) {
		sk_exclude_dir_close(d);
		close(fd);
		return;
	}
	add(out, path, 1);
	if (tag == SK_EXCL_TAG_CONTENTS) {
		char child[1024];
		snprintf(child, sizeof child, "%s/%s", path, tagname);
		add(out, child, 0);
	} else if (tag == SK_EXCL_TAG_NONE && (dir = fdopendir(dup(fd)))) {
		while ((de = readdir(dir))) {
			char child[1024];
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof child, "%s/%s", path,
			         de->d_name);
			if (sk_exclude_test(x, d, child) == 0)
				walk(x, d, fd, de->d_name, child, out);
		}
		closedir(dir);
	}
	sk_exclude_dir_close(d);
	close(fd);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct list
ours(const char *const *argv, const char *arg)
{
	struct list l = {NULL, 0};
	sk_exclude *x = build(argv);
	int fd = open(top, O_RDONLY | O_DIRECTORY);

	if (sk_exclude_test(x, NULL, arg) == 0)
		walk(x, NULL, fd, arg, arg, &l);
	close(fd);
	sk_exclude_free(x);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof *l.v, cmp);
	return l;
}

static struct list
gnu(const char *const *argv, const char *arg, int *status)
{
	struct list l = {NULL, 0};
	char cmd[4096], line[1024];
	size_t n;
	FILE *p;

	n = (size_t)snprintf(cmd, sizeof cmd, "cd '%s' && tar -cf -", top);
	for (; *argv; argv++)
		n += (size_t)snprintf(cmd + n, sizeof cmd - n, " '%s'", *argv);
	snprintf(cmd + n, sizeof cmd - n, " '%s' | tar -tf -", arg);
	*status = -1;
	if ((p = popen(cmd, "r")) == NULL)
		return l;
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		add(&l, line, 0);
	}
	*status = pclose(p);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof *l.v, cmp);
	return l;
}

static void
free_list(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Each row: the options, then NULL; the argument is "tree" unless the
 * row starts with "@ARG". */
static const char *const optsets[][8] = {
    {NULL},
    {"--exclude=dir1/sub", NULL},
    {"--exclude=sub", NULL},
    {"--exclude=*.o", NULL},
    {"--exclude=tree/*.o", NULL},
    {"--exclude=dir1/", NULL},
    {"--exclude=tree/src/dir1", NULL},
    {"--exclude=tree", NULL},
    {"--exclude=src/*", NULL},
    {"--exclude=*/sub", NULL},
    {"--anchored", "--exclude=tree/*.o", NULL},
    {"--anchored", "--exclude=dir1", NULL},
    {"--anchored", "--exclude=tree/dir1", NULL},
    {"--no-wildcards-match-slash", "--exclude=tree/*.o", NULL},
    {"--no-wildcards-match-slash", "--exclude=*.o", NULL},
    {"--no-wildcards", "--exclude=x*y", NULL},
    {"--exclude=x*y", NULL},
    {"--exclude=x\\*y", NULL},
    {"--exclude=[x]", NULL},
    {"--exclude=\\[x]", NULL},
    {"--exclude=a?b", NULL},
    {"--no-wildcards", "--exclude=a?b", NULL},
    {"--exclude=[ab].c", NULL},
    {"--exclude=[!a]*.c", NULL},
    {"--exclude=[[:upper:]]*", NULL},
    {"--exclude=b.txt", NULL},
    {"--ignore-case", "--exclude=b.txt", NULL},
    {"--ignore-case", "--exclude=*.TXT", NULL},
    {"--ignore-case", "--exclude=upper", NULL},
    {"--exclude=B.TXT", "--ignore-case", "--exclude=readme", NULL},
    {"--ignore-case", "--no-ignore-case", "--exclude=readme", NULL},
    {"--exclude=sp ace", NULL},
    {"--exclude-from=tree/patterns", NULL},
    {"--exclude-vcs", NULL},
    {"--exclude-backups", NULL},
    {"--exclude-caches", NULL},
    {"--exclude-caches-under", NULL},
    {"--exclude-caches-all", NULL},
    {"--exclude-tag=.nobackup", NULL},
    {"--exclude-tag-under=.nobackup", NULL},
    {"--exclude-tag-all=.nobackup", NULL},
    {"--exclude-tag=.nobackup", "--exclude-tag-all=.nobackup", NULL},
    {"--exclude-tag-all=CACHEDIR.TAG", "--exclude-caches", NULL},
    {"--exclude-ignore-recursive=.gitignore", NULL},
    {"--exclude-ignore-recursive=.hgignore", NULL},
    {"--exclude-ignore-recursive=.bzrignore", NULL},
    {"--exclude-ignore=.cvsignore", NULL},
    {"--exclude-vcs-ignores", NULL},
    {"--exclude-vcs-ignores", "--exclude-vcs", "--exclude=*.c", NULL},
    {"@./tree", "--exclude=./tree/dir1", NULL},
    {"@./tree", "--exclude=tree/src", NULL},
    {"@./tree", "--anchored", "--exclude=./tree/src", NULL},
    {"@./tree", "--exclude-ignore-recursive=.gitignore", NULL},
    {"@tree/src", "--exclude=dir1", NULL},
    {"@tree/src/dir1", "--exclude=src/dir1", NULL},
};

static void
member_lists_equal_gnu_tars_for_every_option_set(void)
{
	make_tree();
	for (size_t i = 0; i < sizeof optsets / sizeof optsets[0]; i++) {
		const char *const *argv = optsets[i];
		const char *arg = "tree";
		struct list want, got;
		int same, status;

		if (argv[0] && argv[0][0] == '@')
			arg = *argv++ + 1;
		want = gnu(argv, arg, &status);
		CHECK_EQ(status, 0);
		got = ours(argv, arg);
		same = want.n == got.n;
		for (size_t k = 0; same && k < want.n; k++)
			same = strcmp(want.v[k], got.v[k]) == 0;
		if (!same) {
			printf("# case %zu (%s %s): GNU %zu names, ours %zu\n",
			       i, argv[0] ? argv[0] : "-", arg, want.n, got.n);
			for (size_t k = 0; k < want.n || k < got.n; k++)
				printf("#   %-30s %s\n",
				       k < want.n ? want.v[k] : "",
				       k < got.n ? got.v[k] : "");
		}
		CHECK(same);
		free_list(&want);
		free_list(&got);
	}
	remove_tree();
}

/* Where GNU tar 1.34 has bugs fixed upstream (its --exclude-ignore applied
 * to subdirectories too; .cvsignore wildcards read freed memory), the
 * documented behaviour. */
static void
ignore_files_apply_to_their_directory_only_unless_recursive(void)
{
	const char *const dir_only[] = {"--exclude-ignore=.myign", NULL};
	const char *const rec[] = {"--exclude-ignore-recursive=.myign", NULL};
	const char *const cvs[] = {"--exclude-ignore=.cvsignore", NULL};
	struct list l;
	int seen_sub_o = 0, seen_top_o = 0, seen_w = 0, seen_k = 0;

	close(fresh_top());
	put("tree/.myign", "*.o\n");
	put("tree/t.o", "x");
	put("tree/d/s.o", "x");
	put("tree/w/.cvsignore", "*.tmp k?\n");
	put("tree/w/a.tmp", "x");
	put("tree/w/k1", "x");
	put("tree/w/keep", "x");
	l = ours(dir_only, "tree");
	for (size_t i = 0; i < l.n; i++) {
		seen_sub_o += strcmp(l.v[i], "tree/d/s.o") == 0;
		seen_top_o += strcmp(l.v[i], "tree/t.o") == 0;
		seen_w += strcmp(l.v[i], "tree/w/a.tmp") == 0;
	}
	CHECK_EQ(seen_sub_o, 1);
	CHECK_EQ(seen_top_o, 0);
	CHECK_EQ(seen_w, 1);
	free_list(&l);
	l = ours(rec, "tree");
	seen_sub_o = 0;
	for (size_t i = 0; i < l.n; i++)
		seen_sub_o += strcmp(l.v[i], "tree/d/s.o") == 0;
	CHECK_EQ(seen_sub_o, 0);
	free_list(&l);
	l = ours(cvs, "tree");
	seen_w = 0;
	for (size_t i = 0; i < l.n; i++) {
		seen_w += strcmp(l.v[i], "tree/w/a.tmp") == 0 ||
		          strcmp(l.v[i], "tree/w/k1") == 0;
		seen_k += strcmp(l.v[i], "tree/w/keep") == 0;
	}
	CHECK_EQ(seen_w, 0);
	CHECK_EQ(seen_k, 1);
	free_list(&l);
	remove_tree();
}

static int warned;
static void
count_warning(void *arg, const char *path, int err, const char *what)
{
	(void)arg;
	(void)what;
	printf("# warning: %s: %s\n", path, strerror(err));
	warned++;
}

static void
an_ignore_file_that_is_no_regular_file_is_reported_and_skipped(void)
{
	sk_exclude *x = sk_exclude_new(count_warning, NULL);
	sk_exclude_dir *d;
	const char *tn;
	char path[256];
	int fd, tag;

	fd = fresh_top();
	snprintf(path, sizeof path, "%s/.gitignore", top);
	CHECK_EQ(mkfifo(path, 0644), 0); /* would block a plain open */
	CHECK_EQ(sk_exclude_add_vcs_ignores(x), 0);
	warned = 0;
	d = sk_exclude_dir_open(x, NULL, fd, "top", 0, &tag, &tn);
	CHECK(d != NULL);
	CHECK_EQ(warned, 1);
	CHECK_EQ(tag, SK_EXCL_TAG_NONE);
	CHECK_EQ(sk_exclude_test(x, d, "top/a.o"), 0);
	finish(x, d, fd);
}

static void
a_tag_that_is_a_symlink_counts_only_when_following(void)
{
	sk_exclude *x = sk_exclude_new(NULL, NULL);
	sk_exclude_dir *d;
	const char *tn;
	char path[256];
	int fd, tag;

	fd = fresh_top();
	put("target", "x");
	snprintf(path, sizeof path, "%s/.tag", top);
	CHECK_EQ(symlink("target", path), 0);
	CHECK_EQ(sk_exclude_add_tag(x, ".tag", SK_EXCL_TAG_UNDER), 0);
	d = sk_exclude_dir_open(x, NULL, fd, "top", 0, &tag, &tn);
	CHECK_EQ(tag, SK_EXCL_TAG_NONE);
	sk_exclude_dir_close(d);
	d = sk_exclude_dir_open(x, NULL, fd, "top", 1, &tag, &tn);
	CHECK_EQ(tag, SK_EXCL_TAG_UNDER);
	CHECK(tn && strcmp(tn, ".tag") == 0);
	finish(x, d, fd);
}

static void
bad_arguments_are_refused_with_einval(void)
{
	sk_exclude *x = sk_exclude_new(NULL, NULL);

	errno = 0;
	CHECK_EQ(sk_exclude_add(x, "a", 0x400), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_exclude_add_tag(x, "a/b", SK_EXCL_TAG_ALL), -1);
	CHECK_EQ(sk_exclude_add_tag(x, "t", 7), -1);
	CHECK_EQ(sk_exclude_add_tag(x, "", SK_EXCL_TAG_ALL), -1);
	CHECK_EQ(sk_exclude_add_ignore(x, "x", 5), -1);
	CHECK_EQ(sk_exclude_add_ignore(x, "../x", SK_EXCL_IGNORE_DIR), -1);
	/* An empty set excludes nothing; a long name is fine. */
	{
		char big[5000];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		CHECK_EQ(sk_exclude_test(x, NULL, big), 0);
		CHECK_EQ(sk_exclude_add(x, "a", SK_EXCL_DEFAULT), 0);
		big[10] = '/';
		CHECK_EQ(sk_exclude_test(x, NULL, big), 0);
		big[12] = '\0';
		CHECK_EQ(sk_exclude_test(x, NULL, big), 1);
	}
	sk_exclude_free(x);
}

static void
case_folding_covers_multibyte_letters_in_a_utf8_locale(void)
{
	sk_exclude *x = sk_exclude_new(NULL, NULL);

	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		printf("# no C.UTF-8 locale\n");
		sk_exclude_free(x);
		return;
	}
	CHECK_EQ(sk_exclude_add(x, "\xc3\x89t\xc3\xa9", /* "Été" */
	                        SK_EXCL_DEFAULT | SK_EXCL_CASEFOLD),
	         0);
	CHECK_EQ(sk_exclude_test(x, NULL, "d/\xc3\xa9T\xc3\x89"), 1);
	CHECK_EQ(sk_exclude_test(x, NULL, "d/ete"), 0);
	setlocale(LC_ALL, "C");
	sk_exclude_free(x);
}

T_CASES(T(member_lists_equal_gnu_tars_for_every_option_set),
        T(ignore_files_apply_to_their_directory_only_unless_recursive),
        T(an_ignore_file_that_is_no_regular_file_is_reported_and_skipped),
        T(a_tag_that_is_a_symlink_counts_only_when_following),
        T(bad_arguments_are_refused_with_einval),
        T(case_folding_covers_multibyte_letters_in_a_utf8_locale))
