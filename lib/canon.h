#ifndef CANON_H
#define CANON_H
#include <stddef.h>

#include <json-c/json.h>

/*
 * JSON text as CPython's json.dumps writes it, for values made by jparse
 * (or built with json-c by hand): strings are UTF-8; a json-c double whose
 * userdata text (json_object_new_double_s) is an integer, such as jparse
 * makes for integers beyond int64, is that integer; every other double is a
 * Python float. NULL is null.
 */

/*
 * json.dumps(v, sort_keys=True): keys sorted by code point at every level,
 * separators ", " and ": ", everything outside U+0020..U+007E escaped.
 * Returns a malloc'd NUL-terminated text, *len its length (len may be
 * NULL); NULL when out of memory.
 */
char *canon_sorted(const struct json_object *v, size_t *len);

/*
 * json.dumps(v, ensure_ascii=False, separators=(",", ":")), keys in
 * insertion order (FastAPI's rendering). Same ownership as canon_sorted.
 */
char *canon_compact(const struct json_object *v, size_t *len);

/*
 * Writes s[0..len) (UTF-8) as a JSON string the way canon_compact does,
 * quotes included, into out, which has room for 6 * len + 2 bytes; returns
 * the bytes written (out is not NUL-terminated). A byte that is not part of
 * well-formed UTF-8 is written as U+FFFD.
 */
size_t canon_compact_string(const char *s, size_t len, char *out);

/*
 * Writes s[0..len) as canon_sorted does (ASCII only, \uXXXX escapes,
 * surrogate pairs), quotes included, into out, which has room for
 * 6 * len + 2 bytes; returns the bytes written. Ill-formed bytes as above.
 */
size_t canon_ascii_string(const char *s, size_t len, char *out);

/*
 * Writes Python's repr of the float v (shortest text that reads back as v;
 * "0.7", "100.0", "1e+16", "1e-05", "-0.0", "inf" as json.dumps writes it:
 * "Infinity") into out and NUL-terminates it; returns its length.
 */
size_t canon_float(double v, char out[32]);

/*
 * Weave's digest of buf[0..len) (the rules: README, lib/openapi.json):
 * SHA-256, URL-safe base64 without '=', '-' -> 'X', '_' -> 'Y';
 * CANON_DIGEST_LEN characters and a NUL.
 */
#define CANON_DIGEST_LEN	43
#define CANON_DIGEST_SIZE	(CANON_DIGEST_LEN + 1)
void canon_digest(const void *buf, size_t len, char out[CANON_DIGEST_SIZE]);

#endif
