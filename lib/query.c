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

/* One piece of a query string, its name decoded; ordered by qsort. */
struct piece {
	const char	*raw_name;
	size_t		 raw_name_len;
	const char	*raw_val;
	size_t		 raw_val_len;
	const char	*name;
	size_t		 name_len;
};

/* By decoded name, then by place in the query (raw_name points into it). */
static int
piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->raw_name < y->raw_name ? -1 : x->raw_name > y->raw_name;
}

/* By first appearance in the query. */
static int
key_cmp(const void *a, const void *b)
{
	const struct query_key *x = a, *y = b;

	return x->raw_name < y->raw_name ? -1 : x->raw_name > y->raw_name;
}

int
query_other_keys(const char *qs, size_t len, const char *known,
    struct query_keys *k)
{
	size_t start = 0, o = 0, np = 0, cap = 0, klen = strlen(known);
	struct piece *p = NULL;

	memset(k, 0, sizeof(*k));
	if (len == 0)
		return 0;
	/* Each non-empty piece decodes to at most its length plus two NULs. */
	if ((k->buf = malloc(3 * len + 1)) == NULL)
		return -1;
	while (start <= len) {
		const char *piece = qs + start, *eq;
		const char *end = memchr(piece, '&', len - start);
		size_t plen = end ? (size_t)(end - piece) : len - start, nlen;
		char *name = k->buf + o;
		size_t namelen;

		start += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(piece, '=', plen);
		nlen = eq ? (size_t)(eq - piece) : plen;
		namelen = pct_decode(piece, nlen, name, 1);
		if (namelen == klen && memcmp(name, known, klen) == 0)
			continue;
		if (np == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct piece *q = realloc(p, ncap * sizeof(*q));
			if (q == NULL) {
				free(p);
				return -1;
			}
			p = q;
			cap = ncap;
		}
		p[np].raw_name = piece;
		p[np].raw_name_len = nlen;
		p[np].raw_val = eq ? eq + 1 : piece + plen;
		p[np].raw_val_len = eq ? plen - nlen - 1 : 0;
		p[np].name = name;
		p[np].name_len = namelen;
		np++;
		o += namelen;
		k->buf[o++] = '\0';
	}
	if (np == 0)
		return 0;
	if ((k->keys = malloc(np * sizeof(*k->keys))) == NULL) {
		free(p);
		return -1;
	}

	/* Sorted, each run of one name is a key: first and last spelling. */
	qsort(p, np, sizeof(*p), piece_cmp);
	for (size_t i = 0, j; i < np; i = j) {
		struct query_key *key = &k->keys[k->n++];

		for (j = i + 1; j < np && p[j].name_len == p[i].name_len &&
		    memcmp(p[j].name, p[i].name, p[i].name_len) == 0; j++)
			;
		key->name = p[i].name;
		key->name_len = p[i].name_len;
		key->raw_name = p[i].raw_name;
		key->raw_name_len = p[i].raw_name_len;
		key->last.raw = p[j - 1].raw_val;
		key->last.raw_len = p[j - 1].raw_val_len;
	}
	free(p);
	qsort(k->keys, k->n, sizeof(*k->keys), key_cmp);

	/* Only the values that are kept are decoded. */
	for (size_t i = 0; i < k->n; i++) {
		struct query_item *v = &k->keys[i].last;

		v->val = k->buf + o;
		v->len = pct_decode(v->raw, v->raw_len, k->buf + o, 1);
		o += v->len;
		k->buf[o++] = '\0';
	}
	return 0;
}

void
query_keys_free(struct query_keys *k)
{
	free(k->keys);
	free(k->buf);
	memset(k, 0, sizeof(*k));
}
