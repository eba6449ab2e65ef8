/* auth.h uses size_t without including <stddef.h> itself. */
#include <stddef.h>

#include "auth.h"
#include "t.h"

#define KEY "0123456789abcdef0123456789abcdef01234567"

/* base64 of the text named in each comment (Python's b64encode). */
#define B64_API_KEY	"YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
		/* "api:KEY" */
#define B64_EMPTYUSER_KEY "OjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
		/* ":KEY" */
#define B64_USER_KEY	"dXNlcjowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
		/* "user:KEY" */
#define B64_API_EMPTY	"YXBpOg=="
		/* "api:" */
#define B64_NO_COLON	"YXBpMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nw=="
		/* "apiKEY" */
#define B64_SPACE_KEY	"YXBpOiAwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"
		/* "api: KEY" */
#define B64_KEY_SPACE	"YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njcg"
		/* "api:KEY " */
#define B64_KEY_COLON_X	"YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc6eA=="
		/* "api:KEY:x" */
#define B64_A_B_KEY	"YTpiOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
		/* "a:b:KEY" */
#define B64_UPPER_KEY	"YXBpOjAxMjM0NTY3ODlBQkNERUYwMTIzNDU2Nzg5QUJDREVGMDEyMzQ1Njc="
		/* "api:" + KEY in upper case */
#define B64_SHORT_KEY	"YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Ng=="
		/* "api:" + KEY without its last character */

struct auth_case {
	const char		*header;
	enum auth_result	 want;
};

static const struct auth_case cases[] = {
	{ NULL, AUTH_MISSING },
	{ "", AUTH_MISSING },
	{ "   ", AUTH_MISSING },
	/* Bearer: any case of the scheme, credentials trimmed of spaces. */
	{ "Bearer " KEY, AUTH_KEY },
	{ "bearer " KEY, AUTH_KEY },
	{ "BEARER " KEY, AUTH_KEY },
	{ "Bearer    " KEY "   ", AUTH_KEY },
	{ "  Bearer " KEY, AUTH_KEY },
	{ "Bearer", AUTH_MISSING },
	{ "Bearer ", AUTH_MISSING },
	{ "Bearer    ", AUTH_MISSING },
	/* A key of any other shape cannot be live. */
	{ "Bearer 0123456789ABCDEF0123456789ABCDEF01234567", AUTH_INVALID },
	{ "Bearer 0123456789abcdef0123456789abcdef0123456", AUTH_INVALID },
	{ "Bearer 0123456789abcdef0123456789abcdef012345678", AUTH_INVALID },
	{ "Bearer 0123456789abcdef0123456789abcdef0123456g", AUTH_INVALID },
	{ "Bearer " KEY " x", AUTH_INVALID },
	{ "Bearer x", AUTH_INVALID },
	/* Basic: password is the key, user ignored, split on the first ':'. */
	{ "Basic " B64_API_KEY, AUTH_KEY },
	{ "basic " B64_API_KEY, AUTH_KEY },
	{ "BASIC " B64_API_KEY, AUTH_KEY },
	{ "Basic   " B64_API_KEY "  ", AUTH_KEY },
	{ "Basic " B64_EMPTYUSER_KEY, AUTH_KEY },
	{ "Basic " B64_USER_KEY, AUTH_KEY },
	{ "Basic " B64_A_B_KEY, AUTH_INVALID },		/* password "b:KEY" */
	{ "Basic " B64_KEY_COLON_X, AUTH_INVALID },
	{ "Basic " B64_UPPER_KEY, AUTH_INVALID },
	{ "Basic " B64_SHORT_KEY, AUTH_INVALID },
	/* The decoded password is used as is, not trimmed. */
	{ "Basic " B64_SPACE_KEY, AUTH_INVALID },
	{ "Basic " B64_KEY_SPACE, AUTH_INVALID },
	/* Empty key, no ':', bad base64: no credentials at all. */
	{ "Basic " B64_API_EMPTY, AUTH_MISSING },
	{ "Basic " B64_NO_COLON, AUTH_MISSING },
	{ "Basic", AUTH_MISSING },
	{ "Basic ", AUTH_MISSING },
	{ "Basic !!!!", AUTH_MISSING },
	{ "Basic YXBpOg", AUTH_MISSING },		/* padding missing */
	{ "Basic " KEY, AUTH_MISSING },		/* valid base64, no ':' */
	/* Other schemes, or a scheme name that only starts the same. */
	{ "Token " KEY, AUTH_MISSING },
	{ "Digest username=\"api\"", AUTH_MISSING },
	{ KEY, AUTH_MISSING },
	{ "Bearerx " KEY, AUTH_MISSING },
	{ "Basicx " B64_API_KEY, AUTH_MISSING },
	{ "Bear " KEY, AUTH_MISSING },
};

static const char *const names[] = { "AUTH_MISSING", "AUTH_INVALID",
    "AUTH_KEY" };

/* Checks one header; label names it in failure lines. */
static void
check(const char *label, const char *header, enum auth_result want)
{
	char key[AUTH_KEY_LEN + 1];
	enum auth_result got;

	memset(key, 'X', sizeof(key));
	got = auth_parse(header, key);
	/* Named results read better than 0/1/2 in a failure line. */
	if (got != want) {
		T_STR(label, names[want],
		    (unsigned)got < T_LEN(names) ? names[got] : "?");
		return;
	}
	t_pass();
	if (want == AUTH_KEY)
		T_MEM(label, KEY, AUTH_KEY_LEN + 1, key, AUTH_KEY_LEN + 1);
}

static void
run(const struct auth_case *c)
{
	char label[160];

	snprintf(label, sizeof(label), "auth_parse(%s%s%s)",
	    c->header ? "\"" : "", c->header ? c->header : "NULL",
	    c->header ? "\"" : "");
	check(label, c->header, c->want);
}

struct shape_case {
	const char	*key;
	int		 want;
};

static const struct shape_case shapes[] = {
	{ KEY, 1 },
	{ "ffffffffffffffffffffffffffffffffffffffff", 1 },
	{ "0000000000000000000000000000000000000000", 1 },
	{ "", 0 },
	{ "0123456789abcdef0123456789abcdef0123456", 0 },
	{ "0123456789abcdef0123456789abcdef012345678", 0 },
	{ "0123456789Abcdef0123456789abcdef01234567", 0 },
	{ "0123456789abcdeg0123456789abcdef01234567", 0 },
	{ "0123456789abcdef0123456789abcdef0123456 ", 0 },
	{ "0123456789abcdef0123456789abcdef0123456/", 0 },
	{ "0123456789abcdef0123456789abcdef0123456:", 0 },
};

void
test_auth(void)
{
	char label[128];

	for (size_t i = 0; i < T_LEN(cases); i++)
		run(&cases[i]);

	for (size_t i = 0; i < T_LEN(shapes); i++) {
		snprintf(label, sizeof(label), "auth_key_shape_ok(\"%s\")",
		    shapes[i].key);
		T_INT(label, shapes[i].want, auth_key_shape_ok(shapes[i].key,
		    strlen(shapes[i].key)));
	}

	/*
	 * Credentials longer than the 8 KiB a front server passes on: the
	 * categories stay those of the authentication rules (README, lib/openapi.json), whatever the length.
	 */
	{
		static char h[6 + 8200 + 1];

		memcpy(h, "Basic ", 6);
		memset(h + 6, '!', 8200);		/* bad base64 */
		check("auth_parse(\"Basic \" + 8200 x '!')", h, AUTH_MISSING);
		memset(h + 6, 'A', 8200);		/* base64, no ':' */
		check("auth_parse(\"Basic \" + 8200 x 'A')", h, AUTH_MISSING);
	}

	/* The FIPS 180-2 test vector: SHA-256("abc"). */
	{
		static const unsigned char want[AUTH_HASH_LEN] = {
			0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
			0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
			0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
			0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
		};
		unsigned char got[AUTH_HASH_LEN];

		auth_hash_key("abcdef", 3, got);
		T_MEM("auth_hash_key(\"abc\")", (const char *)want,
		    sizeof(want), (const char *)got, sizeof(got));
	}
}
