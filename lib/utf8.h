#ifndef UTF8_H
#define UTF8_H
#include <stddef.h>

/*
 * UTF-8 as Python's strict decoder reads it (no overlong forms, no
 * surrogates, nothing above U+10FFFF): the one place that decodes,
 * validates, encodes or repairs it. The per-byte steps are static inline:
 * the JSON parser and canon run them over every byte of a create's body.
 */

/*
 * Returns the byte length (1-4) of the well-formed sequence that starts
 * s[0..len), len > 0, or 0 when none does; then, when bad is not NULL,
 * *bad is the length of the maximal subpart of a sequence there (at least
 * 1): what Python's "replace" error handler turns into one U+FFFD.
 */
static inline size_t
utf8_seq(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (c < 0x80)
		return 1;
	/* The second-byte bounds exclude overlongs, surrogates and > U+10FFFF. */
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else
		need = 0;
	for (i = 1; need > 0 && i <= need && i < len; i++) {
		if (p[i] < lo || p[i] > hi)
			break;
		lo = 0x80;
		hi = 0xBF;
	}
	if (need > 0 && i == need + 1)
		return need + 1;
	if (bad != NULL)
		*bad = i;
	return 0;
}

/*
 * Decodes the code point starting at s, which must be well-formed UTF-8
 * (checked by utf8_seq or utf8_count first), and stores its byte length
 * in *n.
 */
static inline unsigned int
utf8_decode(const char *s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	if (p[0] < 0xE0) {
		*n = 2;
		return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
	}
	if (p[0] < 0xF0) {
		*n = 3;
		return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) |
		    (p[2] & 0x3Fu);
	}
	*n = 4;
	return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
	    ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

/*
 * Decodes the code point at s[0..len), len > 0, into *cp and returns its
 * byte length; a byte that starts no well-formed sequence is U+FFFD of
 * length 1 (for text that may not be UTF-8).
 */
static inline size_t
utf8_decode_lax(const char *s, size_t len, unsigned int *cp)
{
	size_t n;

	if ((unsigned char)s[0] < 0x80) {
		*cp = (unsigned char)s[0];
		return 1;
	}
	if (utf8_seq(s, len, NULL) == 0) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = utf8_decode(s, &n);
	return n;
}

/*
 * Returns the length of the longest prefix of s[0..len) that is
 * well-formed UTF-8.
 */
static inline size_t
utf8_valid_prefix(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, len - i, NULL)) == 0)
			return i;
		i += n;
	}
	return i;
}

/* The number of code points in s[0..n), which is well-formed UTF-8. */
static inline size_t
utf8_chars(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xC0) != 0x80;
	return count;
}

/*
 * Writes code point cp (at most U+10FFFF, no surrogate) as UTF-8 at out;
 * returns its length (1-4).
 */
static inline size_t
utf8_encode(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Returns the number of code points in s[0..len) when it is well-formed
 * UTF-8, else -1.
 */
long utf8_count(const char *s, size_t len);

/*
 * Python's bytes.decode("utf-8", "replace") of in[0..len) into out (3 *
 * len bytes): every maximal prefix of a well-formed sequence that does not
 * complete, and every byte that starts none, becomes one U+FFFD. Returns
 * the length written.
 */
size_t utf8_replace(const char *in, size_t len, char *out);

/* Code points lo..hi, as the generated tables hold them. */
struct utf8_range {
	unsigned int	lo, hi;
};

/* Returns 1 when cp lies in one of r[0..n) (sorted, disjoint), else 0. */
int utf8_in_ranges(const struct utf8_range *r, size_t n, unsigned int cp);

/* Returns 1 when cp is matched by \w in a Python 3 str regex, else 0. */
int utf8_is_word(unsigned int cp);

#endif
