#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "keyseen.h"
#include "body.h"
#include "jparse.h"
#include "jsonb.h"
#include "log.h"
#include "openapi.h"
#include "metrics.h"
#include "pct.h"
#include "query.h"
#include "refs.h"
#include "route.h"
#include "timefmt.h"
#include "validate.h"
#include "version.h"

#define BODY_NOT_FOUND	"{\"detail\":\"Not Found\"}"
#define BODY_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define BODY_NOT_AUTH	"{\"detail\":\"Not authenticated\"}"
#define BODY_BAD_KEY	"{\"detail\":\"Invalid authentication credentials\"}"
#define BODY_FORBIDDEN	"{\"reason\":\"Forbidden\",\"error_type\":\"Forbidden\"}"
#define BODY_TOO_LARGE	"{\"reason\":\"Request too large\"," \
			"\"error_type\":\"RequestTooLarge\"}"
#define BODY_UNAVAILABLE "{\"reason\":\"Service temporarily unavailable\"," \
			"\"error_type\":\"ServiceUnavailable\"}"

/* splitmix64: request ids need to be unique, not secret. */
static _Thread_local uint64_t id_state;

void
app_new_request_id(char id[RESP_REQUEST_ID_MAX + 1])
{
	uint64_t z;

	if (id_state == 0 && getrandom(&id_state, sizeof(id_state), 0) !=
	    (ssize_t)sizeof(id_state))
		id_state = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&z;
	z = (id_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	snprintf(id, RESP_REQUEST_ID_MAX + 1, "%016llx", (unsigned long long)z);
}

/* Keeps the client's X-Request-Id when it is 1-64 of [A-Za-z0-9._-]. */
static void
set_request_id(struct response *resp, const char *given)
{
	size_t n = given ? strlen(given) : 0;

	if (n >= 1 && n <= RESP_REQUEST_ID_MAX &&
	    strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n) {
		memcpy(resp->request_id, given, n + 1);
		return;
	}
	app_new_request_id(resp->request_id);
}

/*
 * Where the path of a request-target starts: an absolute-form target
 * ("http://host:port/path?q", RFC 9112 section 3.2.2, which Apache passes
 * on as it came) is routed by its path, as an origin-form one.
 */
static const char *
target_path(const char *uri)
{
	const char *s = uri;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return uri;
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.')
		s++;
	if (strncmp(s, "://", 3) != 0)
		return uri;
	s += 3;
	/* The authority ends at the path, the query or the end. */
	s += strcspn(s, "/?");
	return s;
}

/*
 * The raw path and query of the request. Prefers REQUEST_URI; without it,
 * rebuilds the path from SCRIPT_NAME + PATH_INFO, which the server has
 * already decoded, so '%' is re-escaped to keep the decoding single.
 * *owned receives any allocation. Returns 0, or -1 when out of memory.
 */
static int
request_path(const struct request *req, const char **path, size_t *plen,
    const char **qs, size_t *qlen, char **owned)
{
	*owned = NULL;
	if (req->request_uri != NULL) {
		const char *uri = target_path(req->request_uri);
		const char *q = strchr(uri, '?');
		*path = uri;
		*plen = q ? (size_t)(q - uri) : strlen(uri);
		*qs = q ? q + 1 : "";
		*qlen = q ? strlen(q + 1) : 0;
		return 0;
	}
	const char *parts[2] = { req->script_name ? req->script_name : "",
	    req->path_info ? req->path_info : "" };
	size_t n = 0;
	char *p = malloc(3 * (strlen(parts[0]) + strlen(parts[1])) + 1);

	if (p == NULL)
		return -1;
	for (int i = 0; i < 2; i++)
		for (const char *s = parts[i]; *s; s++) {
			if (*s == '%') {
				memcpy(p + n, "%25", 3);
				n += 3;
			} else
				p[n++] = *s;
		}
	p[n] = '\0';
	*owned = p;
	*path = p;
	*plen = n;
	*qs = req->query_string ? req->query_string : "";
	*qlen = strlen(*qs);
	return 0;
}

/* Sets the 307 to the path without its trailing slashes, query kept. */
static int
redirect(struct response *resp, const char *path, size_t plen,
    const char *qs, size_t qlen)
{
	char *loc = malloc(3 * (plen + qlen) + 2);
	size_t n;

	if (loc == NULL)
		return -1;
	/* Escaping keeps stray control bytes out of the header block. */
	n = pct_escape(path, plen, loc);
	if (qlen > 0) {
		loc[n++] = '?';
		pct_escape(qs, qlen, loc + n);
	}
	resp->location = loc;
	resp_static(resp, 307, "");
	return 0;
}

/* A JSON {"reason":..., "error_type":...} answer; -1 when out of memory. */
static int
reason_body(struct response *resp, int status, const char *reason,
    const char *type)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL || jb_add(o, "reason", json_object_new_string(reason)) ||
	    jb_add(o, "error_type", json_object_new_string(type))) {
		json_object_put(o);
		return -1;
	}
	return resp_json(resp, status, o);
}

static void
unavailable(struct response *resp)
{
	resp->retry_after = 1;
	resp_static(resp, 503, BODY_UNAVAILABLE);
}

static void
bad_key(struct response *resp)
{
	resp->www_authenticate = 1;
	resp_static(resp, 401, BODY_BAD_KEY);
}

static void
health(struct store *st, struct response *resp)
{
	if (st->ops->health(st->ctx) == STORE_OK)
		resp_static(resp, 200, "{\"status\":\"ok\"}");
	else
		resp_static(resp, 503, "{\"status\":\"unavailable\"}");
}

/* The 422 answer for errors (taken). */
static int
validation_error(struct json_object *errors, struct response *resp)
{
	struct json_object *body;

	if ((body = json_object_new_object()) == NULL) {
		json_object_put(errors);
		return -1;
	}
	if (jb_add(body, "detail", errors) != 0) {
		json_object_put(body);
		return -1;
	}
	return resp_json(resp, 422, body);
}

/* GET /metrics: the counters, in Prometheus' text format. */
static int
metrics_page(struct response *resp)
{
	size_t len;
	char *text = metrics_render(&len);

	if (text == NULL)
		return -1;
	free(resp->owned);
	resp->status = 200;
	resp->body = resp->owned = text;
	resp->body_len = len;
	resp->content_type = METRICS_CONTENT_TYPE;
	return 0;
}

/* The route label of the request counters: the endpoint, never the path. */
static enum metrics_route
route_label(enum route_kind kind, const char *method)
{
	switch (kind) {
	case ROUTE_MODEL:
		return METRICS_ROUTE_MODEL_DELETE;
	case ROUTE_MODELS:
		return strcmp(method, "POST") == 0 ?
		    METRICS_ROUTE_MODEL_CREATE : METRICS_ROUTE_MODEL_LIST;
	case ROUTE_VERSION:
		return METRICS_ROUTE_MODEL_READ;
	case ROUTE_HEALTH:
		return METRICS_ROUTE_HEALTH;
	case ROUTE_OPENAPI:
		return METRICS_ROUTE_OPENAPI;
	case ROUTE_METRICS:
		return METRICS_ROUTE_METRICS;
	default:
		return METRICS_ROUTE_NOT_FOUND;
	}
}

/* 422 for a request whose key is live; the key outranks the input. */
static int
invalid_input(struct store *st, const unsigned char *hash,
    struct json_object *errors, struct response *resp)
{
	switch (st->ops->check_key(st->ctx, hash, &resp->key_id)) {
	case STORE_OK:
		break;
	case STORE_BAD_KEY:
		json_object_put(errors);
		bad_key(resp);
		return 0;
	case STORE_UNAVAILABLE:
		json_object_put(errors);
		unavailable(resp);
		return 0;
	default:
		json_object_put(errors);
		return -1;
	}
	return validation_error(errors, resp);
}

/*
 * The answer for the statuses every database call shares; 0 when s was
 * one of them (resp set), 1 when the caller handles s itself.
 */
static int
common_status(enum store_status s, const struct route *rt,
    struct response *resp, int *rc)
{
	char reason[1024];

	*rc = 0;
	switch (s) {
	case STORE_BAD_KEY:
		bad_key(resp);
		return 0;
	case STORE_FORBIDDEN:
		resp_static(resp, 403, BODY_FORBIDDEN);
		return 0;
	case STORE_NO_PROJECT:
		snprintf(reason, sizeof(reason), "Project %s/%s not found",
		    rt->entity.val, rt->project.val);
		*rc = reason_body(resp, 404, reason, "ProjectNotFound");
		return 0;
	case STORE_UNAVAILABLE:
		unavailable(resp);
		return 0;
	case STORE_ERROR:
		*rc = -1;
		return 0;
	default:
		return 1;
	}
}

static int
delete_model(const struct route *rt, const struct refs *refs,
    struct store *st, const unsigned char *hash, struct response *resp)
{
	struct store_delete d = { hash, rt->entity.val, rt->project.val,
	    rt->object_id.val, refs->given ? refs->v : NULL, refs->n,
	    resp->request_id, refs->in_body ? STORE_REFS_BODY :
	    STORE_REFS_QUERY };
	struct store_result res = { 0, -1, NULL };
	enum store_status s;
	int rc = 0;

	s = st->ops->delete_model(st->ctx, &d, &res);
	resp->key_id = res.key_id;
	if (common_status(s, rt, resp, &rc) != 0) {
		if (s == STORE_OK) {
			struct json_object *o = json_object_new_object();
			if (o == NULL || jb_add(o, "num_deleted",
			    json_object_new_int64(res.num_deleted))) {
				json_object_put(o);
				rc = -1;
			} else {
				resp->num_deleted = res.num_deleted;
				rc = resp_json(resp, 200, o);
			}
		} else if (s == STORE_NOT_FOUND && res.message != NULL) {
			rc = reason_body(resp, 404, res.message,
			    "NotFoundError");
		} else
			rc = -1;
	}
	free(res.message);
	return rc;
}

/* Ctx of the read callback: the answer is decided by what comes back. */
struct read_ctx {
	const struct route	*rt;
	struct response		*resp;
};

static int
read_row(void *arg, const struct store_version *v)
{
	struct read_ctx *c = arg;
	struct json_object *o;
	char reason[1024], when[TIMEFMT_MAX], iso[TIMEFMT_MAX];
	char *text;
	size_t len;

	if (v->deleted) {
		timefmt(v->deleted_us, TIMEFMT_STR, when);
		timefmt(v->deleted_us, TIMEFMT_ISO, iso);
		snprintf(reason, sizeof(reason), "%s:v%lld was deleted at %s",
		    v->object_id, v->version_index, when);
		if ((o = json_object_new_object()) == NULL ||
		    jb_add(o, "reason", json_object_new_string(reason)) ||
		    jb_add(o, "error_type",
		    json_object_new_string("ObjectDeletedError")) ||
		    jb_add(o, "deleted_at", json_object_new_string(iso))) {
			json_object_put(o);
			return -1;
		}
		return resp_json(c->resp, 404, o);
	}
	if (!v->has_source) {
		snprintf(reason, sizeof(reason), "Model %s has no source file",
		    v->object_id);
		return reason_body(c->resp, 400, reason, "ValueError");
	}
	if ((text = version_render(v, &len)) == NULL)
		return -1;
	free(c->resp->owned);
	c->resp->status = 200;
	c->resp->body = c->resp->owned = text;
	c->resp->body_len = len;
	return 0;
}

/* Ctx of the list callbacks: everything goes straight to the sink. */
struct list_ctx {
	struct response		*resp;
	const struct app_sink	*sink;
};

static int
list_begin(void *arg)
{
	struct list_ctx *c = arg;
	size_t len;
	char *h;
	int rc;

	c->resp->status = 200;
	c->resp->jsonl = 1;
	c->resp->streamed = 1;
	if ((h = resp_headers(c->resp, &len)) == NULL)
		return -1;
	/*
	 * Out at once: a front server that saw the headers and the whole
	 * body together would frame a small list with a Content-Length.
	 */
	rc = c->sink->write(c->sink->ctx, h, len) != 0 ||
	    c->sink->flush(c->sink->ctx) != 0 ? -1 : 0;
	free(h);
	return rc;
}

static int
list_row(void *arg, const struct store_version *v)
{
	struct list_ctx *c = arg;
	size_t len;
	char *line;
	int rc;

	if ((line = version_render(v, &len)) == NULL)
		return -1;
	/* The text has its NUL where the newline goes. */
	line[len++] = '\n';
	rc = c->sink->write(c->sink->ctx, line, len);
	free(line);
	return rc;
}

static int
read_version(const struct route *rt, struct store *st,
    const unsigned char *hash, struct response *resp)
{
	struct store_read r = { hash, rt->entity.val, rt->project.val,
	    rt->object_id.val, rt->digest.val };
	struct read_ctx c = { rt, resp };
	enum store_status s;
	char *reason;
	int rc;

	s = st->ops->read_model(st->ctx, &r, &resp->key_id, read_row, &c);
	if (common_status(s, rt, resp, &rc) == 0)
		return rc;
	if (s == STORE_NOT_FOUND) {
		/* Sized to fit: vN may have any number of digits. */
		size_t n = strlen(rt->object_id.val) + rt->digest.len + 32;

		if ((reason = malloc(n)) == NULL)
			return -1;
		snprintf(reason, n, "Obj %s:%s not found", rt->object_id.val,
		    rt->digest.val);
		rc = reason_body(resp, 404, reason, "NotFoundError");
		free(reason);
		return rc;
	}
	return s == STORE_OK ? 0 : -1;
}

static int
list_versions(const struct route *rt, long long limit, long long offset,
    struct store *st, const unsigned char *hash, const struct app_sink *sink,
    struct response *resp)
{
	struct store_list l = { hash, rt->entity.val, rt->project.val, limit,
	    offset };
	struct list_ctx c = { resp, sink };
	enum store_status s;
	int started, rc;

	metrics_lists_add(1);
	s = st->ops->list_models(st->ctx, &l, &resp->key_id, list_begin,
	    list_row, &c, &started);
	metrics_lists_add(-1);
	if (started) {
		/* Nothing can be said any more: the client sees a cut stream. */
		if (s != STORE_OK) {
			log_error("list cut short after it began");
			resp->aborted = 1;
		}
		return 0;
	}
	if (common_status(s, rt, resp, &rc) == 0)
		return rc;
	return -1;
}

/*
 * The body of a create, checked: the 422 entries go to errors (a
 * json_invalid entry alone, as FastAPI stops there: *only is set); m is
 * filled when the body is sound. Returns 0, or -1 when out of memory.
 */
static int
check_body(const struct request *req, struct json_object *errors,
    struct json_object **parsed, struct body_model *m, int *only)
{
	struct jparse_error err;

	*parsed = NULL;
	*only = 0;
	if (req->body_len == 0)
		return body_err_missing(errors);
	if (!body_media_is_json(req->content_type))
		return body_err_not_json_text(errors, req->body, req->body_len);
	switch (jparse(req->body, req->body_len, parsed, &err)) {
	case JPARSE_NOMEM:
		return -1;
	case JPARSE_INVALID:
		*only = 1;
		return body_err_json_invalid(errors, err.pos, err.text);
	case JPARSE_OK:
		break;
	}
	if (*parsed == NULL)
		return body_err_missing(errors);
	if (!json_object_is_type(*parsed, json_type_object))
		return body_err_not_object(errors, json_object_get(*parsed));
	return body_check(*parsed, errors, m);
}

static int
create_version(const struct route *rt, const struct body_model *m,
    struct store *st, const unsigned char *hash, struct response *resp)
{
	struct version_new v;
	struct json_object *o;
	long long index = -1;
	enum store_status s;
	char ref[1024];
	int rc;

	if (version_prepare(m, &v) != 0)
		return -1;
	{
		struct store_create c = { hash, rt->entity.val, rt->project.val,
		    m->object_id, v.digest, v.val, v.source_digest, m->source,
		    m->source_len };
		s = st->ops->create_model(st->ctx, &c, &resp->key_id, &index);
	}
	free(v.val);
	if (common_status(s, rt, resp, &rc) == 0)
		return rc;
	if (s != STORE_OK)
		return -1;
	snprintf(ref, sizeof(ref), "weave:///%s/%s/object/%s:%s",
	    rt->entity.val, rt->project.val, m->object_id, v.digest);
	if ((o = json_object_new_object()) == NULL ||
	    jb_add(o, "digest", json_object_new_string(v.digest)) ||
	    jb_add(o, "object_id", json_object_new_string(m->object_id)) ||
	    jb_add(o, "version_index", json_object_new_int64(index)) ||
	    jb_add(o, "model_ref", json_object_new_string(ref))) {
		json_object_put(o);
		return -1;
	}
	return resp_json(resp, 200, o);
}

/* True for the routes whose body is read: create, and delete (§10.1). */
static int
takes_body(const struct route *rt, int post)
{
	return (rt->kind == ROUTE_MODELS && post) || rt->kind == ROUTE_MODEL;
}

/* True when the request came with a body, read or still to read. */
static int
has_body(const struct request *req)
{
	return req->read_body != NULL ? req->content_length > 0 :
	    req->body_len > 0;
}

/*
 * Before a body is read: the key must be live and allowed to write to the
 * path's entity (401, 403), so no other client's body is ever read past
 * what the front has delivered, parsed or hashed. With errors in the path
 * or query already, only the key counts, not its role (the 422 outranks
 * the 403, as without a body). Then the body, within its deadline (408). Returns 1
 * when the request may go on with r's body set, 0 when resp is set, -1 on
 * failure.
 */
static int
authorize_then_read(struct request *r, const struct route *rt,
    struct json_object *errors, struct store *st, const unsigned char *hash,
    struct response *resp)
{
	const char *entity = json_object_array_length(errors) == 0 ?
	    rt->entity.val : NULL;
	enum store_status s;
	char *body;
	size_t len;
	int rc;

	/* Without an entity to write to, the key's role is not asked. */
	s = st->ops->authorize(st->ctx, hash, entity, entity != NULL,
	    &resp->key_id);
	if (s != STORE_OK)
		return common_status(s, rt, resp, &rc) == 0 ? rc : -1;
	if (r->read_body == NULL)
		return 1;
	switch (r->read_body(r->body_ctx, &body, &len)) {
	case APP_BODY_OK:
		r->body = body;
		r->body_len = len;
		return 1;
	case APP_BODY_TIMEOUT:
		log_error("request body not received within its deadline");
		return reason_body(resp, 408, "Request body not received in "
		    "time", "RequestTimeout") == 0 ? 0 : -1;
	case APP_BODY_BUSY:
		unavailable(resp);
		return 0;
	default:
		return -1;
	}
}

/* Everything after routing for the API routes. */
static int
api_request(const struct route *rt, const char *method, const char *qs,
    size_t qlen, const struct request *req, struct store *st,
    const struct app_sink *sink, struct response *resp)
{
	char key[AUTH_KEY_LEN + 1];
	unsigned char hash[AUTH_HASH_LEN];
	struct json_object *errors = NULL, *parsed = NULL;
	struct request r = *req;
	struct body_model m;
	struct query q = { 0 }, lim = { 0 }, off = { 0 };
	struct refs refs = { 0 };
	long long limit = -1, offset = 0;
	int rc = -1, only = 0, authorized = 0;
	int post = strcmp(method, "POST") == 0;

	memset(&m, 0, sizeof(m));
	switch (auth_parse(req->authorization, key)) {
	case AUTH_MISSING:
		resp->www_authenticate = 1;
		resp_static(resp, 401, BODY_NOT_AUTH);
		return 0;
	case AUTH_INVALID:
		bad_key(resp);
		return 0;
	case AUTH_KEY:
		break;
	}
	auth_hash_key(key, AUTH_KEY_LEN, hash);
	memset(key, 0, sizeof(key));

	/* Path parameters first, then the query or the body. */
	if (rt->kind == ROUTE_MODEL) {
		if (query_parse(qs, qlen, &q) != 0 ||
		    valid_request(rt, &q, &errors) != 0)
			goto done;
	} else if (valid_request(rt, NULL, &errors) != 0)
		goto done;
	if (errors == NULL && (errors = json_object_new_array()) == NULL)
		goto done;
	if (takes_body(rt, post) && has_body(req)) {
		if ((rc = authorize_then_read(&r, rt, errors, st, hash,
		    resp)) != 1)
			goto done;
		authorized = 1;
		rc = -1;
	}
	if (rt->kind == ROUTE_MODEL) {
		if (refs_check(qs, qlen, &q, r.body, r.body_len, errors,
		    &refs) != 0)
			goto done;
	} else if (rt->kind == ROUTE_MODELS && !post) {
		if (query_parse_key(qs, qlen, "limit", &lim) != 0 ||
		    query_parse_key(qs, qlen, "offset", &off) != 0 ||
		    valid_paging(&lim, &off, errors, &limit, &offset) != 0)
			goto done;
	} else if (rt->kind == ROUTE_MODELS) {
		size_t npath = json_object_array_length(errors);

		if (check_body(&r, errors, &parsed, &m, &only) != 0)
			goto done;
		/* FastAPI stops at a body that is no JSON: its entry alone. */
		if (only && npath > 0 &&
		    json_object_array_del_idx(errors, 0, npath) != 0)
			goto done;
	}
	if (json_object_array_length(errors) > 0) {
		if (authorized)
			rc = validation_error(errors, resp);
		else
			rc = invalid_input(st, hash, errors, resp);
		errors = NULL;
		goto done;
	}
	switch (rt->kind) {
	case ROUTE_MODEL:
		rc = delete_model(rt, &refs, st, hash, resp);
		break;
	case ROUTE_VERSION:
		rc = read_version(rt, st, hash, resp);
		break;
	default:
		rc = post ? create_version(rt, &m, st, hash, resp) :
		    list_versions(rt, limit, offset, st, hash, sink, resp);
		break;
	}
done:
	keyseen_touch(st, resp->key_id);
	json_object_put(errors);
	json_object_put(parsed);
	body_model_free(&m);
	refs_free(&refs);
	query_free(&q);
	query_free(&lim);
	query_free(&off);
	return rc;
}

void
app_handle(const struct app_config *cfg, const struct request *req,
    struct store *st, const struct app_sink *sink, struct response *resp)
{
	const char *path, *qs, *method = req->method ? req->method : "";
	size_t plen, qlen, pre = strlen(cfg->prefix);
	struct route rt = { 0 };
	char *owned;
	int rc = 0;

	resp_init(resp);
	set_request_id(resp, req->request_id);
	log_set_request(resp->request_id);
	resp->omit_body = strcmp(method, "HEAD") == 0;
	if (request_path(req, &path, &plen, &qs, &qlen, &owned) != 0) {
		resp_internal_error(resp);
		return;
	}

	/* Outside the mount prefix nothing is routed. */
	if (plen < pre || memcmp(path, cfg->prefix, pre) != 0 ||
	    (plen > pre && path[pre] != '/')) {
		resp_static(resp, 404, BODY_NOT_FOUND);
		goto done;
	}
	if (route_match(path + pre, plen - pre, &rt) != 0) {
		rc = -1;
		goto done;
	}
	/* Off the public path: to a client not allowed it, no such route. */
	if (rt.kind == ROUTE_METRICS &&
	    !metrics_allowed(cfg->metrics, req->remote_addr))
		rt.kind = ROUTE_NOT_FOUND;
	resp->route = route_label(rt.kind, method);
	if (rt.kind == ROUTE_NOT_FOUND) {
		resp_static(resp, 404, BODY_NOT_FOUND);
	} else if (rt.trailing > 0) {
		rc = redirect(resp, path, plen - rt.trailing, qs, qlen);
	} else if (!route_allows(&rt, method)) {
		resp->allow = rt.allow;
		resp_static(resp, 405, BODY_NOT_ALLOWED);
	} else if (rt.kind == ROUTE_HEALTH) {
		health(st, resp);
	} else if (rt.kind == ROUTE_OPENAPI) {
		/* Served as stored; no key needed, as FastAPI serves its own. */
		resp_static(resp, 200, (const char *)openapi_json);
	} else if (rt.kind == ROUTE_METRICS) {
		rc = metrics_page(resp);
	} else if (req->body_too_large && (rt.kind == ROUTE_MODEL ||
	    (rt.kind == ROUTE_MODELS && strcmp(method, "POST") == 0))) {
		/* Decided from CONTENT_LENGTH: the body was never read. */
		resp_static(resp, 413, BODY_TOO_LARGE);
	} else {
		rc = api_request(&rt, method, qs, qlen, req, st, sink, resp);
	}
done:
	if (rc != 0)
		resp_internal_error(resp);
	route_free(&rt);
	free(owned);
}
