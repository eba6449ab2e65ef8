#ifndef UTF8_H
#define UTF8_H
#include <stddef.h>

/*
 * Returns the number of code points in s[0..len) when it is well-formed
 * UTF-8 as Python's strict decoder reads it (no overlong forms, no
 * surrogates, nothing above U+10FFFF), else -1.
 */
long utf8_count(const char *s, size_t len);

/*
 * Returns the byte length (1-4) of the well-formed sequence that starts
 * s[0..len), len > 0, or 0 when none does; then, when bad is not NULL,
 * *bad is the length of the maximal subpart of a sequence there (at least
 * 1): what Python's "replace" error handler turns into one U+FFFD.
 */
size_t utf8_seq(const char *s, size_t len, size_t *bad);

/*
 * Decodes the code point starting at s, which must be well-formed UTF-8
 * (checked by utf8_count first), and stores its byte length in *n.
 */
unsigned int utf8_decode(const char *s, size_t *n);

/* Returns 1 when cp is matched by \w in a Python 3 str regex, else 0. */
int utf8_is_word(unsigned int cp);

#endif
