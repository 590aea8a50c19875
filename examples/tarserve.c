/*
 * tarserve - serve directories as .tar.zst downloads over HTTP/1.1.
 *
 *   tarserve [-l ADDRESS] [-n COUNT] [-p PORT] ROOT
 *
 * GET /some/dir answers the tree ROOT/some/dir as a tar archive made while
 * it is sent, compressed with zstd, or as ?format= asks: gz, bz2, xz, zst,
 * lz4 or tar (none), by the library's compressors on every core, or zip
 * (a streamed zip, each file deflated, for those without tar); in
 * chunked transfer encoding: no length is known ahead and no copy of the
 * archive is ever kept.  Memory stays bounded whatever the size of the
 * tree: the archive comes through the library's pull-based tar stream
 * (sk_tar_stream_open), a producer thread writing into a 1 MiB queue, and
 * goes out 64 KiB at a time.
 *
 * A path that leaves ROOT, through "..", an encoded "%2e%2e" or a symbolic
 * link, gets 403; one that is not a directory under ROOT, 404; a method
 * other than GET and HEAD, 405.  Each connection is served by a child
 * process, so a client that stops reading stalls only its own archive.
 * Listens on 127.0.0.1:8080 by default; -p 0 takes any free port.  The
 * first line on standard output is the address listened on.  With -n, it
 * exits after COUNT connections, once their children are done (for
 * scripts and tests).
 *
 * Build: cc tarserve.c $(pkg-config --cflags --libs streamkit)
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <streamkit.h>

#define MAX_REQUEST 16384         /* the request line and headers */
#define CHUNK       (64 * 1024)   /* bytes per chunk sent */
#define QUEUE       (1024 * 1024) /* the tar stream's queue */
#define TIMEOUT     30            /* seconds a client may stall */

/* ?format=NAME: the archive's format, compressor, media type and
 * suffix. */
static const struct format {
	const char *name;
	int format, compress;
	const char *type, *suffix;
} formats[] = {
    /* the default */
    {"zst", SK_TAR_PAX, SK_TAR_ZSTD, "application/zstd", ".tar.zst"},
    {"gz", SK_TAR_PAX, SK_TAR_GZIP, "application/gzip", ".tar.gz"},
    {"bz2", SK_TAR_PAX, SK_TAR_BZIP2, "application/x-bzip2", ".tar.bz2"},
    {"xz", SK_TAR_PAX, SK_TAR_XZ, "application/x-xz", ".tar.xz"},
    {"lz4", SK_TAR_PAX, SK_TAR_LZ4, "application/x-lz4", ".tar.lz4"},
    {"tar", SK_TAR_PAX, SK_TAR_PLAIN, "application/x-tar", ".tar"},
    /* each file deflated by the zip itself */
    {"zip", SK_TAR_ZIP, SK_TAR_GZIP, "application/zip", ".zip"},
};

static char root[PATH_MAX];

/* The format a query "format=NAME" asks for; NULL for another query. */
static const struct format *
format_of(const char *query)
{
	if (strncmp(query, "format=", 7) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(query + 7, formats[i].name) == 0)
			return &formats[i];
	return NULL;
}

/*
 * Sends all of buf; -1 when the client has gone or stalled for TIMEOUT
 * seconds (SO_SNDTIMEO turns a stall into EAGAIN).
 */
static int
send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
respond(int fd, int code, const char *reason, const char *text)
{
	char head[512];
	int n;

	n = snprintf(
	    head, sizeof head,
	    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    code, reason, strlen(text) + 1);
	if (send_all(fd, head, (size_t)n) == 0 &&
	    send_all(fd, text, strlen(text)) == 0)
		send_all(fd, "\n", 1);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes %XX in place; -1 for a bad escape or an encoded NUL. */
static int
percent_decode(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			int hi = hexval((unsigned char)s[1]), lo;
			if (hi < 0 || (lo = hexval((unsigned char)s[2])) < 0)
				return -1;
			if ((*w++ = (char)(hi << 4 | lo)) == '\0')
				return -1;
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
	return 0;
}

/*
 * Reads the request head (up to the empty line).  Returns its length, 0
 * when the client closed first, -1 when it was too long or timed out.
 */
static ssize_t
read_request(int fd, char *buf, size_t size)
{
	size_t have = 0;

	while (have < size - 1) {
		ssize_t r = read(fd, buf + have, size - 1 - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 && have == 0 ? 0 : -1;
		have += (size_t)r;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL ||
		    strstr(buf, "\n\n") != NULL)
			return (ssize_t)have;
	}
	return -1;
}

static void
warn_cb(void *arg, const char *path, int e, const char *what)
{
	(void)arg;
	fprintf(stderr, "tarserve: %s: %s%s%s\n", path ? path : "archive", what,
	        e ? ": " : "", e ? strerror(e) : "");
}

/* Serves one connection; runs in its own process. */
static void
serve(int fd, const char *peer)
{
	static char req[MAX_REQUEST], buf[CHUNK + 32];
	char method[16], target[MAX_REQUEST], version[16], *query, *name;
	char full[PATH_MAX + MAX_REQUEST], real[PATH_MAX], head[1024];
	struct sk_tar_options opt;
	const struct format *f = &formats[0];
	struct stat st;
	sk_stream *tar;
	size_t rootlen = strlen(root);
	ssize_t n;
	int head_only;

	if ((n = read_request(fd, req, sizeof req)) <= 0) {
		if (n < 0)
			respond(fd, 400, "Bad Request",
			        "request too long or too slow");
		return;
	}
	if (sscanf(req, "%15s %16383s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		respond(fd, 400, "Bad Request", "malformed request line");
		return;
	}
	fprintf(stderr, "tarserve: %s %s %s\n", peer, method, target);
	head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		respond(fd, 405, "Method Not Allowed", "only GET and HEAD");
		return;
	}

	if ((query = strchr(target, '?')) != NULL) {
		*query++ = '\0';
		if (*query != '\0' && (f = format_of(query)) == NULL) {
			respond(fd, 400, "Bad Request",
			        "format is zst, gz, bz2, xz, lz4, tar or zip");
			return;
		}
	}
	memset(&opt, 0, sizeof opt);
	opt.format = f->format;
	opt.compress = f->compress;
	opt.warn = warn_cb;
	if (target[0] != '/' || percent_decode(target) == -1) {
		respond(fd, 400, "Bad Request", "bad path");
		return;
	}

	/* No ".." component, even one that would stay inside; then the
	 * resolved path, symbolic links included, must be ROOT or below. */
	for (const char *p = target; (p = strstr(p, "..")) != NULL; p += 2) {
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0')) {
			respond(fd, 403, "Forbidden", "\"..\" in the path");
			return;
		}
	}
	if ((size_t)snprintf(full, sizeof full, "%s%s", root, target) >=
	    sizeof full) {
		respond(fd, 414, "URI Too Long", "path too long");
		return;
	}
	if (realpath(full, real) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			respond(fd, 404, "Not Found", "no such directory");
		else
			respond(fd, 403, "Forbidden", strerror(errno));
		return;
	}
	if (strncmp(real, root, rootlen) != 0 ||
	    (real[rootlen] != '\0' && real[rootlen] != '/' &&
	     strcmp(root, "/") != 0)) {
		respond(fd, 403, "Forbidden", "outside the served tree");
		return;
	}
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		respond(fd, 404, "Not Found", "not a directory");
		return;
	}

	/* The archive holds the directory under its own name: work from
	 * its parent (this process is the connection's alone). */
	name = strrchr(real, '/');
	if (name == real + strlen(real) - 1) /* "/" itself */
		name = real;
	else
		*name++ = '\0';
	if (chdir(*real ? real : "/") == -1) {
		respond(fd, 403, "Forbidden", strerror(errno));
		return;
	}
	if (name == real)
		name = ".";

	n = snprintf(head, sizeof head,
	             "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
	             "Content-Disposition: attachment; filename=\"%s%s\"\r\n"
	             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
	             f->type, strcmp(name, ".") == 0 ? "root" : name,
	             f->suffix);
	if (send_all(fd, head, (size_t)n) == -1 || head_only)
		return;

	const char *paths[1] = {name};
	if ((tar = sk_tar_stream_open(paths, 1, &opt, QUEUE)) == NULL) {
		warn_cb(NULL, NULL, errno, "cannot start the archive");
		return; /* no last chunk: the client sees the transfer cut */
	}
	for (;;) {
		/* Room before the data for the chunk size line. */
		char *data = buf + 16;
		ssize_t r = sk_read(tar, data, CHUNK);
		if (r <= 0) {
			if (r == 0)
				send_all(fd, "0\r\n\r\n", 5);
			else
				warn_cb(NULL, NULL, errno, "archive failed");
			break;
		}
		int h = snprintf(buf, 16, "%zx\r\n", (size_t)r);
		memmove(data - h, buf, (size_t)h);
		memcpy(data + r, "\r\n", 2);
		if (send_all(fd, data - h, (size_t)h + (size_t)r + 2) == -1)
			break; /* the client went away: stop the walk */
	}
	sk_close(tar);
}

int
main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int c, port = 8080, ls, one = 1;
	long count = 0, served = 0;

	setlocale(LC_ALL, ""); /* UTF-8 names in the archive */
	while ((c = getopt(argc, argv, "l:n:p:")) != -1) {
		switch (c) {
		case 'l':
			addr = optarg;
			break;
		case 'n':
			if ((count = atol(optarg)) <= 0)
				goto usage;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || port < 0 || port > 65535)
		goto usage;
	if (realpath(argv[optind], root) == NULL)
		err(1, "%s", argv[optind]);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(2, "not an IPv4 address: %s", addr);
	if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(ls, 64) == -1)
		err(1, "%s:%d", addr, port);
	if (getsockname(ls, (struct sockaddr *)&sin, &len) == -1)
		err(1, "getsockname");
	printf("http://%s:%d/\n", addr, ntohs(sin.sin_port));
	fflush(stdout);

	/* Children are reaped by the kernel, unless -n waits for them; a
	 * client gone shows as EPIPE. */
	if (count == 0)
		signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while (count == 0 || served < count) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		char who[64];
		int fd = accept(ls, (struct sockaddr *)&peer, &plen);
		if (fd == -1) {
			if (errno != EINTR && errno != ECONNABORTED)
				warn("accept");
			continue;
		}
		snprintf(who, sizeof who, "%s:%d", inet_ntoa(peer.sin_addr),
		         ntohs(peer.sin_port));
		switch (fork()) {
		case -1:
			warn("fork");
			break;
		case 0: {
			struct timeval tv = {TIMEOUT, 0};
			close(ls);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
			serve(fd, who);
			shutdown(fd, SHUT_WR);
			close(fd);
			_exit(0);
		}
		}
		close(fd);
		served++;
	}
	while (wait(NULL) > 0)
		continue;
	return 0;

usage:
	fprintf(stderr,
	        "usage: tarserve [-l address] [-n count] [-p port] root\n");
	return 2;
}
