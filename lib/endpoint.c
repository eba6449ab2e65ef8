#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "metrics.h"
#include "models.h"
#include "openapi.h"

/* Room for every Allow value: a few short methods. */
#define ALLOW_MAX 64

static int
health(const struct endpoint_call *c)
{
	if (c->st->ops->health(c->st->ctx) == STORE_OK)
		resp_static(c->resp, 200, "{\"status\":\"ok\"}");
	else
		resp_static(c->resp, 503, "{\"status\":\"unavailable\"}");
	return 0;
}

/* Served as stored; no key needed, as FastAPI serves its own. */
static int
openapi(const struct endpoint_call *c)
{
	resp_static(c->resp, 200, (const char *)openapi_json);
	return 0;
}

/* The counters, in Prometheus' text format. */
static int
metrics_page(const struct endpoint_call *c)
{
	size_t len;
	char *text = metrics_render(&len);

	if (text == NULL)
		return -1;
	free(c->resp->owned);
	c->resp->status = 200;
	c->resp->body = c->resp->owned = text;
	c->resp->body_len = len;
	c->resp->content_type = METRICS_CONTENT_TYPE;
	return 0;
}

/*
 * The endpoints. HEAD is served only where a row says so, as GET without
 * the body; a route's Allow lists its rows in this order. A new resource
 * adds its rows here and its patterns in lib/route.c.
 */
const struct endpoint endpoints[] = {
	{ .kind = ROUTE_HEALTH, .method = "GET",
	    .label = METRICS_ROUTE_HEALTH, .handle = health },
	{ .kind = ROUTE_HEALTH, .method = "HEAD",
	    .label = METRICS_ROUTE_HEALTH, .handle = health },
	{ .kind = ROUTE_OPENAPI, .method = "GET",
	    .label = METRICS_ROUTE_OPENAPI, .handle = openapi },
	{ .kind = ROUTE_OPENAPI, .method = "HEAD",
	    .label = METRICS_ROUTE_OPENAPI, .handle = openapi },
	{ .kind = ROUTE_METRICS, .method = "GET",
	    .label = METRICS_ROUTE_METRICS, .handle = metrics_page },
	{ .kind = ROUTE_METRICS, .method = "HEAD",
	    .label = METRICS_ROUTE_METRICS, .handle = metrics_page },
	{ .kind = ROUTE_MODELS, .method = "GET", .flags = EP_AUTH | EP_PAGING,
	    .label = METRICS_ROUTE_MODEL_LIST, .handle = models_list },
	{ .kind = ROUTE_MODELS, .method = "POST",
	    .flags = EP_AUTH | EP_BODY | EP_WRITE | EP_MODEL,
	    .label = METRICS_ROUTE_MODEL_CREATE, .handle = models_create },
	{ .kind = ROUTE_MODEL, .method = "DELETE",
	    .flags = EP_AUTH | EP_BODY | EP_WRITE | EP_DIGESTS,
	    .label = METRICS_ROUTE_MODEL_DELETE, .handle = models_delete },
	{ .kind = ROUTE_VERSION, .method = "GET", .flags = EP_AUTH,
	    .label = METRICS_ROUTE_MODEL_READ, .handle = models_read },
};
const size_t endpoint_count = sizeof(endpoints) / sizeof(endpoints[0]);

const struct endpoint *
endpoint_find(enum route_kind kind, const char *method)
{
	for (size_t i = 0; i < endpoint_count; i++)
		if (endpoints[i].kind == kind &&
		    strcmp(endpoints[i].method, method) == 0)
			return &endpoints[i];
	return NULL;
}

static char allow_text[ROUTE_NKINDS][ALLOW_MAX];
static pthread_once_t allow_once = PTHREAD_ONCE_INIT;

/* Joins each kind's methods once; the table never changes after. */
static void
allow_build(void)
{
	for (size_t i = 0; i < endpoint_count; i++) {
		char *a = allow_text[endpoints[i].kind];
		size_t n = strlen(a);

		/* Cut short rather than overflow: the unit tests see it. */
		if (n + 2 + strlen(endpoints[i].method) >= ALLOW_MAX)
			continue;
		if (n > 0) {
			memcpy(a + n, ", ", 2);
			n += 2;
		}
		strcpy(a + n, endpoints[i].method);
	}
}

const char *
endpoint_allow(enum route_kind kind)
{
	if ((unsigned int)kind >= ROUTE_NKINDS ||
	    pthread_once(&allow_once, allow_build) != 0 ||
	    allow_text[kind][0] == '\0')
		return NULL;
	return allow_text[kind];
}

enum metrics_route
endpoint_label(enum route_kind kind, const char *method)
{
	const struct endpoint *e = endpoint_find(kind, method);

	for (size_t i = 0; e == NULL && i < endpoint_count; i++)
		if (endpoints[i].kind == kind)
			e = &endpoints[i];
	return e != NULL ? e->label : METRICS_ROUTE_NOT_FOUND;
}
