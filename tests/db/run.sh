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
DBT_KEY_O=$(key other write);	DBT_KEY_O_ID=$(last_id other)
DBT_KEY_X=$(key acme write);	"$ADMIN" key revoke "$(last_id acme)" >/dev/null
export DBT_KEY_W DBT_KEY_W_ID DBT_KEY_R DBT_KEY_R_ID DBT_KEY_O DBT_KEY_O_ID \
    DBT_KEY_X DBT_ADMIN=$ADMIN

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
