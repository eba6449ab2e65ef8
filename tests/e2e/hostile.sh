#!/usr/bin/env bash
# Hostile and careless clients through every front server (dev configs and
# Debian's stock ones with the shipped files): no client takes the service
# from others. One PostgreSQL for all, with a list of more than 20 MB
# written straight into the tables (tests/bench/load-list.sql); then, per
# front, a fresh app and front server and tests/e2e/hostile.py, which
# checks the absolute-form target and, in one window of attacks at once
# (slow uploads, stalled list downloads, 4 MiB bodies with a made-up key,
# 16 clients of mixed creates and deletes) while a probe reads a version
# every 100 ms: no probe failing and its p99 under 500 ms, only 200 and 404
# for the mixed clients, a 401 with a 4 MiB body at most 3x the app time of
# a bodiless one, RSS 5 s after the burst at most 2x idle + 16 MB, every
# app log line with its request id.
# The window is HOSTILE_WINDOW seconds (default 30) for the stock configs,
# the shipped files, and HOSTILE_DEV_WINDOW (default 10) for the dev ones,
# to keep the stage under 3 minutes. FRONTS="nginx stock-apache" picks
# some; HOSTILE_ATTACKS="stall" runs only some of the attacks (slow stall
# big mixed) in the window, to see which one does harm. KEEP=1 keeps the
# logs. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FRONTS=${FRONTS:-lighttpd nginx apache stock-lighttpd stock-nginx stock-apache}
WINDOW=${HOSTILE_WINDOW:-30}
DEV_WINDOW=${HOSTILE_DEV_WINDOW:-10}
ATTACKS=${HOSTILE_ATTACKS:-slow stall big mixed}
LIST_VERSIONS=${HOSTILE_LIST_VERSIONS:-60000}
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
ADMIN=$BUILD/models-admin
# The app as shipped: its default workers and body limit, and its body and
# send deadlines at their defaults (10 s each; a dev window is no longer).
unset MODELS_API_THREADS MODELS_API_MAX_BODY_BYTES MODELS_API_STATEMENT_TIMEOUT_MS
export MODELS_API_BODY_TIMEOUT_MS=10000 MODELS_API_SEND_TIMEOUT_MS=10000

test_stack_begin hostile || { echo "PostgreSQL or migrate failed"; echo "0 passed, 1 failed"; exit 1; }
KEY=$("$ADMIN" key create bench) || { echo "0 passed, 1 failed"; exit 1; }
"$PGBIN/psql" "$DATABASE_URL" -q -v project=biglist -v n="$LIST_VERSIONS" \
    -f "$ROOT/tests/bench/load-list.sql" >"$T/seed.log" 2>&1 ||
    { cat "$T/seed.log"; echo "0 passed, 1 failed"; exit 1; }
PROBE_BODY='{"name":"probe","source_code":"import weave\n","attributes":{"t":0.5}}'
LISTED=0

for front in $FRONTS; do
	case $front in stock-*) win=$WINDOW ;; *) win=$DEV_WINDOW ;; esac
	applog=$T/app-$front.log
	stack_app_start "$T/app.sock" "$applog" "$T/app.pid" ||
	    { fail "$front: app" "did not start"; continue; }
	PORT=$(stack_free_port)
	if ! stack_front_start "$front" "$T/front" "$PORT" "$T/app.sock" \
	    "$applog" 2>"$T/front-start.log"; then
		fail "$front" "did not start: $(head -c 300 "$T/front-start.log")"
		stack_stop_pid "$T/app.pid"
		continue
	fi
	BASE="http://127.0.0.1:$PORT"
	# The probe's version (the same content each time: one version).
	code=$(curl -s -o "$T/probe.out" -w '%{http_code}' --max-time 30 \
	    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	    --data-binary "$PROBE_BODY" "$BASE/v2/bench/proj/models")
	if [ "$code" = 200 ]; then pass; else
		fail "$front: the probe's version" "$code $(head -c 300 "$T/probe.out")"; fi
	# Once: the list the stalled readers ask for is big enough.
	if [ $LISTED = 0 ]; then
		LISTED=1
		size=$(curl -s --max-time 60 -H "Authorization: Bearer $KEY" \
		    "$BASE/v2/bench/biglist/models" | wc -c)
		if [ "$size" -ge $((20 * 1000 * 1000)) ]; then pass; else
			fail "the stalled readers' list" "$size bytes, not 20 MB"; fi
		echo "# the stalled readers' list: $size bytes"
	fi
	echo "# $front: window ${win} s: probe + $ATTACKS"
	t0=$SECONDS
	python3 "$ROOT/tests/e2e/hostile.py" front "$front" --port "$PORT" \
	    --key "$KEY" --app-pid "$(cat "$T/app.pid")" --app-log "$applog" \
	    --app-sock "$T/app.sock" --window "$win" --attacks "$ATTACKS" \
	    >"$T/out" 2>"$T/err"
	while IFS= read -r line; do
		case $line in
		PASS*)	pass; echo "# $line" ;;
		FAIL*)	FAIL=$((FAIL + 1)); echo "$line" ;;
		*)	echo "$line" ;;
		esac
	done <"$T/out"
	grep -q . "$T/err" && fail "$front: hostile.py" "$(tail -n 5 "$T/err")"
	stack_stop_pid "$T/front/front.pidfile"
	stack_stop_pid "$T/app.pid"
	rm -rf "$T/front"
	echo "# $front: $((SECONDS - t0)) s"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
