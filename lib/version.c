#include <limits.h>
#include <stdio.h>
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

/* The stored value's start when POST, model create or model add made it. */
#define MODEL_PREFIX "{\"_type\":\"Model\",\"_class_name\":\"Model\"," \
	"\"_bases\":[\"Object\",\"BaseModel\"],\"name\":"
#define FILES_PREFIX ",\"files\":{\"obj.py\":\""

/*
 * The end of the JSON string token at s[i..n) (s[i] is its opening quote),
 * just past its closing quote; 0 when it does not close.
 */
static size_t
string_end(const char *s, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* Appends s[0..n) at *o. */
static void
put(char **o, const char *s, size_t n)
{
	memcpy(*o, s, n);
	*o += n;
}

/*
 * The common case without a parse (version.h): a value written by this service is
 * FastAPI's compact rendering of {"_type",..,"_bases","name","description",
 * "files":{"obj.py":FD}, attributes...}, keys unique, so its name and
 * description tokens and the attributes' text after "files" can be spliced
 * into the answer as they stand (the reserved keys all sit in the prefix,
 * so none can follow). Returns NULL with *len 0 when v->val has another
 * shape (migrated jsonb text, model add --val values), for the general way;
 * NULL with *len 1 when out of memory.
 */
char *
version_render_spliced(const struct store_version *v, size_t *len)
{
	const char *val = v->val, *name, *desc, *attrs;
	size_t n = v->val_len, i, name_len, desc_len, attrs_len, cap;
	char created[TIMEFMT_MAX], index[24], *text, *o;
	int created_len, index_len;

	*len = 0;
	i = sizeof(MODEL_PREFIX) - 1;
	if (n <= i || memcmp(val, MODEL_PREFIX, i) != 0 || val[i] != '"')
		return NULL;
	name = val + i;
	if ((i = string_end(val, i, n)) == 0)
		return NULL;
	name_len = (size_t)(val + i - name);
	if (n - i < 16 || memcmp(val + i, ",\"description\":", 15) != 0)
		return NULL;
	i += 15;
	desc = val + i;
	if (val[i] == '"') {
		if ((i = string_end(val, i, n)) == 0)
			return NULL;
	} else if (n - i >= 4 && memcmp(val + i, "null", 4) == 0)
		i += 4;
	else
		return NULL;
	desc_len = (size_t)(val + i - desc);
	if (n - i < sizeof(FILES_PREFIX) - 1 + 43 + 3 ||
	    memcmp(val + i, FILES_PREFIX, sizeof(FILES_PREFIX) - 1) != 0)
		return NULL;
	i += sizeof(FILES_PREFIX) - 1 + 43;
	if (memcmp(val + i, "\"}", 2) != 0)
		return NULL;
	i += 2;
	if (val[i] == '}' && i + 1 == n) {
		attrs = "null";
		attrs_len = 4;
	} else if (val[i] == ',' && val[n - 1] == '}') {
		/* "{" and the rest: the attributes in the order sent. */
		attrs = val + i;
		attrs_len = n - i;
	} else
		return NULL;

	cap = 160 + 6 * strlen(v->object_id) + strlen(v->digest) + name_len +
	    desc_len + 6 * v->source_len + attrs_len;
	if ((text = malloc(cap)) == NULL) {
		*len = 1;
		return NULL;
	}
	o = text;
	put(&o, "{\"object_id\":", 13);
	o += canon_compact_string(v->object_id, strlen(v->object_id), o);
	put(&o, ",\"digest\":", 10);
	o += canon_compact_string(v->digest, strlen(v->digest), o);
	index_len = snprintf(index, sizeof(index), "%lld", v->version_index);
	created_len = timefmt(v->created_us, TIMEFMT_PYDANTIC, created);
	put(&o, ",\"version_index\":", 17);
	put(&o, index, (size_t)index_len);
	put(&o, ",\"created_at\":\"", 15);
	put(&o, created, (size_t)created_len);
	put(&o, "\",\"name\":", 9);
	put(&o, name, name_len);
	put(&o, ",\"description\":", 15);
	put(&o, desc, desc_len);
	put(&o, ",\"source_code\":", 15);
	o += canon_compact_string(v->source ? v->source : "", v->source_len, o);
	put(&o, ",\"attributes\":", 14);
	if (attrs_len == 4) {
		put(&o, attrs, 4);
	} else {
		*o++ = '{';
		put(&o, attrs + 1, attrs_len - 1);
	}
	*o++ = '}';
	*o = '\0';
	*len = (size_t)(o - text);
	return text;
}

char *
version_render(const struct store_version *v, size_t *len)
{
	struct json_object *val = NULL, *o = NULL, *name = NULL, *desc = NULL;
	struct json_object *attrs = NULL, *src = NULL;
	struct jparse_error err;
	char created[TIMEFMT_MAX];
	char *text = NULL;

	if ((text = version_render_spliced(v, len)) != NULL || *len == 1)
		return text;
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
