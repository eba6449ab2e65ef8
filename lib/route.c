#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "pct.h"
#include "route.h"

/*
 * More segments than the longest pattern has is no route (a longer pattern
 * would never match: tests/unit/test_endpoint.c routes every pattern).
 */
#define MAX_SEGMENTS 7

/* The routes; a new resource adds its rows here. */
const struct route_pattern route_patterns[] = {
	{ .pattern = "health", .kind = ROUTE_HEALTH },
	{ .pattern = "openapi.json", .kind = ROUTE_OPENAPI },
	{ .pattern = "metrics", .kind = ROUTE_METRICS },
	{ .pattern = "v2/:entity/:project/models", .kind = ROUTE_MODELS },
	{ .pattern = "v2/:entity/:project/models/:object_id",
	    .kind = ROUTE_MODEL },
	{ .pattern = "v2/:entity/:project/models/:object_id/versions/:digest",
	    .kind = ROUTE_VERSION },
};
const size_t route_npatterns =
    sizeof(route_patterns) / sizeof(route_patterns[0]);

/* Where a pattern's ":name" goes in struct route. */
static const struct {
	const char	*name;
	size_t		 offset;
} params[] = {
	{ .name = "entity", .offset = offsetof(struct route, entity) },
	{ .name = "project", .offset = offsetof(struct route, project) },
	{ .name = "object_id", .offset = offsetof(struct route, object_id) },
	{ .name = "digest", .offset = offsetof(struct route, digest) },
};

/* The field of r that the parameter name[0..len) names, or NULL. */
static struct route_param *
param_field(struct route *r, const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (strlen(params[i].name) == len &&
		    memcmp(params[i].name, name, len) == 0)
			return (struct route_param *)((char *)r +
			    params[i].offset);
	return NULL;
}

/*
 * True when the decoded segments seg[0..nseg) fit pattern; then, when r is
 * not NULL, stores each ":name" segment in its field of r.
 */
static int
pattern_fits(const char *pattern, const struct route_param *seg,
    size_t nseg, struct route *r)
{
	const char *p = pattern;
	size_t i, n;

	for (i = 0; i < nseg; i++, p += n + 1) {
		n = strcspn(p, "/");
		if (*p == ':') {
			struct route_param *f = r == NULL ? NULL :
			    param_field(r, p + 1, n - 1);
			if (f != NULL)
				*f = seg[i];
		} else if (seg[i].len != n || memcmp(seg[i].val, p, n) != 0)
			return 0;
		if (p[n] == '\0')
			return i + 1 == nseg;
	}
	return 0;
}

/* True when some pattern has nseg segments: only then is a path decoded. */
static int
some_pattern_has(size_t nseg)
{
	for (size_t i = 0; i < route_npatterns; i++) {
		size_t n = 1;

		for (const char *p = route_patterns[i].pattern; *p; p++)
			n += *p == '/';
		if (n == nseg)
			return 1;
	}
	return 0;
}

/* The route's kind and parameters from the first pattern that fits. */
static void
match_patterns(const struct route_param *seg, size_t nseg, struct route *r)
{
	for (size_t i = 0; i < route_npatterns; i++) {
		if (!pattern_fits(route_patterns[i].pattern, seg, nseg, NULL))
			continue;
		pattern_fits(route_patterns[i].pattern, seg, nseg, r);
		r->kind = route_patterns[i].kind;
		r->allow = endpoint_allow(r->kind);
		return;
	}
}

int
route_match(const char *path, size_t len, struct route *r)
{
	struct route_param seg[MAX_SEGMENTS];
	size_t end = len, nseg = 0, start, o = 0;

	memset(r, 0, sizeof(*r));
	r->kind = ROUTE_NOT_FOUND;
	if (len == 0 || path[0] != '/')
		return 0;
	while (end > 1 && path[end - 1] == '/')
		end--;
	if (end == 1)
		return 0;

	/* Split path[1..end) on '/'; any empty segment means no route. */
	start = 1;
	for (size_t i = 1; i <= end; i++) {
		if (i < end && path[i] != '/')
			continue;
		if (i == start || nseg == MAX_SEGMENTS)
			return 0;
		seg[nseg].raw = path + start;
		seg[nseg].raw_len = i - start;
		nseg++;
		start = i + 1;
	}
	if (!some_pattern_has(nseg))
		return 0;

	if ((r->buf = malloc(end)) == NULL)
		return -1;
	/* The raw segments plus one NUL each take exactly `end` bytes. */
	for (size_t i = 0; i < nseg; i++) {
		seg[i].val = r->buf + o;
		seg[i].len = pct_decode(seg[i].raw, seg[i].raw_len, r->buf + o, 0);
		o += seg[i].len;
		r->buf[o++] = '\0';
	}
	match_patterns(seg, nseg, r);
	if (r->kind == ROUTE_NOT_FOUND) {
		free(r->buf);
		r->buf = NULL;
	} else
		r->trailing = len - end;
	return 0;
}

int
route_allows(const struct route *r, const char *method)
{
	return endpoint_find(r->kind, method) != NULL;
}

void
route_free(struct route *r)
{
	free(r->buf);
	r->buf = NULL;
}
