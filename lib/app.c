/*
 * The request pipeline, the same for every endpoint: route, 307, 405,
 * 413, authenticate, the path and query checks, the key before any body,
 * the body checks, 422, then the endpoint's handler (lib/endpoint.c). What
 * each step does depends on the endpoint's flags, never on its route.
 */
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "app.h"
#include "auth.h"
#include "endpoint.h"
#include "jsonb.h"
#include "keyseen.h"
#include "log.h"
#include "metrics.h"
#include "models.h"
#include "pct.h"
#include "query.h"
#include "refs.h"
#include "reqid.h"
#include "route.h"
#include "validate.h"

#define BODY_NOT_FOUND	"{\"detail\":\"Not Found\"}"
#define BODY_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define BODY_NOT_AUTH	"{\"detail\":\"Not authenticated\"}"
#define BODY_TOO_LARGE	"{\"reason\":\"Request too large\"," \
			"\"error_type\":\"RequestTooLarge\"}"

/* The raw path and query of a request. */
struct target {
	const char	*path, *qs;
	size_t		 plen, qlen;
};

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
		answer_bad_key(resp);
		return 0;
	case STORE_UNAVAILABLE:
		json_object_put(errors);
		answer_unavailable(resp);
		return 0;
	default:
		json_object_put(errors);
		return -1;
	}
	return validation_error(errors, resp);
}

/* True when the request came with a body, read or still to read. */
static int
has_body(const struct request *req)
{
	return req->read_body != NULL ? req->content_length > 0 :
	    req->body_len > 0;
}

/*
 * Before a body is read: the key must be live and, for an EP_WRITE
 * endpoint, allowed to write to the path's entity (401, 403), so no other
 * client's body is ever read past what the front has delivered, parsed or
 * hashed. With errors in the path or query already, only the key counts,
 * not its role (the 422 outranks the 403, as without a body). Then the
 * body, within its deadline (408). Returns 1 when the request may go on
 * with r's body set, 0 when resp is set, -1 on failure.
 */
static int
authorize_then_read(struct request *r, const struct endpoint *ep,
    const struct route *rt, struct json_object *errors, struct store *st,
    const unsigned char *hash, struct response *resp)
{
	const char *entity = json_object_array_length(errors) == 0 ?
	    rt->entity.val : NULL;
	enum store_status s;
	char *body;
	size_t len;
	int rc;

	/* Without an entity to write to, the key's role is not asked. */
	s = st->ops->authorize(st->ctx, hash, entity,
	    (ep->flags & EP_WRITE) && entity != NULL, &resp->key_id);
	if (s != STORE_OK)
		return answer_store(s, rt, resp, &rc) ? rc : -1;
	if (r->read_body == NULL)
		return 1;
	switch (r->read_body(r->body_ctx, &body, &len)) {
	case APP_BODY_OK:
		r->body = body;
		r->body_len = len;
		return 1;
	case APP_BODY_TIMEOUT:
		log_error("request body not received within its deadline");
		return answer_reason(resp, 408, "Request body not received in "
		    "time", "RequestTimeout") == 0 ? 0 : -1;
	case APP_BODY_BUSY:
		answer_unavailable(resp);
		return 0;
	default:
		return -1;
	}
}

/*
 * The key of the Authorization header, hashed into hash: 1 to go on, 0
 * when resp is set (401).
 */
static int
authenticate(const struct request *req, unsigned char hash[AUTH_HASH_LEN],
    struct response *resp)
{
	char key[AUTH_KEY_LEN + 1];

	switch (auth_parse(req->authorization, key)) {
	case AUTH_MISSING:
		resp->www_authenticate = 1;
		resp_static(resp, 401, BODY_NOT_AUTH);
		return 0;
	case AUTH_INVALID:
		answer_bad_key(resp);
		return 0;
	case AUTH_KEY:
		break;
	}
	auth_hash_key(key, AUTH_KEY_LEN, hash);
	memset(key, 0, sizeof(key));
	return 1;
}

/* What the pipeline checks for a handler, per the endpoint's flags. */
struct input {
	struct json_object	*errors;	/* the 422 entries so far */
	struct query		 q, lim, off;
	struct refs		 refs;		/* EP_DIGESTS */
	long long		 limit, offset;	/* EP_PAGING */
	struct json_object	*parsed;	/* EP_MODEL: the body's JSON */
	struct body_model	 m;		/* EP_MODEL */
};

static void
input_free(struct input *in)
{
	json_object_put(in->errors);
	json_object_put(in->parsed);
	body_model_free(&in->m);
	refs_free(&in->refs);
	query_free(&in->q);
	query_free(&in->lim);
	query_free(&in->off);
}

/* The path parameters, then (EP_DIGESTS) the digests of the query. */
static int
check_path(const struct endpoint *ep, const struct route *rt,
    const struct target *t, struct input *in)
{
	if (ep->flags & EP_DIGESTS) {
		if (query_parse(t->qs, t->qlen, &in->q) != 0 ||
		    valid_request(rt, &in->q, &in->errors) != 0)
			return -1;
	} else if (valid_request(rt, NULL, &in->errors) != 0)
		return -1;
	if (in->errors == NULL && (in->errors = json_object_new_array()) == NULL)
		return -1;
	return 0;
}

/* After the body is read: the rest of the query, and the body. */
static int
check_rest(const struct endpoint *ep, const struct request *r,
    const struct target *t, struct input *in)
{
	size_t npath;
	int only;

	if ((ep->flags & EP_DIGESTS) && refs_check(t->qs, t->qlen, &in->q,
	    r->body, r->body_len, in->errors, &in->refs) != 0)
		return -1;
	if ((ep->flags & EP_PAGING) &&
	    (query_parse_key(t->qs, t->qlen, "limit", &in->lim) != 0 ||
	    query_parse_key(t->qs, t->qlen, "offset", &in->off) != 0 ||
	    valid_paging(&in->lim, &in->off, in->errors, &in->limit,
	    &in->offset) != 0))
		return -1;
	if (ep->flags & EP_MODEL) {
		npath = json_object_array_length(in->errors);
		if (models_check_body(r, in->errors, &in->parsed, &in->m,
		    &only) != 0)
			return -1;
		/* FastAPI stops at a body that is no JSON: its entry alone. */
		if (only && npath > 0 &&
		    json_object_array_del_idx(in->errors, 0, npath) != 0)
			return -1;
	}
	return 0;
}

/* Everything after routing for an EP_AUTH endpoint. */
static int
api_request(const struct endpoint *ep, const struct route *rt,
    const struct target *t, const struct request *req, struct store *st,
    const struct app_sink *sink, struct response *resp)
{
	unsigned char hash[AUTH_HASH_LEN];
	struct request r = *req;
	struct input in = { .limit = -1, .offset = 0 };
	int rc = -1, authorized = 0;

	if (!authenticate(req, hash, resp))
		return 0;
	if (check_path(ep, rt, t, &in) != 0)
		goto done;
	if ((ep->flags & EP_BODY) && has_body(req)) {
		if ((rc = authorize_then_read(&r, ep, rt, in.errors, st, hash,
		    resp)) != 1)
			goto done;
		authorized = 1;
		rc = -1;
	}
	if (check_rest(ep, &r, t, &in) != 0)
		goto done;
	if (json_object_array_length(in.errors) > 0) {
		rc = authorized ? validation_error(in.errors, resp) :
		    invalid_input(st, hash, in.errors, resp);
		in.errors = NULL;
		goto done;
	}
	rc = ep->handle(&(struct endpoint_call){ .rt = rt, .st = st,
	    .hash = hash, .sink = sink, .resp = resp, .refs = &in.refs,
	    .model = &in.m, .limit = in.limit, .offset = in.offset });
done:
	keyseen_touch(st, resp->key_id);
	input_free(&in);
	return rc;
}

/* From the route on: 404, 307, 405, 413, then the endpoint. */
static int
dispatch(const struct route *rt, const char *method, const struct target *t,
    const struct request *req, struct store *st, const struct app_sink *sink,
    struct response *resp)
{
	const struct endpoint *ep = endpoint_find(rt->kind, method);

	if (rt->kind == ROUTE_NOT_FOUND) {
		resp_static(resp, 404, BODY_NOT_FOUND);
		return 0;
	}
	if (rt->trailing > 0)
		return redirect(resp, t->path, t->plen - rt->trailing, t->qs,
		    t->qlen);
	if (ep == NULL) {
		resp->allow = rt->allow;
		resp_static(resp, 405, BODY_NOT_ALLOWED);
		return 0;
	}
	if ((ep->flags & EP_BODY) && req->body_too_large) {
		/* Decided from CONTENT_LENGTH: the body was never read. */
		resp_static(resp, 413, BODY_TOO_LARGE);
		return 0;
	}
	if (ep->flags & EP_AUTH)
		return api_request(ep, rt, t, req, st, sink, resp);
	return ep->handle(&(struct endpoint_call){ .rt = rt, .st = st,
	    .sink = sink, .resp = resp });
}

void
app_handle(const struct app_config *cfg, const struct request *req,
    struct store *st, const struct app_sink *sink, struct response *resp)
{
	const char *method = req->method ? req->method : "";
	size_t pre = strlen(cfg->prefix);
	struct route rt = { .kind = ROUTE_NOT_FOUND };
	struct target t;
	char *owned;
	int rc = 0;

	resp_init(resp);
	app_set_request_id(resp, req->request_id);
	log_set_request(resp->request_id);
	resp->omit_body = strcmp(method, "HEAD") == 0;
	if (request_path(req, &t.path, &t.plen, &t.qs, &t.qlen, &owned) != 0) {
		resp_internal_error(resp);
		return;
	}

	/* Outside the mount prefix nothing is routed. */
	if (t.plen < pre || memcmp(t.path, cfg->prefix, pre) != 0 ||
	    (t.plen > pre && t.path[pre] != '/')) {
		resp_static(resp, 404, BODY_NOT_FOUND);
		goto done;
	}
	if (route_match(t.path + pre, t.plen - pre, &rt) != 0) {
		rc = -1;
		goto done;
	}
	/* Off the public path: to a client not allowed it, no such route. */
	if (rt.kind == ROUTE_METRICS &&
	    !metrics_allowed(cfg->metrics, req->remote_addr))
		rt.kind = ROUTE_NOT_FOUND;
	resp->route = endpoint_label(rt.kind, method);
	rc = dispatch(&rt, method, &t, req, st, sink, resp);
done:
	if (rc != 0)
		resp_internal_error(resp);
	route_free(&rt);
	free(owned);
}
