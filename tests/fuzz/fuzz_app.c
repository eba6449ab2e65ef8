/*
 * The whole request-to-response function, lib/app.h app_handle, with the
 * database replaced by a fake struct store_ops that records every call and
 * answers with canned results picked by the fuzz input. Each answer is
 * compared with what CONTRACT.md says it must be (an oracle built from the
 * references in ref.h), then the header block (resp_headers) and the access
 * log line (log_access) are checked for injection and shape.
 *
 * Input layout (short inputs are zero-padded):
 *   byte 0  method: DELETE GET HEAD POST PUT delete "" NULL, or field 5
 *   byte 1  flags: 0x01 CGI mode (SCRIPT_NAME = field 0, PATH_INFO = field 1,
 *           QUERY_STRING = field 2, no REQUEST_URI), 0x02 no Authorization,
 *           0x04 no X-Request-Id, 0x08 no QUERY_STRING, 0x10 Authorization =
 *           "Bearer <a well-shaped key>", 0x20 no PATH_INFO, 0x40
 *           Authorization = "Basic base64(api:<key>)", 0x80 REQUEST_URI =
 *           "/v2/" + field 0
 *   byte 2  check_key answer, byte 3 delete_model answer, byte 4 health
 *           answer (enum store_status, modulo 7)
 *   byte 5  MODELS_API_PREFIX: "", "/api", "/a/b", "/v2"
 *   byte 6  the 404 message delete_model returns: none, Weave's, one full of
 *           JSON escapes, field 6 (when it is UTF-8)
 *   byte 7  num_deleted (255: LLONG_MAX)
 *   then NUL-separated fields: 0 REQUEST_URI (or SCRIPT_NAME), 1 PATH_INFO,
 *   2 QUERY_STRING, 3 Authorization, 4 X-Request-Id, 5 method, 6 message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "app.h"
#include "auth.h"
#include "log.h"
#include "pct.h"
#include "ref.h"

#define KEY "0123456789abcdef0123456789abcdef01234567"
#define BASIC_KEY "YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
#define FAKE_KEY_ID 7
#define NFIELDS 7

#define B_NOT_FOUND "{\"detail\":\"Not Found\"}"
#define B_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define B_NOT_AUTH "{\"detail\":\"Not authenticated\"}"
#define B_BAD_KEY "{\"detail\":\"Invalid authentication credentials\"}"
#define B_FORBIDDEN "{\"reason\":\"Forbidden\",\"error_type\":\"Forbidden\"}"
#define B_UNAVAILABLE "{\"reason\":\"Service temporarily unavailable\"," \
	"\"error_type\":\"ServiceUnavailable\"}"
#define B_INTERNAL "{\"reason\":\"Internal server error\"}"
#define B_HEALTH_OK "{\"status\":\"ok\"}"
#define B_HEALTH_DOWN "{\"status\":\"unavailable\"}"

#define NASTY_MESSAGE "quote \" backslash \\ slash / tab \t newline \n " \
	"ctrl \x01\x1f del \x7f e\xcc\x81 \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"

/* The fake data layer: canned answers in, every call recorded. */
struct fake {
	enum store_status	 key_st, del_st, health_st;
	int			 msg_choice;
	const char		*msg_field;
	long long		 num;

	int			 checks, deletes, healths;
	unsigned char		 hash[AUTH_HASH_LEN];
	char			*entity, *project, *object_id, *request_id;
	int			 refs_null;
	unsigned int		 nrefs;
	char			**refs;
	char			*message;	/* what delete_model handed back */
};

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	CHECK(d != NULL);
	return d;
}

static enum store_status
fake_check_key(void *ctx, const unsigned char *hash, long long *key_id)
{
	struct fake *f = ctx;

	f->checks++;
	memcpy(f->hash, hash, AUTH_HASH_LEN);
	if (f->key_st == STORE_OK)
		*key_id = FAKE_KEY_ID;
	return f->key_st;
}

static enum store_status
fake_delete(void *ctx, const struct store_delete *d, struct store_result *res)
{
	struct fake *f = ctx;
	char *msg = NULL;

	f->deletes++;
	CHECK(d->key_hash != NULL && d->entity != NULL && d->project != NULL &&
	    d->object_id != NULL && d->request_id != NULL);
	CHECK(res->message == NULL);
	memcpy(f->hash, d->key_hash, AUTH_HASH_LEN);
	f->entity = xstrdup(d->entity);
	f->project = xstrdup(d->project);
	f->object_id = xstrdup(d->object_id);
	f->request_id = xstrdup(d->request_id);
	f->refs_null = d->refs == NULL;
	f->nrefs = d->nrefs;
	CHECK(d->refs != NULL || d->nrefs == 0);
	if (d->refs != NULL) {
		f->refs = calloc(d->nrefs + 1, sizeof(*f->refs));
		CHECK(f->refs != NULL);
		for (unsigned int i = 0; i < d->nrefs; i++)
			f->refs[i] = xstrdup(d->refs[i]);
	}

	/* As lib/db.c does: the key is known unless it was rejected. */
	res->key_id = f->del_st == STORE_BAD_KEY ? -1 : FAKE_KEY_ID;
	res->num_deleted = f->del_st == STORE_OK ? f->num : 0;
	if (f->del_st == STORE_NOT_FOUND) {
		switch (f->msg_choice) {
		case 1:
			CHECK(asprintf(&msg, "Object %s (None) not found when "
			    "deleting.", d->object_id) > 0);
			break;
		case 2:
			msg = xstrdup(NASTY_MESSAGE);
			break;
		case 3:
			msg = xstrdup(f->msg_field);
			break;
		}
		if (msg != NULL) {
			f->message = xstrdup(msg);
			res->message = msg;
		}
	}
	return f->del_st;
}

static enum store_status
fake_health(void *ctx)
{
	struct fake *f = ctx;

	f->healths++;
	return f->health_st;
}

static const struct store_ops fake_ops = { fake_check_key, fake_delete,
    fake_health };

static void
fake_free(struct fake *f)
{
	free(f->entity);
	free(f->project);
	free(f->object_id);
	free(f->request_id);
	for (unsigned int i = 0; f->refs != NULL && i < f->nrefs; i++)
		free(f->refs[i]);
	free(f->refs);
	free(f->message);
}

/* ---- what the contract says the answer must be ---- */

struct expect {
	int		 status;
	const char	*body;		/* exact, or NULL when built */
	struct json_object *json;	/* body to compare structurally */
	const char	*allow;
	int		 www, retry;
	char		*location;
	int		 checks, deletes, healths;
	long long	 num_deleted, key_id;
	unsigned char	 hash[AUTH_HASH_LEN];
};

static struct json_object *
jstr(const char *s, size_t len)
{
	struct json_object *o = json_object_new_string_len(s, (int)len);

	CHECK(o != NULL);
	return o;
}

static void
jadd(struct json_object *o, const char *k, struct json_object *v)
{
	CHECK(v != NULL && json_object_object_add(o, k, v) == 0);
}

static void
jappend(struct json_object *a, struct json_object *v)
{
	CHECK(v != NULL && json_object_array_add(a, v) == 0);
}

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

static struct json_object *
loc_of(const char *where, const char *name, long index)
{
	struct json_object *a = json_object_new_array();

	CHECK(a != NULL);
	jappend(a, json_object_new_string(where));
	jappend(a, json_object_new_string(name));
	if (index >= 0)
		jappend(a, json_object_new_int64(index));
	return a;
}

static void
add_error(struct json_object *errors, enum ref_rule rule,
    struct json_object *loc, struct json_object *input, const char *pattern)
{
	struct json_object *e = json_object_new_object(), *ctx;
	char msg[256];

	CHECK(e != NULL);
	switch (rule) {
	case REF_UNICODE:
		jadd(e, "type", json_object_new_string("string_unicode"));
		jadd(e, "loc", loc);
		jadd(e, "msg", json_object_new_string("Input should be a valid "
		    "string, unable to parse raw data as a unicode string"));
		jadd(e, "input", input);
		break;
	case REF_TOO_LONG:
		jadd(e, "type", json_object_new_string("string_too_long"));
		jadd(e, "loc", loc);
		jadd(e, "msg", json_object_new_string("String should have at "
		    "most 128 characters"));
		jadd(e, "input", input);
		jadd(e, "ctx", ctx = json_object_new_object());
		jadd(ctx, "max_length", json_object_new_int(128));
		break;
	default:
		jadd(e, "type", json_object_new_string(
		    "string_pattern_mismatch"));
		jadd(e, "loc", loc);
		snprintf(msg, sizeof(msg), "String should match pattern '%s'",
		    pattern);
		jadd(e, "msg", json_object_new_string(msg));
		jadd(e, "input", input);
		jadd(e, "ctx", ctx = json_object_new_object());
		jadd(ctx, "pattern", json_object_new_string(pattern));
		break;
	}
	jappend(errors, e);
}

/* The 422 detail for a routed request, or NULL when everything is valid. */
static struct json_object *
expected_errors(const struct ref_route *rt, const struct ref_query *q)
{
	struct json_object *errors = json_object_new_array(), *body;
	static const char *names[] = { "entity", "project", "object_id" };
	static const size_t seg[] = { 1, 2, 4 };

	CHECK(errors != NULL);
	for (int i = 0; i < 3; i++) {
		size_t s = seg[i];
		enum ref_rule rule = i < 2 ?
		    ref_valid_name(rt->val[s], rt->len[s]) :
		    ref_valid_object_id(rt->val[s], rt->len[s]);
		if (rule != REF_OK)
			add_error(errors, rule, loc_of("path", names[i], -1),
			    input_of(rt->raw[s], rt->raw_len[s], rt->val[s],
			    rt->len[s]), i < 2 ? REF_NAME_PATTERN :
			    REF_OID_PATTERN);
	}
	if (q->n > 100) {
		struct json_object *e = json_object_new_object(), *list, *ctx;
		char msg[128];

		CHECK(e != NULL);
		jadd(e, "type", json_object_new_string("too_long"));
		jadd(e, "loc", loc_of("query", "digests", -1));
		snprintf(msg, sizeof(msg), "List should have at most 100 items "
		    "after validation, not %zu", q->n);
		jadd(e, "msg", json_object_new_string(msg));
		jadd(e, "input", list = json_object_new_array());
		for (size_t i = 0; i < q->n; i++)
			jappend(list, input_of(q->items[i].raw,
			    q->items[i].raw_len, q->items[i].val,
			    q->items[i].len));
		jadd(e, "ctx", ctx = json_object_new_object());
		jadd(ctx, "field_type", json_object_new_string("List"));
		jadd(ctx, "max_length", json_object_new_int(100));
		jadd(ctx, "actual_length", json_object_new_int64((int64_t)q->n));
		jappend(errors, e);
	} else {
		for (size_t i = 0; i < q->n; i++) {
			enum ref_rule rule = ref_valid_digest(q->items[i].val,
			    q->items[i].len);
			if (rule != REF_OK)
				add_error(errors, rule,
				    loc_of("query", "digests", (long)i),
				    input_of(q->items[i].raw,
				    q->items[i].raw_len, q->items[i].val,
				    q->items[i].len), REF_DIGEST_PATTERN);
		}
	}
	if (json_object_array_length(errors) == 0) {
		json_object_put(errors);
		return NULL;
	}
	CHECK((body = json_object_new_object()) != NULL);
	jadd(body, "detail", errors);
	return body;
}

static struct json_object *
reason_json(const char *reason, const char *type)
{
	struct json_object *o = json_object_new_object();

	CHECK(o != NULL);
	jadd(o, "reason", json_object_new_string(reason));
	jadd(o, "error_type", json_object_new_string(type));
	return o;
}

/* The raw path and query, as CONTRACT.md section 1 and README describe. */
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

static void
expect_model(const struct request *req, const struct ref_route *rt,
    const char *qs, size_t qlen, struct fake *f, struct expect *e)
{
	char key[41];
	struct ref_query q;
	struct json_object *errors;

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
	ref_query_parse(qs, qlen, &q);
	if ((errors = expected_errors(rt, &q)) != NULL) {
		e->checks = 1;
		switch (f->key_st) {
		case STORE_OK:
			e->status = 422, e->json = errors, e->key_id = FAKE_KEY_ID;
			errors = NULL;
			break;
		case STORE_BAD_KEY:
			e->status = 401, e->body = B_BAD_KEY, e->www = 1;
			break;
		case STORE_UNAVAILABLE:
			e->status = 503, e->body = B_UNAVAILABLE, e->retry = 1;
			break;
		default:
			e->status = 500, e->body = B_INTERNAL;
			break;
		}
		json_object_put(errors);
		ref_query_free(&q);
		return;
	}

	/* Valid: one delete, whose arguments are the decoded values. */
	e->deletes = 1;
	e->key_id = f->del_st == STORE_BAD_KEY ? -1 : FAKE_KEY_ID;
	switch (f->del_st) {
	case STORE_OK: {
		struct json_object *o = json_object_new_object();
		CHECK(o != NULL);
		jadd(o, "num_deleted", json_object_new_int64(f->num));
		e->status = 200, e->json = o, e->num_deleted = f->num;
		break;
	}
	case STORE_BAD_KEY:
		e->status = 401, e->body = B_BAD_KEY, e->www = 1;
		break;
	case STORE_FORBIDDEN:
		e->status = 403, e->body = B_FORBIDDEN;
		break;
	case STORE_NO_PROJECT: {
		char *reason;
		CHECK(asprintf(&reason, "Project %s/%s not found", rt->val[1],
		    rt->val[2]) > 0);
		e->status = 404, e->json = reason_json(reason, "ProjectNotFound");
		free(reason);
		break;
	}
	case STORE_NOT_FOUND:
		/*
		 * The message is checked against what the fake sent, later;
		 * a store that gives none has failed: 500.
		 */
		if (f->msg_choice == 0)
			e->status = 500, e->body = B_INTERNAL;
		else
			e->status = 404;
		break;
	case STORE_UNAVAILABLE:
		e->status = 503, e->body = B_UNAVAILABLE, e->retry = 1;
		break;
	default:
		e->status = 500, e->body = B_INTERNAL;
		break;
	}
	ref_query_free(&q);
}

static void
expect_answer(const char *prefix, const struct request *req, struct fake *f,
    struct expect *e)
{
	const char *method = req->method ? req->method : "", *qs;
	size_t plen, qlen, pre = strlen(prefix);
	struct ref_route rt;
	char *path;

	memset(e, 0, sizeof(*e));
	e->num_deleted = e->key_id = -1;
	ref_request_path(req, &path, &plen, &qs, &qlen);
	if (plen < pre || memcmp(path, prefix, pre) != 0 ||
	    (plen > pre && path[pre] != '/')) {
		e->status = 404, e->body = B_NOT_FOUND;
		free(path);
		return;
	}
	ref_route_match(path + pre, plen - pre, &rt);
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
	} else if (rt.kind == REF_HEALTH) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
			e->healths = 1;
			if (f->health_st == STORE_OK)
				e->status = 200, e->body = B_HEALTH_OK;
			else
				e->status = 503, e->body = B_HEALTH_DOWN;
		} else
			e->status = 405, e->body = B_NOT_ALLOWED,
			    e->allow = "GET, HEAD";
	} else if (strcmp(method, "DELETE") != 0) {
		e->status = 405, e->body = B_NOT_ALLOWED, e->allow = "DELETE";
	} else {
		expect_model(req, &rt, qs, qlen, f, e);
		/* The delete is handed exactly the decoded, valid values. */
		if (e->deletes && f->deletes == 1) {
			struct ref_query q;
			CHECK(strlen(f->entity) == rt.len[1] &&
			    memcmp(f->entity, rt.val[1], rt.len[1]) == 0);
			CHECK(strlen(f->project) == rt.len[2] &&
			    memcmp(f->project, rt.val[2], rt.len[2]) == 0);
			CHECK(strlen(f->object_id) == rt.len[4] &&
			    memcmp(f->object_id, rt.val[4], rt.len[4]) == 0);
			CHECK(ref_valid_name(f->entity, strlen(f->entity)) ==
			    REF_OK);
			CHECK(ref_valid_name(f->project, strlen(f->project)) ==
			    REF_OK);
			CHECK(ref_valid_object_id(f->object_id,
			    strlen(f->object_id)) == REF_OK);
			ref_query_parse(qs, qlen, &q);
			CHECK(f->refs_null == (q.n == 0));
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
check_422_order(struct json_object *body)
{
	static const char *const top[] = { "detail", NULL };
	static const char *const e4[] = { "type", "loc", "msg", "input", NULL };
	static const char *const e5[] = { "type", "loc", "msg", "input", "ctx",
	    NULL };
	struct json_object *detail;

	check_key_order(body, top);
	detail = json_object_object_get(body, "detail");
	CHECK(json_object_is_type(detail, json_type_array));
	for (size_t i = 0; i < json_object_array_length(detail); i++) {
		struct json_object *e = json_object_array_get_idx(detail, i);
		check_key_order(e, json_object_object_get(e, "ctx") ? e5 : e4);
	}
}

/* Non-empty bodies are compact JSON objects in valid UTF-8. */
static struct json_object *
check_body_json(const struct response *resp)
{
	struct json_tokener *tok;
	struct json_object *o;
	const char *again;
	size_t len;

	CHECK(resp->body != NULL);
	CHECK(strlen(resp->body) == resp->body_len);
	if (resp->body_len == 0)
		return NULL;
	CHECK(ref_utf8_count(resp->body, resp->body_len) >= 0);
	CHECK((tok = json_tokener_new()) != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, resp->body, (int)resp->body_len);
	CHECK(o != NULL && json_tokener_get_error(tok) == json_tokener_success);
	CHECK(json_tokener_get_parse_end(tok) == resp->body_len);
	json_tokener_free(tok);
	CHECK(json_object_is_type(o, json_type_object));
	again = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	CHECK(len == resp->body_len && memcmp(again, resp->body, len) == 0);
	return o;
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
			CHECK(strcmp(v, "application/json") == 0);
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

/* log_access's line is caught on a pipe standing in for fd 2. */
static int log_pipe[2] = { -1, -1 }, saved_stderr = -1;

static void
check_log(const struct request *req, const struct response *resp)
{
	char buf[16384], *fields[16], *save, *tok;
	ssize_t n;
	size_t nf = 0, len;

	fflush(stderr);
	CHECK(dup2(log_pipe[1], 2) == 2);
	log_access(req, resp, 123);
	CHECK(dup2(saved_stderr, 2) == 2);
	n = read(log_pipe[0], buf, sizeof(buf) - 1);
	CHECK(n > 0);
	len = (size_t)n;
	buf[len] = '\0';
	/* Nothing more: one write, one line. */
	CHECK(read(log_pipe[0], buf + len, 1) < 0 && errno == EAGAIN);
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
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "DELETE", "GET", "HEAD", "POST",
	    "PUT", "delete", "", NULL };
	static const char *const prefixes[] = { "", "/api", "/a/b", "/v2" };
	uint8_t c[8] = { 0 };
	char *field[NFIELDS] = { 0 }, *rest, *uri = NULL;
	size_t nctl = size < 8 ? size : 8;
	struct fake f;
	struct request req = { 0 };
	struct response resp;
	struct expect e;
	struct app_config cfg;
	struct store st = { &fake_ops, &f };

	memcpy(c, data, nctl);
	rest = ref_strndup(data + nctl, size - nctl);
	/* Fields: NUL-separated; missing ones are "". */
	{
		char *p = rest, *end = rest + (size - nctl);
		for (int i = 0; i < NFIELDS; i++) {
			field[i] = p;
			if (p < end)
				p += strlen(p) + 1;
			if (p > end)
				p = end;
		}
	}

	memset(&f, 0, sizeof(f));
	f.key_st = (enum store_status)(c[2] % 7);
	f.del_st = (enum store_status)(c[3] % 7);
	f.health_st = (enum store_status)(c[4] % 7);
	f.msg_choice = c[6] % 4;
	f.msg_field = field[6];
	if (f.msg_choice == 3 && ref_utf8_count(field[6], strlen(field[6])) < 0)
		f.msg_choice = 1;
	f.num = c[7] == 255 ? LLONG_MAX : c[7];
	cfg.prefix = prefixes[c[5] % 4];

	req.method = c[0] % 9 == 8 ? field[5] : methods[c[0] % 9];
	if (c[1] & 0x01) {
		req.script_name = field[0];
		req.path_info = (c[1] & 0x20) ? NULL : field[1];
		req.query_string = (c[1] & 0x08) ? NULL : field[2];
	} else if (c[1] & 0x80) {
		CHECK(asprintf(&uri, "/v2/%s", field[0]) > 0);
		req.request_uri = uri;
	} else
		req.request_uri = field[0];
	req.authorization = (c[1] & 0x10) ? "Bearer " KEY :
	    (c[1] & 0x40) ? "Basic " BASIC_KEY :
	    (c[1] & 0x02) ? NULL : field[3];
	req.request_id = (c[1] & 0x04) ? NULL : field[4];

	app_handle(&cfg, &req, &st, &resp);
	expect_answer(cfg.prefix, &req, &f, &e);
#ifdef FUZZ_DEBUG
	fprintf(stderr, "status %d (expected %d) checks %d deletes %d "
	    "healths %d body %s location %s\n", resp.status, e.status, f.checks,
	    f.deletes, f.healths, resp.body, resp.location ? resp.location : "-");
#endif

	/* The status is one the contract knows, and the one it predicts. */
	switch (resp.status) {
	case 200: case 307: case 401: case 403: case 404: case 405: case 422:
	case 500: case 503:
		break;
	default:
		CHECK(!"status outside the contract");
	}
	CHECK(resp.status == e.status);

	/* The store is asked exactly what the contract's order implies. */
	CHECK(f.checks == e.checks && f.deletes == e.deletes &&
	    f.healths == e.healths);
	if (e.checks || e.deletes)
		CHECK(memcmp(f.hash, e.hash, AUTH_HASH_LEN) == 0);
	if (f.deletes)
		CHECK(strcmp(f.request_id, resp.request_id) == 0);
	if (resp.status == 307 || resp.status == 405 ||
	    (resp.status == 404 && resp.body != NULL &&
	    strcmp(resp.body, B_NOT_FOUND) == 0) ||
	    (resp.status == 401 && resp.body != NULL &&
	    strcmp(resp.body, B_NOT_AUTH) == 0))
		CHECK(f.checks + f.deletes + f.healths == 0);

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

	/* The body. */
	struct json_object *got = check_body_json(&resp);
	if (e.body != NULL)
		CHECK(strcmp(resp.body, e.body) == 0);
	if (e.json != NULL) {
		CHECK(got != NULL && json_object_equal(got, e.json));
		if (resp.status == 422)
			check_422_order(got);
	}
	if (resp.status == 404 && f.deletes) {
		if (f.del_st == STORE_NOT_FOUND) {
			struct json_object *want;
			CHECK(f.message != NULL);
			want = reason_json(f.message, "NotFoundError");
			CHECK(got != NULL && json_object_equal(got, want));
			json_object_put(want);
		}
	}
	if (resp.status == 500)
		CHECK(strcmp(resp.body, B_INTERNAL) == 0 &&
		    ((f.checks && f.key_st != STORE_OK &&
		    f.key_st != STORE_BAD_KEY && f.key_st != STORE_UNAVAILABLE) ||
		    (f.deletes && (f.del_st == STORE_ERROR ||
		    (f.del_st == STORE_NOT_FOUND && f.message == NULL)))));
	json_object_put(got);

	check_headers(&resp);
	check_log(&req, &resp);

	json_object_put(e.json);
	free(e.location);
	resp_free(&resp);
	fake_free(&f);
	free(uri);
	free(rest);
	return 0;
}
