/*
 * UTF-8 and \w classification: lib/utf8.h utf8_count, utf8_decode and
 * utf8_is_word, and the single-value checks of lib/validate.h (valid_name,
 * valid_object_id, valid_digest), on arbitrary bytes, against ref.h.
 */
#include "ref.h"
#include "utf8.h"
#include "validate.h"

/*
 * Once: utf8_is_word against the table for every code point (and beyond),
 * the table sorted and disjoint, and a few values Python 3.11's re module
 * is known to give (re.match(r'\w', chr(cp))).
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct { unsigned int cp; int word; } known[] = {
		{ '0', 1 }, { '9', 1 }, { 'A', 1 }, { 'z', 1 }, { '_', 1 },
		{ '-', 0 }, { '.', 0 }, { ' ', 0 }, { '/', 0 }, { 0, 0 },
		{ 0x7F, 0 }, { 0xAA, 1 }, { 0xB2, 1 }, { 0xB5, 1 }, { 0xD7, 0 },
		{ 0xE9, 1 }, { 0x300, 0 }, { 0x660, 1 }, { 0x200C, 0 },
		{ 0x2028, 0 }, { 0x3000, 0 }, { 0x4E00, 1 }, { 0xAC00, 1 },
		{ 0xD800, 0 }, { 0xDFFF, 0 }, { 0xFEFF, 0 }, { 0xFF10, 1 },
		{ 0x1F600, 0 }, { 0x20000, 1 }, { 0x10FFFF, 0 }, { 0x110000, 0 },
		{ 0xFFFFFFFF, 0 },
	};
	size_t n = sizeof(word_ranges) / sizeof(word_ranges[0]), r = 0;

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < n; i++) {
		CHECK(word_ranges[i].lo <= word_ranges[i].hi);
		CHECK(i == 0 || word_ranges[i - 1].hi + 1 < word_ranges[i].lo);
	}
	for (unsigned int cp = 0; cp <= 0x110100; cp++) {
		while (r < n && word_ranges[r].hi < cp)
			r++;
		CHECK(utf8_is_word(cp) == (r < n && cp >= word_ranges[r].lo));
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK(utf8_is_word(known[i].cp) == known[i].word);
	return 0;
}

static void
check_utf8(const char *s, size_t len)
{
	long n = utf8_count(s, len);

	CHECK(n == ref_utf8_count(s, len));
	CHECK(n <= (long)len);
	if (n < 0)
		return;
	/* Decoding walks the whole text, one code point at a time. */
	long count = 0;
	for (size_t i = 0, k; i < len; i += k, count++) {
		unsigned int cp, rcp;
		size_t rk = ref_utf8_one((const unsigned char *)s + i, len - i, &rcp);

		cp = utf8_decode(s + i, &k);
		CHECK(k >= 1 && k <= 4 && k <= len - i);
		CHECK(k == rk && cp == rcp);
		CHECK(cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
		CHECK(utf8_is_word(cp) == ref_is_word(cp));
	}
	CHECK(count == n);
}

static void
check_validate(const char *s, size_t len)
{
	enum valid_rule name = valid_name(s, len);
	enum valid_rule oid = valid_object_id(s, len);
	enum valid_rule dig = valid_digest(s, len);

	CHECK((int)name == (int)ref_valid_name(s, len));
	CHECK((int)oid == (int)ref_valid_object_id(s, len));
	CHECK((int)dig == (int)ref_valid_digest(s, len));
	/* Unicode is the first rule of all three. */
	CHECK((name == VALID_UNICODE) == (ref_utf8_count(s, len) < 0));
	CHECK((oid == VALID_UNICODE) == (name == VALID_UNICODE));
	CHECK((dig == VALID_UNICODE) == (name == VALID_UNICODE));
	/* A valid name is a valid object_id ([A-Za-z0-9_] is in \w). */
	if (name == VALID_OK)
		CHECK(oid == VALID_OK);
	CHECK(dig != VALID_TOO_LONG);
	if (dig == VALID_OK) {
		size_t digits = 1;
		while (digits < len && s[digits] >= '0' && s[digits] <= '9')
			digits++;
		CHECK((len == 6 && memcmp(s, "latest", 6) == 0) ||
		    (len >= 2 && s[0] == 'v' && digits == len) ||
		    len == 43 || len == 64);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);

	CHECK(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	check_utf8(s, size);
	check_validate(s, size);
	/* Any 21-bit value (and a few wider ones) as a code point. */
	for (size_t i = 0; i + 3 <= size; i += 3) {
		unsigned int cp = (unsigned int)data[i] << 16 |
		    (unsigned int)data[i + 1] << 8 | data[i + 2];
		CHECK(utf8_is_word(cp) == ref_is_word(cp));
		CHECK(utf8_is_word(cp | 0x80000000u) == 0);
	}
	free(s);
	return 0;
}
