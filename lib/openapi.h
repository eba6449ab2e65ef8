#ifndef OPENAPI_H
#define OPENAPI_H
#include <stddef.h>

/*
 * The API's OpenAPI 3.1 document, lib/openapi.json, built into the binary
 * byte for byte (tools/embed-file.sh), with a NUL after its last byte.
 */
extern const unsigned char openapi_json[];
extern const size_t openapi_json_len;

#endif
