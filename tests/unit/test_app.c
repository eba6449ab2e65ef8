#include <stdlib.h>

#include "app.h"
#include "auth.h"
#include "fake_store.h"
#include "log.h"
#include "openapi.h"
#include "t.h"

#define KEY "0123456789abcdef0123456789abcdef01234567"
#define BEARER "Bearer " KEY
/* "api:" KEY */
#define BASIC "Basic YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="

#define B_NOT_FOUND "{\"detail\":\"Not Found\"}"
#define B_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define B_NOT_AUTH "{\"detail\":\"Not authenticated\"}"
#define B_BAD_KEY "{\"detail\":\"Invalid authentication credentials\"}"
#define B_TOO_LARGE "{\"reason\":\"Request too large\",\"error_type\":\"RequestTooLarge\"}"
#define B_FORBIDDEN "{\"reason\":\"Forbidden\",\"error_type\":\"Forbidden\"}"
#define B_UNAVAILABLE "{\"reason\":\"Service temporarily unavailable\"," \
	"\"error_type\":\"ServiceUnavailable\"}"
#define B_INTERNAL "{\"reason\":\"Internal server error\"}"
#define B_BAD_DIGEST "{\"detail\":[{\"type\":\"string_pattern_mismatch\"," \
	"\"loc\":[\"query\",\"digests\",0],\"msg\":\"String should match " \
	"pattern '^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$'\"," \
	"\"input\":\"bad!\",\"ctx\":{\"pattern\":\"^(latest|v[0-9]+|" \
	"[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$\"}}]}"
#define B_OID(input) "{\"detail\":[{\"type\":\"string_pattern_mismatch\"," \
	"\"loc\":[\"path\",\"object_id\"],\"msg\":\"String should match " \
	"pattern '^[\\\\w.-]+$'\",\"input\":\"" input "\",\"ctx\":" \
	"{\"pattern\":\"^[\\\\w.-]+$\"}}]}"

/* Section 10.1's entries: a delete never widens by accident. */
#define DIG_RE "^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$"
#define DETAIL(entries) "{\"detail\":[" entries "]}"
#define E_EXTRA(key, input) "{\"type\":\"extra_forbidden\",\"loc\":" \
	"[\"query\",\"" key "\"],\"msg\":\"Extra inputs are not permitted\"," \
	"\"input\":" input "}"
#define E_DIG(loc, input) "{\"type\":\"string_pattern_mismatch\",\"loc\":" \
	loc ",\"msg\":\"String should match pattern '" DIG_RE "'\"," \
	"\"input\":" input ",\"ctx\":{\"pattern\":\"" DIG_RE "\"}}"
#define E_STR(i, input) "{\"type\":\"string_type\",\"loc\":[\"body\"," i \
	"],\"msg\":\"Input should be a valid string\",\"input\":" input "}"
#define E_LIST(input) "{\"type\":\"list_type\",\"loc\":[\"body\"]," \
	"\"msg\":\"Input should be a valid list\",\"input\":" input "}"
#define BOTH "digests given both in the query and in the body"
#define E_BOTH(input) "{\"type\":\"value_error\",\"loc\":[\"body\"]," \
	"\"msg\":\"Value error, " BOTH "\",\"input\":" input ",\"ctx\":" \
	"{\"error\":\"" BOTH "\"}}"
#define E_JSON(pos, err) "{\"type\":\"json_invalid\",\"loc\":[\"body\"," \
	pos "],\"msg\":\"JSON decode error\",\"input\":{},\"ctx\":" \
	"{\"error\":\"" err "\"}}"
#define E_ENTITY "{\"type\":\"string_pattern_mismatch\",\"loc\":[\"path\"," \
	"\"entity\"],\"msg\":\"String should match pattern " \
	"'^[A-Za-z0-9_.-]+$'\",\"input\":\"e \",\"ctx\":{\"pattern\":" \
	"\"^[A-Za-z0-9_.-]+$\"}}"
/* 100 and 101 references as a JSON body. */
#define V10 "\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\"," \
	"\"v1\",\"v1\","
#define V99 V10 V10 V10 V10 V10 V10 V10 V10 V10 \
	"\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\",\"v1\","
#define L100 "[" V99 "\"latest\"]"
#define L101 "[" V99 "\"v1\",\"bad!\"]"
#define E_TOO_LONG "{\"type\":\"too_long\",\"loc\":[\"body\"],\"msg\":" \
	"\"List should have at most 100 items after validation, not 101\"," \
	"\"input\":" L101 ",\"ctx\":{\"field_type\":\"List\"," \
	"\"max_length\":100,\"actual_length\":101}}"
/* A request body, its length from the literal (which may hold NULs). */
#define BODY(s) .body = (s), .body_len = sizeof(s) - 1

/* What the fake store answers a delete it lets through. */
#define FAKE_NUM_DELETED 2
/* vN takes any number of digits: a reference longer than a fixed buffer. */
#define Z10 "0000000000"
#define Z100 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10
#define Z1000 Z100 Z100 Z100 Z100 Z100 Z100 Z100 Z100 Z100 Z100

/* A sink that keeps what a streamed answer wrote. */
struct sink_buf {
	char	 text[4096];
	size_t	 len;
};
static struct sink_buf streamed;

static int
sink_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static int
sink_write(void *ctx, const char *buf, size_t len)
{
	struct sink_buf *b = ctx;

	if (len > sizeof(b->text) - 1 - b->len)
		return -1;
	memcpy(b->text + b->len, buf, len);
	b->len += len;
	b->text[b->len] = '\0';
	return 0;
}

/*
 * Runs one request through app_handle against f; done releases what it
 * took.
 */
static void
handle(const char *prefix, const struct request *req, struct fake_store *f,
    struct response *resp)
{
	struct app_config cfg = { .prefix = prefix ? prefix : "" };
	struct store st = { .ops = &fake_store_ops, .ctx = f };
	struct app_sink sink = { sink_write, sink_flush, &streamed };

	streamed.len = 0;
	streamed.text[0] = '\0';
	f->num_deleted = FAKE_NUM_DELETED;
	app_handle(&cfg, req, &st, &sink, resp);
}

/*
 * Frees the response and what the fake recorded (its counts stay); says
 * so if app_handle broke a rule of the store's. The log forgets the
 * request id, as cgi/models-api.c has it do once a response is gone:
 * otherwise a later test's log line would read the freed one.
 */
static void
done(struct fake_store *f, struct response *resp)
{
	if (f->violations != 0)
		T_STR("fake store: a rule app_handle broke", NULL, f->violation);
	log_set_request(NULL);
	resp_free(resp);
	fake_store_free(f);
}

struct app_case {
	const char		*prefix;
	struct request		 req;
	enum store_status	 key_st, del_st, health_st;
	const char		*message;

	int			 status;
	const char		*body;
	const char		*allow;		/* NULL: no Allow header */
	int			 www, retry;
	const char		*location;	/* NULL: no Location */
	int			 checks, deletes, healths, others;
	int			 auths;		/* authorize calls */
};

/* Open a row's request initialiser; the row adds fields and closes it. */
#define M(m, u) .req = { .method = (m), .request_uri = (u)
#define DEL(u) M("DELETE", u)

static const struct app_case cases[] = {
	/* Routing: unknown paths, before anything else. */
	{ M("GET", "/nothing") }, .status = 404, .body = B_NOT_FOUND },
	{ DEL("/nothing"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ DEL("/nothing/") }, .status = 404, .body = B_NOT_FOUND },
	{ DEL("/") }, .status = 404, .body = B_NOT_FOUND },
	{ DEL("") }, .status = 404, .body = B_NOT_FOUND },
	{ DEL("/v2/e/p/models/m/versions"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ M("GET", "/v2/e/p/models/m/version/v1"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ M("GET", "/v2/e/p/models/m/versions/v1/x"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ DEL("/v2/e/p/models/m/x"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ DEL("/v2/e/p/models//m"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ DEL("//v2/e/p/models/m"), .authorization = BEARER },
	    .status = 404, .body = B_NOT_FOUND },
	{ M("GET", "/health%2F") }, .status = 404, .body = B_NOT_FOUND },

	/* Known path, other method: 405 before authentication. */
	{ M("GET", "/v2/e/p/models/m") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "DELETE" },
	{ M("POST", "/v2/e/p/models/m"), .authorization = BEARER },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "DELETE" },
	{ M("HEAD", "/v2/e/p/models/m") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "DELETE" },
	{ M("delete", "/v2/e/p/models/m"), .authorization = BEARER },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "DELETE" },
	{ M(NULL, "/v2/e/p/models/m") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "DELETE" },
	{ DEL("/health") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, HEAD" },
	/* Each path names its own methods; HEAD is no API method. */
	{ DEL("/v2/e/p/models") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, POST" },
	{ M("HEAD", "/v2/e/p/models") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, POST" },
	{ M("PUT", "/v2/e/p/models"), .body_too_large = 1 },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, POST" },
	{ M("POST", "/v2/e/p/models/m/versions/v1"), .authorization = BEARER },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET" },
	{ M("HEAD", "/v2/e/p/models/m/versions/latest") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET" },

	/* The body's size: after routing, before authentication. */
	{ M("POST", "/v2/e/p/models"), .body_too_large = 1 },
	    .status = 413, .body = B_TOO_LARGE },
	{ M("POST", "/v2/e/p/models/"), .body_too_large = 1 },
	    .status = 307, .body = "", .location = "/v2/e/p/models" },
	{ M("POST", "/v2/e/p/models"), .body = "{}", .body_len = 2 },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	/* A delete reads its body too; a list or a read does not. */
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER,
	    .body_too_large = 1 }, .status = 413, .body = B_TOO_LARGE },
	{ DEL("/v2/e/p/models/m?digest=v0"), .body_too_large = 1 },
	    .status = 413, .body = B_TOO_LARGE },
	{ M("GET", "/v2/e/p/models/m/versions/v1"), .authorization = BEARER,
	    .body_too_large = 1 }, .status = 404, .body = "{\"reason\":"
	    "\"Obj m:v1 not found\",\"error_type\":\"NotFoundError\"}",
	    .others = 1 },

	/*
	 * Section 10.1: on a delete, every query key but digests is refused,
	 * one entry per key (decoded) in order of first appearance, input its
	 * last value; misspellings of digests above all.
	 */
	{ DEL("/v2/e/p/models/m?digest=v0"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("digest", "\"v0\"")),
	    .checks = 1 },
	{ DEL("/v2/e/p/models/m?Digests="), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("Digests", "\"\"")),
	    .checks = 1 },
	{ DEL("/v2/e/p/models/m?digests[]=v0"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("digests[]", "\"v0\"")),
	    .checks = 1 },
	{ DEL("/v2/e/p/models/m?%64igest=v0"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("digest", "\"v0\"")),
	    .checks = 1 },
	{ DEL("/v2/e/p/models/m?digests=v0&x"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("x", "\"\"")), .checks = 1 },
	{ DEL("/v2/e/p/models/m?b=1&a=2&digests=v0&b=3&a&%62=4+5"),
	    .authorization = BEARER }, .status = 422, .body = DETAIL(
	    E_EXTRA("b", "\"4 5\"") "," E_EXTRA("a", "\"\"")), .checks = 1 },
	{ DEL("/v2/e/p/models/m?=x&"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("", "\"x\"")), .checks = 1 },
	/* Not UTF-8: named as sent, as any input is. */
	{ DEL("/v2/e/p/models/m?%FF=%FE&k=%C3%A9"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_EXTRA("%FF", "\"%FE\"") ","
	    E_EXTRA("k", "\"\xc3\xa9\"")), .checks = 1 },
	/* Path errors, then the digests', then the other keys'. */
	{ DEL("/v2/e%20/p/models/m?x=1&digests=bad!"), .authorization = BEARER },
	    .status = 422, .body = DETAIL(E_ENTITY "," E_DIG(
	    "[\"query\",\"digests\",0]", "\"bad!\"") "," E_EXTRA("x",
	    "\"1\"")), .checks = 1 },
	/* The key outranks them; other routes still ignore unknown keys. */
	{ DEL("/v2/e/p/models/m?digest=v0") },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m?digest=v0"), .authorization = BEARER },
	    .key_st = STORE_BAD_KEY,
	    .status = 401, .body = B_BAD_KEY, .www = 1, .checks = 1 },
	{ M("GET", "/v2/e/p/models?digest=v0&x"), .authorization = BEARER,
	    .request_id = "r2" }, .status = 200, .body = "Status: 200 OK\r\n"
	    "Content-Type: application/jsonl\r\nX-Request-Id: r2\r\n\r\n",
	    .others = 1 },
	{ M("GET", "/v2/e/p/models/m/versions/v1?digest=v0"),
	    .authorization = BEARER }, .status = 404, .body = "{\"reason\":"
	    "\"Obj m:v1 not found\",\"error_type\":\"NotFoundError\"}",
	    .others = 1 },
	{ M("POST", "/v2/e/p/models?digest=v0"), .authorization = BEARER,
	    BODY("{\"name\":\"M\",\"source_code\":\"\"}") },
	    .status = 200, .body = "{\"digest\":\"RXcrbxsse4WdEFojMSX6BR1RYu1wYVmvRmUXe4WqZq0\",\"object_id\":\"m\",\"version_index\":0,\"model_ref\":\"weave:///e/p/object/m:RXcrbxsse4WdEFojMSX6BR1RYu1wYVmvRmUXe4WqZq0\"}",
	    .others = 1, .auths = 1 },

	/* The body form: JSON whatever the Content-Type; null is no body. */
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY("null") },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1, .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY(" [ ] ") },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1, .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER,
	    .content_type = "text/plain", BODY("[\"v0\"]") },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1, .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY(L100) },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1, .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY("[1]") },
	    .status = 422, .body = DETAIL(E_STR("0", "1")), .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER,
	    BODY("{\"digests\":[\"v0\"]}") }, .status = 422,
	    .body = DETAIL(E_LIST("{\"digests\":[\"v0\"]}")), .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY("\"v0\"") },
	    .status = 422, .body = DETAIL(E_LIST("\"v0\"")), .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY("0") },
	    .status = 422, .body = DETAIL(E_LIST("0")), .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER,
	    BODY("[\"bad!\",null,\"v1\",2.50,[\"v2\"],\"\\u0000\"]") },
	    /* Echoed as Python would: 2.50 is the float 2.5. */
	    .status = 422, .body = DETAIL(E_DIG("[\"body\",0]", "\"bad!\"") ","
	    E_STR("1", "null") "," E_STR("3", "2.5") "," E_STR("4",
	    "[\"v2\"]") "," E_DIG("[\"body\",5]", "\"\\u0000\"")),
	    .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY(L101) },
	    .status = 422, .body = DETAIL(E_TOO_LONG), .auths = 1 },
	/* Not JSON: its entry alone, whatever else was wrong. */
	{ DEL("/v2/e%20/p/models/m?x=1&digests=bad!"), .authorization = BEARER,
	    BODY("[\"v0\"") }, .status = 422, .body = DETAIL(E_JSON("5",
	    "Expecting ',' delimiter")), .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER,
	    .content_type = "application/x-www-form-urlencoded",
	    BODY("digests=v0") }, .status = 422,
	    .body = DETAIL(E_JSON("0", "Expecting value")), .auths = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY(" ") },
	    .status = 422, .body = DETAIL(E_JSON("1", "Expecting value")),
	    .auths = 1 },
	/* Both forms at once; only a sound list gets that far. */
	{ DEL("/v2/e/p/models/m?digests=v1"), .authorization = BEARER,
	    BODY("[\"v0\"]") }, .status = 422,
	    .body = DETAIL(E_BOTH("[\"v0\"]")), .auths = 1 },
	{ DEL("/v2/e/p/models/m?digests=v1"), .authorization = BEARER,
	    BODY("[]") }, .status = 422, .body = DETAIL(E_BOTH("[]")),
	    .auths = 1 },
	{ DEL("/v2/e/p/models/m?digests=bad!"), .authorization = BEARER,
	    BODY("[\"v0\"]") }, .status = 422, .body = DETAIL(E_DIG(
	    "[\"query\",\"digests\",0]", "\"bad!\"") "," E_BOTH("[\"v0\"]")),
	    .auths = 1 },
	{ DEL("/v2/e/p/models/m?digests=v1"), .authorization = BEARER,
	    BODY("[1]") }, .status = 422, .body = DETAIL(E_STR("0", "1")),
	    .auths = 1 },
	{ DEL("/v2/e/p/models/m?digests=v1"), .authorization = BEARER,
	    BODY("null") },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1, .auths = 1 },
	/* Every part in its place: path, digests, other keys, body. */
	{ DEL("/v2/e%20/p/models/m?x=1&digests=bad!"), .authorization = BEARER,
	    BODY("\"v0\"") }, .status = 422, .body = DETAIL(E_ENTITY ","
	    E_DIG("[\"query\",\"digests\",0]", "\"bad!\"") "," E_EXTRA("x",
	    "\"1\"") "," E_LIST("\"v0\"")), .auths = 1 },
	/* The key outranks the body. */
	{ DEL("/v2/e/p/models/m"), BODY("nope") },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER, BODY("nope") },
	    .key_st = STORE_BAD_KEY,
	    .status = 401, .body = B_BAD_KEY, .www = 1, .auths = 1 },

	/* Create: path errors first, then the body's; json_invalid alone. */
	{ M("POST", "/v2/e%20/p/models"), .authorization = BEARER,
	    .body = "{\"name\":1,\"source_code\":\"x\"}", .body_len = 28 },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"string_pattern_mismatch\",\"loc\":[\"path\",\"entity\"],\"msg\":\"String should match pattern '^[A-Za-z0-9_.-]+$'\",\"input\":\"e \",\"ctx\":{\"pattern\":\"^[A-Za-z0-9_.-]+$\"}},{\"type\":\"string_type\",\"loc\":[\"body\",\"name\"],\"msg\":\"Input should be a valid string\",\"input\":1}]}",
	    .auths = 1 },
	{ M("POST", "/v2/e%20/p/models"), .authorization = BEARER,
	    .body = "{\"name\":", .body_len = 8 },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"json_invalid\",\"loc\":[\"body\",8],\"msg\":\"JSON decode error\",\"input\":{},\"ctx\":{\"error\":\"Expecting value\"}}]}",
	    .auths = 1 },
	{ M("POST", "/v2/e/p/models"), .authorization = BEARER,
	    .body = "null", .body_len = 4 },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}]}",
	    .auths = 1 },
	{ M("POST", "/v2/e/p/models"), .authorization = BEARER,
	    .content_type = "text/plain", .body = "{}", .body_len = 2 },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":\"{}\"}]}",
	    .auths = 1 },
	/*
	 * A sound create reaches the store. A body is read only for a key
	 * allowed to write there: 401 and 403 come before it, unread.
	 */
	{ M("POST", "/v2/e/p/models"), .authorization = BEARER,
	    .body = "{\"name\":\"M\",\"source_code\":\"\"}", .body_len = 29 },
	    .status = 200, .body = "{\"digest\":\"RXcrbxsse4WdEFojMSX6BR1RYu1wYVmvRmUXe4WqZq0\",\"object_id\":\"m\",\"version_index\":0,\"model_ref\":\"weave:///e/p/object/m:RXcrbxsse4WdEFojMSX6BR1RYu1wYVmvRmUXe4WqZq0\"}",
	    .others = 1, .auths = 1 },
	{ M("POST", "/v2/e/p/models"), .authorization = BEARER,
	    .body = "{}", .body_len = 2 }, .key_st = STORE_BAD_KEY,
	    .status = 401, .body = B_BAD_KEY, .www = 1, .auths = 1 },

	{ M("POST", "/v2/e/p/models"), .authorization = BEARER,
	    .body = "not json", .body_len = 8 }, .key_st = STORE_FORBIDDEN,
	    .status = 403, .body = B_FORBIDDEN, .auths = 1 },
	{ M("POST", "/v2/e/p/models"), .authorization = BEARER,
	    .body = "{}", .body_len = 2 }, .key_st = STORE_UNAVAILABLE,
	    .status = 503, .body = B_UNAVAILABLE, .retry = 1, .auths = 1 },
	/* An empty body: nothing to protect, the 422 after the key check. */
	{ M("POST", "/v2/e/p/models"), .authorization = BEARER },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}]}",
	    .checks = 1 },
	/* A body on a GET is never read: no key check ahead of it. */
	{ M("GET", "/v2/e/p/models/m/versions/v1"), .authorization = BEARER,
	    .body = "x", .body_len = 1 },
	    .status = 404, .body = "{\"reason\":\"Obj m:v1 not found\",\"error_type\":\"NotFoundError\"}",
	    .others = 1 },

	/* List: limit and offset, last value wins, limit's entry first. */
	{ M("GET", "/v2/e/p/models?offset=-1&limit=1.0&limit=abc"),
	    .authorization = BEARER },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"int_parsing\",\"loc\":[\"query\",\"limit\"],\"msg\":\"Input should be a valid integer, unable to parse string as an integer\",\"input\":\"abc\"},{\"type\":\"greater_than_equal\",\"loc\":[\"query\",\"offset\"],\"msg\":\"Input should be greater than or equal to 0\",\"input\":\"-1\",\"ctx\":{\"ge\":0}}]}",
	    .checks = 1 },
	{ M("GET", "/v2/e/p/models?limit=+1%20&offset=-0"),
	    .authorization = BEARER, .request_id = "r1" },
	    .status = 200, .body = "Status: 200 OK\r\nContent-Type: "
	    "application/jsonl\r\nX-Request-Id: r1\r\n\r\n", .others = 1 },
	{ M("GET", "/v2/e/p/models/m/versions/v1x"), .authorization = BEARER },
	    .status = 422, .body = "{\"detail\":[{\"type\":\"string_pattern_mismatch\",\"loc\":[\"path\",\"digest\"],\"msg\":\"String should match pattern '^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$'\",\"input\":\"v1x\",\"ctx\":{\"pattern\":\"^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$\"}}]}",
	    .checks = 1 },
	{ M("GET", "/v2/e/p/models/m/versions/v1"), .authorization = BEARER },
	    .status = 404, .body = "{\"reason\":\"Obj m:v1 not found\",\"error_type\":\"NotFoundError\"}",
	    .others = 1 },
	{ M("GET", "/v2/e/p/models/m/versions/v" Z1000 Z1000 "1"),
	    .authorization = BEARER },
	    .status = 404, .body = "{\"reason\":\"Obj m:v" Z1000 Z1000 "1 not found\",\"error_type\":\"NotFoundError\"}",
	    .others = 1 },
	{ M("GET", "/v2/e/p/models/m/versions/v1"), .authorization = BEARER },
	    .del_st = STORE_FORBIDDEN,
	    .status = 403, .body = B_FORBIDDEN, .others = 1 },
	{ M("POST", "/health") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, HEAD" },
	{ M("POST", "/openapi.json") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, HEAD" },
	{ M("DELETE", "/openapi.json"), .authorization = BEARER },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, HEAD" },
	{ M("OPTIONS", "/openapi.json") },
	    .status = 405, .body = B_NOT_ALLOWED, .allow = "GET, HEAD" },

	/* Trailing slashes: 307 whatever the method, query as sent. */
	{ DEL("/v2/e/p/models/m/?digests=v1") },
	    .status = 307, .body = "", .location = "/v2/e/p/models/m?digests=v1" },
	{ M("GET", "/v2/e/p/models/m//") },
	    .status = 307, .body = "", .location = "/v2/e/p/models/m" },
	{ DEL("/v2/e/p/models/m%2Fx/?a=%20b&digests=bad!"),
	    .authorization = "Bearer nope" },
	    .status = 307, .body = "",
	    .location = "/v2/e/p/models/m%2Fx?a=%20b&digests=bad!" },
	{ DEL("/v2/e/p/%6Dodels/m/") },
	    .status = 307, .body = "", .location = "/v2/e/p/%6Dodels/m" },
	{ M("GET", "/health/") },
	    .status = 307, .body = "", .location = "/health" },
	/* Raw bytes that would break the header block go out as %XX. */
	{ M("GET", "/health/?a=b c\r\nX: y") },
	    .status = 307, .body = "", .location = "/health?a=b%20c%0D%0AX:%20y" },
	{ DEL("/v2/e/p/models/m\xff/") },
	    .status = 307, .body = "", .location = "/v2/e/p/models/m%FF" },
	{ M("POST", "/health///?x") },
	    .status = 307, .body = "", .location = "/health?x" },
	{ M("GET", "/openapi.json/?x=1") },
	    .status = 307, .body = "", .location = "/openapi.json?x=1" },
	{ M("HEAD", "/openapi.json//") },
	    .status = 307, .body = "", .location = "/openapi.json" },

	/*
	 * The OpenAPI document: as stored, no authentication (a key sent is
	 * not even looked at), no database.
	 */
	{ M("GET", "/openapi.json") },
	    .status = 200, .body = (const char *)openapi_json },
	{ M("HEAD", "/openapi.json") },
	    .status = 200, .body = (const char *)openapi_json },
	{ M("GET", "/openapi.json?x=1"), .authorization = "Bearer nope" },
	    .status = 200, .body = (const char *)openapi_json },
	{ M("GET", "/%6Fpenapi%2Ejson") },
	    .status = 200, .body = (const char *)openapi_json },
	{ .prefix = "/api", M("GET", "/api/openapi.json") },
	    .status = 200, .body = (const char *)openapi_json },
	{ M("GET", "/openapi.json%2F") }, .status = 404, .body = B_NOT_FOUND },
	{ M("GET", "/openapi") }, .status = 404, .body = B_NOT_FOUND },
	{ M("GET", "/openapi.jsonx") }, .status = 404, .body = B_NOT_FOUND },
	{ M("GET", "/v2/openapi.json") }, .status = 404, .body = B_NOT_FOUND },

	/* Health: no authentication, one round trip. */
	{ M("GET", "/health") },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ M("HEAD", "/health") },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ M("GET", "/%68ealth?x=1") },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ M("GET", "/health") }, .health_st = STORE_UNAVAILABLE,
	    .status = 503, .body = "{\"status\":\"unavailable\"}", .healths = 1 },
	{ M("GET", "/health") }, .health_st = STORE_ERROR,
	    .status = 503, .body = "{\"status\":\"unavailable\"}", .healths = 1 },

	/* No usable credentials: 401, the store untouched. */
	{ DEL("/v2/e/p/models/m") },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = "Token " KEY },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = "Basic !!!!" },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = "Basic YXBpOg==" },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = "Bearer " },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	/* A key that cannot be live: 401, the store untouched. */
	{ DEL("/v2/e/p/models/m"),
	    .authorization = "Bearer 0123456789ABCDEF0123456789ABCDEF01234567" },
	    .status = 401, .body = B_BAD_KEY, .www = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = "Basic YXBpOiAwMTIzNDU2Nzg5"
	    "YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3" },	/* "api: KEY" */
	    .status = 401, .body = B_BAD_KEY, .www = 1 },
	/* Authentication outranks validation. */
	{ DEL("/v2/e/p/models/m?digests=bad!") },
	    .status = 401, .body = B_NOT_AUTH, .www = 1 },
	{ DEL("/v2/e/p/models/m%2Fx"), .authorization = "Bearer xyz" },
	    .status = 401, .body = B_BAD_KEY, .www = 1 },

	/* Invalid input: 422 only once the key is known to be live. */
	{ DEL("/v2/e/p/models/m?digests=bad!"), .authorization = BEARER },
	    .status = 422, .body = B_BAD_DIGEST, .checks = 1 },
	{ DEL("/v2/e/p/models/m?digests=bad!"), .authorization = BASIC },
	    .status = 422, .body = B_BAD_DIGEST, .checks = 1 },
	{ DEL("/v2/e/p/models/m%2Fx"), .authorization = BEARER },
	    .status = 422, .body = B_OID("m/x"), .checks = 1 },
	{ DEL("/v2/e/p/models/m?digests=bad!"), .authorization = BEARER },
	    .key_st = STORE_BAD_KEY,
	    .status = 401, .body = B_BAD_KEY, .www = 1, .checks = 1 },
	{ DEL("/v2/e/p/models/m?digests=bad!"), .authorization = BEARER },
	    .key_st = STORE_UNAVAILABLE,
	    .status = 503, .body = B_UNAVAILABLE, .retry = 1, .checks = 1 },
	{ DEL("/v2/e/p/models/m?digests=bad!"), .authorization = BEARER },
	    .key_st = STORE_ERROR, .status = 500, .body = B_INTERNAL,
	    .checks = 1 },

	/* Valid requests: the answer is the store's delete result. */
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1 },
	{ DEL("/v2/e/p/models/m?digests=v1&digests=latest"),
	    .authorization = BASIC },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1 },
	/* Spaces around the credentials, trailing ones included (front
	 * servers strip those, so only here and raw_req see them). */
	{ DEL("/v2/e/p/models/m"), .authorization = "bEaReR   " KEY "   " },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BASIC "   " },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .del_st = STORE_BAD_KEY,
	    .status = 401, .body = B_BAD_KEY, .www = 1, .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .del_st = STORE_FORBIDDEN,
	    .status = 403, .body = B_FORBIDDEN, .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .del_st = STORE_NO_PROJECT, .status = 404, .body = "{\"reason\":"
	    "\"Project e/p not found\",\"error_type\":\"ProjectNotFound\"}",
	    .deletes = 1 },
	{ DEL("/v2/%65nt/my.proj/models/m"), .authorization = BEARER },
	    .del_st = STORE_NO_PROJECT, .status = 404, .body = "{\"reason\":"
	    "\"Project ent/my.proj not found\",\"error_type\":"
	    "\"ProjectNotFound\"}", .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .del_st = STORE_NOT_FOUND,
	    .message = "Object m (None) not found when deleting.",
	    .status = 404, .body = "{\"reason\":\"Object m (None) not found "
	    "when deleting.\",\"error_type\":\"NotFoundError\"}",
	    .deletes = 1 },
	{ DEL("/v2/e/p/models/m?digests=v7&digests=v8"),
	    .authorization = BEARER },
	    .del_st = STORE_NOT_FOUND,
	    .message = "Object m (['v7', 'v8']) not found when deleting.",
	    .status = 404, .body = "{\"reason\":\"Object m (['v7', 'v8']) not "
	    "found when deleting.\",\"error_type\":\"NotFoundError\"}",
	    .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .del_st = STORE_UNAVAILABLE,
	    .status = 503, .body = B_UNAVAILABLE, .retry = 1, .deletes = 1 },
	{ DEL("/v2/e/p/models/m"), .authorization = BEARER },
	    .del_st = STORE_ERROR,
	    .status = 500, .body = B_INTERNAL, .deletes = 1 },

	/* MODELS_API_PREFIX: stripped, and nothing outside it is routed. */
	{ .prefix = "/api", M("GET", "/api/health") },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ .prefix = "/api", DEL("/api/v2/e/p/models/m"),
	    .authorization = BEARER },
	    .status = 200, .body = "{\"num_deleted\":2}", .deletes = 1 },
	{ .prefix = "/api", M("GET", "/health") },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", M("GET", "/apix/health") },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", M("GET", "/xyz/health") },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", M("GET", "/API/health") },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", M("GET", "/api") },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", M("GET", "/api/api/health") },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", DEL("/api/v2/e/p/models/m/?digests=v1") },
	    .status = 307, .body = "",
	    .location = "/api/v2/e/p/models/m?digests=v1" },

	/* Without REQUEST_URI: SCRIPT_NAME + PATH_INFO, QUERY_STRING. */
	{ .req = { .method = "GET", .script_name = "", .path_info = "/health" },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ .req = { .method = "GET", .path_info = "/health" },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ .req = { .method = "GET", .script_name = "/health" },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	{ .req = { .method = "DELETE", .script_name = "/v2",
	    .path_info = "/e/p/models/m", .query_string = "digests=bad!",
	    .authorization = BEARER },
	    .status = 422, .body = B_BAD_DIGEST, .checks = 1 },
	/* PATH_INFO is already decoded: "%41" there is not decoded again. */
	{ .req = { .method = "DELETE", .path_info = "/v2/e/p/models/m%41",
	    .authorization = BEARER },
	    .status = 422, .body = B_OID("m%41"), .checks = 1 },
	{ .req = { .method = "GET" },
	    .status = 404, .body = B_NOT_FOUND },
	{ .prefix = "/api", .req = { .method = "GET", .script_name = "/api",
	    .path_info = "/health" },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
	/* REQUEST_URI wins when both are there. */
	{ .req = { .method = "GET", .request_uri = "/health",
	    .script_name = "/x", .path_info = "/nothing" },
	    .status = 200, .body = "{\"status\":\"ok\"}", .healths = 1 },
};

static void
label_of(char *buf, size_t size, const struct app_case *c)
{
	const struct request *q = &c->req;
	char body[96];
	size_t n;

	if (q->request_uri != NULL)
		snprintf(buf, size, "%s%s%s %s %s auth=%s",
		    c->prefix ? "[prefix " : "", c->prefix ? c->prefix : "",
		    c->prefix ? "]" : "", q->method ? q->method : "(null)",
		    q->request_uri, q->authorization ? q->authorization : "-");
	else
		snprintf(buf, size, "%s%s%s %s SCRIPT_NAME=%s PATH_INFO=%s "
		    "QUERY_STRING=%s auth=%s",
		    c->prefix ? "[prefix " : "", c->prefix ? c->prefix : "",
		    c->prefix ? "]" : "", q->method ? q->method : "(null)",
		    q->script_name ? q->script_name : "(null)",
		    q->path_info ? q->path_info : "(null)",
		    q->query_string ? q->query_string : "(null)",
		    q->authorization ? q->authorization : "-");
	/* The body too, cut short: the rows of section 10.1 differ by it. */
	n = strlen(buf);
	if (q->body_len > 0 && n < size)
		snprintf(buf + n, size - n, " body=%s", t_label(body,
		    sizeof(body), q->body, q->body_len));
}

static void
run(const struct app_case *c)
{
	struct fake_store f = { .key_st = c->key_st, .op_st = c->del_st,
	    .health_st = c->health_st, .message = c->message };
	struct response r;
	char label[512], what[600];

	label_of(label, sizeof(label), c);
	handle(c->prefix, &c->req, &f, &r);

#define FIELD(name) (snprintf(what, sizeof(what), "%s: %s", label, name), what)
	T_INT(FIELD("status"), c->status, r.status);
	if (r.streamed)
		T_MEM(FIELD("streamed"), c->body, strlen(c->body),
		    streamed.text, streamed.len);
	else
		T_MEM(FIELD("body"), c->body, strlen(c->body), r.body,
		    r.body ? r.body_len : 0);
	T_STR(FIELD("allow"), c->allow, r.allow);
	T_INT(FIELD("www_authenticate"), c->www, r.www_authenticate);
	T_INT(FIELD("retry_after"), c->retry, r.retry_after);
	T_STR(FIELD("location"), c->location, r.location);
	T_INT(FIELD("check_key calls"), c->checks, f.checks);
	T_INT(FIELD("delete_model calls"), c->deletes, f.deletes);
	T_INT(FIELD("health calls"), c->healths, f.healths);
	T_INT(FIELD("authorize calls"), c->auths, f.auths);
	T_INT(FIELD("create/read/list calls"), c->others,
	    f.creates + f.reads + f.lists);
#undef FIELD
	done(&f, &r);
}

static int
id_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* X-Request-Id: the client's when 1-64 of [A-Za-z0-9._-], else a new one. */
struct id_case {
	const char	*given;
	int		 kept;
};

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF"

static const struct id_case id_cases[] = {
	{ "abc-1.2_X", 1 },
	{ "a", 1 },
	{ ID64, 1 },
	{ "...", 1 },
	{ NULL, 0 },
	{ "", 0 },
	{ ID64 "x", 0 },
	{ "a b", 0 },
	{ "a/b", 0 },
	{ "a:b", 0 },
	{ "\xc3\xa9", 0 },
	{ "abc\n", 0 },
};

static void
test_request_id(void)
{
	char prev[RESP_REQUEST_ID_MAX + 1] = "";
	char label[160], in[100];

	for (size_t i = 0; i < T_LEN(id_cases); i++) {
		const struct id_case *c = &id_cases[i];
		struct request req = { .method = "GET", .request_uri = "/health",
		    .request_id = c->given };
		struct fake_store f = { 0 };
		struct response r;
		size_t n;

		snprintf(label, sizeof(label), "X-Request-Id %s",
		    c->given ? t_label(in, sizeof(in), c->given,
		    strlen(c->given)) : "(absent)");
		handle(NULL, &req, &f, &r);
		n = strlen(r.request_id);
		if (c->kept) {
			T_STR(label, c->given, r.request_id);
		} else {
			size_t good = 0;

			while (good < n && id_char_ok(r.request_id[good]))
				good++;
			/* A fresh id is itself a valid one, and not the last. */
			T_INT(label, 1, n >= 1 && n <= RESP_REQUEST_ID_MAX);
			T_INT(label, n, good);
			T_INT(label, 1, strcmp(r.request_id, prev) != 0);
			/* The app's own: 16 lowercase hex digits. */
			T_INT(label, 16, (int)strspn(r.request_id,
			    "0123456789abcdef"));
			T_INT(label, 16, (int)n);
			T_INT(label, 1, c->given == NULL ||
			    strcmp(r.request_id, c->given) != 0);
			memcpy(prev, r.request_id, sizeof(prev));
		}
		done(&f, &r);
	}

	/* Every answer carries it, a 404 or a 307 included. */
	{
		struct request req = { .method = "DELETE",
		    .request_uri = "/nothing", .request_id = "rid-404" };
		struct fake_store f = { 0 };
		struct response r;

		handle(NULL, &req, &f, &r);
		T_STR("X-Request-Id on a 404", "rid-404", r.request_id);
		done(&f, &r);
		req.request_uri = "/health/";
		req.request_id = "rid-307";
		handle(NULL, &req, &f, &r);
		T_STR("X-Request-Id on a 307", "rid-307", r.request_id);
		done(&f, &r);
	}
}

/* What the store is handed: decoded params, references, id, key hash. */
static void
test_delete_args(void)
{
	unsigned char want_hash[AUTH_HASH_LEN];
	struct fake_store f = { 0 };
	struct response r;
	struct request req = { .method = "DELETE",
	    .request_uri = "/v2/%65nt/p%2Eq/models/m%C3%A9?digests=v1&&"
	    "%64igests=latest&digests=v1", .authorization = BEARER,
	    .request_id = "rid" };
	const char *label = "DELETE /v2/%65nt/p%2Eq/models/m%C3%A9?digests=v1"
	    "&&%64igests=latest&digests=v1";

	auth_hash_key(KEY, AUTH_KEY_LEN, want_hash);
	handle(NULL, &req, &f, &r);
	T_INT(label, 200, r.status);
	T_INT(label, 1, f.deletes);
	T_STR(label, "ent", f.entity);
	T_STR(label, "p.q", f.project);
	T_STR(label, "m\xc3\xa9", f.object_id);
	T_STR(label, "rid", f.request_id);
	T_MEM(label, (const char *)want_hash, AUTH_HASH_LEN,
	    (const char *)f.hash, AUTH_HASH_LEN);
	T_INT(label, 0, f.refs_null);
	T_INT(label, STORE_REFS_QUERY, f.refs_from);
	/* As sent: duplicates kept, in order, names decoded. */
	if (T_INT(label, 3, f.nrefs)) {
		T_STR(label, "v1", f.refs[0]);
		T_STR(label, "latest", f.refs[1]);
		T_STR(label, "v1", f.refs[2]);
	}
	T_INT(label, FAKE_NUM_DELETED, r.num_deleted);
	T_INT(label, FAKE_KEY_ID, r.key_id);
	done(&f, &r);

	/* No digests at all: delete every version (refs NULL). */
	memset(&f, 0, sizeof(f));
	req.request_uri = "/v2/e/p/models/m?&";
	req.authorization = BASIC;
	label = "DELETE /v2/e/p/models/m?& (Basic)";
	handle(NULL, &req, &f, &r);
	T_INT(label, 200, r.status);
	T_INT(label, 1, f.refs_null);
	T_INT(label, 0, f.nrefs);
	T_MEM(label, (const char *)want_hash, AUTH_HASH_LEN,
	    (const char *)f.hash, AUTH_HASH_LEN);
	done(&f, &r);

	/* One digest is still a list of references, not "every version". */
	memset(&f, 0, sizeof(f));
	req.request_uri = "/v2/e/p/models/m?digests=latest";
	label = "DELETE /v2/e/p/models/m?digests=latest";
	handle(NULL, &req, &f, &r);
	T_INT(label, 200, r.status);
	T_INT(label, 0, f.refs_null);
	if (T_INT(label, 1, f.nrefs))
		T_STR(label, "latest", f.refs[0]);
	done(&f, &r);

	/* A refused delete reports no count; the key it knew, it keeps. */
	memset(&f, 0, sizeof(f));
	f.op_st = STORE_FORBIDDEN;
	req.request_uri = "/v2/e/p/models/m";
	label = "DELETE /v2/e/p/models/m (forbidden)";
	handle(NULL, &req, &f, &r);
	T_INT(label, 403, r.status);
	T_INT(label, -1, r.num_deleted);
	T_INT(label, FAKE_KEY_ID, r.key_id);
	done(&f, &r);

	/* The 422 path hands check_key the same hash. */
	memset(&f, 0, sizeof(f));
	req.request_uri = "/v2/e/p/models/m?digests=bad!";
	label = "DELETE /v2/e/p/models/m?digests=bad! (check_key hash)";
	handle(NULL, &req, &f, &r);
	T_INT(label, 422, r.status);
	T_MEM(label, (const char *)want_hash, AUTH_HASH_LEN,
	    (const char *)f.hash, AUTH_HASH_LEN);
	T_INT(label, FAKE_KEY_ID, r.key_id);
	done(&f, &r);
}

/* What a delete's references hand the store: the list and where it came from. */
struct refs_case {
	const char	*uri;
	const char	*content_type;
	const char	*body;
	int		 refs_null;	/* every version */
	int		 from;		/* a store_refs_from, when listed */
	unsigned int	 n;
	const char	*refs[3];
};

static const struct refs_case refs_cases[] = {
	{ "/v2/e/p/models/m", NULL, "[\"v0\"]", 0, STORE_REFS_BODY, 1,
	    { "v0" } },
	/* An empty list names nothing: still a list, never every version. */
	{ "/v2/e/p/models/m", NULL, "[]", 0, STORE_REFS_BODY, 0, { NULL } },
	{ "/v2/e/p/models/m", NULL, "null", 1, 0, 0, { NULL } },
	{ "/v2/e/p/models/m", NULL, "", 1, 0, 0, { NULL } },
	{ "/v2/e/p/models/m?digests=v1&digests=latest", NULL, " null ", 0,
	    STORE_REFS_QUERY, 2, { "v1", "latest" } },
	/* A byte-order mark, escapes, duplicates kept as sent. */
	{ "/v2/e/p/models/m", "text/plain", "\xef\xbb\xbf[\"latest\", "
	    "\"\\u0076\\u0030\", \"latest\"]", 0, STORE_REFS_BODY, 3,
	    { "latest", "v0", "latest" } },
};

static void
test_delete_refs(void)
{
	for (size_t i = 0; i < T_LEN(refs_cases); i++) {
		const struct refs_case *c = &refs_cases[i];
		struct request req = { .method = "DELETE", .request_uri = c->uri,
		    .authorization = BEARER, .content_type = c->content_type,
		    .body = c->body, .body_len = strlen(c->body) };
		struct fake_store f = { 0 };
		struct response r;
		char label[256], body[96];

		snprintf(label, sizeof(label), "DELETE %s body=%s (store "
		    "arguments)", c->uri, t_label(body, sizeof(body), c->body,
		    strlen(c->body)));
		handle(NULL, &req, &f, &r);
		T_INT(label, 200, r.status);
		T_INT(label, 1, f.deletes);
		T_INT(label, c->refs_null, f.refs_null);
		T_INT(label, c->n, f.nrefs);
		if (!c->refs_null)
			T_INT(label, c->from, f.refs_from);
		for (unsigned int j = 0; j < c->n && j < f.nrefs; j++)
			T_STR(label, c->refs[j], f.refs[j]);
		done(&f, &r);
	}
}

/* HEAD answers headers only; GET the body too. */
static void
test_head(void)
{
	struct request req = { .method = "HEAD", .request_uri = "/health" };
	struct fake_store f = { 0 };
	struct response r;

	handle(NULL, &req, &f, &r);
	T_INT("HEAD /health omit_body", 1, r.omit_body);
	T_INT("HEAD /health status", 200, r.status);
	done(&f, &r);
	req.method = "GET";
	handle(NULL, &req, &f, &r);
	T_INT("GET /health omit_body", 0, r.omit_body);
	done(&f, &r);

	/* The document's length goes out on HEAD too (Content-Length). */
	req.method = "HEAD";
	req.request_uri = "/openapi.json";
	handle(NULL, &req, &f, &r);
	T_INT("HEAD /openapi.json omit_body", 1, r.omit_body);
	T_INT("HEAD /openapi.json status", 200, r.status);
	T_INT("HEAD /openapi.json length", (long long)openapi_json_len,
	    (long long)r.body_len);
	done(&f, &r);
}

/* A body reader that counts its calls and answers as told. */
struct reader {
	int		 calls;
	enum app_body	 answer;
	const char	*text;
};

static enum app_body
reader_read(void *ctx, char **body, size_t *len)
{
	struct reader *rd = ctx;

	rd->calls++;
	*body = (char *)rd->text;
	*len = strlen(rd->text);
	return rd->answer;
}

/*
 * The body is read on demand, after authorize, never for a key that may
 * not send it; its deadline is a 408, no room a 503.
 */
static void
test_body_on_demand(void)
{
	static const struct {
		const char	*label;
		const char	*uri;
		enum store_status key_st;
		enum app_body	 answer;
		int		 status, reads;
		const char	*entity;	/* what authorize was given */
		const char	*body;
	} cases[] = {
		{ "sound create", "/v2/e/p/models", STORE_OK, APP_BODY_OK,
		    200, 1, "e", NULL },
		{ "unknown key", "/v2/e/p/models", STORE_BAD_KEY, APP_BODY_OK,
		    401, 0, "e", B_BAD_KEY },
		{ "read-only key", "/v2/e/p/models", STORE_FORBIDDEN,
		    APP_BODY_OK, 403, 0, "e", B_FORBIDDEN },
		{ "path error: the key alone", "/v2/e%20/p/models", STORE_OK,
		    APP_BODY_OK, 422, 1, NULL, NULL },
		{ "deadline", "/v2/e/p/models", STORE_OK, APP_BODY_TIMEOUT,
		    408, 1, "e", "{\"reason\":\"Request body not received in "
		    "time\",\"error_type\":\"RequestTimeout\"}" },
		{ "no room", "/v2/e/p/models", STORE_OK, APP_BODY_BUSY, 503, 1,
		    "e", B_UNAVAILABLE },
		{ "out of memory", "/v2/e/p/models", STORE_OK, APP_BODY_NOMEM,
		    500, 1, "e", B_INTERNAL },
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct reader rd = { 0, cases[i].answer,
		    "{\"name\":\"M\",\"source_code\":\"\"}" };
		struct request req = { .method = "POST",
		    .request_uri = cases[i].uri, .authorization = BEARER,
		    .content_length = (long long)strlen(rd.text),
		    .read_body = reader_read, .body_ctx = &rd };
		struct fake_store f = { .key_st = cases[i].key_st };
		struct response r;

		handle(NULL, &req, &f, &r);
		T_INT(cases[i].label, cases[i].status, r.status);
		T_INT(cases[i].label, cases[i].reads, rd.calls);
		T_INT(cases[i].label, 1, f.auths);
		T_INT(cases[i].label, 0, f.checks);
		T_INT(cases[i].label, cases[i].entity != NULL, f.auth_write);
		T_STR(cases[i].label, cases[i].entity, f.auth_entity);
		if (cases[i].body != NULL)
			T_MEM(cases[i].label, cases[i].body,
			    strlen(cases[i].body), r.body, r.body_len);
		done(&f, &r);
	}
}

/* An absolute-form request-target is routed by its path. */
static void
test_absolute_form(void)
{
	static const struct {
		const char	*uri;
		int		 status;
	} cases[] = {
		{ "http://host/health", 200 },
		{ "HTTP://host:8080/health?x=1", 200 },
		{ "https://a.b/v2/e/p/models/m/versions/v1", 404 },
		{ "http://host", 404 },
		{ "http://host?x", 404 },
		{ "http:/health", 404 },
		{ "1http://host/health", 404 },
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct request req = { .method = "GET",
		    .request_uri = cases[i].uri, .authorization = BEARER };
		struct fake_store f = { 0 };
		struct response r;

		handle(NULL, &req, &f, &r);
		T_INT(cases[i].uri, cases[i].status, r.status);
		T_INT(cases[i].uri, cases[i].status == 200, f.healths);
		done(&f, &r);
	}
}

void
test_app(void)
{
	for (size_t i = 0; i < T_LEN(cases); i++)
		run(&cases[i]);
	test_request_id();
	test_delete_args();
	test_delete_refs();
	test_head();
	test_body_on_demand();
	test_absolute_form();
}
