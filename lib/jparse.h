#ifndef JPARSE_H
#define JPARSE_H
#include <stddef.h>

#include <json-c/json.h>

/*
 * A strict JSON parser (RFC 8259) that reads a request body as CPython's
 * json.loads(bytes) does, with the extra refusals of the create body rules
 * (README, lib/openapi.json), and builds json-c objects.
 */
enum jparse_status { JPARSE_OK, JPARSE_INVALID, JPARSE_NOMEM };

/* Where and why parsing failed: pos in code points, text like Python's msg. */
struct jparse_error {
	size_t	pos;
	char	text[128];
};

/* Nesting deeper than this many arrays and objects is refused. */
#define JPARSE_MAX_DEPTH	100
/* Integers with more digits than this are refused (Python's int limit). */
#define JPARSE_MAX_INT_DIGITS	4300

/*
 * Parses buf[0..len) (a leading UTF-8 byte-order mark is skipped, and
 * positions count from after it). JPARSE_OK: *out is the value, NULL for
 * JSON null, which the caller puts. Objects keep their first key order and
 * a repeated key takes its last value (a Python dict); integers that fit
 * int64 are json-c ints; every other number is a json-c double made with
 * json_object_new_double_s whose text (json_object_get_userdata) is the
 * number exactly as sent, so integers of any length survive.
 * JPARSE_INVALID: err->pos is the code-point offset where CPython reports
 * the error (or, for what only the contract refuses, the first character of
 * the offending token), err->text a short Python-like message.
 * JPARSE_NOMEM: out of memory. *out is NULL unless JPARSE_OK.
 */
enum jparse_status jparse(const char *buf, size_t len,
    struct json_object **out, struct jparse_error *err);

#endif
