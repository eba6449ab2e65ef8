#ifndef VERSION_H
#define VERSION_H
#include <stddef.h>

#include "body.h"
#include "canon.h"
#include "store.h"

/*
 * The six keys of the stored value's fixed part (a Weave Model's reserved
 * keys), in their stored order; the rest of a value are its attributes.
 */
#define VERSION_RESERVED 6
extern const char *const version_reserved[VERSION_RESERVED];

/* What a create writes, derived from a checked body (section 9.1). */
struct version_new {
	char	 source_digest[CANON_DIGEST_SIZE];	/* digest of source_code's bytes */
	char	 digest[CANON_DIGEST_SIZE];		/* digest of the stored value */
	char	*val;			/* the stored value, compact, malloc'd */
};

/*
 * Builds the stored value of m and its digests into out (free out->val):
 * {"_type":"Model","_class_name":"Model","_bases":["Object","BaseModel"],
 * "name":N,"description":D,"files":{"obj.py":source_digest}} followed by
 * the attributes keys in the order sent (section 9.1 key order). Returns
 * 0, or -1 when out of memory.
 */
int version_prepare(const struct body_model *m, struct version_new *out);

/*
 * Renders a version as the read rules (README, lib/openapi.json) object, compact, as
 * FastAPI renders it: object_id, digest, version_index, created_at, name,
 * description, source_code, attributes. name, description and attributes
 * come from the stored value (a value without a string name reads with the
 * object id; without a string description, null; attributes are the value
 * without its six reserved keys, null when none is left or the value is
 * no object); source_code is "" when the version has none. Returns a
 * malloc'd text and its length in *len, or NULL when out of memory.
 */
char *version_render(const struct store_version *v, size_t *len);

/*
 * The last source text a list rendered, escaped: a list's versions mostly
 * share one, and escaping it again was the largest cost of a line. Texts
 * over VERSION_CACHE_MAX are escaped each time instead (the escaped copy
 * can be 6 times the text). Zero-initialized before the first use.
 */
#define VERSION_CACHE_MAX 65536
struct version_cache {
	char	*source;	/* a copy of the text */
	size_t	 source_len;
	char	*escaped;	/* its JSON string token */
	size_t	 escaped_len;
};

/* version_render, with the source's escaped token taken from cache. */
char *version_render_cached(const struct store_version *v, size_t *len,
    struct version_cache *cache);
void version_cache_free(struct version_cache *c);

/*
 * version_render's fast path alone, which splices the text of a value this
 * service stored without parsing it: the same text, or NULL with *len 0 when
 * the value has another shape (version_render then parses it), NULL with
 * *len 1 when out of memory. Public so that a test can tell that a created
 * value takes it.
 */
char *version_render_spliced(const struct store_version *v, size_t *len);

#endif
