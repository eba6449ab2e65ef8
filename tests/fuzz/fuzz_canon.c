/*
 * lib/jparse.h and lib/canon.h on arbitrary bytes: jparse must accept
 * exactly what the reference reader of ref_json.h accepts (RFC 8259 plus
 * the refusals of the create body rules (README, lib/openapi.json)), and for every accepted body
 * canon_sorted and canon_compact must equal the reference writer's text
 * of the reference tree, canon_digest must equal OpenSSL's SHA-256 in
 * base64 with 9.4's substitutions, and both texts must read back through
 * jparse to the same canon_sorted (the canonical form is a fixed point).
 * At start-up the reference itself is checked against every CPython
 * vector of the unit tests.
 */
#include <openssl/evp.h>

#include "canon.h"
#include "jparse.h"
#include "ref_json.h"

#include "../unit/json_bad.h"
#include "../unit/json_ok.h"

/* The reference accepts and writes what CPython does, or no run starts. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(jv_ok) / sizeof(jv_ok[0]); i++) {
		struct rj *r = rj_parse((const uint8_t *)jv_ok[i].in,
		    jv_ok[i].in_len);
		struct rj_out s = { 0 }, c = { 0 };

		if (r == NULL)
			fprintf(stderr, "reference refuses %s\n", jv_ok[i].in);
		CHECK(r != NULL);
		rj_dump(&s, r, 1);
		rj_dump(&c, r, 0);
		if (s.len != jv_ok[i].sorted_len ||
		    memcmp(s.p, jv_ok[i].sorted, s.len) != 0)
			fprintf(stderr, "reference: %s\npython:    %s\n", s.p,
			    jv_ok[i].sorted);
		CHECK(s.len == jv_ok[i].sorted_len &&
		    memcmp(s.p, jv_ok[i].sorted, s.len) == 0);
		CHECK(c.len == jv_ok[i].compact_len &&
		    memcmp(c.p, jv_ok[i].compact, c.len) == 0);
		free(s.p);
		free(c.p);
		rj_free(r);
	}
	for (size_t i = 0; i < sizeof(jv_bad) / sizeof(jv_bad[0]); i++) {
		struct rj *r = rj_parse((const uint8_t *)jv_bad[i].in,
		    jv_bad[i].in_len);
		if (r != NULL)
			fprintf(stderr, "reference accepts %s\n", jv_bad[i].in);
		CHECK(r == NULL);
	}
	return 0;
}

/* 9.4's digest again: SHA-256, standard base64, '+' -> X, '/' -> Y, no '='. */
static void
ref_digest(const char *s, size_t len, char out[45])
{
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned int hlen;

	CHECK(EVP_Digest(s, len, hash, &hlen, EVP_sha256(), NULL) == 1);
	CHECK(hlen == 32 && EVP_EncodeBlock((unsigned char *)out, hash, 32) == 44);
	CHECK(out[43] == '=');
	out[43] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? 'X' : *p == '/' ? 'Y' : *p;
}

/* jparse of text must succeed and give back sorted under canon_sorted. */
static void
check_fixed_point(const char *text, size_t len, const char *sorted,
    size_t slen)
{
	struct json_object *v;
	struct jparse_error err;
	char *again;
	size_t alen;

	CHECK(jparse(text, len, &v, &err) == JPARSE_OK);
	again = canon_sorted(v, &alen);
	CHECK(again != NULL && alen == slen && memcmp(again, sorted, slen) == 0);
	free(again);
	json_object_put(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1), *sorted, *compact, dg[44], rdg[45];
	struct json_object *v = (struct json_object *)1;
	struct jparse_error err;
	enum jparse_status st;
	struct rj *ref;
	struct rj_out rs = { 0 }, rc = { 0 };
	size_t slen, clen;

	/* An exact-size copy: a read past the end is an ASan report. */
	CHECK(in != NULL);
	if (size > 0)
		memcpy(in, data, size);
	st = jparse(in, size, &v, &err);
	ref = rj_parse(data, size);
	CHECK(st == JPARSE_OK || st == JPARSE_INVALID);
	if (ref == NULL) {
		CHECK(st == JPARSE_INVALID);
		CHECK(v == NULL && err.text[0] != '\0' && err.pos <= size);
		CHECK(strlen(err.text) < sizeof(err.text));
		free(in);
		return 0;
	}
	CHECK(st == JPARSE_OK);

	sorted = canon_sorted(v, &slen);
	compact = canon_compact(v, &clen);
	CHECK(sorted != NULL && compact != NULL);
	CHECK(strlen(sorted) == slen && memchr(compact, '\0', clen) == NULL);
	rj_dump(&rs, ref, 1);
	rj_dump(&rc, ref, 0);
	if (rs.len != slen || memcmp(rs.p, sorted, slen) != 0)
		fprintf(stderr, "\nsorted:    %s\nreference: %s\n", sorted, rs.p);
	CHECK(rs.len == slen && memcmp(rs.p, sorted, slen) == 0);
	if (rc.len != clen || memcmp(rc.p, compact, clen) != 0)
		fprintf(stderr, "\ncompact:   %.*s\nreference: %s\n", (int)clen,
		    compact, rc.p);
	CHECK(rc.len == clen && memcmp(rc.p, compact, clen) == 0);

	/* The sorted text is printable ASCII only. */
	for (size_t i = 0; i < slen; i++)
		CHECK(sorted[i] >= 0x20 && sorted[i] <= 0x7E);

	canon_digest(sorted, slen, dg);
	ref_digest(sorted, slen, rdg);
	CHECK(strlen(dg) == 43 && strcmp(dg, rdg) == 0);

	check_fixed_point(compact, clen, sorted, slen);
	check_fixed_point(sorted, slen, sorted, slen);

	free(rs.p);
	free(rc.p);
	free(sorted);
	free(compact);
	rj_free(ref);
	json_object_put(v);
	free(in);
	return 0;
}
