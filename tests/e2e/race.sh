#!/usr/bin/env bash
# Races: 32 clients at once through lighttpd, for RACE_ROUNDS rounds
# (default 3; make faults runs 30), creating, deleting and reading versions
# of the same few models (the deletion rules (README, lib/openapi.json) and 9). Each round:
#   - POOL contents per raced model m1..m3 are created first, one at a time,
#     so their digests are known;
#   - a burst: 8 connections at once (one curl process, parallel
#     transfers) send one new content of model "s", which nothing deletes;
#     alone, so that the app's 8 workers take them together;
#   - held at a gate and let go together: 32 clients (curl processes)
#     sending PER requests each, a random mix of creates (pool contents,
#     which deletes keep removing, and contents of their own), deletes
#     (vN, pool digests, overlapping; on m3 also latest, and now and then
#     none, which is every version) and reads (latest, vN, digests); and a
#     burst of 8 connections sending one new content of m1, which the
#     deletes race. v0 of m1 and m2 (the keepers) is never named by a
#     delete, so a read of latest there always has a live version;
#   - every answer goes into the table race_res of the test database and
#     is checked there against model_versions, models and delete_audit;
#   - every live version (models-admin model list) is read by digest and by
#     vN, every deleted one by vN;
#   - one deleted pool content is created again, alone.
# Then, once, models-admin restore racing purge.
# Every write of a version row sleeps RACE_DELAY_MS (default 10) inside its
# transaction (a trigger in the test database), so that requests really
# meet on a model: without it, on a loaded 2-core machine, requests mostly
# ran one after another and a create without its lock went unnoticed. It
# asserts nothing about time.
# RACE_SEED=N repeats a run's random choices. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ROUNDS=${RACE_ROUNDS:-3}
CLIENTS=32
PER=4		# requests per client per round
MODELS=3	# raced models m1..m3
POOL=5		# contents per raced model created before each round's race
BURST=8		# connections sending one identical content at once, per burst
DELAY_MS=${RACE_DELAY_MS:-10}
SEED=${RACE_SEED:-$$}
RANDOM=$SEED
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

test_stack_begin race || exit 1
KEY=$("$BUILD/models-admin" key create acme)
MODELS_API_THREADS=8 stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" || exit 1
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" /dev/null || exit 1
BASE="http://127.0.0.1:$PORT"
C=/v2/acme/proj/models
echo "race: seed $SEED"

# The test's own tables and helpers, beside the service's.
psql_q "
CREATE TABLE race_res (round int, rid text, kind text, oid text, arg text,
                       code int, body text);
CREATE TABLE race_final (round int, rid text, kind text, oid text,
                         ref text, idx bigint, want text, code int, body text);
CREATE TABLE race_before (round int, oid text, next0 bigint, rows0 bigint);
CREATE TABLE race_del0 (id bigint);
-- Writes of versions take DELAY_MS longer, the lock held.
CREATE FUNCTION race_slow() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN PERFORM pg_sleep($DELAY_MS / 1000.0); RETURN NEW; END \$\$;
CREATE TRIGGER race_slow BEFORE INSERT OR UPDATE ON model_versions
  FOR EACH ROW EXECUTE FUNCTION race_slow();
-- Every version with its object id (unique in this database).
CREATE VIEW race_v AS SELECT v.*, m.object_id FROM model_versions v
  JOIN models m ON m.id = v.model_id;
-- The body as JSON, or NULL when it is not JSON.
CREATE FUNCTION race_j(b text) RETURNS json LANGUAGE plpgsql AS \$\$
BEGIN RETURN b::json; EXCEPTION WHEN others THEN RETURN NULL; END \$\$;
-- A time as section 9.2's 'was deleted' answer prints it.
CREATE FUNCTION race_ts(t timestamptz, sep text) RETURNS text LANGUAGE sql AS
\$\$ SELECT regexp_replace(to_char(t AT TIME ZONE 'UTC',
     'YYYY-MM-DD\"' || sep || '\"HH24:MI:SS.US'), '\.000000\$', '') || '+00:00' \$\$;
-- The exact 404 of a read of a deleted version.
CREATE FUNCTION race_gone(oid text, idx bigint, t timestamptz) RETURNS text
LANGUAGE sql AS \$\$ SELECT format(
  '{\"reason\":\"%s:v%s was deleted at %s\",\"error_type\":\"ObjectDeletedError\",\"deleted_at\":\"%s\"}',
  oid, idx, race_ts(t, ' '), race_ts(t, 'T')) \$\$;
-- The exact 200 of a create that named this version.
CREATE FUNCTION race_made(oid text, digest text, idx bigint) RETURNS text
LANGUAGE sql AS \$\$ SELECT format(
  '{\"digest\":\"%s\",\"object_id\":\"%s\",\"version_index\":%s,\"model_ref\":\"weave:///acme/proj/object/%s:%s\"}',
  digest, oid, idx, oid, digest) \$\$;" >/dev/null || exit 1

# body OID TAG JSON: the body file of content TAG of model OID.
body() { printf '%s' "$3" >"$T/b.$1.$2"; }

# req_add C KIND OID ARG [RID [EXTRA]]: appends a request to client C's curl
# config $T/k.C and its line (request id, kind, object id, argument, EXTRA)
# to $T/p.C. create: ARG is the content's tag; delete: ARG is the
# references, comma separated, "*" for none; read: ARG is the reference.
req_add() {
	local c=$1 kind=$2 oid=$3 arg=$4 rid=${5:-r$round-c$1-j${NREQ[$1]}}
	local q=""
	{
		if [ "${NREQ[$c]}" -gt 0 ]; then
			echo next
		elif [ "$c" = s ] || [ "$c" = b ]; then
			printf 'no-progress-meter\nparallel\nparallel-immediate\nparallel-max = %s\n' "$BURST"
		fi
		echo silent
		echo "max-time = 30"
		echo "header = \"Authorization: Bearer $KEY\""
		echo "header = \"X-Request-Id: $rid\""
		echo "output = \"$T/o.$rid\""
		echo "write-out = \"$rid\\t%{http_code}\\n\""
		case $kind in
		create)	echo "request = POST"
			echo 'header = "Content-Type: application/json"'
			echo "data-binary = \"@$T/b.$oid.$arg\""
			echo "url = \"$BASE$C\"" ;;
		delete)	[ "$arg" != "*" ] && q="?digests=${arg//,/\&digests=}"
			echo "request = DELETE"
			echo "url = \"$BASE$C/$oid$q\"" ;;
		read)	echo "url = \"$BASE$C/$oid/versions/$arg\"" ;;
		esac
	} >>"$T/k.$c"
	printf '%s\t%s\t%s\t%s%s\n' "$rid" "$kind" "$oid" "$arg" "${6:+	$6}" >>"$T/p.$c"
	NREQ[$c]=$(( ${NREQ[$c]} + 1 ))
}

# results C...: the answers of clients C... as rows for race_res or
# race_final (round, request line, status, body; a request with no answer
# has status 0). Curl wrote "request id, status" lines, in the order the
# answers came.
results() {
	local c
	for c in "$@"; do cat "$T/c.$c"; done >"$T/codes"
	for c in "$@"; do cat "$T/p.$c"; done |
	    awk -F'\t' -v dir="$T" -v round="$round" 'BEGIN { OFS = "\t" }
		FNR == NR { code[$1] = $2; next }
		{
			body = ""; f = dir "/o." $1
			while ((getline l < f) > 0) body = body l
			close(f)
			print round, $0, code[$1] + 0, body
		}' "$T/codes" -
}

# load TABLE FILE: the tab-separated rows of FILE into TABLE (no quoting:
# bodies are single-line JSON without tabs).
load() {
	"$PGBIN/psql" "$DATABASE_URL" -Atqc "\\copy $1 FROM '$2' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01')"
}

# ref_for OID [delete]: sets REF to a random reference to a version of OID:
# latest, vN around this round's indices (never v0), or a pool digest. For
# a delete of m1 or m2, never latest: their v0 stays live (in this shell,
# not a subshell, so that RACE_SEED repeats the run).
ref_for() {
	local m=${1#m} i
	case $(( RANDOM % 10 )) in
	0|1)	REF=latest
		[ "${2:-}" = delete ] && [ "$m" != 3 ] && ref_for "$@" ;;
	2|3|4)	REF=${POOLD[$m.$(( RANDOM % POOL + 1 ))]:-v1} ;;
	*)	i=$(( NEXT[$m] - POOL - 2 + RANDOM % (POOL + 12) ))
		REF=v$(( i < 1 ? 1 : i )) ;;
	esac
}

# The keepers: v0 of m1 and m2, which no request names for deletion (no
# latest, no vN below 1, no delete of every version there), so reads of
# latest there always find a live version.
for oid in m1 m2; do
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 30 -X POST \
	    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	    --data-binary "{\"name\":\"$oid\",\"source_code\":\"keeper\"}" "$BASE$C")
	expect_eq "keeper $oid" "200 0" "$CODE $(sed 's/.*"version_index":\([0-9]*\).*/\1/' "$T/body")"
done

TOTAL_OK=0 TOTAL_DELETED=0 TOTAL_MADE=0 TOTAL_REQ=0
for round in $(seq 1 "$ROUNDS"); do
	rm -f "$T"/[kpco].* "$T"/b.*
	declare -A POOLD=() NEXT=()
	declare -A NREQ=([0]=0 [f]=0 [s]=0 [b]=0)
	for c in $(seq 1 "$CLIENTS"); do NREQ[$c]=0; done

	# Where each model stands before the round.
	psql_q "INSERT INTO race_before SELECT $round, o, coalesce(max(m.next_version_index), 0), count(v.id) FROM unnest(ARRAY['m1', 'm2', 'm3', 's']) o LEFT JOIN models m ON m.object_id = o LEFT JOIN model_versions v ON v.model_id = m.id GROUP BY o;
	    TRUNCATE race_del0; INSERT INTO race_del0 SELECT id FROM model_versions WHERE deleted_at IS NOT NULL" >/dev/null
	AUDIT0=$(psql_q "SELECT coalesce(max(id), 0) FROM delete_audit")

	# The pool, created one at a time by client 0 (source texts shared
	# between models, so creates of different models meet on them too).
	for m in $(seq 1 "$MODELS"); do
		for k in $(seq 1 "$POOL"); do
			body "m$m" "pool$k" "{\"name\":\"m$m\",\"description\":null,\"source_code\":\"# round $round, content $k\\n\",\"attributes\":{\"round\":$round,\"k\":$k}}"
			req_add 0 create "m$m" "pool$k" "r$round-pre-m$m-$k"
		done
	done
	curl -K "$T/k.0" >"$T/c.0"
	results 0 >"$T/res.0"
	while IFS=$'\t' read -r _ rid _ oid arg code b; do
		[ "$code" = 200 ] || { fail "round $round: pool create $rid" "$code $b"; continue; }
		d=${b#*\"digest\":\"}; POOLD[${oid#m}.${arg#pool}]=${d%%\"*}
	done <"$T/res.0"
	for m in $(seq 1 "$MODELS"); do
		NEXT[$m]=$(psql_q "SELECT next_version_index FROM models WHERE object_id = 'm$m'")
	done
	VID0=$(psql_q "SELECT max(id) FROM model_versions")

	# The race's requests.
	body s burst "{\"name\":\"s\",\"source_code\":\"burst $round\",\"attributes\":{\"round\":$round}}"
	body m1 burst "{\"name\":\"m1\",\"source_code\":\"burst $round\",\"attributes\":{\"burst\":$round}}"
	for c in $(seq 1 "$BURST"); do
		req_add s create s burst
		req_add b create m1 burst
	done
	for c in $(seq 1 "$CLIENTS"); do
		while [ "${NREQ[$c]}" -lt "$PER" ]; do
			oid=m$(( RANDOM % MODELS + 1 ))
			case $(( RANDOM % 20 )) in
			0|1|2|3|4|5) req_add "$c" create "$oid" "pool$(( RANDOM % POOL + 1 ))" ;;
			6|7)	body "$oid" "u$c.${NREQ[$c]}" "{\"name\":\"$oid\",\"source_code\":\"client $c\",\"attributes\":{\"round\":$round,\"c\":$c,\"j\":${NREQ[$c]}}}"
				req_add "$c" create "$oid" "u$c.${NREQ[$c]}" ;;
			8)	req_add "$c" delete m3 "*" ;;
			9|10|11|12|13|14)
				ref_for "$oid" delete; refs=$REF
				for _ in $(seq 2 $(( RANDOM % 3 + 1 ))); do
					ref_for "$oid" delete; refs="$refs,$REF"
				done
				req_add "$c" delete "$oid" "$refs" ;;
			*)	# Reads: latest half the time, which the
				# deletes' choice of versions makes a race.
				ref_for "$oid"; [ $(( RANDOM % 2 )) = 0 ] && REF=latest
				req_add "$c" read "$oid" "$REF" ;;
			esac
		done
	done

	# The burst on s, alone: its 8 connections meet 8 idle workers.
	curl -K "$T/k.s" >"$T/c.s"
	# The gate: every client waits on a shared lock this shell holds
	# exclusively until all of them are waiting, then all go at once.
	exec 9>"$T/gate"
	flock -x 9
	PIDS=""
	for c in b $(seq 1 "$CLIENTS"); do
		( : >"$T/ready.$c"; flock -s "$T/gate" true &&
		    curl -K "$T/k.$c" >"$T/c.$c" ) 9>&- &
		PIDS="$PIDS $!"
	done
	while [ "$(ls "$T" | grep -c '^ready\.')" -lt $((CLIENTS + 1)) ]; do
		sleep 0.05
	done
	flock -u 9
	exec 9>&-
	wait $PIDS
	rm -f "$T"/ready.*
	results s b $(seq 1 "$CLIENTS") >"$T/res"
	cat "$T/res.0" >>"$T/res"
	load race_res "$T/res" || fail "round $round: load" "$T/res"
	TOTAL_REQ=$(( TOTAL_REQ + $(wc -l <"$T/res") ))
	R="round = $round"

	# Statuses: no 5xx, no lost request, no deadlock reaching a client.
	expect_eq "round $round: only 200 and 404 (creates 200), JSON bodies" "" \
	    "$(psql_q "SELECT string_agg(rid || ' ' || kind || ' ' || code, ', ') FROM race_res WHERE $R AND (code NOT IN (200, 404) OR kind = 'create' AND code <> 200 OR race_j(body) IS NULL)")"

	# Creates: the same content sent at once is one version.
	expect_eq "round $round: $BURST identical creates at once, one answer" \
	    "$(psql_q "SELECT '$BURST ' || string_agg(race_made(object_id, digest, version_index), ' | ') FROM race_v v JOIN race_before b ON b.oid = v.object_id AND b.$R WHERE object_id = 's' AND version_index >= b.next0")" \
	    "$(psql_q "SELECT count(*) || ' ' || string_agg(DISTINCT body, ' | ') FROM race_res WHERE $R AND oid = 's' AND arg = 'burst' AND code = 200")"
	expect_eq "round $round: each create names its version exactly" "" \
	    "$(psql_q "SELECT string_agg(rid || ' ' || body, ', ') FROM race_res a WHERE $R AND kind = 'create' AND code = 200 AND NOT EXISTS (SELECT 1 FROM race_v v WHERE v.object_id = a.oid AND a.body = race_made(v.object_id, v.digest, v.version_index))")"
	expect_eq "round $round: one content, one digest; two contents, two" "" \
	    "$(psql_q "SELECT string_agg(x, ', ') FROM (SELECT oid || '/' || arg FROM race_res WHERE $R AND kind = 'create' AND code = 200 GROUP BY oid, arg HAVING count(DISTINCT race_j(body)->>'digest') > 1 UNION ALL SELECT oid || '/' || (race_j(body)->>'digest') FROM race_res WHERE $R AND kind = 'create' AND code = 200 GROUP BY 1 HAVING count(DISTINCT arg) > 1) z(x)")"

	# Indices: the versions made this round are next0 .. next-1 of their
	# model, one row each, every one answered to a create; no older index
	# was given again.
	expect_eq "round $round: indices given once, never reused" "" \
	    "$(psql_q "SELECT string_agg(format('%s: before %s (%s rows), next %s, rows %s, answered %s, older rows %s', b.oid, b.next0, b.rows0, m.next_version_index,
	        ARRAY(SELECT version_index FROM model_versions WHERE model_id = m.id AND version_index >= b.next0 ORDER BY 1),
	        ARRAY(SELECT DISTINCT (race_j(body)->>'version_index')::bigint i FROM race_res WHERE $R AND kind = 'create' AND code = 200 AND oid = b.oid ORDER BY 1),
	        (SELECT count(*) FROM model_versions WHERE model_id = m.id AND version_index < b.next0)), '; ')
	      FROM race_before b JOIN models m ON m.object_id = b.oid WHERE b.$R AND NOT (
	        ARRAY(SELECT version_index FROM model_versions WHERE model_id = m.id AND version_index >= b.next0 ORDER BY 1)
	          = ARRAY(SELECT generate_series(b.next0, m.next_version_index - 1))
	        AND ARRAY(SELECT DISTINCT (race_j(body)->>'version_index')::bigint FROM race_res WHERE $R AND kind = 'create' AND code = 200 AND oid = b.oid AND (race_j(body)->>'version_index')::bigint >= b.next0 ORDER BY 1)
	          = ARRAY(SELECT generate_series(b.next0, m.next_version_index - 1))
	        AND (SELECT count(*) FROM model_versions WHERE model_id = m.id AND version_index < b.next0) = b.rows0
	        AND NOT EXISTS (SELECT 1 FROM model_versions WHERE model_id = m.id AND version_index >= m.next_version_index))")"

	# Deletes: each version counted by exactly one successful request, and
	# nothing deleted that no request named.
	expect_eq "round $round: the keepers are live" "m1 m2" \
	    "$(psql_q "SELECT string_agg(object_id, ' ' ORDER BY object_id) FROM race_v WHERE version_index = 0 AND object_id IN ('m1', 'm2') AND deleted_at IS NULL")"
	OK=$(psql_q "SELECT count(*) FROM race_res WHERE $R AND kind = 'delete' AND code = 200")
	SUM=$(psql_q "SELECT coalesce(sum((race_j(body)->>'num_deleted')::int), 0) FROM race_res WHERE $R AND kind = 'delete' AND code = 200")
	GONE=$(psql_q "SELECT count(*) FROM model_versions WHERE deleted_at IS NOT NULL AND id NOT IN (SELECT id FROM race_del0)")
	expect_eq "round $round: sum of num_deleted = versions deleted" "$GONE" "$SUM"
	expect_eq "round $round: one audit row per 200" "$OK" \
	    "$(psql_q "SELECT count(*) FROM delete_audit WHERE id > $AUDIT0")"
	expect_eq "round $round: audit counts = versions deleted" "$GONE" \
	    "$(psql_q "SELECT coalesce(sum(num_deleted), 0) FROM delete_audit WHERE id > $AUDIT0")"
	expect_eq "round $round: each 200 delete has its audit row (refs, count)" "" \
	    "$(psql_q "SELECT string_agg(coalesce(a.rid, d.request_id), ', ') FROM (SELECT * FROM race_res WHERE $R AND kind = 'delete' AND code = 200) a FULL JOIN (SELECT * FROM delete_audit WHERE id > $AUDIT0) d ON d.request_id = a.rid WHERE a.rid IS NULL OR d.id IS NULL OR d.object_id <> a.oid OR coalesce(array_to_string(d.refs, ','), '*') <> a.arg OR d.num_deleted <> (race_j(a.body)->>'num_deleted')::int OR cardinality(d.digests) <> d.num_deleted")"
	expect_eq "round $round: audited digests = versions deleted, none twice" "" \
	    "$(psql_q "SELECT string_agg(x, ', ') FROM ((SELECT object_id || ':' || d FROM delete_audit, unnest(digests) d WHERE id > $AUDIT0 EXCEPT ALL SELECT object_id || ':' || digest FROM race_v WHERE deleted_at IS NOT NULL AND id NOT IN (SELECT id FROM race_del0)) UNION ALL (SELECT object_id || ':' || digest FROM race_v WHERE deleted_at IS NOT NULL AND id NOT IN (SELECT id FROM race_del0) EXCEPT ALL SELECT object_id || ':' || d FROM delete_audit, unnest(digests) d WHERE id > $AUDIT0)) z(x)")"

	# Reads during the race: a 200 names a version the reference fits and
	# that was not deleted before the race; a 404 is "not found" or the
	# exact "was deleted" of a deleted version the reference fits, and
	# never for a version live from before the race to its end, nor for
	# latest of a model that had one.
	expect_eq "round $round: reads during the race" "" \
	    "$(psql_q "SELECT string_agg(rid || ' ' || arg || ' ' || code || ' ' || body, ', ') FROM race_res a WHERE $R AND kind = 'read' AND NOT CASE code
	        WHEN 200 THEN EXISTS (SELECT 1 FROM race_v v WHERE v.object_id = a.oid AND race_j(a.body)->>'object_id' = a.oid AND race_j(a.body)->>'digest' = v.digest AND race_j(a.body)->>'version_index' = v.version_index::text AND a.arg IN ('latest', v.digest, 'v' || v.version_index) AND v.id NOT IN (SELECT id FROM race_del0))
	        WHEN 404 THEN (a.body = format('{\"reason\":\"Obj %s:%s not found\",\"error_type\":\"NotFoundError\"}', a.oid, a.arg) OR EXISTS (SELECT 1 FROM race_v v WHERE v.object_id = a.oid AND v.deleted_at IS NOT NULL AND a.body = race_gone(v.object_id, v.version_index, v.deleted_at) AND a.arg IN ('latest', v.digest, 'v' || v.version_index)))
	          AND NOT EXISTS (SELECT 1 FROM race_v v WHERE v.object_id = a.oid AND v.id <= $VID0 AND v.deleted_at IS NULL AND a.arg IN ('latest', v.digest, 'v' || v.version_index))
	        ELSE false END")"

	# After the race: every live version reads 200 by digest and by vN,
	# every deleted one answers "was deleted" by vN; latest is the live
	# version with the highest index, or else the deleted one.
	"$BUILD/models-admin" model list acme proj | cut -d' ' -f1-3 | LC_ALL=C sort >"$T/live"
	expect_eq "round $round: models-admin model list = live versions" \
	    "$(psql_q "SELECT object_id || ' ' || digest || ' ' || version_index FROM race_v WHERE deleted_at IS NULL" | LC_ALL=C sort)" \
	    "$(cat "$T/live")"
	while read -r oid d i; do
		req_add f read "$oid" "$d" "r$round-f${NREQ[f]}" "$i	live"
		req_add f read "$oid" "v$i" "r$round-f${NREQ[f]}" "$i	live"
	done <"$T/live"
	psql_q "SELECT object_id, version_index FROM race_v WHERE deleted_at IS NOT NULL" >"$T/gone"
	while IFS='|' read -r oid i; do
		req_add f read "$oid" "v$i" "r$round-f${NREQ[f]}" "$i	deleted"
	done <"$T/gone"
	psql_q "SELECT DISTINCT ON (object_id) object_id, version_index FROM race_v ORDER BY object_id, deleted_at IS NULL DESC, version_index DESC" >"$T/latest"
	while IFS='|' read -r oid i; do
		req_add f read "$oid" latest "r$round-f${NREQ[f]}" "$i	latest"
	done <"$T/latest"
	curl -K "$T/k.f" >"$T/c.f"
	results f >"$T/final"
	load race_final "$T/final" || fail "round $round: load" "$T/final"
	expect_eq "round $round: reads after the race: live 200, deleted 'was deleted'" \
	    "$(( $(wc -l <"$T/live") * 2 + $(wc -l <"$T/gone") + $(wc -l <"$T/latest") )) " \
	    "$(psql_q "SELECT count(*) || ' ' || coalesce(string_agg(f.oid || '/' || f.ref || ' ' || f.code || ' ' || f.body, ', ') FILTER (WHERE NOT CASE
	        WHEN v.deleted_at IS NULL AND f.want IN ('live', 'latest') THEN f.code = 200 AND race_j(f.body)->>'object_id' = f.oid AND race_j(f.body)->>'digest' = v.digest AND race_j(f.body)->>'version_index' = v.version_index::text
	        WHEN v.deleted_at IS NOT NULL AND f.want IN ('deleted', 'latest') THEN f.code = 404 AND f.body = race_gone(v.object_id, v.version_index, v.deleted_at)
	        ELSE false END), '')
	      FROM race_final f JOIN race_v v ON v.object_id = f.oid AND v.version_index = f.idx WHERE f.$R")"

	# A deleted pool content created again, alone: a new version with the
	# next index, not the deleted one back.
	again=$(psql_q "SELECT object_id || ' ' || digest || ' ' || (SELECT next_version_index FROM models m WHERE m.id = v.model_id) FROM race_v v WHERE deleted_at IS NOT NULL AND digest IN ('$(IFS=,; echo "${POOLD[*]}" | sed "s/,/','/g")') AND NOT EXISTS (SELECT 1 FROM model_versions w WHERE w.model_id = v.model_id AND w.digest = v.digest AND w.deleted_at IS NULL) LIMIT 1")
	if [ -n "$again" ]; then
		set -- $again
		for key in "${!POOLD[@]}"; do
			[ "${POOLD[$key]}" = "$2" ] && [ "m${key%.*}" = "$1" ] && tag=pool${key#*.}
		done
		CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 30 -X POST \
		    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
		    --data-binary @"$T/b.$1.$tag" "$BASE$C")
		expect_eq "round $round: deleted content created again, next index" \
		    "200 $(psql_q "SELECT race_made('$1', '$2', $3)")" "$CODE $(cat "$T/body")"
	fi

	MADE=$(psql_q "SELECT sum(m.next_version_index - b.next0) FROM race_before b JOIN models m ON m.object_id = b.oid WHERE b.$R")
	TOTAL_OK=$((TOTAL_OK + OK)); TOTAL_DELETED=$((TOTAL_DELETED + SUM)); TOTAL_MADE=$((TOTAL_MADE + MADE))
done
# models-admin restore racing purge, once, in steps made certain by
# watching the database: purge (a session held open after it) has removed
# a version deleted 40 days ago; a restore of it then waits on its row;
# purge commits. The restore must find nothing (exit 1, no audit row), not
# report the version it could not bring back.
# wait_for SQL: polls until SQL answers t (at most 30 s); 1 if it never did.
wait_for() {
	local n=0
	until [ "$(psql_q "$1")" = t ]; do
		n=$((n + 1)); [ "$n" -gt 600 ] && return 1
		sleep 0.05
	done
}
printf 'x = 1\n' | "$BUILD/models-admin" model create acme pp old --source - >/dev/null
psql_q "UPDATE model_versions v SET deleted_at = now() - interval '40 days' FROM models m WHERE m.id = v.model_id AND m.object_id = 'old'" >/dev/null
mkfifo "$T/purge.in"
"$PGBIN/psql" "$DATABASE_URL" -Atq <"$T/purge.in" >"$T/purge.out" 2>&1 &
PURGE_PID=$!
exec 8>"$T/purge.in"
echo "BEGIN; SELECT 'purged', * FROM model_purge(now() - interval '20 days');" >&8
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%model_purge%')" ||
    fail "restore racing purge" "purge never ran: $(cat "$T/purge.out")"
"$BUILD/models-admin" model restore acme pp old v0 >"$T/restore.out" 2>&1 &
RESTORE_PID=$!
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%model_restore%')" ||
    fail "restore racing purge" "restore never waited: $(cat "$T/restore.out")"
echo "COMMIT;" >&8
exec 8>&-
wait "$RESTORE_PID"; rc=$?
wait "$PURGE_PID"
expect_eq "restore racing purge: purged, nothing restored, no audit row" \
    "purged|1|1 exit 1: models-admin: no version v0 of old in acme/pp; 0 versions, audit: purge" \
    "$(tr '\n' ' ' <"$T/purge.out" | sed 's/ $//') exit $rc: $(cat "$T/restore.out"); $(psql_q "SELECT count(*) FROM race_v WHERE object_id = 'old'") versions, audit: $(psql_q "SELECT string_agg(action, ' ' ORDER BY id) FROM admin_audit")"

echo "race: $ROUNDS rounds x $CLIENTS clients, $TOTAL_REQ requests: $TOTAL_MADE versions made, $TOTAL_OK deletes ($TOTAL_DELETED versions)," \
    "$(grep -c 'deadlock detected' "$T/pg/server.log") deadlocks retried inside"
grep -q "ERROR\|deadlock" "$T/app.log" && fail "app log" "$(grep -m3 'ERROR\|deadlock' "$T/app.log")"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
