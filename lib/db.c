/*
 * The PostgreSQL connection layer: one connection per worker, opened
 * lazily and replaced after loss; statements sent unnamed, then prepared
 * on the connection; a client-side deadline with a cancel; retries of
 * serialization failures; and the one mapping from what happened to a
 * store status. What the statements say and how their rows read belongs
 * to the store files (lib/db-models.c), through lib/db-conn.h.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db-conn.h"
#include "log.h"
#include "metrics.h"
#include "schema.h"

/* Retries of a statement that lost a serialization or deadlock check. */
#define MAX_RETRIES 5
/* How long a cancelled statement gets to report back before we give up. */
#define CANCEL_GRACE_MS 1000
/* Bits in struct db's used and prepared: statements past these are never
   prepared, only sent unnamed. */
#define MAX_SLOTS 64

/* MODELS_API_PREPARED; cleared for good when a pooler loses statements. */
static atomic_int prepared_on = 1;

enum outcome {
	SENT_OK,	/* a result came back (possibly an error result),
			   and no cancel was sent */
	NOT_SENT,	/* the statement never reached a server */
	LOST		/* sent, then no answer or cancelled: outcome
			   unknown */
};

/* What one attempt to send a statement did. */
enum sent {
	SEND_OK,	/* in flight */
	SEND_REFUSED,	/* its prepare failed: the error result is set */
	SEND_AGAIN,	/* the connection failed before it left: try anew */
	SEND_FAILED	/* no connection, or no answer to the prepare */
};

void
db_set_prepared(int on)
{
	atomic_store(&prepared_on, on != 0);
}

void
db_init(struct db *d, const char *url, int timeout_ms)
{
	memset(d, 0, sizeof(*d));
	d->url = url;
	d->timeout_ms = timeout_ms;
}

void
db_close(struct db *d)
{
	if (d->conn != NULL)
		PQfinish(d->conn);
	d->conn = NULL;
	/* Prepared statements live and die with their connection. */
	d->used = 0;
	d->prepared = 0;
}

/* Server notices go to the error log as one line each. */
static void
log_notice(void *arg, const char *message)
{
	(void)arg;
	log_error("database notice: %s", message);
}

/* Opens the connection if there is none; returns 0 when usable. */
static int
ensure_connected(struct db *d)
{
	const char *keys[4], *vals[4];
	char timeout[16];
	int n = 0;

	if (d->conn != NULL && PQstatus(d->conn) == CONNECTION_OK)
		return 0;
	db_close(d);
	/* libpq's connect_timeout is whole seconds, at least 2. */
	snprintf(timeout, sizeof(timeout), "%d",
	    d->timeout_ms / 1000 < 2 ? 2 : (d->timeout_ms + 999) / 1000);
	keys[n] = "connect_timeout"; vals[n++] = timeout;
	keys[n] = "application_name"; vals[n++] = "models-api";
	/* Later entries win, so the URL's own settings override ours. */
	if (d->url != NULL) {
		keys[n] = "dbname"; vals[n++] = d->url;
	}
	keys[n] = NULL; vals[n] = NULL;
	d->conn = PQconnectdbParams(keys, vals, 1);
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
		metrics_db(METRICS_DB_CONNECT_FAILED);
		log_error("database connection failed: %s",
		    d->conn ? PQerrorMessage(d->conn) : "out of memory");
		db_close(d);
		return -1;
	}
	PQsetNoticeProcessor(d->conn, log_notice, NULL);
	if (d->opened++ > 0)
		metrics_db(METRICS_DB_RECONNECT);
	/* Once per connection: a schema this binary was not built for 503s. */
	if (schema_check(d->conn, d->timeout_ms) != 0) {
		db_close(d);
		return -1;
	}
	return 0;
}

/*
 * An idle connection has nothing to say: if its socket is readable, the
 * server has closed it or is closing it (a restart sends FATAL and EOF), so
 * it is dropped before a statement could be lost on it.
 */
static void
drop_if_stale(struct db *d)
{
	struct pollfd p;

	if (d->conn == NULL)
		return;
	p.fd = PQsocket(d->conn);
	p.events = POLLIN;
	p.revents = 0;
	if (p.fd < 0 || poll(&p, 1, 0) != 0)
		db_close(d);
}

/* Waits for the socket until deadline; 1 readable, 0 timed out, -1 error. */
static int
wait_readable(int fd, long long deadline)
{
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * Waits until deadline for the next result of the statement in flight.
 * Returns 0 with *res set (NULL: no more results), or -1 when the answer
 * did not come (timed out, or the connection failed).
 */
static int
next_result(struct db *d, long long deadline, PGresult **res)
{
	*res = NULL;
	while (PQisBusy(d->conn)) {
		if (wait_readable(PQsocket(d->conn), deadline) != 1 ||
		    !PQconsumeInput(d->conn))
			return -1;
	}
	*res = PQgetResult(d->conn);
	return 0;
}

/*
 * Collects the result of the statement in flight until deadline. Returns
 * the last result (caller clears it) or NULL when the answer did not come.
 */
static PGresult *
collect(struct db *d, long long deadline)
{
	PGresult *res, *last = NULL;

	for (;;) {
		if (next_result(d, deadline, &res) != 0) {
			PQclear(last);
			return NULL;
		}
		if (res == NULL)
			return last;
		PQclear(last);
		last = res;
	}
}

/* Asks the server to cancel the statement in flight; no waiting. */
static void
send_cancel(struct db *d)
{
	char err[256];
	PGcancel *c = PQgetCancel(d->conn);

	if (c == NULL || !PQcancel(c, err, sizeof(err)))
		log_error("cancel failed: %s", c ? err : "out of memory");
	PQfreeCancel(c);
}

/*
 * Cancels the statement in flight after its deadline. Once the cancel is
 * sent the outcome is unknown whatever comes back: a cancel that lands
 * while the commit waits for a synchronous standby leaves the transaction
 * committed locally but not replicated, and the statement answers success
 * with only a WARNING. So the answer is read only to keep the connection
 * usable, then discarded; the connection is dropped if none comes.
 */
static void
cancel(struct db *d)
{
	PGresult *res;

	send_cancel(d);
	metrics_db(METRICS_DB_TIMEOUT);
	res = collect(d, now_ms() + CANCEL_GRACE_MS);
	log_error("outcome unknown: statement cancelled after %d ms "
	    "(then: %s)", d->timeout_ms,
	    res ? PQresStatus(PQresultStatus(res)) : "no answer");
	if (res == NULL)
		db_close(d);
	PQclear(res);
}

static const char *
sqlstate(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL ? state : "";
}

/*
 * Names st on its first use: "models_api_TAG_HASH", FNV-1a of the text,
 * 32 bits, so under a pooler that lets a name prepared by one client reach
 * another, a name always means the same text, this build's or another's;
 * and a slot, its bit in a connection's used and prepared sets.
 */
static int
stmt_ready(struct db_stmt *st)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned int next_slot;
	uint32_t h = 2166136261u;

	if (atomic_load_explicit(&st->ready, memory_order_acquire))
		return 1;
	if (pthread_mutex_lock(&lock) != 0)
		return 0;	/* sent unnamed this time */
	if (!atomic_load_explicit(&st->ready, memory_order_relaxed)) {
		for (const char *c = st->sql; *c != '\0'; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
		snprintf(st->name, sizeof(st->name), "models_api_%s_%08x",
		    st->tag, (unsigned)h);
		st->slot = next_slot < MAX_SLOTS ? next_slot++ : MAX_SLOTS;
		atomic_store_explicit(&st->ready, 1, memory_order_release);
	}
	pthread_mutex_unlock(&lock);
	return 1;
}

/* st's bit in a connection's used and prepared sets; 0: never prepared. */
static unsigned long long
stmt_bit(struct db_stmt *st)
{
	if (!stmt_ready(st) || st->slot >= MAX_SLOTS)
		return 0;
	return 1ull << st->slot;
}

/*
 * Prepares statement st on the connection, within the statement timeout.
 * Returns 0 when it is prepared, 1 with *err set when the server refused
 * it (an error result the caller reports like the statement's own), -1
 * when the connection failed (send again on a new one: nothing ran),
 * -2 when no answer came (the connection is dropped; nothing ran, but the
 * server is not answering in time).
 */
static int
prepare(struct db *d, struct db_stmt *st, unsigned long long bit,
    PGresult **err)
{
	PGresult *res;

	if (!PQsendPrepare(d->conn, st->name, st->sql, st->nparams, NULL)) {
		log_error("send failed: %s", PQerrorMessage(d->conn));
		return -1;
	}
	if ((res = collect(d, now_ms() + d->timeout_ms)) == NULL) {
		if (PQstatus(d->conn) != CONNECTION_OK) {
			log_error("prepare %s: connection lost: %s",
			    st->tag, PQerrorMessage(d->conn));
			return -1;
		}
		log_error("prepare %s: no answer within the statement timeout"
		    " (nothing ran): connection dropped", st->tag);
		db_close(d);
		return -2;
	}
	/*
	 * 42P05: a pooler gave this connection a server connection where
	 * another client prepared the name; the name fixes the text.
	 */
	if (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    strcmp(sqlstate(res), "42P05") == 0) {
		PQclear(res);
		d->prepared |= bit;
		return 0;
	}
	*err = res;
	return 1;
}

/*
 * Sends statement st: by name once it is prepared on this connection,
 * else as an unnamed statement (the first time, or with prepared
 * statements off). Returns as prepare() does, 0 when it is in flight.
 */
static int
send_stmt(struct db *d, struct db_stmt *st, const struct db_params *p,
    PGresult **err)
{
	unsigned long long bit = stmt_bit(st);
	int on = atomic_load(&prepared_on), ok, rc;

	*err = NULL;
	if (on && !(d->prepared & bit) && (d->used & bit) &&
	    (rc = prepare(d, st, bit, err)) != 0)
		return rc;
	d->used |= bit;
	d->sent_prepared = on && (d->prepared & bit);
	if (d->sent_prepared)
		ok = PQsendQueryPrepared(d->conn, st->name, st->nparams,
		    p->vals, p->lens, p->formats, p->binary);
	else
		ok = PQsendQueryParams(d->conn, st->sql, st->nparams, NULL,
		    p->vals, p->lens, p->formats, p->binary);
	if (!ok) {
		log_error("send failed: %s", PQerrorMessage(d->conn));
		return -1;
	}
	return 0;
}

/*
 * One attempt to send st: an idle connection the server has closed is
 * dropped first, a new one opened if needed. A connection that failed
 * before the statement left is closed (SEND_AGAIN: nothing ran).
 */
static enum sent
send_once(struct db *d, struct db_stmt *st, const struct db_params *p,
    PGresult **err)
{
	drop_if_stale(d);
	if (ensure_connected(d) != 0)
		return SEND_FAILED;
	switch (send_stmt(d, st, p, err)) {
	case 0:
		return SEND_OK;
	case 1:
		return SEND_REFUSED;
	case -2:
		return SEND_FAILED;
	}
	db_close(d);
	return SEND_AGAIN;
}

/*
 * True when a statement sent by name failed because the server connection
 * does not have it (26000): it never ran (the name is looked up before
 * anything executes), so it may be sent again. A connection that prepared
 * it and lost it sits behind a pooler in transaction mode (PgBouncer 1.18
 * hands each transaction any server connection): prepared statements are
 * turned off for this process, once, with a line in the log.
 */
static int
statement_missing(struct db *d, const PGresult *res)
{
	if (!d->sent_prepared || PQresultStatus(res) != PGRES_FATAL_ERROR ||
	    strcmp(sqlstate(res), "26000") != 0)
		return 0;
	if (atomic_exchange(&prepared_on, 0))
		log_error("a prepared statement went missing from its "
		    "connection (a pooler in transaction mode?): prepared "
		    "statements are off until restart; "
		    "set MODELS_API_PREPARED=0 for such a pooler");
	d->prepared = 0;
	return 1;
}

/*
 * Runs one statement with a client-side deadline of timeout_ms: on expiry
 * the server is asked to cancel it and the outcome is unknown (LOST),
 * whatever answer follows (see cancel()). This needs no session state, so
 * it works through PgBouncer's transaction pooling, and it also covers a
 * server that hangs.
 * The statement is resent only when it certainly never reached a server.
 */
static enum outcome
run(struct db *d, struct db_stmt *st, const struct db_params *p,
    PGresult **out)
{
	*out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		switch (send_once(d, st, p, out)) {
		case SEND_AGAIN:
			continue;
		case SEND_FAILED:
			return NOT_SENT;
		case SEND_REFUSED:
			return SENT_OK;	/* the prepare's error */
		case SEND_OK:
			break;
		}
		if ((*out = collect(d, now_ms() + d->timeout_ms)) != NULL) {
			if (!statement_missing(d, *out))
				return SENT_OK;
			PQclear(*out);
			*out = NULL;
			continue;
		}
		if (PQstatus(d->conn) == CONNECTION_OK) {
			cancel(d);
			return LOST;
		}
		metrics_db(METRICS_DB_LOST);
		log_error("outcome unknown: connection lost after sending: %s",
		    PQerrorMessage(d->conn));
		db_close(d);
		return LOST;
	}
	return NOT_SENT;
}

/* Maps a failed result to a store status, logging the error. */
static enum store_status
failure(struct db *d, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	metrics_db(METRICS_DB_STATEMENT_ERROR);
	log_error("statement failed: %s",
	    PQresultErrorMessage(res));
	if (PQstatus(d->conn) != CONNECTION_OK)
		db_close(d);
	/*
	 * Class 08 (connection), 53 (resources), 57 (operator intervention:
	 * cancel, shutdown) mean "try again shortly", not a bug.
	 */
	if (state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0))
		return STORE_UNAVAILABLE;
	return STORE_ERROR;
}

/* True for errors after which the whole statement may simply run again. */
static int
retryable(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && (strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0);
}

enum store_status
db_query(struct db *d, struct db_stmt *st, const struct db_params *p,
    PGresult **out)
{
	for (int i = 0; i <= MAX_RETRIES; i++) {
		enum store_status s;

		if (run(d, st, p, out) != SENT_OK)
			return STORE_UNAVAILABLE;
		if (PQresultStatus(*out) == PGRES_TUPLES_OK)
			return STORE_OK;
		if (retryable(*out) && i < MAX_RETRIES) {
			metrics_db(METRICS_DB_RETRY);
			PQclear(*out);
			*out = NULL;
			continue;
		}
		s = failure(d, *out);
		PQclear(*out);
		*out = NULL;
		return s;
	}
	return STORE_ERROR;
}

enum store_status
db_status(int code)
{
	switch (code) {
	case 0:
		return STORE_OK;
	case 1:
		return STORE_BAD_KEY;
	case 2:
		return STORE_FORBIDDEN;
	case 3:
		return STORE_NO_PROJECT;
	case 4:
		return STORE_NOT_FOUND;
	default:
		return STORE_ERROR;
	}
}

/* Sends the stream's statement in single-row mode, twice at most. */
static enum store_status
stream_send(struct db_stream *s)
{
	enum store_status st;
	PGresult *err;

	for (int attempt = 0; attempt < 2; attempt++) {
		switch (send_once(s->d, s->st, s->p, &err)) {
		case SEND_OK:
			if (!PQsetSingleRowMode(s->d->conn))
				log_error("single-row mode refused");
			return STORE_OK;
		case SEND_REFUSED:
			st = failure(s->d, err);
			PQclear(err);
			return st;
		case SEND_FAILED:
			return STORE_UNAVAILABLE;
		case SEND_AGAIN:
			break;
		}
	}
	return STORE_UNAVAILABLE;
}

enum store_status
db_stream_start(struct db_stream *s, struct db *d, struct db_stmt *st,
    const struct db_params *p)
{
	s->d = d;
	s->st = st;
	s->p = p;
	s->rows = 0;
	return stream_send(s);
}

/*
 * No row within the statement timeout, or the connection failed: the
 * statement is cancelled (no waiting for its answer) and the connection
 * goes with it.
 */
static enum store_status
stream_lost(struct db_stream *s)
{
	struct db *d = s->d;
	int alive = PQstatus(d->conn) == CONNECTION_OK;

	metrics_db(alive ? METRICS_DB_TIMEOUT : METRICS_DB_LOST);
	log_error("%s: %s", s->st->tag, alive ?
	    "no row within the statement timeout" : PQerrorMessage(d->conn));
	if (alive)
		send_cancel(d);
	db_close(d);
	return STORE_UNAVAILABLE;
}

/*
 * The statement went missing from its connection before any row (see
 * statement_missing()): it never ran, so its result is read to the end
 * and it is sent again.
 */
static enum store_status
stream_resend(struct db_stream *s, PGresult *res)
{
	long long deadline = now_ms() + s->d->timeout_ms;
	int rc;

	do {
		PQclear(res);
	} while ((rc = next_result(s->d, deadline, &res)) == 0 &&
	    res != NULL);
	if (rc != 0) {
		db_close(s->d);
		return STORE_UNAVAILABLE;
	}
	return stream_send(s);
}

/* An error result: logged and mapped, then the rest read if possible. */
static enum store_status
stream_failed(struct db_stream *s, PGresult *res)
{
	enum store_status st = failure(s->d, res);

	PQclear(res);
	if (PQstatus(s->d->conn) != CONNECTION_OK)
		return st;
	return db_stream_drain(s, st);
}

enum store_status
db_stream_next(struct db_stream *s, PGresult **row)
{
	enum store_status st;
	PGresult *res;

	*row = NULL;
	for (;;) {
		if (next_result(s->d, now_ms() + s->d->timeout_ms, &res) != 0)
			return stream_lost(s);
		if (res == NULL)
			return STORE_OK;
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			s->rows++;
			*row = res;
			return STORE_OK;
		case PGRES_TUPLES_OK:
			/* The end of a single-row stream: no rows in it. */
			PQclear(res);
			continue;
		default:
			break;
		}
		if (s->rows > 0 || !statement_missing(s->d, res))
			return stream_failed(s, res);
		if ((st = stream_resend(s, res)) != STORE_OK)
			return st;
	}
}

enum store_status
db_stream_drain(struct db_stream *s, enum store_status st)
{
	PGresult *res;

	for (;;) {
		if (next_result(s->d, now_ms() + s->d->timeout_ms, &res) != 0)
			return stream_lost(s);
		if (res == NULL)
			return st;
		if (PQresultStatus(res) != PGRES_SINGLE_TUPLE &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			st = failure(s->d, res);
			PQclear(res);
			if (PQstatus(s->d->conn) != CONNECTION_OK)
				return st;
			continue;
		}
		PQclear(res);
	}
}

void
db_stream_abandon(struct db_stream *s)
{
	db_close(s->d);
}

int
db_shape_ok(const PGresult *res, int nfields, const char *what)
{
	if (PQnfields(res) == nfields && PQntuples(res) >= 1 &&
	    PQfformat(res, 0) == 1 && PQgetlength(res, 0, 0) == 4 &&
	    (PQgetisnull(res, 0, 1) || PQgetlength(res, 0, 1) == 8))
		return 1;
	log_error("%s returned %d rows of %d fields", what, PQntuples(res),
	    PQnfields(res));
	return 0;
}

long long
db_i64(const PGresult *res, int row, int col)
{
	uint64_t v;

	memcpy(&v, PQgetvalue(res, row, col), sizeof(v));
	return (long long)be64toh(v);
}

int
db_i32(const PGresult *res, int row, int col)
{
	uint32_t v;

	memcpy(&v, PQgetvalue(res, row, col), sizeof(v));
	return (int)be32toh(v);
}
