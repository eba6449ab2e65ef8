#include <stdlib.h>

#include "jparse.h"
#include "t.h"
#include "version.h"

#define HEAD "{\"object_id\":\"m\",\"digest\":\"D\",\"version_index\":3," \
	"\"created_at\":\"2025-11-30T12:24:56.789012Z\","

/* version_render: what a read or a list line shows of a stored value. */
static const struct {
	const char	*val;
	const char	*source;	/* NULL: no source text */
	size_t		 source_len;
	const char	*want;
} cases[] = {
	/* A value POST made: the six reserved keys out, the rest in order. */
	{ "{\"_type\":\"Model\",\"_class_name\":\"Model\",\"_bases\":[\"Object\","
	    "\"BaseModel\"],\"name\":\"N\",\"description\":\"d\",\"files\":"
	    "{\"obj.py\":\"F\"},\"b\":1.50,\"a\":[1E2]}", "src", 3,
	    HEAD "\"name\":\"N\",\"description\":\"d\",\"source_code\":\"src\","
	    "\"attributes\":{\"b\":1.5,\"a\":[100.0]}}" },
	/* No string name: the object id; no source: "". */
	{ "{\"a\":1}", NULL, 0,
	    HEAD "\"name\":\"m\",\"description\":null,\"source_code\":\"\","
	    "\"attributes\":{\"a\":1}}" },
	{ "{\"name\":5,\"description\":7,\"files\":{}}", NULL, 0,
	    HEAD "\"name\":\"m\",\"description\":null,\"source_code\":\"\","
	    "\"attributes\":null}" },
	/* Not an object, or not JSON at all: nothing but the fallbacks. */
	{ "[1,2]", NULL, 0, HEAD "\"name\":\"m\",\"description\":null,"
	    "\"source_code\":\"\",\"attributes\":null}" },
	{ "{", NULL, 0, HEAD "\"name\":\"m\",\"description\":null,"
	    "\"source_code\":\"\",\"attributes\":null}" },
	/* jsonb's rendering, as migration 004 carried old values over. */
	{ "{\"x\": 1.50, \"files\": {\"obj.py\": \"SRC\"}}", NULL, 0,
	    HEAD "\"name\":\"m\",\"description\":null,\"source_code\":\"\","
	    "\"attributes\":{\"x\":1.5}}" },
	/* FastAPI's escaping: UTF-8 kept, controls escaped, U+0000 too. */
	{ "{\"description\":\"\\u00e9\\u2028\\n\\u007f\"}", "a\0b", 3,
	    HEAD "\"name\":\"m\",\"description\":\"\xc3\xa9\xe2\x80\xa8\\n\x7f\","
	    "\"source_code\":\"a\\u0000b\",\"attributes\":null}" },
};

void test_version_prepare(void);

void
test_version(void)
{
	test_version_prepare();
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct store_version v = { "m", "D", 3, 1764505496789012LL, 0, 0,
		    cases[i].val, strlen(cases[i].val), 0, cases[i].source,
		    cases[i].source_len };
		char label[256];
		size_t len = 0;
		char *got = version_render(&v, &len);

		t_label(label, sizeof(label), cases[i].val, strlen(cases[i].val));
		T_MEM(label, cases[i].want, strlen(cases[i].want), got,
		    got ? len : 0);
		free(got);
	}
}

/* version_prepare on CONTRACT.md 9.4's test vector. */
void
test_version_prepare(void)
{
	static const char src[] = "import weave\n\nclass MyModel(weave.Model):"
	    "\n    temperature: float\n";
	struct jparse_error err;
	struct json_object *attrs = NULL;
	struct body_model m = { 0 };
	struct version_new v;

	T_INT("jparse attributes", JPARSE_OK,
	    jparse("{\"temperature\":0.7}", 19, &attrs, &err));
	m.name = "My Model";
	m.name_len = 8;
	m.source = src;
	m.source_len = sizeof(src) - 1;
	m.attributes = attrs;
	m.object_id = (char *)"my_model";
	m.object_id_len = 8;
	T_INT("version_prepare", 0, version_prepare(&m, &v));
	T_STR("version_prepare source digest",
	    "0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4", v.source_digest);
	T_STR("version_prepare digest",
	    "l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw", v.digest);
	T_STR("version_prepare stored value", "{\"_type\":\"Model\","
	    "\"_class_name\":\"Model\",\"_bases\":[\"Object\",\"BaseModel\"],"
	    "\"name\":\"My Model\",\"description\":null,\"files\":{\"obj.py\":"
	    "\"0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4\"},\"temperature\":0.7}",
	    v.val);
	free(v.val);
	json_object_put(attrs);
}
