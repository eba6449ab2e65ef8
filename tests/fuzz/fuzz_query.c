/*
 * The query string: lib/query.h query_parse on arbitrary bytes, compared
 * with the Starlette-style reference parser in ref.h.
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
	free(qs);
	return 0;
}
