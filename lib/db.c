#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "schema.h"
/* A statement at least this large leaves its connection closed after it. */
#define DB_LARGE_STATEMENT (1 << 20)
/* Retries of a statement that lost a serialization or deadlock check. */
#define MAX_RETRIES 5
/* How long a cancelled statement gets to report back before we give up. */
#define CANCEL_GRACE_MS 1000

#define SQL_DELETE "SELECT status, num_deleted, message, key_id " \
	"FROM delete_model($1, $2, $3, $4, $5, $6, $7)"
#define SQL_CHECK_KEY "SELECT id FROM api_keys " \
	"WHERE key_hash = $1 AND revoked_at IS NULL"
#define SQL_HEALTH "SELECT 1"
/* The key's entity and role, for a 401 or 403 before a body is read. */
#define SQL_AUTHORIZE "SELECT k.id, e.name, k.role FROM api_keys k " \
	"JOIN entities e ON e.id = k.entity_id " \
	"WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
#define SQL_CREATE "SELECT status, key_id, version_index " \
	"FROM model_create($1, $2, $3, $4, $5, $6, $7, $8)"
/* Read and list share one column order, so one decoder serves both. */
#define SQL_READ "SELECT status, key_id, digest, version_index, created_at, " \
	"deleted_at, val, source_digest, source, NULL::text " \
	"FROM model_read($1, $2, $3, $4, $5)"
/*
 * One statement: the first row carries the status (and, when it is 0, the
 * first version, if any); the versions stream from the list index in
 * order, with no sort and nothing materialised, so single-row mode keeps
 * the app's memory flat however large the project.
 * The offset is skipped in the index alone: an index-only scan of the list
 * index (it holds every column of the order) finds the key of the row at
 * the offset, and the stream starts at that key. The key is read as the
 * index's whole entry, project first: no projection per skipped entry. A
 * plain OFFSET would fetch every skipped row from the table and evaluate
 * its lookups (1-4 s to skip 200k rows; this: 0.1-0.3 s, the cost of
 * counting the same index entries). Past the end the key is NULL and no
 * row compares true. The order's key is unique (id), so the rows are
 * exactly those OFFSET would give.
 */
#define SQL_LIST "SELECT s.status, s.key_id, l.digest, l.version_index, " \
	"l.created_at, NULL::timestamptz, l.val, l.source_digest, l.source, " \
	"l.object_id FROM (" \
	"SELECT CASE WHEN k.id IS NULL THEN 1 WHEN e.name <> $2 THEN 2 " \
	"WHEN p.id IS NULL THEN 3 ELSE 0 END AS status, " \
	"k.id AS key_id, p.id AS project_id " \
	"FROM (VALUES (1)) AS one (x) " \
	"LEFT JOIN api_keys k ON k.key_hash = $1 AND k.revoked_at IS NULL " \
	"LEFT JOIN entities e ON e.id = k.entity_id " \
	"LEFT JOIN projects p ON p.entity_id = k.entity_id AND p.name = $3 " \
	"AND e.name = $2) AS s " \
	"LEFT JOIN LATERAL (" \
	"SELECT (SELECT m.object_id FROM models m WHERE m.id = v.model_id) " \
	"AS object_id, v.digest, v.version_index, v.created_at, v.val, " \
	"v.source_digest, (SELECT src.source FROM model_sources src " \
	"WHERE src.project_id = v.project_id AND src.digest = v.source_digest) " \
	"AS source FROM model_versions v " \
	"WHERE v.project_id = s.project_id AND v.deleted_at IS NULL " \
	"AND (v.project_id, v.created_at, v.version_index, v.id) >= (" \
	"SELECT w.project_id, w.created_at, w.version_index, w.id " \
	"FROM model_versions w " \
	"WHERE w.project_id = s.project_id AND w.deleted_at IS NULL " \
	"ORDER BY w.created_at, w.version_index, w.id OFFSET $5 LIMIT 1) " \
	"ORDER BY v.created_at, v.version_index, v.id LIMIT $4) AS l ON true"

/*
 * The statements, prepared on a connection the second time it runs one
 * (a CGI process, which runs one, never pays the extra round trip). A
 * name is the tag and a hash of the text, so under a pooler that lets a
 * name prepared by one client reach another, a name always means the same
 * text, this build's or another's.
 */
enum stmt { ST_CHECK_KEY, ST_DELETE, ST_CREATE, ST_READ, ST_LIST, ST_HEALTH,
	ST_AUTHORIZE, ST_TOUCH_KEY, ST_COUNT };

static const struct {
	const char	*tag;
	const char	*sql;
	int		 nparams;
} stmts[ST_COUNT] = {
	{ "check_key", SQL_CHECK_KEY, 1 },
	{ "delete", SQL_DELETE, 7 },
	{ "create", SQL_CREATE, 8 },
	{ "read", SQL_READ, 5 },
	{ "list", SQL_LIST, 5 },
	{ "health", SQL_HEALTH, 0 },
	{ "authorize", SQL_AUTHORIZE, 1 },
	{ "touch_key", "SELECT key_touch($1)", 1 },
};

static char stmt_names[ST_COUNT][40];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;
/* MODELS_API_PREPARED; cleared for good when a pooler loses statements. */
static atomic_int prepared_on = 1;

/* PostgreSQL's binary timestamps count from 2000-01-01 UTC. */
#define PG_EPOCH_US 946684800000000LL

enum outcome {
	SENT_OK,	/* a result came back (possibly an error result),
			   and no cancel was sent */
	NOT_SENT,	/* the statement never reached a server */
	LOST		/* sent, then no answer or cancelled: outcome
			   unknown */
};

/* "models_api_TAG_HASH": FNV-1a of the text, 32 bits. */
static void
make_names(void)
{
	for (int i = 0; i < ST_COUNT; i++) {
		uint32_t h = 2166136261u;

		for (const char *c = stmts[i].sql; *c != '\0'; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
		snprintf(stmt_names[i], sizeof(stmt_names[i]),
		    "models_api_%s_%08x", stmts[i].tag, (unsigned)h);
	}
}

void
db_set_prepared(int on)
{
	atomic_store(&prepared_on, on != 0);
}

void
db_init(struct db *d, const char *url, int timeout_ms)
{
	pthread_once(&names_once, make_names);
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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	char err[256];
	PGcancel *c = PQgetCancel(d->conn);
	PGresult *res;

	if (c == NULL || !PQcancel(c, err, sizeof(err)))
		log_error("cancel failed: %s", c ? err : "out of memory");
	PQfreeCancel(c);
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
 * Prepares statement st on the connection, within the statement timeout.
 * Returns 0 when it is prepared, 1 with *err set when the server refused
 * it (an error result the caller reports like the statement's own), -1
 * when the connection failed (send again on a new one: nothing ran),
 * -2 when no answer came (the connection is dropped; nothing ran, but the
 * server is not answering in time).
 */
static int
prepare(struct db *d, enum stmt st, PGresult **err)
{
	PGresult *res;

	if (!PQsendPrepare(d->conn, stmt_names[st], stmts[st].sql,
	    stmts[st].nparams, NULL)) {
		log_error("send failed: %s", PQerrorMessage(d->conn));
		return -1;
	}
	if ((res = collect(d, now_ms() + d->timeout_ms)) == NULL) {
		if (PQstatus(d->conn) != CONNECTION_OK) {
			log_error("prepare %s: connection lost: %s",
			    stmts[st].tag, PQerrorMessage(d->conn));
			return -1;
		}
		log_error("prepare %s: no answer within the statement timeout"
		    " (nothing ran): connection dropped", stmts[st].tag);
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
		d->prepared |= 1u << st;
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
send_stmt(struct db *d, enum stmt st, const char *const *vals,
    const int *lens, const int *formats, int binary, PGresult **err)
{
	unsigned int bit = 1u << st;
	int on = atomic_load(&prepared_on), ok, rc;

	*err = NULL;
	if (on && !(d->prepared & bit) && (d->used & bit) &&
	    (rc = prepare(d, st, err)) != 0)
		return rc;
	d->used |= bit;
	d->sent_prepared = on && (d->prepared & bit);
	if (d->sent_prepared)
		ok = PQsendQueryPrepared(d->conn, stmt_names[st],
		    stmts[st].nparams, vals, lens, formats, binary);
	else
		ok = PQsendQueryParams(d->conn, stmts[st].sql,
		    stmts[st].nparams, NULL, vals, lens, formats, binary);
	if (!ok) {
		log_error("send failed: %s", PQerrorMessage(d->conn));
		return -1;
	}
	return 0;
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
run(struct db *d, enum stmt st, const char *const *vals, const int *lens,
    const int *formats, int binary, PGresult **out)
{
	long long deadline;

	*out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		drop_if_stale(d);
		if (ensure_connected(d) != 0)
			return NOT_SENT;
		switch (send_stmt(d, st, vals, lens, formats, binary, out)) {
		case -1:
			db_close(d);
			continue;
		case -2:
			return NOT_SENT;
		case 1:
			return SENT_OK;	/* the prepare's error */
		}
		deadline = now_ms() + d->timeout_ms;
		if ((*out = collect(d, deadline)) != NULL) {
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

/*
 * Runs a statement expected to return tuples, retrying serialization and
 * deadlock failures. Returns STORE_OK with *out set, or the failure.
 */
static enum store_status
query(struct db *d, enum stmt st, const char *const *vals, const int *lens,
    const int *formats, int binary, PGresult **out)
{
	for (int i = 0; i <= MAX_RETRIES; i++) {
		enum outcome o = run(d, st, vals, lens, formats, binary, out);
		enum store_status s;

		if (o != SENT_OK)
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

static enum store_status
db_check_key(void *ctx, const unsigned char *hash, long long *key_id)
{
	struct db *d = ctx;
	const char *vals[1] = { (const char *)hash };
	const int lens[1] = { 32 }, formats[1] = { 1 };
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if ((s = query(d, ST_CHECK_KEY, vals, lens, formats, 0, &res)))
		return s;
	if (PQntuples(res) == 1)
		*key_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		s = STORE_BAD_KEY;
	PQclear(res);
	return s;
}

/*
 * Writes refs as a PostgreSQL array literal. The references were validated
 * ([A-Za-z0-9] only), so quoting each is enough. Returns NULL when out of
 * memory.
 */
static char *
array_literal(const char *const *refs, unsigned int n)
{
	size_t cap = 3, o = 0;
	char *s;

	for (unsigned int i = 0; i < n; i++)
		cap += strlen(refs[i]) + 3;
	if ((s = malloc(cap)) == NULL)
		return NULL;
	s[o++] = '{';
	for (unsigned int i = 0; i < n; i++) {
		size_t len = strlen(refs[i]);
		if (i > 0)
			s[o++] = ',';
		s[o++] = '"';
		memcpy(s + o, refs[i], len);
		o += len;
		s[o++] = '"';
	}
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

static enum store_status
db_delete_model(void *ctx, const struct store_delete *req,
    struct store_result *out)
{
	struct db *d = ctx;
	const char *vals[7];
	const int lens[7] = { 32, 0, 0, 0, 0, 0, 0 };
	const int formats[7] = { 1, 0, 0, 0, 0, 0, 0 };
	char *refs = NULL;
	PGresult *res;
	enum store_status s;

	if (req->refs != NULL && (refs = array_literal(req->refs, req->nrefs))
	    == NULL)
		return STORE_ERROR;
	vals[0] = (const char *)req->key_hash;
	vals[1] = req->entity;
	vals[2] = req->project;
	vals[3] = req->object_id;
	vals[4] = refs;
	vals[5] = req->request_id;
	/* The audit row's scope: 'all' when refs is NULL, whatever this says. */
	vals[6] = req->refs_from == STORE_REFS_BODY ? "body" : "query";
	s = query(d, ST_DELETE, vals, lens, formats, 0, &res);
	free(refs);
	if (s != STORE_OK)
		return s;
	if (PQntuples(res) != 1 || PQnfields(res) != 4) {
		log_error("delete_model returned %d rows",
		    PQntuples(res));
		PQclear(res);
		return STORE_ERROR;
	}
	if (!PQgetisnull(res, 0, 3))
		out->key_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	switch (atoi(PQgetvalue(res, 0, 0))) {
	case 0:
		out->num_deleted = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		s = STORE_OK;
		break;
	case 1:
		s = STORE_BAD_KEY;
		break;
	case 2:
		s = STORE_FORBIDDEN;
		break;
	case 3:
		s = STORE_NO_PROJECT;
		break;
	case 4:
		out->message = strdup(PQgetvalue(res, 0, 2));
		s = out->message ? STORE_NOT_FOUND : STORE_ERROR;
		break;
	default:
		s = STORE_ERROR;
		break;
	}
	PQclear(res);
	return s;
}

static long long
get_i64(const PGresult *res, int row, int col)
{
	uint64_t v;

	memcpy(&v, PQgetvalue(res, row, col), sizeof(v));
	return (long long)be64toh(v);
}

static int
get_i32(const PGresult *res, int row, int col)
{
	uint32_t v;

	memcpy(&v, PQgetvalue(res, row, col), sizeof(v));
	return (int)be32toh(v);
}

/*
 * True when a binary result has the column types the decoders read: the
 * status and key columns of every statement here, checked once so a
 * schema that drifted is a logged 500, never a misread.
 */
static int
shape_ok(const PGresult *res, int nfields, const char *what)
{
	if (PQnfields(res) == nfields && PQntuples(res) >= 1 &&
	    PQfformat(res, 0) == 1 && PQgetlength(res, 0, 0) == 4 &&
	    (PQgetisnull(res, 0, 1) || PQgetlength(res, 0, 1) == 8))
		return 1;
	log_error("%s returned %d rows of %d fields", what, PQntuples(res),
	    PQnfields(res));
	return 0;
}

/* Maps the status column of create, read and list to a store status. */
static enum store_status
status_of(int code)
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

static enum store_status
db_create_model(void *ctx, const struct store_create *req, long long *key_id,
    long long *version_index)
{
	struct db *d = ctx;
	const char *vals[8] = { (const char *)req->key_hash, req->entity,
	    req->project, req->object_id, req->digest, req->val,
	    req->source_digest, req->source };
	const int lens[8] = { 32, 0, 0, 0, 0, 0, 0, (int)req->source_len };
	const int formats[8] = { 1, 0, 0, 0, 0, 0, 0, 1 };
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if (req->source_len > INT_MAX)
		return STORE_ERROR;
	if ((s = query(d, ST_CREATE, vals, lens, formats, 1, &res)))
		return s;
	if (!shape_ok(res, 3, "model_create")) {
		PQclear(res);
		return STORE_ERROR;
	}
	if (!PQgetisnull(res, 0, 1))
		*key_id = get_i64(res, 0, 1);
	s = status_of(get_i32(res, 0, 0));
	if (s == STORE_OK) {
		if (PQgetisnull(res, 0, 2) || PQgetlength(res, 0, 2) != 8)
			s = STORE_ERROR;
		else
			*version_index = get_i64(res, 0, 2);
	}
	PQclear(res);
	/*
	 * libpq never shrinks a connection's buffers: after a statement this
	 * large the connection goes, so its memory can go back to the system
	 * (the next call opens a new one).
	 */
	if (strlen(req->val) + req->source_len >= DB_LARGE_STATEMENT)
		db_close(d);
	return s;
}

/*
 * Decodes one row of the read/list column order into v; object_id comes
 * from the row's last column when it is set. Returns 0, or -1 when a
 * column has a shape no statement here produces.
 */
static int
decode_version(const PGresult *res, int row, const char *object_id,
    struct store_version *v)
{
	memset(v, 0, sizeof(*v));
	if (PQgetisnull(res, row, 2) || PQgetisnull(res, row, 6) ||
	    PQgetlength(res, row, 3) != 8 || PQgetlength(res, row, 4) != 8 ||
	    (!PQgetisnull(res, row, 5) && PQgetlength(res, row, 5) != 8))
		return -1;
	v->object_id = PQgetisnull(res, row, 9) ? object_id :
	    PQgetvalue(res, row, 9);
	v->digest = PQgetvalue(res, row, 2);
	v->version_index = get_i64(res, row, 3);
	v->created_us = get_i64(res, row, 4) + PG_EPOCH_US;
	if (!PQgetisnull(res, row, 5)) {
		v->deleted = 1;
		v->deleted_us = get_i64(res, row, 5) + PG_EPOCH_US;
	}
	v->val = PQgetvalue(res, row, 6);
	v->val_len = (size_t)PQgetlength(res, row, 6);
	v->has_source = !PQgetisnull(res, row, 7);
	if (!PQgetisnull(res, row, 8)) {
		v->source = PQgetvalue(res, row, 8);
		v->source_len = (size_t)PQgetlength(res, row, 8);
	}
	return v->object_id == NULL ? -1 : 0;
}

static enum store_status
db_read_model(void *ctx, const struct store_read *req, long long *key_id,
    store_row_fn fn, void *arg)
{
	struct db *d = ctx;
	const char *vals[5] = { (const char *)req->key_hash, req->entity,
	    req->project, req->object_id, req->ref };
	const int lens[5] = { 32, 0, 0, 0, 0 };
	const int formats[5] = { 1, 0, 0, 0, 0 };
	struct store_version v;
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if ((s = query(d, ST_READ, vals, lens, formats, 1, &res)))
		return s;
	if (!shape_ok(res, 10, "model_read")) {
		PQclear(res);
		return STORE_ERROR;
	}
	if (!PQgetisnull(res, 0, 1))
		*key_id = get_i64(res, 0, 1);
	s = status_of(get_i32(res, 0, 0));
	if (s == STORE_OK) {
		if (decode_version(res, 0, req->object_id, &v) != 0) {
			log_error("model_read returned a malformed row");
			s = STORE_ERROR;
		} else if (fn(arg, &v) != 0)
			s = STORE_ERROR;
	}
	PQclear(res);
	return s;
}

/*
 * Sends the list statement in single-row mode, resending only when it
 * certainly never reached a server. Returns STORE_OK when it is in flight.
 */
static enum store_status
send_list(struct db *d, const char *const *vals, const int *lens,
    const int *formats)
{
	PGresult *err;

	for (int attempt = 0; attempt < 2; attempt++) {
		drop_if_stale(d);
		if (ensure_connected(d) != 0)
			return STORE_UNAVAILABLE;
		switch (send_stmt(d, ST_LIST, vals, lens, formats, 1, &err)) {
		case 0:
			if (!PQsetSingleRowMode(d->conn))
				log_error("single-row mode refused");
			return STORE_OK;
		case 1: {
			enum store_status s = failure(d, err);

			PQclear(err);
			return s;
		}
		case -2:
			return STORE_UNAVAILABLE;
		}
		db_close(d);
	}
	return STORE_UNAVAILABLE;
}

/*
 * The list: every refusal comes with the first row, before begin(); after
 * it, each row must arrive within the statement timeout of the one before,
 * so a long list is never cut for its length, only for a stall.
 */
static enum store_status
db_list_models(void *ctx, const struct store_list *req, long long *key_id,
    int (*begin)(void *arg), store_row_fn fn, void *arg, int *started)
{
	struct db *d = ctx;
	char limit[24], offset[24];
	const char *vals[5] = { (const char *)req->key_hash, req->entity,
	    req->project, NULL, offset };
	const int lens[5] = { 32, 0, 0, 0, 0 };
	const int formats[5] = { 1, 0, 0, 0, 0 };
	enum store_status s = STORE_OK;
	struct store_version v;
	PGresult *res;
	int first = 1;

	*key_id = -1;
	*started = 0;
	if (req->limit >= 0) {
		snprintf(limit, sizeof(limit), "%lld", req->limit);
		vals[3] = limit;
	}
	snprintf(offset, sizeof(offset), "%lld", req->offset);
	if ((s = send_list(d, vals, lens, formats)) != STORE_OK)
		return s;
	for (;;) {
		if (next_result(d, now_ms() + d->timeout_ms, &res) != 0) {
			metrics_db(PQstatus(d->conn) == CONNECTION_OK ?
			    METRICS_DB_TIMEOUT : METRICS_DB_LOST);
			log_error("list: %s", PQstatus(d->conn) == CONNECTION_OK
			    ? "no row within the statement timeout" :
			    PQerrorMessage(d->conn));
			if (PQstatus(d->conn) == CONNECTION_OK) {
				char err[256];
				PGcancel *c = PQgetCancel(d->conn);

				if (c == NULL || !PQcancel(c, err, sizeof(err)))
					log_error("cancel failed");
				PQfreeCancel(c);
			}
			db_close(d);
			return STORE_UNAVAILABLE;
		}
		if (res == NULL)
			break;
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			/* The end of a single-row stream: no rows in it. */
			PQclear(res);
			continue;
		}
		if (first && s == STORE_OK && statement_missing(d, res)) {
			/* It never ran: read to its end, send it again. */
			long long deadline = now_ms() + d->timeout_ms;
			int rc;

			do {
				PQclear(res);
			} while ((rc = next_result(d, deadline, &res)) == 0 &&
			    res != NULL);
			if (rc != 0) {
				db_close(d);
				return STORE_UNAVAILABLE;
			}
			if ((s = send_list(d, vals, lens, formats)) != STORE_OK)
				return s;
			continue;
		}
		if (PQresultStatus(res) != PGRES_SINGLE_TUPLE) {
			s = failure(d, res);
			PQclear(res);
			if (PQstatus(d->conn) == CONNECTION_OK)
				continue;	/* drains to the end */
			return s;
		}
		if (s != STORE_OK) {
			/* A refusal or failure already decided: drain. */
			PQclear(res);
			continue;
		}
		if (first) {
			first = 0;
			if (!shape_ok(res, 10, "list")) {
				s = STORE_ERROR;
			} else {
				if (!PQgetisnull(res, 0, 1))
					*key_id = get_i64(res, 0, 1);
				s = status_of(get_i32(res, 0, 0));
				if (s == STORE_OK) {
					*started = 1;
					if (begin(arg) != 0)
						s = STORE_ERROR;
				}
			}
			if (s != STORE_OK || PQgetisnull(res, 0, 2)) {
				PQclear(res);
				continue;
			}
		}
		if (decode_version(res, 0, NULL, &v) != 0) {
			log_error("list returned a malformed row");
			s = STORE_ERROR;
		} else if (fn(arg, &v) != 0) {
			s = STORE_ERROR;
		}
		PQclear(res);
		if (s != STORE_OK && *started) {
			/* Abandoned mid-stream: the rest is not worth reading. */
			db_close(d);
			return s;
		}
	}
	if (first && s == STORE_OK) {
		log_error("list returned no rows");
		s = STORE_ERROR;
	}
	return s;
}

static enum store_status
db_health(void *ctx)
{
	struct db *d = ctx;
	PGresult *res;
	enum store_status s = query(d, ST_HEALTH, NULL, NULL, NULL, 0, &res);

	if (s == STORE_OK)
		PQclear(res);
	return s;
}

static enum store_status
db_authorize(void *ctx, const unsigned char *hash, const char *entity,
    int need_write, long long *key_id)
{
	struct db *d = ctx;
	const char *vals[1] = { (const char *)hash };
	const int lens[1] = { 32 }, formats[1] = { 1 };
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if ((s = query(d, ST_AUTHORIZE, vals, lens, formats, 0, &res)))
		return s;
	if (PQntuples(res) != 1)
		s = STORE_BAD_KEY;
	else {
		const char *role = PQgetvalue(res, 0, 2);

		*key_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if ((entity != NULL && strcmp(PQgetvalue(res, 0, 1), entity)
		    != 0) || (need_write && strcmp(role, "write") != 0 &&
		    strcmp(role, "admin") != 0))
			s = STORE_FORBIDDEN;
	}
	PQclear(res);
	return s;
}

static enum store_status
db_touch_key(void *ctx, long long key_id)
{
	struct db *d = ctx;
	char id[24];
	const char *vals[1] = { id };
	PGresult *res;
	enum store_status s;

	snprintf(id, sizeof(id), "%lld", key_id);
	s = query(d, ST_TOUCH_KEY, vals, NULL, NULL, 0, &res);
	if (s == STORE_OK)
		PQclear(res);
	return s;
}

const struct store_ops db_store_ops = {
	.check_key = db_check_key,
	.delete_model = db_delete_model,
	.create_model = db_create_model,
	.read_model = db_read_model,
	.list_models = db_list_models,
	.health = db_health,
	.authorize = db_authorize,
	.touch_key = db_touch_key,
};
