/*
 * spawn.c - starting a program the one way the library and the programs
 * do it: posix_spawnp with chosen descriptors, no blocked signals, and
 * the dispositions a process sets for itself not passed on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "sk_impl.h"

extern char **environ;

/* The file actions and attributes that make the child; 0 or an errno. */
static int
spawn_with(pid_t *pid, char *const argv[], const int *fds, size_t nfds,
           int flags)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int e;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		return e;
	if ((e = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return e;
	}
	/* dup2 onto its own number clears close-on-exec in the child
	 * (POSIX.1-2024, glibc 2.29): that is how a descriptor opened with
	 * O_CLOEXEC here reaches the child at the same number. */
	for (size_t i = 0; i < nfds && e == 0; i++)
		if (fds[i] >= 0)
			e = posix_spawn_file_actions_adddup2(&fa, fds[i],
			                                     (int)i);
	/* The child starts with no signal blocked, and with SIGXFSZ (and
	 * SIGPIPE unless kept) at their default action: a process ignores
	 * them to see EFBIG and EPIPE as errors, and that is its own
	 * business, not the command's.  Caught signals reset themselves at
	 * exec; one ignored by this process's parent stays ignored. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGXFSZ);
	if (!(flags & SK_SPAWN_KEEP_SIGPIPE))
		sigaddset(&dfl, SIGPIPE);
	if (e == 0)
		e = posix_spawnattr_setsigmask(&attr, &none);
	if (e == 0)
		e = posix_spawnattr_setsigdefault(&attr, &dfl);
	if (e == 0)
		e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
		                                        POSIX_SPAWN_SETSIGDEF);
	if (e == 0)
		e = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return e;
}

SK_API int
sk_spawn(pid_t *pid, char *const argv[], const int *fds, size_t nfds, int flags)
{
	int moved[SK_SPAWN_MAXFDS], use[SK_SPAWN_MAXFDS], e;

	if (pid == NULL || argv == NULL || argv[0] == NULL ||
	    nfds > SK_SPAWN_MAXFDS || (nfds > 0 && fds == NULL) ||
	    (flags & ~SK_SPAWN_KEEP_SIGPIPE)) {
		errno = EINVAL;
		return -1;
	}
	/* A source that sits on another slot's number would be overwritten
	 * by that slot's dup2 before its own: move it above them first. */
	for (size_t i = 0; i < nfds; i++) {
		moved[i] = -1;
		use[i] = fds[i];
		if (fds[i] >= 0 && (size_t)fds[i] < nfds &&
		    (size_t)fds[i] != i) {
			moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, (int)nfds);
			if (moved[i] < 0) {
				e = errno;
				while (i-- > 0)
					if (moved[i] >= 0)
						close(moved[i]);
				errno = e;
				return -1;
			}
			use[i] = moved[i];
		}
	}
	e = spawn_with(pid, argv, use, nfds, flags);
	for (size_t i = 0; i < nfds; i++)
		if (moved[i] >= 0)
			close(moved[i]);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}
