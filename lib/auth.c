#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "auth.h"
#include "base64.h"

/*
 * Basic credentials up to this long are decoded on the stack; front servers
 * cap a header at 8 KiB, so longer ones are rare and go to the heap.
 */
#define MAX_BASIC 8192

int
auth_key_shape_ok(const char *key, size_t len)
{
	if (len != AUTH_KEY_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
		    (key[i] >= 'a' && key[i] <= 'f')))
			return 0;
	return 1;
}

/* Copies a well-shaped key out, or says why it is not one. */
static enum auth_result
take_key(const char *k, size_t len, char key[AUTH_KEY_LEN + 1])
{
	if (len == 0)
		return AUTH_MISSING;
	if (!auth_key_shape_ok(k, len))
		return AUTH_INVALID;
	memcpy(key, k, len);
	key[len] = '\0';
	return AUTH_KEY;
}

enum auth_result
auth_parse(const char *header, char key[AUTH_KEY_LEN + 1])
{
	const char *p, *cred, *end;
	size_t slen, clen;

	if (header == NULL)
		return AUTH_MISSING;
	p = header;
	while (*p == ' ')
		p++;
	slen = strcspn(p, " ");
	cred = p + slen;
	while (*cred == ' ')
		cred++;
	end = cred + strlen(cred);
	while (end > cred && end[-1] == ' ')
		end--;
	clen = (size_t)(end - cred);

	if (slen == 6 && strncasecmp(p, "bearer", 6) == 0)
		return take_key(cred, clen, key);
	if (slen != 5 || strncasecmp(p, "basic", 5) != 0)
		return AUTH_MISSING;

	unsigned char stack[MAX_BASIC / 4 * 3], *buf = stack;
	const unsigned char *colon;
	enum auth_result res;
	long n;

	/* Out of memory here can only mean "not authenticated". */
	if (clen > MAX_BASIC && (buf = malloc(clen / 4 * 3)) == NULL)
		return AUTH_MISSING;
	if ((n = base64_decode(cred, clen, buf)) < 0 ||
	    (colon = memchr(buf, ':', (size_t)n)) == NULL)
		res = AUTH_MISSING;
	else
		res = take_key((const char *)colon + 1,
		    (size_t)(buf + n - colon - 1), key);
	if (buf != stack)
		free(buf);
	return res;
}

/*
 * OpenSSL 3 looks the digest up (under a global lock) on every one-shot
 * SHA256() call; fetching it once saves that on each request.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void
auth_hash_key(const char *key, size_t len, unsigned char hash[AUTH_HASH_LEN])
{
	pthread_once(&sha256_once, fetch_sha256);
	if (sha256_md == NULL ||
	    !EVP_Digest(key, len, hash, NULL, sha256_md, NULL))
		SHA256((const unsigned char *)key, len, hash);
}
