#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "jparse.h"
#include "refs.h"
#include "validate.h"

/* Points r at the n references of the body or of q; -1: out of memory. */
static int
refs_set(struct refs *r, int in_body, size_t n, const struct query *q)
{
	/* One more, so an empty list is still a list, not "every version". */
	if ((r->v = calloc(n + 1, sizeof(*r->v))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		r->v[i] = in_body ? json_object_get_string(
		    json_object_array_get_idx(r->body, i)) : q->items[i].val;
	r->n = (unsigned int)n;
	r->given = 1;
	r->in_body = in_body;
	return 0;
}

/* Leaves the json_invalid entry alone in errors: FastAPI stops there. */
static int
only_json_invalid(struct json_object *errors, const struct jparse_error *err)
{
	size_t n = json_object_array_length(errors);

	if (n > 0 && json_object_array_del_idx(errors, 0, n) != 0)
		return -1;
	return body_err_json_invalid(errors, err->pos, err->text);
}

int
refs_check(const char *qs, size_t qlen, const struct query *q,
    const char *buf, size_t len, struct json_object *errors,
    struct refs *r)
{
	struct query_keys extra;
	struct jparse_error err;
	int rc, ok;

	memset(r, 0, sizeof(*r));
	/* A misspelt digests must not read as "every version". */
	rc = query_other_keys(qs, qlen, "digests", &extra) != 0 ||
	    valid_extra_keys(&extra, errors) != 0 ? -1 : 0;
	query_keys_free(&extra);
	if (rc != 0)
		return -1;

	if (len > 0) {
		switch (jparse(buf, len, &r->body, &err)) {
		case JPARSE_NOMEM:
			return -1;
		case JPARSE_INVALID:
			return only_json_invalid(errors, &err);
		case JPARSE_OK:
			break;
		}
	}
	/* JSON null: as if there were no body. */
	if (r->body == NULL)
		return q->present ? refs_set(r, 0, q->n, q) : 0;
	if (valid_body_refs(r->body, q->present, errors, &ok) != 0)
		return -1;
	return ok ? refs_set(r, 1, json_object_array_length(r->body), q) : 0;
}

void
refs_free(struct refs *r)
{
	free(r->v);
	json_object_put(r->body);
	memset(r, 0, sizeof(*r));
}
