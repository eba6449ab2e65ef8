#!/usr/bin/env bash
# GET /metrics against a real stack (PostgreSQL, models-api under
# spawn-fcgi, lighttpd in front), read with Prometheus' own tools:
#   a. the scrape: 200, Prometheus' text type, `promtool check metrics`
#      clean, build_info names the changelog's version;
#   b. a known set of requests (5 creates, 1 bad create, 3 reads, 1 list,
#      4 unauthenticated deletes, 2 unknown paths, 3 health checks, 1
#      refused /metrics) moves the request counters by exactly those
#      numbers and nothing else; the histogram counts agree; read with
#      python3-prometheus-client's parser (tests/e2e/promdelta.py);
#   c. the database counters: a statement timeout, a refused connection
#      (database down) and the reconnect after it, each by exactly 1;
#   d. who may read it: a non-local REMOTE_ADDR gets a 404 (straight to
#      the app over FastCGI, as a front would pass it), so does anyone
#      with MODELS_API_METRICS=off; =all lets that address in; a bad value
#      stops the program at start;
#   e. the shipped lighttpd, nginx and Apache files in Debian's stock
#      configs pass /metrics on to a scraper on this host.
# One worker and one connection (MODELS_API_CONNECTIONS=1, MODELS_API_THREADS=1),
# so the reconnect is the one connection
# that was lost. Last line: "N passed, N failed". KEEP=1 keeps $T.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FRONT=lighttpd
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

# Debian's python3 (a python3 earlier in PATH may not see Debian's modules).
PY=/usr/bin/python3
command -v promtool >/dev/null ||
    { echo "promtool missing (tools/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
    { echo "python3-prometheus-client missing (tools/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }

test_stack_begin metrics || { echo "PostgreSQL or migrate failed"; exit 1; }
ADMIN=$BUILD/models-admin
export MODELS_API_STATEMENT_TIMEOUT_MS=1500 MODELS_API_THREADS=1 \
    MODELS_API_CONNECTIONS=1
stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" || exit 1
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" "$T/app.log" ||
    { echo "lighttpd failed to start"; exit 1; }
BASE="http://127.0.0.1:$PORT"
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$ROOT/deploy/debian/changelog")

W=$("$ADMIN" key create acme)
B="Authorization: Bearer $W"
"$ADMIN" model add acme proj seed --val '{"a":1}' >/dev/null
"$ADMIN" model add acme proj locked --val '{"a":1}' >/dev/null
N=0

# scrape NAME: GET /metrics through the front into $T/NAME.prom.
scrape() {
	req GET /metrics
	cp "$T/body" "$T/$1.prom"
}

# delta NAME BEFORE AFTER EXPECTED: promdelta.py's report is exactly this.
delta() {
	local got
	got=$("$PY" "$ROOT/tests/e2e/promdelta.py" "$T/$2.prom" "$T/$3.prom" 2>&1)
	expect_eq "$1" "$4" "$got"
}

# --- a. the scrape ------------------------------------------------------------
scrape s0
expect_eq "scrape: status" 200 "$CODE"
expect_hdr "scrape: type" Content-Type "text/plain; version=0.0.4; charset=utf-8"
expect_eq "scrape: promtool check metrics" "" \
    "$(promtool check metrics <"$T/s0.prom" 2>&1)"
expect_eq "scrape: build_info" "models_api_build_info{version=\"$VERSION\"} 1" \
    "$(grep '^models_api_build_info' "$T/s0.prom")"
start=$(sed -n 's/^process_start_time_seconds \([0-9]*\)\..*/\1/p' "$T/s0.prom")
now=$(date +%s)
expect_eq "scrape: start time within the last 10 minutes" yes \
    "$([ -n "$start" ] && [ "$start" -le "$now" ] && [ $((now - start)) -lt 600 ] && echo yes)"
req HEAD /metrics
expect_eq "HEAD /metrics: 200, no body" "200 " "$CODE $BODY"
expect_hdr "HEAD /metrics: type" Content-Type "text/plain; version=0.0.4; charset=utf-8"
req POST /metrics
expect_hdr "POST /metrics: Allow" Allow "GET, HEAD"

# --- b. requests counted exactly --------------------------------------------
scrape s1
for i in 1 2 3 4 5; do
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$B" \
	    -H 'Content-Type: application/json' \
	    --data-binary "{\"name\":\"m$i\",\"source_code\":\"x\"}" \
	    "$BASE/v2/acme/proj/models")
	[ "$CODE" = 200 ] && N=$((N + 1))
done
expect_eq "5 creates answered 200" 5 "$N"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$B" \
    -H 'Content-Type: application/json' --data-binary '{"name":""}' \
    "$BASE/v2/acme/proj/models")
expect_eq "bad create: 422" 422 "$CODE"
for i in 1 2 3; do
	req GET /v2/acme/proj/models/m$i/versions/v0 -H "$B"
	expect_eq "read $i: 200" 200 "$CODE"
done
req GET /v2/acme/proj/models -H "$B";		expect_eq "list: 200" 200 "$CODE"
for i in 1 2 3 4; do
	req DELETE /v2/acme/proj/models/seed
	expect_eq "unauthenticated delete $i: 401" 401 "$CODE"
done
req GET /nope;					expect_eq "unknown path: 404" 404 "$CODE"
req GET /v2/acme;				expect_eq "unknown path: 404" 404 "$CODE"
req GET /health;				expect_eq "health: 200" 200 "$CODE"
req GET /health;				expect_eq "health: 200" 200 "$CODE"
req HEAD /health;				expect_eq "HEAD health: 200" 200 "$CODE"
# Refused: counted as what it looks like to that client, an unknown path.
RAWREQ_REMOTE_ADDR=203.0.113.5 raw_req GET /metrics
expect "non-local /metrics: 404" 404 '{"detail":"Not Found"}'
scrape s2
# The scrape s1 itself is counted once it is answered: metrics 1. One
# worker, serving the scrape s2: busy 1.
delta "counters moved by exactly the requests sent" s1 s2 \
'gauge models_api_build_info{version='"$VERSION"'} 1
gauge models_api_busy_workers 1
gauge models_api_lists_in_flight 0
gauge models_api_workers 1
models_api_request_duration_seconds_count{route=health} 3
models_api_request_duration_seconds_count{route=metrics} 1
models_api_request_duration_seconds_count{route=model_create} 6
models_api_request_duration_seconds_count{route=model_delete} 4
models_api_request_duration_seconds_count{route=model_list} 1
models_api_request_duration_seconds_count{route=model_read} 3
models_api_request_duration_seconds_count{route=not_found} 3
models_api_requests_total{method=DELETE,route=model_delete,status=401} 4
models_api_requests_total{method=GET,route=health,status=200} 2
models_api_requests_total{method=GET,route=metrics,status=200} 1
models_api_requests_total{method=GET,route=model_list,status=200} 1
models_api_requests_total{method=GET,route=model_read,status=200} 3
models_api_requests_total{method=GET,route=not_found,status=404} 3
models_api_requests_total{method=HEAD,route=health,status=200} 1
models_api_requests_total{method=POST,route=model_create,status=200} 5
models_api_requests_total{method=POST,route=model_create,status=422} 1'
expect_eq "scrape after requests: promtool check metrics" "" \
    "$(promtool check metrics <"$T/s2.prom" 2>&1)"

# --- c. database counters ---------------------------------------------------
# A row lock outlives the 1.5 s statement timeout: the delete is cancelled.
"$PGBIN/psql" "$DATABASE_URL" -qc "BEGIN; SELECT 1 FROM models WHERE object_id = 'locked' FOR UPDATE; SELECT pg_sleep(6); COMMIT;" >/dev/null 2>&1 &
LOCKER=$!
for _ in $(seq 1 100); do
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(6)%' AND pid <> pg_backend_pid()")" = 1 ] && break
	sleep 0.05
done
req DELETE /v2/acme/proj/models/locked -H "$B"
expect_eq "delete under a held lock: 503" 503 "$CODE"
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null
psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(6)%' AND pid <> pg_backend_pid()" >/dev/null
scrape s3
delta "statement timeout counted once" s2 s3 \
'gauge models_api_build_info{version='"$VERSION"'} 1
gauge models_api_busy_workers 1
gauge models_api_lists_in_flight 0
gauge models_api_workers 1
models_api_db_statement_timeouts_total 1
models_api_request_duration_seconds_count{route=metrics} 1
models_api_request_duration_seconds_count{route=model_delete} 1
models_api_requests_total{method=DELETE,route=model_delete,status=503} 1
models_api_requests_total{method=GET,route=metrics,status=200} 1'

# The database goes away: /health's connection attempt is refused.
stack_pg_stop "$T/pg"
req GET /health;			expect_eq "health, database down: 503" 503 "$CODE"
scrape s4
delta "refused connection counted once" s3 s4 \
'gauge models_api_build_info{version='"$VERSION"'} 1
gauge models_api_busy_workers 1
gauge models_api_lists_in_flight 0
gauge models_api_workers 1
models_api_db_errors_total{kind=connect} 1
models_api_request_duration_seconds_count{route=health} 1
models_api_request_duration_seconds_count{route=metrics} 1
models_api_requests_total{method=GET,route=health,status=503} 1
models_api_requests_total{method=GET,route=metrics,status=200} 1'
stack_pg_start "$T/pg" "$T/sock" "-c fsync=off" || echo "PostgreSQL did not restart"
req GET /health;			expect_eq "health, database back: 200" 200 "$CODE"
scrape s5
delta "reconnect counted once" s4 s5 \
'gauge models_api_build_info{version='"$VERSION"'} 1
gauge models_api_busy_workers 1
gauge models_api_lists_in_flight 0
gauge models_api_workers 1
models_api_db_reconnects_total 1
models_api_request_duration_seconds_count{route=health} 1
models_api_request_duration_seconds_count{route=metrics} 1
models_api_requests_total{method=GET,route=health,status=200} 1
models_api_requests_total{method=GET,route=metrics,status=200} 1'

# --- d. who may read it -----------------------------------------------------
for addr in 127.0.0.1 127.9.8.7 ::1; do
	RAWREQ_REMOTE_ADDR=$addr raw_req GET /metrics
	expect_eq "/metrics from $addr: 200" 200 "$CODE"
done
for addr in 10.0.0.1 192.168.1.2 2001:db8::1 ::ffff:10.0.0.1; do
	RAWREQ_REMOTE_ADDR=$addr raw_req GET /metrics
	expect "/metrics from $addr: 404" 404 '{"detail":"Not Found"}'
	RAWREQ_REMOTE_ADDR=$addr raw_req POST /metrics
	expect "POST /metrics from $addr: 404, no Allow" 404 '{"detail":"Not Found"}'
done
# The setting, in CGI mode (one request, the environment as given).
cgi_metrics() {	# MODE ADDR: the status of GET /metrics
	env MODELS_API_ALLOW_ROOT=1 MODELS_API_METRICS="$1" RAWREQ_REMOTE_ADDR="$2" \
	    python3 "$ROOT/tests/e2e/rawreq.py" "$T/hdrs" "$T/body" GET /metrics "" \
	    cgi "$BUILD/models-api" 2>>"$T/rawreq.log"
}
expect_eq "MODELS_API_METRICS=off, local: 404" 404 "$(cgi_metrics off 127.0.0.1)"
expect_eq "MODELS_API_METRICS=local, remote: 404" 404 "$(cgi_metrics local 203.0.113.5)"
expect_eq "MODELS_API_METRICS=all, remote: 200" 200 "$(cgi_metrics all 203.0.113.5)"
out=$(env MODELS_API_ALLOW_ROOT=1 MODELS_API_METRICS=public REQUEST_METHOD=GET \
    REQUEST_URI=/metrics "$BUILD/models-api" 2>&1)
expect_eq "MODELS_API_METRICS=public: exit 2, named" \
    '2 models-api: MODELS_API_METRICS must be local, off or all, not "public"' \
    "$? $out"

# --- e. the shipped front files ------------------------------------------------
# Debian's stock lighttpd, nginx and Apache with the shipped file enabled
# (as tests/e2e/run.sh FRONT=stock-... does): a scraper on this host
# reaches /metrics through each. (Their refusal of other hosts cannot be
# shown here: every address this test can connect from is a loopback one.)
SAVED_BASE=$BASE
for front in lighttpd nginx apache; do
	p=$(stack_free_port)
	if stack_front_start "stock-$front" "$T/stock-$front" "$p" "$T/app.sock" \
	    "$T/app.log" >"$T/stock-$front.log" 2>&1; then
		BASE="http://127.0.0.1:$p"
		req GET /metrics
		expect_eq "stock $front: /metrics from localhost" "200 yes" \
		    "$CODE $(grep -q '^models_api_build_info{' "$T/body" && echo yes)"
		expect_hdr "stock $front: type" Content-Type \
		    "text/plain; version=0.0.4; charset=utf-8"
		req GET /metricsx
		expect_eq "stock $front: /metricsx is not /metrics" no \
		    "$(grep -q '^models_api_build_info{' "$T/body" && echo yes || echo no)"
	else
		fail "stock $front" "did not start: $(tail -n 5 "$T/stock-$front.log")"
	fi
	stack_stop_pid "$T/stock-$front/front.pidfile"
done
BASE=$SAVED_BASE

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
