#!/usr/bin/env bash
# Races: 32 clients at once deleting overlapping sets of versions of the same
# few models, through lighttpd, for RACE_ROUNDS rounds (default 3; make
# faults runs more). A lock on delete_audit holds every successful delete
# at its last step until all clients are in, so they truly overlap (without
# it the clients, launched one by one, hardly ever met: a delete that took
# no model lock passed 15 rounds). After each round: the sum of num_deleted
# over the 200s
# equals the versions actually removed (so each version was counted once and
# no failed request deleted anything), the audit rows match the 200s one for
# one, and every answer is a 200 or a 404. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ROUNDS=${RACE_ROUNDS:-3}
CLIENTS=32
MODELS=3
VERSIONS=24
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

test_stack_begin race || exit 1
KEY=$("$BUILD/models-admin" key create race)
MODELS_API_THREADS=$CLIENTS stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" || exit 1
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" /dev/null || exit 1
BASE="http://127.0.0.1:$PORT"

TOTAL_DELETED=0 TOTAL_OK=0 TOTAL_404=0
for round in $(seq 1 "$ROUNDS"); do
	# Fresh versions: VERSIONS per model, loaded in one statement.
	psql_q "SELECT model_add('race', 'p', 'm' || m, md5(random()::text) || substr(md5(random()::text), 1, 11), jsonb_build_object('r', $round, 'v', v)::text) FROM generate_series(1, $MODELS) m, generate_series(1, $VERSIONS) v" >/dev/null
	# The live versions (OBJECT_ID DIGEST INDEX CREATED_AT), as models-admin
	# lists them: deleted ones of earlier rounds may stay as rows.
	"$BUILD/models-admin" model list race p >"$T/live"
	BEFORE=$(wc -l <"$T/live")
	AUDIT0=$(psql_q "SELECT count(*) FROM delete_audit")
	# The starting gate: no delete can write its audit row, the last step
	# of a successful one, until every client is in (answered, or waiting
	# on a lock in the database). Then all of them run into each other at
	# once, however slowly the clients were launched.
	rm -f "$T"/c.* "$T"/r.* "$T/gate"; mkfifo "$T/gate"
	"$PGBIN/psql" "$DATABASE_URL" -q <"$T/gate" >/dev/null 2>&1 &
	GATE=$!
	exec 3>"$T/gate"
	echo "BEGIN; LOCK TABLE delete_audit IN EXCLUSIVE MODE; SELECT 'gate';" >&3
	for _ in $(seq 1 200); do
		[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%''gate''%'")" = 1 ] && break
		sleep 0.05
	done
	# Each client: one model, 1-4 references (vN, latest, exact digests).
	PIDS=""
	for c in $(seq 1 "$CLIENTS"); do
		m=$(( RANDOM % MODELS + 1 ))
		base=$(awk -v o="m$m" '$1 == o { print $3 }' "$T/live" | sort -n | head -n 1)
		q=""
		for _ in $(seq 1 $(( RANDOM % 4 + 1 ))); do
			case $(( RANDOM % 5 )) in
			0) q="$q&digests=latest" ;;
			1) q="$q&digests=$(awk -v o="m$m" '$1 == o { print $2 }' "$T/live" | shuf -n 1)" ;;
			*) q="$q&digests=v$(( ${base:-0} + RANDOM % VERSIONS ))" ;;
			esac
		done
		curl -s -o "$T/r.$c" -w '%{http_code}' -X DELETE \
		    -H "Authorization: Bearer $KEY" --max-time 30 \
		    "$BASE/v2/race/p/models/m$m?${q#&}" >"$T/c.$c" &
		PIDS="$PIDS $!"
	done
	for _ in $(seq 1 200); do
		done_=$(find "$T" -maxdepth 1 -name 'c.*' -size +0 | wc -l)
		waiting=$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'models-api' AND wait_event_type = 'Lock'")
		[ $((done_ + waiting)) -ge "$CLIENTS" ] && break
		sleep 0.05
	done
	echo "COMMIT;" >&3
	exec 3>&-
	wait "$GATE"
	wait $PIDS
	SUM=0 OK=0 NF=0 OTHER=""
	for c in $(seq 1 "$CLIENTS"); do
		case $(cat "$T/c.$c") in
		200) OK=$((OK + 1)); SUM=$((SUM + $(sed 's/[^0-9]//g' "$T/r.$c"))) ;;
		404) NF=$((NF + 1)) ;;
		*) OTHER="$OTHER $(cat "$T/c.$c")" ;;
		esac
	done
	AFTER=$("$BUILD/models-admin" model list race p | wc -l)
	expect_eq "round $round: sum of num_deleted = versions removed" $((BEFORE - AFTER)) "$SUM"
	expect_eq "round $round: one audit row per 200" "$OK" $(( $(psql_q "SELECT count(*) FROM delete_audit") - AUDIT0 ))
	expect_eq "round $round: audit counts = removed" $((BEFORE - AFTER)) \
	    "$(psql_q "SELECT coalesce(sum(num_deleted), 0) FROM (SELECT num_deleted FROM delete_audit ORDER BY id DESC LIMIT $OK) a")"
	expect_eq "round $round: only 200 and 404" "" "$OTHER"
	TOTAL_DELETED=$((TOTAL_DELETED + SUM)); TOTAL_OK=$((TOTAL_OK + OK)); TOTAL_404=$((TOTAL_404 + NF))
done
echo "race: $ROUNDS rounds x $CLIENTS clients: $TOTAL_OK deleted ($TOTAL_DELETED versions), $TOTAL_404 lost a race or missed"
grep -q "ERROR\|deadlock" "$T/app.log" && fail "app log" "$(grep -m3 'ERROR\|deadlock' "$T/app.log")"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
