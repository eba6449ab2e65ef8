#ifndef BODY_H
#define BODY_H
#include <stddef.h>

#include <json-c/json.h>

/*
 * body: a create body's checks and their 422 entries (built with jsonb).
 * What a checked body stores is version.c's (version_prepare).
 */

#define BODY_MAX_ID_LEN 128	/* characters of the derived object id */

/*
 * A create request that passed every check of the create body rules (README, lib/openapi.json).
 * The strings and attributes point into the parsed body, which must outlive
 * this; only object_id is the model's own.
 */
struct body_model {
	const char		*name;		/* as sent */
	size_t			 name_len;
	const char		*description;	/* NULL: null */
	size_t			 description_len;
	const char		*source;	/* source_code */
	size_t			 source_len;
	struct json_object	*attributes;	/* NULL: null or absent */
	char			*object_id;	/* malloc'd, NUL-terminated */
	size_t			 object_id_len;
};

/*
 * Whether FastAPI parses a body sent with this Content-Type as JSON: absent
 * or empty, or a media type application/json or application/<x>+json
 * (parameters ignored, case-insensitive), read as Python's email.message
 * reads it. Returns 1 or 0.
 */
int body_media_is_json(const char *content_type);

/*
 * The entries for a body that failed as a whole, appended to errors (a
 * json-c array the caller owns). Each returns 0, or -1 when out of memory.
 * body_err_missing: empty body or JSON null ({"type":"missing",
 * "loc":["body"],...}). body_err_json_invalid: not JSON; pos is the
 * character offset of the error, text (not NULL, UTF-8) the ctx error.
 * body_err_not_object:
 * JSON that is not an object; input (may be NULL, JSON null) is taken.
 * body_err_not_json_text: a body whose Content-Type is not JSON; input is
 * its text, buf[0..len) decoded as Python's bytes.decode("utf-8",
 * "replace") does (each maximal ill-formed subsequence becomes U+FFFD).
 */
int body_err_missing(struct json_object *errors);
int body_err_json_invalid(struct json_object *errors, size_t pos,
    const char *text);
int body_err_not_object(struct json_object *errors, struct json_object *input);
int body_err_not_json_text(struct json_object *errors, const char *buf,
    size_t len);

/*
 * The field checks of a parsed JSON object, in field order name,
 * description, source_code, attributes (then the reserved attribute keys
 * in the order sent), one entry per field for the first rule it breaks:
 * every entry is appended to errors. When none was added, fills m (the
 * caller frees it with body_model_free); otherwise m is left empty.
 * body must be a JSON object whose strings are UTF-8 (jparse's promise).
 * Returns 0, or -1 when out of memory or when name is not UTF-8 (m left
 * empty).
 */
int body_check(struct json_object *body, struct json_object *errors,
    struct body_model *m);

void body_model_free(struct body_model *m);

#endif
