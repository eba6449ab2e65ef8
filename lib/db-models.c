/*
 * The Models resource on PostgreSQL: its statements, their parameters and
 * the decoding of their rows, as db_store_ops. Every keyed statement calls
 * a SQL function that asks authorize() (sql/009_authorize.sql) and starts
 * its result with a status and the key's id; connecting, sending, waiting,
 * cancelling, retrying and mapping failures are lib/db.c's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db-conn.h"
#include "log.h"

/* A statement at least this large leaves its connection closed after it. */
#define DB_LARGE_STATEMENT (1 << 20)
/* Room for a long long in decimal, sign and NUL included. */
#define LLONG_TEXT 24

/*
 * The statements. Read and list share one column order (enum version_col),
 * so one decoder serves both; create starts the same way.
 */
#define SQL_DELETE "SELECT status, num_deleted, message, key_id " \
	"FROM delete_model($1, $2, $3, $4, $5, $6, $7)"
/* The key alone, any entity and role: the key check before a 422. */
#define SQL_CHECK_KEY "SELECT status, key_id FROM authorize($1, NULL, false)"
/* The key's entity and role, for a 401 or 403 before a body is read. */
#define SQL_AUTHORIZE "SELECT status, key_id FROM authorize($1, $2, $3)"
#define SQL_CREATE "SELECT status, key_id, version_index " \
	"FROM model_create($1, $2, $3, $4, $5, $6, $7, $8)"
#define SQL_HEALTH "SELECT 1"
#define SQL_TOUCH_KEY "SELECT key_touch($1)"
#define SQL_READ "SELECT status, key_id, digest, version_index, created_at, " \
	"deleted_at, val, source_digest, source, NULL::text " \
	"FROM model_read($1, $2, $3, $4, $5)"
/*
 * The first row carries the status (and, when it is 0, the first version,
 * if any); the versions stream from the list index in order. model_list
 * is inlined into this statement, so nothing is materialised.
 */
#define SQL_LIST "SELECT status, key_id, digest, version_index, created_at, " \
	"deleted_at, val, source_digest, source, object_id " \
	"FROM model_list($1, $2, $3, $4, $5)"

enum stmt { ST_CHECK_KEY, ST_DELETE, ST_CREATE, ST_READ, ST_LIST, ST_HEALTH,
	ST_AUTHORIZE, ST_TOUCH_KEY, ST_COUNT };

static struct db_stmt stmts[ST_COUNT] = {
	[ST_CHECK_KEY] = { .tag = "check_key", .sql = SQL_CHECK_KEY,
	    .nparams = 1 },
	[ST_DELETE] = { .tag = "delete", .sql = SQL_DELETE, .nparams = 7 },
	[ST_CREATE] = { .tag = "create", .sql = SQL_CREATE, .nparams = 8 },
	[ST_READ] = { .tag = "read", .sql = SQL_READ, .nparams = 5 },
	[ST_LIST] = { .tag = "list", .sql = SQL_LIST, .nparams = 5 },
	[ST_HEALTH] = { .tag = "health", .sql = SQL_HEALTH, .nparams = 0 },
	[ST_AUTHORIZE] = { .tag = "authorize", .sql = SQL_AUTHORIZE,
	    .nparams = 3 },
	[ST_TOUCH_KEY] = { .tag = "touch_key", .sql = SQL_TOUCH_KEY,
	    .nparams = 1 },
};

/* The columns of read and list (and the first three of create). */
enum version_col {
	COL_STATUS,
	COL_KEY_ID,
	COL_DIGEST,
	COL_INDEX,
	COL_CREATED,
	COL_DELETED,
	COL_VAL,
	COL_SOURCE_DIGEST,
	COL_SOURCE,
	COL_OBJECT_ID,		/* the list's; NULL in a read */
	VERSION_COLS
};

/* create's columns: status, key_id, then the version's index. */
enum create_col { CREATE_COL_INDEX = 2, CREATE_COLS };

/* delete's, in text: status, num_deleted, message, key_id. */
enum delete_col { DEL_COL_STATUS, DEL_COL_NUM, DEL_COL_MESSAGE,
	DEL_COL_KEY_ID, DELETE_COLS };

/*
 * The status and key columns every keyed statement starts with: sets
 * *key_id when the row names a key, returns the status (STORE_ERROR for a
 * result of the wrong shape).
 */
static enum store_status
status_row(const PGresult *res, int ncols, const char *what,
    long long *key_id)
{
	if (!db_shape_ok(res, ncols, what))
		return STORE_ERROR;
	if (!PQgetisnull(res, 0, COL_KEY_ID))
		*key_id = db_i64(res, 0, COL_KEY_ID);
	return db_status(db_i32(res, 0, COL_STATUS));
}

/* Runs a key-only statement whose row is (status, key_id). */
static enum store_status
key_query(struct db *d, enum stmt st, const struct db_params *p,
    long long *key_id)
{
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if ((s = db_query(d, &stmts[st], p, &res)) != STORE_OK)
		return s;
	s = status_row(res, 2, stmts[st].tag, key_id);
	PQclear(res);
	return s;
}

static enum store_status
db_check_key(void *ctx, const unsigned char *hash, long long *key_id)
{
	const char *vals[1] = { (const char *)hash };
	const int lens[1] = { AUTH_HASH_LEN }, formats[1] = { 1 };
	const struct db_params p = { .vals = vals, .lens = lens,
	    .formats = formats, .binary = 1 };

	return key_query(ctx, ST_CHECK_KEY, &p, key_id);
}

static enum store_status
db_authorize(void *ctx, const unsigned char *hash, const char *entity,
    int need_write, long long *key_id)
{
	const char *vals[3] = { (const char *)hash, entity,
	    need_write ? "true" : "false" };
	const int lens[3] = { AUTH_HASH_LEN, 0, 0 };
	const int formats[3] = { 1, 0, 0 };
	const struct db_params p = { .vals = vals, .lens = lens,
	    .formats = formats, .binary = 1 };

	return key_query(ctx, ST_AUTHORIZE, &p, key_id);
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

/* Reads delete's one row (text) into out. */
static enum store_status
delete_row(const PGresult *res, struct store_result *out)
{
	enum store_status s;

	if (PQntuples(res) != 1 || PQnfields(res) != DELETE_COLS) {
		log_error("delete_model returned %d rows", PQntuples(res));
		return STORE_ERROR;
	}
	if (!PQgetisnull(res, 0, DEL_COL_KEY_ID))
		out->key_id = strtoll(PQgetvalue(res, 0, DEL_COL_KEY_ID),
		    NULL, 10);
	s = db_status(atoi(PQgetvalue(res, 0, DEL_COL_STATUS)));
	if (s == STORE_OK)
		out->num_deleted = strtoll(PQgetvalue(res, 0, DEL_COL_NUM),
		    NULL, 10);
	else if (s == STORE_NOT_FOUND &&
	    (out->message = strdup(PQgetvalue(res, 0, DEL_COL_MESSAGE))) ==
	    NULL)
		s = STORE_ERROR;
	return s;
}

static enum store_status
db_delete_model(void *ctx, const struct store_delete *req,
    struct store_result *out)
{
	char *refs = NULL;
	/* The audit row's scope: 'all' when refs is NULL, whatever this says. */
	const char *vals[7] = { (const char *)req->key_hash, req->entity,
	    req->project, req->object_id, NULL, req->request_id,
	    req->refs_from == STORE_REFS_BODY ? "body" : "query" };
	const int lens[7] = { AUTH_HASH_LEN, 0, 0, 0, 0, 0, 0 };
	const int formats[7] = { 1, 0, 0, 0, 0, 0, 0 };
	const struct db_params p = { .vals = vals, .lens = lens,
	    .formats = formats, .binary = 0 };
	PGresult *res;
	enum store_status s;

	if (req->refs != NULL && (refs = array_literal(req->refs, req->nrefs))
	    == NULL)
		return STORE_ERROR;
	vals[4] = refs;
	s = db_query(ctx, &stmts[ST_DELETE], &p, &res);
	free(refs);
	if (s != STORE_OK)
		return s;
	s = delete_row(res, out);
	PQclear(res);
	return s;
}

static enum store_status
db_create_model(void *ctx, const struct store_create *req, long long *key_id,
    long long *version_index)
{
	struct db *d = ctx;
	const char *vals[8] = { (const char *)req->key_hash, req->entity,
	    req->project, req->object_id, req->digest, req->val,
	    req->source_digest, req->source };
	const int lens[8] = { AUTH_HASH_LEN, 0, 0, 0, 0, 0, 0,
	    (int)req->source_len };
	const int formats[8] = { 1, 0, 0, 0, 0, 0, 0, 1 };
	const struct db_params p = { .vals = vals, .lens = lens,
	    .formats = formats, .binary = 1 };
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if (req->source_len > INT_MAX)
		return STORE_ERROR;
	if ((s = db_query(d, &stmts[ST_CREATE], &p, &res)) != STORE_OK)
		return s;
	s = status_row(res, CREATE_COLS, "model_create", key_id);
	if (s == STORE_OK) {
		if (PQgetisnull(res, 0, CREATE_COL_INDEX) ||
		    PQgetlength(res, 0, CREATE_COL_INDEX) != 8)
			s = STORE_ERROR;
		else
			*version_index = db_i64(res, 0, CREATE_COL_INDEX);
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

/* A binary timestamp column, in microseconds since 1970-01-01 UTC. */
static long long
get_time_us(const PGresult *res, int row, int col)
{
	return db_i64(res, row, col) + DB_EPOCH_US;
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
	if (PQgetisnull(res, row, COL_DIGEST) ||
	    PQgetisnull(res, row, COL_VAL) ||
	    PQgetlength(res, row, COL_INDEX) != 8 ||
	    PQgetlength(res, row, COL_CREATED) != 8 ||
	    (!PQgetisnull(res, row, COL_DELETED) &&
	    PQgetlength(res, row, COL_DELETED) != 8))
		return -1;
	v->object_id = PQgetisnull(res, row, COL_OBJECT_ID) ? object_id :
	    PQgetvalue(res, row, COL_OBJECT_ID);
	v->digest = PQgetvalue(res, row, COL_DIGEST);
	v->version_index = db_i64(res, row, COL_INDEX);
	v->created_us = get_time_us(res, row, COL_CREATED);
	if (!PQgetisnull(res, row, COL_DELETED)) {
		v->deleted = 1;
		v->deleted_us = get_time_us(res, row, COL_DELETED);
	}
	v->val = PQgetvalue(res, row, COL_VAL);
	v->val_len = (size_t)PQgetlength(res, row, COL_VAL);
	v->has_source = !PQgetisnull(res, row, COL_SOURCE_DIGEST);
	if (!PQgetisnull(res, row, COL_SOURCE)) {
		v->source = PQgetvalue(res, row, COL_SOURCE);
		v->source_len = (size_t)PQgetlength(res, row, COL_SOURCE);
	}
	return v->object_id == NULL ? -1 : 0;
}

/* Decodes a row and hands it to fn; what a read and the list share. */
static enum store_status
give_version(const PGresult *res, const char *object_id, const char *what,
    store_row_fn fn, void *arg)
{
	struct store_version v;

	if (decode_version(res, 0, object_id, &v) != 0) {
		log_error("%s returned a malformed row", what);
		return STORE_ERROR;
	}
	return fn(arg, &v) != 0 ? STORE_ERROR : STORE_OK;
}

static enum store_status
db_read_model(void *ctx, const struct store_read *req, long long *key_id,
    store_row_fn fn, void *arg)
{
	const char *vals[5] = { (const char *)req->key_hash, req->entity,
	    req->project, req->object_id, req->ref };
	const int lens[5] = { AUTH_HASH_LEN, 0, 0, 0, 0 };
	const int formats[5] = { 1, 0, 0, 0, 0 };
	const struct db_params p = { .vals = vals, .lens = lens,
	    .formats = formats, .binary = 1 };
	PGresult *res;
	enum store_status s;

	*key_id = -1;
	if ((s = db_query(ctx, &stmts[ST_READ], &p, &res)) != STORE_OK)
		return s;
	s = status_row(res, VERSION_COLS, "model_read", key_id);
	if (s == STORE_OK)
		s = give_version(res, req->object_id, "model_read", fn, arg);
	PQclear(res);
	return s;
}

/* The list's parameters, with room for its numbers as text. */
struct list_params {
	char			 limit[LLONG_TEXT];
	char			 offset[LLONG_TEXT];
	const char		*vals[5];
	int			 lens[5];
	int			 formats[5];
	struct db_params	 p;
};

static void
list_params(struct list_params *lp, const struct store_list *req)
{
	snprintf(lp->limit, sizeof(lp->limit), "%lld", req->limit);
	snprintf(lp->offset, sizeof(lp->offset), "%lld", req->offset);
	lp->vals[0] = (const char *)req->key_hash;
	lp->vals[1] = req->entity;
	lp->vals[2] = req->project;
	lp->vals[3] = req->limit >= 0 ? lp->limit : NULL;	/* NULL: all */
	lp->vals[4] = lp->offset;
	memset(lp->lens, 0, sizeof(lp->lens));
	memset(lp->formats, 0, sizeof(lp->formats));
	lp->lens[0] = AUTH_HASH_LEN;
	lp->formats[0] = 1;
	lp->p = (struct db_params){ .vals = lp->vals, .lens = lp->lens,
	    .formats = lp->formats, .binary = 1 };
}

/*
 * The list's first row: a refusal, or the go-ahead, on which begin() runs
 * (*started tells it did).
 */
static enum store_status
list_first(const PGresult *row, long long *key_id, int (*begin)(void *arg),
    void *arg, int *started)
{
	enum store_status s = status_row(row, VERSION_COLS, "list", key_id);

	if (s != STORE_OK)
		return s;
	*started = 1;
	return begin(arg) != 0 ? STORE_ERROR : STORE_OK;
}

/* The versions after the first row, each to fn, to the stream's end. */
static enum store_status
list_rest(struct db_stream *st, store_row_fn fn, void *arg)
{
	enum store_status s;
	PGresult *row;

	for (;;) {
		if ((s = db_stream_next(st, &row)) != STORE_OK || row == NULL)
			return s;
		s = give_version(row, NULL, "list", fn, arg);
		PQclear(row);
		if (s != STORE_OK) {
			db_stream_abandon(st);
			return s;
		}
	}
}

/*
 * The list: every refusal comes with the first row, before begin(); a
 * project with no versions is a first row with no version in it. A
 * failure after begin() abandons the stream; one before it (a refusal,
 * a begin() that failed) reads it to its end.
 */
static enum store_status
db_list_models(void *ctx, const struct store_list *req, long long *key_id,
    int (*begin)(void *arg), store_row_fn fn, void *arg, int *started)
{
	struct list_params lp;
	struct db_stream st;
	PGresult *row;
	enum store_status s;

	*key_id = -1;
	*started = 0;
	list_params(&lp, req);
	if ((s = db_stream_start(&st, ctx, &stmts[ST_LIST], &lp.p)) !=
	    STORE_OK || (s = db_stream_next(&st, &row)) != STORE_OK)
		return s;
	if (row == NULL) {
		log_error("list returned no rows");
		return STORE_ERROR;
	}
	if ((s = list_first(row, key_id, begin, arg, started)) != STORE_OK) {
		PQclear(row);
		return db_stream_drain(&st, s);
	}
	if (!PQgetisnull(row, 0, COL_DIGEST))
		s = give_version(row, NULL, "list", fn, arg);
	PQclear(row);
	if (s != STORE_OK) {
		db_stream_abandon(&st);
		return s;
	}
	return list_rest(&st, fn, arg);
}

static enum store_status
db_health(void *ctx)
{
	const struct db_params p = { .binary = 0 };
	PGresult *res;
	enum store_status s = db_query(ctx, &stmts[ST_HEALTH], &p, &res);

	if (s == STORE_OK)
		PQclear(res);
	return s;
}

static enum store_status
db_touch_key(void *ctx, long long key_id)
{
	char id[LLONG_TEXT];
	const char *vals[1] = { id };
	const struct db_params p = { .vals = vals, .binary = 0 };
	PGresult *res;
	enum store_status s;

	snprintf(id, sizeof(id), "%lld", key_id);
	s = db_query(ctx, &stmts[ST_TOUCH_KEY], &p, &res);
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
