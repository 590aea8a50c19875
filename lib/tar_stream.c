/*
 * tar_stream.c - the archive as a stream: the tar producer on a producer
 * thread (stream_producer.c), writing into a bounded queue that the
 * stream reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tar_impl.h"

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
	sk_tar *t = sk__tar_new(-1, w, &j->opt);
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
