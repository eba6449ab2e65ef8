/*
 * A second JSON reader and writer for fuzz_canon, written apart from
 * lib/jparse.c and lib/canon.c: it parses into its own tree (no json-c),
 * by the RFC 8259 grammar rather than by Python's scanner, applies the
 * refusals of the create body rules (README, lib/openapi.json), and writes Python's json.dumps forms of
 * 9.4 with floats found from the exact decimal expansion (the nearest of
 * the two truncations at each length that reads back) instead of from
 * printf's rounding. Includes ref.h for CHECK and the UTF-8 decoder.
 */
#ifndef FUZZ_REF_JSON_H
#define FUZZ_REF_JSON_H

#include <math.h>

#include "ref.h"

enum rj_type { RJ_NULL, RJ_BOOL, RJ_INT, RJ_FLOAT, RJ_STR, RJ_ARR, RJ_OBJ };

struct rj {
	enum rj_type	 t;
	int		 b;
	char		*s;	/* RJ_STR: UTF-8; RJ_INT: Python's int() text */
	size_t		 len;
	double		 d;
	size_t		 n;	/* RJ_ARR, RJ_OBJ: members */
	struct rj	**kid;
	char		**key;	/* RJ_OBJ */
	size_t		*klen;
};

static void
rj_free(struct rj *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		rj_free(r->kid[i]);
		if (r->key)
			free(r->key[i]);
	}
	free(r->kid);
	free(r->key);
	free(r->klen);
	free(r->s);
	free(r);
}

static struct rj *
rj_new(enum rj_type t)
{
	struct rj *r = calloc(1, sizeof(*r));

	CHECK(r != NULL);
	r->t = t;
	return r;
}

struct rj_in {
	const unsigned char	*p, *end;
	int			 depth;
};

static void
rj_ws(struct rj_in *in)
{
	while (in->p < in->end && strchr(" \t\r\n", *in->p) && *in->p)
		in->p++;
}

static int
rj_lit(struct rj_in *in, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(in->end - in->p) < n || memcmp(in->p, lit, n) != 0)
		return 0;
	in->p += n;
	return 1;
}

/* Four hex digits at p (inside the input), or -1. */
static long
rj_hex4(struct rj_in *in)
{
	long v = 0;

	if (in->end - in->p < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = ref_hex(*in->p++);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Appends code point cp as UTF-8 to s (room assured by the caller). */
static size_t
rj_utf8(unsigned char *s, unsigned long cp)
{
	if (cp < 0x80) {
		s[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		s[0] = (unsigned char)(0xC0 + (cp >> 6));
		s[1] = (unsigned char)(0x80 + cp % 64);
		return 2;
	}
	if (cp < 0x10000) {
		s[0] = (unsigned char)(0xE0 + (cp >> 12));
		s[1] = (unsigned char)(0x80 + (cp >> 6) % 64);
		s[2] = (unsigned char)(0x80 + cp % 64);
		return 3;
	}
	s[0] = (unsigned char)(0xF0 + (cp >> 18));
	s[1] = (unsigned char)(0x80 + (cp >> 12) % 64);
	s[2] = (unsigned char)(0x80 + (cp >> 6) % 64);
	s[3] = (unsigned char)(0x80 + cp % 64);
	return 4;
}

/* A string (the quote at in->p); malloc'd UTF-8 in *out, or 0. */
static int
rj_string(struct rj_in *in, char **out, size_t *len)
{
	unsigned char *s = malloc((size_t)(in->end - in->p) + 1);
	size_t o = 0;

	CHECK(s != NULL);
	in->p++;
	for (;;) {
		unsigned char c;
		long cp, lo;

		if (in->p == in->end)
			goto bad;
		c = *in->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			s[o++] = c;
			continue;
		}
		if (in->p == in->end)
			goto bad;
		c = *in->p++;
		switch (c) {
		case '"': case '\\': case '/':
			s[o++] = c;
			continue;
		case 'b': s[o++] = '\b'; continue;
		case 'f': s[o++] = '\f'; continue;
		case 'n': s[o++] = '\n'; continue;
		case 'r': s[o++] = '\r'; continue;
		case 't': s[o++] = '\t'; continue;
		case 'u': break;
		default: goto bad;
		}
		if ((cp = rj_hex4(in)) < 0)
			goto bad;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			goto bad;			/* a low one alone */
		if (cp >= 0xD800 && cp <= 0xDBFF) {	/* must be paired */
			if (!rj_lit(in, "\\u") || (lo = rj_hex4(in)) < 0 ||
			    lo < 0xDC00 || lo > 0xDFFF)
				goto bad;
			cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00);
		}
		o += rj_utf8(s + o, (unsigned long)cp);
	}
	*out = (char *)s;
	*len = o;
	return 1;
bad:
	free(s);
	return 0;
}

/* Python's int(text): no sign on zero, no leading zeros. */
static char *
rj_int_text(const unsigned char *p, size_t n)
{
	int neg = p[0] == '-';
	size_t i = (size_t)neg;
	char *t = malloc(n + 1), *o = t;

	CHECK(t != NULL);
	while (i + 1 < n && p[i] == '0')
		i++;
	if (neg && !(n - i == 1 && p[i] == '0'))
		*o++ = '-';
	memcpy(o, p + i, n - i);
	o[n - i] = '\0';
	return t;
}

static struct rj *rj_value(struct rj_in *in);

/* A number by the RFC grammar, all of it, or NULL. */
static struct rj *
rj_number(struct rj_in *in)
{
	const unsigned char *start = in->p, *q = in->p;
	size_t intdigits = 0;
	int frac = 0, ex = 0;
	struct rj *r;
	char *text;

#define RJ_DIGIT(q) ((q) < in->end && *(q) >= '0' && *(q) <= '9')
	if (q < in->end && *q == '-')
		q++;
	if (!RJ_DIGIT(q))
		return NULL;
	if (*q == '0')
		q++, intdigits = 1;
	else
		while (RJ_DIGIT(q))
			q++, intdigits++;
	if (q < in->end && *q == '.') {
		if (!RJ_DIGIT(q + 1))
			return NULL;
		for (q++; RJ_DIGIT(q); q++)
			;
		frac = 1;
	}
	if (q < in->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < in->end && (*q == '+' || *q == '-'))
			q++;
		if (!RJ_DIGIT(q))
			return NULL;
		while (RJ_DIGIT(q))
			q++;
		ex = 1;
	}
#undef RJ_DIGIT
	in->p = q;
	if (!frac && !ex) {
		if (intdigits > 4300)
			return NULL;
		r = rj_new(RJ_INT);
		r->s = rj_int_text(start, (size_t)(q - start));
		r->len = strlen(r->s);
		return r;
	}
	text = ref_strndup(start, (size_t)(q - start));
	r = rj_new(RJ_FLOAT);
	r->d = strtod(text, NULL);
	free(text);
	if (isinf(r->d)) {
		rj_free(r);
		return NULL;
	}
	return r;
}

/* Adds key -> v to object o as a dict does: a known key keeps its place. */
static void
rj_put(struct rj *o, char *key, size_t klen, struct rj *v)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->klen[i] == klen && memcmp(o->key[i], key, klen) == 0) {
			rj_free(o->kid[i]);
			o->kid[i] = v;
			free(key);
			return;
		}
	o->kid = realloc(o->kid, (o->n + 1) * sizeof(*o->kid));
	o->key = realloc(o->key, (o->n + 1) * sizeof(*o->key));
	o->klen = realloc(o->klen, (o->n + 1) * sizeof(*o->klen));
	CHECK(o->kid != NULL && o->key != NULL && o->klen != NULL);
	o->kid[o->n] = v;
	o->key[o->n] = key;
	o->klen[o->n++] = klen;
}

static struct rj *
rj_container(struct rj_in *in, int obj)
{
	struct rj *r = rj_new(obj ? RJ_OBJ : RJ_ARR), *v;
	char close = obj ? '}' : ']';

	if (++in->depth > 100)
		goto bad;
	in->p++;
	rj_ws(in);
	if (in->p < in->end && *in->p == close) {
		in->p++;
		in->depth--;
		return r;
	}
	for (;;) {
		char *key = NULL;
		size_t klen = 0;

		if (obj) {
			if (in->p == in->end || *in->p != '"' ||
			    !rj_string(in, &key, &klen))
				goto bad;
			if (memchr(key, '\0', klen) != NULL) {
				free(key);
				goto bad;
			}
			rj_ws(in);
			if (!rj_lit(in, ":")) {
				free(key);
				goto bad;
			}
			rj_ws(in);
		}
		if ((v = rj_value(in)) == NULL) {
			free(key);
			goto bad;
		}
		if (obj)
			rj_put(r, key, klen, v);
		else {
			r->kid = realloc(r->kid, (r->n + 1) * sizeof(*r->kid));
			CHECK(r->kid != NULL);
			r->kid[r->n++] = v;
		}
		rj_ws(in);
		if (in->p < in->end && *in->p == close) {
			in->p++;
			in->depth--;
			return r;
		}
		if (!rj_lit(in, ","))
			goto bad;
		rj_ws(in);
	}
bad:
	rj_free(r);
	return NULL;
}

/* One value at in->p (no white space before it), or NULL when refused. */
static struct rj *
rj_value(struct rj_in *in)
{
	struct rj *r;

	if (in->p == in->end)
		return NULL;
	if (*in->p == '{' || *in->p == '[')
		return rj_container(in, *in->p == '{');
	if (*in->p == '"') {
		r = rj_new(RJ_STR);
		if (!rj_string(in, &r->s, &r->len)) {
			rj_free(r);
			return NULL;
		}
		return r;
	}
	if (rj_lit(in, "null"))
		return rj_new(RJ_NULL);
	if (rj_lit(in, "true") || rj_lit(in, "false")) {
		r = rj_new(RJ_BOOL);
		r->b = in->p[-1] == 'e' && in->p[-2] == 'u';
		return r;
	}
	return rj_number(in);
}

/* The whole body: BOM, UTF-8, one value between white space; or NULL. */
static struct rj *
rj_parse(const uint8_t *data, size_t size)
{
	struct rj_in in = { data, data + size, 0 };
	struct rj *r;

	if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		in.p += 3;
	if (ref_utf8_count((const char *)in.p, (size_t)(in.end - in.p)) < 0)
		return NULL;
	rj_ws(&in);
	if ((r = rj_value(&in)) == NULL)
		return NULL;
	rj_ws(&in);
	if (in.p != in.end) {
		rj_free(r);
		return NULL;
	}
	return r;
}

/* ---- writing ---- */

struct rj_out {
	char	*p;
	size_t	 len, cap;
};

static void
rj_add(struct rj_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
		CHECK(o->p != NULL);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
rj_adds(struct rj_out *o, const char *s)
{
	rj_add(o, s, strlen(s));
}

/*
 * Python's repr of a finite double. Its exact decimal expansion (glibc's
 * printf prints it exactly) is cut to n digits, for n = 1, 2, ...; the
 * first n where the cut-down value or the one a unit above reads back
 * gives the digits (the nearer one when both do).
 */
static void
rj_float(struct rj_out *o, double v)
{
	static char exact[1200];
	char digits[800], cand[64], out[64], best[20];
	int e10, nd = 0, bn = 0, bexp = 0;
	size_t k = 0;
	double a = fabs(v);

	if (a == 0) {
		rj_adds(o, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	snprintf(exact, sizeof(exact), "%.770e", a);
	for (const char *q = exact; *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	e10 = atoi(strchr(exact, 'e') + 1);
	for (int n = 1; n <= 17 && bn == 0; n++) {
		char up[20];
		int upexp = e10, rest_zero = 1, down_ok, up_ok;

		for (int i = n; i < nd; i++)
			rest_zero &= digits[i] == '0';
		snprintf(cand, sizeof(cand), "%.1s.%.*se%d", digits, n - 1,
		    digits + 1, e10);
		down_ok = strtod(cand, NULL) == a;
		memcpy(up, digits, (size_t)n);
		for (int i = n - 1; i >= 0; i--) {
			if (up[i] != '9') {
				up[i]++;
				break;
			}
			up[i] = '0';
			if (i == 0) {
				up[0] = '1';
				upexp++;
			}
		}
		snprintf(cand, sizeof(cand), "%.1s.%.*se%d", up, n - 1, up + 1,
		    upexp);
		up_ok = !rest_zero && strtod(cand, NULL) == a;
		if (down_ok && up_ok) {
			/*
			 * Both read back: the nearer, by the digits cut off;
			 * on a tie the even last digit, as dtoa rounds.
			 */
			char half[800];
			int c;

			memset(half, '0', sizeof(half));
			half[0] = '5';
			c = memcmp(digits + n, half, (size_t)(nd - n));
			if (c > 0 || (c == 0 && (digits[n - 1] - '0') % 2 == 1))
				down_ok = 0;
		}
		if (down_ok) {
			memcpy(best, digits, (size_t)n);
			bexp = e10;
			bn = n;
		} else if (up_ok) {
			memcpy(best, up, (size_t)n);
			bexp = upexp;
			bn = n;
		}
	}
	CHECK(bn > 0);
	while (bn > 1 && best[bn - 1] == '0')
		bn--;
	/* Python's float_repr_style 'short' layout. */
	if (signbit(v))
		out[k++] = '-';
	if (bexp >= 16 || bexp < -4) {
		out[k++] = best[0];
		if (bn > 1) {
			out[k++] = '.';
			for (int i = 1; i < bn; i++)
				out[k++] = best[i];
		}
		k += (size_t)sprintf(out + k, "e%s%02d", bexp < 0 ? "-" : "+",
		    abs(bexp));
	} else if (bexp < 0) {
		out[k++] = '0';
		out[k++] = '.';
		for (int i = -1; i > bexp; i--)
			out[k++] = '0';
		for (int i = 0; i < bn; i++)
			out[k++] = best[i];
	} else {
		for (int i = 0; i <= bexp; i++)
			out[k++] = i < bn ? best[i] : '0';
		out[k++] = '.';
		if (bn > bexp + 1)
			for (int i = bexp + 1; i < bn; i++)
				out[k++] = best[i];
		else
			out[k++] = '0';
	}
	rj_add(o, out, k);
}

/* A string, as ensure_ascii (ascii) or as ensure_ascii=False writes it. */
static void
rj_str(struct rj_out *o, const char *s, size_t len, int ascii)
{
	char buf[16];
	unsigned int cp;
	size_t n;

	rj_adds(o, "\"");
	for (size_t i = 0; i < len; i += n) {
		n = ref_utf8_one((const unsigned char *)s + i, len - i, &cp);
		CHECK(n > 0);		/* parsed strings are UTF-8 */
		const char *sh = cp == '"' ? "\\\"" : cp == '\\' ? "\\\\" :
		    cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : cp == '\t' ? "\\t" :
		    cp == '\b' ? "\\b" : cp == '\f' ? "\\f" : NULL;
		if (sh != NULL)
			rj_adds(o, sh);
		else if (cp < 0x20 || (ascii && cp >= 0x7F && cp < 0x10000)) {
			sprintf(buf, "\\u%04x", cp);
			rj_adds(o, buf);
		} else if (ascii && cp >= 0x10000) {
			sprintf(buf, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
			    0xDC00 + ((cp - 0x10000) & 0x3FF));
			rj_adds(o, buf);
		} else
			rj_add(o, s + i, n);
	}
	rj_adds(o, "\"");
}

/* Is key a before key b in code point order? */
static int
rj_before(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c < 0 || (c == 0 && an < bn);
}

/* json.dumps: sorted (sort_keys, ", ", ": ", ASCII) or FastAPI's compact. */
static void
rj_dump(struct rj_out *o, const struct rj *r, int sorted)
{
	size_t *order;

	switch (r->t) {
	case RJ_NULL:
		rj_adds(o, "null");
		return;
	case RJ_BOOL:
		rj_adds(o, r->b ? "true" : "false");
		return;
	case RJ_INT:
		rj_add(o, r->s, r->len);
		return;
	case RJ_FLOAT:
		rj_float(o, r->d);
		return;
	case RJ_STR:
		rj_str(o, r->s, r->len, sorted);
		return;
	case RJ_ARR:
		rj_adds(o, "[");
		for (size_t i = 0; i < r->n; i++) {
			if (i)
				rj_adds(o, sorted ? ", " : ",");
			rj_dump(o, r->kid[i], sorted);
		}
		rj_adds(o, "]");
		return;
	case RJ_OBJ:
		/* Insertion sort of member indices. */
		order = malloc((r->n + 1) * sizeof(*order));
		CHECK(order != NULL);
		for (size_t i = 0; i < r->n; i++) {
			size_t j = i;
			while (sorted && j > 0 && rj_before(r->key[i], r->klen[i],
			    r->key[order[j - 1]], r->klen[order[j - 1]])) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = i;
		}
		rj_adds(o, "{");
		for (size_t i = 0; i < r->n; i++) {
			if (i)
				rj_adds(o, sorted ? ", " : ",");
			rj_str(o, r->key[order[i]], r->klen[order[i]], sorted);
			rj_adds(o, sorted ? ": " : ":");
			rj_dump(o, r->kid[order[i]], sorted);
		}
		rj_adds(o, "}");
		free(order);
		return;
	}
}

#endif
