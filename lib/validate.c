#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonb.h"
#include "pct.h"
#include "utf8.h"
#include "validate.h"

#define NAME_PATTERN	"^[A-Za-z0-9_.-]+$"
#define OID_PATTERN	"^[\\w.-]+$"
#define DIGEST_PATTERN	"^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$"

static int
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* The rules before the pattern: UTF-8, at most 128 characters, not empty. */
static enum valid_rule
valid_text(const char *s, size_t len)
{
	long n = utf8_count(s, len);

	if (n < 0)
		return VALID_UNICODE;
	if (n > VALID_MAX_LEN)
		return VALID_TOO_LONG;
	if (len == 0)
		return VALID_PATTERN;
	return VALID_OK;
}

enum valid_rule
valid_name(const char *s, size_t len)
{
	enum valid_rule rule = valid_text(s, len);

	if (rule != VALID_OK)
		return rule;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
			return VALID_PATTERN;
	}
	return VALID_OK;
}

enum valid_rule
valid_object_id(const char *s, size_t len)
{
	enum valid_rule rule = valid_text(s, len);

	if (rule != VALID_OK)
		return rule;
	for (size_t i = 0, k; i < len; i += k) {
		unsigned int cp = utf8_decode(s + i, &k);
		if (cp != '.' && cp != '-' && !utf8_is_word(cp))
			return VALID_PATTERN;
	}
	return VALID_OK;
}

enum valid_rule
valid_digest(const char *s, size_t len)
{
	size_t i, alnum = 0, hex = 0;

	if (utf8_count(s, len) < 0)
		return VALID_UNICODE;
	if (len == 6 && memcmp(s, "latest", 6) == 0)
		return VALID_OK;
	if (len >= 2 && s[0] == 'v') {
		for (i = 1; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == len)
			return VALID_OK;
	}
	for (i = 0; i < len; i++) {
		alnum += is_alnum((unsigned char)s[i]);
		hex += is_hex((unsigned char)s[i]);
	}
	if ((len == 43 && alnum == len) || (len == 64 && hex == len))
		return VALID_OK;
	return VALID_PATTERN;
}

/*
 * The value pydantic echoes as "input": the decoded text, or for text that
 * is not UTF-8, the raw text as sent (non-printable bytes as %XX, so the
 * JSON stays valid).
 */
static struct json_object *
input_value(const char *raw, size_t raw_len, const char *val, size_t len)
{
	struct json_object *o;
	char *esc;

	if (utf8_count(val, len) >= 0)
		return json_object_new_string_len(val, (int)len);
	if ((esc = malloc(raw_len * 3 + 1)) == NULL)
		return NULL;
	pct_escape(raw, raw_len, esc);
	o = json_object_new_string(esc);
	free(esc);
	return o;
}

/*
 * Appends one string error to errors; pattern is used for VALID_PATTERN.
 * loc and input are taken (NULL: a constructor that failed).
 */
static int
add_error(struct json_object *errors, enum valid_rule rule,
    struct json_object *loc, struct json_object *input, const char *pattern)
{
	char msg[128];
	int rc;

	if (input == NULL) {
		json_object_put(loc);
		return -1;
	}
	switch (rule) {
	case VALID_UNICODE:
		snprintf(msg, sizeof(msg), "Input should be a valid string, "
		    "unable to parse raw data as a unicode string");
		rc = jb_error(errors, "string_unicode", loc, msg, strlen(msg),
		    input);
		break;
	case VALID_TOO_LONG:
		snprintf(msg, sizeof(msg), "String should have at most %d "
		    "characters", VALID_MAX_LEN);
		rc = jb_error_ctx(errors, "string_too_long", loc, msg,
		    strlen(msg), input, jb_ctx("max_length",
		    json_object_new_int(VALID_MAX_LEN)));
		break;
	default:
		snprintf(msg, sizeof(msg), "String should match pattern '%s'",
		    pattern);
		rc = jb_error_ctx(errors, "string_pattern_mismatch", loc, msg,
		    strlen(msg), input, jb_ctx("pattern",
		    json_object_new_string(pattern)));
		break;
	}
	json_object_put(input);
	return rc;
}

static int
check_param(struct json_object *errors, const struct route_param *p,
    const char *name, int is_object_id)
{
	enum valid_rule rule = is_object_id ? valid_object_id(p->val, p->len) :
	    valid_name(p->val, p->len);

	if (rule == VALID_OK)
		return 0;
	return add_error(errors, rule, jb_loc("path", name, NULL, -1),
	    input_value(p->raw, p->raw_len, p->val, p->len),
	    is_object_id ? OID_PATTERN : NAME_PATTERN);
}

/*
 * The single too_long entry for a list of n > 100 references at loc;
 * input (the whole list) and loc are taken.
 */
static int
add_too_long(struct json_object *errors, struct json_object *loc,
    struct json_object *input, size_t n)
{
	struct json_object *ctx = json_object_new_object();
	char msg[128];
	int rc;

	if (input == NULL ||
	    jb_add(ctx, "field_type", json_object_new_string("List")) ||
	    jb_add(ctx, "max_length", json_object_new_int(VALID_MAX_DIGESTS)) ||
	    jb_add(ctx, "actual_length", json_object_new_int64((int64_t)n))) {
		json_object_put(ctx);
		json_object_put(loc);
		json_object_put(input);
		return -1;
	}
	snprintf(msg, sizeof(msg), "List should have at most %d items after "
	    "validation, not %zu", VALID_MAX_DIGESTS, n);
	rc = jb_error_ctx(errors, "too_long", loc, msg, strlen(msg), input, ctx);
	json_object_put(input);
	return rc;
}

/* The single error for more than 100 digests; input is the whole list. */
static int
add_too_many(struct json_object *errors, const struct query *q)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; list != NULL && i < q->n; i++) {
		const struct query_item *it = &q->items[i];
		if (jb_append(list, input_value(it->raw, it->raw_len, it->val,
		    it->len)) != 0) {
			json_object_put(list);
			return -1;
		}
	}
	return add_too_long(errors, jb_loc("query", "digests", NULL, -1), list,
	    q->n);
}

int
valid_request(const struct route *r, const struct query *q,
    struct json_object **out)
{
	struct json_object *errors = json_object_new_array();

	*out = NULL;
	if (errors == NULL)
		return -1;
	/* The parameters the route's pattern has: raw is NULL for the rest. */
	if ((r->entity.raw != NULL &&
	    check_param(errors, &r->entity, "entity", 0)) ||
	    (r->project.raw != NULL &&
	    check_param(errors, &r->project, "project", 0)))
		goto fail;
	if (r->object_id.raw != NULL &&
	    check_param(errors, &r->object_id, "object_id", 1))
		goto fail;
	if (r->digest.raw != NULL) {
		enum valid_rule rule = valid_digest(r->digest.val, r->digest.len);
		if (rule != VALID_OK && add_error(errors, rule,
		    jb_loc("path", "digest", NULL, -1), input_value(r->digest.raw,
		    r->digest.raw_len, r->digest.val, r->digest.len),
		    DIGEST_PATTERN) != 0)
			goto fail;
	}
	if (q == NULL) {
		/* No query parameters on this route. */
	} else if (q->n > VALID_MAX_DIGESTS) {
		if (add_too_many(errors, q) != 0)
			goto fail;
	} else {
		for (size_t i = 0; i < q->n; i++) {
			const struct query_item *it = &q->items[i];
			enum valid_rule rule = valid_digest(it->val, it->len);
			if (rule != VALID_OK && add_error(errors, rule,
			    jb_loc("query", "digests", NULL, (long)i),
			    input_value(it->raw, it->raw_len, it->val, it->len),
			    DIGEST_PATTERN) != 0)
				goto fail;
		}
	}
	if (json_object_array_length(errors) == 0)
		json_object_put(errors);
	else
		*out = errors;
	return 0;
fail:
	json_object_put(errors);
	return -1;
}

/*
 * A list's limit or offset: [+-]?[0-9]+ with ASCII spaces around it, as
 * pydantic reads an int from a string. Sets *v (LLONG_MAX for anything
 * larger) and returns VALID_OK, VALID_INT_PARSING or VALID_NEGATIVE.
 */
enum valid_rule
valid_count(const char *s, size_t len, long long *v)
{
	size_t i = 0, end = len;
	int neg = 0, zero = 1;
	unsigned long long n = 0;

	while (i < end && s[i] == ' ')
		i++;
	while (end > i && s[end - 1] == ' ')
		end--;
	if (i < end && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == end)
		return VALID_INT_PARSING;
	for (; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return VALID_INT_PARSING;
		if (s[i] != '0')
			zero = 0;
		/* Past LLONG_MAX it stays past: n * 10 must never wrap. */
		if (n <= LLONG_MAX)
			n = n > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX :
			    n * 10 + (unsigned long long)(s[i] - '0');
	}
	if (neg && !zero)
		return VALID_NEGATIVE;
	*v = n > LLONG_MAX ? LLONG_MAX : (long long)n;
	return VALID_OK;
}

/* Appends the int_parsing or greater_than_equal entry for a query value. */
static int
add_count_error(struct json_object *errors, enum valid_rule rule,
    const char *name, const struct query_item *it)
{
	struct json_object *input = input_value(it->raw, it->raw_len, it->val,
	    it->len);
	int rc;

	if (input == NULL)
		return -1;
	if (rule == VALID_NEGATIVE)
		rc = jb_error_ctx(errors, "greater_than_equal",
		    jb_loc("query", name, NULL, -1),
		    JB_MSG("Input should be greater than or equal to 0"), input,
		    jb_ctx("ge", json_object_new_int(0)));
	else
		rc = jb_error(errors, "int_parsing",
		    jb_loc("query", name, NULL, -1),
		    JB_MSG("Input should be a valid integer, unable to parse "
		    "string as an integer"), input);
	json_object_put(input);
	return rc;
}

int
valid_paging(const struct query *limit, const struct query *offset,
    struct json_object *errors, long long *lim, long long *off)
{
	const struct query *q[2] = { limit, offset };
	const char *names[2] = { "limit", "offset" };
	long long *out[2] = { lim, off };

	*lim = -1;
	*off = 0;
	for (int i = 0; i < 2; i++) {
		/* A key sent twice takes its last value, as Starlette's. */
		const struct query_item *it;
		enum valid_rule rule;

		if (q[i]->n == 0)
			continue;
		it = &q[i]->items[q[i]->n - 1];
		rule = utf8_count(it->val, it->len) < 0 ? VALID_INT_PARSING :
		    valid_count(it->val, it->len, out[i]);
		if (rule != VALID_OK &&
		    add_count_error(errors, rule, names[i], it) != 0)
			return -1;
	}
	/* Past 2^63-1: no limit at all. */
	if (*lim == LLONG_MAX)
		*lim = -1;
	return 0;
}

int
valid_extra_keys(const struct query_keys *k, struct json_object *errors)
{
	for (size_t i = 0; i < k->n; i++) {
		const struct query_key *key = &k->keys[i];
		const struct query_item *v = &key->last;
		struct json_object *loc, *input;
		int rc;

		loc = jb_loc("query", NULL, NULL, -1);

		/* A key that is no UTF-8 is named as sent, like an input. */
		if (jb_append(loc, input_value(key->raw_name, key->raw_name_len,
		    key->name, key->name_len)) != 0) {
			json_object_put(loc);
			return -1;
		}
		/* NULL here is out of memory, not the JSON null. */
		if ((input = input_value(v->raw, v->raw_len, v->val,
		    v->len)) == NULL) {
			json_object_put(loc);
			return -1;
		}
		rc = jb_error(errors, "extra_forbidden", loc,
		    JB_MSG("Extra inputs are not permitted"), input);
		json_object_put(input);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
valid_body_refs(struct json_object *body, int query_given,
    struct json_object *errors, int *ok)
{
	static const char both[] = "digests given both in the query and in "
	    "the body";
	size_t n, before = json_object_array_length(errors);
	char msg[sizeof(both) + 16];

	*ok = 0;
	if (!json_object_is_type(body, json_type_array))
		return jb_error(errors, "list_type",
		    jb_loc("body", NULL, NULL, -1),
		    JB_MSG("Input should be a valid list"), body);
	n = json_object_array_length(body);
	if (n > VALID_MAX_DIGESTS)
		return add_too_long(errors, jb_loc("body", NULL, NULL, -1),
		    json_object_get(body), n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(body, i);
		enum valid_rule rule;
		const char *s;
		size_t len;

		if (!json_object_is_type(v, json_type_string)) {
			if (jb_error(errors, "string_type",
			    jb_loc("body", NULL, NULL, (long)i),
			    JB_MSG("Input should be a valid string"), v) != 0)
				return -1;
			continue;
		}
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if ((rule = valid_digest(s, len)) != VALID_OK &&
		    add_error(errors, rule, jb_loc("body", NULL, NULL,
		    (long)i), json_object_new_string_len(s, (int)len),
		    DIGEST_PATTERN) != 0)
			return -1;
	}
	if (json_object_array_length(errors) > before)
		return 0;
	/* As a validator after the list's own checks: only a sound list. */
	if (query_given) {
		snprintf(msg, sizeof(msg), "Value error, %s", both);
		return jb_error_ctx(errors, "value_error",
		    jb_loc("body", NULL, NULL, -1), msg, strlen(msg), body,
		    jb_ctx("error",
		    json_object_new_string(both)));
	}
	*ok = 1;
	return 0;
}
