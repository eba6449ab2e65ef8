#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "canon.h"
#include "jparse.h"
#include "jsonb.h"
#include "timefmt.h"
#include "version.h"

/*
 * The stored value's layout (section 9.1 key order), written once: the
 * create path builds its value from MODEL_LAYOUT with the slots filled in
 * (name, description, the source's digest, then the attributes), and
 * version_render_spliced reads exactly that text back without a parse.
 * It is FastAPI's compact rendering with the slots empty.
 */
#define KEY_TYPE	"_type"
#define KEY_CLASS	"_class_name"
#define KEY_BASES	"_bases"
#define KEY_NAME	"name"
#define KEY_DESC	"description"
#define KEY_FILES	"files"
#define KEY_SOURCE	"obj.py"
#define MODEL_PREFIX	"{\"" KEY_TYPE "\":\"Model\"," \
	"\"" KEY_CLASS "\":\"Model\"," \
	"\"" KEY_BASES "\":[\"Object\",\"BaseModel\"]," \
	"\"" KEY_NAME "\":"
#define DESC_PREFIX	",\"" KEY_DESC "\":"
#define FILES_PREFIX	",\"" KEY_FILES "\":{\"" KEY_SOURCE "\":\""
#define MODEL_LAYOUT	MODEL_PREFIX "\"\"" DESC_PREFIX "null" \
	FILES_PREFIX "\"}}"

/* MODEL_LAYOUT's keys, which Weave's Model value reserves. */
const char *const version_reserved[VERSION_RESERVED] = {
	KEY_TYPE, KEY_CLASS, KEY_BASES, KEY_NAME, KEY_DESC, KEY_FILES
};

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

/*
 * The common case without a parse (version.h): a value this service wrote
 * is MODEL_LAYOUT with its slots filled and the attributes after it, keys
 * unique, so its name and description tokens and the attributes' text
 * after "files" can be spliced into the answer as they stand (the reserved
 * keys all sit in the layout, so none can follow). Returns NULL with *len
 * 0 when v->val has another shape (migrated jsonb text, model add --val
 * values), for the general way; NULL with *len 1 when out of memory.
 */
/*
 * Points c at the escaped token of the source text s[0..n), escaping it
 * only when it differs from the last one. Returns 0, or -1 when out of
 * memory (the cache is then empty).
 */
static int
cache_source(struct version_cache *c, const char *s, size_t n)
{
	char *copy, *esc;

	if (c->escaped != NULL && c->source_len == n &&
	    memcmp(c->source, s, n) == 0)
		return 0;
	version_cache_free(c);
	if ((copy = malloc(n + 1)) == NULL ||
	    (esc = malloc(6 * n + 3)) == NULL) {
		free(copy);
		return -1;
	}
	memcpy(copy, s, n);
	c->source = copy;
	c->source_len = n;
	c->escaped = esc;
	c->escaped_len = canon_compact_string(s, n, esc);
	return 0;
}

void
version_cache_free(struct version_cache *c)
{
	free(c->source);
	free(c->escaped);
	*c = (struct version_cache){ 0 };
}

static char *
render_spliced(const struct store_version *v, size_t *len,
    struct version_cache *cache)
{
	const char *val = v->val, *name, *desc, *attrs;
	const char *source = v->source ? v->source : "";
	size_t n = v->val_len, i, name_len, desc_len, attrs_len, cap, src_cap;
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
	if (n - i < sizeof(DESC_PREFIX) ||
	    memcmp(val + i, DESC_PREFIX, sizeof(DESC_PREFIX) - 1) != 0)
		return NULL;
	i += sizeof(DESC_PREFIX) - 1;
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

	if (cache != NULL && v->source_len > VERSION_CACHE_MAX)
		cache = NULL;
	if (cache != NULL && cache_source(cache, source, v->source_len) != 0) {
		*len = 1;
		return NULL;
	}
	src_cap = cache != NULL ? cache->escaped_len : 6 * v->source_len;
	cap = 160 + 6 * strlen(v->object_id) + strlen(v->digest) + name_len +
	    desc_len + src_cap + attrs_len;
	if ((text = malloc(cap)) == NULL) {
		*len = 1;
		return NULL;
	}
	o = text;
	append(&o, "{\"object_id\":", 13);
	o += canon_compact_string(v->object_id, strlen(v->object_id), o);
	append(&o, ",\"digest\":", 10);
	o += canon_compact_string(v->digest, strlen(v->digest), o);
	index_len = snprintf(index, sizeof(index), "%lld", v->version_index);
	created_len = timefmt(v->created_us, TIMEFMT_PYDANTIC, created);
	append(&o, ",\"version_index\":", 17);
	append(&o, index, (size_t)index_len);
	append(&o, ",\"created_at\":\"", 15);
	append(&o, created, (size_t)created_len);
	append(&o, "\",\"name\":", 9);
	append(&o, name, name_len);
	append(&o, ",\"description\":", 15);
	append(&o, desc, desc_len);
	append(&o, ",\"source_code\":", 15);
	if (cache != NULL)
		append(&o, cache->escaped, cache->escaped_len);
	else
		o += canon_compact_string(source, v->source_len, o);
	append(&o, ",\"attributes\":", 14);
	if (attrs_len == 4) {
		append(&o, attrs, 4);
	} else {
		*o++ = '{';
		append(&o, attrs + 1, attrs_len - 1);
	}
	*o++ = '}';
	*o = '\0';
	*len = (size_t)(o - text);
	return text;
}

/*
 * Adds under key a copy of val's member key when it is a string, else
 * fallback (a string, or NULL for the JSON null). Returns 0 or -1.
 */
static int
add_string_member(struct json_object *o, const char *key,
    struct json_object *val, const char *fallback)
{
	struct json_object *m;

	if (val != NULL && json_object_object_get_ex(val, key, &m) &&
	    json_object_is_type(m, json_type_string))
		return jb_add(o, key, json_object_new_string_len(
		    json_object_get_string(m), json_object_get_string_len(m)));
	if (fallback == NULL)
		return jb_add_null(o, key);
	return jb_add(o, key, json_object_new_string(fallback));
}

/* Adds val without its reserved keys, or null when nothing is left. */
static int
add_attributes(struct json_object *o, struct json_object *val)
{
	if (val == NULL)
		return jb_add_null(o, "attributes");
	for (size_t i = 0; i < VERSION_RESERVED; i++)
		json_object_object_del(val, version_reserved[i]);
	if (json_object_object_length(val) == 0)
		return jb_add_null(o, "attributes");
	return jb_add(o, "attributes", json_object_get(val));
}

char *
version_render_spliced(const struct store_version *v, size_t *len)
{
	return render_spliced(v, len, NULL);
}

char *
version_render(const struct store_version *v, size_t *len)
{
	return version_render_cached(v, len, NULL);
}

char *
version_render_cached(const struct store_version *v, size_t *len,
    struct version_cache *cache)
{
	struct json_object *val = NULL, *o;
	struct jparse_error err;
	char created[TIMEFMT_MAX];
	char *text = NULL;

	if ((text = render_spliced(v, len, cache)) != NULL || *len == 1)
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
	timefmt(v->created_us, TIMEFMT_PYDANTIC, created);
	/* In order: name and description are copied before the attributes
	 * lose the reserved keys. */
	if ((o = json_object_new_object()) != NULL &&
	    jb_add(o, "object_id", json_object_new_string(v->object_id)) == 0 &&
	    jb_add(o, "digest", json_object_new_string(v->digest)) == 0 &&
	    jb_add(o, "version_index",
	    json_object_new_int64(v->version_index)) == 0 &&
	    jb_add(o, "created_at", json_object_new_string(created)) == 0 &&
	    add_string_member(o, KEY_NAME, val, v->object_id) == 0 &&
	    add_string_member(o, KEY_DESC, val, NULL) == 0 &&
	    jb_add(o, "source_code", json_object_new_string_len(v->source ?
	    v->source : "", (int)v->source_len)) == 0 &&
	    add_attributes(o, val) == 0)
		text = canon_compact(o, len);
	json_object_put(o);
	json_object_put(val);
	return text;
}

/*
 * MODEL_LAYOUT parsed once per process (NULL when that ran out of memory):
 * a copy of it costs a create less than a parse.
 */
static struct json_object *layout;
static pthread_once_t layout_once = PTHREAD_ONCE_INIT;

static void
parse_layout(void)
{
	struct jparse_error err;

	if (jparse(MODEL_LAYOUT, sizeof(MODEL_LAYOUT) - 1, &layout, &err) !=
	    JPARSE_OK)
		layout = NULL;
}

/* A new object of MODEL_LAYOUT's members, or NULL when out of memory. */
static struct json_object *
new_layout(void)
{
	struct json_object *v = NULL;
	struct jparse_error err;

	pthread_once(&layout_once, parse_layout);
	if (layout != NULL)
		return json_object_deep_copy(layout, &v, NULL) == 0 ? v : NULL;
	/* The first parse failed: parse each time rather than fail each time. */
	if (jparse(MODEL_LAYOUT, sizeof(MODEL_LAYOUT) - 1, &v, &err) !=
	    JPARSE_OK) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

/*
 * The value stored for m: MODEL_LAYOUT with name, description and the
 * source's digest in their slots, then the attributes' keys in the order
 * sent, their values shared with the body. json-c replaces a member in
 * its place, so the layout's order stands. A new object, or NULL when out
 * of memory.
 */
static struct json_object *
model_value(const struct body_model *m, const char *source_digest)
{
	struct json_object *v, *files;
	int rc;

	if ((v = new_layout()) == NULL ||
	    !json_object_object_get_ex(v, KEY_FILES, &files)) {
		json_object_put(v);
		return NULL;
	}
	rc = jb_add(v, KEY_NAME, json_object_new_string_len(m->name,
	    (int)m->name_len));
	if (rc == 0 && m->description != NULL)
		rc = jb_add(v, KEY_DESC, json_object_new_string_len(
		    m->description, (int)m->description_len));
	if (rc == 0)
		rc = jb_add(files, KEY_SOURCE,
		    json_object_new_string(source_digest));
	if (rc == 0 && m->attributes != NULL) {
		json_object_object_foreach(m->attributes, k, a) {
			rc = a == NULL ? jb_add_null(v, k) :
			    jb_add(v, k, json_object_get(a));
			if (rc != 0)
				break;
		}
	}
	if (rc != 0) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

int
version_prepare(const struct body_model *m, struct version_new *out)
{
	struct json_object *val;
	char *sorted;
	size_t slen, clen;

	out->val = NULL;
	canon_digest(m->source, m->source_len, out->source_digest);
	if ((val = model_value(m, out->source_digest)) == NULL)
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
