#!/usr/bin/env bash
# End-to-end tests: a throwaway PostgreSQL, models-api under spawn-fcgi,
# lighttpd in front, and real HTTP requests with curl. Covers the API as
# README and lib/openapi.json describe it: routes, authentication,
# validation, authorization, deletion, responses, the resource
# (tests/e2e/resource.sh), a delete's body form and unknown query keys. Last line: "N passed, N failed".
#
# BUILD selects the binaries (build or build/asan); FRONT the front server
# (lighttpd, cgi, nginx, apache; see deploy/stack.sh). PGBOUNCER=1 puts
# PgBouncer (transaction pooling) between the app and PostgreSQL; the test
# tools still talk to PostgreSQL directly. KEEP=1 keeps the
# temporary directory (logs, cluster) for a look afterwards.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FRONT=${FRONT:-lighttpd}
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

test_stack_begin e2e || { echo "PostgreSQL or migrate failed"; exit 1; }
APPLOG=$T/app.log
ADMIN=$BUILD/models-admin

# A short statement timeout, so the lock-wait case below is quick.
export MODELS_API_STATEMENT_TIMEOUT_MS=1500 MODELS_API_THREADS=4
# A short body deadline, so the stalled upload below is quick.
export MODELS_API_BODY_TIMEOUT_MS=3000
# VALGRIND=1 (with FRONT=cgi) runs every request under memcheck.
if [ "${VALGRIND:-0}" = 1 ]; then
	[ "$FRONT" = cgi ] || { echo "VALGRIND=1 needs FRONT=cgi"; exit 1; }
	# Written by the CGI program, which runs as www-data under root.
	mkdir -p "$T/vg"
	[ "$(id -u)" -eq 0 ] && chown www-data: "$T/vg"
	export VALGRIND_LOG=$T/vg/valgrind
fi
APP_URL=$DATABASE_URL
if [ "${PGBOUNCER:-0}" = 1 ]; then
	APP_URL=$(stack_pgbouncer_start "$T/bouncer" "$T/sock") ||
	    { echo "pgbouncer failed to start"; exit 1; }
fi
if [ "$FRONT" != cgi ]; then
	DATABASE_URL=$APP_URL stack_app_start "$T/app.sock" "$APPLOG" \
	    "$T/app.pid" || exit 1
fi
PORT=$(stack_free_port)
DATABASE_URL=$APP_URL stack_front_start "$FRONT" "$T/front" "$PORT" \
    "$T/app.sock" "$APPLOG" || { echo "$FRONT failed to start"; exit 1; }
BASE="http://127.0.0.1:$PORT"

# --- data -----------------------------------------------------------------
# key create: the key on stdout, "key id N" on stderr (kept out of the log).
W=$("$ADMIN" key create acme 2>/dev/null)
A=$("$ADMIN" key create acme --role admin 2>/dev/null)
R=$("$ADMIN" key create acme --role read 2>/dev/null)
O=$("$ADMIN" key create other 2>/dev/null)
X=$("$ADMIN" key create acme 2>/dev/null)
XID=$("$ADMIN" key list acme | tail -n 1 | cut -d' ' -f1)
"$ADMIN" key revoke "$XID" >/dev/null
KEYS="$W $A $R $O $X"

add() { "$ADMIN" model add acme proj "$1" --val "$2" | cut -d' ' -f1; }
M1_0=$(add m1 '{"a":0}'); M1_1=$(add m1 '{"a":1}'); M1_2=$(add m1 '{"a":2}')
B="Authorization: Bearer $W"
BASIC="Authorization: Basic $(printf 'api:%s' "$W" | base64 -w0)"
NF='{"detail":"Not Found"}'
NA='{"detail":"Not authenticated"}'
BAD='{"detail":"Invalid authentication credentials"}'
DIGEST_RE='^(latest|v[0-9]+|[A-Za-z0-9]{43}|[0-9a-fA-F]{64})$'

# --- 1. routes ------------------------------------------------------------
# FRONT=stock-*: Debian's own front config with the shipped file enabled,
# which sends only /v2/ and /health to the app; other paths are the host's.
STOCK=0
case $FRONT in stock-*) STOCK=1 ;; esac
if [ $STOCK = 1 ]; then
	req GET /static.txt;			expect "the host's own file" 200 "ok"
else
	req GET /nope;				expect "unknown path" 404 "$NF"
fi
req DELETE /v2/acme/proj/models -H "$B"
expect "DELETE the collection" 405 '{"detail":"Method Not Allowed"}'
expect_hdr "DELETE the collection Allow" Allow "GET, POST"
req DELETE /v2/acme//models/m1 -H "$B";		expect "empty segment" 404 "$NF"
req DELETE /v2/acme/proj/models/m1/x -H "$B";	expect "6 segments" 404 "$NF"
[ $STOCK = 1 ] || { req DELETE /v3/acme/proj/models/m1 -H "$B"; expect "v3" 404 "$NF"; }
req GET /v2/acme/proj/models/m1
expect "GET model" 405 '{"detail":"Method Not Allowed"}'
expect_hdr "GET model Allow" Allow "DELETE"
req HEAD /v2/acme/proj/models/m1;		expect "HEAD model" 405 ""
expect_hdr "HEAD model Allow" Allow "DELETE"
req POST /health
expect "POST health" 405 '{"detail":"Method Not Allowed"}'
expect_hdr "POST health Allow" Allow "GET, HEAD"
req GET /health;				expect "health" 200 '{"status":"ok"}'
expect_hdr "health type" Content-Type "application/json"
# Through Apache too: ap_trust_cgilike_cl keeps the app's Content-Length.
expect_hdr "health length" Content-Length "15"
expect_hdr "health not chunked" Transfer-Encoding ""
req HEAD /health;				expect "HEAD health" 200 ""
# Every front server drops a body sent on HEAD: straight to the app, where
# one sent would show. GET first, so the helper is seen to read a body.
raw_req GET /health;				expect "GET health (raw)" 200 '{"status":"ok"}'
raw_req HEAD /health;				expect "HEAD health (raw)" 200 ""
expect_hdr "HEAD health (raw) length" Content-Length "15"
raw_req HEAD /v2/acme/proj/models/m1;		expect "HEAD model (raw)" 405 ""

# A body is read only once the key may send it, within its deadline, and
# every log line of the request carries its id. Straight to the app: the
# fronts buffer bodies (but Apache) or hide a 408 behind their own answer.
if [ -S "$T/app.sock" ]; then
	# An unknown key: the 401 comes while the body is still on its way.
	RAWREQ_STDIN='{"name":' RAWREQ_LENGTH=100 RAWREQ_EOF=0 \
	    raw_req POST /v2/acme/proj/models "Bearer $(printf '%040d' 0)"
	expect "stalled body, unknown key (raw)" 401 "$BAD"
	# A live key: the body must come whole in time.
	RAWREQ_STDIN='{"name":' RAWREQ_LENGTH=100 RAWREQ_EOF=0 \
	    RAWREQ_RID=e2e-stalled raw_req POST /v2/acme/proj/models "Bearer $W"
	expect "stalled body (raw)" 408 '{"reason":"Request body not received in time","error_type":"RequestTimeout"}'
	expect_eq "stalled body: logged as 408 with its id" 1 \
	    "$(grep -c ' e2e-stalled POST /v2/acme/proj/models 408 ' "$APPLOG")"
	# A body that ends short: taken as it came, the line names the request.
	RAWREQ_STDIN='{"name":' RAWREQ_LENGTH=100 RAWREQ_RID=e2e-short \
	    raw_req POST /v2/acme/proj/models "Bearer $W"
	expect "short body (raw)" 422 '{"detail":[{"type":"json_invalid","loc":["body",8],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}'
	expect_eq "short body: its log line has the request id" 1 \
	    "$(grep -c 'models-api: e2e-short request body cut short: 8 of 100 bytes' "$APPLOG")"
fi

# The OpenAPI document: no key, the repository's file byte for byte.
DOC=$ROOT/lib/openapi.json
DOCLEN=$(wc -c <"$DOC")
req GET /openapi.json
expect_eq "openapi.json status" 200 "$CODE"
expect_eq "openapi.json is the repository's file" same \
    "$(cmp -s "$DOC" "$T/body" && echo same || echo "differs (${#BODY} bytes)")"
expect_hdr "openapi.json type" Content-Type "application/json"
expect_hdr "openapi.json length" Content-Length "$DOCLEN"
expect_hdr "openapi.json not chunked" Transfer-Encoding ""
expect_eq "openapi.json has a request id" 1 "$(hdr X-Request-Id | grep -Ec '^[0-9a-f]{16}$')"
req HEAD /openapi.json;				expect "HEAD openapi.json" 200 ""
raw_req HEAD /openapi.json;			expect "HEAD openapi.json (raw)" 200 ""
expect_hdr "HEAD openapi.json (raw) length" Content-Length "$DOCLEN"
req POST /openapi.json -H "$B"
expect "POST openapi.json" 405 '{"detail":"Method Not Allowed"}'
expect_hdr "POST openapi.json Allow" Allow "GET, HEAD"
req GET '/openapi.json/?v=1';			expect "openapi.json slash" 307 ""
expect_hdr "openapi.json slash Location" Location '/openapi.json?v=1'
req DELETE '/v2/acme/proj/models/m1/?digests=latest&x=%2F'
expect "trailing slash" 307 ""
expect_hdr "trailing slash Location" Location '/v2/acme/proj/models/m1?digests=latest&x=%2F'
req GET '/health//';				expect "health slashes" 307 ""
expect_hdr "health slashes Location" Location '/health'
req POST /v2/acme/proj/models/m1/;		expect "307 before 405" 307 ""
req DELETE /v2/acme/proj/%6Dodels/m1;		expect "decoded literal" 401 "$NA"
# lighttpd's stock mount matches the path as sent: /%68ealth is the host's.
if [ $STOCK = 0 ] || [ "$FRONT" != stock-lighttpd ]; then
	req GET /%68ealth;			expect "decoded health" 200 '{"status":"ok"}'
fi
# Valid model names that Debian's lighttpd denies elsewhere (url.access-deny).
req DELETE /v2/acme/proj/models/m1.inc -H "$B"
expect "name ending .inc" 404 '{"reason":"Object m1.inc (None) not found when deleting.","error_type":"NotFoundError"}'
req DELETE /v2/acme/proj/models/m1%2Fx -H "$B"
expect "%2F stays in segment" 422 '{"detail":[{"type":"string_pattern_mismatch","loc":["path","object_id"],"msg":"String should match pattern '"'"'^[\\w.-]+$'"'"'","input":"m1/x","ctx":{"pattern":"^[\\w.-]+$"}}]}'

# --- 2. authentication ----------------------------------------------------
P=/v2/acme/proj/models/nosuch
req DELETE $P;					expect "no header" 401 "$NA"
expect_hdr "no header WWW-Authenticate" WWW-Authenticate "Basic"
req DELETE $P -H "Authorization: Digest abc";	expect "other scheme" 401 "$NA"
req DELETE $P -H "Authorization: Basic !!!!";	expect "bad base64" 401 "$NA"
req DELETE $P -H "Authorization: Basic $(printf nocolon | base64)"
expect "no colon" 401 "$NA"
req DELETE $P -H "Authorization: Basic $(printf 'api:' | base64)"
expect "empty key" 401 "$NA"
req DELETE $P -H "Authorization: Bearer";	expect "empty bearer" 401 "$NA"
req DELETE $P -H "Authorization: Bearer 0123456789abcdef0123456789abcdef01234567"
expect "unknown key" 401 "$BAD"
expect_hdr "unknown key WWW-Authenticate" WWW-Authenticate "Basic"
req DELETE $P -H "Authorization: Bearer short";	expect "odd key" 401 "$BAD"
req DELETE $P -H "Authorization: Bearer $(echo "$W" | tr a-f A-F)"
expect "uppercase key" 401 "$BAD"
req DELETE $P -H "Authorization: Bearer $X";	expect "revoked key" 401 "$BAD"
req DELETE $P -H "Authorization: Basic $(printf 'api: %s' "$W" | base64 -w0)"
expect "password not trimmed" 401 "$BAD"
NOSUCH='{"reason":"Object nosuch (None) not found when deleting.","error_type":"NotFoundError"}'
req DELETE $P -H "$BASIC";			expect "basic ok" 404 "$NOSUCH"
req DELETE $P -H "Authorization: bAsIc $(printf 'anyone:%s' "$W" | base64 -w0)"
expect "basic any user, any case" 404 "$NOSUCH"
# The front servers strip trailing spaces; raw_req sends them to the app.
req DELETE $P -H "Authorization: BEARER   $W";	expect "bearer leading spaces" 404 "$NOSUCH"
raw_req DELETE $P "bEaReR   $W   ";		expect "bearer trailing spaces (raw)" 404 "$NOSUCH"
raw_req DELETE $P "Basic $(printf 'api:%s' "$W" | base64 -w0)  "
expect "basic trailing spaces (raw)" 404 "$NOSUCH"
req DELETE $P -H "$B";				expect "bearer ok" 404 "$NOSUCH"

# --- 3. validation --------------------------------------------------------
pm() {	# pattern-mismatch entry: LOC INPUT PATTERN (JSON-escaped)
	printf '{"type":"string_pattern_mismatch","loc":%s,"msg":"String should match pattern '"'"'%s'"'"'","input":"%s","ctx":{"pattern":"%s"}}' "$1" "$3" "$2" "$3"
}
req DELETE "$P?digests=bad!" -H "$B"
expect "bad digest" 422 "{\"detail\":[$(pm '["query","digests",0]' 'bad!' "$DIGEST_RE")]}"
LONG=$(printf 'a%.0s' $(seq 1 129))
req DELETE "/v2/$LONG/proj/models/m1" -H "$B"
expect "entity too long" 422 "{\"detail\":[{\"type\":\"string_too_long\",\"loc\":[\"path\",\"entity\"],\"msg\":\"String should have at most 128 characters\",\"input\":\"$LONG\",\"ctx\":{\"max_length\":128}}]}"
E128=$(printf '%%C3%%A9%.0s' $(seq 1 128))
req DELETE "/v2/acme/proj/models/$E128" -H "$B"
expect "128 two-byte characters" 404 "{\"reason\":\"Object $(printf 'é%.0s' $(seq 1 128)) (None) not found when deleting.\",\"error_type\":\"NotFoundError\"}"
req DELETE "/v2/a%20b/p%2Fq/models/m1?digests=latest&digests=&digests=v1" -H "$B"
expect "errors in order" 422 "{\"detail\":[$(pm '["path","entity"]' 'a b' '^[A-Za-z0-9_.-]+$'),$(pm '["path","project"]' 'p/q' '^[A-Za-z0-9_.-]+$'),$(pm '["query","digests",1]' '' "$DIGEST_RE")]}"
req DELETE "/v2/acme/proj/models/m%FF1" -H "$B"
expect "not UTF-8" 422 '{"detail":[{"type":"string_unicode","loc":["path","object_id"],"msg":"Input should be a valid string, unable to parse raw data as a unicode string","input":"m%FF1"}]}'
req DELETE "$P?digests" -H "$B"
expect "digests without =" 422 "{\"detail\":[$(pm '["query","digests",0]' '' "$DIGEST_RE")]}"
req DELETE "$P?%64igests=a+b" -H "$B"
expect "encoded name, plus" 422 "{\"detail\":[$(pm '["query","digests",0]' 'a b' "$DIGEST_RE")]}"
req DELETE "$P?digests=latest;x=1" -H "$B"
expect "semicolon" 422 "{\"detail\":[$(pm '["query","digests",0]' 'latest;x=1' "$DIGEST_RE")]}"
req DELETE "$P?digests=%zz" -H "$B"
expect "bad escape literal" 422 "{\"detail\":[$(pm '["query","digests",0]' '%zz' "$DIGEST_RE")]}"
Q=""; L=""
for i in $(seq 1 101); do Q="$Q&digests=v$i"; L="$L,\"v$i\""; done
req DELETE "$P?${Q#&}" -H "$B"
expect "101 digests" 422 "{\"detail\":[{\"type\":\"too_long\",\"loc\":[\"query\",\"digests\"],\"msg\":\"List should have at most 100 items after validation, not 101\",\"input\":[${L#,}],\"ctx\":{\"field_type\":\"List\",\"max_length\":100,\"actual_length\":101}}]}"
req DELETE "$P?digests=bad!";			expect "401 before 422" 401 "$NA"
req DELETE "$P?digests=bad!" -H "Authorization: Bearer 0123456789abcdef0123456789abcdef01234567"
expect "unknown key before 422" 401 "$BAD"
req DELETE "/v2/other/proj/models/x?digests=bad!" -H "$B"
expect "422 before 403" 422 "{\"detail\":[$(pm '["query","digests",0]' 'bad!' "$DIGEST_RE")]}"
req DELETE "/v2/acme/proj/models/%D9%A1%E6%97%A5_x.y-z" -H "$B"
expect "unicode word characters" 404 '{"reason":"Object ١日_x.y-z (None) not found when deleting.","error_type":"NotFoundError"}'

# --- 4. authorization and lookup ----------------------------------------
FORB='{"reason":"Forbidden","error_type":"Forbidden"}'
req DELETE /v2/acme/proj/models/m1 -H "Authorization: Bearer $R"
expect "read role" 403 "$FORB"
req DELETE /v2/acme/proj/models/m1 -H "Authorization: Bearer $O"
expect "other entity" 403 "$FORB"
req DELETE /v2/nobody/nothing/models/m1 -H "Authorization: Bearer $O"
expect "other entity, nothing exists" 403 "$FORB"
req DELETE /v2/acme/nope/models/m1 -H "$B"
expect "unknown project" 404 '{"reason":"Project acme/nope not found","error_type":"ProjectNotFound"}'
req DELETE /v2/acme/nope/models/m1 -H "Authorization: Bearer $R"
expect "403 before project 404" 403 "$FORB"
expect_eq "nothing deleted by refusals" 3 "$("$ADMIN" model list acme proj m1 | wc -l)"

# The whole matrix: key entity (acme, other) x role x revoked, on acme's
# path. Only a live write or admin key of acme passes (here to a 404).
for ent in acme other; do
	for role in read write admin; do
		K=$("$ADMIN" key create "$ent" --role "$role" 2>/dev/null)
		req DELETE /v2/acme/proj/models/nosuch -H "Authorization: Bearer $K"
		if [ "$ent" = acme ] && [ "$role" != read ]; then
			expect "matrix $ent/$role" 404 "$NOSUCH"
		else
			expect "matrix $ent/$role" 403 "$FORB"
		fi
		"$ADMIN" key revoke "$("$ADMIN" key list "$ent" | tail -n 1 | cut -d' ' -f1)" >/dev/null
		req DELETE /v2/acme/proj/models/nosuch -H "Authorization: Bearer $K"
		expect "matrix $ent/$role revoked" 401 "$BAD"
		KEYS="$KEYS $K"
	done
done

# SQL in every parameter: a 422 naming it, and the database unchanged.
ROWS=$(psql_q "SELECT (SELECT count(*) FROM model_versions) || '/' || (SELECT count(*) FROM delete_audit) || '/' || (SELECT count(*) FROM api_keys)")
INJ="x%27%3B%20DELETE%20FROM%20model_versions%3B--"
for p in "/v2/$INJ/proj/models/m1" "/v2/acme/$INJ/models/m1" "/v2/acme/proj/models/$INJ" \
    "/v2/acme/proj/models/m1?digests=$INJ" "/v2/acme/proj/models/m1?digests=v1%27)%20OR%201%3D1--"; do
	req DELETE "$p" -H "$B"
	expect_eq "injection $p" 422 "$CODE"
done
expect_eq "injection changed nothing" "$ROWS" "$(psql_q "SELECT (SELECT count(*) FROM model_versions) || '/' || (SELECT count(*) FROM delete_audit) || '/' || (SELECT count(*) FROM api_keys)")"

# --- 5. deletion ----------------------------------------------------------
P=/v2/acme/proj/models/m1
req DELETE "$P?digests=v7&digests=v8" -H "$B"
expect "none resolved" 404 "{\"reason\":\"Object m1 (['v7', 'v8']) not found when deleting.\",\"error_type\":\"NotFoundError\"}"
req DELETE "$P?digests=v9&digests=v0&digests=zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9z&digests=v9" -H "$B"
expect "some resolved" 404 "{\"reason\":\"Delete request contains 4 digests, but found 1 objects to delete. Diff digests: {'v9', 'zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9zz9z'}\",\"error_type\":\"NotFoundError\"}"
UPPER=$(printf 'B%.0s' $(seq 1 43)); LOWER=$(printf 'a%.0s' $(seq 1 43))
req DELETE "$P?digests=$LOWER&digests=v0&digests=$UPPER" -H "$B"
expect "diff sorted by code point" 404 "{\"reason\":\"Delete request contains 3 digests, but found 1 objects to delete. Diff digests: {'$UPPER', '$LOWER'}\",\"error_type\":\"NotFoundError\"}"
# latest and its own digest are one version: found 1, as sent 3.
req DELETE "$P?digests=latest&digests=$M1_2&digests=v7" -H "$B"
expect "duplicates found count once" 404 "{\"reason\":\"Delete request contains 3 digests, but found 1 objects to delete. Diff digests: {'v7'}\",\"error_type\":\"NotFoundError\"}"
# vN: more than 18 significant digits cannot be an index (no bigint
# overflow, so no 500); leading zeros do not count.
req DELETE "$P?digests=v9999999999999999999" -H "$B"
expect "vN, 19 digits" 404 "{\"reason\":\"Object m1 (['v9999999999999999999']) not found when deleting.\",\"error_type\":\"NotFoundError\"}"
req DELETE "$P?digests=v99999999999999999999999999999999999999999&digests=v0" -H "$B"
expect "vN, 41 digits" 404 "{\"reason\":\"Delete request contains 2 digests, but found 1 objects to delete. Diff digests: {'v99999999999999999999999999999999999999999'}\",\"error_type\":\"NotFoundError\"}"
req DELETE "$P?digests=v999999999999999999" -H "$B"
expect "vN, 18 digits" 404 "{\"reason\":\"Object m1 (['v999999999999999999']) not found when deleting.\",\"error_type\":\"NotFoundError\"}"
req DELETE "$P?digests=v0000000000000000000000000&digests=v7" -H "$B"
expect "vN, 25 leading zeros = v0" 404 "{\"reason\":\"Delete request contains 2 digests, but found 1 objects to delete. Diff digests: {'v7'}\",\"error_type\":\"NotFoundError\"}"
expect_eq "404 deleted nothing" 3 "$("$ADMIN" model list acme proj m1 | wc -l)"
req DELETE "$P?digests=latest&digests=$M1_2&digests=v02" -H "$B" -H "X-Request-Id: e2e-latest.1"
expect "latest = its digest = v02, once" 200 '{"num_deleted":1}'
expect_hdr "request id kept" X-Request-Id "e2e-latest.1"
req DELETE "$P?digests=v2" -H "$B"
expect "deleted version is gone" 404 "{\"reason\":\"Object m1 (['v2']) not found when deleting.\",\"error_type\":\"NotFoundError\"}"
M1_3=$("$ADMIN" model add acme proj m1 --val '{"a":3}')
expect_eq "index not reused" "3" "${M1_3#* }"
expect_eq "same content, same version" "$M1_3" "$("$ADMIN" model add acme proj m1 --val '{ "a" : 3 }')"
req DELETE "$P?digests=v00&digests=$M1_1" -H "$B" -H "X-Request-Id: bad id!"
expect "vN and digest" 200 '{"num_deleted":2}'
RID=$(hdr X-Request-Id)
expect_eq "bad request id replaced" 1 "$(echo "$RID" | grep -Ec '^[0-9a-f]{16}$')"
req DELETE "$P" -H "$B";			expect "all versions" 200 '{"num_deleted":1}'
req DELETE "$P" -H "$B"
expect "all versions again" 404 '{"reason":"Object m1 (None) not found when deleting.","error_type":"NotFoundError"}'
expect_eq "audit rows" "3" "$(psql_q "SELECT count(*) FROM delete_audit WHERE object_id = 'm1'")"
expect_eq "audit row content" "{latest,$M1_2,v02}|{$M1_2}|1|e2e-latest.1|acme|proj" \
    "$(psql_q "SELECT refs, digests, num_deleted, request_id, entity, project FROM delete_audit WHERE request_id = 'e2e-latest.1'")"
expect_eq "audit all-versions refs NULL" "t" \
    "$(psql_q "SELECT refs IS NULL FROM delete_audit WHERE object_id = 'm1' ORDER BY id DESC LIMIT 1")"
"$ADMIN" model add acme proj m2 --val '{}' >/dev/null
req DELETE /v2/acme/proj/models/m2 -H "Authorization: Bearer $A"
expect "admin role" 200 '{"num_deleted":1}'

# --- 10.1 a delete never widens by accident -------------------------------
# Every query key but digests is refused, so a misspelling never reads as
# "every version"; the references may come as a JSON body (Weave's own
# router), read as JSON whatever the Content-Type (curl sends a form type).
# After each refusal all five versions are still there.
for i in 0 1 2 3 4; do add careless "{\"c\":$i}" >/dev/null; done
CL=/v2/acme/proj/models/careless
left() { "$ADMIN" model list acme proj careless | wc -l; }
xf() {	# extra_forbidden entry: KEY INPUT (JSON-escaped)
	printf '{"type":"extra_forbidden","loc":["query","%s"],"msg":"Extra inputs are not permitted","input":"%s"}' "$1" "$2"
}
# del_body PATH BODY [curl args...]: DELETE with BODY (a string) as its body.
del_body() {
	local p=$1
	printf '%s' "$2" >"$T/del.body"
	shift 2
	req DELETE "$p" -H "$B" --data-binary @"$T/del.body" "$@"
}
for c in 'digest=v0|digest|v0' 'Digests=|Digests|' 'digests[]=v0|digests[]|v0' \
    '%64igest=v0|digest|v0' 'digests=v0&x|x|' 'DIGESTS=v0&digests=v1|DIGESTS|v0'; do
	IFS='|' read -r qs key val <<<"$c"
	req DELETE "$CL?$qs" -H "$B"
	expect "10.1: ?$qs refused" 422 "{\"detail\":[$(xf "$key" "$val")]}"
	expect_eq "10.1: ?$qs deleted nothing" 5 "$(left)"
done
req DELETE "$CL?b=1&a=2&digests=v0&b=3&a" -H "$B"
expect "10.1: each key once, first-seen order, last value" 422 "{\"detail\":[$(xf b 3),$(xf a '')]}"
req DELETE "$CL?digest=v0"
expect "10.1: the key outranks an unknown key" 401 "$NA"
STR_TYPE='{"type":"string_type","loc":["body",0],"msg":"Input should be a valid string","input":1}'
del_body $CL '[1]'
expect "10.1: body [1]" 422 "{\"detail\":[$STR_TYPE]}"
lt() { printf '{"type":"list_type","loc":["body"],"msg":"Input should be a valid list","input":%s}' "$1"; }
del_body $CL '[1]' -H 'Transfer-Encoding: chunked'
expect "10.1: body [1], chunked" 422 "{\"detail\":[$STR_TYPE]}"
del_body $CL '{"digests":["v0"]}'
expect "10.1: body {\"digests\":[...]}" 422 "{\"detail\":[$(lt '{"digests":["v0"]}')]}"
del_body $CL '"v0"' -H 'Content-Type: text/plain'
expect "10.1: body \"v0\"" 422 "{\"detail\":[$(lt '"v0"')]}"
del_body $CL 'digests=v0'
expect "10.1: a form body is no JSON" 422 '{"detail":[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}'
del_body "$CL?x=1&digests=bad!" '["v0"' -H 'Content-Type: application/json'
expect "10.1: not JSON, its entry alone" 422 '{"detail":[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting '"','"' delimiter"}}]}'
BOTH='digests given both in the query and in the body'
del_body "$CL?digests=v1" '["v0"]'
expect "10.1: both forms" 422 "{\"detail\":[{\"type\":\"value_error\",\"loc\":[\"body\"],\"msg\":\"Value error, $BOTH\",\"input\":[\"v0\"],\"ctx\":{\"error\":\"$BOTH\"}}]}"
L=""; for i in $(seq 1 101); do L="$L,\"v$i\""; done
del_body $CL "[${L#,}]"
expect "10.1: 101 references in the body" 422 "{\"detail\":[{\"type\":\"too_long\",\"loc\":[\"body\"],\"msg\":\"List should have at most 100 items after validation, not 101\",\"input\":[${L#,}],\"ctx\":{\"field_type\":\"List\",\"max_length\":100,\"actual_length\":101}}]}"
del_body "$CL?x=1&digests=bad!" '"v0"'
expect "10.1: digests, other keys, body, in that order" 422 "{\"detail\":[$(pm '["query","digests",0]' 'bad!' "$DIGEST_RE"),$(xf x 1),$(lt '"v0"')]}"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T/big.del"
req DELETE "$CL" -H "$B" --data-binary @"$T/big.del"
expect "10.1: a delete body over the limit" 413 '{"reason":"Request too large","error_type":"RequestTooLarge"}'
rm -f "$T/big.del"
del_body $CL '[]'
expect "10.1: an empty list names no version" 404 '{"reason":"Object careless ([]) not found when deleting.","error_type":"NotFoundError"}'
expect_eq "10.1: nothing deleted by any of that" 5 "$(left)"
expect_eq "10.1: no audit row either" 0 "$(psql_q "SELECT count(*) FROM delete_audit WHERE object_id = 'careless'")"
# The body form deletes exactly what it names, and says so in the audit.
CL0=$("$ADMIN" model list acme proj careless | awk '$3 == 0 { print $2 }')
del_body $CL '["v0"]' -H 'X-Request-Id: e2e-body.1'
expect "10.1: body [\"v0\"]" 200 '{"num_deleted":1}'
expect_eq "10.1: v0 and only v0 gone" "1 2 3 4" \
    "$("$ADMIN" model list acme proj careless | awk '{ print $3 }' | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "10.1: audit of the body form" "body|{v0}|{$CL0}|1" \
    "$(psql_q "SELECT scope, refs, digests, num_deleted FROM delete_audit WHERE request_id = 'e2e-body.1'")"
del_body "$CL?digests=v1" 'null' -H 'Content-Type: application/json' -H 'X-Request-Id: e2e-body.2'
expect "10.1: null body, the query's digests" 200 '{"num_deleted":1}'
expect_eq "10.1: audit of the query form" "query|{v1}|1" \
    "$(psql_q "SELECT scope, refs, num_deleted FROM delete_audit WHERE request_id = 'e2e-body.2'")"
del_body $CL ' null ' -H 'X-Request-Id: e2e-body.3'
expect "10.1: null body, every version" 200 '{"num_deleted":3}'
expect_eq "10.1: audit of every version" "all|t|3" \
    "$(psql_q "SELECT scope, refs IS NULL, num_deleted FROM delete_audit WHERE request_id = 'e2e-body.3'")"
expect_eq "10.1: section 5's deletes of m1: two lists, then every version" \
    "query query all" "$(psql_q "SELECT string_agg(scope, ' ' ORDER BY id) FROM delete_audit WHERE object_id = 'm1'")"

# Overlapping concurrent deletes: 24 versions, 24 requests for the pairs
# (i, i+1) and 12 for "latest", all at once. Every version is counted by
# exactly one successful request; losers delete nothing and get 404.
for i in $(seq 0 23); do "$ADMIN" model add acme proj race --val "{\"i\":$i}" >/dev/null; done
RP=/v2/acme/proj/models/race
PIDS=""
for i in $(seq 0 23); do
	curl -s -o "$T/race.$i" -w '%{http_code}\n' -X DELETE -H "$B" \
	    "$BASE$RP?digests=v$i&digests=v$(( (i + 1) % 24 ))" >"$T/race.$i.code" &
	PIDS="$PIDS $!"
done
for i in $(seq 24 35); do
	curl -s -o "$T/race.$i" -w '%{http_code}\n' -X DELETE -H "$B" \
	    "$BASE$RP?digests=latest" >"$T/race.$i.code" &
	PIDS="$PIDS $!"
done
# Only the clients: a bare `wait` would wait for the servers too.
wait $PIDS
SUM=0; CODES=""
for i in $(seq 0 35); do
	c=$(cat "$T/race.$i.code")
	CODES="$CODES $c"
	[ "$c" = 200 ] && SUM=$((SUM + $(sed 's/[^0-9]//g' "$T/race.$i")))
done
LEFT=$("$ADMIN" model list acme proj race | wc -l)
expect_eq "race: counted once" 24 $((SUM + LEFT))
expect_eq "race: only 200 and 404" "" "$(echo "$CODES" | tr ' ' '\n' | grep -Ev '^(200|404|)$')"
expect_eq "race: audit matches" "$SUM" \
    "$(psql_q "SELECT coalesce(sum(num_deleted), 0) FROM delete_audit WHERE object_id = 'race'")"

# --- 9. create, read, list, soft delete, restore, purge ------------------
. "$ROOT/tests/e2e/resource.sh"

# --- 6. responses, timeouts, database loss --------------------------------
BODY_503='{"reason":"Service temporarily unavailable","error_type":"ServiceUnavailable"}'
"$ADMIN" model add acme proj locked --val '{}' >/dev/null
"$PGBIN/psql" "$DATABASE_URL" -qc "BEGIN; SELECT 1 FROM models WHERE object_id = 'locked' FOR UPDATE; SELECT pg_sleep(6); COMMIT;" >/dev/null 2>&1 &
LOCKER=$!
sleep 0.5
# The lock outlives the 1.5 s timeout by far: a 503 means the app gave up
# on its own. That it waits out a lock released in time is tests/db's.
req DELETE /v2/acme/proj/models/locked -H "$B"
expect "row lock held" 503 '{"reason":"Service temporarily unavailable","error_type":"ServiceUnavailable"}'
expect_hdr "row lock Retry-After" Retry-After "1"
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null
expect_eq "timed-out delete deleted nothing" 1 "$("$ADMIN" model list acme proj locked | wc -l)"

# Connection lost after the statement was sent: the outcome is unknown to
# the app, so 503, and no silent retry. The delete waits on a row lock; its
# backend is killed and the lock released right after, well inside the
# statement timeout, so a statement sent again would succeed and delete.
"$ADMIN" model add acme proj lost --val '{}' >/dev/null
mkfifo "$T/locker.in"
"$PGBIN/psql" "$DATABASE_URL" -q <"$T/locker.in" >/dev/null 2>&1 &
LOCKER=$!
exec 3>"$T/locker.in"
echo "BEGIN; SELECT 1 FROM models WHERE object_id = 'lost' FOR UPDATE;" >&3
for _ in $(seq 1 200); do
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%''lost'' FOR UPDATE%'")" = 1 ] && break
	sleep 0.05
done
curl -s -o "$T/lost.body" -w '%{http_code}' -X DELETE -H "$B" \
    "$BASE/v2/acme/proj/models/lost" >"$T/lost.code" &
CLIENT=$!
VICTIM=""
for _ in $(seq 1 200); do
	VICTIM=$(psql_q "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%delete_model%' LIMIT 1")
	[ -n "$VICTIM" ] && break
	sleep 0.05
done
psql_q "SELECT pg_terminate_backend(${VICTIM:-0})" >/dev/null
echo "COMMIT;" >&3
exec 3>&-
wait "$CLIENT"
wait "$LOCKER"
expect_eq "connection lost after sending" "503 $BODY_503" "$(cat "$T/lost.code") $(cat "$T/lost.body")"
expect_eq "lost delete not resent" 1 "$("$ADMIN" model list acme proj lost | wc -l)"
expect_eq "lost delete left no audit row" 0 "$(psql_q "SELECT count(*) FROM delete_audit WHERE object_id = 'lost'")"
# The version was live all along: the same delete now succeeds.
req DELETE /v2/acme/proj/models/lost -H "$B"
expect "lost delete, sent again by the client" 200 '{"num_deleted":1}'

stack_pg_stop "$T/pg" fast
req DELETE /v2/acme/proj/models/locked -H "$B"
expect "database down" 503 '{"reason":"Service temporarily unavailable","error_type":"ServiceUnavailable"}'
expect_hdr "database down Retry-After" Retry-After "1"
req GET /health;				expect "health, database down" 503 '{"status":"unavailable"}'
stack_pg_start "$T/pg" "$T/sock" "-c fsync=off"
# PgBouncer itself waits server_login_retry (1 s) after a failed login.
[ "${PGBOUNCER:-0}" = 1 ] && sleep 1.2
req DELETE /v2/acme/proj/models/locked -H "$B"
expect "first request after restart" 200 '{"num_deleted":1}'
# Every worker holds a connection now; restart again: none may surface.
for i in 1 2 3 4 5 6 7 8; do req GET /health; done
stack_pg_stop "$T/pg" fast
stack_pg_start "$T/pg" "$T/sock" "-c fsync=off"
CODES=""
for i in 1 2 3 4 5 6 7 8; do req GET /health; CODES="$CODES$CODE "; done
expect_eq "stale connections replaced" "200 200 200 200 200 200 200 200 " "$CODES"

# --- 7. the access log ----------------------------------------------------
LINE=$(grep ' e2e-latest.1 ' "$APPLOG" | head -n 1)
expect_eq "access log line" "DELETE /v2/acme/proj/models/m1 200 1" \
    "$(echo "$LINE" | sed 's/.* e2e-latest.1 //' | awk '{ print $1, $2, $3, $4 }')"
LEAKED=0
for k in $KEYS; do grep -rqF "$k" "$APPLOG" "$T/front" && LEAKED=1; done
expect_eq "no key in any log" 0 "$LEAKED"

# --- models-admin ---------------------------------------------------------
"$ADMIN" key revoke 999999 2>/dev/null;		expect_eq "revoke unknown id" 1 $?
"$ADMIN" key create 'bad entity' 2>/dev/null;	expect_eq "bad entity" 2 $?
"$ADMIN" key create acme --role owner 2>/dev/null; expect_eq "bad role" 2 $?
"$ADMIN" model add acme proj m --val '{bad' 2>/dev/null; expect_eq "bad JSON" 2 $?
"$ADMIN" model add acme proj m --val '[1,]' 2>"$T/err"; expect_eq "bad JSON, trailing comma" 2 $?
expect_eq "bad JSON message" "models-admin: --val is not valid JSON: Expecting value at character 3" \
    "$(cat "$T/err")"
# Weave's digest rules (README, lib/openapi.json) vector; then the same value spelled otherwise.
V94='{"_type":"Model","_class_name":"Model","_bases":["Object","BaseModel"],"name":"My Model","description":null,"files":{"obj.py":"0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4"},"temperature":0.7}'
expect_eq "model add digest is 9.4's" "l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw 0" \
    "$("$ADMIN" model add acme proj vec94 --val "$V94")"
expect_eq "key order, spacing, 0.70: same digest" "l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw 0" \
    "$("$ADMIN" model add acme proj vec94 --val " { \"temperature\" : 0.70, ${V94#\{}")"
"$ADMIN" frobnicate 2>"$T/err";			expect_eq "bad command" 2 $?
expect_eq "usage is one line" 1 "$(wc -l <"$T/err")"
DATABASE_URL="postgresql:///models?host=$T/nowhere" "$ADMIN" key list 2>/dev/null
expect_eq "database error" 1 $?
# KEY_ID ENTITY ROLE CREATED_AT [revoked]
TSZ='[0-9-]{10}T[0-9:]{8}Z'
expect_eq "key list format" 1 "$("$ADMIN" key list acme | grep -cE "^[0-9]+ acme read $TSZ$")"
# X and the three acme keys of the matrix.
expect_eq "revoked marked" 4 "$("$ADMIN" key list acme | grep -c ' revoked$')"
# --long: KEY_ID ENTITY ROLE CREATED_AT LAST_USED|- active|revoked LABEL|-
expect_eq "key list --long format" 1 "$("$ADMIN" key list acme --long | grep -cE "^[0-9]+ acme read $TSZ ($TSZ|-) active -$")"
expect_eq "key list --long: revoked" 4 "$("$ADMIN" key list --long acme | grep -c ' revoked -$')"
# W served requests: its last use is set (at most once an hour per process).
expect_eq "last use recorded" 1 "$("$ADMIN" key list acme --long | head -n 1 | grep -cE "^[0-9]+ acme write $TSZ $TSZ active -$")"
expect_eq "never used: -" 1 "$("$ADMIN" key list acme --long | grep -cE "^$XID acme write $TSZ - revoked -$")"
L=$("$ADMIN" key create acme --label 'ci deploy key' 2>"$T/err")
LID=$(sed -n 's/^key id \([0-9]*\)$/\1/p' "$T/err")
expect_eq "key create: stdout the key alone" 1 "$(echo "$L" | grep -cxE '[0-9a-f]{40}')"
expect_eq "key create: stderr one line, the id" "key id $LID" "$(cat "$T/err")"
expect_eq "key create: the id is the new key's" "$LID acme write" \
    "$("$ADMIN" key list acme | tail -n 1 | cut -d' ' -f1-3)"
expect_eq "key list: the label, spaces and all" 1 "$("$ADMIN" key list acme --long | grep -cE "^$LID acme write $TSZ - active ci deploy key$")"
expect_eq "key revoke confirms" 1 "$("$ADMIN" key revoke "$LID" | grep -cE "^revoked key $LID \(acme write, ci deploy key\) at $TSZ$")"
expect_eq "key revoke again: says so, exit 0" "1 0" "$("$ADMIN" key revoke "$LID" | grep -cE "^already revoked: key $LID \(acme write, ci deploy key\) at $TSZ$") $?"
"$ADMIN" key create acme --label "$(printf 'a\nb')" 2>/dev/null; expect_eq "label with a newline" 2 $?
expect_eq "migrate again: nothing to do" "nothing to do: all $(ls "$ROOT"/sql/[0-9]*.sql | wc -l) migrations were applied already" \
    "$("$ADMIN" migrate)"

# --- valgrind reports (VALGRIND=1 with FRONT=cgi) -------------------------
if [ -n "${VALGRIND_LOG:-}" ]; then
	NVG=$(ls "$VALGRIND_LOG".* 2>/dev/null | wc -l)
	expect_eq "valgrind ran per request" 1 $(( NVG > 100 ))
	expect_eq "valgrind: no errors, nothing definitely lost" "" \
	    "$(cat "$VALGRIND_LOG".* 2>/dev/null | head -n 40)"
fi

# --- sanitizer reports ----------------------------------------------------
stack_stop_pid "$T/app.pid"
REPORTS=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$APPLOG")
expect_eq "no sanitizer reports" 0 "$REPORTS"
[ "$REPORTS" = 0 ] || grep -E -A20 'Sanitizer|runtime error' "$APPLOG" | head -n 60

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
