/*
 * The route and endpoint tables (lib/route.c, lib/endpoint.c): every row
 * reachable, Allow built from the rows, and a 405 naming them for every
 * method a route does not serve.
 */
#include <stdlib.h>

#include "app.h"
#include "endpoint.h"
#include "route.h"
#include "t.h"

#define B_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"

/* What each route serves, as clients have always seen it. */
static const struct {
	enum route_kind	 kind;
	const char	*allow;
} allows[] = {
	{ .kind = ROUTE_NOT_FOUND, .allow = NULL },
	{ .kind = ROUTE_MODEL, .allow = "DELETE" },
	{ .kind = ROUTE_MODELS, .allow = "GET, POST" },
	{ .kind = ROUTE_VERSION, .allow = "GET" },
	{ .kind = ROUTE_HEALTH, .allow = "GET, HEAD" },
	{ .kind = ROUTE_OPENAPI, .allow = "GET, HEAD" },
	{ .kind = ROUTE_METRICS, .allow = "GET, HEAD" },
};

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
	"CONNECT", "BREW", "get", "Delete", "", "GET, HEAD",
};

/* A path of pattern: "/" and each ":name" segment made "x". */
static void
concrete(const char *pattern, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 2 < size; ) {
		size_t len = strcspn(p, "/");

		out[n++] = '/';
		if (*p == ':')
			out[n++] = 'x';
		else {
			if (n + len >= size)
				break;
			memcpy(out + n, p, len);
			n += len;
		}
		p += len + (p[len] == '/');
	}
	out[n] = '\0';
}

/* True when pattern has the segment ":name". */
static int
has_param(const char *pattern, const char *name)
{
	char seg[64];

	snprintf(seg, sizeof(seg), ":%s", name);
	for (const char *p = strstr(pattern, seg); p; p = strstr(p + 1, seg))
		if (p[strlen(seg)] == '/' || p[strlen(seg)] == '\0')
			return 1;
	return 0;
}

/* Each pattern's path routes to its kind, with its parameters only. */
static void
patterns_route(void)
{
	for (size_t i = 0; i < route_npatterns; i++) {
		const char *pat = route_patterns[i].pattern;
		char path[256], label[320];
		struct route r;

		concrete(pat, path, sizeof(path));
		snprintf(label, sizeof(label), "pattern %s: %s", pat, path);
		T_INT(label, 0, route_match(path, strlen(path), &r));
		T_INT(label, route_patterns[i].kind, r.kind);
		T_INT(label, 0, r.trailing);
		T_INT(label, has_param(pat, "entity"), r.entity.raw != NULL);
		T_INT(label, has_param(pat, "project"), r.project.raw != NULL);
		T_INT(label, has_param(pat, "object_id"),
		    r.object_id.raw != NULL);
		T_INT(label, has_param(pat, "digest"), r.digest.raw != NULL);
		route_free(&r);
	}
}

/* The Allow of kind as the rows give it, joined here independently. */
static void
rows_allow(enum route_kind kind, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < endpoint_count; i++) {
		if (endpoints[i].kind != kind)
			continue;
		if (out[0] != '\0')
			strncat(out, ", ", size - strlen(out) - 1);
		strncat(out, endpoints[i].method, size - strlen(out) - 1);
	}
}

/* Allow per route: today's bytes, and what the rows say. */
static void
allow_from_table(void)
{
	for (size_t i = 0; i < T_LEN(allows); i++) {
		char label[64], joined[128];

		snprintf(label, sizeof(label), "endpoint_allow(kind %d)",
		    allows[i].kind);
		T_STR(label, allows[i].allow, endpoint_allow(allows[i].kind));
		rows_allow(allows[i].kind, joined, sizeof(joined));
		T_STR(label, joined[0] ? joined : NULL,
		    endpoint_allow(allows[i].kind));
	}
	for (size_t i = 0; i < route_npatterns; i++) {
		char path[256], label[320];
		struct route r;

		concrete(route_patterns[i].pattern, path, sizeof(path));
		snprintf(label, sizeof(label), "route_match(%s) allow", path);
		route_match(path, strlen(path), &r);
		T_STR(label, endpoint_allow(route_patterns[i].kind), r.allow);
		route_free(&r);
	}
}

/* The concrete path of kind's first pattern, or 0 when none has it. */
static int
path_of(enum route_kind kind, char *path, size_t size)
{
	for (size_t i = 0; i < route_npatterns; i++)
		if (route_patterns[i].kind == kind) {
			concrete(route_patterns[i].pattern, path, size);
			return 1;
		}
	return 0;
}

/*
 * Every row is reached: a pattern routes to its kind and no earlier row
 * takes its method; its checks run only behind a key (the pipeline runs
 * them for EP_AUTH endpoints alone).
 */
static void
rows_reachable(void)
{
	const unsigned int checks = EP_BODY | EP_WRITE | EP_DIGESTS |
	    EP_PAGING | EP_MODEL;

	for (size_t i = 0; i < endpoint_count; i++) {
		const struct endpoint *e = &endpoints[i];
		char path[256], label[320];
		struct route r;

		snprintf(label, sizeof(label), "endpoint row %zu (%d %s)", i,
		    e->kind, e->method);
		T_INT(label, 1, path_of(e->kind, path, sizeof(path)));
		route_match(path, strlen(path), &r);
		T_INT(label, e->kind, r.kind);
		T_INT(label, 1, route_allows(&r, e->method));
		T_INT(label, 1, endpoint_find(e->kind, e->method) == e);
		T_INT(label, e->label, endpoint_label(e->kind, e->method));
		T_INT(label, 1, e->handle != NULL);
		T_INT(label, 1, (e->flags & checks) == 0 ||
		    (e->flags & EP_AUTH) != 0);
		route_free(&r);
	}
}

/* The first row of kind: the label of a method it does not serve. */
static enum metrics_route
first_label(enum route_kind kind)
{
	for (size_t i = 0; i < endpoint_count; i++)
		if (endpoints[i].kind == kind)
			return endpoints[i].label;
	return METRICS_ROUTE_NOT_FOUND;
}

/* True when method is one of allow's ", "-separated items. */
static int
listed(const char *allow, const char *method)
{
	size_t n = strlen(method);

	for (const char *p = allow; n > 0 && (p = strstr(p, method)); p++)
		if ((p == allow || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* One request of a method route does not serve: 405, before any store. */
static void
not_allowed(const char *path, const char *method, const char *allow,
    enum metrics_route label)
{
	struct app_config cfg = { .prefix = "", .metrics = METRICS_ALL };
	struct request req = { .method = method, .request_uri = path };
	struct store st = { .ops = NULL, .ctx = NULL };	/* never touched */
	struct response resp;
	char what[320];

	snprintf(what, sizeof(what), "%s %s", method, path);
	app_handle(&cfg, &req, &st, NULL, &resp);
	T_INT(what, 405, resp.status);
	T_MEM(what, B_NOT_ALLOWED, strlen(B_NOT_ALLOWED), resp.body,
	    resp.body ? resp.body_len : 0);
	T_STR(what, allow, resp.allow);
	T_INT(what, label, resp.route);
	T_INT(what, 0, resp.www_authenticate);
	resp_free(&resp);
}

static void
unknown_methods(void)
{
	for (size_t k = 0; k < T_LEN(allows); k++) {
		char path[256];

		if (!path_of(allows[k].kind, path, sizeof(path)))
			continue;
		for (size_t m = 0; m < T_LEN(methods); m++)
			if (!listed(allows[k].allow, methods[m]))
				not_allowed(path, methods[m], allows[k].allow,
				    first_label(allows[k].kind));
	}
}

void
test_endpoint(void)
{
	patterns_route();
	allow_from_table();
	rows_reachable();
	unknown_methods();
}
