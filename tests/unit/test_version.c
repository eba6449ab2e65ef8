#include <stdio.h>
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

/*
 * Values as this service stores them (FastAPI's compact text of a POST's
 * value) are rendered by splicing; each must read exactly as the general
 * way reads the same value, which a leading space forces.
 */
static void
test_version_spliced(void)
{
	static const char *const bodies[] = {
		"{\"name\":\"My Model\",\"description\":null,\"source_code\":\"s\","
		    "\"attributes\":{\"temperature\":0.7,\"b\":[1,{\"x\":\"\u00e9\\n\"}]}}",
		"{\"name\":\"n\",\"source_code\":\"\"}",
		"{\"name\":\"<q>/\\u00e9 \\u00c9\",\"description\":"
		    "\"d\\\"}\\\\ \\u0001\\u2028\",\"source_code\":\"\",\"attributes\":{}}",
		"{\"name\":\"x\",\"source_code\":\"\",\"attributes\":{\"s\":"
		    "\"},\\\"files\\\":{\",\"n\":null,\"f\":-0.0,\"i\":1E400}}",
		"{\"name\":\"x\",\"source_code\":\"\",\"attributes\":{\"s\":"
		    "\"},\\\"files\\\":{\",\"n\":null,\"f\":-0.0,\"i\":1E40}}",
	};
	static const char src[] = "a\0b\"c";

	for (size_t i = 0; i < T_LEN(bodies); i++) {
		struct json_object *body = NULL, *errors = json_object_new_array();
		struct jparse_error err;
		struct body_model m;
		struct version_new vn;
		char *fast = NULL, *slow = NULL, *spaced = NULL, *spliced = NULL;
		char label[160];
		size_t flen = 0, slen = 0, splen = 0;

		t_label(label, sizeof(label), bodies[i], strlen(bodies[i]));
		if (jparse(bodies[i], strlen(bodies[i]), &body, &err) != JPARSE_OK) {
			/* 1E400 overflows: no value to store, nothing to render. */
			T_INT(label, 3, (int)i);
			json_object_put(errors);
			continue;
		}
		if (body_check(body, errors, &m) != 0 ||
		    json_object_array_length(errors) != 0 ||
		    version_prepare(&m, &vn) != 0) {
			T_INT(label, 0, 1);
			goto next;
		}
		{
			struct store_version v = { "m", "D", 3, 1764505496789012LL,
			    0, 0, vn.val, strlen(vn.val), 1, src, sizeof(src) - 1 };
			struct store_version w = v;

			fast = version_render(&v, &flen);
			/* The create path's value must take the fast path. */
			spliced = version_render_spliced(&v, &splen);
			if (asprintf(&spaced, " %s", vn.val) < 0)
				spaced = NULL;
			w.val = spaced;
			w.val_len = spaced ? strlen(spaced) : 0;
			slow = spaced ? version_render(&w, &slen) : NULL;
		}
		T_INT(label, 1, fast != NULL && slow != NULL);
		if (fast != NULL && slow != NULL)
			T_MEM(label, slow, slen, fast, flen);
		T_INT(label, 1, spliced != NULL);
		if (fast != NULL && spliced != NULL)
			T_MEM(label, fast, flen, spliced, splen);
		free(vn.val);
		body_model_free(&m);
next:
		free(fast);
		free(spliced);
		free(slow);
		free(spaced);
		json_object_put(errors);
		json_object_put(body);
	}
}

/*
 * A list renders with a cache of the last source text escaped: every line
 * must be the bytes version_render gives, whatever came before it (the
 * same text, another of the same length, none, one too long to cache),
 * and a text seen last is not escaped again.
 */
static void
test_version_cache(void)
{
	static const char val[] = "{\"_type\":\"Model\",\"_class_name\":"
	    "\"Model\",\"_bases\":[\"Object\",\"BaseModel\"],\"name\":\"m\","
	    "\"description\":null,\"files\":{\"obj.py\":"
	    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},\"a\":1}";
	static char big[VERSION_CACHE_MAX + 2];
	const char *src[] = { "abc", "abc", "xyz", "q\"\\\n\x01\xc3\xa9\xff",
	    "", NULL, big, "abc", "abc" };
	struct version_cache cache = { 0 };
	char label[64], *first_escaped = NULL;

	memset(big, 'b', sizeof(big) - 1);
	for (size_t i = 0; i < T_LEN(src); i++) {
		struct store_version v = { "m", "D", 3, 1764505496789012LL, 0,
		    0, val, sizeof(val) - 1, src[i] != NULL, src[i],
		    src[i] ? strlen(src[i]) : 0 };
		size_t want_len = 0, got_len = 0;
		char *want = version_render(&v, &want_len);
		char *got = version_render_cached(&v, &got_len, &cache);

		snprintf(label, sizeof(label), "cached render, line %zu", i);
		T_INT(label, 1, want != NULL && got != NULL);
		if (want != NULL && got != NULL)
			T_MEM(label, want, want_len, got, got_len);
		if (i == 0)
			first_escaped = cache.escaped;
		if (i == 1)
			T_INT("the same text again: not escaped again", 1,
			    cache.escaped == first_escaped);
		if (i == 6)
			T_INT("a text too long is not cached", 1,
			    cache.source_len == 0 ? 1 :
			    (int)(cache.source_len != strlen(big)));
		free(want);
		free(got);
	}
	version_cache_free(&cache);
	T_INT("freed cache is empty", 1, cache.escaped == NULL &&
	    cache.source == NULL && cache.source_len == 0);
}

void
test_version(void)
{
	test_version_prepare();
	test_version_spliced();
	test_version_cache();
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

/* version_prepare on Weave's digest rules (README, lib/openapi.json) test vector. */
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
