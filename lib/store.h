#ifndef STORE_H
#define STORE_H

/*
 * The data layer as the request handler sees it: the statuses and the
 * operations. A resource's request and row types have their own header
 * (lib/store-models.h for the Models resource), its operations their group
 * in struct store_ops. lib/db.c and lib/db-models.c implement it on
 * PostgreSQL; unit tests hand in a fake that records its calls.
 */

#include "store-models.h"

enum store_status {
	STORE_OK,
	STORE_BAD_KEY,		/* no live key with that hash: 401 */
	STORE_FORBIDDEN,	/* 403 */
	STORE_NO_PROJECT,	/* 404 ProjectNotFound */
	STORE_NOT_FOUND,	/* 404 NotFoundError, message set */
	STORE_UNAVAILABLE,	/* unreachable, timed out, outcome unknown: 503 */
	STORE_ERROR		/* anything else: 500 */
};

struct store_ops {
	/* Looks a key up by hash; STORE_OK sets *key_id. */
	enum store_status (*check_key)(void *ctx, const unsigned char *hash,
	    long long *key_id);
	/* The whole delete in one transaction; fills res. */
	enum store_status (*delete_model)(void *ctx,
	    const struct store_delete *req, struct store_result *res);
	/*
	 * Creates a version, or finds the live one with that digest; STORE_OK
	 * sets *version_index.
	 */
	enum store_status (*create_model)(void *ctx,
	    const struct store_create *req, long long *key_id,
	    long long *version_index);
	/*
	 * Resolves one reference (deleted versions included) and hands the
	 * version to fn; STORE_NOT_FOUND when nothing matches.
	 */
	enum store_status (*read_model)(void *ctx, const struct store_read *req,
	    long long *key_id, store_row_fn fn, void *arg);
	/*
	 * Lists the live versions of a project. Every refusal is decided
	 * before begin(arg) is called; then fn gets each version in order.
	 * *started tells whether begin ran, so a failure after it is known to
	 * have cut a response short.
	 */
	enum store_status (*list_models)(void *ctx, const struct store_list *req,
	    long long *key_id, int (*begin)(void *arg), store_row_fn fn,
	    void *arg, int *started);
	/* One database round trip. */
	enum store_status (*health)(void *ctx);
	/*
	 * Decides 401 and 403 alone, before a request's body is read: the key
	 * must be live, belong to entity (any entity when NULL) and, when
	 * need_write is set, have the write or admin role. STORE_OK sets
	 * *key_id.
	 */
	enum store_status (*authorize)(void *ctx, const unsigned char *hash,
	    const char *entity, int need_write, long long *key_id);
	/*
	 * Records that key_id was used (lib/keyseen.c calls it at most once an
	 * hour per key); NULL: nothing recorded.
	 */
	enum store_status (*touch_key)(void *ctx, long long key_id);
};

struct store {
	const struct store_ops	*ops;
	void			*ctx;
};

#endif
