/*
 * models-admin: schema migrations, API keys and model versions, for
 * operators and for the tests. Reads DATABASE_URL (or libpq's PG*), from
 * the environment or the settings file (/etc/models-api/env, --config,
 * MODELS_API_CONFIG; the environment wins).
 * Exit status: 0 done, 1 database error (or unknown key id), 2 bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "auth.h"
#include "body.h"
#include "canon.h"
#include "config.h"
#include "jparse.h"
#include "log.h"
#include "migrations.h"
#include "utf8.h"
#include "validate.h"
#include "version.h"

static PGconn *conn;

/* The packaged settings file; the service user the package creates. */
#define DEFAULT_CONFIG	"/etc/models-api/env"
#define SERVICE_USER	"models-api"

#define USE_MIGRATE	"migrate"
#define USE_SETUP	"setup ENTITY [--role read|write|admin] [--label TEXT]"
#define USE_KEY_CREATE	"key create ENTITY [--role read|write|admin] " \
	"[--label TEXT]"
#define USE_KEY_LIST	"key list [ENTITY] [--long]"
#define USE_KEY_REVOKE	"key revoke KEY_ID"
#define USE_MODEL_ADD	"model add ENTITY PROJECT OBJECT_ID [--val JSON]"
#define USE_MODEL_LIST	"model list ENTITY PROJECT [OBJECT_ID] [--deleted]"
#define USE_MODEL_CREATE "model create ENTITY PROJECT NAME --source FILE|- " \
	"[--description TEXT] [--attributes JSON]"
#define USE_MODEL_RESTORE "model restore ENTITY PROJECT OBJECT_ID DIGEST|vN"
#define USE_PURGE	"purge [--older-than DURATION]"

/*
 * The advisory lock migrate holds for its transaction, so that several
 * hosts migrating at once (a package upgrade on each) apply every
 * migration once. Any fixed number will do, but it must never change:
 * two versions of this program must take the same lock.
 */
#define MIGRATE_LOCK_ID	"7277016430519141"

#ifndef MODELS_API_VERSION
#define MODELS_API_VERSION "unknown"
#endif

/*
 * A command: its word, its second word ("" when it has none), its
 * synopsis (for --help and usage lines) and its handler, which gets the
 * words after these and returns the exit status. A new command is a
 * handler and one row of commands[].
 */
struct command {
	const char	*cmd, *sub, *synopsis;
	int		(*run)(int argc, char **argv);
};

static int	cmd_setup(int, char **);
static int	cmd_migrate(int, char **);
static int	cmd_key_create(int, char **);
static int	cmd_key_list(int, char **);
static int	cmd_key_revoke(int, char **);
static int	cmd_model_add(int, char **);
static int	cmd_model_create(int, char **);
static int	cmd_model_list(int, char **);
static int	cmd_model_restore(int, char **);
static int	cmd_purge(int, char **);

/* Every command, in the order --help and the usage lines give them. */
static const struct command commands[] = {
	{ "setup", "", USE_SETUP, cmd_setup },
	{ "migrate", "", USE_MIGRATE, cmd_migrate },
	{ "key", "create", USE_KEY_CREATE, cmd_key_create },
	{ "key", "list", USE_KEY_LIST, cmd_key_list },
	{ "key", "revoke", USE_KEY_REVOKE, cmd_key_revoke },
	{ "model", "add", USE_MODEL_ADD, cmd_model_add },
	{ "model", "create", USE_MODEL_CREATE, cmd_model_create },
	{ "model", "list", USE_MODEL_LIST, cmd_model_list },
	{ "model", "restore", USE_MODEL_RESTORE, cmd_model_restore },
	{ "purge", "", USE_PURGE, cmd_purge },
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);


/*
 * --help after any words: the synopsis of every command they start (all
 * of them when none matches), on stdout. Never touches the database.
 */
static int
help(const char *cmd, const char *sub)
{
	size_t shown = 0;
	int pass;

	for (pass = 0; pass < 2 && shown == 0; pass++)
		for (size_t i = 0; i < ncommands; i++) {
			/* Pass 0: those matching the words given; pass 1: all. */
			if (pass == 0 && (strcmp(cmd, commands[i].cmd) != 0 ||
			    (*sub != '\0' && *commands[i].sub != '\0' &&
			    strcmp(sub, commands[i].sub) != 0)))
				continue;
			printf("%s models-admin %s\n", shown ? "      " :
			    "usage:", commands[i].synopsis);
			shown++;
		}
	printf("\nReads DATABASE_URL (libpq conninfo or URI; unset: PG* "
	    "variables)\nfrom the environment, else from " DEFAULT_CONFIG
	    " (or --config FILE,\nMODELS_API_CONFIG). Exit status: 0 done, 1 "
	    "database error, 2 bad\narguments. See models-admin(8).\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Bad arguments get one line on stderr and exit 2. */
static void __attribute__((noreturn))
usage(const char *synopsis)
{
	fprintf(stderr, "models-admin: usage: models-admin %s\n", synopsis);
	exit(2);
}

/* A one-line complaint about the arguments; exit 2. */
static void __attribute__((format(printf, 1, 2), noreturn))
bad_args(const char *fmt, ...)
{
	va_list ap;

	fputs("models-admin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* A database failure; the message on one line; exit 1. */
static void __attribute__((noreturn))
db_fail(const char *what, const char *msg)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s", msg ? msg : "");
	log_oneline(line);
	fprintf(stderr, "models-admin: %s: %s\n", what, line);
	if (conn != NULL)
		PQfinish(conn);
	exit(1);
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void
connect_db(void)
{
	const char *url = getenv("DATABASE_URL");
	const char *keys[] = { "application_name", "dbname", NULL };
	const char *vals[] = { "models-admin", url, NULL };

	if (url == NULL || *url == '\0')
		keys[1] = vals[1] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		db_fail("connect", "out of memory");
	if (PQstatus(conn) != CONNECTION_OK)
		db_fail("connect", PQerrorMessage(conn));
	/* "relation already exists, skipping" and the like are not news. */
	PQsetNoticeProcessor(conn, quiet, NULL);
}

/* Runs a statement; exits 1 unless it ends with status `want`. */
static PGresult *
exec_params(ExecStatusType want, const char *sql, int n,
    const char *const *vals)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);

	if (res == NULL)
		db_fail("query", PQerrorMessage(conn));
	if (PQresultStatus(res) != want) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		PQclear(res);
		db_fail("query", msg);
	}
	return res;
}

static void
exec_cmd(const char *sql)
{
	PGresult *res = PQexec(conn, sql);

	if (res == NULL)
		db_fail("query", PQerrorMessage(conn));
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		PQclear(res);
		db_fail("query", msg);
	}
	PQclear(res);
}

/*
 * Applies the migrations not yet recorded, under a lock, in one
 * transaction; says what it applied on out, or that there was nothing to
 * do. Returns how many it applied.
 */
static unsigned int
migrate_apply(FILE *out)
{
	unsigned int applied = 0;

	exec_cmd("BEGIN");
	exec_cmd("SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_ID ")");
	exec_cmd("CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "name text PRIMARY KEY, "
	    "applied_at timestamptz NOT NULL DEFAULT now())");
	for (unsigned int i = 0; i < migration_count; i++) {
		const char *v[1] = { migrations[i].name };
		PGresult *res = exec_params(PGRES_TUPLES_OK,
		    "SELECT 1 FROM schema_migrations WHERE name = $1", 1, v);
		int done = PQntuples(res) > 0;

		PQclear(res);
		if (done)
			continue;
		exec_cmd(migrations[i].sql);
		PQclear(exec_params(PGRES_COMMAND_OK,
		    "INSERT INTO schema_migrations (name) VALUES ($1)", 1, v));
		fprintf(out, "applied %s\n", migrations[i].name);
		applied++;
	}
	exec_cmd("COMMIT");
	if (applied == 0)
		fprintf(out, "nothing to do: all %u migrations were applied "
		    "already\n", migration_count);
	return applied;
}

static int
cmd_migrate(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		usage(USE_MIGRATE);
	connect_db();
	migrate_apply(stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void
check_name(const char *what, const char *s)
{
	if (valid_name(s, strlen(s)) != VALID_OK)
		bad_args("%s must be 1-128 of [A-Za-z0-9_.-]: \"%s\"", what, s);
}

/*
 * A model's path words, as the API checks them: ENTITY, PROJECT and, when
 * not NULL, OBJECT_ID. Exits 2 on the first bad one.
 */
static void
check_model_path(const char *entity, const char *project,
    const char *object_id)
{
	check_name("ENTITY", entity);
	check_name("PROJECT", project);
	if (object_id != NULL && valid_object_id(object_id,
	    strlen(object_id)) != VALID_OK)
		bad_args("OBJECT_ID must be 1-128 word characters, '.' or "
		    "'-': \"%s\"", object_id);
}

static void
check_role(const char *role)
{
	if (strcmp(role, "read") != 0 && strcmp(role, "write") != 0 &&
	    strcmp(role, "admin") != 0)
		bad_args("role must be read, write or admin, not \"%s\"", role);
}

/* A label is one line of text for `key list`: UTF-8, no control bytes. */
static void
check_label(const char *label)
{
	size_t n = strlen(label);

	if (n > 200 || utf8_count(label, n) < 0)
		bad_args("--label must be UTF-8 text of at most 200 bytes");
	for (const char *p = label; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			bad_args("--label must be one line without control "
			    "characters");
}

/*
 * Creates a key on the open connection: the key alone on stdout (the only
 * time it is ever shown), "key id N" on stderr. Returns 0, exits on error.
 */
static int
key_create(const char *entity, const char *role, const char *label)
{
	unsigned char raw[AUTH_KEY_LEN / 2], hash[AUTH_HASH_LEN];
	char key[AUTH_KEY_LEN + 1], id[24];
	PGresult *res;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		bad_args("no randomness: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(key + 2 * i, 3, "%02x", raw[i]);
	auth_hash_key(key, AUTH_KEY_LEN, hash);
	{
		const char *vals[4] = { entity, role, (const char *)hash, label };
		const int lens[4] = { 0, 0, AUTH_HASH_LEN, 0 };
		const int fmts[4] = { 0, 0, 1, 0 };

		res = PQexecParams(conn,
		    "WITH e AS (INSERT INTO entities (name) VALUES ($1) "
		    "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name "
		    "RETURNING id) "
		    "INSERT INTO api_keys (entity_id, role, key_hash, label) "
		    "SELECT id, $2, $3, $4 FROM e RETURNING id",
		    4, NULL, vals, lens, fmts, 0);
		if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
			db_fail("key create", res ? PQresultErrorMessage(res) :
			    PQerrorMessage(conn));
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	/* stdout: the key alone, for KEY=$(models-admin key create ...). */
	printf("%s\n", key);
	memset(key, 0, sizeof(key));
	if (fflush(stdout) != 0)
		return 1;
	fprintf(stderr, "key id %s\n", id);
	return 0;
}

/* Options shared by key create and setup: ENTITY [--role R] [--label T]. */
struct key_args {
	const char	*entity, *role, *label;
};

static void
key_args(int argc, char **argv, const char *use, struct key_args *k)
{
	k->entity = NULL;
	k->role = "write";
	k->label = "";
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			k->role = argv[++i];
		else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
			k->label = argv[++i];
		else if (k->entity == NULL && argv[i][0] != '-')
			k->entity = argv[i];
		else
			usage(use);
	}
	if (k->entity == NULL)
		usage(use);
	check_name("ENTITY", k->entity);
	check_role(k->role);
	check_label(k->label);
}

static int
cmd_key_create(int argc, char **argv)
{
	struct key_args k;

	key_args(argc, argv, USE_KEY_CREATE, &k);
	connect_db();
	return key_create(k.entity, k.role, k.label);
}

/*
 * Runs argv and waits for it; its stdout goes to our stderr (so that our
 * stdout holds only a new key), input, if any, is its stdin. Returns its
 * exit status, 127 when it could not be run.
 */
static int
run_wait(char *const argv[], const char *input, int out_to_err)
{
	int fds[2] = { -1, -1 }, status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (input != NULL && pipe(fds) != 0)
		return 127;
	if ((pid = fork()) < 0)
		return 127;
	if (pid == 0) {
		if (input != NULL) {
			dup2(fds[0], 0);
			close(fds[0]);
			close(fds[1]);
		}
		if (out_to_err)
			dup2(2, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "models-admin: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (input != NULL) {
		size_t len = strlen(input), off = 0;

		close(fds[0]);
		while (off < len) {
			ssize_t n = write(fds[1], input + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		close(fds[1]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Where setup creates its role and database: DATABASE_URL's words. */
struct setup_target {
	const char	*role, *db, *host, *port;
};

/*
 * Reads t from DATABASE_URL: the role is its user, else PGUSER, else the
 * service user; the database its dbname, else PGDATABASE, else the role's
 * name. Returns the parsed options, which hold t's strings until
 * PQconninfoFree; exits 2 when DATABASE_URL does not parse.
 */
static PQconninfoOption *
setup_target(struct setup_target *t)
{
	const char *url = getenv("DATABASE_URL");
	PQconninfoOption *opts;
	char *err = NULL;

	if ((opts = PQconninfoParse(url ? url : "", &err)) == NULL) {
		if (err == NULL)
			bad_args("out of memory");
		log_oneline(err);
		bad_args("DATABASE_URL: %s", err);
	}
	memset(t, 0, sizeof(*t));
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "user") == 0)
			t->role = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			t->db = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			t->host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			t->port = o->val;
	}
	if (t->role == NULL)
		t->role = getenv("PGUSER") && *getenv("PGUSER") ?
		    getenv("PGUSER") : SERVICE_USER;
	if (t->db == NULL)
		t->db = getenv("PGDATABASE") && *getenv("PGDATABASE") ?
		    getenv("PGDATABASE") : t->role;
	return opts;
}

/*
 * The role and database in DATABASE_URL (see setup_target), created on
 * the local cluster as postgres with psql, when missing. Each says
 * whether it was created or found.
 */
static void
setup_database(void)
{
	static const char sql[] =
	    "SELECT format('models-admin: role %s: %s', :'role', "
	    "CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') "
	    "THEN 'exists' ELSE 'created' END);\n"
	    "SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS "
	    "(SELECT FROM pg_roles WHERE rolname = :'role')\n\\gexec\n"
	    "SELECT format('models-admin: database %s: %s', :'db', coalesce("
	    "(SELECT 'exists, owner ' || pg_get_userbyid(datdba) "
	    "FROM pg_database WHERE datname = :'db'), "
	    "'created, owner ' || :'role'));\n"
	    "SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') "
	    "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')"
	    "\n\\gexec\n";
	struct setup_target t;
	PQconninfoOption *opts = setup_target(&t);
	char rolev[300], dbv[300], hostv[1100], portv[300];
	char *argv[24] = {
		"runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-A",
		"-t", "-v", "ON_ERROR_STOP=1", "-v", rolev, "-v", dbv,
	};
	int n = 15, rc;

	snprintf(rolev, sizeof(rolev), "role=%s", t.role);
	snprintf(dbv, sizeof(dbv), "db=%s", t.db);
	if (t.host != NULL && t.host[0] != '/' && t.host[0] != '@') {
		fprintf(stderr, "models-admin: DATABASE_URL names the server "
		    "%s: create role %s and database %s there yourself; the "
		    "rest goes on\n", t.host, t.role, t.db);
		PQconninfoFree(opts);
		return;
	}
	if (t.host != NULL) {
		snprintf(hostv, sizeof(hostv), "%s", t.host);
		argv[n++] = "-h";
		argv[n++] = hostv;
	}
	if (t.port != NULL) {
		snprintf(portv, sizeof(portv), "%s", t.port);
		argv[n++] = "-p";
		argv[n++] = portv;
	}
	argv[n++] = "-d";
	argv[n++] = "postgres";
	argv[n++] = "-f";
	argv[n++] = "-";
	argv[n] = NULL;
	rc = run_wait(argv, sql, 1);
	PQconninfoFree(opts);
	if (rc != 0) {
		fprintf(stderr, "models-admin: creating the role and database "
		    "as postgres failed (runuser -u postgres -- psql: exit %d); "
		    "is PostgreSQL installed and running on this host?\n", rc);
		exit(1);
	}
}

static int
cmd_setup(int argc, char **argv)
{
	struct key_args k;
	PGresult *res;
	const char *vals[1];
	int rc;

	key_args(argc, argv, USE_SETUP, &k);
	if (geteuid() == 0) {
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *cmd[12];
		int n = 0;

		if (getpwnam(SERVICE_USER) == NULL) {
			fprintf(stderr, "models-admin: no user %s: the package "
			    "creates it (by hand: systemd-sysusers, or adduser "
			    "--system %s)\n", SERVICE_USER, SERVICE_USER);
			return 1;
		}
		if (len <= 0) {
			fprintf(stderr, "models-admin: /proc/self/exe: %s\n",
			    strerror(errno));
			return 1;
		}
		self[len] = '\0';
		setup_database();
		/*
		 * The rest as the service user, whom PostgreSQL knows by peer
		 * authentication; the settings are in the environment now.
		 */
		if (setenv("MODELS_API_CONFIG", "", 1) != 0)
			bad_args("out of memory");
		cmd[n++] = "runuser";
		cmd[n++] = "-u";
		cmd[n++] = SERVICE_USER;
		cmd[n++] = "--";
		cmd[n++] = self;
		cmd[n++] = "setup";
		cmd[n++] = (char *)k.entity;
		cmd[n++] = "--role";
		cmd[n++] = (char *)k.role;
		cmd[n++] = "--label";
		cmd[n++] = (char *)k.label;
		cmd[n] = NULL;
		rc = run_wait(cmd, NULL, 0);
		return rc == 127 ? 1 : rc;
	}
	connect_db();
	migrate_apply(stderr);
	vals[0] = k.entity;
	res = exec_params(PGRES_TUPLES_OK, "SELECT count(*), "
	    "coalesce(string_agg(k.id::text, ' ' ORDER BY k.id), '') "
	    "FROM api_keys k JOIN entities e ON e.id = k.entity_id "
	    "WHERE e.name = $1 AND k.revoked_at IS NULL", 1, vals);
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		fprintf(stderr, "models-admin: %s already has a live key (id "
		    "%s): none created (models-admin key create %s makes "
		    "another)\n", k.entity, PQgetvalue(res, 0, 1), k.entity);
		PQclear(res);
		return 0;
	}
	PQclear(res);
	return key_create(k.entity, k.role, k.label);
}

/*
 * The plain form is one line per key, "KEY_ID ENTITY ROLE CREATED_AT
 * [revoked]", which scripts read; --long adds the last use, the state and
 * the label ("KEY_ID ENTITY ROLE CREATED_AT LAST_USED|- active|revoked
 * LABEL|-", the label last: the rest of the line, spaces and all).
 */
static int
cmd_key_list(int argc, char **argv)
{
	const char *vals[1] = { NULL };
	int lng = 0;
	PGresult *res;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--long") == 0)
			lng = 1;
		else if (vals[0] == NULL && argv[i][0] != '-')
			vals[0] = argv[i];
		else
			usage(USE_KEY_LIST);
	}
	if (vals[0] != NULL)
		check_name("ENTITY", vals[0]);
	connect_db();
	res = exec_params(PGRES_TUPLES_OK,
	    "SELECT k.id, e.name, k.role, "
	    "to_char(k.created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "coalesce(to_char(k.last_used_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'), "
	    "CASE WHEN k.revoked_at IS NULL THEN 'active' ELSE 'revoked' END, "
	    "k.label "
	    "FROM api_keys k JOIN entities e ON e.id = k.entity_id "
	    "WHERE $1::text IS NULL OR e.name = $1 ORDER BY k.id", 1, vals);
	for (int i = 0; i < PQntuples(res); i++) {
		const char *state = PQgetvalue(res, i, 5);

		if (lng)
			printf("%s %s %s %s %s %s %s\n", PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), state,
			    *PQgetvalue(res, i, 6) ? PQgetvalue(res, i, 6) :
			    "-");
		else
			printf("%s %s %s %s%s\n", PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 3), strcmp(state, "revoked") == 0 ?
			    " revoked" : "");
	}
	PQclear(res);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_key_revoke(int argc, char **argv)
{
	const char *vals[1];
	PGresult *res;
	char *end;
	int found;

	if (argc != 1)
		usage(USE_KEY_REVOKE);
	errno = 0;
	if (strtoll(argv[0], &end, 10) <= 0 || *end != '\0' || errno != 0)
		bad_args("KEY_ID must be a positive integer: \"%s\"", argv[0]);
	vals[0] = argv[0];
	connect_db();
	/* Revoking twice keeps the first revocation time. */
	res = exec_params(PGRES_TUPLES_OK,
	    "WITH old AS (SELECT id, revoked_at FROM api_keys WHERE id = $1 "
	    "FOR UPDATE), "
	    "upd AS (UPDATE api_keys k SET revoked_at = "
	    "coalesce(k.revoked_at, now()) FROM old WHERE k.id = old.id "
	    "RETURNING k.id, k.entity_id, k.role, k.label, k.revoked_at) "
	    "SELECT upd.id, e.name, upd.role, upd.label, "
	    "to_char(upd.revoked_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), old.revoked_at IS NOT NULL "
	    "FROM upd JOIN old ON old.id = upd.id "
	    "JOIN entities e ON e.id = upd.entity_id", 1, vals);
	found = PQntuples(res) == 1;
	if (found)
		printf("%s key %s (%s %s%s%s) at %s\n",
		    strcmp(PQgetvalue(res, 0, 5), "t") == 0 ?
		    "already revoked:" : "revoked", PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
		    *PQgetvalue(res, 0, 3) ? ", " : "", PQgetvalue(res, 0, 3),
		    PQgetvalue(res, 0, 4));
	PQclear(res);
	if (!found) {
		fprintf(stderr, "models-admin: no key %s\n", argv[0]);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_model_add(int argc, char **argv)
{
	const char *pos[3], *val = "{}";
	int npos = 0;
	struct json_object *obj;
	struct jparse_error perr;
	enum jparse_status st;
	char *sorted, *compact, digest[CANON_DIGEST_SIZE];
	size_t slen;
	PGresult *res;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--val") == 0 && i + 1 < argc)
			val = argv[++i];
		else if (npos < 3)
			pos[npos++] = argv[i];
		else
			usage(USE_MODEL_ADD);
	}
	if (npos != 3)
		usage(USE_MODEL_ADD);
	check_model_path(pos[0], pos[1], pos[2]);

	/*
	 * --val is read as a POST body is (the create body rules (README, lib/openapi.json)); the digest is
	 * 9.4's, of Python's sorted json.dumps; the value is stored in
	 * FastAPI's compact rendering, keys in the order sent.
	 */
	st = jparse(val, strlen(val), &obj, &perr);
	if (st == JPARSE_NOMEM)
		bad_args("out of memory");
	if (st != JPARSE_OK)
		bad_args("--val is not valid JSON: %s at character %zu", perr.text,
		    perr.pos);
	sorted = canon_sorted(obj, &slen);
	compact = canon_compact(obj, NULL);
	json_object_put(obj);
	if (sorted == NULL || compact == NULL)
		bad_args("out of memory");
	canon_digest(sorted, slen, digest);
	free(sorted);

	connect_db();
	{
		const char *vals[5] = { pos[0], pos[1], pos[2], digest, compact };
		res = exec_params(PGRES_TUPLES_OK,
		    "SELECT digest, version_index FROM "
		    "model_add($1, $2, $3, $4, $5)", 5, vals);
	}
	printf("%s %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	free(compact);
	return 0;
}

static int
cmd_model_list(int argc, char **argv)
{
	const char *vals[4], *pos[3];
	int npos = 0, deleted = 0;
	PGresult *res;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--deleted") == 0)
			deleted = 1;
		else if (npos < 3)
			pos[npos++] = argv[i];
		else
			usage(USE_MODEL_LIST);
	}
	if (npos < 2)
		usage(USE_MODEL_LIST);
	check_model_path(pos[0], pos[1], NULL);
	vals[0] = pos[0];
	vals[1] = pos[1];
	vals[2] = npos == 3 ? pos[2] : NULL;
	vals[3] = deleted ? "t" : "f";
	connect_db();
	res = exec_params(PGRES_TUPLES_OK,
	    "SELECT m.object_id, v.digest, v.version_index, "
	    "to_char(v.created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "to_char(v.deleted_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "FROM entities e JOIN projects p ON p.entity_id = e.id "
	    "JOIN models m ON m.project_id = p.id "
	    "JOIN model_versions v ON v.model_id = m.id "
	    "WHERE e.name = $1 AND p.name = $2 "
	    "AND ($3::text IS NULL OR m.object_id = $3) "
	    "AND (v.deleted_at IS NOT NULL) = $4::boolean "
	    "ORDER BY m.object_id COLLATE \"C\", v.version_index", 4, vals);
	for (int i = 0; i < PQntuples(res); i++)
		printf("%s %s %s %s%s%s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), deleted ? " " : "",
		    deleted ? PQgetvalue(res, i, 4) : "");
	PQclear(res);
	return 0;
}

/* Reads a whole file ("-": stdin); exits 2 when it cannot. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0, k;
	char *buf;

	if (f == NULL)
		bad_args("cannot read %s: %s", path, strerror(errno));
	if ((buf = malloc(cap)) == NULL)
		bad_args("out of memory");
	while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *p = cap < ((size_t)1 << 30) ? realloc(buf, cap *= 2) :
			    NULL;
			if (p == NULL)
				bad_args("%s is too large", path);
			buf = p;
		}
	}
	if (ferror(f))
		bad_args("cannot read %s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/*
 * The body POST would get for model create, run through the same checks
 * (lib/body.c), which fill m; m points into the body returned, to be put
 * once m is done with. On a bad one, exits 2 with the words a 422 would
 * use, on one line, as bad_args would; what it built is freed first, so
 * a leak checker at exit finds nothing.
 */
static struct json_object *
create_body(const char *name, const char *description,
    struct json_object *attrs, const char *source, size_t source_len,
    struct body_model *m)
{
	struct json_object *body, *errors;

	if ((body = json_object_new_object()) == NULL ||
	    (errors = json_object_new_array()) == NULL ||
	    json_object_object_add(body, "name",
	    json_object_new_string(name)) != 0 ||
	    json_object_object_add(body, "description", description ?
	    json_object_new_string(description) : NULL) != 0 ||
	    json_object_object_add(body, "source_code",
	    json_object_new_string_len(source, (int)source_len)) != 0 ||
	    json_object_object_add(body, "attributes", attrs) != 0 ||
	    body_check(body, errors, m) != 0)
		bad_args("out of memory");
	if (json_object_array_length(errors) > 0) {
		struct json_object *e = json_object_array_get_idx(errors, 0), *msg;
		json_object_object_get_ex(e, "msg", &msg);
		fprintf(stderr, "models-admin: %s\n", json_object_get_string(msg));
		json_object_put(errors);
		json_object_put(body);
		exit(2);
	}
	json_object_put(errors);
	return body;
}

/*
 * model create: builds the body POST would get and runs it through the same
 * checks (lib/body.c), value and digests (lib/version.c).
 */
static int
cmd_model_create(int argc, char **argv)
{
	const char *pos[3], *source_path = NULL, *description = NULL;
	const char *attributes = NULL, *why;
	struct json_object *body, *attrs = NULL;
	struct jparse_error perr;
	struct body_model m;
	struct version_new v;
	char *source, index_text[32];
	size_t source_len;
	int npos = 0;
	PGresult *res;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
			source_path = argv[++i];
		else if (strcmp(argv[i], "--description") == 0 && i + 1 < argc)
			description = argv[++i];
		else if (strcmp(argv[i], "--attributes") == 0 && i + 1 < argc)
			attributes = argv[++i];
		else if (npos < 3 && (argv[i][0] != '-' || argv[i][1] == '\0'))
			pos[npos++] = argv[i];
		else
			usage(USE_MODEL_CREATE);
	}
	if (npos != 3 || source_path == NULL)
		usage(USE_MODEL_CREATE);
	check_model_path(pos[0], pos[1], NULL);
	if (utf8_count(pos[2], strlen(pos[2])) < 0 || (description != NULL &&
	    utf8_count(description, strlen(description)) < 0))
		bad_args("NAME and --description must be UTF-8 text");
	if (attributes != NULL && (jparse(attributes, strlen(attributes), &attrs,
	    &perr) != JPARSE_OK || (attrs != NULL &&
	    !json_object_is_type(attrs, json_type_object))))
		bad_args("--attributes must be a JSON object or null");
	/* The source is freed before any exit: a leak checker sees none. */
	source = slurp(source_path, &source_len);
	why = utf8_count(source, source_len) < 0 ?
	    "the source is not UTF-8 text" : source_len > INT_MAX ?
	    "the source is too large" : NULL;
	if (why != NULL) {
		free(source);
		bad_args("%s", why);
	}

	body = create_body(pos[2], description, attrs, source, source_len, &m);
	free(source);	/* the body holds its copy */
	if (version_prepare(&m, &v) != 0)
		bad_args("out of memory");

	connect_db();
	{
		const char *vals[7] = { pos[0], pos[1], m.object_id, v.digest,
		    v.val, v.source_digest, m.source };
		const int lens[7] = { 0, 0, 0, 0, 0, 0, (int)m.source_len };
		const int fmts[7] = { 0, 0, 0, 0, 0, 0, 1 };

		res = PQexecParams(conn, "SELECT model_create_admin($1, $2, $3, "
		    "$4, $5, $6, $7)", 7, NULL, vals, lens, fmts, 0);
		if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
			db_fail("model create", res ? PQresultErrorMessage(res) :
			    PQerrorMessage(conn));
		snprintf(index_text, sizeof(index_text), "%s",
		    PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	printf("%s %s %s\n", v.digest, index_text, m.object_id);
	free(v.val);
	body_model_free(&m);
	json_object_put(body);
	return 0;
}

static int
cmd_model_restore(int argc, char **argv)
{
	const char *vals[4];
	PGresult *res;
	int status;

	if (argc != 4)
		usage(USE_MODEL_RESTORE);
	check_model_path(argv[0], argv[1], argv[2]);
	if (strcmp(argv[3], "latest") == 0 ||
	    valid_digest(argv[3], strlen(argv[3])) != VALID_OK)
		bad_args("REF must be a digest or vN: \"%s\"", argv[3]);
	for (int i = 0; i < 4; i++)
		vals[i] = argv[i];
	connect_db();
	res = exec_params(PGRES_TUPLES_OK, "SELECT status, digest, "
	    "version_index FROM model_restore($1, $2, $3, $4)", 4, vals);
	status = atoi(PQgetvalue(res, 0, 0));
	if (status <= 1)
		printf("%s %s\n", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	else if (status == 2)
		fprintf(stderr, "models-admin: %s:v%s has digest %s, which is "
		    "live under another index\n", argv[2], PQgetvalue(res, 0, 2),
		    PQgetvalue(res, 0, 1));
	else
		fprintf(stderr, "models-admin: no version %s of %s in %s/%s\n",
		    argv[3], argv[2], argv[0], argv[1]);
	PQclear(res);
	return status <= 1 ? 0 : 1;
}

/* "30d", "12h", "5m", "90s": seconds, or -1 when malformed. */
static long long
duration_seconds(const char *s)
{
	static const struct { char unit; long long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }
	};
	char *end;
	long long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (*end == units[i].unit)
			return n > LLONG_MAX / units[i].secs ? -1 :
			    n * units[i].secs;
	return -1;
}

static int
cmd_purge(int argc, char **argv)
{
	const char *older = "30d";
	char secs[32];
	const char *vals[1] = { secs };
	long long n;
	PGresult *res;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc)
			older = argv[++i];
		else
			usage(USE_PURGE);
	}
	/* Beyond ~292 millennia, intervals overflow; no deletion is older. */
	if ((n = duration_seconds(older)) < 0 || n > 9000000000000LL)
		bad_args("DURATION must be a whole number with s, m, h or d: "
		    "\"%s\"", older);
	snprintf(secs, sizeof(secs), "%lld", n);
	connect_db();
	res = exec_params(PGRES_TUPLES_OK, "SELECT versions, sources FROM "
	    "model_purge(now() - $1::bigint * interval '1 second')", 1, vals);
	printf("purged %s versions, %s sources\n", PQgetvalue(res, 0, 0),
	    PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/*
 * Appends to buf what a usage line says of the commands whose word is cmd
 * (all of them when cmd is NULL), each once: "key create|list|revoke ...",
 * "migrate" for one that takes no words, "purge ..." for one that does.
 */
static void
usage_words(char *buf, size_t cap, const char *cmd)
{
	size_t len = strlen(buf);

	for (size_t i = 0; i < ncommands; i++) {
		const struct command *c = &commands[i];
		int first = i == 0 || strcmp(commands[i - 1].cmd, c->cmd) != 0;
		int last = i + 1 == ncommands ||
		    strcmp(commands[i + 1].cmd, c->cmd) != 0;
		int takes_words = strcmp(c->synopsis, c->cmd) != 0;

		if (cmd != NULL && strcmp(cmd, c->cmd) != 0)
			continue;
		if (first)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s%s",
			    len > 0 ? " | " : "", c->cmd, *c->sub ? " " : "");
		else
			len += (size_t)snprintf(buf + len, cap - len, "|");
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", c->sub,
		    last && takes_words ? " ..." : "");
		if (len >= cap)
			return;
	}
}

/*
 * Runs the command argv[1] (and argv[2], for one that has a second word)
 * names, with the words after them; the connection it opened is closed
 * here. Unknown words: the usage line of the commands they could mean.
 */
static int
run_command(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "", *sub = argc > 2 ? argv[2] : "";
	char words[512] = "";
	int known = 0, rc;

	for (size_t i = 0; i < ncommands; i++) {
		const struct command *c = &commands[i];
		int skip = *c->sub ? 3 : 2;

		if (strcmp(cmd, c->cmd) != 0)
			continue;
		known = 1;
		if (*c->sub && strcmp(sub, c->sub) != 0)
			continue;
		rc = c->run(argc - skip, argv + skip);
		if (conn != NULL)
			PQfinish(conn);
		return rc;
	}
	usage_words(words, sizeof(words), known ? cmd : NULL);
	usage(words);
}

/*
 * The settings file into the environment, which wins: --config FILE, else
 * MODELS_API_CONFIG (empty: no file), else /etc/models-api/env if it
 * exists. A file named explicitly must be readable; the default one
 * unreadable (not root, not in group models-api) is said and skipped.
 */
static void
load_settings(const char *arg)
{
	const char *path = arg ? arg : getenv("MODELS_API_CONFIG");
	int optional = path == NULL;
	char err[512];

	if (path == NULL)
		path = DEFAULT_CONFIG;
	if (*path == '\0')
		return;
	if (optional && access(path, F_OK) == 0 && access(path, R_OK) != 0) {
		fprintf(stderr, "models-admin: cannot read %s (%s): settings "
		    "from the environment only\n", path, strerror(errno));
		return;
	}
	if (config_load_env(path, optional, err, sizeof(err)) < 0)
		bad_args("%s", err);
}

int
main(int argc, char **argv)
{
	const char *cmd, *sub, *config = NULL;
	int n = 1;

	/* --config FILE, wherever it is: no command has an option of that name. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--config") == 0)
			usage("[--config FILE] COMMAND ...");
		else
			argv[n++] = argv[i];
	}
	argc = n;
	argv[argc] = NULL;
	cmd = argc > 1 ? argv[1] : "";
	sub = argc > 2 ? argv[2] : "";
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("models-admin %s\n", MODELS_API_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return help(i > 1 ? cmd : "", i > 2 ? sub : "");
	load_settings(config);
	return run_command(argc, argv);
}
