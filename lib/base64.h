#ifndef BASE64_H
#define BASE64_H
#include <stddef.h>

/*
 * Decodes standard base64 (RFC 4648 section 4: '+', '/', '=' padding
 * required, nothing else allowed) from in[0..len) into out, which must hold
 * len / 4 * 3 bytes. Returns the decoded length, or -1 when in is not
 * strictly valid.
 */
long base64_decode(const char *in, size_t len, unsigned char *out);

/*
 * Encodes in[0..len) as URL-safe base64 (RFC 4648 section 5) without
 * padding into out, which must hold (len * 4 + 2) / 3 + 1 bytes. Returns the
 * length written; out is NUL-terminated.
 */
size_t base64url_encode(const unsigned char *in, size_t len, char *out);

#endif
