/*
 * spoolbuf - make a pipe seekable and re-readable with capped memory.
 *
 * The input goes into a spool (memory up to -m, then an unnamed temporary
 * file).  From there it is written whole (sponge), written in ranges
 * (read only as far as they need), written to a file replaced atomically,
 * or handed to a command as a file it can open by name or as a seekable
 * standard input.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

#define DEFAULT_MEMORY ((int64_t)8 << 20)

extern char **environ;

static const char *opt_input, *opt_output, *opt_tmpdir, *opt_name = "input";
static int opt_append;
static int64_t opt_memory = DEFAULT_MEMORY, opt_max = SK_UNKNOWN;
static struct sk_range *ranges;
static size_t nranges;

/*
 * What a signal handler must undo: the named file and private directory
 * of a command run, the named temporary of a replaced file (only on
 * filesystems without O_TMPFILE), and the child to pass the signal to.
 */
static char dir_path[4096], file_path[4096];
static const char *volatile atomic_tmp;
static volatile sig_atomic_t have_dir, have_file;
static volatile pid_t child;

/* Kept reachable until exit (see substream.c for why). */
static volatile struct {
	sk_spool *sp;
	sk_stream *sec;
	sk_atomic *out;
} live;

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: spoolbuf [OPTIONS] [COMMAND [ARG]...]\n"
	    "Read all of stdin (or -i FILE) into a spool, then write it out, "
	    "or\n"
	    "run COMMAND on it: each {} argument becomes the path of a file\n"
	    "holding the input; without {}, COMMAND's stdin is the seekable "
	    "spool.\n"
	    "\n"
	    "  -i, --input FILE    read FILE instead of stdin\n"
	    "  -o, --output FILE   write to FILE, replacing it atomically once "
	    "the\n"
	    "                      input has ended (cmd <f | spoolbuf -o f is "
	    "safe)\n"
	    "  -a, --append        with -o, append to FILE instead\n"
	    "  -r, --range RANGE   write only RANGE (START:END, START+LENGTH,\n"
	    "                      START:, :END; negative counts from the "
	    "end);\n"
	    "                      repeatable, comma lists; input read lazily\n"
	    "      --seek OFFSET   write from OFFSET on (the range OFFSET:)\n"
	    "  -m, --memory SIZE   memory before spilling to disk (default "
	    "8M)\n"
	    "  -T, --tmpdir DIR    where the spool file goes (default $TMPDIR, "
	    "/tmp)\n"
	    "      --max SIZE      refuse an input larger than SIZE\n"
	    "  -n, --name NAME     the file name {} gets (default: input)\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\n"
	    "SIZE takes K M G T (1024) or KB MB GB (1000) suffixes.\n"
	    "Exit status: 0 done, 1 runtime error, 2 usage error; with "
	    "COMMAND,\n"
	    "its status (128+N when killed by signal N, 126/127 when it "
	    "cannot\n"
	    "run).\n");
}

/* Undoes what a signal must not leave behind; async-signal-safe. */
static void
cleanup(void)
{
	const char *t = atomic_tmp;

	if (have_file)
		unlink(file_path);
	if (have_dir)
		rmdir(dir_path);
	if (t)
		unlink(t);
	have_file = have_dir = 0;
}

static void
on_signal(int sig)
{
	if (child > 0)
		kill(child, sig);
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *
tmpdir(void)
{
	const char *d = opt_tmpdir;

	if (d == NULL || *d == '\0')
		d = getenv("TMPDIR");
	return d && *d ? d : "/tmp";
}

/* Exits with a message for a failed fill of the spool. */
static void
spool_failed(sk_spool *sp)
{
	int e = errno;

	if (e == EFBIG && opt_max != SK_UNKNOWN && sk_spool_size(sp) > opt_max)
		errx(EXIT_RUNTIME,
		     "input larger than --max (%" PRId64 " bytes)", opt_max);
	errno = e;
	if (e == ENOSPC || e == EDQUOT || e == EFBIG || e == EROFS ||
	    (sk_spool_fd(sp) < 0 &&
	     (e == ENOENT || e == EACCES || e == ENOTDIR)))
		err(EXIT_RUNTIME, "spool file in %s", tmpdir());
	if (opt_input)
		err(EXIT_RUNTIME, "%s", opt_input);
	err(EXIT_RUNTIME, "read error");
}

/* Where the output goes: stdout, or the file of -o. */
static int
output_fd(void)
{
	if (opt_output == NULL)
		return STDOUT_FILENO;
	if (live.out == NULL) {
		live.out = sk_atomic_open(opt_output,
		                          opt_append ? SK_ATOMIC_APPEND : 0);
		if (live.out == NULL)
			err(EXIT_RUNTIME, "%s", opt_output);
		atomic_tmp = sk_atomic_tmpname(live.out);
	}
	return sk_atomic_fd(live.out);
}

/* Copies s to the output; exits on failure, leaving -o FILE untouched. */
static void
emit(sk_spool *sp, sk_stream *s)
{
	if (sk_copy(s, output_fd(), SK_UNKNOWN) >= 0)
		return;
	if (sk_error(s))
		spool_failed(sp);
	if (opt_output) {
		int e = errno;
		sk_atomic_abort(live.out);
		live.out = NULL;
		atomic_tmp = NULL;
		errno = e;
		err(EXIT_RUNTIME, "%s", opt_output);
	}
	write_failed(errno);
}

static void
finish_output(void)
{
	int r;

	if (live.out == NULL)
		return;
	hold_signals(1);
	r = sk_atomic_commit(live.out);
	live.out = NULL;
	atomic_tmp = NULL;
	hold_signals(0);
	if (r < 0)
		err(EXIT_RUNTIME, "%s", opt_output);
}

static void
write_ranges(sk_spool *sp)
{
	for (size_t i = 0; i < nranges; i++) {
		int inside;
		sk_stream *s = sk_spool_range_open(sp, &ranges[i], &inside);
		if ((live.sec = s) == NULL)
			spool_failed(sp);
		emit(sp, s);
		sk_close(s);
		live.sec = NULL;
	}
}

static void
write_all(sk_spool *sp)
{
	sk_stream *s;

	/* Soak up everything before writing a byte: the output may be the
	 * input (sponge's reason to exist). */
	if (sk_spool_fill(sp, SK_UNKNOWN) < 0)
		spool_failed(sp);
	if ((live.sec = s = sk_spool_stream_open(sp, 0, SK_UNKNOWN)) == NULL)
		err(EXIT_RUNTIME, "spool");
	emit(sp, s);
	sk_close(s);
	live.sec = NULL;
}

/* Exit status of a command, as a shell reports it. */
static int
status_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_RUNTIME;
}

static int
run_command(sk_spool *sp, char **argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	int uses_path = 0, fd, e, st;
	pid_t pid;

	for (char **a = argv; *a; a++)
		uses_path |= strcmp(*a, "{}") == 0;
	if (sk_spool_fill(sp, SK_UNKNOWN) < 0)
		spool_failed(sp);
	posix_spawn_file_actions_init(&fa);
	if (uses_path) {
		/* A private directory holds a real, named file: programs
		 * such as sqlite3 refuse /dev/fd paths and unlinked files. */
		if (strlen(tmpdir()) + strlen(opt_name) + 32 > sizeof file_path)
			errx(EXIT_RUNTIME, "temporary directory name too long");
		(void)snprintf(dir_path, sizeof dir_path, "%s/spoolbuf.XXXXXX",
		               tmpdir());
		hold_signals(1);
		if (mkdtemp(dir_path) == NULL) {
			hold_signals(0);
			err(EXIT_RUNTIME, "%s", tmpdir());
		}
		have_dir = 1;
		if (snprintf(file_path, sizeof file_path, "%s/%s", dir_path,
		             opt_name) >= (int)sizeof file_path)
			errx(EXIT_RUNTIME, "temporary file name too long");
		have_file = 1;
		hold_signals(0);
		if (sk_spool_link(sp, file_path) < 0) {
			e = errno;
			cleanup();
			errno = e;
			err(EXIT_RUNTIME, "spool file in %s", tmpdir());
		}
		for (char **a = argv; *a; a++)
			if (strcmp(*a, "{}") == 0)
				*a = file_path;
	} else {
		/* Its stdin is the spool file itself, from the start: a
		 * real file, so that it may seek. */
		if ((fd = sk_spool_file(sp)) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			spool_failed(sp);
		posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
	}
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGXFSZ);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);
	hold_signals(1);
	e = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	if (e == 0)
		child = pid;
	hold_signals(0);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (e != 0) {
		cleanup();
		errno = e;
		warn("%s", argv[0]);
		return e == ENOENT ? 127 : 126;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			cleanup();
			err(EXIT_RUNTIME, "waitpid");
		}
	}
	child = 0;
	hold_signals(1);
	cleanup();
	hold_signals(0);
	return status_of(st);
}

int
main(int argc, char *argv[])
{
	enum { OPT_SEEK = 256, OPT_MAX };
	static const struct option longopts[] = {
	    {"append", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {"input", required_argument, NULL, 'i'},
	    {"max", required_argument, NULL, OPT_MAX},
	    {"memory", required_argument, NULL, 'm'},
	    {"name", required_argument, NULL, 'n'},
	    {"output", required_argument, NULL, 'o'},
	    {"range", required_argument, NULL, 'r'},
	    {"seek", required_argument, NULL, OPT_SEEK},
	    {"tmpdir", required_argument, NULL, 'T'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *bad;
	sk_stream *in;
	sk_spool *sp;
	struct sk_range seek;
	int c, status = 0;

	/* '+': options end at COMMAND, whose own options are its own. */
	program_init();
	while ((c = getopt_long(argc, argv, "+ahi:m:n:o:r:T:V", longopts,
	                        NULL)) != -1) {
		switch (c) {
		case 'a':
			opt_append = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			opt_input = optarg;
			break;
		case 'm':
			opt_memory = size_arg("--memory", optarg);
			if (opt_memory == 0)
				usage_error("--memory must be at least 1 byte");
			break;
		case 'n':
			if (*optarg == '\0' || strchr(optarg, '/') ||
			    strcmp(optarg, ".") == 0 ||
			    strcmp(optarg, "..") == 0)
				usage_error("invalid --name '%s': a file name "
				            "without '/'",
				            optarg);
			opt_name = optarg;
			break;
		case 'o':
			opt_output = optarg;
			break;
		case 'r':
			if (sk_parse_ranges(optarg, &ranges, &nranges, &bad) <
			    0)
				usage_error(
				    "invalid range '%s': %s", bad,
				    errno == ERANGE
				        ? "number too large"
				        : "expected START:END, "
				          "START+LENGTH, START: or :END");
			break;
		case 'T':
			opt_tmpdir = optarg;
			break;
		case 'V':
			print_version();
			return 0;
		case OPT_SEEK:
			memset(&seek, 0, sizeof seek);
			if (sk_parse_size(optarg[0] == '-' ? optarg + 1
			                                   : optarg,
			                  &seek.start) < 0)
				usage_error("invalid offset for --seek: '%s'",
				            optarg);
			if (optarg[0] == '-') {
				seek.start = -seek.start;
				seek.start_from_end = 1;
			}
			{
				struct sk_range *nr =
				    realloc(ranges, (nranges + 1) * sizeof *nr);
				if (nr == NULL)
					err(EXIT_RUNTIME, "memory");
				ranges = nr;
				ranges[nranges++] = seek;
			}
			break;
		case OPT_MAX:
			opt_max = size_arg("--max", optarg);
			break;
		default:
			usage_error("unknown or incomplete option");
		}
	}
	argc -= optind;
	argv += optind;
	if (opt_append && !opt_output)
		usage_error("--append goes with --output");
	if (argc > 0 && (nranges > 0 || opt_output))
		usage_error("a COMMAND takes the whole input: -r, --seek and "
		            "-o do not go with it");

	catch_signals(on_signal);
	/* A file size limit (ulimit -f) is an error to report, not death. */
	signal(SIGXFSZ, SIG_IGN);
	in = opt_input ? sk_path_open(opt_input) : sk_fd_open(STDIN_FILENO, 0);
	if (in == NULL)
		err(EXIT_RUNTIME, "%s", opt_input ? opt_input : "stdin");
	if ((live.sp = sp =
	         sk_spool_open(in, (size_t)opt_memory, opt_tmpdir)) == NULL)
		err(EXIT_RUNTIME, "spool");
	if (opt_max != SK_UNKNOWN)
		sk_spool_limit(sp, opt_max);

	if (argc > 0)
		status = run_command(sp, argv);
	else if (nranges > 0)
		write_ranges(sp);
	else
		write_all(sp);
	finish_output();
	live.sp = NULL;
	sk_spool_close(sp);
	free(ranges);
	if (argc == 0)
		close_stdout();
	return status;
}
