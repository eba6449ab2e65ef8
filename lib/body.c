#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "jsonb.h"
#include "objname.h"
#include "utf8.h"
#include "validate.h"
#include "version.h"

/* Python's str.strip() set, on Content-Type bytes read as Latin-1. */
static int
is_py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') ||
	    (c >= 0x1C && c <= 0x1F) || c == 0x85 || c == 0xA0;
}

static int
ascii_ieq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	if (len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

int
body_media_is_json(const char *ct)
{
	const char *end, *slash;
	size_t n;

	/* FastAPI: a falsy header value parses the body as JSON. */
	if (ct == NULL || *ct == '\0')
		return 1;
	/* email.message: the part before ';', stripped, must hold one '/'. */
	end = strchr(ct, ';');
	n = end ? (size_t)(end - ct) : strlen(ct);
	while (n > 0 && is_py_space((unsigned char)*ct)) {
		ct++;
		n--;
	}
	while (n > 0 && is_py_space((unsigned char)ct[n - 1]))
		n--;
	if ((slash = memchr(ct, '/', n)) == NULL ||
	    memchr(slash + 1, '/', n - (size_t)(slash - ct) - 1) != NULL)
		return 0;
	if (!ascii_ieq(ct, (size_t)(slash - ct), "application"))
		return 0;
	slash++;
	n -= (size_t)(slash - ct);
	return ascii_ieq(slash, n, "json") ||
	    (n >= 5 && ascii_ieq(slash + n - 5, 5, "+json"));
}

int
body_err_missing(struct json_object *errors)
{
	return jb_error(errors, "missing", jb_loc("body", NULL, NULL, -1),
	    JB_MSG("Field required"), NULL);
}

int
body_err_json_invalid(struct json_object *errors, size_t pos,
    const char *text)
{
	struct json_object *input = json_object_new_object();
	int rc;

	/* NULL would be lent as the JSON null: out of memory here. */
	if (input == NULL)
		return -1;
	rc = jb_error_ctx(errors, "json_invalid",
	    jb_loc("body", NULL, NULL, (long)pos), JB_MSG("JSON decode error"),
	    input, jb_ctx("error", json_object_new_string(text)));
	json_object_put(input);
	return rc;
}

int
body_err_not_object(struct json_object *errors, struct json_object *input)
{
	int rc = jb_error(errors, "model_attributes_type",
	    jb_loc("body", NULL, NULL, -1),
	    JB_MSG("Input should be a valid dictionary or object to extract "
	    "fields from"), input);

	json_object_put(input);
	return rc;
}

int
body_err_not_json_text(struct json_object *errors, const char *buf,
    size_t len)
{
	struct json_object *input;
	char *text;
	size_t n;

	if (len > (size_t)INT32_MAX / 3 || (text = malloc(3 * len + 1)) == NULL)
		return -1;
	n = utf8_replace(buf, len, text);
	input = json_object_new_string_len(text, (int)n);
	free(text);
	if (input == NULL)
		return -1;
	return body_err_not_object(errors, input);
}

/* The entry of a field that is absent: input is the whole body. */
static int
err_missing_field(struct json_object *errors, const char *field,
    struct json_object *body)
{
	return jb_error(errors, "missing", jb_loc("body", field, NULL, -1),
	    JB_MSG("Field required"), body);
}

/* input is lent. */
static int
err_type(struct json_object *errors, const char *field, const char *type,
    const char *msg, size_t msg_len, struct json_object *input)
{
	return jb_error(errors, type, jb_loc("body", field, NULL, -1), msg,
	    msg_len, input);
}

/*
 * A pydantic value_error: msg "Value error, " + what, ctx {"error": what},
 * where what is prefix + s[0..len). input is borrowed.
 */
static int
err_value(struct json_object *errors, struct json_object *loc,
    const char *prefix, const char *s, size_t len, struct json_object *input)
{
	static const char head[] = "Value error, ";
	size_t hlen = sizeof(head) - 1, plen = strlen(prefix);
	char *msg = malloc(hlen + plen + len + 1);
	struct json_object *ctx;
	int rc;

	if (msg == NULL) {
		json_object_put(loc);
		return -1;
	}
	memcpy(msg, head, hlen);
	memcpy(msg + hlen, prefix, plen);
	memcpy(msg + hlen + plen, s, len);
	ctx = jb_ctx("error", json_object_new_string_len(msg + hlen,
	    (int)(plen + len)));
	rc = jb_error_ctx(errors, "value_error", loc, msg, hlen + plen + len,
	    input, ctx);
	free(msg);
	return rc;
}

/*
 * The string field f of body: 1 and *out set when it is a string (or, with
 * nullable, JSON null: *out NULL); 0 after appending its entry; -1 when out
 * of memory.
 */
static int
check_string(struct json_object *body, struct json_object *errors,
    const char *f, int required, struct json_object **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(body, f, &v)) {
		if (!required)
			return 1;
		return err_missing_field(errors, f, body) ? -1 : 0;
	}
	if (json_object_is_type(v, json_type_string) ||
	    (v == NULL && !required)) {
		*out = v;
		return 1;
	}
	return err_type(errors, f, "string_type",
	    JB_MSG("Input should be a valid string"), v) ? -1 : 0;
}

/*
 * The object id rules on a string name: 1 with the id in m when it passes,
 * 0 after appending its entry, -1 when out of memory.
 */
static int
check_object_id(struct json_object *errors, struct json_object *name,
    struct body_model *m)
{
	const char *s = json_object_get_string(name);
	size_t len = (size_t)json_object_get_string_len(name);
	enum valid_rule rule;

	/* objname_to_id reads whole sequences: the parser vouches for UTF-8. */
	if (utf8_count(s, len) < 0 ||
	    objname_to_id(s, len, &m->object_id, &m->object_id_len) != 0)
		return -1;
	rule = valid_object_id(m->object_id, m->object_id_len);
	if (rule == VALID_OK && (strcmp(m->object_id, ".") == 0 ||
	    strcmp(m->object_id, "..") == 0))
		rule = VALID_PATTERN;
	if (rule == VALID_OK)
		return 1;
	if (rule == VALID_TOO_LONG)
		return jb_error_ctx(errors, "string_too_long",
		    jb_loc("body", "name", NULL, -1),
		    JB_MSG("String should have at most 128 characters"), name,
		    jb_ctx("max_length", json_object_new_int(BODY_MAX_ID_LEN))) ?
		    -1 : 0;
	/* Weave's object_id_validator names the derived id, not the name. */
	return err_value(errors, jb_loc("body", "name", NULL, -1),
	    "Invalid object name: ", m->object_id, m->object_id_len, name) ?
	    -1 : 0;
}

/* One value_error per reserved key of attrs, in the order sent. */
static int
check_reserved(struct json_object *errors, struct json_object *attrs)
{
	json_object_object_foreach(attrs, k, v) {
		for (size_t i = 0; i < VERSION_RESERVED; i++) {
			if (strcmp(k, version_reserved[i]) != 0)
				continue;
			if (err_value(errors,
			    jb_loc("body", "attributes", k, -1),
			    "Reserved attribute name: ", k, strlen(k), v) != 0)
				return -1;
		}
	}
	return 0;
}

int
body_check(struct json_object *body, struct json_object *errors,
    struct body_model *m)
{
	struct json_object *name, *desc, *src, *attrs = NULL;
	size_t before = json_object_array_length(errors);
	int name_ok;

	memset(m, 0, sizeof(*m));
	if ((name_ok = check_string(body, errors, "name", 1, &name)) < 0)
		goto fail;
	if (name_ok && (name_ok = check_object_id(errors, name, m)) < 0)
		goto fail;
	if (check_string(body, errors, "description", 0, &desc) < 0 ||
	    check_string(body, errors, "source_code", 1, &src) < 0)
		goto fail;
	if (json_object_object_get_ex(body, "attributes", &attrs) &&
	    attrs != NULL && !json_object_is_type(attrs, json_type_object)) {
		if (err_type(errors, "attributes", "dict_type",
		    JB_MSG("Input should be a valid dictionary"), attrs) != 0)
			goto fail;
	} else if (attrs != NULL && check_reserved(errors, attrs) != 0)
		goto fail;
	if (json_object_array_length(errors) != before) {
		body_model_free(m);
		return 0;
	}
	m->name = json_object_get_string(name);
	m->name_len = (size_t)json_object_get_string_len(name);
	if (desc != NULL) {
		m->description = json_object_get_string(desc);
		m->description_len = (size_t)json_object_get_string_len(desc);
	}
	m->source = json_object_get_string(src);
	m->source_len = (size_t)json_object_get_string_len(src);
	m->attributes = attrs;
	return 0;
fail:
	body_model_free(m);
	return -1;
}

void
body_model_free(struct body_model *m)
{
	free(m->object_id);
	memset(m, 0, sizeof(*m));
}
