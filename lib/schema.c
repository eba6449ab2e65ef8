/*
 * The schema-version check a new database connection passes before it
 * serves: the binary refuses a database migrated less far than it needs,
 * or further than it knows, instead of failing later on a missing or
 * changed function. One statement per connection, never per request.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "schema.h"

#define SQL_SCHEMA "SELECT name FROM schema_migrations"
/* A database that stays wrong is reported once per this many ms. */
#define REPORT_EVERY_MS 10000

static atomic_llong last_report;

static int
known_has(const struct migration *known, unsigned int nknown, const char *name)
{
	for (unsigned int i = 0; i < nknown; i++)
		if (strcmp(known[i].name, name) == 0)
			return 1;
	return 0;
}

enum schema_match
schema_compare(const char *const *have, size_t n,
    const struct migration *known, unsigned int nknown, const char **which)
{
	*which = NULL;
	for (size_t i = 0; i < n; i++)
		if (!known_has(known, nknown, have[i])) {
			*which = have[i];
			return SCHEMA_NEWER;
		}
	for (unsigned int i = 0; i < nknown; i++) {
		size_t j = 0;

		while (j < n && strcmp(have[j], known[i].name) != 0)
			j++;
		if (j == n) {
			*which = known[i].name;
			return SCHEMA_OLDER;
		}
	}
	return SCHEMA_SAME;
}

/* Logs a refusal unless one was logged less than REPORT_EVERY_MS ago. */
static void __attribute__((format(printf, 1, 2)))
report(const char *fmt, ...)
{
	long long now = now_ms(), last = atomic_load(&last_report);
	char msg[512];
	va_list ap;

	if (last != 0 && now - last < REPORT_EVERY_MS)
		return;
	if (!atomic_compare_exchange_strong(&last_report, &last, now))
		return;		/* another thread is reporting it */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
}

/* The statement's result, or NULL when none came within timeout_ms. */
static PGresult *
fetch(PGconn *conn, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	PGresult *res, *last = NULL;

	if (!PQsendQuery(conn, SQL_SCHEMA))
		return NULL;
	for (;;) {
		while (PQisBusy(conn)) {
			struct pollfd p = { PQsocket(conn), POLLIN, 0 };
			long long left = deadline - now_ms();
			int rc;

			if (left <= 0)
				goto fail;
			rc = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
			if ((rc < 0 && errno != EINTR) ||
			    (rc > 0 && !PQconsumeInput(conn)))
				goto fail;
		}
		if ((res = PQgetResult(conn)) == NULL)
			return last;
		PQclear(last);
		last = res;
	}
fail:
	PQclear(last);
	return NULL;
}

int
schema_check(PGconn *conn, int timeout_ms)
{
	PGresult *res = fetch(conn, timeout_ms);
	const char **have;
	const char *which, *state;
	int n, rc = -1;

	if (res == NULL) {
		report("schema check: no answer: %s", PQerrorMessage(conn));
		return -1;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, "42P01") == 0)
			report("refusing to serve: the database has no schema "
			    "(no schema_migrations table): run models-admin "
			    "migrate");
		else
			report("schema check failed: %s",
			    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	if ((have = calloc((size_t)n + 1, sizeof(*have))) == NULL) {
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < n; i++)
		have[i] = PQgetvalue(res, i, 0);
	switch (schema_compare(have, (size_t)n, migrations, migration_count,
	    &which)) {
	case SCHEMA_SAME:
		rc = 0;
		break;
	case SCHEMA_OLDER:
		report("refusing to serve: the database schema is older than "
		    "this models-api needs (migration %s not applied): run "
		    "models-admin migrate", which);
		break;
	case SCHEMA_NEWER:
		report("refusing to serve: the database schema is newer than "
		    "this models-api knows (migration %s is unknown here): "
		    "upgrade models-api", which);
		break;
	}
	free(have);
	PQclear(res);
	return rc;
}
