/*
 * Reference implementations for the fuzz harnesses: each rule of
 * The API's rules (README, lib/openapi.json) written again, plainly and independently of lib/, so a harness
 * can compare lib/'s answer with what the contract says and abort on any
 * difference (a logic bug), not only on a crash.
 *
 * Everything here is static: each harness includes it once.
 */
#ifndef FUZZ_REF_H
#define FUZZ_REF_H

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Aborts (libFuzzer records a crash artifact) when an invariant breaks. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "\ninvariant violated: %s\n  at %s:%d\n",\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* A malloc'd NUL-terminated copy of data[0..size). */
static char *
ref_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	CHECK(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* ---- percent-decoding (Python's urllib.parse.unquote, byte level) ---- */

static int
ref_hex(unsigned char c)
{
	const char *digits = "0123456789abcdef";
	const char *p;

	if (c == 0)
		return -1;
	p = strchr(digits, c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	return p ? (int)(p - digits) : -1;
}

/*
 * Decodes in[0..len) into a malloc'd buffer (NUL-terminated), *outlen set.
 * "%XY" with two hex digits is one byte; anything else is copied; with plus,
 * '+' is a space.
 */
static char *
ref_unquote(const char *in, size_t len, size_t *outlen, int plus)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	CHECK(out != NULL);
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%' && i + 2 < len &&
		    ref_hex((unsigned char)in[i + 1]) >= 0 &&
		    ref_hex((unsigned char)in[i + 2]) >= 0) {
			out[o++] = (char)(ref_hex((unsigned char)in[i + 1]) * 16 +
			    ref_hex((unsigned char)in[i + 2]));
			i += 2;
		} else if (plus && in[i] == '+')
			out[o++] = ' ';
		else
			out[o++] = in[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* pct_escape's contract: bytes outside 0x21..0x7E as %XX (upper case). */
static char *
ref_escape(const char *in, size_t len)
{
	char *out = malloc(3 * len + 1), *p = out;

	CHECK(out != NULL);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x21 && c <= 0x7E)
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return out;
}

/* ---- UTF-8 as Python's strict decoder reads it ---- */

/*
 * Decodes one code point at s[0..len); returns its byte length, or 0 when
 * the bytes there are not well-formed (overlong, surrogate, > U+10FFFF,
 * truncated, stray continuation).
 */
static size_t
ref_utf8_one(const unsigned char *s, size_t len, unsigned int *cp)
{
	unsigned int c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Code points in s[0..len), or -1 when it is not well-formed UTF-8. */
static long
ref_utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	long count = 0;
	unsigned int cp;

	for (size_t i = 0, n; i < len; i += n, count++)
		if ((n = ref_utf8_one(p + i, len - i, &cp)) == 0)
			return -1;
	return count;
}

/* ---- \w: the generated table (checked against Python 3.11's re) ---- */

#include "word_table.h"

/* A bitmap of every code point, filled range by range on first use. */
static int
ref_is_word(unsigned int cp)
{
	static unsigned char bits[0x110000 / 8];
	static int filled;

	if (!filled) {
		for (size_t i = 0; i < sizeof(word_ranges) / sizeof(word_ranges[0]);
		    i++)
			for (unsigned int c = word_ranges[i].lo;
			    c <= word_ranges[i].hi && c < 0x110000; c++)
				bits[c / 8] |= (unsigned char)(1u << (c % 8));
		filled = 1;
	}
	return cp < 0x110000 && (bits[cp / 8] >> (cp % 8) & 1);
}

/* ---- the validation rules of the validation rules (README, lib/openapi.json) ---- */

enum ref_rule { REF_OK, REF_UNICODE, REF_TOO_LONG, REF_PATTERN };

#define REF_NAME_PATTERN "^[A-Za-z0-9_.-]+$"
#define REF_OID_PATTERN "^[\\w.-]+$"
#define REF_DIGEST_PATTERN \
	"^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$"

/* POSIX ERE over the bytes; a NUL byte matches none of these patterns. */
static int
ref_regex_match(const char *pattern, const char *s, size_t len)
{
	static regex_t name_re, digest_re;
	static int compiled;
	regex_t *re;
	char *copy;
	int rc;

	if (!compiled) {
		CHECK(regcomp(&name_re, REF_NAME_PATTERN,
		    REG_EXTENDED | REG_NOSUB) == 0);
		CHECK(regcomp(&digest_re, REF_DIGEST_PATTERN,
		    REG_EXTENDED | REG_NOSUB) == 0);
		compiled = 1;
	}
	re = strcmp(pattern, REF_NAME_PATTERN) == 0 ? &name_re : &digest_re;
	if (memchr(s, '\0', len) != NULL)
		return 0;
	copy = ref_strndup((const uint8_t *)s, len);
	rc = regexec(re, copy, 0, NULL, 0);
	free(copy);
	return rc == 0;
}

static enum ref_rule
ref_valid_name(const char *s, size_t len)
{
	long n = ref_utf8_count(s, len);

	if (n < 0)
		return REF_UNICODE;
	if (n > 128)
		return REF_TOO_LONG;
	return ref_regex_match(REF_NAME_PATTERN, s, len) ? REF_OK : REF_PATTERN;
}

static enum ref_rule
ref_valid_object_id(const char *s, size_t len)
{
	long n = ref_utf8_count(s, len);
	unsigned int cp;

	if (n < 0)
		return REF_UNICODE;
	if (n > 128)
		return REF_TOO_LONG;
	if (n == 0)
		return REF_PATTERN;
	for (size_t i = 0, k; i < len; i += k) {
		k = ref_utf8_one((const unsigned char *)s + i, len - i, &cp);
		CHECK(k > 0);
		if (cp != '.' && cp != '-' && !ref_is_word(cp))
			return REF_PATTERN;
	}
	return REF_OK;
}

static enum ref_rule
ref_valid_digest(const char *s, size_t len)
{
	if (ref_utf8_count(s, len) < 0)
		return REF_UNICODE;
	return ref_regex_match(REF_DIGEST_PATTERN, s, len) ? REF_OK :
	    REF_PATTERN;
}

/* ---- routing (the routing rules (README, lib/openapi.json) and 9) ---- */

/* In lib/route.h's order, so the harnesses compare kinds directly. */
enum ref_kind { REF_NOT_FOUND, REF_MODEL, REF_MODELS, REF_VERSION, REF_HEALTH,
    REF_OPENAPI, REF_METRICS };
#define REF_MAX_SEG 7

struct ref_route {
	enum ref_kind	 kind;
	size_t		 trailing;
	size_t		 nseg;
	const char	*raw[REF_MAX_SEG];	/* into the path */
	size_t		 raw_len[REF_MAX_SEG];
	char		*val[REF_MAX_SEG];	/* malloc'd, decoded */
	size_t		 len[REF_MAX_SEG];
};

static int
ref_seg_is(const struct ref_route *r, size_t i, const char *lit)
{
	return r->len[i] == strlen(lit) && memcmp(r->val[i], lit, r->len[i]) == 0;
}

static void
ref_route_free(struct ref_route *r)
{
	for (size_t i = 0; i < r->nseg; i++)
		free(r->val[i]);
	r->nseg = 0;
}

/* The Allow header of a route kind (section 1's list). */
static const char *
ref_allow(enum ref_kind k)
{
	switch (k) {
	case REF_MODEL:
		return "DELETE";
	case REF_MODELS:
		return "GET, POST";
	case REF_VERSION:
		return "GET";
	case REF_HEALTH:
	case REF_OPENAPI:
	case REF_METRICS:
		return "GET, HEAD";
	default:
		return NULL;
	}
}

/*
 * The raw path (no query, prefix already cut): starts with '/'; trailing
 * slashes are counted off; the rest is split on '/' and every piece must be
 * non-empty; pieces are then percent-decoded and compared:
 * /health, /openapi.json, /metrics, /v2/E/P/models, /v2/E/P/models/OID,
 * /v2/E/P/models/OID/versions/D. */
static void
ref_route_match(const char *path, size_t len, struct ref_route *r)
{
	size_t end = len, start;

	memset(r, 0, sizeof(*r));
	if (len == 0 || path[0] != '/')
		return;
	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0)		/* nothing but slashes */
		return;
	start = 1;
	for (;;) {
		const char *slash = memchr(path + start, '/', end - start);
		size_t stop = slash ? (size_t)(slash - path) : end;

		/* empty, or more than any route has */
		if (stop == start || r->nseg == REF_MAX_SEG) {
			ref_route_free(r);
			return;
		}
		r->raw[r->nseg] = path + start;
		r->raw_len[r->nseg] = stop - start;
		r->val[r->nseg] = ref_unquote(path + start, stop - start,
		    &r->len[r->nseg], 0);
		r->nseg++;
		if (slash == NULL)
			break;
		start = stop + 1;
	}
	if (r->nseg == 1 && ref_seg_is(r, 0, "health"))
		r->kind = REF_HEALTH;
	else if (r->nseg == 1 && ref_seg_is(r, 0, "openapi.json"))
		r->kind = REF_OPENAPI;
	else if (r->nseg == 1 && ref_seg_is(r, 0, "metrics"))
		r->kind = REF_METRICS;
	else if (r->nseg >= 4 && ref_seg_is(r, 0, "v2") &&
	    ref_seg_is(r, 3, "models")) {
		if (r->nseg == 4)
			r->kind = REF_MODELS;
		else if (r->nseg == 5)
			r->kind = REF_MODEL;
		else if (r->nseg == 7 && ref_seg_is(r, 5, "versions"))
			r->kind = REF_VERSION;
	}
	if (r->kind != REF_NOT_FOUND)
		r->trailing = len - end;
}

/* ---- the query string, as Starlette's parse_qsl(keep_blank_values) ---- */

struct ref_item {
	const char	*raw;
	size_t		 raw_len;
	char		*val;
	size_t		 len;
};

struct ref_query {
	size_t		 n;
	struct ref_item	*items;
};

/* The values of key in qs, in order. */
static void
ref_query_parse_key(const char *qs, size_t len, const char *key,
    struct ref_query *q)
{
	size_t cap = 0, i = 0;

	memset(q, 0, sizeof(*q));
	while (i <= len) {
		const char *amp = memchr(qs + i, '&', len - i);
		size_t stop = amp ? (size_t)(amp - qs) : len;
		const char *piece = qs + i, *eq;
		size_t plen = stop - i, nlen, dlen;
		char *name;

		i = stop + 1;
		if (plen == 0)
			continue;
		eq = memchr(piece, '=', plen);
		nlen = eq ? (size_t)(eq - piece) : plen;
		name = ref_unquote(piece, nlen, &dlen, 1);
		if (dlen == strlen(key) && memcmp(name, key, dlen) == 0) {
			if (q->n == cap) {
				cap = cap ? 2 * cap : 16;
				q->items = realloc(q->items, cap * sizeof(*q->items));
				CHECK(q->items != NULL);
			}
			struct ref_item *it = &q->items[q->n++];
			it->raw = eq ? eq + 1 : piece + plen;
			it->raw_len = eq ? plen - nlen - 1 : 0;
			it->val = ref_unquote(it->raw, it->raw_len, &it->len, 1);
		}
		free(name);
	}
}

static void
ref_query_parse(const char *qs, size_t len, struct ref_query *q)
{
	ref_query_parse_key(qs, len, "digests", q);
}

/*
 * Every key but known, in order of first appearance, with its first
 * spelling and its last value: Starlette's QueryParams read plainly, one
 * key at a time (quadratic, which a reference may be).
 */
struct ref_key {
	char		*name;
	size_t		 len;
	const char	*raw_name;
	size_t		 raw_name_len;
	struct ref_item	 last;
};

struct ref_keys {
	size_t		 n;
	struct ref_key	*keys;
};

static void
ref_query_other_keys(const char *qs, size_t len, const char *known,
    struct ref_keys *k)
{
	size_t cap = 0, i = 0;

	memset(k, 0, sizeof(*k));
	while (i <= len) {
		const char *amp = memchr(qs + i, '&', len - i);
		size_t stop = amp ? (size_t)(amp - qs) : len;
		const char *piece = qs + i, *eq;
		size_t plen = stop - i, nlen, dlen, j;
		char *name;

		i = stop + 1;
		if (plen == 0)
			continue;
		eq = memchr(piece, '=', plen);
		nlen = eq ? (size_t)(eq - piece) : plen;
		name = ref_unquote(piece, nlen, &dlen, 1);
		if (dlen == strlen(known) && memcmp(name, known, dlen) == 0) {
			free(name);
			continue;
		}
		for (j = 0; j < k->n; j++)
			if (k->keys[j].len == dlen &&
			    memcmp(k->keys[j].name, name, dlen) == 0)
				break;
		if (j == k->n) {
			if (k->n == cap) {
				cap = cap ? 2 * cap : 16;
				k->keys = realloc(k->keys, cap * sizeof(*k->keys));
				CHECK(k->keys != NULL);
			}
			k->keys[j].name = name;
			k->keys[j].len = dlen;
			k->keys[j].raw_name = piece;
			k->keys[j].raw_name_len = nlen;
			k->keys[j].last.val = NULL;
			k->n++;
		} else
			free(name);
		free(k->keys[j].last.val);
		k->keys[j].last.raw = eq ? eq + 1 : piece + plen;
		k->keys[j].last.raw_len = eq ? plen - nlen - 1 : 0;
		k->keys[j].last.val = ref_unquote(k->keys[j].last.raw,
		    k->keys[j].last.raw_len, &k->keys[j].last.len, 1);
	}
}

static void
ref_keys_free(struct ref_keys *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i].name);
		free(k->keys[i].last.val);
	}
	free(k->keys);
	memset(k, 0, sizeof(*k));
}

static void
ref_query_free(struct ref_query *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->items[i].val);
	free(q->items);
	memset(q, 0, sizeof(*q));
}

/* ---- strict base64 and the Authorization header (section 2) ---- */

static int
ref_b64(unsigned char c)
{
	const char *alphabet =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/*
 * Strict standard base64: length a multiple of 4, the alphabet only, at
 * most two '=' and only at the very end; bits under the padding ignored.
 * Returns a malloc'd buffer and *outlen, or NULL when invalid.
 */
static unsigned char *
ref_b64_decode(const char *in, size_t len, size_t *outlen)
{
	size_t pad = 0, body, o = 0;
	unsigned long acc = 0;
	int bits = 0;
	unsigned char *out;

	if (len % 4 != 0)
		return NULL;
	while (pad < len && in[len - 1 - pad] == '=')
		pad++;
	if (pad > 2)
		return NULL;
	body = len - pad;
	out = malloc(len / 4 * 3 + 1);
	CHECK(out != NULL);
	for (size_t i = 0; i < body; i++) {
		int v = ref_b64((unsigned char)in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	*outlen = o;
	return out;
}

enum ref_auth { REF_AUTH_MISSING, REF_AUTH_INVALID, REF_AUTH_KEY };

static int
ref_key_shape(const char *k, size_t len)
{
	if (len != 40)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789abcdef", k[i]) || k[i] == '\0')
			return 0;
	return 1;
}

static enum ref_auth
ref_take_key(const char *k, size_t len, char key[41])
{
	if (len == 0)
		return REF_AUTH_MISSING;
	if (!ref_key_shape(k, len))
		return REF_AUTH_INVALID;
	memcpy(key, k, 40);
	key[40] = '\0';
	return REF_AUTH_KEY;
}

static enum ref_auth
ref_auth_parse(const char *h, char key[41])
{
	const char *scheme, *cred;
	size_t slen, clen;
	enum ref_auth res;

	if (h == NULL)
		return REF_AUTH_MISSING;
	scheme = h + strspn(h, " ");
	slen = strcspn(scheme, " ");
	cred = scheme + slen;
	cred += strspn(cred, " ");
	clen = strlen(cred);
	while (clen > 0 && cred[clen - 1] == ' ')
		clen--;

	if (slen == 6 && strncasecmp(scheme, "Bearer", 6) == 0)
		return ref_take_key(cred, clen, key);
	if (slen != 5 || strncasecmp(scheme, "Basic", 5) != 0)
		return REF_AUTH_MISSING;

	size_t n;
	unsigned char *dec = ref_b64_decode(cred, clen, &n);
	const unsigned char *colon;

	if (dec == NULL)
		return REF_AUTH_MISSING;
	colon = memchr(dec, ':', n);
	res = colon ? ref_take_key((const char *)colon + 1,
	    n - (size_t)(colon - dec) - 1, key) : REF_AUTH_MISSING;
	free(dec);
	return res;
}

/* ---- section 9: list paging, media types, body text, times ---- */

enum ref_count { REF_COUNT_OK, REF_COUNT_PARSING, REF_COUNT_NEGATIVE };

/*
 * limit/offset (section 9.3): UTF-8 text that is [+-]?[0-9]+ with optional
 * ASCII spaces around it, else int_parsing; below zero, greater_than_equal.
 * *v is the value, or LLONG_MAX-like saturation (*big set) past 2^63-1.
 */
static enum ref_count
ref_valid_count(const char *s, size_t len, unsigned long long *v, int *big)
{
	size_t a = 0, b = len;
	int neg = 0, nonzero = 0;

	*v = 0;
	*big = 0;
	if (ref_utf8_count(s, len) < 0)
		return REF_COUNT_PARSING;
	while (a < b && s[a] == ' ')
		a++;
	while (b > a && s[b - 1] == ' ')
		b--;
	if (a < b && strchr("+-", s[a]) != NULL && s[a] != '\0') {
		neg = s[a] == '-';
		a++;
	}
	if (a == b)
		return REF_COUNT_PARSING;
	for (size_t i = a; i < b; i++) {
		if (s[i] < '0' || s[i] > '9')
			return REF_COUNT_PARSING;
		unsigned long long d = (unsigned long long)(s[i] - '0');

		nonzero |= d != 0;
		if (*big || *v > (0x7FFFFFFFFFFFFFFFULL - d) / 10)
			*big = 1;
		else
			*v = *v * 10 + d;
	}
	if (neg && nonzero)
		return REF_COUNT_NEGATIVE;
	return REF_COUNT_OK;
}

/* Python's str.strip() on a Latin-1 character. */
static int
ref_py_space(unsigned char c)
{
	return strchr(" \t\n\v\f\r\x1c\x1d\x1e\x1f", c) != NULL ?
	    c != '\0' : c == 0x85 || c == 0xA0;
}

/*
 * Whether FastAPI reads a body with this Content-Type as JSON (section
 * 9.1): absent or empty; else email.message's content type (the text
 * before the first ';', stripped, lower-cased, exactly one '/', else
 * text/plain) is application/json or application/<x>+json.
 */
static int
ref_media_is_json(const char *ct)
{
	char *t;
	size_t n, a = 0;
	int slashes = 0, ok = 0;

	if (ct == NULL || ct[0] == '\0')
		return 1;
	n = strcspn(ct, ";");
	while (a < n && ref_py_space((unsigned char)ct[a]))
		a++;
	while (n > a && ref_py_space((unsigned char)ct[n - 1]))
		n--;
	t = ref_strndup((const uint8_t *)ct + a, n - a);
	for (char *p = t; *p; p++) {
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		slashes += *p == '/';
	}
	if (slashes == 1 && strncmp(t, "application/", 12) == 0) {
		const char *sub = t + 12;
		size_t sl = strlen(sub);
		ok = strcmp(sub, "json") == 0 ||
		    (sl >= 5 && strcmp(sub + sl - 5, "+json") == 0);
	}
	free(t);
	return ok;
}

/*
 * bytes.decode("utf-8", "replace"): a well-formed sequence is kept; else
 * the longest prefix of one that could still complete becomes one U+FFFD
 * (a byte that starts none, one U+FFFD by itself). Returns a malloc'd
 * buffer and *outlen.
 */
static char *
ref_utf8_replace(const char *in, size_t len, size_t *outlen)
{
	/* For each lead byte range: continuation count, second-byte bounds. */
	static const struct { unsigned char lo, hi, need, b2lo, b2hi; } lead[] = {
		{ 0xC2, 0xDF, 1, 0x80, 0xBF }, { 0xE0, 0xE0, 2, 0xA0, 0xBF },
		{ 0xE1, 0xEC, 2, 0x80, 0xBF }, { 0xED, 0xED, 2, 0x80, 0x9F },
		{ 0xEE, 0xEF, 2, 0x80, 0xBF }, { 0xF0, 0xF0, 3, 0x90, 0xBF },
		{ 0xF1, 0xF3, 3, 0x80, 0xBF }, { 0xF4, 0xF4, 3, 0x80, 0x8F },
	};
	const unsigned char *s = (const unsigned char *)in;
	char *out = malloc(3 * len + 1);
	size_t o = 0, i = 0;

	CHECK(out != NULL);
	while (i < len) {
		unsigned int cp;
		size_t k = ref_utf8_one(s + i, len - i, &cp), good = 0;

		if (k > 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		for (size_t l = 0; l < sizeof(lead) / sizeof(lead[0]); l++) {
			if (s[i] < lead[l].lo || s[i] > lead[l].hi)
				continue;
			for (good = 0; good < lead[l].need && i + 1 + good < len;
			    good++) {
				unsigned char c = s[i + 1 + good];
				unsigned char lo = good ? 0x80 : lead[l].b2lo;
				unsigned char hi = good ? 0xBF : lead[l].b2hi;
				if (c < lo || c > hi)
					break;
			}
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i += 1 + good;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

enum ref_time_style { REF_PYDANTIC, REF_STR, REF_ISO };

/*
 * A UTC time given in microseconds since 1970 as Python prints it (years
 * 1-9999): pydantic "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", str(datetime)
 * "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00", isoformat() with a 'T'. The
 * calendar is Howard Hinnant's civil_from_days, not gmtime.
 */
static void
ref_time(long long us, enum ref_time_style style, char out[48])
{
	long long secs = us / 1000000, frac = us % 1000000, days, sod;
	long long z, era, doe, yoe, y, doy, mp, d, m;
	char f[16] = "";

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (frac)
		snprintf(f, sizeof(f), ".%06lld", frac);
	snprintf(out, 48, "%04lld-%02lld-%02lld%s%02lld:%02lld:%02lld%s%s", y, m,
	    d, style == REF_STR ? " " : "T", sod / 3600, sod / 60 % 60, sod % 60,
	    f, style == REF_PYDANTIC ? "Z" : "+00:00");
}

#endif
