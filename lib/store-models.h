#ifndef STORE_MODELS_H
#define STORE_MODELS_H

/*
 * The Models resource's requests and rows, as lib/store.h's operations
 * take and give them. The strings belong to the caller (requests) or to
 * the store for the duration of a callback (rows).
 */

#include <stddef.h>

/* Where a delete's references came from, for its audit row. */
enum store_refs_from { STORE_REFS_QUERY, STORE_REFS_BODY };

struct store_delete {
	const unsigned char	 *key_hash;	/* SHA-256, 32 bytes */
	const char		 *entity;
	const char		 *project;
	const char		 *object_id;
	const char *const	 *refs;		/* NULL: delete every version */
	unsigned int		  nrefs;
	const char		 *request_id;
	enum store_refs_from	  refs_from;	/* when refs is not NULL */
};

struct store_result {
	long long	 num_deleted;
	long long	 key_id;	/* -1 when no key matched */
	char		*message;	/* malloc'd 404 reason, or NULL */
};

/* A version to create (POST, section 9.1): everything already computed. */
struct store_create {
	const unsigned char	*key_hash;
	const char		*entity;
	const char		*project;
	const char		*object_id;
	const char		*digest;	/* of the stored value */
	const char		*val;		/* the stored value, JSON text */
	const char		*source_digest;
	const char		*source;	/* source_code, UTF-8, may hold NULs */
	size_t			 source_len;
};

/* One version as a read or a list sees it; valid during the callback. */
struct store_version {
	const char	*object_id;
	const char	*digest;
	long long	 version_index;
	long long	 created_us;	/* microseconds since 1970-01-01 UTC */
	int		 deleted;
	long long	 deleted_us;	/* when deleted is set */
	const char	*val;		/* the stored value, JSON text */
	size_t		 val_len;
	int		 has_source;	/* files["obj.py"] names a source */
	const char	*source;	/* its text, NULL when missing */
	size_t		 source_len;
};

struct store_read {
	const unsigned char	*key_hash;
	const char		*entity;
	const char		*project;
	const char		*object_id;
	const char		*ref;		/* latest, vN or a digest */
};

struct store_list {
	const unsigned char	*key_hash;
	const char		*entity;
	const char		*project;
	long long		 limit;		/* < 0: no limit */
	long long		 offset;
};

/* Receives a version; returns 0 to go on, -1 to abandon (write failed). */
typedef int (*store_row_fn)(void *arg, const struct store_version *v);

#endif
