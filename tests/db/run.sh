#!/usr/bin/env bash
# lib/db.c against a real PostgreSQL: a throwaway cluster (deploy/stack.sh,
# as the end-to-end tests start it), keys and commands for
# $BUILD/db-tests (tests/db/test_db.c), which does the rest. Its log lines
# (lib/db.c's errors) go to $T/db-tests.log, shown when something fails.
# Last line: "N passed, N failed". KEEP=1 keeps the temporary directory.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

if ! test_stack_begin db; then
	echo "PostgreSQL or migrate failed"
	echo "0 passed, 1 failed"
	exit 1
fi
ADMIN=$BUILD/models-admin

# key ENTITY ROLE: a new key; its id is the last of the entity's list.
key() { "$ADMIN" key create "$1" --role "$2" 2>/dev/null; }
last_id() { "$ADMIN" key list "$1" | tail -n 1 | cut -d' ' -f1; }
DBT_KEY_W=$(key acme write);	DBT_KEY_W_ID=$(last_id acme)
DBT_KEY_R=$(key acme read);	DBT_KEY_R_ID=$(last_id acme)
DBT_KEY_A=$(key acme admin);	DBT_KEY_A_ID=$(last_id acme)
DBT_KEY_O=$(key other write);	DBT_KEY_O_ID=$(last_id other)
DBT_KEY_X=$(key acme write);	"$ADMIN" key revoke "$(last_id acme)" >/dev/null
export DBT_KEY_W DBT_KEY_W_ID DBT_KEY_R DBT_KEY_R_ID DBT_KEY_A DBT_KEY_A_ID \
    DBT_KEY_O DBT_KEY_O_ID \
    DBT_KEY_X DBT_ADMIN=$ADMIN

# delete_audit rows written before migration 006 are carried over: a second
# database brought to the migration before it by hand (as models-admin
# migrate of that time left it), two deletes through that schema's own
# delete_model (every version; a list), then models-admin migrate.
OLD_URL="postgresql:///old?host=$T/sock&user=postgres"
old_sql() { "$PGBIN/psql" "$OLD_URL" -v ON_ERROR_STOP=1 -Atq "$@"; }
old_db() {
	"$PGBIN/psql" "$DATABASE_URL" -qc 'CREATE DATABASE old' &&
	old_sql -c 'CREATE TABLE schema_migrations (name text PRIMARY KEY,
	    applied_at timestamptz NOT NULL DEFAULT now())' || return 1
	for f in "$ROOT"/sql/[0-9]*.sql; do
		case ${f##*/} in 006_*) break ;; esac
		old_sql -1 -f "$f" &&
		    old_sql -c "INSERT INTO schema_migrations (name) VALUES ('${f##*/}')" ||
		    return 1
	done
	old_sql <<'EOS' || return 1
INSERT INTO entities (name) VALUES ('acme');
INSERT INTO api_keys (entity_id, role, key_hash)
    SELECT id, 'write', sha256('old') FROM entities;
SELECT model_add('acme', 'proj', 'm', 'd' || i, '{}') FROM generate_series(0, 4) i;
SELECT status FROM delete_model(sha256('old'), 'acme', 'proj', 'm', NULL, 'old-all');
SELECT model_add('acme', 'proj', 'm', 'e' || i, '{}') FROM generate_series(0, 1) i;
SELECT status FROM delete_model(sha256('old'), 'acme', 'proj', 'm', '{v5,latest}', 'old-list');
EOS
	[ "$(DATABASE_URL=$OLD_URL "$ADMIN" migrate | head -n 1)" = "applied 006_delete_scope.sql" ]
}
if ! old_db >"$T/old.log" 2>&1; then
	echo "the pre-006 database failed:"
	cat "$T/old.log"
fi
export DBT_OLD_URL=$OLD_URL

# The test stops and starts the cluster through these.
cat >"$T/pg-stop" <<EOS
#!/usr/bin/env bash
ROOT='$ROOT'; . "\$ROOT/deploy/stack.sh"; stack_pg_stop '$T/pg' fast
EOS
cat >"$T/pg-start" <<EOS
#!/usr/bin/env bash
ROOT='$ROOT'; . "\$ROOT/deploy/stack.sh"; stack_pg_start '$T/pg' '$T/sock' '-c fsync=off'
EOS
chmod +x "$T/pg-stop" "$T/pg-start"
export DBT_PG_STOP=$T/pg-stop DBT_PG_START=$T/pg-start

OUT=$("$BUILD/db-tests" 2>"$T/db-tests.log")
RC=$?
echo "$OUT" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
LINE=$(echo "$OUT" | tail -n 1)
if [ "$RC" -ne 0 ]; then
	echo "--- lib/db.c log (last 30 lines)"
	tail -n 30 "$T/db-tests.log"
fi
REPORTS=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/db-tests.log")
if [ "$REPORTS" != 0 ]; then
	grep -E -A20 'Sanitizer|runtime error' "$T/db-tests.log" | head -n 60
	echo "sanitizer reports: $REPORTS"
fi
if echo "$LINE" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
	set -- $LINE
	echo "$1 passed, $(($3 + (REPORTS > 0))) failed"
else
	echo "db-tests died (exit $RC)"
	echo "0 passed, 1 failed"
fi
[ "$RC" = 0 ] && [ "$REPORTS" = 0 ]
