/*
 * The query string: lib/query.h query_parse and query_other_keys on
 * arbitrary bytes, compared with the Starlette-style reference parser in
 * ref.h.
 */
#include "query.h"
#include "ref.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes, no terminator: query_parse is given a length. */
	char *qs = malloc(size ? size : 1);
	struct query q;
	struct ref_query ref;
	size_t amps = 0;

	CHECK(qs != NULL);
	if (size > 0)
		memcpy(qs, data, size);
	for (size_t i = 0; i < size; i++)
		amps += qs[i] == '&';

	CHECK(query_parse(qs, size, &q) == 0);
	ref_query_parse(qs, size, &ref);

	CHECK(q.n <= amps + 1);
	CHECK(q.present == (q.n > 0));
	CHECK(q.n == ref.n);
	CHECK(q.n == 0 || q.items != NULL);
	for (size_t i = 0; i < q.n; i++) {
		const struct query_item *it = &q.items[i];
		const struct ref_item *r = &ref.items[i];

		CHECK(it->raw >= qs && it->raw + it->raw_len <= qs + size);
		CHECK(it->raw == r->raw && it->raw_len == r->raw_len);
		CHECK(memchr(it->raw, '&', it->raw_len) == NULL);
		CHECK(it->len <= it->raw_len);
		CHECK(it->len == r->len && memcmp(it->val, r->val, it->len) == 0);
		CHECK(it->val[it->len] == '\0');
		/* Every value has its own storage: none overlaps the next. */
		if (i > 0)
			CHECK(q.items[i - 1].val + q.items[i - 1].len < it->val);
	}
	query_free(&q);
	CHECK(q.items == NULL && q.buf == NULL && q.n == 0);
	ref_query_free(&ref);

	/* The other keys: distinct, first spelling, last value, in order. */
	{
		struct query_keys k;
		struct ref_keys rk;

		CHECK(query_other_keys(qs, size, "digests", &k) == 0);
		ref_query_other_keys(qs, size, "digests", &rk);
		CHECK(k.n == rk.n && k.n <= amps + 1);
		for (size_t i = 0; i < k.n; i++) {
			const struct query_key *a = &k.keys[i];
			const struct ref_key *b = &rk.keys[i];

			CHECK(a->name_len == b->len &&
			    memcmp(a->name, b->name, b->len) == 0);
			CHECK(a->name[a->name_len] == '\0');
			CHECK(a->raw_name == b->raw_name &&
			    a->raw_name_len == b->raw_name_len);
			CHECK(a->last.raw == b->last.raw &&
			    a->last.raw_len == b->last.raw_len);
			CHECK(a->last.len == b->last.len && memcmp(a->last.val,
			    b->last.val, b->last.len) == 0);
			CHECK(a->last.val[a->last.len] == '\0');
		}
		query_keys_free(&k);
		ref_keys_free(&rk);
	}
	free(qs);
	return 0;
}
