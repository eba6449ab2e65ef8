#ifndef ROUTE_H
#define ROUTE_H
#include <stddef.h>

enum route_kind {
	ROUTE_NOT_FOUND,
	ROUTE_MODEL,	/* /v2/{entity}/{project}/models/{object_id} */
	ROUTE_MODELS,	/* /v2/{entity}/{project}/models */
	ROUTE_VERSION,	/* .../models/{object_id}/versions/{digest} */
	ROUTE_HEALTH,	/* /health */
	ROUTE_OPENAPI,	/* /openapi.json */
	ROUTE_METRICS,	/* /metrics */
	ROUTE_NKINDS
};

/*
 * One row of the route table: a path pattern (no leading '/') and its
 * kind. A literal segment matches itself once percent-decoded; ":name"
 * matches any one segment and lands in the struct route field of that name
 * (entity, project, object_id or digest).
 */
struct route_pattern {
	const char	*pattern;
	enum route_kind	 kind;
};

extern const struct route_pattern route_patterns[];
extern const size_t route_npatterns;

/* One path parameter: as sent, and percent-decoded. */
struct route_param {
	const char	*raw;	/* points into the matched path */
	size_t		 raw_len;
	const char	*val;	/* points into route.buf, NUL-terminated */
	size_t		 len;
};

struct route {
	enum route_kind	 kind;
	size_t		 trailing;	/* trailing slashes cut off: > 0 means 307 */
	const char	*allow;		/* the path's methods, for 405 (static) */
	struct route_param entity, project, object_id, digest;
	char		*buf;		/* holds the decoded segments */
};

/* True when an endpoint serves method on r's route (lib/endpoint.h). */
int route_allows(const struct route *r, const char *method);

/*
 * Matches a raw request path (no query, no mount prefix) against the routes:
 * splits on '/' first, then percent-decodes each segment, so "%2F" inside a
 * segment never splits it and literal segments match after decoding. An
 * empty segment is no route. The first pattern that fits wins; a parameter
 * the pattern has not is left zeroed (raw NULL). Returns 0, or -1 when out
 * of memory; r must be
 * released with route_free either way.
 */
int route_match(const char *path, size_t len, struct route *r);

void route_free(struct route *r);

#endif
