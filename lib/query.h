#ifndef QUERY_H
#define QUERY_H
#include <stddef.h>

/* One value of the key asked for: as sent, and decoded. */
struct query_item {
	const char	*raw;	/* points into the query string */
	size_t		 raw_len;
	const char	*val;	/* points into query.buf, NUL-terminated */
	size_t		 len;
};

struct query {
	int			 present;	/* the key appeared at all */
	size_t			 n;
	struct query_item	*items;
	char			*buf;
};

/*
 * Collects the `digests` values of a raw query string the way Starlette's
 * parse_qsl(keep_blank_values=True) does: '&' separates (';' does not), empty
 * pieces are skipped, '+' is a space, names and values are percent-decoded
 * (a bad escape stays literal), a piece with no '=' has the value "". Other
 * keys are ignored. Returns 0, or -1 when out of memory; q must be released
 * with query_free either way.
 */
int query_parse(const char *qs, size_t len, struct query *q);

/* The same for the values of any one key (limit, offset, ...). */
int query_parse_key(const char *qs, size_t len, const char *key,
    struct query *q);

void query_free(struct query *q);

/* A key other than the one a route reads, with its last value. */
struct query_key {
	const char		*name;		/* decoded, in keys.buf, NUL-terminated */
	size_t			 name_len;
	const char		*raw_name;	/* its first spelling, in the query */
	size_t			 raw_name_len;
	struct query_item	 last;		/* its last value */
};

struct query_keys {
	size_t			 n;
	struct query_key	*keys;
	char			*buf;
};

/*
 * The distinct keys of a raw query string other than known, parsed as
 * query_parse does and compared after decoding (so %64igest is digest), in
 * the order of their first appearance, each with its last value (a key
 * sent twice reads as its last value in Starlette's QueryParams). Runs in
 * O(n log n) for n pieces, however many distinct keys there are. Returns
 * 0, or -1 when out of memory; k must be released with query_keys_free
 * either way.
 */
int query_other_keys(const char *qs, size_t len, const char *known,
    struct query_keys *k);

void query_keys_free(struct query_keys *k);

#endif
