#include "t.h"
#include "utf8.h"

/*
 * Expected counts come from Python 3.11: len(b.decode("utf-8")), or -1 when
 * the strict decoder raises. C hex escapes are greedy, so "\xc3" "a" is split.
 */
struct count_case {
	const char	*in;
	size_t		 len;
	long		 want;
};

static const struct count_case count_cases[] = {
	{ "", 0, 0 },
	{ "a", 1, 1 },
	{ "abc", 3, 3 },
	{ "\x00", 1, 1 },
	{ "\x7f", 1, 1 },
	{ "\xc3\xa9", 2, 1 },
	{ "caf\xc3\xa9", 5, 4 },
	{ "\xe6\x97\xa5\xe6\x9c\xac", 6, 2 },
	{ "\xf0\x9f\x98\x80", 4, 1 },
	/* Boundaries of each length, all valid. */
	{ "\xc2\x80", 2, 1 },
	{ "\xdf\xbf", 2, 1 },
	{ "\xe0\xa0\x80", 3, 1 },
	{ "\xed\x9f\xbf", 3, 1 },		/* U+D7FF, just below surrogates */
	{ "\xee\x80\x80", 3, 1 },		/* U+E000, just above */
	{ "\xef\xbf\xbf", 3, 1 },
	{ "\xf0\x90\x80\x80", 4, 1 },
	{ "\xf4\x8f\xbf\xbf", 4, 1 },		/* U+10FFFF */
	/* Stray continuation bytes. */
	{ "\x80", 1, -1 },
	{ "\xbf", 1, -1 },
	/* Overlong forms. */
	{ "\xc0\x80", 2, -1 },
	{ "\xc1\xbf", 2, -1 },
	{ "\xe0\x80\x80", 3, -1 },
	{ "\xe0\x9f\xbf", 3, -1 },
	{ "\xf0\x80\x80\x80", 4, -1 },
	{ "\xf0\x8f\xbf\xbf", 4, -1 },
	/* Surrogates, alone or paired (CESU-8). */
	{ "\xed\xa0\x80", 3, -1 },
	{ "\xed\xbf\xbf", 3, -1 },
	{ "\xed\xa0\x80\xed\xb0\x80", 6, -1 },
	/* Above U+10FFFF, and bytes that never occur. */
	{ "\xf4\x90\x80\x80", 4, -1 },
	{ "\xf5\x80\x80\x80", 4, -1 },
	{ "\xf8\x88\x80\x80\x80", 5, -1 },
	{ "\xfe", 1, -1 },
	{ "\xff", 1, -1 },
	/* Truncated or interrupted sequences. */
	{ "\xc3", 1, -1 },
	{ "\xe6\x97", 2, -1 },
	{ "\xf0\x9f\x98", 3, -1 },
	{ "a\xc3", 2, -1 },
	{ "\xc3" "a", 2, -1 },
	{ "\xe6" "a\xa5", 3, -1 },
	{ "\xc3\xa9\xa9", 3, -1 },
	{ "\xf0\x9f\x98\x80\x80", 5, -1 },
	{ "\xc3\xc3\xa9", 3, -1 },
	{ "\xe6\x97\xa5x\xff", 5, -1 },
	/* The length given is the end: a valid sequence cut short fails. */
	{ "\xc3\xa9", 1, -1 },
	{ "\xe6\x97\xa5", 2, -1 },
};

struct decode_case {
	const char	*in;
	unsigned int	 want;
	size_t		 want_len;
};

static const struct decode_case decode_cases[] = {
	{ "a", 'a', 1 },
	{ "\x7f", 0x7F, 1 },
	{ "\xc2\x80", 0x80, 2 },
	{ "\xc3\xa9", 0xE9, 2 },
	{ "\xdf\xbf", 0x7FF, 2 },
	{ "\xe0\xa0\x80", 0x800, 3 },
	{ "\xd9\xa1", 0x661, 2 },
	{ "\xe6\x97\xa5", 0x65E5, 3 },
	{ "\xef\xbf\xbf", 0xFFFF, 3 },
	{ "\xf0\x90\x80\x80", 0x10000, 4 },
	{ "\xf0\x9f\x98\x80", 0x1F600, 4 },
	{ "\xf4\x8f\xbf\xbf", 0x10FFFF, 4 },
	/* Only the first code point is read. */
	{ "\xc3\xa9z", 0xE9, 2 },
};

/* Ground truth: bool(re.match(r"\w", chr(cp))) in Python 3.11. */
struct word_case {
	unsigned int	 cp;
	int		 want;
};

static const struct word_case word_cases[] = {
	/* ASCII: letters, digits, '_', and their neighbours. */
	{ '0', 1 }, { '9', 1 }, { 'A', 1 }, { 'Z', 1 }, { 'a', 1 },
	{ 'z', 1 }, { '_', 1 },
	{ '/', 0 }, { ':', 0 }, { '@', 0 }, { '[', 0 }, { '`', 0 },
	{ '{', 0 }, { '-', 0 }, { '.', 0 }, { ' ', 0 }, { 0, 0 },
	{ 0x7F, 0 },
	/* Latin-1: letters and numerics in, punctuation out. */
	{ 0xAA, 1 },		/* ª */
	{ 0xB2, 1 },		/* ² */
	{ 0xB5, 1 },		/* µ */
	{ 0xBD, 1 },		/* ½ */
	{ 0xE9, 1 },		/* é */
	{ 0xA0, 0 },		/* no-break space */
	{ 0xB7, 0 },		/* · middle dot */
	{ 0xD7, 0 },		/* × */
	/* Combining marks are not \w in Python (unlike PCRE). */
	{ 0x300, 0 },
	{ 0x363, 0 },
	/* Other scripts and numerics. */
	{ 0x5D0, 1 },		/* Hebrew alef */
	{ 0x661, 1 },		/* Arabic-Indic digit one */
	{ 0x2160, 1 },		/* Roman numeral one */
	{ 0x65E5, 1 },		/* 日 */
	{ 0xAC00, 1 },		/* Hangul syllable */
	{ 0xFF10, 1 },		/* fullwidth 0 */
	{ 0x1D400, 1 },		/* mathematical bold A */
	{ 0x1D7CE, 1 },		/* mathematical bold 0 */
	{ 0x20000, 1 },		/* CJK extension B */
	{ 0x200D, 0 },		/* zero width joiner */
	{ 0x2028, 0 },		/* line separator */
	{ 0x3000, 0 },		/* ideographic space */
	{ 0x1F600, 0 },		/* emoji */
	{ 0xE0100, 0 },		/* variation selector */
	{ 0x10FFFF, 0 },
};

void
test_utf8(void)
{
	char label[160], in[128];

	for (size_t i = 0; i < T_LEN(count_cases); i++) {
		const struct count_case *c = &count_cases[i];

		snprintf(label, sizeof(label), "utf8_count(\"%s\", %zu)",
		    t_label(in, sizeof(in), c->in, c->len), c->len);
		T_INT(label, c->want, utf8_count(c->in, c->len));
	}

	for (size_t i = 0; i < T_LEN(decode_cases); i++) {
		const struct decode_case *c = &decode_cases[i];
		size_t n = 0;
		unsigned int cp = utf8_decode(c->in, &n);

		snprintf(label, sizeof(label), "utf8_decode(\"%s\")",
		    t_label(in, sizeof(in), c->in, strlen(c->in)));
		T_INT(label, c->want, cp);
		T_INT(label, c->want_len, n);
	}

	/* The valid prefix is the whole text exactly when it counts. */
	for (size_t i = 0; i < T_LEN(count_cases); i++) {
		const struct count_case *c = &count_cases[i];

		snprintf(label, sizeof(label), "utf8_valid_prefix(\"%s\", %zu)",
		    t_label(in, sizeof(in), c->in, c->len), c->len);
		T_INT(label, 1, (utf8_valid_prefix(c->in, c->len) == c->len) ==
		    (c->want >= 0));
		if (c->want >= 0)
			T_INT(label, c->want, utf8_chars(c->in, c->len));
	}
	T_INT("utf8_valid_prefix stops at 0xff", 4,
	    utf8_valid_prefix("ab\xc3\xa9\xff", 5));
	T_INT("utf8_valid_prefix stops at a cut sequence", 1,
	    utf8_valid_prefix("a\xe6\x97", 3));
	T_INT("utf8_valid_prefix of nothing", 0, utf8_valid_prefix("", 0));

	/* Encoding inverts decoding; the lax decoder agrees on UTF-8. */
	for (size_t i = 0; i < T_LEN(decode_cases); i++) {
		const struct decode_case *c = &decode_cases[i];
		char out[4];
		unsigned int cp = 0;
		size_t n = utf8_encode(out, c->want);

		snprintf(label, sizeof(label), "utf8_encode(U+%04X)", c->want);
		T_MEM(label, c->in, c->want_len, out, n);
		n = utf8_decode_lax(c->in, strlen(c->in), &cp);
		T_INT(label, c->want, cp);
		T_INT(label, c->want_len, n);
	}
	{
		/* Each byte that starts no sequence is one U+FFFD of length 1. */
		static const char *const bad[] = { "\xc3", "\xe0\x80\x80",
		    "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xff",
		    "\xc3" "a", "\xe6\x97" };
		for (size_t i = 0; i < T_LEN(bad); i++) {
			unsigned int cp = 0;
			size_t n = utf8_decode_lax(bad[i], strlen(bad[i]), &cp);

			snprintf(label, sizeof(label), "utf8_decode_lax(\"%s\")",
			    t_label(in, sizeof(in), bad[i], strlen(bad[i])));
			T_INT(label, 0xFFFD, cp);
			T_INT(label, 1, n);
		}
	}
	{
		/* Python's b"a\xe6\x97b\xff\xc3\xa9".decode("utf-8", "replace"). */
		char out[32];
		size_t n = utf8_replace("a\xe6\x97" "b\xff\xc3\xa9", 7, out);

		T_MEM("utf8_replace", "a\xef\xbf\xbd" "b\xef\xbf\xbd\xc3\xa9",
		    10, out, n);
	}

	for (size_t i = 0; i < T_LEN(word_cases); i++) {
		const struct word_case *c = &word_cases[i];

		snprintf(label, sizeof(label), "utf8_is_word(U+%04X)", c->cp);
		T_INT(label, c->want, utf8_is_word(c->cp));
	}
}
