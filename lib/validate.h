#ifndef VALIDATE_H
#define VALIDATE_H
#include <stddef.h>

#include <json-c/json.h>

#include "query.h"
#include "route.h"

#define VALID_MAX_LEN 128	/* entity, project, object_id */
#define VALID_MAX_DIGESTS 100

/* The first rule a value breaks, in the validation rules (README, lib/openapi.json) table order. */
enum valid_rule {
	VALID_OK,
	VALID_UNICODE,		/* string_unicode */
	VALID_TOO_LONG,		/* string_too_long */
	VALID_PATTERN,		/* string_pattern_mismatch */
	VALID_INT_PARSING,	/* int_parsing */
	VALID_NEGATIVE		/* greater_than_equal */
};

/* entity and project: ^[A-Za-z0-9_.-]+$, at most 128 characters. */
enum valid_rule valid_name(const char *s, size_t len);

/* object_id: ^[\w.-]+$ with Python 3's Unicode \w, at most 128 characters. */
enum valid_rule valid_object_id(const char *s, size_t len);

/* One digests item: latest, vN, 43 alphanumerics or 64 hex digits. */
enum valid_rule valid_digest(const char *s, size_t len);

/*
 * Checks the path parameters in order (entity, project, then object_id
 * and digest where the route's pattern has them), then the digests of the
 * query (q is NULL for an endpoint without EP_DIGESTS), and stores in
 * *errors the HTTPValidationError "detail" array (pydantic v2 entries:
 * type, loc, msg, input, ctx), or NULL when everything is valid. Returns 0,
 * or -1 when out of memory.
 */
int valid_request(const struct route *r, const struct query *q,
    struct json_object **errors);

/* limit/offset: an integer >= 0; *v is LLONG_MAX for larger ones. */
enum valid_rule valid_count(const char *s, size_t len, long long *v);

/*
 * Checks a list's limit and offset (the last value of each, limit's entry
 * first) and appends their errors. *lim is -1 for no limit (absent or past
 * 2^63-1); *off is 0 when absent. Returns 0, or -1 when out of memory.
 */
int valid_paging(const struct query *limit, const struct query *offset,
    struct json_object *errors, long long *lim, long long *off);

/*
 * Appends the extra_forbidden entry of each key in k, in order: loc
 * ["query", KEY], input the key's last value (both decoded, or as sent when
 * they are no UTF-8). Returns 0, or -1 when out of memory.
 */
int valid_extra_keys(const struct query_keys *k, struct json_object *errors);

/*
 * Checks a delete's parsed JSON body (not JSON null: that is no body) as
 * the digests of the query are checked, at loc ["body", i]: list_type for
 * anything but an array, the single too_long past 100 items (input the
 * list), string_type for an item that is not a string, the digest rules
 * for one that is; then, for a list that passed all that while the query
 * has digests too (query_given), the value_error of both forms. Appends
 * the entries to errors and sets *ok when there were none. strings must
 * be UTF-8 (jparse's promise). Returns 0, or -1 when out of memory.
 */
int valid_body_refs(struct json_object *body, int query_given,
    struct json_object *errors, int *ok);

#endif
