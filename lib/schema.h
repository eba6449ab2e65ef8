#ifndef SCHEMA_H
#define SCHEMA_H

#include <stddef.h>

#include <libpq-fe.h>

#include "migrations.h"

/*
 * The schema a binary is built for is the list of sql/ migrations built
 * into it; a database's is what `models-admin migrate` recorded in
 * schema_migrations. The service serves only when the two are the same.
 */
enum schema_match {
	SCHEMA_SAME,
	SCHEMA_OLDER,	/* the database lacks a migration the binary has */
	SCHEMA_NEWER	/* the database has one the binary does not know */
};

/*
 * Compares the database's migration names have[0..n) with known[0..nknown);
 * *which is set to the first name that differs (SCHEMA_NEWER wins when
 * both differ: a binary older than its database is the graver mismatch).
 */
enum schema_match schema_compare(const char *const *have, size_t n,
    const struct migration *known, unsigned int nknown, const char **which);

/*
 * Checks a new connection's schema against this binary's, with one
 * statement that must answer within timeout_ms. Returns 0 when they are
 * the same; otherwise logs why (at most every few seconds, however many
 * requests try) and returns -1: the caller drops the connection.
 */
int schema_check(PGconn *conn, int timeout_ms);

#endif
