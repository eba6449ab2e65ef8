#include <stdint.h>

#include "jsonb.h"

int
jb_add(struct json_object *o, const char *k, struct json_object *v)
{
	if (o == NULL || v == NULL || json_object_object_add(o, k, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

int
jb_append(struct json_object *a, struct json_object *v)
{
	if (a == NULL || v == NULL || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

int
jb_add_null(struct json_object *o, const char *k)
{
	if (o == NULL || json_object_object_add(o, k, NULL) != 0)
		return -1;
	return 0;
}

struct json_object *
jb_loc(const char *where, const char *field, const char *key, long index)
{
	struct json_object *loc = json_object_new_array();
	int rc;

	rc = jb_append(loc, json_object_new_string(where));
	if (rc == 0 && field != NULL)
		rc = jb_append(loc, json_object_new_string(field));
	if (rc == 0 && key != NULL)
		rc = jb_append(loc, json_object_new_string(key));
	if (rc == 0 && index >= 0)
		rc = jb_append(loc, json_object_new_int64((int64_t)index));
	if (rc != 0) {
		json_object_put(loc);
		return NULL;
	}
	return loc;
}

struct json_object *
jb_ctx(const char *k, struct json_object *v)
{
	struct json_object *ctx = json_object_new_object();

	if (jb_add(ctx, k, v) != 0) {
		json_object_put(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * jb_error and jb_error_ctx (has_ctx). Each step runs whatever came
 * before it, so that every taken value ends in e or is released.
 */
static int
error_entry(struct json_object *errors, const char *type,
    struct json_object *loc, const char *msg, size_t msg_len,
    struct json_object *input, int has_ctx, struct json_object *ctx)
{
	struct json_object *e = json_object_new_object();
	int rc;

	rc = jb_add(e, "type", json_object_new_string(type));
	rc |= jb_add(e, "loc", loc);
	rc |= jb_add(e, "msg", json_object_new_string_len(msg, (int)msg_len));
	rc |= input == NULL ? jb_add_null(e, "input") :
	    jb_add(e, "input", json_object_get(input));
	if (has_ctx)
		rc |= jb_add(e, "ctx", ctx);
	if (rc != 0) {
		json_object_put(e);
		return -1;
	}
	return jb_append(errors, e);
}

int
jb_error(struct json_object *errors, const char *type,
    struct json_object *loc, const char *msg, size_t msg_len,
    struct json_object *input)
{
	return error_entry(errors, type, loc, msg, msg_len, input, 0, NULL);
}

int
jb_error_ctx(struct json_object *errors, const char *type,
    struct json_object *loc, const char *msg, size_t msg_len,
    struct json_object *input, struct json_object *ctx)
{
	return error_entry(errors, type, loc, msg, msg_len, input, 1, ctx);
}
