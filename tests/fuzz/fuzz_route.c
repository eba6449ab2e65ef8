/*
 * Path splitting, percent-decoding and routing: lib/route.h route_match and
 * lib/pct.h pct_decode / pct_escape on arbitrary bytes, each compared with
 * the reference in ref.h.
 */
#include "pct.h"
#include "ref.h"
#include "route.h"

static void
check_param(const struct route_param *p, const struct ref_route *ref, size_t i,
    const char *path, size_t len)
{
	/* Raw points into the path, holds no '/', decodes to val, never grows. */
	CHECK(p->raw >= path && p->raw + p->raw_len <= path + len);
	CHECK(p->raw == ref->raw[i] && p->raw_len == ref->raw_len[i]);
	CHECK(p->raw_len > 0);
	CHECK(memchr(p->raw, '/', p->raw_len) == NULL);
	CHECK(p->raw[-1] == '/');
	CHECK(p->len <= p->raw_len);
	CHECK(p->len == ref->len[i] && memcmp(p->val, ref->val[i], p->len) == 0);
	CHECK(p->val[p->len] == '\0');
}

static void
check_route(const char *path, size_t len)
{
	struct route r;
	struct ref_route ref;

	CHECK(route_match(path, len, &r) == 0);
	ref_route_match(path, len, &ref);

	CHECK((int)r.kind == (int)ref.kind);
	CHECK(r.trailing <= len);
	if (r.kind == ROUTE_NOT_FOUND) {
		/* No route, no redirect. */
		CHECK(r.trailing == 0);
		CHECK(r.buf == NULL);
	} else {
		CHECK(r.trailing == ref.trailing);
		/* The slashes cut off are slashes, and all of them. */
		for (size_t i = len - r.trailing; i < len; i++)
			CHECK(path[i] == '/');
		CHECK(path[len - r.trailing - 1] != '/');
	}
	if (r.kind == ROUTE_MODELS) {
		CHECK(ref.nseg == 4);
		check_param(&r.entity, &ref, 1, path, len);
		check_param(&r.project, &ref, 2, path, len);
		CHECK(r.object_id.raw == NULL && r.digest.raw == NULL);
		CHECK(strcmp(r.allow, "GET, POST") == 0);
	}
	if (r.kind == ROUTE_VERSION) {
		CHECK(ref.nseg == 7);
		check_param(&r.entity, &ref, 1, path, len);
		check_param(&r.project, &ref, 2, path, len);
		check_param(&r.object_id, &ref, 4, path, len);
		check_param(&r.digest, &ref, 6, path, len);
		CHECK(r.digest.raw + r.digest.raw_len == path + len - r.trailing);
		CHECK(strcmp(r.allow, "GET") == 0);
	}
	if (r.kind == ROUTE_HEALTH || r.kind == ROUTE_OPENAPI ||
	    r.kind == ROUTE_METRICS)
		CHECK(strcmp(r.allow, "GET, HEAD") == 0);
	if (r.kind == ROUTE_MODEL) {
		CHECK(ref.nseg == 5);
		CHECK(strcmp(r.allow, "DELETE") == 0);
		check_param(&r.entity, &ref, 1, path, len);
		check_param(&r.project, &ref, 2, path, len);
		check_param(&r.object_id, &ref, 4, path, len);
		/* The segments follow each other in the path. */
		CHECK(r.entity.raw < r.project.raw);
		CHECK(r.project.raw < r.object_id.raw);
		CHECK(r.object_id.raw + r.object_id.raw_len ==
		    path + len - r.trailing);
	}
	route_free(&r);
	CHECK(r.buf == NULL);
	ref_route_free(&ref);
}

static void
check_pct(const char *in, size_t len)
{
	/* Exactly len bytes, so ASan sees any write past what the API promises. */
	char *out = malloc(len ? len : 1), *esc = malloc(3 * len + 1);

	CHECK(out != NULL && esc != NULL);
	for (int plus = 0; plus <= 1; plus++) {
		size_t n = pct_decode(in, len, out, plus), rn;
		char *ref = ref_unquote(in, len, &rn, plus);

		CHECK(n <= len);
		CHECK(n == rn && memcmp(out, ref, n) == 0);
		free(ref);
	}

	size_t n = pct_escape(in, len, esc), nonprint = 0;
	char *ref = ref_escape(in, len);

	for (size_t i = 0; i < len; i++)
		nonprint += !((unsigned char)in[i] > 0x20 &&
		    (unsigned char)in[i] < 0x7F);
	CHECK(n == len + 2 * nonprint);
	CHECK(esc[n] == '\0' && strlen(esc) == n);
	CHECK(strcmp(esc, ref) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)esc[i] > 0x20 && (unsigned char)esc[i] < 0x7F);
	/* Without a '%' of its own, escaping is undone by decoding. */
	if (memchr(in, '%', len) == NULL) {
		char *back = malloc(n + 1);
		CHECK(back != NULL);
		CHECK(pct_decode(esc, n, back, 0) == len);
		CHECK(memcmp(back, in, len) == 0);
		free(back);
	}
	free(ref);
	free(out);
	free(esc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: reads past the end are caught. */
	char *path = malloc(size ? size : 1);

	CHECK(path != NULL);
	if (size > 0)
		memcpy(path, data, size);
	check_route(path, size);
	check_pct(path, size);
	free(path);
	return 0;
}
