#!/usr/bin/env bash
# Races: 32 clients at once deleting overlapping sets of versions of the same
# few models, through lighttpd, for RACE_ROUNDS rounds (default 3; make
# faults runs more). After each round: the sum of num_deleted over the 200s
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
MODELS_API_THREADS=8 stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" || exit 1
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" /dev/null || exit 1
BASE="http://127.0.0.1:$PORT"

TOTAL_DELETED=0 TOTAL_OK=0 TOTAL_404=0
for round in $(seq 1 "$ROUNDS"); do
	# Fresh versions: VERSIONS per model, loaded in one statement.
	psql_q "SELECT model_add('race', 'p', 'm' || m, md5(random()::text) || substr(md5(random()::text), 1, 11), jsonb_build_object('r', $round, 'v', v)) FROM generate_series(1, $MODELS) m, generate_series(1, $VERSIONS) v" >/dev/null
	BEFORE=$(psql_q "SELECT count(*) FROM model_versions")
	AUDIT0=$(psql_q "SELECT count(*) FROM delete_audit")
	# Each client: one model, 1-4 references (vN, latest, exact digests).
	PIDS=""
	for c in $(seq 1 "$CLIENTS"); do
		m=$(( RANDOM % MODELS + 1 ))
		base=$(psql_q "SELECT min(version_index) FROM model_versions v JOIN models o ON o.id = v.model_id WHERE o.object_id = 'm$m'")
		q=""
		for _ in $(seq 1 $(( RANDOM % 4 + 1 ))); do
			case $(( RANDOM % 5 )) in
			0) q="$q&digests=latest" ;;
			1) q="$q&digests=$(psql_q "SELECT digest FROM model_versions v JOIN models o ON o.id = v.model_id WHERE o.object_id = 'm$m' ORDER BY random() LIMIT 1")" ;;
			*) q="$q&digests=v$(( ${base:-0} + RANDOM % VERSIONS ))" ;;
			esac
		done
		curl -s -o "$T/r.$c" -w '%{http_code}' -X DELETE \
		    -H "Authorization: Bearer $KEY" --max-time 30 \
		    "$BASE/v2/race/p/models/m$m?${q#&}" >"$T/c.$c" &
		PIDS="$PIDS $!"
	done
	wait $PIDS
	SUM=0 OK=0 NF=0 OTHER=""
	for c in $(seq 1 "$CLIENTS"); do
		case $(cat "$T/c.$c") in
		200) OK=$((OK + 1)); SUM=$((SUM + $(sed 's/[^0-9]//g' "$T/r.$c"))) ;;
		404) NF=$((NF + 1)) ;;
		*) OTHER="$OTHER $(cat "$T/c.$c")" ;;
		esac
	done
	AFTER=$(psql_q "SELECT count(*) FROM model_versions")
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
