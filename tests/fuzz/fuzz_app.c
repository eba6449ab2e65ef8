/*
 * The whole request-to-response function, lib/app.h app_handle, with the
 * database replaced by a fake struct store_ops that records every call and
 * answers with canned results picked by the fuzz input, and a fake sink that
 * records what a list streams (and fails on demand). Each answer is compared
 * with what the API reference (README, lib/openapi.json) says it must be (an oracle built from the references
 * in ref.h), then the header block (resp_headers) and the access log line
 * (log_access) are checked for injection and shape.
 *
 * The oracle parses a create's body with the real jparse (CPython's
 * json.loads, unit-tested on its own) and derives the object id with the
 * real objname_to_id (fuzz_objname checks it); every rule on top of those is
 * written again here: the media type, the field rules and their 422
 * entries, the stored value, the source digest, paging, the read and list
 * renderings and the times.
 *
 * Input layout (short inputs are zero-padded):
 *   byte 0  method: DELETE GET HEAD POST PUT delete "" NULL, or field 5
 *   byte 1  flags: 0x01 CGI mode (SCRIPT_NAME = field 0, PATH_INFO = field 1,
 *           QUERY_STRING = field 2, no REQUEST_URI), 0x02 no Authorization,
 *           0x04 no X-Request-Id, 0x08 no QUERY_STRING, 0x10 Authorization =
 *           "Bearer <a well-shaped key>", 0x20 no PATH_INFO, 0x40
 *           Authorization = "Basic base64(api:<key>)", 0x80 REQUEST_URI =
 *           "/v2/" + field 0 (route shape 0 only)
 *   byte 2  check_key answer, byte 3 the answer of delete/create/read/list,
 *           byte 4 health answer (enum store_status, modulo 7)
 *   byte 5  MODELS_API_PREFIX: "", "/api", "/a/b", "/v2" (low 2 bits);
 *           REMOTE_ADDR (bits 2-3): NULL, 127.0.0.1, 203.0.113.9, ::1;
 *           MODELS_API_METRICS (bits 4-7, modulo 3): local, off, all
 *   byte 6  the 404 message delete_model returns: none, Weave's, one full of
 *           JSON escapes, field 6 (when it is UTF-8)
 *   byte 7  num_deleted, and the version index create/read/list give
 *           (255: LLONG_MAX)
 *   byte 8  route shape (REQUEST_URI, prefix included, "?" + field 2 when
 *           that is not empty): 0 field 0 as is, 1 /v2/demo/models/models,
 *           2 .../models/<field 0>/versions/<field 7>, 3 .../models/<field
 *           0>, 4 /v2/<field 0>/models
 *   byte 9  Content-Type: NULL, "", application/json, Application/JSON;
 *           charset=utf-8, application/vnd.api+json, text/plain,
 *           application/json/x, field 8
 *   byte 10 body: low 2 bits 0 field 9, 1 built {"name":"<field 10>",
 *           "source_code":"<field 11>"...}, 2 empty, 3 UTF-8 BOM + field 9;
 *           0x04 body_too_large; 0x08 every 0x01 byte becomes NUL; 0x30
 *           description when built: absent, null, "<field 11>", 5; 0x40
 *           attributes when built: field 12 as JSON text. For a DELETE,
 *           built is a list instead: 0x30 picks ["<field 10>"],
 *           ["<field 10>","<field 11>"], [<field 12>] or null
 *   byte 11 stored value of the versions read/list hand back: field 13 or
 *           one of six canned values (rows rotate through them)
 *   byte 12 that version: 0x01 deleted, 0x02 no source file, 0x04 source
 *           text missing, 0x08 every 0x01 byte of field 14 becomes NUL
 *   byte 13 list: low 3 bits rows; 0x38 (n) the store fails after n-1 rows
 *           (0: never); 0x40 that failure is UNAVAILABLE, not ERROR
 *   byte 14 sink: low 7 bits, the write call that fails (0: none); 0x80
 *           flush fails
 *   byte 15 timestamps (created_at, deleted_at)
 *   then NUL-separated fields: 0 REQUEST_URI (or SCRIPT_NAME), 1 PATH_INFO,
 *   2 QUERY_STRING, 3 Authorization, 4 X-Request-Id, 5 method, 6 message,
 *   7 digest, 8 Content-Type, 9 body, 10 name, 11 source_code, 12
 *   attributes, 13 stored value, 14 stored source text.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <json-c/linkhash.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "app.h"
#include "auth.h"
#include "canon.h"
#include "openapi.h"
#include "jparse.h"
#include "log.h"
#include "objname.h"
#include "pct.h"
#include "metrics.h"
#include "ref.h"
#include "fake_store.h"

/* log_access's line (and log_error's) are caught on a pipe for fd 2. */
static int log_pipe[2] = { -1, -1 }, saved_stderr = -1, keep_stderr;

/* ref.h's CHECK, but with fd 2 given back first: it may fire mid-request. */
#undef CHECK
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		if (saved_stderr >= 0)					\
			dup2(saved_stderr, 2);				\
		fprintf(stderr, "\ninvariant violated: %s\n  at %s:%d\n",\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

#define KEY "0123456789abcdef0123456789abcdef01234567"
#define BASIC_KEY "YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
#define NCTL 16
#define MAX_ROWS 8

enum field { F_URI, F_PATH_INFO, F_QUERY, F_AUTH, F_REQID, F_METHOD,
	F_MESSAGE, F_DIGEST, F_CTYPE, F_BODY, F_NAME, F_SOURCE, F_ATTRS, F_VAL,
	F_STORED_SOURCE, NFIELDS };

#define B_NOT_FOUND "{\"detail\":\"Not Found\"}"
#define B_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define B_NOT_AUTH "{\"detail\":\"Not authenticated\"}"
#define B_BAD_KEY "{\"detail\":\"Invalid authentication credentials\"}"
#define B_FORBIDDEN "{\"reason\":\"Forbidden\",\"error_type\":\"Forbidden\"}"
#define B_TOO_LARGE "{\"reason\":\"Request too large\"," \
	"\"error_type\":\"RequestTooLarge\"}"
#define B_UNAVAILABLE "{\"reason\":\"Service temporarily unavailable\"," \
	"\"error_type\":\"ServiceUnavailable\"}"
#define B_INTERNAL "{\"reason\":\"Internal server error\"}"
#define B_HEALTH_OK "{\"status\":\"ok\"}"
#define B_HEALTH_DOWN "{\"status\":\"unavailable\"}"

#define NASTY_MESSAGE "quote \" backslash \\ slash / tab \t newline \n " \
	"ctrl \x01\x1f del \x7f e\xcc\x81 \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"

/* Stored values a version may carry (byte 11; 0 is field 13). */
static const char *const canned_vals[] = {
	NULL,
	"{\"_type\":\"Model\",\"_class_name\":\"Model\",\"_bases\":[\"Object\","
	"\"BaseModel\"],\"name\":\"My Model\",\"description\":null,\"files\":"
	"{\"obj.py\":\"0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4\"},"
	"\"temperature\":0.7,\"big\":123456789012345678901234567890,\"e\":1E2,"
	"\"s\":\"\\u0000\\n\\u2028\xc3\xa9\\ud83d\\ude00\"}",
	"{}",
	"[1,2]",
	"null",
	"{\"name\":5,\"description\":[\"x\"],\"files\":{},\"a\":1.50,\"b\":-0,"
	"\"c\":1e-400}",
	"{\"name\":\"n\",\"description\":\"d\",\"x\":{\"y\":[true,false,null]},"
	"\"name\":\"dup\",\"_type\":\"T\"}",
};
#define NVALS (sizeof(canned_vals) / sizeof(canned_vals[0]))

/* Times a version may carry: Python's datetime range, edges included. */
static const long long canned_times[] = {
	0, 1, 1500000, 1796042096789012LL, 1796042096000000LL, -1,
	-62135596800000000LL, 253402300799999999LL,
};

/* What the fuzz input decided, decoded once. */
struct input {
	uint8_t		 c[NCTL];
	char		*field[NFIELDS];
	size_t		 flen[NFIELDS];
	char		*source;	/* field 14, NULs placed */
	size_t		 source_len;
	char		*body;
	size_t		 body_len;
	int		 msg_choice;	/* byte 6 (3 only for a UTF-8 field) */
};

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	CHECK(d != NULL);
	return d;
}

static char *
xmemdup(const char *s, size_t len)
{
	return ref_strndup((const uint8_t *)(s ? s : ""), s ? len : 0);
}

static long long
pick_time(const struct input *in, unsigned int salt)
{
	unsigned int x = in->c[15] >> (salt % 2 ? 4 : 0);

	if ((x & 8) == 0)
		return canned_times[(x + salt) % 8];
	/* Anywhere in years 1-9999, every digit of the fraction in play. */
	unsigned long long h = (unsigned long long)(in->c[15] + 1) *
	    0x9E3779B97F4A7C15ULL * (salt + 3);
	return canned_times[6] + (long long)(h % 315537897600000000ULL);
}

/*
 * The version the fake store hands back: for a read (row -1) the request's
 * object id, for a list row i one of its own. Borrowed pointers.
 */
static void
make_version(const struct input *in, int row, const char *oid,
    char digest[44], struct store_version *v)
{
	static const char *const oids[] = { "my-model", "\xc3\xa9t\xc3\xa9_1",
	    "m.x-y" };
	unsigned int i = row < 0 ? 0 : (unsigned int)row;
	unsigned int vc = (in->c[11] + i) % NVALS;

	memset(v, 0, sizeof(*v));
	memcpy(digest, "l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQ", 42);
	digest[42] = (char)('a' + i % 26);
	digest[43] = '\0';
	v->object_id = row < 0 ? oid : oids[i % 3];
	v->digest = digest;
	v->version_index = in->c[7] == 255 ? LLONG_MAX - i : in->c[7] + i;
	v->created_us = pick_time(in, 2 * i);
	v->deleted = row < 0 && (in->c[12] & 0x01);
	v->deleted_us = pick_time(in, 2 * i + 1);
	v->val = vc == 0 ? in->field[F_VAL] : canned_vals[vc];
	v->val_len = strlen(v->val);
	v->has_source = !(in->c[12] & 0x02) || (row >= 0 && (i & 1));
	if (v->has_source && !(in->c[12] & 0x04)) {
		v->source = in->source;
		v->source_len = in->source_len;
	}
}

/* The fake store's rows: make_version with the input as its arg. */
static void
fake_row(void *arg, int i, const char *object_id, char digest[44],
    struct store_version *v)
{
	make_version(arg, i, object_id, digest, v);
}

/* The 404 message delete_model returns, as byte 6 picks it. */
static char *
fake_message(void *arg, const struct store_delete *d)
{
	const struct input *in = arg;
	char *msg = NULL;

	switch (in->msg_choice) {
	case 1:
		CHECK(asprintf(&msg, "Object %s (None) not found when "
		    "deleting.", d->object_id) > 0);
		break;
	case 2:
		msg = xstrdup(NASTY_MESSAGE);
		break;
	case 3:
		msg = xstrdup(in->field[F_MESSAGE]);
		break;
	}
	return msg;
}

/* The fake sink: keeps what was streamed, fails on demand. */
struct sink_rec {
	char	*buf;
	size_t	 len, cap;
	int	 writes, flushes, fail_at, flush_fails, failed, after_failure;
	size_t	 flushed_at;
};

static int
sink_write(void *ctx, const char *buf, size_t len)
{
	struct sink_rec *s = ctx;

	if (s->failed)
		s->after_failure++;
	if (++s->writes == s->fail_at) {
		s->failed = 1;
		return -1;
	}
	if (s->len + len + 1 > s->cap) {
		s->cap = 2 * (s->len + len + 1);
		CHECK((s->buf = realloc(s->buf, s->cap)) != NULL);
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

static int
sink_flush(void *ctx)
{
	struct sink_rec *s = ctx;

	if (s->failed)
		s->after_failure++;
	if (s->flushes++ == 0)
		s->flushed_at = s->len;
	if (s->flush_fails) {
		s->failed = 1;
		return -1;
	}
	return 0;
}

/* ---- JSON helpers ---- */

static struct json_object *
jstr(const char *s, size_t len)
{
	struct json_object *o = json_object_new_string_len(s, (int)len);

	CHECK(o != NULL);
	return o;
}

/* Adds v under k; v NULL is the JSON null. */
static void
jput(struct json_object *o, const char *k, struct json_object *v)
{
	CHECK(json_object_object_add(o, k, v) == 0);
}

static void
jadd(struct json_object *o, const char *k, struct json_object *v)
{
	CHECK(v != NULL);
	jput(o, k, v);
}

static void
jappend(struct json_object *a, struct json_object *v)
{
	CHECK(v != NULL && json_object_array_add(a, v) == 0);
}

static struct json_object *
jobj(void)
{
	struct json_object *o = json_object_new_object();

	CHECK(o != NULL);
	return o;
}

/* Deep equality, object keys in order, numbers by value (as re-read). */
static int
jeq(struct json_object *a, struct json_object *b)
{
	enum json_type t = json_object_get_type(a);

	if (t != json_object_get_type(b))
		return 0;
	switch (t) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_int:
		return json_object_get_int64(a) == json_object_get_int64(b);
	case json_type_double:
		return json_object_get_double(a) == json_object_get_double(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		if (json_object_array_length(a) != json_object_array_length(b))
			return 0;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!jeq(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object: {
		struct lh_entry *x = json_object_get_object(a)->head;
		struct lh_entry *y = json_object_get_object(b)->head;

		for (; x != NULL && y != NULL; x = lh_entry_next(x),
		    y = lh_entry_next(y))
			if (strcmp(lh_entry_k(x), lh_entry_k(y)) != 0 ||
			    !jeq((struct json_object *)lh_entry_v(x),
			    (struct json_object *)lh_entry_v(y)))
				return 0;
		return x == NULL && y == NULL;
	}
	}
	return 0;
}

/* JSON text with no whitespace outside its strings. */
static int
compact(const char *s, size_t len)
{
	int in = 0;

	for (size_t i = 0; i < len; i++) {
		if (in && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in = !in;
		else if (!in && strchr(" \t\r\n", s[i]) != NULL && s[i])
			return 0;
	}
	return !in;
}

/*
 * Parses text that lib/ rendered: valid UTF-8, one JSON value (jparse),
 * compact. Returns the value (NULL for null).
 */
static struct json_object *
parse_rendered(const char *s, size_t len)
{
	struct json_object *o = NULL;
	struct jparse_error err;

	CHECK(ref_utf8_count(s, len) >= 0);
	CHECK(jparse(s, len, &o, &err) == JPARSE_OK);
	CHECK(compact(s, len));
	return o;
}

/* Weave's digest of bytes (section 9.4), written from SHA-256 and base64. */
static void
ref_digest(const char *s, size_t len, char out[44])
{
	unsigned char md[SHA256_DIGEST_LENGTH], b64[48];

	SHA256((const unsigned char *)s, len, md);
	CHECK(EVP_EncodeBlock(b64, md, sizeof(md)) == 44 && b64[43] == '=');
	for (int i = 0; i < 43; i++)
		out[i] = b64[i] == '+' ? 'X' : b64[i] == '/' ? 'Y' :
		    (char)b64[i];
	out[43] = '\0';
}

/* ---- what the contract says the answer must be ---- */

struct expect {
	int		 status;
	const char	*body;		/* exact, or NULL when built */
	struct json_object *json;	/* body to compare, keys in order */
	int		 json_invalid;	/* a 422 whose one entry is that */
	const char	*allow;
	int		 www, retry;
	char		*location;
	int		 checks, deletes, creates, reads, lists, healths;
	int		 auths, auth_entity_null;
	int		 metrics;	/* a /metrics page: text, not JSON */
	long long	 num_deleted, key_id;
	unsigned char	 hash[AUTH_HASH_LEN];
	/* a list */
	int		 streamed, aborted, lines, header_out;
	long long	 limit, offset;
	/* a create: the body's values; a delete: its list, when sent */
	struct json_object *parsed;
	char		*object_id;
};

/* pydantic's "input": the decoded text, or the raw text when not UTF-8. */
static struct json_object *
input_of(const char *raw, size_t raw_len, const char *val, size_t len)
{
	struct json_object *o;
	char *esc;

	if (ref_utf8_count(val, len) >= 0)
		return jstr(val, len);
	esc = ref_escape(raw, raw_len);
	o = jstr(esc, strlen(esc));
	free(esc);
	return o;
}

/* [a, b] or [a, b, index] (index >= 0) or [a, b, key] (key set). */
static struct json_object *
loc_of(const char *where, const char *name, long index, const char *key)
{
	struct json_object *a = json_object_new_array();

	CHECK(a != NULL);
	jappend(a, json_object_new_string(where));
	if (name != NULL)
		jappend(a, json_object_new_string(name));
	if (index >= 0)
		jappend(a, json_object_new_int64(index));
	if (key != NULL)
		jappend(a, json_object_new_string(key));
	return a;
}

/* One entry; input NULL is JSON null; ctx may be NULL (none). */
static void
add_entry(struct json_object *errors, const char *type,
    struct json_object *loc, const char *msg, struct json_object *input,
    struct json_object *ctx)
{
	struct json_object *e = jobj();

	jadd(e, "type", json_object_new_string(type));
	jadd(e, "loc", loc);
	jadd(e, "msg", json_object_new_string(msg));
	jput(e, "input", input);
	if (ctx != NULL)
		jadd(e, "ctx", ctx);
	jappend(errors, e);
}

static void
add_error(struct json_object *errors, enum ref_rule rule,
    struct json_object *loc, struct json_object *input, const char *pattern)
{
	struct json_object *ctx;
	char msg[256];

	switch (rule) {
	case REF_UNICODE:
		add_entry(errors, "string_unicode", loc, "Input should be a "
		    "valid string, unable to parse raw data as a unicode string",
		    input, NULL);
		break;
	case REF_TOO_LONG:
		ctx = jobj();
		jadd(ctx, "max_length", json_object_new_int(128));
		add_entry(errors, "string_too_long", loc, "String should have "
		    "at most 128 characters", input, ctx);
		break;
	default:
		snprintf(msg, sizeof(msg), "String should match pattern '%s'",
		    pattern);
		ctx = jobj();
		jadd(ctx, "pattern", json_object_new_string(pattern));
		add_entry(errors, "string_pattern_mismatch", loc, msg, input,
		    ctx);
		break;
	}
}

/* The path parameters' entries (section 3), in path order. */
static void
path_errors(const struct ref_route *rt, struct json_object *errors)
{
	static const char *names[] = { NULL, "entity", "project", NULL,
	    "object_id", NULL, "digest" };

	for (size_t s = 1; s < rt->nseg; s++) {
		enum ref_rule rule;
		const char *pattern;

		if (names[s] == NULL)
			continue;
		if (s < 3) {
			rule = ref_valid_name(rt->val[s], rt->len[s]);
			pattern = REF_NAME_PATTERN;
		} else if (s == 4) {
			rule = ref_valid_object_id(rt->val[s], rt->len[s]);
			pattern = REF_OID_PATTERN;
		} else {
			rule = ref_valid_digest(rt->val[s], rt->len[s]);
			pattern = REF_DIGEST_PATTERN;
		}
		if (rule != REF_OK)
			add_error(errors, rule, loc_of("path", names[s], -1,
			    NULL), input_of(rt->raw[s], rt->raw_len[s],
			    rt->val[s], rt->len[s]), pattern);
	}
}

/* The digests entries of a delete. */
static void
digests_errors(const struct ref_query *q, struct json_object *errors)
{
	if (q->n > 100) {
		struct json_object *list = json_object_new_array(), *ctx;
		char msg[128];

		CHECK(list != NULL);
		snprintf(msg, sizeof(msg), "List should have at most 100 items "
		    "after validation, not %zu", q->n);
		for (size_t i = 0; i < q->n; i++)
			jappend(list, input_of(q->items[i].raw,
			    q->items[i].raw_len, q->items[i].val,
			    q->items[i].len));
		ctx = jobj();
		jadd(ctx, "field_type", json_object_new_string("List"));
		jadd(ctx, "max_length", json_object_new_int(100));
		jadd(ctx, "actual_length", json_object_new_int64((int64_t)q->n));
		add_entry(errors, "too_long", loc_of("query", "digests", -1,
		    NULL), msg, list, ctx);
		return;
	}
	for (size_t i = 0; i < q->n; i++) {
		enum ref_rule rule = ref_valid_digest(q->items[i].val,
		    q->items[i].len);
		if (rule != REF_OK)
			add_error(errors, rule, loc_of("query", "digests",
			    (long)i, NULL), input_of(q->items[i].raw,
			    q->items[i].raw_len, q->items[i].val,
			    q->items[i].len), REF_DIGEST_PATTERN);
	}
}

/* limit then offset (section 9.3); sets e->limit and e->offset. */
static void
paging_errors(const char *qs, size_t qlen, struct json_object *errors,
    struct expect *e)
{
	static const char *const names[] = { "limit", "offset" };

	e->limit = -1;
	e->offset = 0;
	for (int k = 0; k < 2; k++) {
		struct ref_query q;
		unsigned long long v;
		int big;

		ref_query_parse_key(qs, qlen, names[k], &q);
		if (q.n > 0) {
			struct ref_item *it = &q.items[q.n - 1];
			struct json_object *ctx;

			switch (ref_valid_count(it->val, it->len, &v, &big)) {
			case REF_COUNT_OK:
				if (k == 0)
					e->limit = big || v == LLONG_MAX ? -1 :
					    (long long)v;
				else
					e->offset = big ? LLONG_MAX :
					    (long long)v;
				break;
			case REF_COUNT_PARSING:
				add_entry(errors, "int_parsing", loc_of("query",
				    names[k], -1, NULL), "Input should be a "
				    "valid integer, unable to parse string as an "
				    "integer", input_of(it->raw, it->raw_len,
				    it->val, it->len), NULL);
				break;
			case REF_COUNT_NEGATIVE:
				ctx = jobj();
				jadd(ctx, "ge", json_object_new_int(0));
				add_entry(errors, "greater_than_equal",
				    loc_of("query", names[k], -1, NULL),
				    "Input should be greater than or equal to 0",
				    input_of(it->raw, it->raw_len, it->val,
				    it->len), ctx);
				break;
			}
		}
		ref_query_free(&q);
	}
}

/* pydantic's value_error: msg "Value error, " + what + s, ctx {"error"}. */
static void
value_error(struct json_object *errors, struct json_object *loc,
    const char *what, const char *s, size_t len, struct json_object *input)
{
	static const char head[] = "Value error, ";
	size_t hl = sizeof(head) - 1, wl = strlen(what);
	struct json_object *ctx = jobj(), *e = jobj();
	char *msg = malloc(hl + wl + len + 1);

	/* The id may hold U+0000: lengths, not C strings. */
	CHECK(msg != NULL);
	memcpy(msg, head, hl);
	memcpy(msg + hl, what, wl);
	memcpy(msg + hl + wl, s, len);
	jadd(ctx, "error", jstr(msg + hl, wl + len));
	jadd(e, "type", json_object_new_string("value_error"));
	jadd(e, "loc", loc);
	jadd(e, "msg", jstr(msg, hl + wl + len));
	jadd(e, "input", json_object_get(input));
	jadd(e, "ctx", ctx);
	jappend(errors, e);
	free(msg);
}

/* A delete's other query keys (section 10.1): one entry each. */
static void
extra_errors(const char *qs, size_t qlen, struct json_object *errors)
{
	struct ref_keys k;

	ref_query_other_keys(qs, qlen, "digests", &k);
	for (size_t i = 0; i < k.n; i++) {
		struct ref_key *key = &k.keys[i];
		struct json_object *loc = json_object_new_array();

		CHECK(loc != NULL);
		jappend(loc, json_object_new_string("query"));
		jappend(loc, input_of(key->raw_name, key->raw_name_len,
		    key->name, key->len));
		add_entry(errors, "extra_forbidden", loc, "Extra inputs are not "
		    "permitted", input_of(key->last.raw, key->last.raw_len,
		    key->last.val, key->last.len), NULL);
	}
	ref_keys_free(&k);
}

/*
 * A delete's body (section 10.1): JSON whatever the Content-Type, null or
 * empty for none. *only is set for a body that is no JSON. e->parsed keeps
 * a list that passed, the one the store must be handed.
 */
static void
delete_body_errors(const struct request *req, size_t query_n,
    struct json_object *errors, int *only, struct expect *e)
{
	struct jparse_error err;
	struct json_object *b = NULL;
	size_t n, before = json_object_array_length(errors);

	*only = 0;
	if (req->body_len == 0)
		return;
	switch (jparse(req->body, req->body_len, &b, &err)) {
	case JPARSE_INVALID:
		*only = 1;
		return;
	case JPARSE_NOMEM:
		CHECK(!"out of memory");
		return;
	case JPARSE_OK:
		break;
	}
	if (b == NULL)
		return;
	if (!json_object_is_type(b, json_type_array)) {
		add_entry(errors, "list_type", loc_of("body", NULL, -1, NULL),
		    "Input should be a valid list", b, NULL);
		return;
	}
	n = json_object_array_length(b);
	if (n > 100) {
		struct json_object *ctx = jobj();
		char msg[128];

		snprintf(msg, sizeof(msg), "List should have at most 100 items "
		    "after validation, not %zu", n);
		jadd(ctx, "field_type", json_object_new_string("List"));
		jadd(ctx, "max_length", json_object_new_int(100));
		jadd(ctx, "actual_length", json_object_new_int64((int64_t)n));
		add_entry(errors, "too_long", loc_of("body", NULL, -1, NULL),
		    msg, b, ctx);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(b, i);
		const char *str;
		size_t len;

		if (!json_object_is_type(v, json_type_string)) {
			add_entry(errors, "string_type", loc_of("body", NULL,
			    (long)i, NULL), "Input should be a valid string",
			    json_object_get(v), NULL);
			continue;
		}
		str = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (ref_valid_digest(str, len) != REF_OK)
			add_error(errors, ref_valid_digest(str, len),
			    loc_of("body", NULL, (long)i, NULL), jstr(str, len),
			    REF_DIGEST_PATTERN);
	}
	if (json_object_array_length(errors) > before) {
		json_object_put(b);
		return;
	}
	if (query_n > 0) {
		value_error(errors, loc_of("body", NULL, -1, NULL),
		    "digests given both in the query and in the body", "", 0, b);
		json_object_put(b);
		return;
	}
	e->parsed = b;
}

/*
 * The body entries of a create (section 9.1), appended to errors. *only
 * is set for a body that is not JSON (then nothing is appended: its entry
 * is checked by shape). e->parsed keeps a JSON body, e->object_id the id
 * derived from a string name.
 */
static void
body_errors(const struct request *req, struct json_object *errors,
    int *only, struct expect *e)
{
	struct jparse_error err;
	struct json_object *b, *v;
	enum jparse_status js;

	*only = 0;
	if (req->body_len == 0) {
		add_entry(errors, "missing", loc_of("body", NULL, -1, NULL),
		    "Field required", NULL, NULL);
		return;
	}
	if (!ref_media_is_json(req->content_type)) {
		size_t n;
		char *text = ref_utf8_replace(req->body, req->body_len, &n);

		add_entry(errors, "model_attributes_type", loc_of("body", NULL,
		    -1, NULL), "Input should be a valid dictionary or object "
		    "to extract fields from", jstr(text, n), NULL);
		free(text);
		return;
	}
	js = jparse(req->body, req->body_len, &b, &err);
	CHECK(js != JPARSE_NOMEM);
	if (js == JPARSE_INVALID) {
		*only = 1;
		return;
	}
	{
		/* Python reads only UTF-8 (after a BOM) as JSON. */
		size_t skip = req->body_len >= 3 &&
		    memcmp(req->body, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
		struct json_tokener *tok = json_tokener_new_ex(JPARSE_MAX_DEPTH +
		    1);
		struct json_object *o;

		CHECK(ref_utf8_count(req->body + skip, req->body_len - skip) >=
		    0);
		/* A second opinion: json-c, strict, takes it whole too. */
		CHECK(tok != NULL);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
		    JSON_TOKENER_VALIDATE_UTF8);
		/* The NUL after the body ends a top-level number or literal. */
		o = json_tokener_parse_ex(tok, req->body + skip,
		    (int)(req->body_len - skip + 1));
		CHECK(json_tokener_get_error(tok) == json_tokener_success);
		{
			size_t end = skip + json_tokener_get_parse_end(tok);
			CHECK(end >= req->body_len || strspn(req->body + end,
			    " \t\r\n") == req->body_len - end);
		}
		json_object_put(o);
		json_tokener_free(tok);
	}
	e->parsed = b;
	if (b == NULL) {
		add_entry(errors, "missing", loc_of("body", NULL, -1, NULL),
		    "Field required", NULL, NULL);
		return;
	}
	if (!json_object_is_type(b, json_type_object)) {
		add_entry(errors, "model_attributes_type", loc_of("body", NULL,
		    -1, NULL), "Input should be a valid dictionary or object "
		    "to extract fields from", json_object_get(b), NULL);
		return;
	}

	/* name: required string, then the object id it gives. */
	if (!json_object_object_get_ex(b, "name", &v))
		add_entry(errors, "missing", loc_of("body", "name", -1, NULL),
		    "Field required", json_object_get(b), NULL);
	else if (!json_object_is_type(v, json_type_string))
		add_entry(errors, "string_type", loc_of("body", "name", -1,
		    NULL), "Input should be a valid string", json_object_get(v),
		    NULL);
	else {
		size_t idlen;
		long chars;

		CHECK(objname_to_id(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), &e->object_id,
		    &idlen) == 0);
		chars = ref_utf8_count(e->object_id, idlen);
		CHECK(chars >= 0);
		if (chars > 128) {
			struct json_object *ctx = jobj();
			jadd(ctx, "max_length", json_object_new_int(128));
			add_entry(errors, "string_too_long", loc_of("body",
			    "name", -1, NULL), "String should have at most 128 "
			    "characters", json_object_get(v), ctx);
		} else if (ref_valid_object_id(e->object_id, idlen) != REF_OK ||
		    strcmp(e->object_id, ".") == 0 ||
		    strcmp(e->object_id, "..") == 0)
			value_error(errors, loc_of("body", "name", -1, NULL),
			    "Invalid object name: ", e->object_id, idlen, v);
	}
	if (json_object_object_get_ex(b, "description", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_string))
		add_entry(errors, "string_type", loc_of("body", "description",
		    -1, NULL), "Input should be a valid string",
		    json_object_get(v), NULL);
	if (!json_object_object_get_ex(b, "source_code", &v))
		add_entry(errors, "missing", loc_of("body", "source_code", -1,
		    NULL), "Field required", json_object_get(b), NULL);
	else if (!json_object_is_type(v, json_type_string))
		add_entry(errors, "string_type", loc_of("body", "source_code",
		    -1, NULL), "Input should be a valid string",
		    json_object_get(v), NULL);
	if (json_object_object_get_ex(b, "attributes", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object))
			add_entry(errors, "dict_type", loc_of("body",
			    "attributes", -1, NULL), "Input should be a valid "
			    "dictionary", json_object_get(v), NULL);
		else {
			json_object_object_foreach(v, k, a) {
				static const char *const reserved[] = { "_type",
				    "_class_name", "_bases", "name",
				    "description", "files" };
				for (size_t i = 0; i < 6; i++)
					if (strcmp(k, reserved[i]) == 0)
						value_error(errors, loc_of(
						    "body", "attributes", -1, k),
						    "Reserved attribute name: ",
						    k, strlen(k), a);
			}
		}
	}
}

/*
 * A reason names path segments, which may hold any bytes; the answer is
 * UTF-8 as Python's would be (Starlette decodes the path with "replace"),
 * and the reason's literal text is ASCII, so repairing the whole reason is
 * repairing each segment.
 */
static struct json_object *
reason_json(const char *reason, const char *type)
{
	struct json_object *o = jobj();
	size_t n;
	char *text = ref_utf8_replace(reason, strlen(reason), &n);

	jadd(o, "reason", json_object_new_string_len(text, (int)n));
	jadd(o, "error_type", json_object_new_string(type));
	free(text);
	return o;
}

/* Section 9.2's object for a version, as read and list render it. */
static struct json_object *
version_json(const struct store_version *v)
{
	static const char *const reserved[] = { "_type", "_class_name",
	    "_bases", "name", "description", "files" };
	struct json_object *o = jobj(), *val = NULL, *x, *attrs = NULL;
	struct jparse_error err;
	char when[48];

	if (jparse(v->val, v->val_len, &val, &err) != JPARSE_OK ||
	    !json_object_is_type(val, json_type_object)) {
		json_object_put(val);
		val = NULL;
	}
	jadd(o, "object_id", json_object_new_string(v->object_id));
	jadd(o, "digest", json_object_new_string(v->digest));
	jadd(o, "version_index", json_object_new_int64(v->version_index));
	ref_time(v->created_us, REF_PYDANTIC, when);
	jadd(o, "created_at", json_object_new_string(when));
	if (val && json_object_object_get_ex(val, "name", &x) &&
	    json_object_is_type(x, json_type_string))
		jadd(o, "name", json_object_get(x));
	else
		jadd(o, "name", json_object_new_string(v->object_id));
	if (val && json_object_object_get_ex(val, "description", &x) &&
	    json_object_is_type(x, json_type_string))
		jadd(o, "description", json_object_get(x));
	else
		jput(o, "description", NULL);
	jadd(o, "source_code", jstr(v->source ? v->source : "",
	    v->source ? v->source_len : 0));
	if (val != NULL) {
		json_object_object_foreach(val, k, a) {
			size_t i = 0;
			while (i < 6 && strcmp(k, reserved[i]) != 0)
				i++;
			if (i < 6)
				continue;
			if (attrs == NULL)
				attrs = jobj();
			jput(attrs, k, json_object_get(a));
		}
	}
	jput(o, "attributes", attrs);
	json_object_put(val);
	return o;
}

/* The raw path and query, as the routing rules (README, lib/openapi.json) and README describe. */
static void
ref_request_path(const struct request *req, char **path, size_t *plen,
    const char **qs, size_t *qlen)
{
	if (req->request_uri != NULL) {
		const char *q = strchr(req->request_uri, '?');
		*plen = q ? (size_t)(q - req->request_uri) :
		    strlen(req->request_uri);
		*path = ref_strndup((const uint8_t *)req->request_uri, *plen);
		*qs = q ? q + 1 : "";
	} else {
		const char *sn = req->script_name ? req->script_name : "";
		const char *pi = req->path_info ? req->path_info : "";
		char *p = malloc(3 * (strlen(sn) + strlen(pi)) + 1);
		size_t n = 0;

		CHECK(p != NULL);
		for (const char *s = sn; *s; s++)
			n += *s == '%' ? (size_t)sprintf(p + n, "%%25") :
			    (p[n] = *s, 1);
		for (const char *s = pi; *s; s++)
			n += *s == '%' ? (size_t)sprintf(p + n, "%%25") :
			    (p[n] = *s, 1);
		p[n] = '\0';
		*path = p;
		*plen = n;
		*qs = req->query_string ? req->query_string : "";
	}
	*qlen = strlen(*qs);
}

/* The answer shared by every store call (section 4 and 6). */
static int
common_answer(enum store_status s, const struct ref_route *rt,
    struct expect *e)
{
	char *reason;

	switch (s) {
	case STORE_BAD_KEY:
		e->status = 401, e->body = B_BAD_KEY, e->www = 1;
		return 1;
	case STORE_FORBIDDEN:
		e->status = 403, e->body = B_FORBIDDEN;
		return 1;
	case STORE_NO_PROJECT:
		CHECK(asprintf(&reason, "Project %s/%s not found", rt->val[1],
		    rt->val[2]) > 0);
		e->status = 404, e->json = reason_json(reason, "ProjectNotFound");
		free(reason);
		return 1;
	case STORE_UNAVAILABLE:
		e->status = 503, e->body = B_UNAVAILABLE, e->retry = 1;
		return 1;
	case STORE_ERROR:
		e->status = 500, e->body = B_INTERNAL;
		return 1;
	default:
		return 0;
	}
}

/* A list that the store agreed to: what the stream must hold. */
static void
expect_list(const struct fake_store *f, const struct sink_rec *sink,
    struct expect *e)
{
	int rows = f->fail_st != STORE_OK ? f->fail_after : f->nrows;

	e->status = 200, e->streamed = 1;
	e->header_out = sink->fail_at != 1;
	if (sink->fail_at == 1 || sink->flush_fails) {
		e->aborted = 1;
		e->lines = 0;
	} else if (sink->fail_at >= 2 && sink->fail_at - 2 < rows) {
		e->aborted = 1;
		e->lines = sink->fail_at - 2;
	} else {
		e->aborted = f->fail_st != STORE_OK;
		e->lines = rows;
	}
}

/* Everything after routing for the API routes (section 1's order). */
static void
expect_api(const struct request *req, const struct ref_route *rt,
    const char *qs, size_t qlen, struct fake_store *f, const struct sink_rec *sink,
    struct expect *e)
{
	int post = strcmp(req->method, "POST") == 0, only = 0;
	struct json_object *errors;
	struct ref_query q;
	char key[41];

	switch (ref_auth_parse(req->authorization, key)) {
	case REF_AUTH_MISSING:
		e->status = 401, e->body = B_NOT_AUTH, e->www = 1;
		return;
	case REF_AUTH_INVALID:
		e->status = 401, e->body = B_BAD_KEY, e->www = 1;
		return;
	case REF_AUTH_KEY:
		break;
	}
	SHA256((const unsigned char *)key, 40, e->hash);
	CHECK((errors = json_object_new_array()) != NULL);
	path_errors(rt, errors);
	memset(&q, 0, sizeof(q));
	if (rt->kind == REF_MODEL) {
		ref_query_parse(qs, qlen, &q);
		digests_errors(&q, errors);
	} else if (rt->kind == REF_MODELS && !post)
		paging_errors(qs, qlen, errors, e);
	/*
	 * A body (create, delete) is read only for a key allowed to write to
	 * the path's entity: 401/403 first, the body unread. With the path or
	 * digests in error already, only the key is asked about (entity NULL).
	 */
	if (((rt->kind == REF_MODELS && post) || rt->kind == REF_MODEL) &&
	    req->body_len > 0) {
		e->auths = 1;
		e->auth_entity_null = json_object_array_length(errors) > 0;
		if (f->key_st != STORE_OK) {
			e->key_id = f->key_st == STORE_FORBIDDEN ? FAKE_KEY_ID :
			    -1;
			if (!common_answer(f->key_st, rt, e))
				e->status = 500, e->body = B_INTERNAL;
			json_object_put(errors);
			if (rt->kind == REF_MODEL)
				ref_query_free(&q);
			return;
		}
	}
	if (rt->kind == REF_MODEL) {
		/* Then the other keys and the body: section 10.1. */
		extra_errors(qs, qlen, errors);
		delete_body_errors(req, q.n, errors, &only, e);
		ref_query_free(&q);
	} else if (rt->kind == REF_MODELS && post)
		body_errors(req, errors, &only, e);

	if (only || json_object_array_length(errors) > 0) {
		/*
		 * The key outranks the input: one lookup, then the 422 (none
		 * when it was checked before the body).
		 */
		e->key_id = FAKE_KEY_ID;
		if (!e->auths) {
			e->checks = 1;
			if (f->key_st != STORE_OK)
				e->key_id = -1;
			switch (f->key_st) {
			case STORE_OK:
				break;
			case STORE_BAD_KEY:
				e->status = 401, e->body = B_BAD_KEY, e->www = 1;
				json_object_put(errors);
				return;
			case STORE_UNAVAILABLE:
				e->status = 503, e->body = B_UNAVAILABLE;
				e->retry = 1;
				json_object_put(errors);
				return;
			default:
				e->status = 500, e->body = B_INTERNAL;
				json_object_put(errors);
				return;
			}
		}
		e->status = 422;
		if (only)
			e->json_invalid = 1;
		else {
			e->json = jobj();
			jadd(e->json, "detail", errors);
			errors = NULL;
		}
		json_object_put(errors);
		return;
	}
	json_object_put(errors);

	e->key_id = f->op_st == STORE_BAD_KEY ? -1 : FAKE_KEY_ID;
	switch (rt->kind) {
	case REF_MODEL:
		e->deletes = 1;
		if (common_answer(f->op_st, rt, e))
			break;
		if (f->op_st == STORE_OK) {
			e->json = jobj();
			jadd(e->json, "num_deleted",
			    json_object_new_int64(f->num_deleted));
			e->status = 200, e->num_deleted = f->num_deleted;
		} else if (f->op_st == STORE_NOT_FOUND &&
		    ((const struct input *)f->arg)->msg_choice != 0)
			e->status = 404;	/* the fake's message, below */
		else
			e->status = 500, e->body = B_INTERNAL;
		break;
	case REF_VERSION:
		e->reads = 1;
		if (common_answer(f->op_st, rt, e))
			break;
		if (f->op_st == STORE_NOT_FOUND) {
			char *reason;
			CHECK(asprintf(&reason, "Obj %s:%s not found", rt->val[4],
			    rt->val[6]) > 0);
			e->status = 404, e->json = reason_json(reason,
			    "NotFoundError");
			free(reason);
		} else if (f->op_st == STORE_OK) {
			struct store_version v;
			char digest[44], *reason, when[48];

			make_version(f->arg, -1, rt->val[4], digest, &v);
			if (v.deleted) {
				ref_time(v.deleted_us, REF_STR, when);
				CHECK(asprintf(&reason, "%s:v%lld was deleted at "
				    "%s", v.object_id, v.version_index, when) > 0);
				e->json = reason_json(reason,
				    "ObjectDeletedError");
				ref_time(v.deleted_us, REF_ISO, when);
				jadd(e->json, "deleted_at",
				    json_object_new_string(when));
				e->status = 404;
				free(reason);
			} else if (!v.has_source) {
				CHECK(asprintf(&reason, "Model %s has no source "
				    "file", v.object_id) > 0);
				e->json = reason_json(reason, "ValueError");
				e->status = 400;
				free(reason);
			} else {
				e->json = version_json(&v);
				e->status = 200;
			}
		} else
			e->status = 500, e->body = B_INTERNAL;
		break;
	default:
		if (post) {
			e->creates = 1;
			if (common_answer(f->op_st, rt, e))
				break;
			/* The body is checked against what the fake got. */
			e->status = f->op_st == STORE_OK ? 200 : 500;
			if (e->status == 500)
				e->body = B_INTERNAL;
		} else {
			e->lists = 1;
			if (common_answer(f->op_st, rt, e))
				break;
			if (f->op_st == STORE_OK)
				expect_list(f, sink, e);
			else
				e->status = 500, e->body = B_INTERNAL;
		}
		break;
	}
}

/* Whether method is one of the ", "-separated items of allow. */
static int
method_allowed(const char *allow, const char *method)
{
	char *copy = xstrdup(allow), *save, *item;
	int yes = 0;

	for (item = strtok_r(copy, ", ", &save); item != NULL;
	    item = strtok_r(NULL, ", ", &save))
		yes |= strcmp(item, method) == 0;
	free(copy);
	return yes;
}

/*
 * Who may read /metrics: everyone (all), nobody (off), or (local) the
 * loopback addresses of the fixed set the input picks from, and a client
 * with no address.
 */
static int
ref_metrics_ok(int access, const char *addr)
{
	if (access == 2)
		return 1;
	if (access == 1)
		return 0;
	return addr == NULL || strcmp(addr, "127.0.0.1") == 0 ||
	    strcmp(addr, "::1") == 0;
}

static void
expect_answer(const char *prefix, int access, const struct request *req,
    struct fake_store *f, const struct sink_rec *sink, struct expect *e)
{
	const char *method = req->method ? req->method : "", *qs, *allow;
	size_t plen, qlen, pre = strlen(prefix);
	struct ref_route rt;
	char *path;

	e->num_deleted = e->key_id = -1;
	ref_request_path(req, &path, &plen, &qs, &qlen);
	if (plen < pre || memcmp(path, prefix, pre) != 0 ||
	    (plen > pre && path[pre] != '/')) {
		e->status = 404, e->body = B_NOT_FOUND;
		free(path);
		return;
	}
	ref_route_match(path + pre, plen - pre, &rt);
	/* /metrics for a client not allowed it is no route at all. */
	if (rt.kind == REF_METRICS && !ref_metrics_ok(access, req->remote_addr))
		rt.kind = REF_NOT_FOUND;
	allow = ref_allow(rt.kind);
	if (rt.kind == REF_NOT_FOUND) {
		e->status = 404, e->body = B_NOT_FOUND;
	} else if (rt.trailing > 0) {
		char *p = ref_escape(path, plen - rt.trailing);
		char *q = ref_escape(qs, qlen);
		CHECK(asprintf(&e->location, "%s%s%s", p, qlen ? "?" : "",
		    qlen ? q : "") > 0);
		free(p);
		free(q);
		e->status = 307, e->body = "";
	} else if (!method_allowed(allow, method)) {
		e->status = 405, e->body = B_NOT_ALLOWED, e->allow = allow;
	} else if (rt.kind == REF_METRICS) {
		e->status = 200, e->metrics = 1;
	} else if (rt.kind == REF_HEALTH) {
		e->healths = 1;
		if (f->health_st == STORE_OK)
			e->status = 200, e->body = B_HEALTH_OK;
		else
			e->status = 503, e->body = B_HEALTH_DOWN;
	} else if (rt.kind == REF_OPENAPI) {
		e->status = 200, e->body = (const char *)openapi_json;
	} else if (req->body_too_large && (rt.kind == REF_MODEL ||
	    (rt.kind == REF_MODELS && strcmp(method, "POST") == 0))) {
		e->status = 413, e->body = B_TOO_LARGE;
	} else {
		expect_api(req, &rt, qs, qlen, f, sink, e);
		/* Every store call is handed the decoded, valid values. */
		if (f->deletes + f->creates + f->reads + f->lists == 1) {
			CHECK(strlen(f->entity) == rt.len[1] &&
			    memcmp(f->entity, rt.val[1], rt.len[1]) == 0);
			CHECK(strlen(f->project) == rt.len[2] &&
			    memcmp(f->project, rt.val[2], rt.len[2]) == 0);
			CHECK(ref_valid_name(f->entity, strlen(f->entity)) ==
			    REF_OK);
			CHECK(ref_valid_name(f->project, strlen(f->project)) ==
			    REF_OK);
		}
		if (f->deletes + f->reads == 1) {
			CHECK(strlen(f->object_id) == rt.len[4] &&
			    memcmp(f->object_id, rt.val[4], rt.len[4]) == 0);
			CHECK(ref_valid_object_id(f->object_id,
			    strlen(f->object_id)) == REF_OK);
		}
		if (f->reads == 1) {
			CHECK(strlen(f->ref) == rt.len[6] &&
			    memcmp(f->ref, rt.val[6], rt.len[6]) == 0);
			CHECK(ref_valid_digest(f->ref, strlen(f->ref)) == REF_OK);
		}
		if (f->lists == 1) {
#ifdef FUZZ_DEBUG
			fprintf(stderr, "limit %lld/%lld offset %lld/%lld\n",
			    f->limit, e->limit, f->offset, e->offset);
#endif
			CHECK(f->limit == e->limit && f->offset == e->offset);
		}
		if (f->deletes == 1 && e->parsed != NULL) {
			/* The body's list, even an empty one: never "all". */
			size_t n = json_object_array_length(e->parsed);

			CHECK(!f->refs_null && f->refs_from == STORE_REFS_BODY);
			CHECK(f->nrefs == n && n <= 100);
			for (size_t i = 0; i < n; i++) {
				struct json_object *v =
				    json_object_array_get_idx(e->parsed, i);
				CHECK(strlen(f->refs[i]) ==
				    (size_t)json_object_get_string_len(v));
				CHECK(strcmp(f->refs[i],
				    json_object_get_string(v)) == 0);
				CHECK(ref_valid_digest(f->refs[i],
				    strlen(f->refs[i])) == REF_OK);
			}
		} else if (f->deletes == 1) {
			struct ref_query q;
			ref_query_parse(qs, qlen, &q);
			CHECK(f->refs_null == (q.n == 0));
			CHECK(f->refs_null || f->refs_from == STORE_REFS_QUERY);
			CHECK(f->nrefs == q.n && q.n <= 100);
			for (size_t i = 0; i < q.n; i++) {
				CHECK(strlen(f->refs[i]) == q.items[i].len);
				CHECK(memcmp(f->refs[i], q.items[i].val,
				    q.items[i].len) == 0);
				CHECK(ref_valid_digest(f->refs[i],
				    strlen(f->refs[i])) == REF_OK);
			}
			ref_query_free(&q);
		}
	}
	ref_route_free(&rt);
	free(path);
}

#define VECTOR_SOURCE "import weave\n\nclass MyModel(weave.Model):\n" \
	"    temperature: float\n"
#define VECTOR_VAL "{\"_type\":\"Model\",\"_class_name\":\"Model\"," \
	"\"_bases\":[\"Object\",\"BaseModel\"],\"name\":\"My Model\"," \
	"\"description\":null,\"files\":{\"obj.py\":" \
	"\"0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4\"},\"temperature\":0.7}"
#define VECTOR_DIGEST "l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw"

/*
 * A create the store was asked for: the stored value (section 9.1's keys
 * in order), its digest, the source and its digest are what the body said.
 * Returns the 200 body a successful create must have.
 */
static struct json_object *
check_create(const struct fake_store *f, const struct expect *e)
{
	static const char *const fixed[] = { "_type", "_class_name", "_bases",
	    "name", "description", "files" };
	struct json_object *val, *want, *x, *attrs = NULL, *src, *o;
	char fd[44], digest[44], *sorted, *ref;
	size_t slen, i = 0;

	CHECK(e->parsed != NULL && e->object_id != NULL);
	CHECK(strcmp(f->object_id, e->object_id) == 0);
	CHECK(json_object_object_get_ex(e->parsed, "source_code", &src));
	CHECK(f->source_len == (size_t)json_object_get_string_len(src) &&
	    memcmp(f->source, json_object_get_string(src), f->source_len) == 0);
	ref_digest(f->source, f->source_len, fd);
	CHECK(strcmp(f->source_digest, fd) == 0);

	val = parse_rendered(f->val, strlen(f->val));
	CHECK(json_object_is_type(val, json_type_object));
	want = jobj();
	jadd(want, "_type", json_object_new_string("Model"));
	jadd(want, "_class_name", json_object_new_string("Model"));
	CHECK((x = json_object_new_array()) != NULL);
	jappend(x, json_object_new_string("Object"));
	jappend(x, json_object_new_string("BaseModel"));
	jadd(want, "_bases", x);
	CHECK(json_object_object_get_ex(e->parsed, "name", &x));
	jadd(want, "name", json_object_get(x));
	if (json_object_object_get_ex(e->parsed, "description", &x))
		jput(want, "description", json_object_get(x));
	else
		jput(want, "description", NULL);
	x = jobj();
	jadd(x, "obj.py", json_object_new_string(fd));
	jadd(want, "files", x);
	json_object_object_get_ex(e->parsed, "attributes", &attrs);
	if (attrs != NULL) {
		json_object_object_foreach(attrs, k, a)
			jput(want, k, json_object_get(a));
	}
	CHECK(jeq(val, want));
	json_object_object_foreach(val, k, a) {
		(void)a;
		CHECK(i >= 6 || strcmp(k, fixed[i]) == 0);
		i++;
	}
	json_object_put(want);

	/* The version digest is that of the value's json.dumps(sort_keys). */
	CHECK((sorted = canon_sorted(val, &slen)) != NULL);
	canon_digest(sorted, slen, digest);
	free(sorted);
	CHECK(strcmp(f->digest, digest) == 0);
	/* Section 9.4's test vector, whatever canon says. */
	if (strcmp(f->source, VECTOR_SOURCE) == 0 &&
	    strcmp(f->val, VECTOR_VAL) == 0)
		CHECK(strcmp(f->digest, VECTOR_DIGEST) == 0);
	CHECK(strlen(f->digest) == 43 && strspn(f->digest,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
	    43);
	json_object_put(val);

	o = jobj();
	jadd(o, "digest", json_object_new_string(f->digest));
	jadd(o, "object_id", json_object_new_string(f->object_id));
	jadd(o, "version_index", json_object_new_int64(f->version_index));
	CHECK(asprintf(&ref, "weave:///%s/%s/object/%s:%s", f->entity,
	    f->project, f->object_id, f->digest) > 0);
	jadd(o, "model_ref", json_object_new_string(ref));
	free(ref);
	return o;
}

/* ---- checks on the response itself ---- */

static int
request_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n >= 1 && n <= 64 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Keys of o, in order, are exactly the NULL-terminated list. */
static void
check_key_order(struct json_object *o, const char *const *keys)
{
	size_t i = 0;

	CHECK(json_object_is_type(o, json_type_object));
	json_object_object_foreach(o, k, v) {
		(void)v;
		CHECK(keys[i] != NULL && strcmp(k, keys[i]) == 0);
		i++;
	}
	CHECK(keys[i] == NULL);
}

static void
check_422_shape(struct json_object *body)
{
	static const char *const top[] = { "detail", NULL };
	static const char *const e4[] = { "type", "loc", "msg", "input", NULL };
	static const char *const e5[] = { "type", "loc", "msg", "input", "ctx",
	    NULL };
	struct json_object *detail;

	check_key_order(body, top);
	detail = json_object_object_get(body, "detail");
	CHECK(json_object_is_type(detail, json_type_array));
	CHECK(json_object_array_length(detail) > 0);
	for (size_t i = 0; i < json_object_array_length(detail); i++) {
		struct json_object *e = json_object_array_get_idx(detail, i);
		check_key_order(e, json_object_object_get(e, "ctx") ? e5 : e4);
	}
}

/* The one entry of a body that is not JSON (section 9.1). */
static void
check_json_invalid(struct json_object *body, const struct request *req)
{
	struct json_object *e, *loc, *x;
	long chars = ref_utf8_count(req->body, req->body_len);

	check_422_shape(body);
	x = json_object_object_get(body, "detail");
	CHECK(json_object_array_length(x) == 1);
	e = json_object_array_get_idx(x, 0);
	CHECK(strcmp(json_object_get_string(json_object_object_get(e, "type")),
	    "json_invalid") == 0);
	CHECK(strcmp(json_object_get_string(json_object_object_get(e, "msg")),
	    "JSON decode error") == 0);
	loc = json_object_object_get(e, "loc");
	CHECK(json_object_is_type(loc, json_type_array) &&
	    json_object_array_length(loc) == 2);
	CHECK(strcmp(json_object_get_string(json_object_array_get_idx(loc, 0)),
	    "body") == 0);
	x = json_object_array_get_idx(loc, 1);
	CHECK(json_object_is_type(x, json_type_int) &&
	    json_object_get_int64(x) >= 0);
	/* A character offset: within the text (bytes when not UTF-8). */
	CHECK(json_object_get_int64(x) <= (chars >= 0 ? chars :
	    (long)req->body_len));
	x = json_object_object_get(e, "input");
	CHECK(json_object_is_type(x, json_type_object) &&
	    json_object_object_length(x) == 0);
	x = json_object_object_get(e, "ctx");
	CHECK(json_object_is_type(x, json_type_object) &&
	    json_object_object_length(x) == 1);
	CHECK(json_object_is_type(json_object_object_get(x, "error"),
	    json_type_string));
}

static void
check_headers(const struct response *resp)
{
	size_t len, seen_len = 0;
	char *h = resp_headers(resp, &len), *line, *end;
	int n_status = 0, n_type = 0, n_len = 0, n_id = 0, n_allow = 0,
	    n_www = 0, n_retry = 0, n_loc = 0;

	CHECK(h != NULL && strlen(h) == len);
	CHECK(len >= 4 && memcmp(h + len - 4, "\r\n\r\n", 4) == 0);
	for (line = h; line < h + len - 2; line = end + 2) {
		char *colon;

		end = strstr(line, "\r\n");
		CHECK(end != NULL && end > line);
		for (char *c = line; c < end; c++)
			CHECK((unsigned char)*c >= 0x20 &&
			    (unsigned char)*c < 0x7F);
		*end = '\0';
		colon = strstr(line, ": ");
		CHECK(colon != NULL && colon > line);
		*colon = '\0';
		const char *v = colon + 2;
		if (strcmp(line, "Status") == 0) {
			char want[64];
			snprintf(want, sizeof(want), "%d %s", resp->status,
			    resp_reason(resp->status));
			CHECK(strcmp(v, want) == 0 && line == h);
			n_status++;
		} else if (strcmp(line, "Content-Type") == 0) {
			CHECK(strcmp(v, resp->content_type ? METRICS_CONTENT_TYPE :
			    "application/json") == 0);
			n_type++;
		} else if (strcmp(line, "Content-Length") == 0) {
			CHECK(sscanf(v, "%zu", &seen_len) == 1);
			n_len++;
		} else if (strcmp(line, "X-Request-Id") == 0) {
			CHECK(strcmp(v, resp->request_id) == 0);
			n_id++;
		} else if (strcmp(line, "Allow") == 0) {
			CHECK(resp->allow && strcmp(v, resp->allow) == 0);
			n_allow++;
		} else if (strcmp(line, "WWW-Authenticate") == 0) {
			CHECK(strcmp(v, "Basic") == 0);
			n_www++;
		} else if (strcmp(line, "Retry-After") == 0) {
			CHECK(strcmp(v, "1") == 0);
			n_retry++;
		} else if (strcmp(line, "Location") == 0) {
			CHECK(resp->location && strcmp(v, resp->location) == 0);
			n_loc++;
		} else
			CHECK(!"unexpected header");
	}
	CHECK(n_status == 1 && n_len == 1 && n_id == 1);
	CHECK(seen_len == resp->body_len);
	CHECK(n_type == (resp->body_len > 0));
	CHECK(n_allow == (resp->allow != NULL));
	CHECK(n_www == (resp->www_authenticate != 0));
	CHECK(n_retry == (resp->retry_after != 0));
	CHECK(n_loc == (resp->location != NULL));
	free(h);
}

/*
 * A streamed list: the header block, flushed before any row, then one
 * compact JSON line per row handed out, each section 9.2's object.
 */
static void
check_stream(const struct input *in, const struct response *resp,
    const struct sink_rec *s, const struct expect *e)
{
	static const char *const keys[] = { "object_id", "digest",
	    "version_index", "created_at", "name", "description", "source_code",
	    "attributes", NULL };
	char head[256];
	size_t hlen, pos;
	int lines = 0;

	CHECK(resp->streamed && resp->jsonl && resp->status == 200);
	CHECK(!!resp->aborted == e->aborted);
	CHECK(s->after_failure == 0);
	hlen = (size_t)snprintf(head, sizeof(head), "Status: 200 OK\r\n"
	    "Content-Type: application/jsonl\r\nX-Request-Id: %s\r\n\r\n",
	    resp->request_id);
	if (!e->header_out) {
		CHECK(s->len == 0 && s->flushes == 0);
		return;
	}
	/* Exactly this block: so no Content-Length. */
	CHECK(s->len >= hlen && memcmp(s->buf, head, hlen) == 0);
	CHECK(s->flushes == 1 && s->flushed_at == hlen);
	for (pos = hlen; pos < s->len; lines++) {
		const char *nl = memchr(s->buf + pos, '\n', s->len - pos);
		struct json_object *got, *want;
		struct store_version v;
		char digest[44];

		CHECK(nl != NULL);
		got = parse_rendered(s->buf + pos, (size_t)(nl - (s->buf + pos)));
		check_key_order(got, keys);
		make_version(in, lines, NULL, digest, &v);
		want = version_json(&v);
		CHECK(jeq(got, want));
		json_object_put(got);
		json_object_put(want);
		pos = (size_t)(nl - s->buf) + 1;
	}
	CHECK(lines == e->lines);
}

/* Everything written to the pipe so far, NUL-terminated, in buf. */
static size_t
drain(char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap &&
	    (n = read(log_pipe[0], buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static void
check_log(const struct request *req, const struct response *resp)
{
	char buf[16384], *fields[16], *save, *tok;
	size_t nf = 0, len;

	fflush(stderr);
	CHECK(dup2(log_pipe[1], 2) == 2);
	log_access(req, resp, 123);
	CHECK(dup2(saved_stderr, 2) == 2);
	len = drain(buf, sizeof(buf));
	CHECK(len > 0);
	/* One write, one line. */
	CHECK(buf[len - 1] == '\n' && memchr(buf, '\n', len - 1) == NULL);
	buf[len - 1] = '\0';
	for (size_t i = 0; i + 1 < len; i++)
		CHECK((unsigned char)buf[i] >= 0x20 &&
		    (unsigned char)buf[i] < 0x7F);
	for (tok = strtok_r(buf, " ", &save); tok && nf < 16;
	    tok = strtok_r(NULL, " ", &save))
		fields[nf++] = tok;
	CHECK(nf == 8);
	CHECK(strlen(fields[0]) == 27 && fields[0][26] == 'Z');
	CHECK(strcmp(fields[1], resp->request_id) == 0);
	if (req->method == NULL || req->method[0] == '\0')
		CHECK(strcmp(fields[2], "-") == 0);
	if (req->request_uri != NULL) {
		size_t plen = strcspn(req->request_uri, "?");
		char *want = ref_escape(req->request_uri,
		    plen > 2048 ? 2048 : plen);
		CHECK(strcmp(fields[3], plen ? want : "-") == 0);
		free(want);
	} else {
		/* SCRIPT_NAME + PATH_INFO, whole: a '?' there is path. */
		char joined[2049];
		size_t jlen;
		char *want;

		snprintf(joined, sizeof(joined), "%s%s",
		    req->script_name ? req->script_name : "",
		    req->path_info ? req->path_info : "");
		jlen = strlen(joined);
		want = ref_escape(joined, jlen);
		CHECK(strcmp(fields[3], jlen ? want : "-") == 0);
		free(want);
	}
	CHECK(atoi(fields[4]) == resp->status);
	if (resp->num_deleted < 0)
		CHECK(strcmp(fields[5], "-") == 0);
	else
		CHECK(strtoll(fields[5], NULL, 10) == resp->num_deleted);
	CHECK(strcmp(fields[6], "123") == 0);
	if (resp->key_id < 0)
		CHECK(strcmp(fields[7], "-") == 0);
	else
		CHECK(strtoll(fields[7], NULL, 10) == resp->key_id);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	CHECK(pipe(log_pipe) == 0);
	CHECK(fcntl(log_pipe[0], F_SETFL, O_NONBLOCK) == 0);
	CHECK((saved_stderr = dup(2)) >= 0);
	/* To see a sanitizer report from inside app_handle when replaying. */
	keep_stderr = getenv("FUZZ_APP_STDERR") != NULL;
	return 0;
}

/* A create's body built from fields 10-12 (see byte 10 of the layout). */
static char *
built_model(const struct input *in, uint8_t ctl)
{
	static const char *const desc[] = { "", ",\"description\":null",
	    ",\"description\":\"%s\"", ",\"description\":5" };
	char *d, *a = NULL, *body;

	CHECK(asprintf(&d, desc[(ctl >> 4) & 3], in->field[F_SOURCE]) >= 0);
	if ((ctl & 0x40) && in->flen[F_ATTRS] > 0)
		CHECK(asprintf(&a, ",\"attributes\":%s", in->field[F_ATTRS]) >=
		    0);
	CHECK(asprintf(&body, "{\"name\":\"%s\",\"source_code\":\"%s\"%s%s}",
	    in->field[F_NAME], in->field[F_SOURCE], d, a ? a : "") >= 0);
	free(d);
	free(a);
	return body;
}

/* A delete's body: a list of references from fields 10-12, or null. */
static char *
built_list(const struct input *in, uint8_t ctl)
{
	char *body;

	switch ((ctl >> 4) & 3) {
	case 0:
		CHECK(asprintf(&body, "[\"%s\"]", in->field[F_NAME]) >= 0);
		break;
	case 1:
		CHECK(asprintf(&body, "[\"%s\",\"%s\"]", in->field[F_NAME],
		    in->field[F_SOURCE]) >= 0);
		break;
	case 2:
		CHECK(asprintf(&body, "[%s]", in->field[F_ATTRS]) >= 0);
		break;
	default:
		body = xstrdup("null");
		break;
	}
	return body;
}

/* Decodes the fuzz input into in and req (see the layout above). */
static void
read_input(const uint8_t *data, size_t size, const char *prefix,
    struct input *in, struct request *req, char **uri, char **rest)
{
	static const char *const methods[] = { "DELETE", "GET", "HEAD", "POST",
	    "PUT", "delete", "", NULL };
	static const char *const types[] = { NULL, "", "application/json",
	    "Application/JSON; charset=utf-8", "application/vnd.api+json",
	    "text/plain", "application/json/x" };
	size_t nctl = size < NCTL ? size : NCTL;
	const uint8_t *c = in->c;
	char *p, *end;

	memcpy(in->c, data, nctl);
	*rest = ref_strndup(data + nctl, size - nctl);
	/* Fields: NUL-separated; missing ones are "". */
	p = *rest;
	end = *rest + (size - nctl);
	for (int i = 0; i < NFIELDS; i++) {
		in->field[i] = p;
		in->flen[i] = strlen(p);
		if (p < end)
			p += strlen(p) + 1;
		if (p > end)
			p = end;
	}

	in->source = xmemdup(in->field[F_STORED_SOURCE],
	    in->flen[F_STORED_SOURCE]);
	in->source_len = in->flen[F_STORED_SOURCE];
	if (c[12] & 0x08)
		for (size_t i = 0; i < in->source_len; i++)
			if (in->source[i] == '\x01')
				in->source[i] = '\0';
	/* The database keeps source as text: UTF-8. */
	if (ref_utf8_count(in->source, in->source_len) < 0) {
		char *fixed = ref_utf8_replace(in->source, in->source_len,
		    &in->source_len);
		free(in->source);
		in->source = fixed;
	}

	switch (c[10] & 3) {
	case 0:
		CHECK(asprintf(&in->body, "%s", in->field[F_BODY]) >= 0);
		break;
	case 1:
		in->body = c[0] % 9 == 0 ? built_list(in, c[10]) :
		    built_model(in, c[10]);
		break;
	case 2:
		in->body = xstrdup("");
		break;
	default:
		CHECK(asprintf(&in->body, "\xef\xbb\xbf%s", in->field[F_BODY]) >=
		    0);
		break;
	}
	in->body_len = strlen(in->body);
	if (c[10] & 0x08)
		for (size_t i = 0; i < in->body_len; i++)
			if (in->body[i] == '\x01')
				in->body[i] = '\0';

	req->method = c[0] % 9 == 8 ? in->field[F_METHOD] : methods[c[0] % 9];
	if (c[1] & 0x01) {
		req->script_name = in->field[F_URI];
		req->path_info = (c[1] & 0x20) ? NULL : in->field[F_PATH_INFO];
		req->query_string = (c[1] & 0x08) ? NULL : in->field[F_QUERY];
	} else {
		const char *q = in->field[F_QUERY], *sep = q[0] ? "?" : "";

		switch (c[8] % 5) {
		case 0:
			if (c[1] & 0x80)
				CHECK(asprintf(uri, "/v2/%s",
				    in->field[F_URI]) > 0);
			break;
		case 1:
			CHECK(asprintf(uri, "%s/v2/demo/models/models%s%s",
			    prefix, sep, q) > 0);
			break;
		case 2:
			CHECK(asprintf(uri, "%s/v2/demo/models/models/%s/"
			    "versions/%s%s%s", prefix, in->field[F_URI],
			    in->field[F_DIGEST], sep, q) > 0);
			break;
		case 3:
			CHECK(asprintf(uri, "%s/v2/demo/models/models/%s%s%s",
			    prefix, in->field[F_URI], sep, q) > 0);
			break;
		default:
			CHECK(asprintf(uri, "%s/v2/%s/models%s%s", prefix,
			    in->field[F_URI], sep, q) > 0);
			break;
		}
		req->request_uri = *uri ? *uri : in->field[F_URI];
	}
	req->authorization = (c[1] & 0x10) ? "Bearer " KEY :
	    (c[1] & 0x40) ? "Basic " BASIC_KEY :
	    (c[1] & 0x02) ? NULL : in->field[F_AUTH];
	req->request_id = (c[1] & 0x04) ? NULL : in->field[F_REQID];
	{
		static const char *const addrs[] = { NULL, "127.0.0.1",
		    "203.0.113.9", "::1" };
		req->remote_addr = addrs[(c[5] >> 2) & 3];
	}
	req->content_type = c[9] % 8 == 7 ? in->field[F_CTYPE] :
	    types[c[9] % 8];
	req->body = in->body;
	req->body_len = in->body_len;
	req->body_too_large = !!(c[10] & 0x04);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = { "", "/api", "/a/b", "/v2" };
	struct input in;
	struct fake_store f;
	struct sink_rec sink;
	struct request req;
	struct response resp;
	struct expect e;
	struct app_config cfg;
	struct store st = { .ops = &fake_store_ops, .ctx = &f };
	struct app_sink as = { sink_write, sink_flush, &sink };
	struct json_object *got = NULL, *want = NULL;
	char *uri = NULL, *rest, errlog[8192];
	const uint8_t *c;

	memset(&in, 0, sizeof(in));
	memset(&req, 0, sizeof(req));
	memset(&e, 0, sizeof(e));
	memset(&f, 0, sizeof(f));
	memset(&sink, 0, sizeof(sink));
	cfg.prefix = prefixes[(size > 5 ? data[5] : 0) % 4];
	cfg.metrics = (size > 5 ? data[5] >> 4 : 0) % 3;
	read_input(data, size, cfg.prefix, &in, &req, &uri, &rest);
	c = in.c;

	f.arg = &in;
	f.make_row = fake_row;
	f.make_message = fake_message;
	f.key_st = (enum store_status)(c[2] % 7);
	f.op_st = (enum store_status)(c[3] % 7);
	f.health_st = (enum store_status)(c[4] % 7);
	in.msg_choice = c[6] % 4;
	if (in.msg_choice == 3 && ref_utf8_count(in.field[F_MESSAGE],
	    in.flen[F_MESSAGE]) < 0)
		in.msg_choice = 1;
	f.num_deleted = f.version_index = c[7] == 255 ? LLONG_MAX : c[7];
	f.nrows = c[13] & 7;
	/* n in 1-7: the list fails after n - 1 rows (0: never). */
	if ((c[13] >> 3 & 7) != 0) {
		f.fail_after = (c[13] >> 3 & 7) - 1;
		if (f.fail_after > f.nrows)
			f.fail_after = f.nrows;
		f.fail_st = (c[13] & 0x40) ? STORE_UNAVAILABLE : STORE_ERROR;
	}
	sink.fail_at = c[14] & 0x7F;
	sink.flush_fails = !!(c[14] & 0x80);

	if (!keep_stderr) {
		fflush(stderr);
		CHECK(dup2(log_pipe[1], 2) == 2);
	}
	app_handle(&cfg, &req, &st, &as, &resp);
	if (!keep_stderr) {
		CHECK(dup2(saved_stderr, 2) == 2);
		drain(errlog, sizeof(errlog));
		/* The one thing the handler logs itself: a cut stream. */
		CHECK((strstr(errlog, "list cut short") != NULL) ==
		    !!resp.aborted);
	}
	if (f.violations != 0) {
		fprintf(stderr, "fake store: %s\n", f.violation);
		CHECK(f.violations == 0);
	}
	expect_answer(cfg.prefix, cfg.metrics, &req, &f, &sink, &e);
#ifdef FUZZ_DEBUG
	fprintf(stderr, "status %d (expected %d) checks %d deletes %d creates "
	    "%d reads %d lists %d healths %d body %s location %s streamed %.*s\n",
	    resp.status, e.status, f.checks, f.deletes, f.creates, f.reads,
	    f.lists, f.healths, resp.body, resp.location ? resp.location : "-",
	    (int)sink.len, sink.buf ? sink.buf : "");
	fprintf(stderr, "expected checks %d deletes %d creates %d reads %d "
	    "lists %d healths %d\n", e.checks, e.deletes, e.creates, e.reads,
	    e.lists, e.healths);
#endif

	/* The status is one the contract knows, and the one it predicts. */
	switch (resp.status) {
	case 200: case 307: case 400: case 401: case 403: case 404: case 405:
	case 413: case 422: case 500: case 503:
		break;
	default:
		CHECK(!"status outside the contract");
	}
	CHECK(resp.status == e.status);

	/* The store is asked exactly what the contract's order implies. */
	CHECK(f.auths == e.auths && (!f.auths ||
	    (f.auth_entity == NULL) == e.auth_entity_null));
	CHECK(f.checks == e.checks && f.deletes == e.deletes &&
	    f.creates == e.creates && f.reads == e.reads &&
	    f.lists == e.lists && f.healths == e.healths);
	if (e.auths || e.checks || e.deletes || e.creates || e.reads ||
	    e.lists)
		CHECK(memcmp(f.hash, e.hash, AUTH_HASH_LEN) == 0);
	if (f.deletes)
		CHECK(strcmp(f.request_id, resp.request_id) == 0);
	if (f.creates)
		want = check_create(&f, &e);

	/* Headers of the answer. */
	CHECK((resp.allow != NULL) == (e.allow != NULL));
	if (e.allow)
		CHECK(strcmp(resp.allow, e.allow) == 0);
	CHECK(!!resp.www_authenticate == e.www);
	CHECK(!!resp.retry_after == e.retry);
	CHECK((resp.location != NULL) == (e.location != NULL));
	if (e.location) {
		CHECK(strcmp(resp.location, e.location) == 0);
		CHECK(resp.location[0] == '/' && resp.location[1] != '/' &&
		    resp.location[1] != '\\');
	}
	CHECK(resp.num_deleted == e.num_deleted);
	CHECK(resp.key_id == e.key_id);
	CHECK(resp.omit_body == (req.method && strcmp(req.method, "HEAD") == 0));

	/* X-Request-Id: the client's when well-formed, else a new one. */
	CHECK(request_id_ok(resp.request_id));
	if (request_id_ok(req.request_id))
		CHECK(strcmp(resp.request_id, req.request_id) == 0);
	else
		CHECK(strlen(resp.request_id) == 16 &&
		    strspn(resp.request_id, "0123456789abcdef") == 16);

	/* The body: streamed, or one compact JSON object with its length. */
	CHECK(!!resp.streamed == e.streamed && !!resp.jsonl == e.streamed);
	if (e.streamed) {
		check_stream(&in, &resp, &sink, &e);
	} else {
		CHECK(sink.writes == 0 && sink.flushes == 0 && !resp.aborted);
		CHECK(resp.body != NULL);
		/* /metrics: Prometheus' text, its own type; nothing else is. */
		CHECK(!!resp.content_type == e.metrics);
		if (e.metrics)
			CHECK(resp.body_len > 30 && memcmp(resp.body,
			    "# HELP models_api_build_info ", 29) == 0 &&
			    resp.body[resp.body_len - 1] == '\n' &&
			    memchr(resp.body, '\0', resp.body_len) == NULL);
		else if (resp.body_len > 0) {
			got = parse_rendered(resp.body, resp.body_len);
			CHECK(json_object_is_type(got, json_type_object));
		}
		if (e.body != NULL)
			CHECK(resp.body_len == strlen(e.body) &&
			    memcmp(resp.body, e.body, resp.body_len) == 0);
		if (e.json != NULL)
			CHECK(got != NULL && jeq(got, e.json));
		if (resp.status == 422 && !e.json_invalid)
			check_422_shape(got);
		if (e.json_invalid)
			check_json_invalid(got, &req);
		if (resp.status == 200 && f.creates)
			CHECK(jeq(got, want));
		if (resp.status == 404 && f.deletes &&
		    f.op_st == STORE_NOT_FOUND) {
			struct json_object *r;
			CHECK(f.sent_message != NULL);
			r = reason_json(f.sent_message, "NotFoundError");
			CHECK(jeq(got, r));
			json_object_put(r);
		}
		check_headers(&resp);
	}
	check_log(&req, &resp);

	json_object_put(got);
	json_object_put(want);
	json_object_put(e.json);
	json_object_put(e.parsed);
	free(e.object_id);
	free(e.location);
	resp_free(&resp);
	fake_store_free(&f);
	free(sink.buf);
	free(in.source);
	free(in.body);
	free(uri);
	free(rest);
	return 0;
}
