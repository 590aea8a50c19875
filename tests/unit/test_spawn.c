/* Unit tests: sk_spawn, the one way the library and programs start one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "t.h"

/* A literal where argv wants char * (-Wwrite-strings). */
#define S(text) ((char *)(text))

/*
 * Runs argv with fds placed, its stdout (child fd 1) a pipe unless fds
 * places one; returns what it printed (malloc'd) and sets *status.
 */
static char *
run(char *const argv[], int *fds, size_t nfds, int flags, int *status)
{
	int p[2], mine[SK_SPAWN_MAXFDS];
	char *out = NULL;
	pid_t pid;
	sk_stream *s;

	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	for (size_t i = 0; i < SK_SPAWN_MAXFDS; i++)
		mine[i] = i < nfds ? fds[i] : -1;
	if (nfds < 2)
		nfds = 2;
	if (mine[1] < 0)
		mine[1] = p[1];
	if (sk_spawn(&pid, argv, mine, nfds, flags) < 0) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	close(p[1]);
	s = sk_fd_open(p[0], SK_FD_OWN);
	sk_slurp(s, 1 << 20, &out);
	sk_close(s);
	waitpid(pid, status, 0);
	return out;
}

/* A line of /proc/self/status as the child sees it ("SigIgn:\t..."). */
static unsigned long long
child_mask(const char *field, int flags)
{
	char *argv[] = {S("grep"), S(field), S("/proc/self/status"), NULL};
	unsigned long long m = ~0ULL;
	int st;
	char *out = run(argv, NULL, 0, flags, &st);

	if (out == NULL || sscanf(out + strlen(field), " %llx", &m) != 1)
		printf("#   no %s line: %s\n", field, out ? out : "(none)");
	free(out);
	return m;
}

#define BIT(sig) (1ULL << ((sig)-1))

static void
child_starts_with_no_blocked_signals_and_default_pipe_and_xfsz(void)
{
	sigset_t block, old;

	/* What a program sets for itself: ignored SIGPIPE and SIGXFSZ (to
	 * see EPIPE and EFBIG), blocked ending signals. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	CHECK_EQ(child_mask("SigBlk:", 0), 0);
	CHECK_EQ(child_mask("SigIgn:", 0) & (BIT(SIGPIPE) | BIT(SIGXFSZ)), 0);
	/* Kept: an ignored SIGPIPE stays ignored, SIGXFSZ does not. */
	CHECK_EQ(child_mask("SigIgn:", SK_SPAWN_KEEP_SIGPIPE) &
	             (BIT(SIGPIPE) | BIT(SIGXFSZ)),
	         BIT(SIGPIPE));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGXFSZ, SIG_DFL);
	/* The harness ignores SIGPIPE for itself; leave it so. */
}

static void
descriptors_are_placed_at_their_numbers(void)
{
	char *argv[] = {S("sh"), S("-c"), S("cat; cat <&3; cat <&5"), S("sh"),
	                NULL};
	int in = t_tmpfile_with("zero,", 5),
	    three = t_tmpfile_with("three,", 6),
	    five = t_tmpfile_with("five", 4),
	    fds[6] = {in, -1, -1, three, -1, five};
	int st;
	char *out;

	/* All three are close-on-exec here: only their placing passes them. */
	fcntl(three, F_SETFD, FD_CLOEXEC);
	out = run(argv, fds, 6, 0, &st);
	CHECK(out && strcmp(out, "zero,three,five") == 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(out);
	close(in);
	close(three);
	close(five);
}

static void
a_descriptor_on_its_own_number_reaches_the_child_though_cloexec(void)
{
	char *argv[] = {S("sh"), S("-c"), S("exec 2>/dev/null; cat <&3"),
	                S("sh"), NULL};
	int fds[4] = {-1, -1, -1, -1}, f = t_tmpfile_with("kept", 4), st;
	char *out;

	/* Move it to 3 itself, close-on-exec. */
	if (f != 3) {
		if (dup2(f, 3) < 0)
			abort();
		close(f);
	}
	fcntl(3, F_SETFD, FD_CLOEXEC);
	fds[3] = 3;
	out = run(argv, fds, 4, 0, &st);
	CHECK(out && strcmp(out, "kept") == 0);
	free(out);
	/* Not placed: a close-on-exec descriptor does not reach it. */
	lseek(3, 0, SEEK_SET);
	out = run(argv, NULL, 0, 0, &st);
	CHECK(out && strcmp(out, "") == 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	free(out);
	close(3);
}

static void
sources_sitting_on_other_slots_are_not_overwritten(void)
{
	/* The child's 0 comes from our 4 and its 4 from our 0: a naive
	 * dup2 in order would give the child's 4 a copy of its own 0. */
	char *argv[] = {S("sh"), S("-c"), S("cat; cat <&4"), S("sh"), NULL};
	int a = t_tmpfile_with("first,", 6), b = t_tmpfile_with("second", 6),
	    save0 = dup(0), save4, fds[5], st;
	char *out;

	/* Put b on 0 and a on 4 in this process. */
	save4 = fcntl(4, F_DUPFD, 10);
	dup2(b, 0);
	dup2(a, 4);
	fds[0] = 4;
	fds[1] = -1;
	fds[2] = -1;
	fds[3] = -1;
	fds[4] = 0;
	out = run(argv, fds, 5, 0, &st);
	CHECK(out && strcmp(out, "first,second") == 0);
	free(out);
	dup2(save0, 0);
	close(save0);
	if (save4 >= 0) {
		dup2(save4, 4);
		close(save4);
	} else {
		close(4);
	}
	close(a);
	close(b);
}

static void
failures_say_why(void)
{
	char *missing[] = {S("/nonexistent/program"), NULL};
	char *notexec[] = {S("/etc/passwd"), NULL};
	char *fine[] = {S("true"), NULL};
	int fds[SK_SPAWN_MAXFDS + 1];
	pid_t pid;

	for (size_t i = 0; i <= SK_SPAWN_MAXFDS; i++)
		fds[i] = -1;
	errno = 0;
	CHECK_EQ(sk_spawn(&pid, missing, NULL, 0, 0), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(sk_spawn(&pid, notexec, NULL, 0, 0), -1);
	CHECK_EQ(errno, EACCES);
	CHECK_EQ(sk_spawn(&pid, fine, fds, SK_SPAWN_MAXFDS + 1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_spawn(&pid, fine, NULL, 1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_spawn(&pid, fine, NULL, 0, 0x80), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(sk_spawn(NULL, fine, NULL, 0, 0), -1);
	CHECK_EQ(errno, EINVAL);
	/* The most it places is fine. */
	CHECK_EQ(sk_spawn(&pid, fine, fds, SK_SPAWN_MAXFDS, 0), 0);
	waitpid(pid, NULL, 0);
}

T_CASES(T(child_starts_with_no_blocked_signals_and_default_pipe_and_xfsz),
        T(descriptors_are_placed_at_their_numbers),
        T(a_descriptor_on_its_own_number_reaches_the_child_though_cloexec),
        T(sources_sitting_on_other_slots_are_not_overwritten),
        T(failures_say_why))
