#ifndef VERSION_H
#define VERSION_H
#include <stddef.h>

#include "store.h"

/*
 * Renders a version as CONTRACT.md section 9.2's object, compact, as
 * FastAPI renders it: object_id, digest, version_index, created_at, name,
 * description, source_code, attributes. name, description and attributes
 * come from the stored value (a value without a string name reads with the
 * object id; without a string description, null; attributes are the value
 * without its six reserved keys, null when none is left or the value is
 * no object); source_code is "" when the version has none. Returns a
 * malloc'd text and its length in *len, or NULL when out of memory.
 */
char *version_render(const struct store_version *v, size_t *len);

#endif
