#ifndef DB_CONN_H
#define DB_CONN_H

/*
 * The PostgreSQL connection layer (lib/db.c) as a store file sees it: a
 * store file (lib/db-models.c) owns its statements' text, builds their
 * parameters and decodes their rows; this layer connects, sends, prepares,
 * waits, cancels, retries and says what happened as a store status. It
 * never looks into a row beyond the shape every statement shares.
 */

#include <stdatomic.h>

#include <libpq-fe.h>

#include "db.h"

/*
 * A statement of a store file, defined once (static, writable: the
 * connection layer fills in the last three fields on its first use). It
 * is sent unnamed the first time a connection runs it and prepared on that
 * connection the second time, under a name made of tag and a hash of sql.
 */
struct db_stmt {
	const char	*tag;		/* names it in logs and its prepared name */
	const char	*sql;
	int		 nparams;
	atomic_int	 ready;		/* name and slot are set */
	unsigned int	 slot;		/* its bit in struct db's used/prepared */
	char		 name[40];
};

/* A statement's parameters, in libpq's form. */
struct db_params {
	const char *const	*vals;
	const int		*lens;		/* NULL: all text */
	const int		*formats;	/* NULL: all text */
	int			 binary;	/* results in binary */
};

/*
 * The status column every keyed statement starts with, as the SQL
 * functions define it (authorize() and the model functions): 0 ok, 1 no
 * live key, 2 forbidden, 3 no project, 4 not found; anything else is an
 * error.
 */
enum store_status db_status(int code);

/*
 * Runs a statement expected to return rows, within the connection's
 * statement timeout, retrying serialization and deadlock failures.
 * STORE_OK sets *out (the caller clears it); anything else is the failure,
 * already logged.
 */
enum store_status db_query(struct db *d, struct db_stmt *st,
    const struct db_params *p, PGresult **out);

/*
 * A statement whose rows stream in single-row mode: each row must arrive
 * within the statement timeout of the one before, so a long result is
 * never cut for its length, only for a stall.
 */
struct db_stream {
	struct db		*d;
	struct db_stmt		*st;
	const struct db_params	*p;
	long long		 rows;	/* rows handed out so far */
};

/* Sends the statement; STORE_OK when it is in flight. */
enum store_status db_stream_start(struct db_stream *s, struct db *d,
    struct db_stmt *st, const struct db_params *p);

/*
 * The next row: STORE_OK with *row set (the caller clears it), or NULL at
 * the end. Anything else is a failure, logged, after which the stream is
 * over (read to its end, or its connection closed).
 */
enum store_status db_stream_next(struct db_stream *s, PGresult **row);

/*
 * Reads the rest of a stream whose outcome st is already decided (a
 * refusal in its first row), keeping the connection for the next
 * statement. Returns st, or a failure that came while reading.
 */
enum store_status db_stream_drain(struct db_stream *s, enum store_status st);

/* Gives up a stream mid-way: the rest is not worth reading. */
void db_stream_abandon(struct db_stream *s);

/*
 * True when a binary result has the columns every keyed statement starts
 * with (an int4 status, then an int8 key id or NULL) and nfields in all,
 * so a schema that drifted is a logged 500, never a misread.
 */
int db_shape_ok(const PGresult *res, int nfields, const char *what);

/* Binary int8 and int4 columns, in host order. */
long long db_i64(const PGresult *res, int row, int col);
int db_i32(const PGresult *res, int row, int col);

/* PostgreSQL's binary timestamps count from 2000-01-01 UTC. */
#define DB_EPOCH_US 946684800000000LL

#endif
