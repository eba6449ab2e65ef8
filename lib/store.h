#ifndef STORE_H
#define STORE_H

/*
 * The data layer as the request handler sees it. lib/db.c implements it on
 * PostgreSQL; unit tests hand in a fake that records its calls.
 */

enum store_status {
	STORE_OK,
	STORE_BAD_KEY,		/* no live key with that hash: 401 */
	STORE_FORBIDDEN,	/* 403 */
	STORE_NO_PROJECT,	/* 404 ProjectNotFound */
	STORE_NOT_FOUND,	/* 404 NotFoundError, message set */
	STORE_UNAVAILABLE,	/* unreachable, timed out, outcome unknown: 503 */
	STORE_ERROR		/* anything else: 500 */
};

struct store_delete {
	const unsigned char	 *key_hash;	/* SHA-256, 32 bytes */
	const char		 *entity;
	const char		 *project;
	const char		 *object_id;
	const char *const	 *refs;		/* NULL: delete every version */
	unsigned int		  nrefs;
	const char		 *request_id;
};

struct store_result {
	long long	 num_deleted;
	long long	 key_id;	/* -1 when no key matched */
	char		*message;	/* malloc'd 404 reason, or NULL */
};

struct store_ops {
	/* Looks a key up by hash; STORE_OK sets *key_id. */
	enum store_status (*check_key)(void *ctx, const unsigned char *hash,
	    long long *key_id);
	/* The whole delete in one transaction; fills res. */
	enum store_status (*delete_model)(void *ctx,
	    const struct store_delete *req, struct store_result *res);
	/* One database round trip. */
	enum store_status (*health)(void *ctx);
};

struct store {
	const struct store_ops	*ops;
	void			*ctx;
};

#endif
