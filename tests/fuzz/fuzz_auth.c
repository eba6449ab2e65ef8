/*
 * The Authorization header: lib/auth.h auth_parse (Basic with strict base64,
 * Bearer) on arbitrary bytes, compared with the reference in ref.h.
 * auth_parse reads a C string, so the input is copied into a NUL-terminated
 * buffer of exactly size + 1 bytes (a header cannot hold a NUL anyway).
 */
#include <openssl/sha.h>

#include "auth.h"
#include "ref.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = ref_strndup(data, size);
	char key[AUTH_KEY_LEN + 1], rkey[41];
	enum auth_result res;
	enum ref_auth ref;

	memset(key, 'X', sizeof(key));
	res = auth_parse(h, key);
	ref = ref_auth_parse(h, rkey);
	CHECK(res == AUTH_MISSING || res == AUTH_INVALID || res == AUTH_KEY);
	CHECK((int)res == (int)ref);
	if (res == AUTH_KEY) {
		unsigned char hash[AUTH_HASH_LEN], rhash[SHA256_DIGEST_LENGTH];

		CHECK(key[AUTH_KEY_LEN] == '\0');
		CHECK(strcmp(key, rkey) == 0);
		CHECK(auth_key_shape_ok(key, strlen(key)));
		auth_hash_key(key, AUTH_KEY_LEN, hash);
		SHA256((const unsigned char *)rkey, 40, rhash);
		CHECK(memcmp(hash, rhash, sizeof(hash)) == 0);
	}
	/* A header that is the key alone is never authentication. */
	CHECK(auth_parse(NULL, key) == AUTH_MISSING);
	CHECK(auth_key_shape_ok(h, size) == ref_key_shape(h, size));
	free(h);
	return 0;
}
