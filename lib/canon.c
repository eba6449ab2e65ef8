/*
 * canon: CPython's json.dumps, in the two forms the service needs: the
 * sorted ASCII text whose SHA-256 is a version's digest (Weave's
 * json.dumps(v, sort_keys=True)), and FastAPI's compact UTF-8 rendering.
 * Floats are Python's repr: the shortest decimal that reads back exactly.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base64.h"
#include "canon.h"
#include "utf8.h"

/* A growing output text; oom set once an allocation failed. */
struct cbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

/*
 * Makes room for n more bytes (and a NUL); 0 when out of memory. Lengths
 * stay under SIZE_MAX / 8, so doubling cap cannot overflow.
 */
static int
cb_room(struct cbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return 0;
	if (n > SIZE_MAX / 8 - b->len) {
		b->oom = 1;
		return 0;
	}
	if (b->len + n + 1 <= b->cap)
		return 1;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return 0;
	}
	b->p = p;
	b->cap = cap;
	return 1;
}

static void
cb_put(struct cbuf *b, const char *s, size_t n)
{
	if (cb_room(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void
cb_str(struct cbuf *b, const char *s)
{
	cb_put(b, s, strlen(s));
}

/* The short escape of c (json's ESCAPE_DCT), or 0. */
static char
short_escape(unsigned int c)
{
	switch (c) {
	case '"':	return '"';
	case '\\':	return '\\';
	case '\n':	return 'n';
	case '\r':	return 'r';
	case '\t':	return 't';
	case '\b':	return 'b';
	case '\f':	return 'f';
	}
	return 0;
}

/* Writes \uXXXX (lower-case hex) at out; returns 6. */
static size_t
put_u(char *out, unsigned int c)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	out[1] = 'u';
	out[2] = hex[c >> 12 & 0xF];
	out[3] = hex[c >> 8 & 0xF];
	out[4] = hex[c >> 4 & 0xF];
	out[5] = hex[c & 0xF];
	return 6;
}

size_t
canon_compact_string(const char *s, size_t len, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, n;
	unsigned int c;
	char e;

	out[o++] = '"';
	for (size_t i = 0; i < len; i += n) {
		/* ASCII other than the escaped few goes straight through. */
		if (u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' && u[i] != '\\') {
			out[o++] = (char)u[i];
			n = 1;
			continue;
		}
		n = utf8_decode_lax(s + i, len - i, &c);
		if ((e = short_escape(c)) != 0) {
			out[o++] = '\\';
			out[o++] = e;
		} else if (c < 0x20)
			o += put_u(out + o, c);
		else if (c == 0xFFFD && n == 1) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
	}
	out[o++] = '"';
	return o;
}

size_t
canon_ascii_string(const char *s, size_t len, char *out)
{
	size_t o = 0, n;
	unsigned int c;
	char e;

	out[o++] = '"';
	for (size_t i = 0; i < len; i += n) {
		n = utf8_decode_lax(s + i, len - i, &c);
		if ((e = short_escape(c)) != 0) {
			out[o++] = '\\';
			out[o++] = e;
		} else if (c >= 0x20 && c <= 0x7E)
			out[o++] = (char)c;
		else if (c < 0x10000)
			o += put_u(out + o, c);
		else {
			/* Astral: a UTF-16 surrogate pair, as Python writes it. */
			c -= 0x10000;
			o += put_u(out + o, 0xD800 | c >> 10);
			o += put_u(out + o, 0xDC00 | (c & 0x3FF));
		}
	}
	out[o++] = '"';
	return o;
}

/* Appends s[0..len) as a JSON string, ASCII-only or compact. */
static void
cb_string(struct cbuf *b, const char *s, size_t len, int ascii)
{
	if (len > (SIZE_MAX - 2) / 6 || !cb_room(b, 6 * len + 2)) {
		b->oom = 1;
		return;
	}
	b->len += ascii ? canon_ascii_string(s, len, b->p + b->len) :
	    canon_compact_string(s, len, b->p + b->len);
}

/* Gathers the digits of printf's "D.DDDe[+-]XX" into d; returns XX. */
static int
split_e(const char *buf, char *d, int *nd)
{
	*nd = 0;
	for (const char *q = buf; *q != 'e'; q++)
		if (*q != '.')
			d[(*nd)++] = *q;
	return atoi(strchr(buf, 'e') + 1);
}

/*
 * Looks for a decimal of p significant digits that strtod reads back as v
 * (> 0, finite): the correctly rounded one, then (when tries is 3) the
 * ones a unit above and below it. Found: its digits without trailing zeros
 * into d, the exponent of the first into *exp, returns their number; else 0.
 * If any p-digit decimal reads back, one of these three does, and the
 * nearest is tried first, as David Gay's dtoa (which Python uses) prefers
 * it; printf rounds an exact tie to the even digit, as dtoa does
 * (1234567890123456.75 -> 1234567890123456.8).
 */
static int
probe(double v, int p, int tries, char d[18], int *exp)
{
	char buf[40], cand[40], t[18];
	int e, nd;

	snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	e = split_e(buf, d, &nd);
	for (int dir = 0; dir < tries; dir++) {
		int te = e, k;

		memcpy(t, d, (size_t)p);
		if (dir == 1) {		/* one unit up: carry */
			for (k = p - 1; k >= 0 && t[k] == '9'; k--)
				t[k] = '0';
			if (k < 0) {
				t[0] = '1';
				te++;
			} else
				t[k]++;
		} else if (dir == 2) {	/* one unit down: borrow */
			for (k = p - 1; k >= 0 && t[k] == '0'; k--)
				t[k] = '9';
			if (k < 0)
				continue;
			t[k]--;
			if (t[0] == '0') {
				/* 10..0 - 1 is 9..9 one exponent lower. */
				memmove(t, t + 1, (size_t)p - 1);
				t[p - 1] = '9';
				te--;
			}
		}
		if (dir > 0)
			snprintf(cand, sizeof(cand), "%.1s.%.*se%d", t, p - 1,
			    t + 1, te);
		if (strtod(dir > 0 ? cand : buf, NULL) == v) {
			memcpy(d, t, (size_t)p);
			while (p > 1 && d[p - 1] == '0')
				p--;
			*exp = te;
			return p;
		}
	}
	return 0;
}

/*
 * The shortest decimal that strtod reads back as v (> 0, finite), as
 * probe() gives it. If p digits can, p + 1 can (the same decimal), so the
 * length is bisected: between 1 and the 15-digit form's own length when
 * that reads back (what was typed mostly does), else between 16 and 17
 * (17 digits always read back). The values that read back as v lie
 * symmetrically around it unless v is a power of two (the gap below is
 * then half the gap above); only then can a neighbour read back when the
 * nearest does not, so only then are neighbours tried.
 */
static int
shortest(double v, char d[18], int *exp)
{
	int e2, tries = frexp(v, &e2) == 0.5 ? 3 : 1, lo = 1, hi = 17, n;

	if ((n = probe(v, 15, tries, d, exp)) > 0)
		hi = n;
	else
		lo = 16;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (probe(v, mid, tries, d, exp) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return probe(v, hi, tries, d, exp);
}

size_t
canon_float(double v, char out[32])
{
	char d[18];
	int nd, exp = 0, o = 0;

	if (isnan(v))
		return (size_t)snprintf(out, 32, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, 32, v < 0 ? "-Infinity" : "Infinity");
	if (signbit(v)) {
		out[o++] = '-';
		v = -v;
	}
	if (v == 0) {
		memcpy(out + o, "0.0", 4);
		return (size_t)o + 3;
	}
	nd = shortest(v, d, &exp);
	if (exp < -4 || exp >= 16) {
		/* float_repr_style 'short': 1e+16, 1.5e-05. */
		out[o++] = d[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, d + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		o += snprintf(out + o, (size_t)(32 - o), "e%c%02d",
		    exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		memcpy(out + o, "0.", 2);
		o += 2;
		for (int k = -1; k > exp; k--)
			out[o++] = '0';
		memcpy(out + o, d, (size_t)nd);
		o += nd;
	} else {
		/* Integral values keep ".0", as Python writes 100.0. */
		for (int k = 0; k <= exp || k < nd; k++) {
			if (k == exp + 1)
				out[o++] = '.';
			out[o++] = k < nd ? d[k] : '0';
		}
		if (nd <= exp + 1) {
			out[o++] = '.';
			out[o++] = '0';
		}
	}
	out[o] = '\0';
	return (size_t)o;
}

/*
 * The integer text of a double made by json_object_new_double_s, or NULL
 * when it has none or its text is a float ('.', 'e' or 'E' in it).
 */
static const char *
int_text(const struct json_object *v)
{
	const char *t = json_object_get_userdata((struct json_object *)v);
	const char *q;

	if (t == NULL)
		return NULL;
	q = t + (*t == '-');
	if (*q == '\0')
		return NULL;
	for (; *q; q++)
		if (*q < '0' || *q > '9')
			return NULL;
	return t;
}

static void cb_value(struct cbuf *b, const struct json_object *v, int sorted);

/* Sorts object members by key: UTF-8 byte order is code point order. */
struct member {
	const char		*key;
	struct json_object	*val;
};

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key,
	    ((const struct member *)b)->key);
}

static void
cb_object(struct cbuf *b, const struct json_object *v, int sorted)
{
	size_t n = (size_t)json_object_object_length(v), k = 0;
	struct member *m;

	if (n == 0) {
		cb_str(b, "{}");
		return;
	}
	if ((m = malloc(n * sizeof(*m))) == NULL) {
		b->oom = 1;
		return;
	}
	json_object_object_foreach((struct json_object *)v, key, val) {
		m[k].key = key;
		m[k++].val = val;
	}
	if (sorted)
		qsort(m, n, sizeof(*m), member_cmp);
	cb_str(b, "{");
	for (k = 0; k < n && !b->oom; k++) {
		if (k > 0)
			cb_str(b, sorted ? ", " : ",");
		cb_string(b, m[k].key, strlen(m[k].key), sorted);
		cb_str(b, sorted ? ": " : ":");
		cb_value(b, m[k].val, sorted);
	}
	cb_str(b, "}");
	free(m);
}

/* Appends v; sorted selects canon_sorted's form, else canon_compact's. */
static void
cb_value(struct cbuf *b, const struct json_object *v, int sorted)
{
	char num[32];
	const char *t;
	size_t n;

	if (b->oom)
		return;
	switch (json_object_get_type(v)) {
	case json_type_null:
		cb_str(b, "null");
		break;
	case json_type_boolean:
		cb_str(b, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int: {
		int64_t i = json_object_get_int64(v);

		/* json-c clamps a uint64 to INT64_MAX when read as int64. */
		if (i == INT64_MAX)
			snprintf(num, sizeof(num), "%" PRIu64,
			    json_object_get_uint64(v));
		else
			snprintf(num, sizeof(num), "%" PRId64, i);
		cb_str(b, num);
		break;
	}
	case json_type_double:
		if ((t = int_text(v)) != NULL) {
			/* Python's int(): "-0" and "-00" print as 0. */
			n = strspn(t + (*t == '-'), "0");
			if (t[(*t == '-') + n] == '\0')
				cb_str(b, "0");
			else {
				if (*t == '-')
					cb_str(b, "-");
				cb_str(b, t + (*t == '-') + n);
			}
		} else {
			n = canon_float(json_object_get_double(v), num);
			cb_put(b, num, n);
		}
		break;
	case json_type_string:
		cb_string(b, json_object_get_string((struct json_object *)v),
		    (size_t)json_object_get_string_len(v), sorted);
		break;
	case json_type_array:
		n = json_object_array_length(v);
		cb_str(b, "[");
		for (size_t k = 0; k < n && !b->oom; k++) {
			if (k > 0)
				cb_str(b, sorted ? ", " : ",");
			cb_value(b, json_object_array_get_idx(v, k), sorted);
		}
		cb_str(b, "]");
		break;
	case json_type_object:
		cb_object(b, v, sorted);
		break;
	}
}

/* Runs cb_value into a fresh buffer; the text or NULL when out of memory. */
static char *
render(const struct json_object *v, size_t *len, int sorted)
{
	struct cbuf b = { 0 };

	cb_value(&b, v, sorted);
	if (!cb_room(&b, 0)) {
		free(b.p);
		return NULL;
	}
	b.p[b.len] = '\0';
	if (len != NULL)
		*len = b.len;
	return b.p;
}

char *
canon_sorted(const struct json_object *v, size_t *len)
{
	return render(v, len, 1);
}

char *
canon_compact(const struct json_object *v, size_t *len)
{
	return render(v, len, 0);
}

void
canon_digest(const void *buf, size_t len, char out[CANON_DIGEST_SIZE])
{
	unsigned char hash[SHA256_DIGEST_LENGTH];

	SHA256(buf, len, hash);
	base64url_encode(hash, sizeof(hash), out);
	for (char *p = out; *p; p++) {
		if (*p == '-')
			*p = 'X';
		else if (*p == '_')
			*p = 'Y';
	}
}
