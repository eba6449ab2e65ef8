/*
 * jparse: JSON text to json-c objects, following the C scanner of CPython
 * 3.11 (Modules/_json.c) step by step, so that every input CPython refuses
 * is refused here at the same position with the same message. On top of
 * that it refuses what the create body rules (README, lib/openapi.json) refuses although Python
 * accepts it: bytes that are not UTF-8, NaN and Infinity, floats beyond a
 * double, integers of more than 4300 digits, lone surrogate escapes,
 * nesting deeper than 100 levels, and (json-c keys being C strings) U+0000
 * in an object key. Those are reported at the first character of the
 * offending token, checked in the order the text is read.
 *
 * Positions are byte offsets while parsing and turned into code points only
 * when an error is reported: the whole text is checked to be UTF-8 first,
 * as Python decodes the whole body before parsing it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jparse.h"
#include "utf8.h"

struct jp {
	const unsigned char	*s;	/* the text, after any BOM */
	size_t			 len;
	size_t			 i;	/* the byte being read */
	int			 depth;
	enum jparse_status	 status;
	struct jparse_error	*err;
	char			*tmp;	/* decoded strings, number texts */
	size_t			 tmpcap;
};

/* Records an error at byte offset pos (turned into code points later). */
static int
fail(struct jp *p, size_t pos, const char *text)
{
	p->status = JPARSE_INVALID;
	p->err->pos = pos;
	snprintf(p->err->text, sizeof(p->err->text), "%s", text);
	return -1;
}

static int
nomem(struct jp *p)
{
	p->status = JPARSE_NOMEM;
	p->err->pos = 0;
	snprintf(p->err->text, sizeof(p->err->text), "out of memory");
	return -1;
}

/* Makes p->tmp hold at least n bytes; -1 when out of memory. */
static int
tmp_reserve(struct jp *p, size_t n)
{
	char *t;
	size_t cap = p->tmpcap ? p->tmpcap : 64;

	if (n <= p->tmpcap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((t = realloc(p->tmp, cap)) == NULL)
		return nomem(p);
	p->tmp = t;
	p->tmpcap = cap;
	return 0;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_ws(struct jp *p)
{
	while (p->i < p->len && is_ws(p->s[p->i]))
		p->i++;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The value of the 4 hex digits at s[at..at+4), or -1. */
static long
hex4(const unsigned char *s, size_t at)
{
	long v = 0;

	for (size_t k = at; k < at + 4; k++) {
		unsigned char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Reads the string whose opening quote is at p->i (scanstring_unicode):
 * decoded into p->tmp, *n its length; p->i moves past the closing quote.
 * A decoded string is never longer than its text, so tmp is sized once.
 */
static int
parse_string(struct jp *p, size_t *n)
{
	const unsigned char *s = p->s;
	size_t begin = p->i, j = begin + 1, o = 0;
	int lone = 0;

	if (tmp_reserve(p, p->len - begin + 1) < 0)
		return -1;
	for (;;) {
		size_t start = j;
		unsigned char c;
		long cp, lo;

		while (j < p->len && s[j] != '"' && s[j] != '\\') {
			if (s[j] < 0x20)
				return fail(p, j, "Invalid control character at");
			j++;
		}
		memcpy(p->tmp + o, s + start, j - start);
		o += j - start;
		if (j == p->len)
			return fail(p, begin, "Unterminated string starting at");
		if (s[j] == '"') {
			j++;
			break;
		}
		/* A backslash; Python looks at what follows it. */
		if (++j == p->len)
			return fail(p, begin, "Unterminated string starting at");
		c = s[j];
		if (c != 'u') {
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *hit = c ? strchr(from, c) : NULL;

			if (hit == NULL)
				return fail(p, j - 1, "Invalid \\escape");
			p->tmp[o++] = to[hit - from];
			j++;
			continue;
		}
		/* \uXXXX needs its 4 digits and one more character after them. */
		if (j + 5 >= p->len || (cp = hex4(s, j + 1)) < 0)
			return fail(p, j, "Invalid \\uXXXX escape");
		j += 5;
		/* A high surrogate takes a following \uXXXX low one with it. */
		if (cp >= 0xD800 && cp <= 0xDBFF && j + 6 < p->len &&
		    s[j] == '\\' && s[j + 1] == 'u') {
			if ((lo = hex4(s, j + 2)) < 0)
				return fail(p, j + 1, "Invalid \\uXXXX escape");
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				j += 6;
			}
		}
		/* Python keeps a lone surrogate; refused once the string ends. */
		if (cp >= 0xD800 && cp <= 0xDFFF)
			lone = 1;
		else
			o += utf8_encode(p->tmp + o, (unsigned int)cp);
	}
	if (lone)
		return fail(p, begin, "Lone surrogate in a \\uXXXX escape");
	if (o > INT_MAX)	/* json-c string lengths are ints */
		return nomem(p);
	p->tmp[o] = '\0';
	p->i = j;
	*n = o;
	return 0;
}

/*
 * Reads the number at p->i as _match_number_unicode does: the longest
 * prefix matching -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? that
 * has an integer part; anything after it is left for the caller.
 */
static int
parse_number(struct jp *p, struct json_object **out)
{
	const unsigned char *s = p->s;
	size_t start = p->i, i = start, n, digits;
	int is_float = 0;
	char *end;

	if (s[i] == '-' && ++i == p->len)
		return fail(p, start, "Expecting value");
	if (s[i] >= '1' && s[i] <= '9')
		while (++i < p->len && is_digit(s[i]))
			;
	else if (s[i] == '0')
		i++;
	else
		return fail(p, start, "Expecting value");
	digits = i - start - (s[start] == '-');
	if (i + 1 < p->len && s[i] == '.' && is_digit(s[i + 1])) {
		is_float = 1;
		for (i += 2; i < p->len && is_digit(s[i]); i++)
			;
	}
	if (i + 1 < p->len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = i + 1;

		if (e + 1 < p->len && (s[e] == '-' || s[e] == '+'))
			e++;
		if (is_digit(s[e])) {
			is_float = 1;
			for (i = e; i < p->len && is_digit(s[i]); i++)
				;
		}
	}
	n = i - start;
	if (!is_float && digits > JPARSE_MAX_INT_DIGITS)
		return fail(p, start, "Exceeds the limit (4300 digits) for "
		    "integer string conversion");
	if (tmp_reserve(p, n + 1) < 0)
		return -1;
	memcpy(p->tmp, s + start, n);
	p->tmp[n] = '\0';
	errno = 0;
	if (!is_float) {
		long long v = strtoll(p->tmp, &end, 10);

		if (errno == 0) {
			if ((*out = json_object_new_int64(v)) == NULL)
				return nomem(p);
			p->i = i;
			return 0;
		}
		/* Beyond int64: kept as text, the double only approximates. */
		*out = json_object_new_double_s(strtod(p->tmp, &end), p->tmp);
	} else {
		double d = strtod(p->tmp, &end);

		/* Underflow is 0.0 or a subnormal, as in Python; overflow is refused. */
		if (isinf(d))
			return fail(p, start, "Number out of range");
		*out = json_object_new_double_s(d, p->tmp);
	}
	if (*out == NULL)
		return nomem(p);
	p->i = i;
	return 0;
}

static int parse_value(struct jp *p, struct json_object **out);

/*
 * After an item: 1 when close ends the container (p->i past it), 0 when a
 * ',' leads to the next item (p->i past it and any whitespace), -1 for
 * anything else.
 */
static int
next_item(struct jp *p, unsigned char close)
{
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == close) {
		p->i++;
		return 1;
	}
	if (p->i >= p->len || p->s[p->i] != ',')
		return fail(p, p->i, "Expecting ',' delimiter");
	p->i++;
	skip_ws(p);
	return 0;
}

/* Reads one array element at p->i into arr. */
static int
parse_element(struct jp *p, struct json_object *arr)
{
	struct json_object *v;

	if (parse_value(p, &v) < 0)
		return -1;
	if (json_object_array_add(arr, v) < 0) {
		json_object_put(v);
		return nomem(p);
	}
	return 0;
}

/* Reads one "key": value member at p->i into obj. */
static int
parse_member(struct jp *p, struct json_object *obj)
{
	struct json_object *v;
	char *key;
	size_t n, begin;

	if (p->i >= p->len || p->s[p->i] != '"')
		return fail(p, p->i, "Expecting property name enclosed in "
		    "double quotes");
	begin = p->i;
	if (parse_string(p, &n) < 0)
		return -1;
	if (memchr(p->tmp, '\0', n) != NULL)
		return fail(p, begin, "U+0000 in an object key is not supported");
	skip_ws(p);
	if (p->i >= p->len || p->s[p->i] != ':')
		return fail(p, p->i, "Expecting ':' delimiter");
	p->i++;
	skip_ws(p);
	/* The value may reuse tmp, so the key needs its own copy. */
	if ((key = strdup(p->tmp)) == NULL)
		return nomem(p);
	if (parse_value(p, &v) < 0) {
		free(key);
		return -1;
	}
	/* json-c, like a dict, keeps a repeated key's first place. */
	if (json_object_object_add(obj, key, v) < 0) {
		json_object_put(v);
		free(key);
		return nomem(p);
	}
	free(key);
	return 0;
}

/*
 * Moves past the '[' or '{' at p->i and any whitespace; returns 1, past
 * it too, when close follows at once (an empty container), else 0.
 */
static int
open_container(struct jp *p, unsigned char close)
{
	p->i++;
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == close) {
		p->i++;
		return 1;
	}
	return 0;
}

/* Reads the array whose '[' is at p->i (_parse_array_unicode). */
static int
parse_array(struct jp *p, struct json_object **out)
{
	struct json_object *arr;
	int rc;

	if ((arr = json_object_new_array()) == NULL)
		return nomem(p);
	if ((rc = open_container(p, ']')) == 0) {
		while ((rc = parse_element(p, arr)) == 0 &&
		    (rc = next_item(p, ']')) == 0)
			;
		if (rc < 0) {
			json_object_put(arr);
			return -1;
		}
	}
	*out = arr;
	return 0;
}

/* Reads the object whose '{' is at p->i (_parse_object_unicode). */
static int
parse_object(struct jp *p, struct json_object **out)
{
	struct json_object *obj;
	int rc;

	if ((obj = json_object_new_object()) == NULL)
		return nomem(p);
	if ((rc = open_container(p, '}')) == 0) {
		while ((rc = parse_member(p, obj)) == 0 &&
		    (rc = next_item(p, '}')) == 0)
			;
		if (rc < 0) {
			json_object_put(obj);
			return -1;
		}
	}
	*out = obj;
	return 0;
}

/* Is the literal lit at p->i? */
static int
at_literal(const struct jp *p, const char *lit)
{
	size_t n = strlen(lit);

	return p->len - p->i >= n && memcmp(p->s + p->i, lit, n) == 0;
}

/* Reads one value at p->i (scan_once_unicode); *out NULL for null. */
static int
parse_value(struct jp *p, struct json_object **out)
{
	int rc;

	*out = NULL;
	if (p->i >= p->len)
		return fail(p, p->i, "Expecting value");
	switch (p->s[p->i]) {
	case '"': {
		size_t n;

		if (parse_string(p, &n) < 0)
			return -1;
		if ((*out = json_object_new_string_len(p->tmp, (int)n)) == NULL)
			return nomem(p);
		return 0;
	}
	case '{':
	case '[':
		if (p->depth == JPARSE_MAX_DEPTH)
			return fail(p, p->i, "Nesting deeper than 100 levels");
		p->depth++;
		rc = p->s[p->i] == '{' ? parse_object(p, out) :
		    parse_array(p, out);
		p->depth--;
		return rc;
	case 'n':
		if (at_literal(p, "null")) {
			p->i += 4;
			return 0;
		}
		break;
	case 't':
	case 'f': {
		const char *lit = p->s[p->i] == 't' ? "true" : "false";

		if (at_literal(p, lit)) {
			p->i += strlen(lit);
			if ((*out = json_object_new_boolean(*lit == 't')) == NULL)
				return nomem(p);
			return 0;
		}
		break;
	}
	case 'N':
	case 'I':
	case '-':
		if (at_literal(p, "NaN") || at_literal(p, "Infinity") ||
		    at_literal(p, "-Infinity"))
			return fail(p, p->i, "NaN and Infinity are not allowed");
		break;
	}
	return parse_number(p, out);
}

enum jparse_status
jparse(const char *buf, size_t len, struct json_object **out,
    struct jparse_error *err)
{
	struct jp p = { .s = (const unsigned char *)buf, .len = len,
	    .status = JPARSE_OK, .err = err };
	struct json_object *v = NULL;
	size_t good;

	*out = NULL;
	err->pos = 0;
	err->text[0] = '\0';
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		p.s += 3;
		p.len -= 3;
	}
	if ((good = utf8_valid_prefix((const char *)p.s, p.len)) < p.len)
		fail(&p, good, "Invalid UTF-8");
	else {
		skip_ws(&p);
		if (parse_value(&p, &v) == 0) {
			skip_ws(&p);
			if (p.i < p.len) {
				json_object_put(v);
				fail(&p, p.i, "Extra data");
			} else
				*out = v;
		}
	}
	free(p.tmp);
	if (p.status == JPARSE_INVALID)
		err->pos = utf8_chars((const char *)p.s, err->pos);
	return p.status;
}
