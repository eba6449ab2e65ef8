#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "openapi.h"
#include "route.h"
#include "t.h"

/*
 * The document served at /openapi.json against the router: every path it
 * names is a route answering exactly the methods it lists, every route is
 * in it, and the names clients rely on are there.
 */

static const char *const methods[] = {
	"delete", "get", "head", "options", "patch", "post", "put", "trace"
};

/* "/v2/{entity}/..." with each {param} as "x". */
static void
concrete(const char *tmpl, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = tmpl; *p && o + 2 < size; p++) {
		if (*p == '{') {
			while (*p && *p != '}')
				p++;
			out[o++] = 'x';
			if (*p == '\0')
				break;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
}

/* The item's methods, upper case, alphabetical, ", "-separated. */
static void
listed(struct json_object *item, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < T_LEN(methods); i++) {
		char up[16];
		size_t n = strlen(methods[i]);

		if (!json_object_object_get_ex(item, methods[i], NULL))
			continue;
		for (size_t j = 0; j <= n; j++)
			up[j] = (char)toupper((unsigned char)methods[i][j]);
		if (out[0] != '\0')
			strncat(out, ", ", size - strlen(out) - 1);
		strncat(out, up, size - strlen(out) - 1);
	}
}

static const char *
str_at(struct json_object *o, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (o == NULL || !json_object_object_get_ex(o, keys[i], &o))
			return NULL;
	return json_object_is_type(o, json_type_string) ?
	    json_object_get_string(o) : NULL;
}

void
test_openapi(void)
{
	static const struct { const char *path, *method, *id; } ops[] = {
		{ "/v2/{entity}/{project}/models", "post",
		    "model_create_v2__entity___project__models_post" },
		{ "/v2/{entity}/{project}/models", "get",
		    "model_list_v2__entity___project__models_get" },
		{ "/v2/{entity}/{project}/models/{object_id}/versions/{digest}",
		    "get", "model_read_v2__entity___project__models__object_id"
		    "__versions__digest__get" },
		{ "/v2/{entity}/{project}/models/{object_id}", "delete",
		    "model_delete_v2__entity___project__models__object_id__delete" },
	};
	static const char *const schemas[] = {
		"ModelCreateBody", "ModelCreateRes", "ModelReadRes",
		"ModelDeleteRes", "HTTPValidationError", "ValidationError",
		"ErrorRes", "HTTPErrorRes"
	};
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc, *paths = NULL, *o;
	int seen[ROUTE_METRICS + 1] = { 0 };

	T_INT("openapi_json has no NUL inside", openapi_json_len,
	    strlen((const char *)openapi_json));
	if (tok == NULL)
		abort();
	doc = json_tokener_parse_ex(tok, (const char *)openapi_json,
	    (int)openapi_json_len);
	T_INT("openapi.json parses, whole", 1, doc != NULL &&
	    json_tokener_get_parse_end(tok) == openapi_json_len);
	json_tokener_free(tok);
	T_STR("openapi version", "3.1.0",
	    str_at(doc, (const char *const[]){ "openapi" }, 1));

	json_object_object_get_ex(doc, "paths", &paths);
	T_INT("paths is an object", 1,
	    json_object_is_type(paths, json_type_object));
	if (json_object_is_type(paths, json_type_object)) {
		json_object_object_foreach(paths, tmpl, item) {
			char path[256], want[64], label[320];
			struct route r;

			concrete(tmpl, path, sizeof(path));
			if (route_match(path, strlen(path), &r) != 0)
				abort();
			snprintf(label, sizeof(label), "document path %s routes",
			    tmpl);
			T_INT(label, 1, r.kind != ROUTE_NOT_FOUND &&
			    r.trailing == 0);
			listed(item, want, sizeof(want));
			snprintf(label, sizeof(label), "document path %s methods",
			    tmpl);
			T_STR(label, r.allow ? r.allow : "(no route)", want);
			seen[r.kind]++;
			route_free(&r);
		}
	}
	for (int k = ROUTE_MODEL; k <= ROUTE_METRICS; k++) {
		char label[64];

		snprintf(label, sizeof(label), "route kind %d in the document",
		    k);
		T_INT(label, 1, seen[k]);
	}

	for (size_t i = 0; i < T_LEN(ops); i++) {
		const char *keys[] = { "paths", ops[i].path, ops[i].method,
		    "operationId" };

		T_STR(ops[i].id, ops[i].id, str_at(doc, keys, 4));
	}
	for (size_t i = 0; i < T_LEN(schemas); i++) {
		const char *keys[] = { "components", "schemas", schemas[i],
		    "title" };

		T_STR(schemas[i], schemas[i], str_at(doc, keys, 4));
	}
	o = NULL;
	json_object_object_get_ex(doc, "components", &o);
	json_object_object_get_ex(o, "securitySchemes", &o);
	T_STR("HTTPBasic", "basic", str_at(o,
	    (const char *const[]){ "HTTPBasic", "scheme" }, 2));
	T_STR("HTTPBearer", "bearer", str_at(o,
	    (const char *const[]){ "HTTPBearer", "scheme" }, 2));
	json_object_put(doc);
}
