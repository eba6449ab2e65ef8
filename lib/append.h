#ifndef APPEND_H
#define APPEND_H

#include <stddef.h>
#include <string.h>

/*
 * Writing text into a buffer the caller sized beforehand, piece by piece:
 * the response headers, the access line, a rendered version. Cheaper than
 * snprintf on paths every request takes. Nothing here checks room.
 */

/* Appends s[0..n) at *o. */
static inline void
append(char **o, const char *s, size_t n)
{
	memcpy(*o, s, n);
	*o += n;
}

/* Appends the NUL-terminated s at *o (without its NUL). */
static inline void
append_str(char **o, const char *s)
{
	append(o, s, strlen(s));
}

/* Appends v in decimal at *o (at most 20 digits, no NUL). */
static inline void
append_uint(char **o, unsigned long long v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*(*o)++ = tmp[--n];
}

#endif
