#include <stdlib.h>

#include "data/objname_vectors.h"
#include "objname.h"
#include "t.h"

struct id_case {
	const char	*in;
	size_t		 in_len;
	const char	*want;
	size_t		 want_len;
};

#define C(in, want) { in, sizeof(in) - 1, want, sizeof(want) - 1 }

/* Expectations from CPython 3.11: make_safe_name(name) in the comments. */
static const struct id_case id_cases[] = {
	C("My Model", "my_model"),			/* Weave's digest rules (README, lib/openapi.json) */
	C("", ""),
	C("user/model", "user_model"),
	C("a b/c d", "a_b_c_d"),
	C("  //", "____"),
	C("<My>Model<>", "mymodel"),
	C("<>", ""),
	C("a<b>c", "abc"),
	C("A.B-C_D", "a.b-c_d"),
	C("x\0Y", "x\0y"),				/* U+0000 is kept */
	C("\xc4\xb0", "i\xcc\x87"),			/* 'İ' -> 'i̇' */
	C("\xc4\xb0STANBUL", "i\xcc\x87stanbul"),
	C("\xc3\x9f", "\xc3\x9f"),			/* ß stays ß */
	C("\xe1\xba\x9e", "\xc3\x9f"),			/* ẞ -> ß */
	C("\xe2\x84\xaa", "k"),				/* Kelvin sign */
	C("\xe2\x84\xa6", "\xcf\x89"),			/* Ohm sign -> ω */
	C("\xc8\xba", "\xe2\xb1\xa5"),			/* Ⱥ -> ⱥ: grows */
	/* Cyrillic */
	C("\xd0\x9c\xd0\x9e\xd0\x94\xd0\x95\xd0\x9b\xd0\xac",
	    "\xd0\xbc\xd0\xbe\xd0\xb4\xd0\xb5\xd0\xbb\xd1\x8c"),
	C("\xd0\x81\xd0\x96", "\xd1\x91\xd0\xb6"),	/* ЁЖ */
	C("\xf0\x9f\x98\x80 A", "\xf0\x9f\x98\x80_a"),	/* emoji untouched */
	C("\xf0\x90\x90\x80", "\xf0\x90\x90\xa8"),	/* Deseret */
	C("\xc7\x85", "\xc7\x86"),			/* titlecase ǅ -> ǆ */
	C("\xe2\x85\xa0", "\xe2\x85\xb0"),		/* Roman numeral Ⅰ */
	C("\xe2\x92\xb6", "\xe2\x93\x90"),		/* circled Ⓐ */
	/* Final sigma: 'ΣΑΣ' -> 'σας', 'Σ' -> 'σ', 'AΣ' -> 'aς'. */
	C("\xce\xa3\xce\x91\xce\xa3", "\xcf\x83\xce\xb1\xcf\x82"),
	C("\xce\xa3", "\xcf\x83"),
	C("A\xce\xa3", "a\xcf\x82"),
	C("A\xce\xa3 B", "a\xcf\x82_b"),		/* '_' is not cased */
	C("A\xce\xa3" "B", "a\xcf\x83" "b"),
	C("A\xce\xa3.", "a\xcf\x82."),
	C("A.\xce\xa3", "a.\xcf\x82"),			/* '.' ignorable */
	C("A'\xce\xa3'", "a'\xcf\x82'"),
	C("A:\xce\xa3:B", "a:\xcf\x83:b"),		/* ':' too */
	C("1\xce\xa3", "1\xcf\x83"),			/* digits: not cased */
	C("A<\xce\xa3>B", "a\xcf\x83" "b"),		/* after '<' '>' go */
	C("A<>\xce\xa3", "a\xcf\x82"),
	C("A/\xce\xa3", "a_\xcf\x83"),
	C("A\xce\xa3\xc4\xb0", "a\xcf\x83i\xcc\x87"),	/* İ is cased */
	C("\xce\xa3\xce\xa3", "\xcf\x83\xcf\x82"),
	C("A\xcd\x85\xce\xa3", "a\xcd\x85\xcf\x82"),	/* U+0345 ignorable */
	C("A\xc2\xad\xce\xa3\xc2\xad", "a\xc2\xad\xcf\x82\xc2\xad"),
	C("\xe1\xba\x9e\xce\xa3", "\xc3\x9f\xcf\x82"),
	C("\xc3\x9f\xce\xa3", "\xc3\x9f\xcf\x82"),	/* ß is cased */
	C("\xf0\x9f\x98\x80\xce\xa3", "\xf0\x9f\x98\x80\xcf\x83"),
};

/* Runs objname_to_id and compares with want[0..wlen); *what names the case. */
static void
check(const char *what, const char *in, size_t in_len, const char *want,
    size_t wlen)
{
	char *got;
	size_t got_len;

	if (!T_INT(what, 0, objname_to_id(in, in_len, &got, &got_len)))
		return;
	if (T_MEM(what, want, wlen, got, got_len))
		T_INT(what, 0, got[got_len]);	/* NUL-terminated */
	free(got);
}

static size_t
enc(unsigned int cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Every code point alone: what CPython's str.lower() gives for the ones it
 * changes (lower_changed), itself for all others. One check per failure and
 * one for the whole sweep, so 1.1 million code points do not flood the count.
 */
static void
all_code_points(void)
{
	size_t next = 0, bad = 0;
	char in[4], label[32];

	for (unsigned int cp = 0; cp < 0x110000; cp++) {
		const char *want = in;
		size_t in_len, wlen, got_len;
		char *got;

		if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == ' ' || cp == '/' ||
		    cp == '<' || cp == '>')
			continue;
		in_len = wlen = enc(cp, in);
		if (next < T_LEN(lower_changed) &&
		    lower_changed[next].cp == cp) {
			want = lower_changed[next].to;
			wlen = lower_changed[next].to_len;
			next++;
		}
		if (objname_to_id(in, in_len, &got, &got_len) != 0 ||
		    got_len != wlen || memcmp(got, want, wlen) != 0) {
			snprintf(label, sizeof(label), "U+%04X", cp);
			if (bad++ < 10)
				T_MEM(label, want, wlen, got,
				    got ? got_len : 0);
		}
		free(got);
	}
	T_INT("every code point", 0, bad);
	T_INT("lower_changed walked", T_LEN(lower_changed), next);
}

void
test_objname(void)
{
	char label[256];

	for (size_t i = 0; i < T_LEN(id_cases); i++) {
		const struct id_case *c = &id_cases[i];
		check(t_label(label, sizeof(label), c->in, c->in_len), c->in,
		    c->in_len, c->want, c->want_len);
	}
	all_code_points();
	for (size_t i = 0; i < T_LEN(objname_vectors); i++) {
		const char *in = objname_vectors[i].in;
		size_t n = objname_vectors[i].in_len;
		check(t_label(label, sizeof(label), in, n), in, n,
		    objname_vectors[i].want, objname_vectors[i].want_len);
	}
}
