#include <stdlib.h>

#include "route.h"
#include "t.h"

#define NF ROUTE_NOT_FOUND
#define MODEL ROUTE_MODEL
#define HEALTH ROUTE_HEALTH
#define OPENAPI ROUTE_OPENAPI
#define METRICS ROUTE_METRICS
#define MODELS ROUTE_MODELS
#define VERSION ROUTE_VERSION

/*
 * Decoded params are compared for the routes that have them; raw only when
 * given.
 */
struct route_case {
	const char	*path;
	enum route_kind	 kind;
	size_t		 trailing;
	const char	*entity, *project, *object_id;
	const char	*raw_object_id;
};

static const struct route_case cases[] = {
	{ "/v2/e/p/models/m", MODEL, 0, "e", "p", "m", "m" },
	{ "/health", HEALTH, 0, NULL, NULL, NULL, NULL },
	{ "/openapi.json", OPENAPI, 0, NULL, NULL, NULL, NULL },
	{ "/openapi.json/", OPENAPI, 1, NULL, NULL, NULL, NULL },
	{ "/%6fpenapi%2Ejson", OPENAPI, 0, NULL, NULL, NULL, NULL },
	{ "/openapi.json%2F", NF, 0, NULL, NULL, NULL, NULL },
	{ "/openapi", NF, 0, NULL, NULL, NULL, NULL },
	{ "/openapi.JSON", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/openapi.json", NF, 0, NULL, NULL, NULL, NULL },
	{ "//openapi.json", NF, 0, NULL, NULL, NULL, NULL },
	{ "/metrics", METRICS, 0, NULL, NULL, NULL, NULL },
	{ "/%6detrics", METRICS, 0, NULL, NULL, NULL, NULL },
	{ "/metrics/", METRICS, 1, NULL, NULL, NULL, NULL },
	{ "/metrics/x", NF, 0, NULL, NULL, NULL, NULL },
	{ "/metric", NF, 0, NULL, NULL, NULL, NULL },
	{ "/Metrics", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models", MODELS, 0, "e", "p", NULL, NULL },
	{ "/v2/e/p/models/", MODELS, 1, "e", "p", NULL, NULL },
	{ "/v2/e/p/models/m/versions/v1", VERSION, 0, "e", "p", "m", "m" },
	{ "/v2/%65/p/%6dodels/m%2F/%76ersions/%6Catest/", VERSION, 1, "e", "p",
	    "m/", "m%2F" },
	/* Split first, then decode: "%2F" stays inside its segment. */
	{ "/v2/e/p/models/m%2Fx", MODEL, 0, "e", "p", "m/x", "m%2Fx" },
	{ "/v2/e%2Fe/p%2f/models/%2F", MODEL, 0, "e/e", "p/", "/", "%2F" },
	/* Literal segments match after decoding. */
	{ "/v2/e/p/%6Dodels/m", MODEL, 0, "e", "p", "m", "m" },
	{ "/%762/e/p/models/m", MODEL, 0, "e", "p", "m", "m" },
	{ "/%68ealth", HEALTH, 0, NULL, NULL, NULL, NULL },
	{ "/%68%65%61%6c%74%68", HEALTH, 0, NULL, NULL, NULL, NULL },
	/* Params are decoded once, '+' is not a space, bad escapes stay. */
	{ "/v2/%65/%2570/models/a+b", MODEL, 0, "e", "%70", "a+b", "a+b" },
	{ "/v2/e/p/models/%G1%", MODEL, 0, "e", "p", "%G1%", "%G1%" },
	{ "/v2/e/p/models/%C3%A9", MODEL, 0, "e", "p", "\xc3\xa9", "%C3%A9" },
	{ "/v2/e/p/models/%FF", MODEL, 0, "e", "p", "\xff", "%FF" },
	{ "/v2/e/p/models/.", MODEL, 0, "e", "p", ".", "." },
	/* A decoded '/' in a literal segment is no match. */
	{ "/health%2F", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models%2Fm", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2%2Fe/p/models/m/x", NF, 0, NULL, NULL, NULL, NULL },
	/* Trailing slashes are cut and counted; the route still matches. */
	{ "/v2/e/p/models/m/", MODEL, 1, "e", "p", "m", "m" },
	{ "/v2/e/p/models/m///", MODEL, 3, "e", "p", "m", "m" },
	{ "/health/", HEALTH, 1, NULL, NULL, NULL, NULL },
	{ "/health//", HEALTH, 2, NULL, NULL, NULL, NULL },
	/* Empty segments anywhere are no route. */
	{ "//health", NF, 0, NULL, NULL, NULL, NULL },
	{ "//v2/e/p/models/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2//e/p/models/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e//models/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p//m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models//m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models//", MODELS, 2, "e", "p", NULL, NULL },
	{ "/v2//p/models/m/", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/versions//", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models//versions/v1", NF, 0, NULL, NULL, NULL, NULL },
	/* Nothing, the root, and paths without a leading '/'. */
	{ "", NF, 0, NULL, NULL, NULL, NULL },
	{ "/", NF, 0, NULL, NULL, NULL, NULL },
	{ "//", NF, 0, NULL, NULL, NULL, NULL },
	{ "health", NF, 0, NULL, NULL, NULL, NULL },
	{ "v2/e/p/models/m", NF, 0, NULL, NULL, NULL, NULL },
	/* Wrong segment count or literals. */
	{ "/v2/e/p/model", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/versions", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/version/v1", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/versions/v1/x", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/x", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/x/", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/models/m/x/y", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v1/e/p/models/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/V2/e/p/models/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/model/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/Models/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2/e/p/objects/m", NF, 0, NULL, NULL, NULL, NULL },
	{ "/Health", NF, 0, NULL, NULL, NULL, NULL },
	{ "/healthz", NF, 0, NULL, NULL, NULL, NULL },
	{ "/health/x", NF, 0, NULL, NULL, NULL, NULL },
	{ "/v2", NF, 0, NULL, NULL, NULL, NULL },
};

static void
check_param(const char *label, const char *name, const char *want,
    const struct route_param *p)
{
	char what[256];

	snprintf(what, sizeof(what), "%s %s", label, name);
	T_MEM(what, want, strlen(want), p->val, p->len);
	/* Callers use val as a C string too. */
	T_INT(what, strlen(want), p->val ? strlen(p->val) : 0);
}

static void
run(const struct route_case *c)
{
	struct route r;
	char label[256];
	int rc;

	snprintf(label, sizeof(label), "route_match(\"%s\")", c->path);
	rc = route_match(c->path, strlen(c->path), &r);
	T_INT(label, 0, rc);
	T_INT(label, c->kind, r.kind);
	if (c->kind != NF)
		T_INT(label, c->trailing, r.trailing);
	if (c->kind != NF && c->kind != HEALTH && c->kind != OPENAPI &&
	    c->kind != METRICS &&
	    r.kind == c->kind) {
		check_param(label, "entity", c->entity, &r.entity);
		check_param(label, "project", c->project, &r.project);
	}
	if ((c->kind == MODEL || c->kind == VERSION) && r.kind == c->kind) {
		check_param(label, "object_id", c->object_id, &r.object_id);
		T_MEM(label, c->raw_object_id, strlen(c->raw_object_id),
		    r.object_id.raw, r.object_id.raw_len);
	}

	route_free(&r);
}

void
test_route(void)
{
	for (size_t i = 0; i < T_LEN(cases); i++)
		run(&cases[i]);

	/* The length bounds the path: what follows it is not read. */
	{
		const char *s = "/healthy";
		struct route r;

		T_INT("route_match(\"/healthy\", 7)", 0,
		    route_match(s, 7, &r));
		T_INT("route_match(\"/healthy\", 7)", HEALTH, r.kind);
		route_free(&r);
	}
	/* A version's reference, decoded like the other params. */
	{
		const char *s = "/v2/e/p/models/m/versions/%6Catest%2F";
		struct route r;

		route_match(s, strlen(s), &r);
		check_param("route_match(...versions/%6Catest%2F)", "digest",
		    "latest/", &r.digest);
		T_MEM("route_match(...versions/%6Catest%2F) digest.raw",
		    "%6Catest%2F", 11, r.digest.raw, r.digest.raw_len);
		route_free(&r);
	}
	/* Each route names its methods; HEAD is /health's and the document's. */
	{
		static const struct { const char *path, *method; int ok; } m[] = {
			{ "/health", "GET", 1 }, { "/health", "HEAD", 1 },
			{ "/openapi.json", "GET", 1 },
			{ "/openapi.json", "HEAD", 1 },
			{ "/openapi.json", "POST", 0 },
			{ "/openapi.json", "OPTIONS", 0 },
			{ "/health", "GE", 0 }, { "/health", "POST", 0 },
			{ "/metrics", "GET", 1 }, { "/metrics", "HEAD", 1 },
			{ "/metrics", "POST", 0 }, { "/metrics", "get", 0 },
			{ "/v2/e/p/models", "GET", 1 },
			{ "/v2/e/p/models", "POST", 1 },
			{ "/v2/e/p/models", "HEAD", 0 },
			{ "/v2/e/p/models", "", 0 },
			{ "/v2/e/p/models", "GET, POST", 0 },
			{ "/v2/e/p/models/m", "DELETE", 1 },
			{ "/v2/e/p/models/m", "delete", 0 },
			{ "/v2/e/p/models/m/versions/v1", "GET", 1 },
			{ "/v2/e/p/models/m/versions/v1", "HEAD", 0 },
			{ "/nothing", "GET", 0 },
		};
		for (size_t i = 0; i < T_LEN(m); i++) {
			struct route r;
			char label[128];

			snprintf(label, sizeof(label), "route_allows(%s, %s)",
			    m[i].path, m[i].method);
			route_match(m[i].path, strlen(m[i].path), &r);
			T_INT(label, m[i].ok, route_allows(&r, m[i].method));
			route_free(&r);
		}
	}
	/* raw points into the given path, so the caller can echo it as sent. */
	{
		const char *s = "/v2/%65/p/models/m";
		struct route r;

		route_match(s, strlen(s), &r);
		T_INT("route_match(\"/v2/%65/p/models/m\") entity.raw offset",
		    4, r.entity.raw - s);
		T_INT("route_match(\"/v2/%65/p/models/m\") entity.raw_len",
		    3, r.entity.raw_len);
		route_free(&r);
	}
}
