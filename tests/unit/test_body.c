#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "body.h"
#include "t.h"
#include "version.h"

#define RENDER (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* 128 characters; 129 ':'; 64 'İ', escaped, as sent, and lowered. */
#define A10 "AAAAAAAAAA"
#define A128 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 "AAAAAAAA"
#define a10 "aaaaaaaaaa"
#define a128 a10 a10 a10 a10 a10 a10 a10 a10 a10 a10 a10 a10 "aaaaaaaa"
#define C8 "::::::::"
#define C129 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 C8 ":"
#define I8 "\\u0130\\u0130\\u0130\\u0130\\u0130\\u0130\\u0130\\u0130"
#define I64 I8 I8 I8 I8 I8 I8 I8 I8
#define U8 "\xc4\xb0\xc4\xb0\xc4\xb0\xc4\xb0\xc4\xb0\xc4\xb0\xc4\xb0\xc4\xb0"
#define U64 U8 U8 U8 U8 U8 U8 U8 U8
#define L2 "i\xcc\x87i\xcc\x87"
#define L8 L2 L2 L2 L2
#define L64 L8 L8 L8 L8 L8 L8 L8 L8

#define MISSING(f, in) "{\"type\":\"missing\",\"loc\":[\"body\",\"" f "\"]," \
	"\"msg\":\"Field required\",\"input\":" in "}"
#define STR_TYPE(f, in) "{\"type\":\"string_type\",\"loc\":[\"body\",\"" f \
	"\"],\"msg\":\"Input should be a valid string\",\"input\":" in "}"
#define DICT_TYPE(in) "{\"type\":\"dict_type\",\"loc\":[\"body\"," \
	"\"attributes\"],\"msg\":\"Input should be a valid dictionary\"," \
	"\"input\":" in "}"
#define TOO_LONG(in) "{\"type\":\"string_too_long\",\"loc\":[\"body\"," \
	"\"name\"],\"msg\":\"String should have at most 128 characters\"," \
	"\"input\":" in ",\"ctx\":{\"max_length\":128}}"
#define BAD_ID(id, in) "{\"type\":\"value_error\",\"loc\":[\"body\"," \
	"\"name\"],\"msg\":\"Value error, Invalid object name: " id "\"," \
	"\"input\":" in ",\"ctx\":{\"error\":\"Invalid object name: " id "\"}}"
#define RESERVED(k, in) "{\"type\":\"value_error\",\"loc\":[\"body\"," \
	"\"attributes\",\"" k "\"],\"msg\":\"Value error, Reserved attribute " \
	"name: " k "\",\"input\":" in ",\"ctx\":{\"error\":\"Reserved " \
	"attribute name: " k "\"}}"

struct check_case {
	const char	*body;		/* JSON text */
	const char	*errors;	/* the array body_check leaves */
	const char	*id;		/* object_id when valid, else NULL */
};

static const struct check_case check_cases[] = {
	/* Valid: unknown keys ignored, optional fields absent or null. */
	{ "{\"name\":\"m\",\"source_code\":\"s\"}", "[]", "m" },
	{ "{\"name\":\"My Model\",\"description\":null,\"source_code\":\"\","
	  "\"attributes\":null,\"extra\":[1]}", "[]", "my_model" },
	{ "{\"name\":\"user/model <x>\",\"source_code\":\"s\","
	  "\"attributes\":{}}", "[]", "user_model_x" },
	{ "{\"name\":\"...\",\"source_code\":\"s\"}", "[]", "..." },
	{ "{\"name\":\"\\u00c9t\\u00e9\",\"source_code\":\"s\"}", "[]",
	  "\xc3\xa9t\xc3\xa9" },
	{ "{\"name\":\"" A128 "\",\"source_code\":\"s\"}", "[]", a128 },
	{ "{\"name\":\"" A128 "<>\",\"source_code\":\"s\"}", "[]", a128 },
	/* Absent fields: the input is the whole body. */
	{ "{}", "[" MISSING("name", "{}") "," MISSING("source_code", "{}") "]",
	  NULL },
	{ "{\"description\":\"d\"}",
	  "[" MISSING("name", "{\"description\":\"d\"}") ","
	  MISSING("source_code", "{\"description\":\"d\"}") "]", NULL },
	/* Wrong types: the input is the value; null only for description. */
	{ "{\"name\":5,\"description\":5,\"source_code\":null,"
	  "\"attributes\":[]}", "[" STR_TYPE("name", "5") ","
	  STR_TYPE("description", "5") "," STR_TYPE("source_code", "null") ","
	  DICT_TYPE("[]") "]", NULL },
	{ "{\"name\":null,\"description\":[],\"source_code\":true,"
	  "\"attributes\":\"x\"}", "[" STR_TYPE("name", "null") ","
	  STR_TYPE("description", "[]") "," STR_TYPE("source_code", "true") ","
	  DICT_TYPE("\"x\"") "]", NULL },
	{ "{\"name\":{\"a\":1},\"source_code\":\"s\",\"attributes\":0}",
	  "[" STR_TYPE("name", "{\"a\":1}") "," DICT_TYPE("0") "]", NULL },
	/* The derived object id: too long first, then the pattern. */
	{ "{\"name\":\"" A128 "A\",\"source_code\":\"s\"}",
	  "[" TOO_LONG("\"" A128 "A\"") "]", NULL },
	/* U+0130 lowers to 'i' U+0307 (not \w): 65 make 130 characters. */
	{ "{\"name\":\"" I64 "\\u0130\",\"source_code\":\"s\"}",
	  "[" TOO_LONG("\"" U64 "\xc4\xb0\"") "]", NULL },
	{ "{\"name\":\"" I64 "\",\"source_code\":\"s\"}",
	  "[" BAD_ID(L64, "\"" U64 "\"") "]", NULL },
	{ "{\"name\":\"" C129 "\",\"source_code\":\"s\"}",
	  "[" TOO_LONG("\"" C129 "\"") "]", NULL },
	{ "{\"name\":\"My:Model\",\"source_code\":\"s\"}",
	  "[" BAD_ID("my:model", "\"My:Model\"") "]", NULL },
	{ "{\"name\":\"\",\"source_code\":\"s\"}",
	  "[" BAD_ID("", "\"\"") "]", NULL },
	{ "{\"name\":\"<>\",\"source_code\":\"s\"}",
	  "[" BAD_ID("", "\"<>\"") "]", NULL },
	{ "{\"name\":\".\",\"source_code\":\"s\"}",
	  "[" BAD_ID(".", "\".\"") "]", NULL },
	{ "{\"name\":\"<..>\",\"source_code\":\"s\"}",
	  "[" BAD_ID("..", "\"<..>\"") "]", NULL },
	{ "{\"name\":\"A\\u0000B\",\"source_code\":\"s\"}",
	  "[" BAD_ID("a\\u0000b", "\"A\\u0000B\"") "]", NULL },
	{ "{\"name\":\"\\ud83d\\ude00\",\"source_code\":\"s\"}",
	  "[" BAD_ID("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"") "]", NULL },
	{ "{\"name\":\"x\\\\y\",\"source_code\":\"s\"}",
	  "[" BAD_ID("x\\\\y", "\"x\\\\y\"") "]", NULL },
	/* Reserved attribute keys: one entry each, in the order sent. */
	{ "{\"name\":\"m\",\"source_code\":\"s\",\"attributes\":{\"files\":1,"
	  "\"x\":0,\"description\":2,\"name\":3,\"_bases\":[4],"
	  "\"_class_name\":null,\"_type\":{\"t\":6},\"_other\":7}}",
	  "[" RESERVED("files", "1") "," RESERVED("description", "2") ","
	  RESERVED("name", "3") "," RESERVED("_bases", "[4]") ","
	  RESERVED("_class_name", "null") "," RESERVED("_type", "{\"t\":6}")
	  "]", NULL },
	/* A key sent twice: one entry, first position, last value. */
	{ "{\"name\":\"m\",\"source_code\":\"s\",\"attributes\":{\"files\":1,"
	  "\"_type\":2,\"files\":3}}", "[" RESERVED("files", "3") ","
	  RESERVED("_type", "2") "]", NULL },
	{ "{\"name\":\"m\",\"source_code\":\"s\",\"attributes\":{\"Name\":1,"
	  "\"_type \":2,\"files_\":3}}", "[]", "m" },
	/* Everything at once, in field order. */
	{ "{\"attributes\":{\"_type\":\"T\"},\"source_code\":1,"
	  "\"description\":false}",
	  "[" MISSING("name", "{\"attributes\":{\"_type\":\"T\"},"
	  "\"source_code\":1,\"description\":false}") ","
	  STR_TYPE("description", "false") "," STR_TYPE("source_code", "1") ","
	  RESERVED("_type", "\"T\"") "]", NULL },
	{ "{\"name\":\"a b:c\",\"description\":1,\"source_code\":\"s\","
	  "\"attributes\":{\"name\":\"n\"}}",
	  "[" BAD_ID("a_b:c", "\"a b:c\"") "," STR_TYPE("description", "1") ","
	  RESERVED("name", "\"n\"") "]", NULL },
};

/* Renders o as the tests expect; "NULL" for a NULL pointer. */
static const char *
render(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, RENDER) : "NULL";
}

static void
run_check(const struct check_case *c)
{
	struct json_object *body = json_tokener_parse(c->body);
	struct json_object *errors = json_object_new_array();
	struct body_model m;

	if (!T_INT(c->body, 1, body != NULL && errors != NULL))
		goto out;
	if (!T_INT(c->body, 0, body_check(body, errors, &m)))
		goto out;
	T_STR(c->body, c->errors, render(errors));
	if (json_object_array_length(errors) > 0) {
		T_INT(c->body, 1, m.object_id == NULL && m.name == NULL);
		goto out;
	}
	if (c->id != NULL)
		T_STR(c->body, c->id, m.object_id);
	T_INT(c->body, strlen(m.object_id), m.object_id_len);
	T_MEM(c->body, json_object_get_string(json_object_object_get(body,
	    "name")), m.name_len, m.name, m.name_len);
	body_model_free(&m);
	T_INT(c->body, 1, m.object_id == NULL);
out:
	json_object_put(body);
	json_object_put(errors);
}

/* The contract's test vector (9.4), and every field of the model kept. */
static void
model_value(void)
{
	static const char body_text[] = "{\"name\":\"My Model\","
	    "\"description\":null,\"attributes\":{\"temperature\":0.7,"
	    "\"nested\":{\"b\":[1,\"\\u00e9\"],\"a\":null},\"z\":\"\"},"
	    "\"source_code\":\"import weave\\n\\u0000x\"}";
	/* The stored value (version_prepare), its source digest spliced in. */
	static const char want[] = "{\"_type\":\"Model\","
	    "\"_class_name\":\"Model\",\"_bases\":[\"Object\",\"BaseModel\"],"
	    "\"name\":\"My Model\",\"description\":null,\"files\":{\"obj.py\":"
	    "\"%s\"},"
	    "\"temperature\":0.7,\"nested\":{\"b\":[1,\"\xc3\xa9\"],"
	    "\"a\":null},"
	    "\"z\":\"\"}";
	static const char want_desc[] = "{\"_type\":\"Model\","
	    "\"_class_name\":\"Model\",\"_bases\":[\"Object\",\"BaseModel\"],"
	    "\"name\":\"My Model\",\"description\":\"d\\u0000e\","
	    "\"files\":{\"obj.py\":\"%s\"}}";
	struct version_new vn;
	char text[512];
	struct json_object *body = json_tokener_parse(body_text);
	struct json_object *errors = json_object_new_array();
	struct body_model m;

	if (!T_INT("model body", 0, body_check(body, errors, &m)))
		goto out;
	T_STR("model errors", "[]", render(errors));
	T_STR("model id", "my_model", m.object_id);
	T_INT("model description", 1, m.description == NULL);
	T_MEM("model source", "import weave\n\0x", 15, m.source, m.source_len);
	T_INT("model attributes", 1, m.attributes ==
	    json_object_object_get(body, "attributes"));
	if (T_INT("model value", 0, version_prepare(&m, &vn))) {
		snprintf(text, sizeof(text), want, vn.source_digest);
		T_STR("model value", text, vn.val);
		free(vn.val);
	}

	/* A description that is a string, and no attributes at all. */
	m.description = "d\0e";
	m.description_len = 3;
	m.attributes = NULL;
	if (T_INT("model value, description", 0, version_prepare(&m, &vn))) {
		snprintf(text, sizeof(text), want_desc, vn.source_digest);
		T_STR("model value, description", text, vn.val);
		free(vn.val);
	}
	body_model_free(&m);
out:
	json_object_put(body);
	json_object_put(errors);
}

struct media_case {
	const char	*ct;
	int		 json;
};

static const struct media_case media_cases[] = {
	{ NULL, 1 },
	{ "", 1 },
	{ "application/json", 1 },
	{ "Application/JSON", 1 },
	{ "application/json; charset=utf-8", 1 },
	{ "application/json;", 1 },
	{ " \tapplication/json \t; x", 1 },
	{ "application/vnd.api+json", 1 },
	{ "application/+json", 1 },
	{ "APPLICATION/LD+JSON;q=1", 1 },
	{ "\x85" "application/json\xa0", 1 },	/* Python strips these too */
	{ "text/plain", 0 },
	{ "text/json", 0 },
	{ "application/jsonx", 0 },
	{ "application/json+x", 0 },
	{ "application/x-json", 0 },
	{ "application/ json", 0 },
	{ "application /json", 0 },
	{ "application/json/x", 0 },
	{ "application", 0 },
	{ "json", 0 },
	{ ";application/json", 0 },
	{ " ", 0 },				/* email.message: text/plain */
	{ "multipart/form-data; boundary=x", 0 },
	{ "application/x-www-form-urlencoded", 0 },
};

struct text_case {
	const char	*in;
	size_t		 len;
	const char	*want;		/* the errors array */
};

#define NOT_OBJECT(in) "{\"type\":\"model_attributes_type\"," \
	"\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary " \
	"or object to extract fields from\",\"input\":" in "}"
#define TEXT(in, want) \
	{ in, sizeof(in) - 1, "[" NOT_OBJECT("\"" want "\"") "]" }
#define R "\xef\xbf\xbd"

/* Expectations from CPython: bytes.decode("utf-8", "replace"). */
static const struct text_case text_cases[] = {
	TEXT("name=m", "name=m"),
	TEXT("{\"name\":\"m\"}", "{\\\"name\\\":\\\"m\\\"}"),
	TEXT("", ""),
	TEXT("\xef\xbb\xbf{}", "\xef\xbb\xbf{}"),	/* BOM kept */
	TEXT("a\0b\n", "a\\u0000b\\n"),
	TEXT("\xff", R),
	TEXT("a\xe0\x80" "b", "a" R R "b"),
	TEXT("\xe1\x80", R),
	TEXT("\xf0\x90\x80", R),
	TEXT("\xc0\xaf", R R),
	TEXT("\xed\xa0\x80", R R R),
	TEXT("\xf4\x90\x80\x80", R R R R),
	TEXT("\xf5x", R "x"),
	TEXT("\xc3\xa9\xc3", "\xc3\xa9" R),
	TEXT("\xe2\x82\xac\x80\x80", "\xe2\x82\xac" R R),
	TEXT("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),
};

/* The whole-body entries. */
static void
whole_body(void)
{
	struct json_object *errors = json_object_new_array();

	T_INT("missing", 0, body_err_missing(errors));
	T_STR("missing", "[{\"type\":\"missing\",\"loc\":[\"body\"],"
	    "\"msg\":\"Field required\",\"input\":null}]", render(errors));
	json_object_put(errors);

	errors = json_object_new_array();
	T_INT("json_invalid", 0, body_err_json_invalid(errors, 17,
	    "Expecting value \"x\""));
	T_STR("json_invalid", "[{\"type\":\"json_invalid\","
	    "\"loc\":[\"body\",17],\"msg\":\"JSON decode error\","
	    "\"input\":{},\"ctx\":{\"error\":"
	    "\"Expecting value \\\"x\\\"\"}}]", render(errors));
	json_object_put(errors);

	/* Not an object: the value is the input; NULL is the JSON null. */
	errors = json_object_new_array();
	T_INT("not object", 0, body_err_not_object(errors,
	    json_tokener_parse("[1,{\"a\":\"/\"}]")));
	T_INT("not object", 0, body_err_not_object(errors,
	    json_object_new_string("s")));
	T_INT("not object", 0, body_err_not_object(errors, NULL));
	T_STR("not object", "[" NOT_OBJECT("[1,{\"a\":\"/\"}]") ","
	    NOT_OBJECT("\"s\"") "," NOT_OBJECT("null") "]", render(errors));
	json_object_put(errors);
}

void
test_body(void)
{
	char label[64];

	for (size_t i = 0; i < T_LEN(check_cases); i++)
		run_check(&check_cases[i]);
	model_value();
	whole_body();
	for (size_t i = 0; i < T_LEN(media_cases); i++) {
		const char *ct = media_cases[i].ct;
		const char *what = ct ? t_label(label, sizeof(label), ct,
		    strlen(ct)) : "NULL";
		T_INT(what, media_cases[i].json, body_media_is_json(ct));
	}
	for (size_t i = 0; i < T_LEN(text_cases); i++) {
		const struct text_case *c = &text_cases[i];
		struct json_object *errors = json_object_new_array();

		t_label(label, sizeof(label), c->in, c->len);
		if (T_INT(label, 0, body_err_not_json_text(errors, c->in,
		    c->len)))
			T_STR(label, c->want, render(errors));
		json_object_put(errors);
	}
}
