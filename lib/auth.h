#ifndef AUTH_H
#define AUTH_H
#include <stddef.h>

#define AUTH_KEY_LEN 40		/* 40 lowercase hex characters */
#define AUTH_HASH_LEN 32	/* SHA-256 */

enum auth_result {
	AUTH_MISSING,	/* no usable credentials: 401 "Not authenticated" */
	AUTH_INVALID,	/* credentials that cannot be a live key: 401 "Invalid ..." */
	AUTH_KEY	/* a well-shaped key, still to be looked up */
};

/*
 * Reads an Authorization header value (NULL when absent): "Basic
 * base64(user:key)" with the user ignored, or "Bearer key"; scheme names
 * are case-insensitive and the credentials are trimmed of spaces, the
 * decoded key is not. On AUTH_KEY the key is copied, NUL-terminated, to key.
 */
enum auth_result auth_parse(const char *header, char key[AUTH_KEY_LEN + 1]);

/* Returns 1 when key[0..len) has the shape of an issued key. */
int auth_key_shape_ok(const char *key, size_t len);

/* Stores SHA-256(key) in hash: the only form in which keys are compared. */
void auth_hash_key(const char *key, size_t len, unsigned char hash[AUTH_HASH_LEN]);

#endif
