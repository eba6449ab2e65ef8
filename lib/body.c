#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "objname.h"
#include "respond.h"
#include "utf8.h"
#include "validate.h"

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

/* Adds v (taken; NULL is the JSON null) under k. Returns 0 or -1. */
static int
put(struct json_object *o, const char *k, struct json_object *v)
{
	if (json_object_object_add(o, k, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* ["body"], ["body",field] or ["body",field,key]: fields NULL when absent. */
static struct json_object *
new_loc(const char *field, const char *key)
{
	struct json_object *loc = json_object_new_array();

	if (loc == NULL ||
	    resp_append(loc, json_object_new_string("body")) != 0 ||
	    (field != NULL && resp_append(loc, json_object_new_string(field))) ||
	    (key != NULL && resp_append(loc, json_object_new_string(key)))) {
		json_object_put(loc);
		return NULL;
	}
	return loc;
}

/* {k: v} with v taken; NULL when out of memory. */
static struct json_object *
new_ctx(const char *k, struct json_object *v)
{
	struct json_object *ctx = json_object_new_object();

	if (ctx == NULL) {
		json_object_put(v);
		return NULL;
	}
	if (resp_add(ctx, k, v) != 0) {
		json_object_put(ctx);
		return NULL;
	}
	return ctx;
}

/* Adds *v under k like put and clears *v: it is no longer the caller's. */
static int
take(struct json_object *o, const char *k, struct json_object **v)
{
	int rc = put(o, k, *v);

	*v = NULL;
	return rc;
}

/*
 * Appends {"type","loc","msg","input"[,"ctx"]} to errors. loc, input and ctx
 * are taken; input NULL is the JSON null, ctx NULL means none (so callers
 * check their own ctx constructor), loc NULL is a failed constructor. msg is
 * msg[0..msg_len). Returns 0, or -1 when out of memory.
 */
static int
entry(struct json_object *errors, const char *type, struct json_object *loc,
    const char *msg, size_t msg_len, struct json_object *input,
    struct json_object *ctx)
{
	struct json_object *e = json_object_new_object();

	if (e == NULL || loc == NULL ||
	    resp_add(e, "type", json_object_new_string(type)) ||
	    take(e, "loc", &loc) ||
	    resp_add(e, "msg", json_object_new_string_len(msg, (int)msg_len)) ||
	    take(e, "input", &input) ||
	    (ctx != NULL && take(e, "ctx", &ctx))) {
		json_object_put(e);
		json_object_put(loc);
		json_object_put(input);
		json_object_put(ctx);
		return -1;
	}
	return resp_append(errors, e);
}

#define MSG(s) s, sizeof(s) - 1

int
body_err_missing(struct json_object *errors)
{
	return entry(errors, "missing", new_loc(NULL, NULL),
	    MSG("Field required"), NULL, NULL);
}

int
body_err_json_invalid(struct json_object *errors, size_t pos,
    const char *text)
{
	struct json_object *loc = new_loc(NULL, NULL), *input, *ctx;

	if (loc == NULL ||
	    resp_append(loc, json_object_new_int64((int64_t)pos)) != 0) {
		json_object_put(loc);
		return -1;
	}
	if ((input = json_object_new_object()) == NULL) {
		json_object_put(loc);
		return -1;
	}
	if ((ctx = new_ctx("error", json_object_new_string(text))) == NULL) {
		json_object_put(loc);
		json_object_put(input);
		return -1;
	}
	return entry(errors, "json_invalid", loc, MSG("JSON decode error"),
	    input, ctx);
}

int
body_err_not_object(struct json_object *errors, struct json_object *input)
{
	return entry(errors, "model_attributes_type", new_loc(NULL, NULL),
	    MSG("Input should be a valid dictionary or object to extract "
	    "fields from"), input, NULL);
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
	return entry(errors, "missing", new_loc(field, NULL),
	    MSG("Field required"), json_object_get(body), NULL);
}

static int
err_type(struct json_object *errors, const char *field, const char *type,
    const char *msg, size_t msg_len, struct json_object *input)
{
	return entry(errors, type, new_loc(field, NULL), msg, msg_len,
	    json_object_get(input), NULL);
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
	ctx = new_ctx("error", json_object_new_string_len(msg + hlen,
	    (int)(plen + len)));
	if (ctx == NULL) {
		free(msg);
		json_object_put(loc);
		return -1;
	}
	rc = entry(errors, "value_error", loc, msg, hlen + plen + len,
	    json_object_get(input), ctx);
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
	    MSG("Input should be a valid string"), v) ? -1 : 0;
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
	struct json_object *ctx;

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
	if (rule == VALID_TOO_LONG) {
		if ((ctx = new_ctx("max_length",
		    json_object_new_int(BODY_MAX_ID_LEN))) == NULL ||
		    entry(errors, "string_too_long", new_loc("name", NULL),
		    MSG("String should have at most 128 characters"),
		    json_object_get(name), ctx) != 0)
			return -1;
		return 0;
	}
	/* Weave's object_id_validator names the derived id, not the name. */
	return err_value(errors, new_loc("name", NULL),
	    "Invalid object name: ", m->object_id, m->object_id_len, name) ?
	    -1 : 0;
}

static const char *const reserved_keys[] = {
	"_type", "_class_name", "_bases", "name", "description", "files",
};

/* One value_error per reserved key of attrs, in the order sent. */
static int
check_reserved(struct json_object *errors, struct json_object *attrs)
{
	json_object_object_foreach(attrs, k, v) {
		for (size_t i = 0; i < sizeof(reserved_keys) /
		    sizeof(reserved_keys[0]); i++) {
			if (strcmp(k, reserved_keys[i]) != 0)
				continue;
			if (err_value(errors, new_loc("attributes", k),
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
		    MSG("Input should be a valid dictionary"), attrs) != 0)
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

struct json_object *
body_model_value(const struct body_model *m, const char *source_digest)
{
	struct json_object *v = json_object_new_object(), *bases, *files;
	struct json_object *desc = NULL;

	if (v == NULL)
		return NULL;
	if (m->description != NULL && (desc = json_object_new_string_len(
	    m->description, (int)m->description_len)) == NULL)
		goto fail;
	if (resp_add(v, "_type", json_object_new_string("Model")) ||
	    resp_add(v, "_class_name", json_object_new_string("Model")) ||
	    resp_add(v, "_bases", bases = json_object_new_array()) ||
	    resp_append(bases, json_object_new_string("Object")) ||
	    resp_append(bases, json_object_new_string("BaseModel")) ||
	    resp_add(v, "name", json_object_new_string_len(m->name,
	    (int)m->name_len)) ||
	    take(v, "description", &desc) ||
	    resp_add(v, "files", files = json_object_new_object()) ||
	    resp_add(files, "obj.py", json_object_new_string(source_digest)))
		goto fail;
	if (m->attributes != NULL) {
		json_object_object_foreach(m->attributes, k, a) {
			if (put(v, k, json_object_get(a)) != 0)
				goto fail;
		}
	}
	return v;
fail:
	json_object_put(desc);
	json_object_put(v);
	return NULL;
}
