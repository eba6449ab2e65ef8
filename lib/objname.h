#ifndef OBJNAME_H
#define OBJNAME_H
#include <stddef.h>

/*
 * Weave's make_safe_name: the object id of a model created under `name`
 * (the create body rules (README, lib/openapi.json)). ' ' and '/' become '_', '<' and '>' are
 * dropped, then the text is lower-cased as Python 3's str.lower() does (full
 * mapping, final sigma included). name[0..len) must be well-formed UTF-8.
 * Stores a malloc'd, NUL-terminated result in *out and its length in
 * *out_len. Returns 0, or -1 when out of memory (*out is then NULL).
 */
int objname_to_id(const char *name, size_t len, char **out, size_t *out_len);

#endif
