#ifndef PCT_H
#define PCT_H
#include <stddef.h>

/*
 * Percent-decodes in[0..len) into out, which must hold len bytes (decoding
 * never grows). A '%' not followed by two hex digits stays literal, as in
 * Python's urllib.parse.unquote. With plus_is_space, '+' becomes ' ' (query
 * strings). Returns the decoded length; out is not NUL-terminated.
 */
size_t pct_decode(const char *in, size_t len, char *out, int plus_is_space);

/*
 * Writes in[0..len) to out with every byte outside printable ASCII (space
 * included) written as %XX, so raw bytes can go into a log line or a JSON
 * string. out must hold 3 * len + 1 bytes; the result is
 * NUL-terminated and its length returned.
 */
size_t pct_escape(const char *in, size_t len, char *out);

#endif
