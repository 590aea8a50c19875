/*
 * copy.c - moving bytes from one descriptor to another by the kernel's
 * zero-copy calls, for the kinds' copy operations.  It knows descriptors
 * only, not streams: the read/write loop that takes over when no call
 * applies is stream.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_impl.h"

/* Largest request handed to one zero-copy call. */
#define ZC_CHUNK ((int64_t)16 << 20)

/* Errors that mean "this pair of descriptors cannot do this call". */
static int
unsupported_errno(int e)
{
	return e == EINVAL || e == ENOSYS || e == EXDEV || e == EOPNOTSUPP ||
	       e == EBADF || e == ESPIPE;
}

enum method { M_CFR, M_SENDFILE, M_SPLICE, M_NONE };

static enum method
first_method(int src, const int64_t *srcoff, int dst)
{
	struct stat ss, ds;

	if (fstat(src, &ss) < 0 || fstat(dst, &ds) < 0)
		return M_NONE;
	if (fcntl(dst, F_GETFL) & O_APPEND)
		return M_NONE; /* splice and sendfile refuse appending */
	if (srcoff && S_ISREG(ss.st_mode))
		return S_ISREG(ds.st_mode) ? M_CFR : M_SENDFILE;
	if (S_ISFIFO(ss.st_mode) || S_ISFIFO(ds.st_mode))
		return M_SPLICE;
	return M_NONE;
}

int64_t
sk__copy_fd(int src, int64_t *srcoff, int dst, int64_t max, int *rerr,
            int *unsupported)
{
	enum method m = first_method(src, srcoff, dst);
	int64_t done = 0;

	*unsupported = 0;
	while (max == SK_UNKNOWN || done < max) {
		int64_t want = ZC_CHUNK;
		ssize_t r;
		off_t o;

		if (max != SK_UNKNOWN && max - done < want)
			want = max - done;
		switch (m) {
		case M_CFR:
			o = (off_t)*srcoff;
			r = copy_file_range(src, &o, dst, NULL, (size_t)want,
			                    0);
			break;
		case M_SENDFILE:
			o = (off_t)*srcoff;
			r = sendfile(dst, src, &o, (size_t)want);
			break;
		case M_SPLICE:
			if (srcoff) {
				o = (off_t)*srcoff;
				r = splice(src, &o, dst, NULL, (size_t)want,
				           SPLICE_F_MOVE | SPLICE_F_MORE);
			} else {
				r = splice(src, NULL, dst, NULL, (size_t)want,
				           SPLICE_F_MOVE | SPLICE_F_MORE);
			}
			break;
		default:
			*unsupported = 1;
			return done;
		}
		if (r > 0) {
			done += r;
			if (srcoff)
				*srcoff += r;
			continue;
		}
		if (r == 0) {
			/* copy_file_range says 0 also where the filesystem
			 * cannot copy (procfs, some FUSE): let sendfile or the
			 * loop find out whether this is really the end. */
			if (m == M_CFR && done == 0) {
				m = M_SENDFILE;
				continue;
			}
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (sk__wait(src, POLLIN) < 0 ||
			    sk__wait(dst, POLLOUT) < 0)
				goto fail;
			continue;
		}
		if (unsupported_errno(errno) && done == 0) {
			if (m == M_CFR) {
				m = M_SENDFILE;
				continue;
			}
			if (m == M_SENDFILE) {
				struct stat ds;
				if (fstat(dst, &ds) == 0 &&
				    S_ISFIFO(ds.st_mode)) {
					m = M_SPLICE;
					continue;
				}
			}
			*unsupported = 1;
			return 0;
		}
		if (unsupported_errno(errno)) {
			*unsupported = 1;
			return done;
		}
	fail:
		*rerr = !sk__write_side(errno);
		return -1;
	}
	return done;
}
