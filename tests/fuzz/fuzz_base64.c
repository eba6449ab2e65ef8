/*
 * lib/base64.h directly: strict base64_decode on arbitrary bytes against the
 * reference decoder in ref.h, and base64url_encode (the digest encoding)
 * against OpenSSL's encoder, with a round trip through the decoder.
 */
#include <openssl/evp.h>

#include "base64.h"
#include "ref.h"

static void
check_decode(const char *in, size_t len)
{
	/* Exactly the len / 4 * 3 bytes the API asks for. */
	unsigned char *out = malloc(len / 4 * 3);
	size_t rlen;
	unsigned char *ref = ref_b64_decode(in, len, &rlen);
	long n;

	CHECK(out != NULL || len / 4 * 3 == 0);
	n = base64_decode(in, len, out);
	CHECK(n >= -1 && (n == -1 || (size_t)n <= len / 4 * 3));
	if (len % 4 != 0)
		CHECK(n == -1);
	CHECK((n >= 0) == (ref != NULL));
	if (ref != NULL) {
		CHECK((size_t)n == rlen);
		CHECK(rlen == 0 || memcmp(out, ref, rlen) == 0);
	}
	free(ref);
	free(out);
}

static void
check_encode(const unsigned char *in, size_t len)
{
	size_t cap = (len * 4 + 2) / 3 + 1, n, blen = 4 * ((len + 2) / 3);
	char *out = malloc(cap), *std = malloc(blen + 1), *padded;
	unsigned char *back;
	long m;

	CHECK(out != NULL && std != NULL);
	n = base64url_encode(in, len, out);
	CHECK(n == cap - 1 && out[n] == '\0' && strlen(out) == n);
	for (size_t i = 0; i < n; i++)
		CHECK(ref_b64((unsigned char)out[i]) >= 0 || out[i] == '-' ||
		    out[i] == '_');
	CHECK(memchr(out, '+', n) == NULL && memchr(out, '/', n) == NULL);

	/* Standard base64 of the same bytes, translated, without padding. */
	CHECK((size_t)EVP_EncodeBlock((unsigned char *)std, in, (int)len) ==
	    blen);
	padded = malloc(blen + 1);
	CHECK(padded != NULL);
	memcpy(padded, out, n);
	for (size_t i = 0; i < n; i++)
		padded[i] = padded[i] == '-' ? '+' : padded[i] == '_' ? '/' :
		    padded[i];
	for (size_t i = n; i < blen; i++)
		padded[i] = '=';
	padded[blen] = '\0';
	CHECK(strcmp(padded, std) == 0);

	/* And the strict decoder takes it back. */
	back = malloc(blen / 4 * 3);
	CHECK(back != NULL || blen == 0);
	m = base64_decode(padded, blen, back);
	CHECK(m >= 0 && (size_t)m == len && (len == 0 ||
	    memcmp(back, in, len) == 0));
	free(back);
	free(padded);
	free(std);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);

	CHECK(in != NULL);
	if (size > 0)
		memcpy(in, data, size);
	check_decode(in, size);
	check_encode((const unsigned char *)in, size);
	free(in);
	return 0;
}
