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

#endif
