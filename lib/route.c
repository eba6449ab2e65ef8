#include <stdlib.h>
#include <string.h>

#include "pct.h"
#include "route.h"

#define MAX_SEGMENTS 7

static int
seg_is(const struct route_param *p, const char *lit)
{
	size_t n = strlen(lit);
	return p->len == n && memcmp(p->val, lit, n) == 0;
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
	if (nseg != 1 && nseg != 4 && nseg != 5 && nseg != 7)
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

	if (nseg == 1 && seg_is(&seg[0], "health")) {
		r->kind = ROUTE_HEALTH;
		r->allow = "GET, HEAD";
	} else if (nseg == 1 && seg_is(&seg[0], "openapi.json")) {
		r->kind = ROUTE_OPENAPI;
		r->allow = "GET, HEAD";
	} else if (nseg == 1 && seg_is(&seg[0], "metrics")) {
		r->kind = ROUTE_METRICS;
		r->allow = "GET, HEAD";
	} else if (nseg >= 4 && seg_is(&seg[0], "v2") &&
	    seg_is(&seg[3], "models")) {
		r->entity = seg[1];
		r->project = seg[2];
		if (nseg == 4) {
			r->kind = ROUTE_MODELS;
			r->allow = "GET, POST";
		} else if (nseg == 5) {
			r->kind = ROUTE_MODEL;
			r->allow = "DELETE";
			r->object_id = seg[4];
		} else if (seg_is(&seg[5], "versions")) {
			r->kind = ROUTE_VERSION;
			r->allow = "GET";
			r->object_id = seg[4];
			r->digest = seg[6];
		}
	}
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
	size_t n = strlen(method);

	/* allow is ", "-separated; a method matches a whole item. */
	for (const char *p = r->allow; p != NULL && *p; ) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && n > 0 && memcmp(p, method, n) == 0)
			return 1;
		p = end ? end + 2 : p + len;
	}
	return 0;
}

void
route_free(struct route *r)
{
	free(r->buf);
	r->buf = NULL;
}
