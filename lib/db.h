#ifndef DB_H
#define DB_H

#include <libpq-fe.h>

#include "store.h"

/*
 * The PostgreSQL store: one connection, opened lazily, replaced after loss.
 * One per worker thread; never shared. lib/db.c is the connection layer
 * (lib/db-conn.h), lib/db-models.c the Models resource's statements and
 * db_store_ops.
 */
struct db {
	PGconn		*conn;
	const char	*url;		/* DATABASE_URL, or NULL for PG* */
	int		 timeout_ms;	/* per statement, client-enforced */
	unsigned	 opened;	/* connections opened: > 1 are reconnects */
	unsigned long long used;	/* statements run on this connection */
	unsigned long long prepared;	/* ... and prepared on it (bits) */
	int		 sent_prepared;	/* the one in flight went by name */
};

extern const struct store_ops db_store_ops;

/* Prepares d; connects nothing yet. url may be NULL. */
void db_init(struct db *d, const char *url, int timeout_ms);

/*
 * Prepared statements on (the default) or off, for every connection of the
 * process: MODELS_API_PREPARED. Off for a pooler in transaction mode.
 */
void db_set_prepared(int on);

/* Closes the connection, if any. */
void db_close(struct db *d);

#endif
