/*
 * lib/db.c and lib/db-models.c against a real PostgreSQL: the store
 * interface (every operation) as the handler sees it, and the one SQL
 * authorization rule behind each keyed statement, on a throwaway
 * cluster that tests/db/run.sh starts and fills. Faults are real: a
 * test-only trigger (created here, never a migration) raises a chosen
 * SQLSTATE from inside delete_model, a row lock held by this program
 * makes a delete wait past its timeout, pg_terminate_backend kills the
 * store's connection while it is idle or while its statement waits,
 * SIGSTOP freezes its backend (a server that answers nothing; needs root
 * or the cluster's user), and the cluster is stopped and started again.
 *
 * What a delete did is read only through interfaces that outlive the
 * schema: `models-admin model list` (the live versions), delete_audit, and
 * the store's own answers.
 *
 * Environment (set by run.sh): DATABASE_URL, DBT_ADMIN (models-admin),
 * DBT_KEY_{W,R,A,O,X} and DBT_KEY_{W,R,A,O}_ID (write, read, admin, other
 * entity's and revoked keys of entity acme), DBT_PG_STOP, DBT_PG_START
 * (commands), DBT_OLD_URL (a database whose delete_audit rows were
 * written before migration 006 and then migrated).
 * Last line: "N passed, N failed".
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "auth.h"
#include "db.h"
#include "metrics.h"
#include "t.h"

int t_passed, t_failed;

static const char *url;
static PGconn *admin;		/* this program's own session */
static volatile sig_atomic_t stopped_pid;	/* a backend under SIGSTOP */

/* The watchdog: a store call that never returns fails the run, not hangs it. */
static void
on_alarm(int sig)
{
	static const char msg[] = "db-tests: no progress in 120 s, giving up\n";

	(void)sig;
	if (stopped_pid > 0)
		kill(stopped_pid, SIGCONT);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/*
 * The value of one sample of the /metrics text (name and labels exactly as
 * rendered): what lib/db.c counted. ~0 when it is not there.
 */
static unsigned long long
metric(const char *sample)
{
	size_t len, n = strlen(sample);
	char *text = metrics_render(&len), *p;
	unsigned long long v = ~0ULL;

	for (p = text; p != NULL && (p = strstr(p, sample)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ') {
			v = strtoull(p + n + 1, NULL, 10);
			break;
		}
	free(text);
	return v;
}

#define M_RETRIES "models_api_db_retries_total"
#define M_STATEMENT "models_api_db_errors_total{kind=\"statement\"}"
#define M_LOST "models_api_db_errors_total{kind=\"lost\"}"
#define M_TIMEOUTS "models_api_db_statement_timeouts_total"

static const char *const names[] = { "STORE_OK", "STORE_BAD_KEY",
    "STORE_FORBIDDEN", "STORE_NO_PROJECT", "STORE_NOT_FOUND",
    "STORE_UNAVAILABLE", "STORE_ERROR" };

/* Named statuses read better than numbers in a failure line. */
static int
t_status(const char *what, enum store_status want, enum store_status got)
{
	return T_STR(what, names[want],
	    (unsigned)got < T_LEN(names) ? names[got] : "?");
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "db-tests: %s is not set\n", name);
		exit(2);
	}
	return v;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Formats a query into q (2048 bytes) and runs it on conn. */
static PGresult *
exec_fmt(PGconn *conn, char q[2048], const char *fmt, va_list ap)
{
	vsnprintf(q, 2048, fmt, ap);
	return PQexec(conn, q);
}

/* Runs SQL on the admin session; a failure ends the program. */
static void
sql(const char *fmt, ...)
{
	char q[2048];
	va_list ap;
	PGresult *res;

	va_start(ap, fmt);
	res = exec_fmt(admin, q, fmt, ap);
	va_end(ap);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "db-tests: %s: %s", q, PQerrorMessage(admin));
		printf("%d passed, %d failed\n", t_passed, t_failed + 1);
		exit(1);
	}
	PQclear(res);
}

/* The first value of a one-row query on the admin session, as a number. */
static long long
sql_num(const char *fmt, ...)
{
	char q[2048];
	va_list ap;
	PGresult *res;
	long long v = -1;

	va_start(ap, fmt);
	res = exec_fmt(admin, q, fmt, ap);
	va_end(ap);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "db-tests: %s: %s", q, PQerrorMessage(admin));
	PQclear(res);
	return v;
}

/* The first value of a one-row query on conn as text ("(null)", "(error)"). */
static void
sql_text(PGconn *conn, char *out, size_t size, const char *fmt, ...)
{
	char q[2048];
	va_list ap;
	PGresult *res;

	va_start(ap, fmt);
	res = exec_fmt(conn, q, fmt, ap);
	va_end(ap);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "db-tests: %s: %s", q, PQerrorMessage(conn));
		snprintf(out, size, "(error)");
	} else
		snprintf(out, size, "%s", PQgetisnull(res, 0, 0) ? "(null)" :
		    PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* Runs a models-admin command line; its first output line goes to out. */
static int
admin_cmd(char *out, size_t size, const char *fmt, ...)
{
	char cmd[1024], line[512] = "";
	va_list ap;
	FILE *p;
	int n;

	n = snprintf(cmd, sizeof(cmd), "'%s' ", env("DBT_ADMIN"));
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) != NULL)
		line[strcspn(line, "\n")] = '\0';
	while (fgets(cmd, sizeof(cmd), p) != NULL)
		;
	if (out != NULL)
		snprintf(out, size, "%s", line);
	return pclose(p) == 0 ? 0 : -1;
}

/* Adds a version of acme/proj/OBJ with value {"i":I}; its digest to dig. */
static void
add(const char *obj, int i, char dig[64])
{
	char line[512];

	if (admin_cmd(line, sizeof(line), "model add acme proj %s --val "
	    "'{\"i\":%d}'", obj, i) != 0) {
		fprintf(stderr, "db-tests: model add %s failed\n", obj);
		exit(1);
	}
	line[strcspn(line, " ")] = '\0';
	if (strlen(line) >= 64) {
		fprintf(stderr, "db-tests: model add printed %s\n", line);
		exit(1);
	}
	memcpy(dig, line, strlen(line) + 1);
}

/* The live versions of acme/proj/OBJ, as models-admin model list counts. */
static long long
live(const char *obj)
{
	char cmd[1024];
	FILE *p;
	long long n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "'%s' model list acme proj %s",
	    env("DBT_ADMIN"), obj);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while ((c = fgetc(p)) != EOF)
		n += c == '\n';
	return pclose(p) == 0 ? n : -1;
}

static long long
audit_rows(const char *obj)
{
	return sql_num("SELECT count(*) FROM delete_audit WHERE object_id = "
	    "'%s'", obj);
}

/* The hash of the key in environment variable NAME (or of NAME itself). */
static void
key_hash(const char *name, unsigned char hash[AUTH_HASH_LEN])
{
	const char *k = getenv(name) ? getenv(name) : name;

	auth_hash_key(k, strlen(k), hash);
}

/*
 * One delete through the store, its references as the query sends them;
 * res->message must be freed.
 */
static enum store_status
del_from(struct db *d, const char *key, const char *entity,
    const char *project, const char *obj, const char *const *refs,
    unsigned int nrefs, enum store_refs_from from, const char *rid,
    struct store_result *res)
{
	unsigned char hash[AUTH_HASH_LEN];
	struct store_delete q = { hash, entity, project, obj, refs, nrefs,
	    rid, from };

	key_hash(key, hash);
	res->num_deleted = -1;
	res->key_id = -1;
	res->message = NULL;
	return db_store_ops.delete_model(d, &q, res);
}

static enum store_status
del(struct db *d, const char *key, const char *entity, const char *project,
    const char *obj, const char *const *refs, unsigned int nrefs,
    const char *rid, struct store_result *res)
{
	return del_from(d, key, entity, project, obj, refs, nrefs,
	    STORE_REFS_QUERY, rid, res);
}

/* Every status of delete_model as lib/db.c maps it. */
struct map_case {
	const char	*what;
	const char	*key;		/* env name of a key, or a key */
	const char	*entity, *project, *obj;
	const char	*refs[4];
	unsigned int	 nrefs;		/* 0: every version, unless empty */
	int		 from;		/* a store_refs_from, or EMPTY_BODY */
	enum store_status want;
	long long	 num_deleted;	/* for STORE_OK */
	const char	*key_id;	/* env name of the key id, NULL: -1 */
	const char	*message;	/* for STORE_NOT_FOUND; "%s" = D2 */
	const char	*audit;		/* for STORE_OK: scope|refs|digests */
};

/* An empty list of references, sent as a body: no version named. */
#define EMPTY_BODY	(-1)
#define Q		STORE_REFS_QUERY
#define BODY		STORE_REFS_BODY

#define UNKNOWN_KEY "0123456789abcdef0123456789abcdef01234567"
#define NONE_MSG(o) "Object " o " (None) not found when deleting."

static const struct map_case map_cases[] = {
	{ "unknown key", UNKNOWN_KEY, "acme", "proj", "map", { NULL }, 0, Q,
	    STORE_BAD_KEY, 0, NULL, NULL, NULL },
	{ "revoked key", "DBT_KEY_X", "acme", "proj", "map", { NULL }, 0, Q,
	    STORE_BAD_KEY, 0, NULL, NULL, NULL },
	{ "read role", "DBT_KEY_R", "acme", "proj", "map", { NULL }, 0, Q,
	    STORE_FORBIDDEN, 0, "DBT_KEY_R_ID", NULL, NULL },
	{ "other entity's key", "DBT_KEY_O", "acme", "proj", "map", { NULL },
	    0, Q, STORE_FORBIDDEN, 0, "DBT_KEY_O_ID", NULL, NULL },
	{ "other entity's key, nothing there", "DBT_KEY_O", "nobody", "none",
	    "x", { NULL }, 0, Q, STORE_FORBIDDEN, 0, "DBT_KEY_O_ID", NULL,
	    NULL },
	{ "unknown project", "DBT_KEY_W", "acme", "nope", "map", { NULL }, 0,
	    Q, STORE_NO_PROJECT, 0, "DBT_KEY_W_ID", NULL, NULL },
	{ "unknown model", "DBT_KEY_W", "acme", "proj", "nosuch", { NULL }, 0,
	    Q, STORE_NOT_FOUND, 0, "DBT_KEY_W_ID", NONE_MSG("nosuch"), NULL },
	{ "none resolved", "DBT_KEY_W", "acme", "proj", "map",
	    { "v7", "v8" }, 2, Q, STORE_NOT_FOUND, 0, "DBT_KEY_W_ID",
	    "Object map (['v7', 'v8']) not found when deleting.", NULL },
	{ "duplicates count once in the 404", "DBT_KEY_W", "acme", "proj",
	    "map", { "latest", "%s", "v02", "v7" }, 4, Q, STORE_NOT_FOUND, 0,
	    "DBT_KEY_W_ID", "Delete request contains 4 digests, but found 1 "
	    "objects to delete. Diff digests: {'v7'}", NULL },
	{ "vN of 19 digits", "DBT_KEY_W", "acme", "proj", "map",
	    { "v9999999999999999999" }, 1, Q, STORE_NOT_FOUND, 0,
	    "DBT_KEY_W_ID", "Object map (['v9999999999999999999']) not found "
	    "when deleting.", NULL },
	{ "vN of 41 digits", "DBT_KEY_W", "acme", "proj", "map",
	    { "v0", "v99999999999999999999999999999999999999999" }, 2, Q,
	    STORE_NOT_FOUND, 0, "DBT_KEY_W_ID", "Delete request contains 2 "
	    "digests, but found 1 objects to delete. Diff digests: "
	    "{'v99999999999999999999999999999999999999999'}", NULL },
	{ "vN, 25 leading zeros", "DBT_KEY_W", "acme", "proj", "map",
	    { "v0000000000000000000000000", "v7" }, 2, Q, STORE_NOT_FOUND, 0,
	    "DBT_KEY_W_ID", "Delete request contains 2 digests, but found 1 "
	    "objects to delete. Diff digests: {'v7'}", NULL },
	/* An empty list names no version: never "every version". */
	{ "empty list", "DBT_KEY_W", "acme", "proj", "map", { NULL }, 0,
	    EMPTY_BODY, STORE_NOT_FOUND, 0, "DBT_KEY_W_ID",
	    "Object map ([]) not found when deleting.", NULL },
	{ "empty list, unknown model", "DBT_KEY_W", "acme", "proj", "nosuch",
	    { NULL }, 0, EMPTY_BODY, STORE_NOT_FOUND, 0, "DBT_KEY_W_ID",
	    "Object nosuch ([]) not found when deleting.", NULL },
	{ "one version", "DBT_KEY_W", "acme", "proj", "map", { "v0" }, 1, Q,
	    STORE_OK, 1, "DBT_KEY_W_ID", NULL, "query|{v0}|1" },
	{ "latest, its digest and v02: once (body)", "DBT_KEY_W", "acme",
	    "proj", "map", { "latest", "%s", "v02" }, 3, BODY, STORE_OK, 1,
	    "DBT_KEY_W_ID", NULL, "body|{latest,%s,v02}|1" },
	{ "deleted version no longer resolves", "DBT_KEY_W", "acme", "proj",
	    "map", { "v2" }, 1, BODY, STORE_NOT_FOUND, 0, "DBT_KEY_W_ID",
	    "Object map (['v2']) not found when deleting.", NULL },
	/* The body form's marker does not make "every version" a list. */
	{ "every version", "DBT_KEY_W", "acme", "proj", "map", { NULL }, 0,
	    BODY, STORE_OK, 1, "DBT_KEY_W_ID", NULL, "all|(null)|1" },
	{ "every version, none left", "DBT_KEY_W", "acme", "proj", "map",
	    { NULL }, 0, Q, STORE_NOT_FOUND, 0, "DBT_KEY_W_ID",
	    NONE_MSG("map"), NULL },
};

/* s with its one "%s" (if any) replaced by d2, into out. */
static const char *
subst(char *out, size_t size, const char *s, const char *d2)
{
	const char *p = strstr(s, "%s");

	if (p == NULL)
		snprintf(out, size, "%s", s);
	else
		snprintf(out, size, "%.*s%s%s", (int)(p - s), s, d2, p + 2);
	return out;
}

static void
test_mapping(void)
{
	struct db d;
	char d2[64], dummy[64], what[256], want[256], got[256];

	add("map", 0, dummy);
	add("map", 1, dummy);
	add("map", 2, d2);
	db_init(&d, url, 5000);
	for (size_t i = 0; i < T_LEN(map_cases); i++) {
		const struct map_case *c = &map_cases[i];
		const char *refs[4];
		struct store_result res;
		enum store_status s;
		long long want_id = c->key_id ? atoll(env(c->key_id)) : -1;
		long long audit = audit_rows(c->obj);

		for (unsigned int j = 0; j < c->nrefs; j++)
			refs[j] = strcmp(c->refs[j], "%s") == 0 ? d2 :
			    c->refs[j];
		s = del_from(&d, c->key, c->entity, c->project, c->obj,
		    c->nrefs || c->from == EMPTY_BODY ? refs : NULL, c->nrefs,
		    c->from == EMPTY_BODY ? STORE_REFS_BODY :
		    (enum store_refs_from)c->from, "dbt-map", &res);
		snprintf(what, sizeof(what), "delete_model: %s: status",
		    c->what);
		t_status(what, c->want, s);
		snprintf(what, sizeof(what), "delete_model: %s: key_id",
		    c->what);
		T_INT(what, want_id, res.key_id);
		snprintf(what, sizeof(what), "delete_model: %s: message",
		    c->what);
		T_STR(what, c->message, res.message);
		snprintf(what, sizeof(what), "delete_model: %s: audit rows "
		    "added", c->what);
		T_INT(what, c->want == STORE_OK, audit_rows(c->obj) - audit);
		if (c->want == STORE_OK) {
			snprintf(what, sizeof(what), "delete_model: %s: "
			    "num_deleted", c->what);
			T_INT(what, c->num_deleted, res.num_deleted);
			/* Its audit row tells a list from "every version". */
			snprintf(what, sizeof(what), "delete_model: %s: "
			    "audit scope|refs|count", c->what);
			sql_text(admin, got, sizeof(got), "SELECT scope || '|' "
			    "|| coalesce(refs::text, '(null)') || '|' || "
			    "num_deleted FROM delete_audit WHERE object_id = "
			    "'%s' ORDER BY id DESC LIMIT 1", c->obj);
			T_STR(what, subst(want, sizeof(want), c->audit, d2),
			    got);
		}
		free(res.message);
	}
	T_INT("model list after the mapping cases", 0, live("map"));

	/* check_key and health on the same connection. */
	{
		unsigned char hash[AUTH_HASH_LEN];
		long long id = -1;

		key_hash("DBT_KEY_W", hash);
		t_status("check_key(write key)", STORE_OK,
		    db_store_ops.check_key(&d, hash, &id));
		T_INT("check_key(write key): id", atoll(env("DBT_KEY_W_ID")),
		    id);
		key_hash("DBT_KEY_R", hash);
		t_status("check_key(read key)", STORE_OK,
		    db_store_ops.check_key(&d, hash, &id));
		T_INT("check_key(read key): id", atoll(env("DBT_KEY_R_ID")),
		    id);
		key_hash("DBT_KEY_X", hash);
		t_status("check_key(revoked key)", STORE_BAD_KEY,
		    db_store_ops.check_key(&d, hash, &id));
		T_INT("check_key(revoked key): id", -1, id);
		key_hash(UNKNOWN_KEY, hash);
		t_status("check_key(unknown key)", STORE_BAD_KEY,
		    db_store_ops.check_key(&d, hash, &id));
		t_status("health", STORE_OK, db_store_ops.health(&d));
	}

	/* authorize: 401 and 403 decided alone, before a body is read. */
	{
		static const struct {
			const char	*what, *key, *entity;
			int		 write;
			enum store_status want;
			const char	*id;	/* variable naming the key id */
		} cases[] = {
			{ "write key, own entity", "DBT_KEY_W", "acme", 1,
			    STORE_OK, "DBT_KEY_W_ID" },
			{ "write key, any entity", "DBT_KEY_W", NULL, 1,
			    STORE_OK, "DBT_KEY_W_ID" },
			{ "write key, other entity", "DBT_KEY_W", "other", 1,
			    STORE_FORBIDDEN, "DBT_KEY_W_ID" },
			{ "write key, entity differing in case", "DBT_KEY_W",
			    "ACME", 1, STORE_FORBIDDEN, "DBT_KEY_W_ID" },
			{ "read key, writing", "DBT_KEY_R", "acme", 1,
			    STORE_FORBIDDEN, "DBT_KEY_R_ID" },
			{ "read key, reading", "DBT_KEY_R", "acme", 0,
			    STORE_OK, "DBT_KEY_R_ID" },
			{ "read key, any entity, writing", "DBT_KEY_R", NULL,
			    1, STORE_FORBIDDEN, "DBT_KEY_R_ID" },
			{ "other entity's key", "DBT_KEY_O", "acme", 1,
			    STORE_FORBIDDEN, "DBT_KEY_O_ID" },
			{ "revoked key", "DBT_KEY_X", "acme", 1,
			    STORE_BAD_KEY, NULL },
			{ "unknown key", NULL, "acme", 1, STORE_BAD_KEY, NULL },
		};
		unsigned char hash[AUTH_HASH_LEN];
		char what[160];

		for (size_t i = 0; i < T_LEN(cases); i++) {
			long long id = 42;

			key_hash(cases[i].key ? cases[i].key : UNKNOWN_KEY,
			    hash);
			snprintf(what, sizeof(what), "authorize(%s)",
			    cases[i].what);
			t_status(what, cases[i].want, db_store_ops.authorize(&d,
			    hash, cases[i].entity, cases[i].write, &id));
			T_INT(what, cases[i].id ? atoll(env(cases[i].id)) : -1,
			    id);
		}
	}
	db_close(&d);
}

/*
 * The one authorization rule (sql/009): authorize() itself, for every role
 * with and without the write need, another entity's key, a revoked key and
 * an unknown one; the entity's id comes with a live key.
 */
static void
test_authorize_sql(void)
{
	static const struct {
		const char	*key, *entity, *write, *want;
	} cases[] = {
		{ "DBT_KEY_R", "'acme'", "false", "0|DBT_KEY_R_ID|acme" },
		{ "DBT_KEY_R", "'acme'", "true", "2|DBT_KEY_R_ID|acme" },
		{ "DBT_KEY_R", "NULL", "true", "2|DBT_KEY_R_ID|acme" },
		{ "DBT_KEY_W", "'acme'", "false", "0|DBT_KEY_W_ID|acme" },
		{ "DBT_KEY_W", "'acme'", "true", "0|DBT_KEY_W_ID|acme" },
		{ "DBT_KEY_A", "'acme'", "false", "0|DBT_KEY_A_ID|acme" },
		{ "DBT_KEY_A", "'acme'", "true", "0|DBT_KEY_A_ID|acme" },
		{ "DBT_KEY_O", "'acme'", "false", "2|DBT_KEY_O_ID|other" },
		{ "DBT_KEY_O", "'other'", "true", "0|DBT_KEY_O_ID|other" },
		{ "DBT_KEY_O", "NULL", "false", "0|DBT_KEY_O_ID|other" },
		{ "DBT_KEY_X", "'acme'", "false", "1|(null)|(null)" },
		{ "DBT_KEY_X", "NULL", "false", "1|(null)|(null)" },
		{ UNKNOWN_KEY, "'acme'", "false", "1|(null)|(null)" },
	};
	unsigned char hash[AUTH_HASH_LEN];
	char hex[2 * AUTH_HASH_LEN + 1], what[160], want[160], got[160];
	const char *id;

	for (size_t i = 0; i < T_LEN(cases); i++) {
		key_hash(cases[i].key, hash);
		for (size_t j = 0; j < AUTH_HASH_LEN; j++)
			snprintf(hex + 2 * j, 3, "%02x", hash[j]);
		/* "STATUS|KEY_ID|ENTITY", the variable naming the id read. */
		id = strchr(cases[i].want, '|') + 1;
		if (strncmp(id, "DBT_", 4) == 0) {
			char var[32];

			snprintf(var, sizeof(var), "%.*s",
			    (int)strcspn(id, "|"), id);
			snprintf(want, sizeof(want), "%.2s%s%s", cases[i].want,
			    env(var), id + strlen(var));
		} else
			snprintf(want, sizeof(want), "%s", cases[i].want);
		sql_text(admin, got, sizeof(got), "SELECT a.status || '|' || "
		    "coalesce(a.key_id::text, '(null)') || '|' || "
		    "coalesce(e.name, '(null)') FROM authorize('\\x%s', %s, "
		    "%s) a LEFT JOIN entities e ON e.id = a.entity_id", hex,
		    cases[i].entity, cases[i].write);
		snprintf(what, sizeof(what), "authorize() SQL: %s, entity %s, "
		    "write %s", cases[i].key, cases[i].entity, cases[i].write);
		T_STR(what, want, got);
	}
	/* One row whatever the key: the callers read their status from it. */
	T_INT("authorize() SQL: one row for an unknown key", 1,
	    sql_num("SELECT count(*) FROM authorize('\\x00', 'acme', true)"));
}

/* The keyed operations of the store, each asked with one key. */
enum rule_op { OP_CHECK, OP_AUTH_READ, OP_AUTH_WRITE, OP_READ, OP_LIST,
	OP_CREATE, OP_DELETE, OP_COUNT };

static const char *const rule_ops[OP_COUNT] = { "check_key",
    "authorize(read)", "authorize(write)", "read_model", "list_models",
    "create_model", "delete_model" };

static int rule_begun;

static int
rule_begin(void *arg)
{
	(void)arg;
	rule_begun++;
	return 0;
}

static int
rule_row(void *arg, const struct store_version *v)
{
	(void)arg;
	(void)v;
	return 0;
}

/* Runs op on acme/proj (object "rule") with the key hash; sets *id. */
static enum store_status
rule_call(struct db *d, enum rule_op op, const unsigned char *hash,
    long long *id)
{
	struct store_read rq = { .key_hash = hash, .entity = "acme",
	    .project = "proj", .object_id = "rule", .ref = "latest" };
	struct store_list lq = { .key_hash = hash, .entity = "acme",
	    .project = "proj", .limit = -1, .offset = 0 };
	struct store_create cq = { .key_hash = hash, .entity = "acme",
	    .project = "proj", .object_id = "rule-new", .digest = "dRule",
	    .val = "{}" };
	const char *refs[1] = { "v999999" };
	struct store_delete dq = { .key_hash = hash, .entity = "acme",
	    .project = "proj", .object_id = "rule", .refs = refs, .nrefs = 1,
	    .request_id = "dbt-rule" };
	struct store_result res = { .key_id = -1 };
	enum store_status s = STORE_ERROR;
	long long index;
	int started;

	*id = -1;
	switch (op) {
	case OP_CHECK:
		return db_store_ops.check_key(d, hash, id);
	case OP_AUTH_READ:
		return db_store_ops.authorize(d, hash, "acme", 0, id);
	case OP_AUTH_WRITE:
		return db_store_ops.authorize(d, hash, "acme", 1, id);
	case OP_READ:
		return db_store_ops.read_model(d, &rq, id, rule_row, NULL);
	case OP_LIST:
		return db_store_ops.list_models(d, &lq, id, rule_begin,
		    rule_row, NULL, &started);
	case OP_CREATE:
		return db_store_ops.create_model(d, &cq, id, &index);
	case OP_DELETE:
		s = db_store_ops.delete_model(d, &dq, &res);
		*id = res.key_id;
		free(res.message);
		return s;
	case OP_COUNT:
		break;
	}
	return s;
}

/*
 * Every statement that takes a key applies the one rule: a read key is
 * refused every write (and nothing is written), another entity's key
 * everything but the bare key check, a revoked or unknown key everything;
 * each refusal names the key it saw, and a refused list starts nothing.
 */
static void
test_authorize_rule(void)
{
	/* Per key, the status of each op in enum rule_op order. */
	static const struct {
		const char		*key, *id;
		enum store_status	 want[OP_COUNT];
	} cases[] = {
		{ "DBT_KEY_W", "DBT_KEY_W_ID", { STORE_OK, STORE_OK, STORE_OK,
		    STORE_OK, STORE_OK, STORE_OK, STORE_NOT_FOUND } },
		{ "DBT_KEY_A", "DBT_KEY_A_ID", { STORE_OK, STORE_OK, STORE_OK,
		    STORE_OK, STORE_OK, STORE_OK, STORE_NOT_FOUND } },
		{ "DBT_KEY_R", "DBT_KEY_R_ID", { STORE_OK, STORE_OK,
		    STORE_FORBIDDEN, STORE_OK, STORE_OK, STORE_FORBIDDEN,
		    STORE_FORBIDDEN } },
		{ "DBT_KEY_O", "DBT_KEY_O_ID", { STORE_OK, STORE_FORBIDDEN,
		    STORE_FORBIDDEN, STORE_FORBIDDEN, STORE_FORBIDDEN,
		    STORE_FORBIDDEN, STORE_FORBIDDEN } },
		{ "DBT_KEY_X", NULL, { STORE_BAD_KEY, STORE_BAD_KEY,
		    STORE_BAD_KEY, STORE_BAD_KEY, STORE_BAD_KEY, STORE_BAD_KEY,
		    STORE_BAD_KEY } },
		{ UNKNOWN_KEY, NULL, { STORE_BAD_KEY, STORE_BAD_KEY,
		    STORE_BAD_KEY, STORE_BAD_KEY, STORE_BAD_KEY, STORE_BAD_KEY,
		    STORE_BAD_KEY } },
	};
	unsigned char hash[AUTH_HASH_LEN];
	char what[160], dig[64];
	struct db d;

	add("rule", 0, dig);
	db_init(&d, url, 5000);
	for (size_t i = 0; i < T_LEN(cases); i++) {
		key_hash(cases[i].key, hash);
		for (int op = 0; op < OP_COUNT; op++) {
			long long versions = sql_num("SELECT count(*) FROM "
			    "model_versions v JOIN models m ON m.id = "
			    "v.model_id WHERE m.object_id = 'rule-new'");
			long long audit = audit_rows("rule");
			int begun = rule_begun;
			enum store_status want = cases[i].want[op], s;
			long long id;

			/* A write key's create writes once, then finds it. */
			s = rule_call(&d, (enum rule_op)op, hash, &id);
			snprintf(what, sizeof(what), "rule: %s with %s",
			    rule_ops[op], cases[i].key);
			t_status(what, want, s);
			snprintf(what, sizeof(what), "rule: %s with %s: key id",
			    rule_ops[op], cases[i].key);
			T_INT(what, want == STORE_BAD_KEY || !cases[i].id ?
			    -1 : atoll(env(cases[i].id)), id);
			if (want == STORE_OK || want == STORE_NOT_FOUND)
				continue;
			snprintf(what, sizeof(what), "rule: %s with %s: "
			    "nothing written, nothing started", rule_ops[op],
			    cases[i].key);
			T_INT(what, 1, versions == sql_num("SELECT count(*) "
			    "FROM model_versions v JOIN models m ON m.id = "
			    "v.model_id WHERE m.object_id = 'rule-new'") &&
			    audit == audit_rows("rule") &&
			    begun == rule_begun);
		}
	}
	db_close(&d);
}

/*
 * The audit's scope beyond what the store sends: the six-argument call of
 * a service started before migration 006 (the references are the query's),
 * the constraint that ties scope to refs, and rows written before 006,
 * carried over in DBT_OLD_URL's database.
 */
static void
test_audit_scope(void)
{
	char dummy[64], got[512];
	PGconn *old;
	PGresult *res;

	add("six", 0, dummy);
	add("six", 1, dummy);
	sql_text(admin, got, sizeof(got), "SELECT status || '|' || num_deleted "
	    "FROM delete_model(sha256(convert_to('%s', 'UTF8')), 'acme', "
	    "'proj', 'six', '{v0}', 'dbt-six')", env("DBT_KEY_W"));
	T_STR("six-argument delete_model, a list: status|count", "0|1", got);
	sql_text(admin, got, sizeof(got), "SELECT status || '|' || num_deleted "
	    "FROM delete_model(sha256(convert_to('%s', 'UTF8')), 'acme', "
	    "'proj', 'six', NULL, 'dbt-six')", env("DBT_KEY_W"));
	T_STR("six-argument delete_model, every version: status|count", "0|1",
	    got);
	sql_text(admin, got, sizeof(got), "SELECT string_agg(scope || '|' || "
	    "coalesce(refs::text, '(null)'), ' ' ORDER BY id) FROM "
	    "delete_audit WHERE object_id = 'six'");
	T_STR("six-argument delete_model: audit scope|refs",
	    "query|{v0} all|(null)", got);

	res = PQexec(admin, "INSERT INTO delete_audit (key_id, entity, "
	    "project, object_id, refs, digests, num_deleted, request_id, "
	    "scope) SELECT min(id), 'acme', 'proj', 'bad', NULL, '{}', 0, "
	    "'dbt', 'query' FROM api_keys");
	T_STR("audit row 'query' without refs refused", "23514",
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "(accepted)");
	PQclear(res);

	old = PQconnectdb(env("DBT_OLD_URL"));
	if (!T_INT("connect to DBT_OLD_URL", CONNECTION_OK, PQstatus(old))) {
		PQfinish(old);
		return;
	}
	sql_text(old, got, sizeof(got), "SELECT string_agg(request_id || '|' "
	    "|| scope || '|' || coalesce(refs::text, '(null)'), ' ' ORDER BY "
	    "id) FROM delete_audit");
	T_STR("rows from before 006: request|scope|refs",
	    "old-all|all|(null) old-list|query|{v5,latest}", got);
	PQfinish(old);
}

/*
 * The fault: a trigger on delete_audit, so it fires inside delete_model
 * once everything else of a successful delete is done, and the raise
 * rolls all of it back. dbt_fault names the model, the SQLSTATE and how
 * many calls fail; the calls are counted in a sequence, which a rollback
 * does not undo.
 */
static void
fault_setup(void)
{
	sql("CREATE TABLE dbt_fault (object_id text PRIMARY KEY, "
	    "sqlstate text NOT NULL, times bigint NOT NULL)");
	sql("CREATE SEQUENCE dbt_fault_calls");
	sql("CREATE FUNCTION dbt_fault() RETURNS trigger LANGUAGE plpgsql AS $$ "
	    "DECLARE f dbt_fault; "
	    "BEGIN "
	    "  SELECT * INTO f FROM dbt_fault WHERE object_id = NEW.object_id; "
	    "  IF FOUND AND nextval('dbt_fault_calls') <= f.times THEN "
	    "    RAISE EXCEPTION 'dbt: injected %%', f.sqlstate "
	    "      USING ERRCODE = f.sqlstate; "
	    "  END IF; "
	    "  RETURN NEW; "
	    "END $$");
	sql("CREATE TRIGGER dbt_fault BEFORE INSERT ON delete_audit "
	    "FOR EACH ROW EXECUTE FUNCTION dbt_fault()");
}

static void
fault_teardown(void)
{
	sql("DROP TRIGGER dbt_fault ON delete_audit");
	sql("DROP FUNCTION dbt_fault()");
	sql("DROP SEQUENCE dbt_fault_calls");
	sql("DROP TABLE dbt_fault");
}

struct fault_case {
	const char		*obj;
	const char		*sqlstate;
	int			 times;		/* calls that fail */
	enum store_status	 want;
	int			 min_calls, max_calls;
};

static const struct fault_case fault_cases[] = {
	/* Retried inside: the client never sees them. */
	{ "f40001", "40001", 1, STORE_OK, 2, 2 },
	{ "f40p01", "40P01", 1, STORE_OK, 2, 2 },
	{ "f40001x3", "40001", 3, STORE_OK, 4, 4 },
	/* Retries are bounded. */
	{ "f40001inf", "40001", 1000, STORE_ERROR, 2, 10 },
	/* Anything else is not retried. */
	{ "f22000", "22000", 1, STORE_ERROR, 1, 1 },
	{ "f23505", "23505", 1, STORE_ERROR, 1, 1 },
	{ "f53000", "53000", 1, STORE_UNAVAILABLE, 1, 1 },
	{ "f57014", "57014", 1, STORE_UNAVAILABLE, 1, 1 },
};

static void
test_faults(void)
{
	struct db d;
	char dig[64], what[256];

	fault_setup();
	db_init(&d, url, 5000);
	for (size_t i = 0; i < T_LEN(fault_cases); i++) {
		const struct fault_case *c = &fault_cases[i];
		const char *refs[1] = { dig };
		struct store_result res;
		enum store_status s;
		long long calls;
		unsigned long long retries = metric(M_RETRIES),
		    errors = metric(M_STATEMENT);

		add(c->obj, 0, dig);
		add(c->obj, 1, what);
		sql("INSERT INTO dbt_fault VALUES ('%s', '%s', %d)", c->obj,
		    c->sqlstate, c->times);
		sql("SELECT setval('dbt_fault_calls', 1, false)");
		s = del(&d, "DBT_KEY_W", "acme", "proj", c->obj, refs, 1,
		    "dbt-fault", &res);
		calls = sql_num("SELECT CASE WHEN is_called THEN last_value "
		    "ELSE 0 END FROM dbt_fault_calls");
		snprintf(what, sizeof(what), "SQLSTATE %s raised %d time(s): "
		    "status", c->sqlstate, c->times);
		t_status(what, c->want, s);
		snprintf(what, sizeof(what), "SQLSTATE %s raised %d time(s): "
		    "statements run (%lld) in [%d, %d]", c->sqlstate, c->times,
		    calls, c->min_calls, c->max_calls);
		T_INT(what, 1, calls >= c->min_calls && calls <= c->max_calls);
		/* Counted for /metrics: each run again, and the error given up on. */
		snprintf(what, sizeof(what), "SQLSTATE %s raised %d time(s): "
		    "retries counted", c->sqlstate, c->times);
		T_INT(what, calls - 1, metric(M_RETRIES) - retries);
		snprintf(what, sizeof(what), "SQLSTATE %s raised %d time(s): "
		    "statement errors counted", c->sqlstate, c->times);
		T_INT(what, c->want != STORE_OK, metric(M_STATEMENT) - errors);
		snprintf(what, sizeof(what), "SQLSTATE %s raised %d time(s): "
		    "live versions", c->sqlstate, c->times);
		T_INT(what, c->want == STORE_OK ? 1 : 2, live(c->obj));
		snprintf(what, sizeof(what), "SQLSTATE %s raised %d time(s): "
		    "audit rows", c->sqlstate, c->times);
		T_INT(what, c->want == STORE_OK, audit_rows(c->obj));
		if (c->want == STORE_OK) {
			snprintf(what, sizeof(what), "SQLSTATE %s raised %d "
			    "time(s): num_deleted", c->sqlstate, c->times);
			T_INT(what, 1, res.num_deleted);
		}
		free(res.message);
		/* The connection is still good for the next request. */
		snprintf(what, sizeof(what), "SQLSTATE %s: health afterwards",
		    c->sqlstate);
		t_status(what, STORE_OK, db_store_ops.health(&d));
	}
	db_close(&d);
	fault_teardown();
}

/* Waits up to 10 s until no models-api session is running a statement. */
static int
quiet(void)
{
	for (int i = 0; i < 200; i++) {
		if (sql_num("SELECT count(*) FROM pg_stat_activity WHERE "
		    "application_name = 'models-api' AND state = 'active'") == 0)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

/* A delete waits on a row lock past its timeout: 503, nothing deleted. */
static void
test_timeout(void)
{
	struct db d;
	char dig[64];
	struct store_result res;
	enum store_status s;
	unsigned long long timeouts = metric(M_TIMEOUTS),
	    errors = metric(M_STATEMENT);

	add("tmo", 0, dig);
	add("tmo", 1, dig);
	db_init(&d, url, 700);
	sql("BEGIN");
	sql("SELECT 1 FROM models WHERE object_id = 'tmo' FOR UPDATE");
	s = del(&d, "DBT_KEY_W", "acme", "proj", "tmo", NULL, 0, "dbt-tmo",
	    &res);
	free(res.message);
	t_status("timeout: status", STORE_UNAVAILABLE, s);
	T_INT("timeout: counted as a timeout", 1, metric(M_TIMEOUTS) - timeouts);
	T_INT("timeout: not as a statement error", 0,
	    metric(M_STATEMENT) - errors);
	/* Let a statement that was not really cancelled run, if there is one. */
	sql("ROLLBACK");
	T_INT("timeout: the server is no longer running it", 1, quiet());
	T_INT("timeout: live versions", 2, live("tmo"));
	T_INT("timeout: audit rows", 0, audit_rows("tmo"));
	/* The same store goes on: the versions were live all along. */
	s = del(&d, "DBT_KEY_W", "acme", "proj", "tmo", NULL, 0, "dbt-tmo2",
	    &res);
	free(res.message);
	t_status("timeout: next delete", STORE_OK, s);
	T_INT("timeout: next delete num_deleted", 2, res.num_deleted);

	db_close(&d);
}

/* Waits up to 10 s until backend PID has left pg_stat_activity. */
static int
backend_gone(int pid)
{
	for (int i = 0; i < 200; i++) {
		if (sql_num("SELECT count(*) FROM pg_stat_activity WHERE "
		    "pid = %d", pid) == 0)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

/*
 * A server that answers neither the statement nor the cancel (its backend
 * stopped with SIGSTOP): 503 once the timeout and the cancel's grace have
 * passed, and the next call does not reuse that connection, whose answer
 * could still arrive.
 */
static void
test_hang(void)
{
	struct db d;
	int pid;

	db_init(&d, url, 700);
	t_status("hang: health", STORE_OK, db_store_ops.health(&d));
	pid = d.conn ? PQbackendPID(d.conn) : 0;
	stopped_pid = pid;
	if (pid <= 0 || kill(pid, SIGSTOP) != 0) {
		T_INT("hang: SIGSTOP the backend", 0, -1);
		db_close(&d);
		return;
	}
	t_status("hang: health, backend stopped", STORE_UNAVAILABLE,
	    db_store_ops.health(&d));
	kill(pid, SIGCONT);
	stopped_pid = 0;
	/*
	 * Once running again, that backend must see its client gone and end
	 * on its own, before the store's next call: a store that kept the
	 * connection would hold it open (and its late answer with it).
	 */
	T_INT("hang: the stopped backend's connection was closed", 1,
	    backend_gone(pid));
	t_status("hang: health afterwards", STORE_OK, db_store_ops.health(&d));
	T_INT("hang: a new backend", 1,
	    d.conn != NULL && PQbackendPID(d.conn) != pid);
	T_INT("hang: one models-api backend left", 1, sql_num("SELECT "
	    "count(*) FROM pg_stat_activity WHERE application_name = "
	    "'models-api'"));
	db_close(&d);
}

/* What a read handed back: the version's index and whether it was deleted. */
struct seen {
	long long	index;
	int		deleted;
};

static int
seen_row(void *arg, const struct store_version *v)
{
	struct seen *s = arg;

	s->index = v->version_index;
	s->deleted = v->deleted;
	return 0;
}

/* A read of acme/proj/OBJ at REF through the store, with the write key. */
static enum store_status
rd(struct db *d, const char *obj, const char *ref, struct seen *seen)
{
	unsigned char hash[AUTH_HASH_LEN];
	struct store_read q = { hash, "acme", "proj", obj, ref };
	long long id;

	key_hash("DBT_KEY_W", hash);
	seen->index = -1;
	seen->deleted = -1;
	return db_store_ops.read_model(d, &q, &id, seen_row, seen);
}

/* The index models-admin model add gave acme/proj/OBJ's value {"i":I}. */
static long long
add_index(const char *obj, int i)
{
	char line[512];

	if (admin_cmd(line, sizeof(line), "model add acme proj %s --val "
	    "'{\"i\":%d}'", obj, i) != 0)
		return -1;
	return strchr(line, ' ') ? atoll(strchr(line, ' ') + 1) : -1;
}

/*
 * latest when the highest index is deleted and a lower one live; then a
 * purge removes the deleted row, and the next version still takes the
 * highest index ever given + 1, never one the purge freed. The purge
 * takes every deleted version, so this runs after the tests that read
 * their own deletions.
 */
static void
test_latest_purge(void)
{
	struct db d;
	struct seen seen;
	const char *refs[1] = { "v1" };
	struct store_result res;
	enum store_status s;
	char line[512];

	T_INT("latest: v0", 0, add_index("lat", 0));
	T_INT("latest: v1", 1, add_index("lat", 1));
	db_init(&d, url, 5000);
	s = del(&d, "DBT_KEY_W", "acme", "proj", "lat", refs, 1, "dbt-lat",
	    &res);
	free(res.message);
	t_status("latest: delete v1", STORE_OK, s);
	t_status("latest: read", STORE_OK, rd(&d, "lat", "latest", &seen));
	T_INT("latest: the live v0, not the deleted v1", 0, seen.index);
	T_INT("latest: not deleted", 0, seen.deleted);
	t_status("latest: read v1", STORE_OK, rd(&d, "lat", "v1", &seen));
	T_INT("latest: v1 reads as deleted", 1, seen.deleted);
	T_INT("purge: runs", 0, admin_cmd(line, sizeof(line),
	    "purge --older-than 0s"));
	t_status("purge: v1 gone", STORE_NOT_FOUND, rd(&d, "lat", "v1",
	    &seen));
	T_INT("purge: the next index is 2, not 1", 2, add_index("lat", 2));
	t_status("purge: read latest", STORE_OK, rd(&d, "lat", "latest",
	    &seen));
	T_INT("purge: latest is v2", 2, seen.index);
	db_close(&d);
}

/* The connection dies while idle, or the whole server restarts. */
static void
test_reconnect(void)
{
	struct db d;
	char dig[64];
	const char *refs[1] = { "v0" };
	struct store_result res;
	enum store_status s;
	int pid;

	add("rc", 0, dig);
	add("rc", 1, dig);
	add("rc", 2, dig);
	db_init(&d, url, 5000);
	t_status("reconnect: health", STORE_OK, db_store_ops.health(&d));
	pid = d.conn ? PQbackendPID(d.conn) : 0;
	sql("SELECT pg_terminate_backend(%d)", pid);
	for (int i = 0; i < 200 && sql_num("SELECT count(*) FROM "
	    "pg_stat_activity WHERE pid = %d", pid) != 0; i++)
		sleep_ms(50);
	/* The dead connection is seen before anything is sent on it. */
	s = del(&d, "DBT_KEY_W", "acme", "proj", "rc", refs, 1, "dbt-rc",
	    &res);
	free(res.message);
	t_status("reconnect: idle connection killed, then a delete", STORE_OK,
	    s);
	T_INT("reconnect: num_deleted", 1, res.num_deleted);
	T_INT("reconnect: a new backend", 1,
	    d.conn != NULL && PQbackendPID(d.conn) != pid);

	/* Server down: 503 at once; back: the next request works. */
	PQfinish(admin);
	if (system(env("DBT_PG_STOP")) != 0)
		fprintf(stderr, "db-tests: DBT_PG_STOP failed\n");
	t_status("reconnect: health, server down", STORE_UNAVAILABLE,
	    db_store_ops.health(&d));
	refs[0] = "v1";
	s = del(&d, "DBT_KEY_W", "acme", "proj", "rc", refs, 1, "dbt-rc",
	    &res);
	free(res.message);
	t_status("reconnect: delete, server down", STORE_UNAVAILABLE, s);
	if (system(env("DBT_PG_START")) != 0)
		fprintf(stderr, "db-tests: DBT_PG_START failed\n");
	admin = PQconnectdb(url);
	if (PQstatus(admin) != CONNECTION_OK) {
		fprintf(stderr, "db-tests: %s", PQerrorMessage(admin));
		printf("%d passed, %d failed\n", t_passed, t_failed + 1);
		exit(1);
	}
	T_INT("reconnect: the delete while down deleted nothing", 2,
	    live("rc"));
	s = del(&d, "DBT_KEY_W", "acme", "proj", "rc", refs, 1, "dbt-rc",
	    &res);
	free(res.message);
	t_status("reconnect: delete after restart", STORE_OK, s);
	T_INT("reconnect: live versions at the end", 1, live("rc"));

	/* A restart under a connection that was open: no 5xx surfaces. */
	PQfinish(admin);
	if (system(env("DBT_PG_STOP")) != 0 || system(env("DBT_PG_START")))
		fprintf(stderr, "db-tests: restart failed\n");
	admin = PQconnectdb(url);
	t_status("reconnect: health after a restart under an open connection",
	    STORE_OK, db_store_ops.health(&d));
	db_close(&d);
}

/* One delete of every version of OBJ, run in a thread. */
struct call {
	struct db		*d;
	const char		*obj;
	enum store_status	 s;
	struct store_result	 res;
	pthread_t		 tid;
};

static void *
call_worker(void *arg)
{
	struct call *c = arg;

	c->s = del(c->d, "DBT_KEY_W", "acme", "proj", c->obj, NULL, 0,
	    "dbt-call", &c->res);
	return NULL;
}

static void
call_start(struct call *c, struct db *d, const char *obj)
{
	c->d = d;
	c->obj = obj;
	if (pthread_create(&c->tid, NULL, call_worker, c) != 0) {
		fprintf(stderr, "db-tests: pthread_create failed\n");
		exit(1);
	}
}

static enum store_status
call_end(struct call *c)
{
	pthread_join(c->tid, NULL);
	free(c->res.message);
	c->res.message = NULL;
	return c->s;
}

/* The pid of the models-api session waiting on a lock (up to 10 s), or 0. */
static long long
lock_waiter(void)
{
	long long pid = 0;

	for (int i = 0; i < 200; i++) {
		/* Inside a transaction the activity view is read only once. */
		sql("SELECT pg_stat_clear_snapshot()");
		pid = sql_num("SELECT coalesce(max(pid), 0) FROM "
		    "pg_stat_activity WHERE application_name = 'models-api' "
		    "AND wait_event_type = 'Lock' AND query LIKE "
		    "'%%delete_model%%'");
		if (pid > 0)
			break;
		sleep_ms(50);
	}
	return pid;
}

/* A lock released inside the timeout is only a wait. */
static void
test_lock_wait(void)
{
	struct db d;
	char dig[64];
	struct call c;

	add("wait", 0, dig);
	db_init(&d, url, 10000);
	sql("BEGIN");
	sql("SELECT 1 FROM models WHERE object_id = 'wait' FOR UPDATE");
	call_start(&c, &d, "wait");
	T_INT("lock wait: the delete waits on the lock", 1,
	    lock_waiter() > 0);
	sql("COMMIT");
	t_status("lock wait: status", STORE_OK, call_end(&c));
	T_INT("lock wait: num_deleted", 1, c.res.num_deleted);
	db_close(&d);
}

/*
 * Sent, then lost: the delete waits on a lock this program holds; its
 * backend is killed and the lock released at once, well inside the 10 s
 * timeout, so the same statement sent again would now succeed. It must
 * not be: the answer is 503 and nothing is deleted.
 */
static void
test_lost(void)
{
	struct db d;
	char dig[64];
	struct call c;
	long long pid;
	enum store_status s;
	unsigned long long lost = metric(M_LOST);

	add("lost", 0, dig);
	add("lost", 1, dig);
	db_init(&d, url, 10000);
	/* Connected first, so the wait below is the statement's. */
	t_status("lost: health", STORE_OK, db_store_ops.health(&d));
	sql("BEGIN");
	sql("SELECT 1 FROM models WHERE object_id = 'lost' FOR UPDATE");
	call_start(&c, &d, "lost");
	pid = lock_waiter();
	T_INT("lost: the delete waits on the lock", 1, pid > 0);
	sql("SELECT pg_terminate_backend(%lld)", pid);
	sql("COMMIT");
	t_status("lost: status", STORE_UNAVAILABLE, call_end(&c));
	T_INT("lost: counted as lost", 1, metric(M_LOST) - lost);
	T_INT("lost: live versions", 2, live("lost"));
	T_INT("lost: audit rows", 0, audit_rows("lost"));
	/* The caller may send it again itself; then it succeeds. */
	s = del(&d, "DBT_KEY_W", "acme", "proj", "lost", NULL, 0, "dbt-lost2",
	    &c.res);
	free(c.res.message);
	t_status("lost: the client's own retry", STORE_OK, s);
	T_INT("lost: the client's own retry num_deleted", 2,
	    c.res.num_deleted);
	db_close(&d);
}

/* The models-api statements prepared on the store's own session. */
static long long
prepared_count(struct db *d)
{
	PGresult *r;
	long long n = -1;

	if (d->conn == NULL)
		return -1;
	r = PQexec(d->conn, "SELECT count(*) FROM pg_prepared_statements "
	    "WHERE name LIKE 'models\\_api\\_%'");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

/*
 * Prepared statements: on a connection's second use of a statement, again
 * on every new connection (a reconnect, a failover), and a statement that
 * went missing (a pooler in transaction mode hands out another server
 * session) is sent again unnamed, once, and turns them off.
 */
static void
test_prepared(void)
{
	struct db d;
	char dig[64];
	const char *refs[1] = { "v0" };
	struct store_result res;
	enum store_status s;
	int pid;

	db_init(&d, url, 5000);
	t_status("prepared: health", STORE_OK, db_store_ops.health(&d));
	T_INT("prepared: none after one use", 0, prepared_count(&d));
	t_status("prepared: health again", STORE_OK, db_store_ops.health(&d));
	T_INT("prepared: one after the second use", 1, prepared_count(&d));
	t_status("prepared: health by name", STORE_OK, db_store_ops.health(&d));
	T_INT("prepared: still one", 1, prepared_count(&d));

	/* A new connection has none: they are prepared on it again. */
	pid = d.conn ? PQbackendPID(d.conn) : 0;
	sql("SELECT pg_terminate_backend(%d)", pid);
	for (int i = 0; i < 200 && sql_num("SELECT count(*) FROM "
	    "pg_stat_activity WHERE pid = %d", pid) != 0; i++)
		sleep_ms(50);
	t_status("prepared: health on a new connection", STORE_OK,
	    db_store_ops.health(&d));
	T_INT("prepared: a new backend", 1,
	    d.conn != NULL && PQbackendPID(d.conn) != pid);
	t_status("prepared: health again there", STORE_OK,
	    db_store_ops.health(&d));
	T_INT("prepared: prepared again on the new connection", 1,
	    prepared_count(&d));

	/* Lost behind the store's back: sent again unnamed, run once. */
	add("prep", 0, dig);
	add("prep", 1, dig);
	add("prep", 2, dig);
	s = del(&d, "DBT_KEY_W", "acme", "proj", "prep", refs, 1, "dbt-prep",
	    &res);
	free(res.message);
	refs[0] = "v1";
	s |= del(&d, "DBT_KEY_W", "acme", "proj", "prep", refs, 1,
	    "dbt-prep", &res);
	free(res.message);
	t_status("prepared: two deletes", STORE_OK, s);
	T_INT("prepared: the delete prepared too", 2, prepared_count(&d));
	PQclear(PQexec(d.conn, "DEALLOCATE ALL"));
	refs[0] = "v2";
	s = del(&d, "DBT_KEY_W", "acme", "proj", "prep", refs, 1, "dbt-prep",
	    &res);
	free(res.message);
	t_status("prepared: a delete whose statement went missing", STORE_OK,
	    s);
	T_INT("prepared: its num_deleted", 1, res.num_deleted);
	T_INT("prepared: it ran once (audit rows)", 3, audit_rows("prep"));
	T_INT("prepared: no live versions left", 0, live("prep"));
	for (int i = 0; i < 3; i++)
		db_store_ops.health(&d);
	T_INT("prepared: off after that", 0, prepared_count(&d));
	db_close(&d);

	/* MODELS_API_PREPARED=0 */
	db_set_prepared(0);
	db_init(&d, url, 5000);
	for (int i = 0; i < 3; i++)
		t_status("prepared off: health", STORE_OK,
		    db_store_ops.health(&d));
	T_INT("prepared off: none on the connection", 0, prepared_count(&d));
	db_close(&d);
	db_set_prepared(1);
}

/* What the list's rows carried, as "object:index:source:has_source ...". */
struct list_seen {
	char	text[1024];
	size_t	len;
};

static int
list_seen_row(void *arg, const struct store_version *v)
{
	struct list_seen *ls = arg;
	int n;

	n = snprintf(ls->text + ls->len, sizeof(ls->text) - ls->len,
	    "%s%s:%lld:%.*s:%d", ls->len > 0 ? " " : "", v->object_id,
	    v->version_index, v->source != NULL ? (int)v->source_len : 1,
	    v->source != NULL ? v->source : "-", v->has_source);
	if (n < 0 || (size_t)n >= sizeof(ls->text) - ls->len)
		return -1;
	ls->len += (size_t)n;
	return 0;
}

/* Every row of a one-column query on the admin session, one per line. */
static void
sql_lines(char *out, size_t size, const char *fmt, ...)
{
	char q[2048];
	va_list ap;
	PGresult *res;
	size_t len = 0;

	va_start(ap, fmt);
	res = exec_fmt(admin, q, fmt, ap);
	va_end(ap);
	out[0] = '\0';
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "db-tests: %s: %s", q, PQerrorMessage(admin));
		snprintf(out, size, "(error)");
	} else
		for (int i = 0; i < PQntuples(res) && len < size; i++)
			len += (size_t)snprintf(out + len, size - len, "%s\n",
			    PQgetvalue(res, i, 0));
	PQclear(res);
}

/*
 * The list's rows (sql/010: its two lookups memoized, the status on the
 * first row only): a project whose models interleave, whose versions
 * alternate between two source texts, no source and a source digest with
 * no text stored, tie on created_at in pairs and have a deleted one among
 * them; every page the store gives is what the plain join gives with
 * LIMIT/OFFSET. And the statement's generic plan: the skip an index-only
 * scan, the stream an index scan of the list index, no Sort.
 */
static void
test_list_rows(void)
{
	static const long long pages[][2] = { { -1, 0 }, { -1, 3 }, { 2, 0 },
	    { 3, 4 }, { 0, 0 }, { -1, 10 }, { -1, 11 }, { 1, 100 } };
	unsigned char hash[AUTH_HASH_LEN];
	struct store_list lq = { .key_hash = hash, .entity = "acme",
	    .project = "lst" };
	struct list_seen ls;
	char want[1024], what[128], plan[4096], hex[2 * AUTH_HASH_LEN + 1];
	char lim[24];
	long long id;
	enum store_status s;
	struct db d;
	int started, ok;

	sql("INSERT INTO projects (entity_id, name) SELECT id, 'lst' "
	    "FROM entities WHERE name = 'acme'");
	sql("INSERT INTO model_sources (project_id, digest, source) "
	    "SELECT p.id, d, convert_to('text of ' || d, 'UTF8') "
	    "FROM projects p, (VALUES ('S1'), ('S2')) AS s (d) "
	    "WHERE p.name = 'lst'");
	sql("INSERT INTO models (project_id, object_id, next_version_index) "
	    "SELECT p.id, o, 4 FROM projects p, "
	    "(VALUES ('la'), ('lb'), ('lc')) AS m (o) WHERE p.name = 'lst'");
	sql("INSERT INTO model_versions (model_id, project_id, version_index, "
	    "digest, val, source_digest, created_at, deleted_at) "
	    "SELECT mo.id, mo.project_id, g / 3, 'L' || g, '{}', "
	    "(ARRAY['S1', 'S2', NULL, 'S9'])[g %% 4 + 1], "
	    "timestamptz '2026-01-01 00:00:00+00' + g / 2 * interval '1 ms', "
	    "CASE WHEN g = 5 THEN now() END "
	    "FROM generate_series(0, 11) AS g JOIN projects p ON p.name = "
	    "'lst' JOIN models mo ON mo.project_id = p.id "
	    "AND mo.object_id = (ARRAY['la', 'lb', 'lc'])[g %% 3 + 1]");
	key_hash("DBT_KEY_R", hash);
	db_init(&d, url, 5000);
	for (size_t i = 0; i < T_LEN(pages); i++) {
		lq.limit = pages[i][0];
		lq.offset = pages[i][1];
		ls.len = 0;
		ls.text[0] = '\0';
		s = db_store_ops.list_models(&d, &lq, &id, rule_begin,
		    list_seen_row, &ls, &started);
		snprintf(what, sizeof(what), "list rows: limit %lld offset %lld",
		    lq.limit, lq.offset);
		t_status(what, STORE_OK, s);
		if (lq.limit < 0)
			snprintf(lim, sizeof(lim), "ALL");
		else
			snprintf(lim, sizeof(lim), "%lld", lq.limit);
		sql_text(admin, want, sizeof(want), "SELECT coalesce(string_agg("
		    "r, ' ' ORDER BY c, x, y), '') FROM (SELECT m.object_id || "
		    "':' || v.version_index || ':' || coalesce(convert_from("
		    "src.source, 'UTF8'), '-') || ':' || "
		    "(v.source_digest IS NOT NULL)::int AS r, v.created_at AS c, "
		    "v.version_index AS x, v.id AS y FROM model_versions v "
		    "JOIN models m ON m.id = v.model_id JOIN projects p ON "
		    "p.id = v.project_id LEFT JOIN model_sources src ON "
		    "src.project_id = v.project_id AND src.digest = "
		    "v.source_digest WHERE p.name = 'lst' AND v.deleted_at IS "
		    "NULL ORDER BY v.created_at, v.version_index, v.id "
		    "LIMIT %s OFFSET %lld) AS q", lim, lq.offset);
		T_STR(what, want, ls.text);
	}
	db_close(&d);

	for (size_t i = 0; i < AUTH_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	T_INT("list rows: the status on the first row only", 1,
	    sql_num("SELECT count(*) FROM model_list('\\x%s', 'acme', 'lst', "
	    "NULL, 0) WHERE status IS NOT NULL", hex));
	T_INT("list rows: every live version", 11,
	    sql_num("SELECT count(*) FROM model_list('\\x%s', 'acme', 'lst', "
	    "NULL, 0)", hex));
	sql("SET plan_cache_mode = force_generic_plan");
	sql("PREPARE dbt_list (bytea, text, text, bigint, bigint) AS "
	    "SELECT status, key_id, digest, version_index, created_at, "
	    "deleted_at, val, source_digest, source, object_id "
	    "FROM model_list($1, $2, $3, $4, $5)");
	sql_lines(plan, sizeof(plan), "EXPLAIN (COSTS OFF) EXECUTE dbt_list("
	    "'\\x%s', 'acme', 'lst', NULL, 0)", hex);
	sql("DEALLOCATE dbt_list");
	sql("RESET plan_cache_mode");
	ok = T_INT("list plan: no Sort", 0, strstr(plan, "Sort") != NULL);
	ok &= T_INT("list plan: the skip is an index-only scan", 1,
	    strstr(plan, "Index Only Scan using model_versions_list") != NULL);
	ok &= T_INT("list plan: the rows stream from the list index", 1,
	    strstr(plan, "Index Scan using model_versions_list") != NULL);
	if (!ok)
		fprintf(stderr, "list plan:\n%s", plan);
}

int
main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(120);
	url = env("DATABASE_URL");
	admin = PQconnectdb(url);
	if (PQstatus(admin) != CONNECTION_OK) {
		fprintf(stderr, "db-tests: %s", PQerrorMessage(admin));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	test_mapping();
	test_authorize_sql();
	test_authorize_rule();
	test_audit_scope();
	test_faults();
	test_timeout();
	test_hang();
	test_lock_wait();
	test_lost();
	test_prepared();
	test_list_rows();
	test_latest_purge();
	test_reconnect();
	PQfinish(admin);

	/* The last line is what make check reads. */
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed > 0;
}
