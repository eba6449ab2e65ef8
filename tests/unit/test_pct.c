#include <stdlib.h>

#include "pct.h"
#include "t.h"

/* Explicit lengths: some rows hold NUL bytes. */
struct dec_case {
	const char	*in;
	int		 plus;
	const char	*want;
	size_t		 want_len;
};

static const struct dec_case dec_cases[] = {
	{ "", 0, "", 0 },
	{ "abc", 0, "abc", 3 },
	{ "%41", 0, "A", 1 },
	{ "%6d%6D", 0, "mm", 2 },		/* either hex case */
	{ "m%2Fx", 0, "m/x", 3 },
	{ "%00", 0, "\0", 1 },
	{ "%ff%FF", 0, "\xff\xff", 2 },
	{ "%e6%97%a5", 0, "\xe6\x97\xa5", 3 },
	/* A '%' without two hex digits stays literal, as in unquote(). */
	{ "%", 0, "%", 1 },
	{ "a%", 0, "a%", 2 },
	{ "%4", 0, "%4", 2 },
	{ "%G1", 0, "%G1", 3 },
	{ "%1G", 0, "%1G", 3 },
	{ "%%41", 0, "%A", 2 },
	/* Decoding happens once: "%2541" is "%41", not "A". */
	{ "%2541", 0, "%41", 3 },
	{ "%%34%31", 0, "%41", 3 },
	/* '+' is a space only in query strings; an escaped '+' never is. */
	{ "a+b", 0, "a+b", 3 },
	{ "a+b", 1, "a b", 3 },
	{ "%2B", 1, "+", 1 },
	{ "%2b+", 1, "+ ", 2 },
	{ "%20", 0, " ", 1 },
};

struct esc_case {
	const char	*in;
	size_t		 len;
	const char	*want;
};

static const struct esc_case esc_cases[] = {
	{ "", 0, "" },
	{ "abc", 3, "abc" },
	{ "a b", 3, "a%20b" },
	{ "~!\"#%/\\", 7, "~!\"#%/\\" },	/* printable ASCII kept */
	{ "\0", 1, "%00" },
	{ "\x1f\x7f", 2, "%1F%7F" },
	{ "\r\n", 2, "%0D%0A" },
	{ "\xff\x80", 2, "%FF%80" },
	{ "\xc3\xa9", 2, "%C3%A9" },
};

void
test_pct(void)
{
	char label[128];

	for (size_t i = 0; i < T_LEN(dec_cases); i++) {
		const struct dec_case *c = &dec_cases[i];
		size_t len = strlen(c->in);
		/* Exactly len bytes: ASan catches a decoder that writes more. */
		char *out = malloc(len ? len : 1);
		size_t n = pct_decode(c->in, len, out, c->plus);

		snprintf(label, sizeof(label), "pct_decode(\"%s\", plus=%d)",
		    c->in, c->plus);
		T_MEM(label, c->want, c->want_len, out, n);
		free(out);
	}

	for (size_t i = 0; i < T_LEN(esc_cases); i++) {
		const struct esc_case *c = &esc_cases[i];
		char *out = malloc(3 * c->len + 1);
		size_t n = pct_escape(c->in, c->len, out);
		char in[64];

		snprintf(label, sizeof(label), "pct_escape(\"%s\")",
		    t_label(in, sizeof(in), c->in, c->len));
		T_STR(label, c->want, out);
		T_INT(label, strlen(c->want), n);
		free(out);
	}
}
