/*
 * spoolbuf - soak up a pipe with capped memory (a spool: memory up to -m,
 * then an unnamed temporary file), then write it out whole or in ranges
 * (to FILE, replaced atomically, as sponge does), or hand it to a command
 * as a file it can open by name or as a seekable standard input.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streamkit.h"
#include "util.h"

#define DEFAULT_MEMORY ((int64_t)8 << 20)
/* The descriptor a command finds the input on, and {}'s path to it. */
#define INPUT_FD   3
#define INPUT_PATH "/dev/fd/3"

static const char *opt_input, *opt_output, *opt_tmpdir, *opt_name;
static int opt_append, opt_inplace, opt_keep_empty;
static int64_t opt_memory = DEFAULT_MEMORY, opt_max = SK_UNKNOWN;
static struct sk_range *ranges;
static size_t nranges;
static char **command; /* -x: the command and its arguments */

/*
 * What a signal handler must undo: the named file and private directory
 * of a command run with -n, the named temporary of a replaced file (only
 * on filesystems without O_TMPFILE), and the child to pass the signal to.
 */
static char dir_path[4096], file_path[4096];
static const char *volatile atomic_tmp;
static volatile sig_atomic_t have_dir, have_file;
static volatile pid_t child;

/* What a run builds stays reachable from here until exit (see
 * substream.c), for leak checkers when an error exits. */
static volatile struct {
	sk_spool *sp;
	sk_stream *sec;
	sk_atomic *out;
} live;

static void
usage(FILE *f)
{
	fputs(
	    "usage: spoolbuf [OPTIONS] [FILE]\n"
	    "       spoolbuf [OPTIONS] -x COMMAND [ARG]...\n"
	    "Soak up all of stdin (or -i FILE), then write it to FILE,\n"
	    "replacing it atomically (sort f | spoolbuf f is safe), or to\n"
	    "stdout; or, with -x, run COMMAND on it once it has ended.\n"
	    "\n"
	    "  -a, --append         append to FILE instead of replacing it\n"
	    "  -o, --output FILE    the same as the FILE operand\n"
	    "      --inplace        write FILE itself (not atomic)\n"
	    "      --keep-if-empty  leave FILE as it is if the input is empty\n"
	    "  -r, --range RANGE    write only RANGE (START:END, START+LEN,\n"
	    "                       START:, :END; negative: from the end;\n"
	    "                       repeatable, comma lists); read lazily\n"
	    "      --seek OFFSET    write from OFFSET on (the range OFFSET:)\n"
	    "  -x, --exec COMMAND [ARG]...\n"
	    "                       run COMMAND (no shell), all that follows\n"
	    "                       being its arguments; {} is the input as\n"
	    "                       /dev/fd/3, else as its (seekable) stdin\n"
	    "  -n, --name NAME      with -x, {} is a real file NAME (sqlite3)\n"
	    "  -i, --input FILE     read FILE instead of stdin\n"
	    "  -m, --memory SIZE    memory before spilling to disk (8M)\n"
	    "  -T, --tmpdir DIR     where the spool file goes ($TMPDIR, /tmp)\n"
	    "      --max SIZE       refuse an input larger than SIZE\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "SIZE takes K M G T (1024) or KB MB GB (1000) suffixes.\n"
	    "Exit status: 0 done, 1 runtime error, 2 usage error; with -x,\n"
	    "the command's (128+N when killed by signal N, 126 or 127 when\n"
	    "it cannot run).\n",
	    f);
}

/* A name for a message: an empty one shows as ''. */
static const char *
shown(const char *name)
{
	return *name ? name : "''";
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

/* Exits with a message for a failed spool, naming the side that failed. */
static void
spool_failed(sk_spool *sp)
{
	switch (sk_spool_failed(sp)) {
	case SK_SPOOL_LIMIT:
		errx(EXIT_RUNTIME,
		     "input larger than --max (%" PRId64 " bytes)", opt_max);
	case SK_SPOOL_STORE:
		if (errno == ENOMEM)
			err(EXIT_RUNTIME, "spool memory");
		err(EXIT_RUNTIME, "spool file in %s", tmpdir());
	case SK_SPOOL_SOURCE:
		if (opt_input)
			err(EXIT_RUNTIME, "%s", shown(opt_input));
		err(EXIT_RUNTIME, "read error");
	default: /* not the spool's failure: a stream over it */
		err(EXIT_RUNTIME, "spool");
	}
}

/*
 * Exits for an output that could not be opened.  A file that cannot be
 * replaced because its directory takes no new file is said so, with what
 * to do: the directory is checked, not guessed from errno.
 */
static void
output_failed(int e)
{
	char *target, *slash;

	if ((e == EACCES || e == EPERM || e == EROFS) && !opt_append &&
	    !opt_inplace && (target = sk_atomic_target(opt_output)) != NULL &&
	    (slash = strrchr(target, '/')) != NULL) {
		*slash = '\0';
		const char *dir = *target ? target : "/";
		if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) < 0) {
			if (errno == EROFS) /* FILE itself is read-only too */
				err(EXIT_RUNTIME,
				    "cannot replace %s: directory %s",
				    shown(opt_output), dir);
			errx(EXIT_RUNTIME,
			     "cannot replace %s: directory %s: %s (make it "
			     "writable, or use --inplace to write %s itself)",
			     shown(opt_output), dir, strerror(errno),
			     shown(opt_output));
		}
	}
	errno = e;
	err(EXIT_RUNTIME, "%s", shown(opt_output));
}

/* Where the output goes: stdout, or FILE. */
static int
output_fd(void)
{
	int flags = 0;

	if (opt_output == NULL)
		return STDOUT_FILENO;
	if (live.out == NULL) {
		if (opt_append)
			flags |= SK_ATOMIC_APPEND;
		if (opt_inplace)
			flags |= SK_ATOMIC_INPLACE;
		if ((live.out = sk_atomic_open(opt_output, flags)) == NULL)
			output_failed(errno);
		atomic_tmp = sk_atomic_tmpname(live.out);
	}
	return sk_atomic_fd(live.out);
}

/* Copies s to the output; exits on failure, leaving FILE untouched. */
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
		err(EXIT_RUNTIME, "%s", shown(opt_output));
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
		err(EXIT_RUNTIME, "%s", shown(opt_output));
}

/*
 * Writes the ranges, or the whole input, once as much of it as they need
 * is in.  All of it is in before FILE is touched: sponge's reason to
 * exist (the output may be the input); ranges to stdout or to a replaced
 * file, whose old contents stay until the end, start as soon as they can.
 */
static void
write_out(sk_spool *sp)
{
	struct sk_range whole = {0, 0, 0, 0, 0, 0};
	const struct sk_range *r = nranges ? ranges : &whole;
	size_t n = nranges ? nranges : 1;

	if ((nranges == 0 || opt_append || opt_inplace) &&
	    sk_spool_fill(sp, SK_UNKNOWN) < 0)
		spool_failed(sp);
	/* One byte tells an empty input. */
	if (opt_keep_empty && sk_spool_fill(sp, 1) < 0)
		spool_failed(sp);
	if (opt_keep_empty && sk_spool_size(sp) == 0)
		return; /* FILE stays as it is, or absent */
	for (size_t i = 0; i < n; i++) {
		int inside;
		sk_stream *s = sk_spool_range_open(sp, &r[i], &inside);
		if ((live.sec = s) == NULL)
			spool_failed(sp);
		emit(sp, s);
		sk_close(s);
		live.sec = NULL;
	}
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

/*
 * Gives the spool the name -n asked for, in a private directory: for
 * programs that need a real file by name (sqlite3 reopens its database
 * by name; a /dev/fd path has no extension).  Returns the path.
 */
static const char *
named_copy(sk_spool *sp)
{
	int e;

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
	return file_path;
}

static int
run_command(sk_spool *sp)
{
	int fds[INPUT_FD + 1] = {-1, -1, -1, -1}, uses_path = 0, fd, st;
	size_t nfds = 1;
	const char *path = INPUT_PATH;
	pid_t pid;

	for (char **a = command; *a; a++)
		uses_path |= strcmp(*a, "{}") == 0;
	if (sk_spool_fill(sp, SK_UNKNOWN) < 0 || (fd = sk_spool_file(sp)) < 0)
		spool_failed(sp);
	/* Read from the start, whether as stdin or through /dev/fd. */
	if (lseek(fd, 0, SEEK_SET) < 0)
		err(EXIT_RUNTIME, "spool file in %s", tmpdir());
	if (!uses_path) {
		fds[0] = fd;
	} else if (opt_name || access("/dev/fd", X_OK) < 0) {
		path = named_copy(sp);
		nfds = 0;
	} else {
		/* The nameless spool file itself: nothing to remove, so
		 * nothing that even SIGKILL could leave behind. */
		fds[INPUT_FD] = fd;
		nfds = INPUT_FD + 1;
	}
	for (char **a = command; *a; a++)
		if (strcmp(*a, "{}") == 0)
			*a = (char *)path;
	hold_signals(1);
	if (sk_spawn(&pid, command, fds, nfds, SK_SPAWN_KEEP_SIGPIPE) == 0)
		child = pid;
	else
		pid = -1;
	hold_signals(0);
	if (pid < 0) {
		int e = errno;
		cleanup();
		errno = e;
		warn("%s", shown(command[0]));
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

/* -x COMMAND [ARG]...: the command is optarg and all that follows it. */
static void
take_command(int argc, char *argv[])
{
	int n = argc - optind;

	if ((command = calloc((size_t)n + 2, sizeof *command)) == NULL)
		err(EXIT_RUNTIME, "memory");
	command[0] = optarg;
	memcpy(command + 1, argv + optind, (size_t)n * sizeof *command);
	optind = argc;
}

/* --seek OFFSET is the range OFFSET:, parsed as one. */
static void
add_seek(const char *offset)
{
	char *text;
	const char *bad;

	if (*offset == '\0' || strpbrk(offset, ":+,") != NULL ||
	    asprintf(&text, "%s:", offset) < 0)
		usage_error("invalid offset for --seek: '%s'", offset);
	if (sk_parse_ranges(text, &ranges, &nranges, &bad) < 0)
		usage_error("invalid offset for --seek: '%s'", offset);
	free(text);
}

/* Checks the options against each other and the operands. */
static void
check_usage(int noperands, char *operands[])
{
	const char *need;

	if (noperands > 1)
		usage_error("extra operand '%s' (to run a command on the "
		            "input: -x COMMAND [ARG]...)",
		            operands[1]);
	if (noperands == 1 && opt_output)
		usage_error("two outputs: -o %s and %s", opt_output,
		            operands[0]);
	if (noperands == 1)
		opt_output = operands[0];
	if (command && (opt_output || nranges || opt_append || opt_inplace ||
	                opt_keep_empty))
		usage_error("-x runs a command on the whole input: FILE, -o, "
		            "-a, -r, --seek, --inplace and --keep-if-empty do "
		            "not go with it");
	if (opt_name && !command)
		usage_error("--name goes with -x");
	need = opt_append    ? "--append"
	       : opt_inplace ? "--inplace"
	                     : (opt_keep_empty ? "--keep-if-empty" : NULL);
	if (need && !opt_output)
		usage_error("%s needs an output FILE", need);
	if (opt_append && opt_inplace)
		usage_error("--append and --inplace do not go together");
}

static void
parse_args(int argc, char *argv[])
{
	enum { OPT_SEEK = 256, OPT_MAX, OPT_INPLACE, OPT_KEEP_EMPTY };
	static const char optstring[] = "+ahi:m:n:o:r:T:Vx:";
	static const struct option longopts[] = {
	    {"append", no_argument, NULL, 'a'},
	    {"exec", required_argument, NULL, 'x'},
	    {"help", no_argument, NULL, 'h'},
	    {"inplace", no_argument, NULL, OPT_INPLACE},
	    {"input", required_argument, NULL, 'i'},
	    {"keep-if-empty", no_argument, NULL, OPT_KEEP_EMPTY},
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
	char **operands = calloc((size_t)argc, sizeof *operands);
	int c, noperands = 0, dashdash = 0;
	const char *bad;

	if (operands == NULL)
		err(EXIT_RUNTIME, "memory");
	/* getopt is asked to stop at each operand ('+'), which is taken and
	 * parsing goes on, so that options may follow FILE as sponge's do
	 * while nothing after -x COMMAND is ever read as ours. */
	opterr = 0;
	while (command == NULL && optind < argc) {
		int before = optind;
		if (dashdash || (c = getopt_long(argc, argv, optstring,
		                                 longopts, NULL)) == -1) {
			dashdash |= optind == before + 1 &&
			            strcmp(argv[before], "--") == 0;
			if (optind < argc)
				operands[noperands++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'a':
			opt_append = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
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
			if (opt_output)
				usage_error("two outputs: -o %s and -o %s",
				            opt_output, optarg);
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
			exit(0);
		case 'x':
			take_command(argc, argv);
			break;
		case OPT_SEEK:
			add_seek(optarg);
			break;
		case OPT_MAX:
			opt_max = size_arg("--max", optarg);
			break;
		case OPT_INPLACE:
			opt_inplace = 1;
			break;
		case OPT_KEEP_EMPTY:
			opt_keep_empty = 1;
			break;
		default:
			bad_option(argv, optstring);
		}
	}
	check_usage(noperands, operands);
	free(operands);
}

int
main(int argc, char *argv[])
{
	sk_stream *in;
	sk_spool *sp;
	char *target = NULL;
	int status = 0;

	program_init();
	parse_args(argc, argv);
	/* FILE's name is looked at before the input: a missing directory
	 * fails now, not after soaking it all, and /dev/fd/N must name a
	 * descriptor open now, not one the spool file takes later. */
	if (opt_output && (target = sk_atomic_target(opt_output)) == NULL)
		err(EXIT_RUNTIME, "%s", shown(opt_output));
	free(target);
	catch_signals(on_signal);
	/* A file size limit (ulimit -f) is an error to report, not death. */
	signal(SIGXFSZ, SIG_IGN);
	in = opt_input ? sk_path_open(opt_input) : sk_fd_open(STDIN_FILENO, 0);
	if (in == NULL)
		err(EXIT_RUNTIME, "%s", opt_input ? shown(opt_input) : "stdin");
	if ((live.sp = sp =
	         sk_spool_open(in, (size_t)opt_memory, opt_tmpdir)) == NULL)
		err(EXIT_RUNTIME, "spool");
	if (opt_max != SK_UNKNOWN)
		sk_spool_limit(sp, opt_max);

	if (command)
		status = run_command(sp);
	else
		write_out(sp);
	finish_output();
	live.sp = NULL;
	sk_spool_close(sp);
	free(ranges);
	if (command == NULL)
		close_stdout();
	free(command);
	return status;
}
