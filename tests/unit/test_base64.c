#include <stdlib.h>

#include "base64.h"
#include "t.h"

/*
 * Expected results are Python 3.11's base64.b64decode(s, validate=True)
 * (strict alphabet and padding; stray bits under the padding ignored), with
 * want_len -1 where it raises.
 */
struct dec_case {
	const char	*in;
	const char	*want;
	long		 want_len;
};

static const struct dec_case dec_cases[] = {
	{ "", "", 0 },
	{ "YQ==", "a", 1 },
	{ "YWI=", "ab", 2 },
	{ "YWJj", "abc", 3 },
	{ "YWJjZA==", "abcd", 4 },
	{ "AA==", "\0", 1 },
	{ "AAAA", "\0\0\0", 3 },
	{ "+/8=", "\xfb\xff", 2 },
	{ "YR==", "a", 1 },		/* stray bits ignored */
	{ "YWJ=", "ab", 2 },
	/* Padding missing, misplaced, or too much. */
	{ "YQ", NULL, -1 },
	{ "YQ=", NULL, -1 },
	{ "A", NULL, -1 },
	{ "YWJjZ", NULL, -1 },
	{ "Y===", NULL, -1 },
	{ "====", NULL, -1 },
	{ "=AAA", NULL, -1 },
	{ "YQ=A", NULL, -1 },
	{ "Y=Q=", NULL, -1 },
	{ "YQ==YQ==", NULL, -1 },
	/* Characters outside the standard alphabet, URL-safe ones included. */
	{ "YW J", NULL, -1 },
	{ "YWJj\n", NULL, -1 },
	{ "-_8=", NULL, -1 },
	{ "-/8=", NULL, -1 },
	{ "+_8=", NULL, -1 },
	{ "YW.j", NULL, -1 },
};

struct enc_case {
	const char	*in;
	size_t		 len;
	const char	*want;
};

/* Expected: base64.urlsafe_b64encode(b).rstrip(b"="). */
static const struct enc_case enc_cases[] = {
	{ "", 0, "" },
	{ "a", 1, "YQ" },
	{ "ab", 2, "YWI" },
	{ "abc", 3, "YWJj" },
	{ "abcd", 4, "YWJjZA" },
	{ "\0", 1, "AA" },
	{ "\xfb\xff", 2, "-_8" },
	{ "\xfb\xef\xbe", 3, "----" },
	{ "\xff\xff\xff", 3, "____" },
};

/* SHA-256("{}"): the model digest of an empty object (the digest rules (README, lib/openapi.json)). */
static const unsigned char sha_empty_obj[32] = {
	0x44, 0x13, 0x6f, 0xa3, 0x55, 0xb3, 0x67, 0x8a, 0x11, 0x46, 0xad,
	0x16, 0xf7, 0xe8, 0x64, 0x9e, 0x94, 0xfb, 0x4f, 0xc2, 0x1f, 0xe7,
	0x7e, 0x83, 0x10, 0xc0, 0x60, 0xf6, 0x1c, 0xaa, 0xff, 0x8a,
};

void
test_base64(void)
{
	char label[128];

	for (size_t i = 0; i < T_LEN(dec_cases); i++) {
		const struct dec_case *c = &dec_cases[i];
		size_t len = strlen(c->in);
		/*
		 * Input without a NUL and output of exactly the documented
		 * size, so ASan sees a read or write past either end.
		 */
		char *copy = malloc(len ? len : 1);
		unsigned char *out = malloc(len >= 4 ? len / 4 * 3 : 1);
		long n;
		char in[64];

		memcpy(copy, c->in, len);
		n = base64_decode(copy, len, out);

		snprintf(label, sizeof(label), "base64_decode(\"%s\")",
		    t_label(in, sizeof(in), c->in, len));
		if (T_INT(label, c->want_len, n) && n >= 0)
			T_MEM(label, c->want, (size_t)c->want_len,
			    (const char *)out, (size_t)n);
		free(out);
		free(copy);
	}

	/* The length bounds the input: 6 of "YWJjYWJj" is no whole quantum. */
	{
		unsigned char out[6];

		T_INT("base64_decode(\"YWJjYWJj\", 6)", -1,
		    base64_decode("YWJjYWJj", 6, out));
	}

	for (size_t i = 0; i < T_LEN(enc_cases); i++) {
		const struct enc_case *c = &enc_cases[i];
		char *out = malloc((c->len * 4 + 2) / 3 + 1);
		size_t n = base64url_encode((const unsigned char *)c->in,
		    c->len, out);
		char in[64];

		snprintf(label, sizeof(label), "base64url_encode(\"%s\")",
		    t_label(in, sizeof(in), c->in, c->len));
		T_STR(label, c->want, out);
		T_INT(label, strlen(c->want), n);
		free(out);
	}

	{
		char out[44];

		base64url_encode(sha_empty_obj, sizeof(sha_empty_obj), out);
		T_STR("base64url_encode(sha256(\"{}\"))",
		    "RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o", out);
	}
}
