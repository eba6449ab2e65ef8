#ifndef REFS_H
#define REFS_H
#include <stddef.h>

#include <json-c/json.h>

#include "query.h"

/*
 * The versions a DELETE names. Weave's open-source router reads them from
 * a JSON body (a bare array, or null), its deployed spec from repeated
 * `digests` query keys; both are taken, never both at once.
 */
struct refs {
	int			 given;		/* 0: every version */
	int			 in_body;	/* given in the body, not the query */
	const char		**v;		/* the n references, NUL-terminated */
	unsigned int		 n;
	struct json_object	*body;		/* the parsed body, or NULL */
};

/*
 * Checks what a delete sends besides its path and its `digests` query q,
 * whose entries are in errors already: first every other query key of qs
 * (extra_forbidden, in order of first appearance), then the body
 * buf[0..len), read as JSON whatever its Content-Type: empty or null is no
 * body; otherwise valid_body_refs's rules. A body that is no JSON leaves
 * its json_invalid entry alone in errors, as FastAPI stops there. Appends
 * the entries; r names the references to delete (the body's, q's, or
 * none) and is only meaningful when errors stayed empty. Returns 0, or -1
 * when out of memory; r must be released with refs_free either way, and
 * q must outlive it.
 */
int refs_check(const char *qs, size_t qlen, const struct query *q,
    const char *buf, size_t len, struct json_object *errors,
    struct refs *r);

void refs_free(struct refs *r);

#endif
