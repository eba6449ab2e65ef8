#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

/* Retries of a statement that lost a serialization or deadlock check. */
#define MAX_RETRIES 5
/* How long a cancelled statement gets to report back before we give up. */
#define CANCEL_GRACE_MS 1000

#define SQL_DELETE "SELECT status, num_deleted, message, key_id " \
	"FROM delete_model($1, $2, $3, $4, $5, $6)"
#define SQL_CHECK_KEY "SELECT id FROM api_keys " \
	"WHERE key_hash = $1 AND revoked_at IS NULL"
#define SQL_HEALTH "SELECT 1"

enum outcome {
	SENT_OK,	/* a result came back (possibly an error result),
			   and no cancel was sent */
	NOT_SENT,	/* the statement never reached a server */
	LOST		/* sent, then no answer or cancelled: outcome
			   unknown */
};

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
		log_error("database connection failed: %s",
		    d->conn ? PQerrorMessage(d->conn) : "out of memory");
		db_close(d);
		return -1;
	}
	PQsetNoticeProcessor(d->conn, log_notice, NULL);
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
 * Collects the result of the statement in flight until deadline. Returns
 * the last result (caller clears it) or NULL when the answer did not come.
 */
static PGresult *
collect(struct db *d, long long deadline)
{
	PGresult *res, *last = NULL;

	for (;;) {
		while (PQisBusy(d->conn)) {
			if (wait_readable(PQsocket(d->conn), deadline) != 1 ||
			    !PQconsumeInput(d->conn)) {
				PQclear(last);
				return NULL;
			}
		}
		if ((res = PQgetResult(d->conn)) == NULL)
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
	res = collect(d, now_ms() + CANCEL_GRACE_MS);
	log_error("outcome unknown: statement cancelled after %d ms "
	    "(then: %s)", d->timeout_ms,
	    res ? PQresStatus(PQresultStatus(res)) : "no answer");
	if (res == NULL)
		db_close(d);
	PQclear(res);
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
run(struct db *d, const char *sql, int nparams, const char *const *vals,
    const int *lens, const int *formats, PGresult **out)
{
	long long deadline;

	*out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		drop_if_stale(d);
		if (ensure_connected(d) != 0)
			return NOT_SENT;
		if (PQsendQueryParams(d->conn, sql, nparams, NULL, vals, lens,
		    formats, 0) == 0) {
			log_error("send failed: %s",
			    PQerrorMessage(d->conn));
			db_close(d);
			continue;
		}
		deadline = now_ms() + d->timeout_ms;
		if ((*out = collect(d, deadline)) != NULL)
			return SENT_OK;
		if (PQstatus(d->conn) == CONNECTION_OK) {
			cancel(d);
			return LOST;
		}
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
query(struct db *d, const char *sql, int nparams, const char *const *vals,
    const int *lens, const int *formats, PGresult **out)
{
	for (int i = 0; i <= MAX_RETRIES; i++) {
		enum outcome o = run(d, sql, nparams, vals, lens, formats, out);
		enum store_status s;

		if (o != SENT_OK)
			return STORE_UNAVAILABLE;
		if (PQresultStatus(*out) == PGRES_TUPLES_OK)
			return STORE_OK;
		if (retryable(*out) && i < MAX_RETRIES) {
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
	if ((s = query(d, SQL_CHECK_KEY, 1, vals, lens, formats, &res)))
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
	const char *vals[6];
	const int lens[6] = { 32, 0, 0, 0, 0, 0 };
	const int formats[6] = { 1, 0, 0, 0, 0, 0 };
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
	s = query(d, SQL_DELETE, 6, vals, lens, formats, &res);
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

static enum store_status
db_health(void *ctx)
{
	struct db *d = ctx;
	PGresult *res;
	enum store_status s = query(d, SQL_HEALTH, 0, NULL, NULL, NULL, &res);

	if (s == STORE_OK)
		PQclear(res);
	return s;
}

const struct store_ops db_store_ops = {
	db_check_key,
	db_delete_model,
	db_health,
};
