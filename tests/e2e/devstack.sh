#!/usr/bin/env bash
# The dev stack (deploy/dev-stack.sh, what `make run` starts) keeps its
# secrets to itself, in a run directory of its own in /tmp:
#   - .run/env (it holds a write key) is mode 0600;
#   - PostgreSQL's socket directory is 0710, owner postgres, group of the
#     app's user (www-data): other local users cannot reach the socket;
#   - pg_hba.conf is peer authentication through the "stack" map only, no
#     trust: a user who does reach the socket but is not in the map
#     (nobody with group www-data) is refused; the app's user gets in;
#   - the stack answers the printed curl command; SIGTERM (Ctrl-C in a
#     terminal is SIGINT, which a background job here cannot receive) stops
#     it and its cluster.
# As root only (the users above); otherwise it says so and passes nothing.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "devstack: needs root (www-data, nobody); skipped"
	echo "0 passed, 0 failed"
	exit 0
fi
T=$(mktemp -d /tmp/models-devstack.XXXXXX)
chmod 755 "$T"
RUN=$T/run
cleanup() {
	[ -n "${STACK:-}" ] && kill -TERM "$STACK" 2>/dev/null && wait "$STACK" 2>/dev/null
	stack_pg_stop "$RUN/pg" immediate
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

PORT=$(stack_free_port)
MODELS_API_RUN_DIR=$RUN PORT=$PORT "$ROOT/deploy/dev-stack.sh" >"$T/out" 2>&1 &
STACK=$!
for _ in $(seq 1 600); do
	[ -f "$RUN/env" ] && grep -q 'Ctrl-C' "$T/out" && break
	kill -0 "$STACK" 2>/dev/null || break
	sleep 0.1
done
if [ ! -f "$RUN/env" ]; then
	cat "$T/out"
	echo "0 passed, 1 failed"
	exit 1
fi

expect_eq ".run/env mode" "600" "$(stat -c '%a' "$RUN/env")"
DATABASE_URL=$(sed -n "s/^DATABASE_URL='\(.*\)'$/\1/p" "$RUN/env")
SOCKDIR=$(echo "$DATABASE_URL" | sed -n 's/.*host=\([^&]*\).*/\1/p')
expect_eq "socket directory: mode, owner, group" "710 postgres www-data" \
    "$(stat -c '%a %U %G' "$SOCKDIR")"
expect_eq "pg_hba.conf: peer through the map, nothing else" \
    "local all all peer map=stack|local replication all peer map=stack" \
    "$(grep -v '^#' "$RUN/pg/pg_hba.conf" | grep -v '^$' | paste -sd'|')"
expect_eq "pg_ident.conf: root, postgres, www-data" \
    "stack postgres postgres|stack root postgres|stack www-data postgres" \
    "$(grep -v '^#' "$RUN/pg/pg_ident.conf" | sort | paste -sd'|')"
expect_eq "the app's user connects" 1 \
    "$(runuser -u www-data -- "$PGBIN/psql" "$DATABASE_URL" -Atc 'SELECT 1' 2>&1)"
OUT=$(runuser -u nobody -- "$PGBIN/psql" "$DATABASE_URL" -Atc 'SELECT 1' 2>&1)
expect_eq "another user cannot reach the socket" 1 \
    "$(echo "$OUT" | grep -c 'Permission denied')"
OUT=$(runuser -u nobody -g www-data -- "$PGBIN/psql" "$DATABASE_URL" -Atc 'SELECT 1' 2>&1)
expect_eq "a user who reaches it but is not in the map is refused" 1 \
    "$(echo "$OUT" | grep -c 'Peer authentication failed for user "postgres"')"
# The walk-through's last command: delete the demo model's first version.
CURL=$(grep -- "-X DELETE .*my-model?digests=v" "$T/out" | tail -n 1)
OUT=$(set -a && . "$RUN/env" && eval "$CURL")
expect_eq "the printed curl command deletes" '{"num_deleted":1}' "$OUT"

kill -TERM "$STACK"
wait "$STACK"
expect_eq "TERM (as Ctrl-C): stack stops, exit 0" 0 $?
STACK=""
expect_eq "TERM: PostgreSQL stopped" no \
    "$(as_pg "$PGBIN/pg_ctl" -D "$RUN/pg" status >/dev/null 2>&1 && echo yes || echo no)"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
