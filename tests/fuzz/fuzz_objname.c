/*
 * Object ids: lib/objname.h objname_to_id on arbitrary UTF-8, against a
 * reference built differently. The one-to-one lower() mappings come from
 * CPython's own strings (tests/unit/data/objname_vectors.h, written by
 * tools/gen-objname-vectors.py), not from lib/lower_table.h's packed runs;
 * final sigma is decided by two whole-string passes (cased before, cased
 * after) instead of lib/'s running state and look-ahead. Invariants: the
 * output is UTF-8, holds none of ' ' '/' '<' '>', is at most 3/2 the input,
 * and a second pass leaves it unchanged.
 */
#include "ref.h"
#include "objname.h"
#include "utf8.h"

#include "../unit/data/objname_vectors.h"
#include "lower_table.h"

#define NCP 0x110000u

static unsigned int ref_low[NCP][2];		/* lower(cp), second or 0 */
static unsigned char ref_ignorable[NCP / 8], ref_cased[NCP / 8];

static int
bit(const unsigned char *bits, unsigned int cp)
{
	return bits[cp / 8] >> (cp % 8) & 1;
}

static void
fill(unsigned char *bits, const struct utf8_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned int c = r[i].lo; c <= r[i].hi; c++)
			bits[c / 8] |= (unsigned char)(1u << (c % 8));
}

/* Once: the full map from CPython's strings, the two class bitmaps. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned int cp = 0; cp < NCP; cp++)
		ref_low[cp][0] = cp;
	for (size_t i = 0; i < sizeof(lower_changed) / sizeof(lower_changed[0]);
	    i++) {
		const unsigned char *s =
		    (const unsigned char *)lower_changed[i].to;
		size_t len = lower_changed[i].to_len, k = 0;
		unsigned int cp = lower_changed[i].cp;

		for (int j = 0; k < len; j++) {
			size_t n = ref_utf8_one(s + k, len - k,
			    &ref_low[cp][j]);
			CHECK(n > 0 && j < 2);
			k += n;
		}
	}
	fill(ref_ignorable, lower_ignorable,
	    sizeof(lower_ignorable) / sizeof(lower_ignorable[0]));
	fill(ref_cased, lower_cased,
	    sizeof(lower_cased) / sizeof(lower_cased[0]));
	/* Python's classes: '.' and U+0345 ignorable, 'A' and U+00DF cased. */
	CHECK(bit(ref_ignorable, '.') && bit(ref_ignorable, '\'') &&
	    bit(ref_ignorable, 0x345) && !bit(ref_ignorable, 'A'));
	CHECK(bit(ref_cased, 'A') && bit(ref_cased, 0xDF) &&
	    bit(ref_cased, 0x130) && !bit(ref_cased, '_') &&
	    !bit(ref_cased, '1'));
	return 0;
}

static size_t
ref_put(unsigned char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* make_safe_name of s[0..len) (well-formed UTF-8); malloc'd, *outlen set. */
static unsigned char *
ref_objname(const char *s, size_t len, size_t *outlen)
{
	unsigned int *cps = malloc((len + 1) * sizeof(*cps));
	unsigned char *before = malloc(len + 1), *after = malloc(len + 1);
	unsigned char *out = malloc(8 * len + 1);
	size_t n = 0, o = 0;

	CHECK(cps && before && after && out);
	/* The replacements first: the sigma context is the replaced text. */
	for (size_t i = 0, k; i < len; i += k) {
		unsigned int cp;
		k = ref_utf8_one((const unsigned char *)s + i, len - i, &cp);
		CHECK(k > 0);
		if (cp == '<' || cp == '>')
			continue;
		cps[n++] = cp == ' ' || cp == '/' ? '_' : cp;
	}
	/* before[i]: the nearest non-ignorable cp left of i is cased. */
	for (size_t i = 0, state = 0; i < n; i++) {
		before[i] = (unsigned char)state;
		if (!bit(ref_ignorable, cps[i]))
			state = bit(ref_cased, cps[i]);
	}
	for (size_t i = n, state = 0; i-- > 0;) {
		after[i] = (unsigned char)state;
		if (!bit(ref_ignorable, cps[i]))
			state = bit(ref_cased, cps[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (cps[i] == 0x3A3) {
			o += ref_put(out + o,
			    before[i] && !after[i] ? 0x3C2 : 0x3C3);
			continue;
		}
		o += ref_put(out + o, ref_low[cps[i]][0]);
		if (ref_low[cps[i]][1] != 0)
			o += ref_put(out + o, ref_low[cps[i]][1]);
	}
	free(cps);
	free(before);
	free(after);
	*outlen = o;
	return out;
}

static void
check_name(const char *s, size_t len)
{
	char *got, *again;
	size_t got_len, again_len, want_len;
	unsigned char *want;

	CHECK(objname_to_id(s, len, &got, &got_len) == 0);
	CHECK(got[got_len] == '\0');
	CHECK(2 * got_len <= 3 * len);
	CHECK(utf8_count(got, got_len) >= 0);
	CHECK(ref_utf8_count(got, got_len) >= 0);
	for (size_t i = 0; i < got_len; i++)
		CHECK(got[i] != ' ' && got[i] != '/' && got[i] != '<' &&
		    got[i] != '>');
	want = ref_objname(s, len, &want_len);
	CHECK(got_len == want_len && memcmp(got, want, want_len) == 0);
	CHECK(objname_to_id(got, got_len, &again, &again_len) == 0);
	CHECK(again_len == got_len && memcmp(again, got, got_len) == 0);
	free(want);
	free(again);
	free(got);
}

/*
 * The input as it is when it is UTF-8; then as code points, 3 bytes each,
 * with the values past U+10FFFF and the surrogates folded onto the code
 * points that matter most (capital sigma, U+0130, case-ignorables).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int fold[] = { 0x3A3, 0x130, '.', 0x345, 'A',
	    ' ', '<', 0xAD };
	unsigned char *s = malloc(size / 3 * 4 + 1);
	size_t n = 0;

	CHECK(s != NULL);
	if (ref_utf8_count((const char *)data, size) >= 0)
		check_name((const char *)data, size);
	for (size_t i = 0; i + 3 <= size; i += 3) {
		unsigned int cp = (unsigned int)data[i] << 16 |
		    (unsigned int)data[i + 1] << 8 | data[i + 2];
		if (cp >= NCP || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = fold[cp % (sizeof(fold) / sizeof(fold[0]))];
		n += ref_put(s + n, cp);
	}
	check_name((const char *)s, n);
	free(s);
	return 0;
}
