#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "jparse.h"
#include "respond.h"
#include "timefmt.h"
#include "version.h"

/* The keys Weave's Model value reserves; the rest are attributes. */
static const char *const reserved[] = {
	"_type", "_class_name", "_bases", "name", "description", "files"
};

/*
 * Sets *out to a copy of o's member key when it is a string, else NULL.
 * Returns 0, or -1 when out of memory.
 */
static int
string_member(struct json_object *o, const char *key, struct json_object **out)
{
	struct json_object *v;

	*out = NULL;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	*out = json_object_new_string_len(json_object_get_string(v),
	    json_object_get_string_len(v));
	return *out == NULL ? -1 : 0;
}

/* Adds *v (NULL: JSON null) under key; *v is o's afterwards either way. */
static int
add_owned(struct json_object *o, const char *key, struct json_object **v)
{
	int rc = json_object_object_add(o, key, *v);

	if (rc != 0)
		json_object_put(*v);
	*v = NULL;
	return rc;
}

char *
version_render(const struct store_version *v, size_t *len)
{
	struct json_object *val = NULL, *o = NULL, *name = NULL, *desc = NULL;
	struct json_object *attrs = NULL, *src = NULL;
	struct jparse_error err;
	char created[TIMEFMT_MAX];
	char *text = NULL;

	if (v->source_len > INT_MAX)
		return NULL;
	/* A stored value that does not parse reads like one that is no object. */
	if (jparse(v->val, v->val_len, &val, &err) == JPARSE_NOMEM)
		return NULL;
	if (val != NULL && !json_object_is_type(val, json_type_object)) {
		json_object_put(val);
		val = NULL;
	}
	if (string_member(val, "name", &name) != 0 ||
	    string_member(val, "description", &desc) != 0)
		goto done;
	if (name == NULL && (name = json_object_new_string(v->object_id)) == NULL)
		goto done;
	if (val != NULL) {
		for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			json_object_object_del(val, reserved[i]);
		if (json_object_object_length(val) > 0)
			attrs = json_object_get(val);
	}
	if ((src = json_object_new_string_len(v->source ? v->source : "",
	    (int)v->source_len)) == NULL || (o = json_object_new_object()) == NULL)
		goto done;
	timefmt(v->created_us, TIMEFMT_PYDANTIC, created);
	if (resp_add(o, "object_id", json_object_new_string(v->object_id)) ||
	    resp_add(o, "digest", json_object_new_string(v->digest)) ||
	    resp_add(o, "version_index", json_object_new_int64(v->version_index)) ||
	    resp_add(o, "created_at", json_object_new_string(created)) ||
	    add_owned(o, "name", &name) || add_owned(o, "description", &desc) ||
	    add_owned(o, "source_code", &src) ||
	    add_owned(o, "attributes", &attrs))
		goto done;
	text = canon_compact(o, len);
done:
	json_object_put(o);
	json_object_put(name);
	json_object_put(desc);
	json_object_put(src);
	json_object_put(attrs);
	json_object_put(val);
	return text;
}

int
version_prepare(const struct body_model *m, struct version_new *out)
{
	struct json_object *val;
	char *sorted;
	size_t slen, clen;

	out->val = NULL;
	canon_digest(m->source, m->source_len, out->source_digest);
	if ((val = body_model_value(m, out->source_digest)) == NULL)
		return -1;
	/* The digest is of Python's sort_keys form; the text kept is FastAPI's. */
	sorted = canon_sorted(val, &slen);
	out->val = canon_compact(val, &clen);
	json_object_put(val);
	if (sorted == NULL || out->val == NULL) {
		free(sorted);
		free(out->val);
		out->val = NULL;
		return -1;
	}
	canon_digest(sorted, slen, out->digest);
	free(sorted);
	return 0;
}
