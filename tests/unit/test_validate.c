#include <limits.h>
#include <stdlib.h>

#include "query.h"
#include "route.h"
#include "t.h"
#include "validate.h"

/* Repeats: 43 alphanumerics, 64 hex digits, 128 and 129 characters. */
#define A10 "aaaaaaaaaa"
#define A43 "Abc0123456789xyzABC0123456789xyzABC01234567"
#define H64 "0123456789abcdefABCDEF0123456789abcdef0123456789ABCDEF0123456789"
#define A128 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 "aaaaaaaa"
#define E10 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	"\xc3\xa9\xc3\xa9\xc3\xa9"
#define E128 E10 E10 E10 E10 E10 E10 E10 E10 E10 E10 E10 E10 \
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define J10 "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5" \
	"\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5"
#define J128 J10 J10 J10 J10 J10 J10 J10 J10 J10 J10 J10 J10 \
	"\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5" \
	"\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5"

#define OK VALID_OK
#define UNI VALID_UNICODE
#define LONG VALID_TOO_LONG
#define PAT VALID_PATTERN

struct rule_case {
	const char	*in;
	enum valid_rule	 want;
};

static const struct rule_case name_cases[] = {
	{ "e", OK },
	{ "A-Z_a.z-09", OK },
	{ ".", OK },
	{ "-", OK },
	{ A128, OK },
	{ "", PAT },
	{ "a b", PAT },
	{ "a/b", PAT },
	{ "a+b", PAT },
	{ "a%b", PAT },
	{ "a!", PAT },
	{ "\xc3\xa9", PAT },			/* ASCII only, unlike object_id */
	{ "a\n", PAT },
	/* Characters are counted, and length comes before pattern. */
	{ A128 "a", LONG },
	{ A128 "!", LONG },
	{ E128, PAT },
	{ E128 "\xc3\xa9", LONG },
	/* Well-formedness comes first of all. */
	{ "\xff", UNI },
	{ "a\xc3", UNI },
	{ "\xc0\xae", UNI },			/* overlong '.' */
	{ A128 "\xff", UNI },
};

static const struct rule_case oid_cases[] = {
	{ "m", OK },
	{ "my-model", OK },
	{ "a.b_c-d9", OK },
	{ "_", OK },
	{ "\xc3\xa9", OK },			/* é */
	{ "\xe6\x97\xa5\xe6\x9c\xac", OK },	/* 日本 */
	{ "\xd9\xa1", OK },			/* U+0661 */
	{ "\xc2\xaa\xc2\xb2", OK },		/* ª² */
	{ "\xf0\xa0\x80\x80", OK },		/* U+20000 */
	{ A128, OK },
	{ E128, OK },
	{ J128, OK },
	{ "", PAT },
	{ "a b", PAT },
	{ "a/b", PAT },
	{ "a+b", PAT },
	{ "a%b", PAT },
	{ "a:b", PAT },
	{ "a\xc2\xb7" "b", PAT },		/* U+00B7 middle dot */
	{ "a\xcc\x80", PAT },			/* U+0300 combining grave */
	{ "\xf0\x9f\x98\x80", PAT },		/* emoji */
	{ "a\xc2\xa0", PAT },			/* no-break space */
	{ A128 "a", LONG },
	{ A128 "/", LONG },
	{ E128 "a", LONG },
	{ J128 "\xe6\x97\xa5", LONG },
	{ "\xed\xa0\x80", UNI },		/* surrogate */
	{ "\xc0\xae", UNI },
	{ "m\xff", UNI },
	{ E128 "\xc3", UNI },
};

static const struct rule_case digest_cases[] = {
	{ "latest", OK },
	{ "v0", OK },
	{ "v1", OK },
	{ "v01", OK },
	{ "v0000", OK },
	{ "v123456789012345678901234567890", OK },
	{ A43, OK },
	{ H64, OK },
	{ "0123456789abcdef0123456789abcdef0123456789a", OK },	/* 43 hex */
	{ "v" "123456789012345678901234567890123456789012", OK }, /* 43: vN */
	{ "", PAT },
	{ "v", PAT },
	{ "V1", PAT },
	{ "Latest", PAT },
	{ "LATEST", PAT },
	{ "latest ", PAT },
	{ " latest", PAT },
	{ "latestx", PAT },
	{ "v1a", PAT },
	{ "v-1", PAT },
	{ "v+1", PAT },
	{ "v1.0", PAT },
	{ "vv1", PAT },
	{ "bad!", PAT },
	{ "Abc0123456789xyzABC0123456789xyzABC0123456", PAT },	/* 42 */
	{ A43 "8", PAT },					/* 44 */
	{ "Abc0123456789xyzABC0123456789xyzABC0123456-", PAT },	/* URL-safe */
	{ "Abc0123456789xyzABC0123456789xyzABC0123456_", PAT },
	{ "0123456789abcdefABCDEF0123456789abcdef0123456789ABCDEF012345678",
	    PAT },						/* 63 hex */
	{ H64 "0", PAT },					/* 65 hex */
	{ "0123456789abcdefABCDEF0123456789abcdef0123456789ABCDEF012345678g",
	    PAT },						/* 64, not hex */
	{ "\xff", UNI },
	{ "v\xff", UNI },
	{ "\xed\xa0\x80", UNI },
};

static void
run_rules(const char *fname, enum valid_rule (*fn)(const char *, size_t),
    const struct rule_case *cases, size_t n)
{
	static const char *const names[] = { "VALID_OK", "VALID_UNICODE",
	    "VALID_TOO_LONG", "VALID_PATTERN" };
	char label[512], in[400];

	for (size_t i = 0; i < n; i++) {
		const struct rule_case *c = &cases[i];
		enum valid_rule got = fn(c->in, strlen(c->in));

		snprintf(label, sizeof(label), "%s(\"%s\")", fname,
		    t_label(in, sizeof(in), c->in, strlen(c->in)));
		T_STR(label, names[c->want],
		    (unsigned)got < T_LEN(names) ? names[got] : "?");
	}
}

/*
 * Expected detail entries, as JSON text. The object_id pattern ^[\w.-]+$ is
 * ^[\\w.-]+$ in JSON, hence the four backslashes.
 */
#define NAME_PAT "^[A-Za-z0-9_.-]+$"
#define OID_PAT "^[\\\\w.-]+$"
#define DIG_PAT "^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$"
#define LOC_PATH(n) "[\"path\",\"" n "\"]"
#define LOC_DIG(i) "[\"query\",\"digests\"," #i "]"
#define E_PAT(loc, input, pat) "{\"type\":\"string_pattern_mismatch\"," \
	"\"loc\":" loc ",\"msg\":\"String should match pattern '" pat "'\"," \
	"\"input\":\"" input "\",\"ctx\":{\"pattern\":\"" pat "\"}}"
#define E_UNI(loc, input) "{\"type\":\"string_unicode\",\"loc\":" loc \
	",\"msg\":\"Input should be a valid string, unable to parse raw data " \
	"as a unicode string\",\"input\":\"" input "\"}"
#define E_LONG(loc, input) "{\"type\":\"string_too_long\",\"loc\":" loc \
	",\"msg\":\"String should have at most 128 characters\",\"input\":\"" \
	input "\",\"ctx\":{\"max_length\":128}}"

#define PE10 "%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
#define PE128 PE10 PE10 PE10 PE10 PE10 PE10 PE10 PE10 PE10 PE10 PE10 PE10 \
	"%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"

struct req_case {
	const char	*path;
	const char	*qs;
	const char	*want;		/* the detail array, or NULL: valid */
};

static const struct req_case req_cases[] = {
	{ "/v2/e/p/models/m", "", NULL },
	{ "/v2/e/p/models/m", "other=bad!", NULL },
	{ "/v2/e/p/models/m", "digests=latest&digests=v1&digests=" A43
	    "&digests=" H64, NULL },
	{ "/v2/e/p/models/m", "digests=%76%31", NULL },
	{ "/v2/A-Z_a.z-09/" A128 "/models/%E6%97%A5%C3%A9_1.-", "", NULL },
	{ "/v2/e/p/models/" PE128, "", NULL },
	/* The case the brief spells out, verbatim. */
	{ "/v2/e/p/models/m", "digests=bad!",
	    "[{\"type\":\"string_pattern_mismatch\",\"loc\":[\"query\","
	    "\"digests\",0],\"msg\":\"String should match pattern '^(latest|"
	    "v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$'\",\"input\":\"bad!\","
	    "\"ctx\":{\"pattern\":\"^(latest|v[0-9]+|[A-Za-z0-9]{43}|"
	    "[0-9a-fA-F]{64})$\"}}]" },
	/* Blank items, decoded input, index of the failing item. */
	{ "/v2/e/p/models/m", "digests",
	    "[" E_PAT(LOC_DIG(0), "", DIG_PAT) "]" },
	{ "/v2/e/p/models/m", "digests=",
	    "[" E_PAT(LOC_DIG(0), "", DIG_PAT) "]" },
	{ "/v2/e/p/models/m", "digests=v1&digests=a+b",
	    "[" E_PAT(LOC_DIG(1), "a b", DIG_PAT) "]" },
	{ "/v2/e/p/models/m", "digests=v1&digests=%2Fx%22",
	    "[" E_PAT(LOC_DIG(1), "/x\\\"", DIG_PAT) "]" },
	/* Undecodable text is echoed as sent. */
	{ "/v2/e/p/models/m", "digests=%FF+a",
	    "[" E_UNI(LOC_DIG(0), "%FF+a") "]" },
	{ "/v2/e/p/models/m%FF", "", "[" E_UNI(LOC_PATH("object_id"),
	    "m%FF") "]" },
	{ "/v2/e/p/models/m\xff", "", "[" E_UNI(LOC_PATH("object_id"),
	    "m%FF") "]" },
	{ "/v2/%C0%AF/p/models/m", "", "[" E_UNI(LOC_PATH("entity"),
	    "%C0%AF") "]" },
	{ "/v2/e/%ED%A0%80/models/m", "", "[" E_UNI(LOC_PATH("project"),
	    "%ED%A0%80") "]" },
	/* Pattern errors echo the decoded value. */
	{ "/v2/e/p/models/m%2Fx", "", "[" E_PAT(LOC_PATH("object_id"),
	    "m/x", OID_PAT) "]" },
	{ "/v2/e/p/models/a%0Ab", "", "[" E_PAT(LOC_PATH("object_id"),
	    "a\\nb", OID_PAT) "]" },
	{ "/v2/e/p/models/a%00b", "", "[" E_PAT(LOC_PATH("object_id"),
	    "a\\u0000b", OID_PAT) "]" },
	{ "/v2/e%20f/p/models/m", "", "[" E_PAT(LOC_PATH("entity"),
	    "e f", NAME_PAT) "]" },
	{ "/v2/e/%C3%A9/models/m", "", "[" E_PAT(LOC_PATH("project"),
	    "\xc3\xa9", NAME_PAT) "]" },
	/* Length counts characters, and outranks the pattern. */
	{ "/v2/" A128 "a/p/models/m", "", "[" E_LONG(LOC_PATH("entity"),
	    A128 "a") "]" },
	{ "/v2/e/" A128 "!/models/m", "", "[" E_LONG(LOC_PATH("project"),
	    A128 "!") "]" },
	{ "/v2/e/p/models/" PE128 "%C3%A9", "",
	    "[" E_LONG(LOC_PATH("object_id"), E128 "\xc3\xa9") "]" },
	{ "/v2/e/" PE128 "/models/m", "", "[" E_PAT(LOC_PATH("project"),
	    E128, NAME_PAT) "]" },
	/* Every error, path params in order, then digests by index. */
	{ "/v2/e!/p!/models/m!", "digests=v1&digests=x&digests=%FF",
	    "[" E_PAT(LOC_PATH("entity"), "e!", NAME_PAT) ","
	    E_PAT(LOC_PATH("project"), "p!", NAME_PAT) ","
	    E_PAT(LOC_PATH("object_id"), "m!", OID_PAT) ","
	    E_PAT(LOC_DIG(1), "x", DIG_PAT) ","
	    E_UNI(LOC_DIG(2), "%FF") "]" },
	{ "/v2/e/p%FF/models/m%20", "digests=x",
	    "[" E_UNI(LOC_PATH("project"), "p%FF") ","
	    E_PAT(LOC_PATH("object_id"), "m ", OID_PAT) ","
	    E_PAT(LOC_DIG(0), "x", DIG_PAT) "]" },
};

/*
 * Runs route_match, query_parse and valid_request on one request, and
 * returns the serialised detail array (malloc'd) or NULL when valid; *rc
 * gets valid_request's return.
 */
static char *
detail(const char *path, const char *qs, int *rc)
{
	struct route r;
	struct query q;
	struct json_object *errors = NULL;
	char *s = NULL;

	route_match(path, strlen(path), &r);
	query_parse(qs, strlen(qs), &q);
	/* -2 flags a broken row (no model route), not a validation result. */
	*rc = r.kind == ROUTE_MODEL ? valid_request(&r, &q, &errors) : -2;
	if (errors != NULL) {
		s = strdup(json_object_to_json_string_ext(errors,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(errors);
	}
	query_free(&q);
	route_free(&r);
	return s;
}

static void
run_req(const char *path, const char *qs, const char *want)
{
	char label[1024], p[700], qq[300];
	int rc;
	char *got = detail(path, qs, &rc);

	snprintf(label, sizeof(label), "valid_request(\"%s\", \"%s\")",
	    t_label(p, sizeof(p), path, strlen(path)),
	    t_label(qq, sizeof(qq), qs, strlen(qs)));
	T_INT(label, 0, rc);
	T_STR(label, want, got);
	free(got);
}

/* Appends n copies of "&digests=" item to qs (no leading '&' at 0). */
static size_t
add_digests(char *qs, size_t o, int n, const char *item)
{
	for (int i = 0; i < n; i++)
		o += (size_t)sprintf(qs + o, "%sdigests=%s", o ? "&" : "",
		    item);
	return o;
}

/* Over 100 digests: one too_long error whose input is the whole list. */
static void
test_too_many(void)
{
	static char qs[4096], want[4096];
	size_t o, w;

	/* 101 invalid items: still the single list error, none per item. */
	add_digests(qs, 0, 101, "bad!");
	w = (size_t)sprintf(want, "[{\"type\":\"too_long\",\"loc\":[\"query\","
	    "\"digests\"],\"msg\":\"List should have at most 100 items after "
	    "validation, not 101\",\"input\":[");
	for (int i = 0; i < 101; i++)
		w += (size_t)sprintf(want + w, "%s\"bad!\"", i ? "," : "");
	sprintf(want + w, "],\"ctx\":{\"field_type\":\"List\",\"max_length\""
	    ":100,\"actual_length\":101}}]");
	run_req("/v2/e/p/models/m", qs, want);

	/* Path errors still come first; list items are echoed like inputs. */
	o = add_digests(qs, 0, 100, "v1");
	add_digests(qs, o, 1, "%FF");
	w = (size_t)sprintf(want, "[" E_PAT(LOC_PATH("entity"), "e!", NAME_PAT)
	    ",{\"type\":\"too_long\",\"loc\":[\"query\",\"digests\"],\"msg\":"
	    "\"List should have at most 100 items after validation, not 101\","
	    "\"input\":[");
	for (int i = 0; i < 100; i++)
		w += (size_t)sprintf(want + w, "%s\"v1\"", i ? "," : "");
	sprintf(want + w, ",\"%%FF\"],\"ctx\":{\"field_type\":\"List\","
	    "\"max_length\":100,\"actual_length\":101}}]");
	run_req("/v2/e!/p/models/m", qs, want);

	/* Exactly 100 is allowed. */
	add_digests(qs, 0, 100, "latest");
	run_req("/v2/e/p/models/m", qs, NULL);

	/* 100 invalid items: one error each, the last at index 99. */
	{
		struct route r;
		struct query q;
		struct json_object *errors = NULL, *last;
		const char *label = "valid_request(100 x digests=bad!)";

		add_digests(qs, 0, 100, "bad!");
		route_match("/v2/e/p/models/m", 16, &r);
		query_parse(qs, strlen(qs), &q);
		T_INT(label, 0, valid_request(&r, &q, &errors));
		if (T_INT(label, 1, errors != NULL)) {
			T_INT(label, 100, json_object_array_length(errors));
			last = json_object_array_get_idx(errors, 99);
			T_STR(label, E_PAT(LOC_DIG(99), "bad!", DIG_PAT),
			    last ? json_object_to_json_string_ext(last,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE) : NULL);
			json_object_put(errors);
		}
		query_free(&q);
		route_free(&r);
	}
}

/* limit/offset (the list rules (README, lib/openapi.json)): past 2^63-1 is LLONG_MAX, never wrapped. */
struct count_case {
	const char	*in;
	enum valid_rule	 rule;
	long long	 val;	/* when VALID_OK */
};

static const struct count_case count_cases[] = {
	{ "0", VALID_OK, 0 },
	{ " +5 ", VALID_OK, 5 },
	{ "-0", VALID_OK, 0 },
	{ "007", VALID_OK, 7 },
	{ "9223372036854775806", VALID_OK, 9223372036854775806LL },
	{ "9223372036854775807", VALID_OK, LLONG_MAX },
	{ "9223372036854775808", VALID_OK, LLONG_MAX },
	/* 2^64 and 2^64 + 1: an unsigned product would wrap to 0 and 1. */
	{ "18446744073709551616", VALID_OK, LLONG_MAX },
	{ "18446744073709551617", VALID_OK, LLONG_MAX },
	{ "19999999999999999999", VALID_OK, LLONG_MAX },
	{ "99999999999999999999999999", VALID_OK, LLONG_MAX },
	{ "-1", VALID_NEGATIVE, 0 },
	{ "-18446744073709551616", VALID_NEGATIVE, 0 },
	{ "1.0", VALID_INT_PARSING, 0 },
	{ "", VALID_INT_PARSING, 0 },
	{ " - ", VALID_INT_PARSING, 0 },
	{ "1 2", VALID_INT_PARSING, 0 },
};

static void
test_count(void)
{
	for (size_t i = 0; i < T_LEN(count_cases); i++) {
		const struct count_case *c = &count_cases[i];
		long long v = -42;
		char label[96];

		snprintf(label, sizeof(label), "valid_count(\"%s\")", c->in);
		if (T_INT(label, c->rule, valid_count(c->in, strlen(c->in),
		    &v)) && c->rule == VALID_OK)
			T_INT(label, c->val, v);
	}
}

void
test_validate(void)
{
	test_count();
	run_rules("valid_name", valid_name, name_cases, T_LEN(name_cases));
	run_rules("valid_object_id", valid_object_id, oid_cases,
	    T_LEN(oid_cases));
	run_rules("valid_digest", valid_digest, digest_cases,
	    T_LEN(digest_cases));

	for (size_t i = 0; i < T_LEN(req_cases); i++)
		run_req(req_cases[i].path, req_cases[i].qs, req_cases[i].want);
	test_too_many();
}
