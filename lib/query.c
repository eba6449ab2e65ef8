#include <stdlib.h>
#include <string.h>

#include "pct.h"
#include "query.h"

int
query_parse(const char *qs, size_t len, struct query *q)
{
	return query_parse_key(qs, len, "digests", q);
}

int
query_parse_key(const char *qs, size_t len, const char *key, struct query *q)
{
	size_t start = 0, o = 0, cap = 0, klen = strlen(key);

	memset(q, 0, sizeof(*q));
	if (len == 0)
		return 0;
	if ((q->buf = malloc(len + 1)) == NULL)
		return -1;

	while (start <= len) {
		const char *piece = qs + start, *eq;
		size_t plen, nlen, namelen;
		const char *end = memchr(piece, '&', len - start);

		plen = end ? (size_t)(end - piece) : len - start;
		start += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(piece, '=', plen);
		nlen = eq ? (size_t)(eq - piece) : plen;

		/* Decode the name into the free tail of buf; keep it only if wanted. */
		namelen = pct_decode(piece, nlen, q->buf + o, 1);
		if (namelen != klen || memcmp(q->buf + o, key, klen) != 0)
			continue;

		if (q->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct query_item *p = realloc(q->items, ncap * sizeof(*p));
			if (p == NULL)
				return -1;
			q->items = p;
			cap = ncap;
		}
		struct query_item *it = &q->items[q->n++];
		it->raw = eq ? eq + 1 : piece + plen;
		it->raw_len = eq ? plen - nlen - 1 : 0;
		it->val = q->buf + o;
		it->len = pct_decode(it->raw, it->raw_len, q->buf + o, 1);
		o += it->len;
		/* Fits: the piece also holds the name, at least one byte. */
		q->buf[o++] = '\0';
	}
	q->present = q->n > 0;
	return 0;
}

void
query_free(struct query *q)
{
	free(q->items);
	free(q->buf);
	memset(q, 0, sizeof(*q));
}
