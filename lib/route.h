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
	ROUTE_METRICS	/* /metrics */
};

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
	const char	*allow;		/* the path's methods, for 405 */
	struct route_param entity, project, object_id, digest;
	char		*buf;		/* holds the decoded segments */
};

/* True when method is one of r->allow's. */
int route_allows(const struct route *r, const char *method);

/*
 * Matches a raw request path (no query, no mount prefix) against the routes:
 * splits on '/' first, then percent-decodes each segment, so "%2F" inside a
 * segment never splits it and literal segments match after decoding. An
 * empty segment is no route. Returns 0, or -1 when out of memory; r must be
 * released with route_free either way.
 */
int route_match(const char *path, size_t len, struct route *r);

void route_free(struct route *r);

#endif
