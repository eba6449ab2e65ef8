#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "app.h"
#include "auth.h"
#include "log.h"
#include "pct.h"
#include "query.h"
#include "route.h"
#include "validate.h"

#define BODY_NOT_FOUND	"{\"detail\":\"Not Found\"}"
#define BODY_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define BODY_NOT_AUTH	"{\"detail\":\"Not authenticated\"}"
#define BODY_BAD_KEY	"{\"detail\":\"Invalid authentication credentials\"}"
#define BODY_FORBIDDEN	"{\"reason\":\"Forbidden\",\"error_type\":\"Forbidden\"}"
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
		const char *q = strchr(req->request_uri, '?');
		*path = req->request_uri;
		*plen = q ? (size_t)(q - req->request_uri) :
		    strlen(req->request_uri);
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

	if (o == NULL || resp_add(o, "reason", json_object_new_string(reason)) ||
	    resp_add(o, "error_type", json_object_new_string(type))) {
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

/* 422 for a request whose key is live; the key outranks the input. */
static int
invalid_input(struct store *st, const unsigned char *hash,
    struct json_object *errors, struct response *resp)
{
	struct json_object *body;

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
	if ((body = json_object_new_object()) == NULL) {
		json_object_put(errors);
		return -1;
	}
	if (resp_add(body, "detail", errors) != 0) {
		json_object_put(body);
		return -1;
	}
	return resp_json(resp, 422, body);
}

static int
delete_model(const struct route *rt, const struct query *q, struct store *st,
    const unsigned char *hash, struct response *resp)
{
	struct store_delete d = { hash, rt->entity.val, rt->project.val,
	    rt->object_id.val, NULL, 0, resp->request_id };
	struct store_result res = { 0, -1, NULL };
	const char **refs = NULL;
	enum store_status s;
	char reason[512];
	int rc = 0;

	if (q->present) {
		if ((refs = malloc(q->n * sizeof(*refs))) == NULL)
			return -1;
		for (size_t i = 0; i < q->n; i++)
			refs[i] = q->items[i].val;
		d.refs = refs;
		d.nrefs = (unsigned int)q->n;
	}
	s = st->ops->delete_model(st->ctx, &d, &res);
	free(refs);
	resp->key_id = res.key_id;
	switch (s) {
	case STORE_OK: {
		struct json_object *o = json_object_new_object();
		if (o == NULL || resp_add(o, "num_deleted",
		    json_object_new_int64(res.num_deleted))) {
			json_object_put(o);
			rc = -1;
			break;
		}
		resp->num_deleted = res.num_deleted;
		rc = resp_json(resp, 200, o);
		break;
	}
	case STORE_BAD_KEY:
		bad_key(resp);
		break;
	case STORE_FORBIDDEN:
		resp_static(resp, 403, BODY_FORBIDDEN);
		break;
	case STORE_NO_PROJECT:
		snprintf(reason, sizeof(reason), "Project %s/%s not found",
		    rt->entity.val, rt->project.val);
		rc = reason_body(resp, 404, reason, "ProjectNotFound");
		break;
	case STORE_NOT_FOUND:
		rc = res.message ? reason_body(resp, 404, res.message,
		    "NotFoundError") : -1;
		break;
	case STORE_UNAVAILABLE:
		unavailable(resp);
		break;
	default:
		rc = -1;
		break;
	}
	free(res.message);
	return rc;
}

/* Everything after routing for the delete route. */
static int
model_request(const struct route *rt, const char *qs, size_t qlen,
    const struct request *req, struct store *st, struct response *resp)
{
	char key[AUTH_KEY_LEN + 1];
	unsigned char hash[AUTH_HASH_LEN];
	struct json_object *errors;
	struct query q;
	int rc;

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

	if (query_parse(qs, qlen, &q) != 0 || valid_request(rt, &q, &errors)) {
		query_free(&q);
		return -1;
	}
	if (errors != NULL)
		rc = invalid_input(st, hash, errors, resp);
	else
		rc = delete_model(rt, &q, st, hash, resp);
	query_free(&q);
	return rc;
}

void
app_handle(const struct app_config *cfg, const struct request *req,
    struct store *st, struct response *resp)
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
	if (rt.kind == ROUTE_NOT_FOUND) {
		resp_static(resp, 404, BODY_NOT_FOUND);
	} else if (rt.trailing > 0) {
		rc = redirect(resp, path, plen - rt.trailing, qs, qlen);
	} else if (rt.kind == ROUTE_HEALTH) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			health(st, resp);
		else {
			resp->allow = "GET, HEAD";
			resp_static(resp, 405, BODY_NOT_ALLOWED);
		}
	} else if (strcmp(method, "DELETE") != 0) {
		resp->allow = "DELETE";
		resp_static(resp, 405, BODY_NOT_ALLOWED);
	} else {
		rc = model_request(&rt, qs, qlen, req, st, resp);
	}
done:
	if (rc != 0)
		resp_internal_error(resp);
	route_free(&rt);
	free(owned);
}
