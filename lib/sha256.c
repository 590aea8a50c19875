/*
 * sha256.c - the manifest's hasher: SHA-256 of a body as it streams, by
 * OpenSSL's libcrypto (EVP), which picks the CPU's SHA extensions where
 * it has them, and the line sha256sum(1) writes for it, so that
 * `sha256sum -c` checks a restored tree.  Only the tar producer links it
 * (and so libcrypto); the other programs never load it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sk_impl.h"

int
sk__sha256_init(struct sk__sha256 *h)
{
	if ((h->ctx = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		goto fail;
	}
	return 0;
fail:
	errno = ENOMEM;
	return -1;
}

int
sk__sha256_update(struct sk__sha256 *h, const void *buf, size_t n)
{
	if (n && EVP_DigestUpdate(h->ctx, buf, n) != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
sk__sha256_final(struct sk__sha256 *h, unsigned char out[32])
{
	unsigned int len = 0;
	int ok = EVP_DigestFinal_ex(h->ctx, out, &len) == 1 && len == 32;

	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
sk__sha256_free(struct sk__sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

char *
sk__sha256_line(const unsigned char digest[32], const char *name, size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(name), extra = 0;
	char *line, *p;
	int esc = strpbrk(name, "\\\n\r") != NULL;

	/* As coreutils writes it: a name with a backslash, a newline or a
	 * carriage return is escaped, and the line starts with '\'. */
	for (const char *s = name; esc && *s; s++)
		extra += *s == '\\' || *s == '\n' || *s == '\r';
	if ((line = malloc((size_t)esc + 64 + 2 + n + extra + 2)) == NULL)
		return NULL;
	p = line;
	if (esc)
		*p++ = '\\';
	for (int i = 0; i < 32; i++) {
		*p++ = hex[digest[i] >> 4];
		*p++ = hex[digest[i] & 15];
	}
	*p++ = ' ';
	*p++ = ' ';
	for (const char *s = name; *s; s++) {
		if (esc && (*s == '\\' || *s == '\n' || *s == '\r')) {
			*p++ = '\\';
			*p++ = *s == '\\' ? '\\' : *s == '\n' ? 'n' : 'r';
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\n';
	*p = '\0';
	*len = (size_t)(p - line);
	return line;
}
