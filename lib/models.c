#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "jsonb.h"
#include "jparse.h"
#include "log.h"
#include "metrics.h"
#include "models.h"
#include "timefmt.h"
#include "version.h"

/* {"num_deleted": n} */
static int
deleted_body(struct response *resp, long long n)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL || jb_add(o, "num_deleted", json_object_new_int64(n))) {
		json_object_put(o);
		return -1;
	}
	resp->num_deleted = n;
	return resp_json(resp, 200, o);
}

/* What a delete came to: the count, or the store's 404 reason. */
static int
delete_answer(const struct endpoint_call *c, enum store_status s,
    const struct store_result *res)
{
	int rc;

	if (answer_store(s, c->rt, c->resp, &rc))
		return rc;
	if (s == STORE_OK)
		return deleted_body(c->resp, res->num_deleted);
	if (s == STORE_NOT_FOUND && res->message != NULL)
		return answer_reason(c->resp, 404, res->message,
		    "NotFoundError");
	return -1;
}

int
models_delete(const struct endpoint_call *c)
{
	const struct route *rt = c->rt;
	const struct refs *refs = c->refs;
	const struct store_delete d = {
		.key_hash = c->hash, .entity = rt->entity.val,
		.project = rt->project.val, .object_id = rt->object_id.val,
		.refs = refs->given ? refs->v : NULL, .nrefs = refs->n,
		.request_id = c->resp->request_id,
		.refs_from = refs->in_body ? STORE_REFS_BODY : STORE_REFS_QUERY,
	};
	struct store_result res = { .num_deleted = 0, .key_id = -1 };
	enum store_status s;
	int rc;

	s = c->st->ops->delete_model(c->st->ctx, &d, &res);
	c->resp->key_id = res.key_id;
	rc = delete_answer(c, s, &res);
	free(res.message);
	return rc;
}

/* The 404 of a deleted version, with its deletion time. */
static int
deleted_version(struct response *resp, const struct store_version *v)
{
	char reason[1024], when[TIMEFMT_MAX], iso[TIMEFMT_MAX];
	struct json_object *o;

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
	return resp_json(resp, 404, o);
}

/* The read's row callback: the answer is decided by what comes back. */
static int
read_row(void *arg, const struct store_version *v)
{
	struct response *resp = arg;
	char reason[1024];
	char *text;
	size_t len;

	if (v->deleted)
		return deleted_version(resp, v);
	if (!v->has_source) {
		snprintf(reason, sizeof(reason), "Model %s has no source file",
		    v->object_id);
		return answer_reason(resp, 400, reason, "ValueError");
	}
	if ((text = version_render(v, &len)) == NULL)
		return -1;
	free(resp->owned);
	resp->status = 200;
	resp->body = resp->owned = text;
	resp->body_len = len;
	return 0;
}

int
models_read(const struct endpoint_call *c)
{
	const struct route *rt = c->rt;
	struct store_read r = {
		.key_hash = c->hash, .entity = rt->entity.val,
		.project = rt->project.val, .object_id = rt->object_id.val,
		.ref = rt->digest.val,
	};
	enum store_status s;
	char *reason;
	size_t n;
	int rc;

	s = c->st->ops->read_model(c->st->ctx, &r, &c->resp->key_id, read_row,
	    c->resp);
	if (answer_store(s, rt, c->resp, &rc))
		return rc;
	if (s != STORE_NOT_FOUND)
		return s == STORE_OK ? 0 : -1;
	/* Sized to fit: vN may have any number of digits. */
	n = strlen(rt->object_id.val) + rt->digest.len + 32;
	if ((reason = malloc(n)) == NULL)
		return -1;
	snprintf(reason, n, "Obj %s:%s not found", rt->object_id.val,
	    rt->digest.val);
	rc = answer_reason(c->resp, 404, reason, "NotFoundError");
	free(reason);
	return rc;
}

/* Ctx of the list callbacks: everything goes straight to the sink. */
struct list_ctx {
	struct response		*resp;
	const struct app_sink	*sink;
	struct version_cache	 cache;	/* the last source text, escaped */
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

	if ((line = version_render_cached(v, &len, &c->cache)) == NULL)
		return -1;
	/* The text has its NUL where the newline goes. */
	line[len++] = '\n';
	rc = c->sink->write(c->sink->ctx, line, len);
	free(line);
	return rc;
}

int
models_list(const struct endpoint_call *c)
{
	struct store_list l = {
		.key_hash = c->hash, .entity = c->rt->entity.val,
		.project = c->rt->project.val, .limit = c->limit,
		.offset = c->offset,
	};
	struct list_ctx ctx = { .resp = c->resp, .sink = c->sink };
	enum store_status s;
	int started, rc;

	metrics_lists_add(1);
	s = c->st->ops->list_models(c->st->ctx, &l, &c->resp->key_id,
	    list_begin, list_row, &ctx, &started);
	metrics_lists_add(-1);
	version_cache_free(&ctx.cache);
	if (started) {
		/* Nothing can be said any more: the client sees a cut stream. */
		if (s != STORE_OK) {
			log_error("list cut short after it began");
			c->resp->aborted = 1;
		}
		return 0;
	}
	if (answer_store(s, c->rt, c->resp, &rc))
		return rc;
	return -1;
}

int
models_check_body(const struct request *req, struct json_object *errors,
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

/* {"digest", "object_id", "version_index", "model_ref"} of a create. */
static int
created_body(const struct route *rt, const struct body_model *m,
    const char *digest, long long index, struct response *resp)
{
	struct json_object *o;
	char ref[1024];

	snprintf(ref, sizeof(ref), "weave:///%s/%s/object/%s:%s",
	    rt->entity.val, rt->project.val, m->object_id, digest);
	if ((o = json_object_new_object()) == NULL ||
	    jb_add(o, "digest", json_object_new_string(digest)) ||
	    jb_add(o, "object_id", json_object_new_string(m->object_id)) ||
	    jb_add(o, "version_index", json_object_new_int64(index)) ||
	    jb_add(o, "model_ref", json_object_new_string(ref))) {
		json_object_put(o);
		return -1;
	}
	return resp_json(resp, 200, o);
}

int
models_create(const struct endpoint_call *c)
{
	const struct body_model *m = c->model;
	struct version_new v;
	struct store_create cr;
	long long index = -1;
	enum store_status s;
	int rc;

	if (version_prepare(m, &v) != 0)
		return -1;
	cr = (struct store_create){
		.key_hash = c->hash, .entity = c->rt->entity.val,
		.project = c->rt->project.val, .object_id = m->object_id,
		.digest = v.digest, .val = v.val,
		.source_digest = v.source_digest, .source = m->source,
		.source_len = m->source_len,
	};
	s = c->st->ops->create_model(c->st->ctx, &cr, &c->resp->key_id, &index);
	free(v.val);
	if (answer_store(s, c->rt, c->resp, &rc))
		return rc;
	if (s != STORE_OK)
		return -1;
	return created_body(c->rt, m, v.digest, index, c->resp);
}
