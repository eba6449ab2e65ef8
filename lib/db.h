#ifndef DB_H
#define DB_H

#include <libpq-fe.h>

#include "store.h"

/*
 * The PostgreSQL store: one connection, opened lazily, replaced after loss.
 * One per worker thread; never shared.
 */
struct db {
	PGconn		*conn;
	const char	*url;		/* DATABASE_URL, or NULL for PG* */
	int		 timeout_ms;	/* per statement, client-enforced */
	unsigned	 opened;	/* connections opened: > 1 are reconnects */
};

extern const struct store_ops db_store_ops;

/* Prepares d; connects nothing yet. url may be NULL. */
void db_init(struct db *d, const char *url, int timeout_ms);

/* Closes the connection, if any. */
void db_close(struct db *d);

#endif
