#include <stdlib.h>

#include "jsonb.h"
#include "t.h"

#define RENDER (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *
text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, RENDER);
}

/* The one NULL rule: a NULL value or container is a failed constructor. */
static void
test_add(void)
{
	struct json_object *o = json_object_new_object(), *a;

	T_INT("jb_add(NULL)", -1, jb_add(o, "k", NULL));
	T_INT("jb_add(NULL) adds nothing", 0, json_object_object_length(o));
	/* A NULL container releases the value (ASan sees a leak else). */
	T_INT("jb_add(NULL object)", -1, jb_add(NULL, "k",
	    json_object_new_string("v")));
	T_INT("jb_add_null(NULL object)", -1, jb_add_null(NULL, "k"));
	T_INT("jb_add", 0, jb_add(o, "k", json_object_new_int(1)));
	T_INT("jb_add_null", 0, jb_add_null(o, "n"));
	T_STR("jb_add, jb_add_null", "{\"k\":1,\"n\":null}", text(o));
	json_object_put(o);

	a = json_object_new_array();
	T_INT("jb_append(NULL)", -1, jb_append(a, NULL));
	T_INT("jb_append(NULL array)", -1, jb_append(NULL,
	    json_object_new_string("v")));
	T_INT("jb_append(string)", 0, jb_append(a, json_object_new_string("a")));
	T_INT("jb_append length", 1, json_object_array_length(a));
	json_object_put(a);
}

static void
test_loc(void)
{
	static const struct {
		const char	*where, *field, *key;
		long		 index;
		const char	*want;
	} cases[] = {
		{ "body", NULL, NULL, -1, "[\"body\"]" },
		{ "body", NULL, NULL, 17, "[\"body\",17]" },
		{ "body", "name", NULL, -1, "[\"body\",\"name\"]" },
		{ "body", "attributes", "_type", -1,
		    "[\"body\",\"attributes\",\"_type\"]" },
		{ "query", "digests", NULL, 3, "[\"query\",\"digests\",3]" },
		{ "path", "entity", NULL, -1, "[\"path\",\"entity\"]" },
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_object *loc = jb_loc(cases[i].where, cases[i].field,
		    cases[i].key, cases[i].index);

		T_STR(cases[i].want, cases[i].want, loc ? text(loc) : "NULL");
		json_object_put(loc);
	}
}

static void
test_error(void)
{
	struct json_object *errors = json_object_new_array();
	struct json_object *in = json_object_new_string("x");

	T_INT("jb_error", 0, jb_error(errors, "missing",
	    jb_loc("body", "name", NULL, -1), JB_MSG("Field required"), NULL));
	T_INT("jb_error_ctx", 0, jb_error_ctx(errors, "value_error",
	    jb_loc("body", NULL, NULL, -1), "a\0b", 3, in,
	    jb_ctx("error", json_object_new_string("e"))));
	/* The input is lent: still the caller's, and shared. */
	T_INT("jb_error input lent", 2, json_object_put(in) == 0 &&
	    json_object_get_string_len(json_object_object_get(
	    json_object_array_get_idx(errors, 1), "input")) == 1 ? 2 : 0);
	/* A failed loc or ctx: nothing appended, the rest released. */
	T_INT("jb_error(NULL loc)", -1, jb_error(errors, "missing", NULL,
	    JB_MSG("Field required"), NULL));
	T_INT("jb_error_ctx(NULL ctx)", -1, jb_error_ctx(errors, "missing",
	    jb_loc("body", NULL, NULL, -1), JB_MSG("m"), NULL, NULL));
	T_INT("jb_ctx(NULL)", 1, jb_ctx("k", NULL) == NULL);
	T_STR("jb_error entries", "[{\"type\":\"missing\",\"loc\":[\"body\","
	    "\"name\"],\"msg\":\"Field required\",\"input\":null},"
	    "{\"type\":\"value_error\",\"loc\":[\"body\"],\"msg\":\"a\\u0000b\","
	    "\"input\":\"x\",\"ctx\":{\"error\":\"e\"}}]", text(errors));
	json_object_put(errors);
}

void
test_jsonb(void)
{
	test_add();
	test_loc();
	test_error();
}
