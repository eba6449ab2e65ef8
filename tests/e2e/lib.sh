# Assertions for the end-to-end tests: each prints a line only on failure,
# naming the case, what was expected and what came back.

PASS=0
FAIL=0

# req METHOD PATH [curl args...]: one HTTP request through the front
# server; sets CODE and BODY, headers in $T/hdrs. The path goes out exactly
# as written (no globbing, no dot-segment folding). For HEAD, BODY is what
# arrived after the headers until the server closed the connection (curl
# --head would read nothing whatever came): it must be "".
req() {
	local m=$1 p=$2
	shift 2
	: >"$T/body"
	case $m in
	HEAD)	set -- -X HEAD -H 'Connection: close' "$@" ;;
	POST|PUT|PATCH) set -- -X "$m" --data-binary '' "$@" ;;
	*)	set -- -X "$m" "$@" ;;
	esac
	CODE=$(curl -s -g --path-as-is -o "$T/body" -D "$T/hdrs" \
	    -w '%{http_code}' --max-time 30 "$@" "$BASE$p")
	BODY=$(cat "$T/body")
}

# raw_req METHOD PATH [AUTHORIZATION]: one request straight to the app,
# bypassing the front server, which hides some of what the app does (every
# front drops a body sent on HEAD and strips trailing spaces from header
# values): FastCGI to $T/app.sock when there is one, else the app run once
# in CGI mode (as www-data under root). Sets CODE and BODY as req does.
raw_req() {
	local m=$1 p=$2 a=${3:-}
	if [ -S "$T/app.sock" ]; then
		set -- fcgi "$T/app.sock"
	elif [ "$(id -u)" -eq 0 ]; then
		set -- cgi runuser -u www-data -- "$BUILD/models-api"
	else
		set -- cgi "$BUILD/models-api"
	fi
	: >"$T/body"
	CODE=$(python3 "$ROOT/tests/e2e/rawreq.py" "$T/hdrs" "$T/body" \
	    "$m" "$p" "$a" "$@" 2>>"$T/rawreq.log")
	BODY=$(cat "$T/body")
}

# hdr NAME: the value of response header NAME (first one), CR stripped.
hdr() {
	grep -i "^$1:" "$T/hdrs" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

pass() { PASS=$((PASS + 1)); }
fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s: %s\n' "$1" "$2"
}

# expect NAME CODE BODY: the last response had exactly this status and body.
expect() {
	if [ "$CODE" = "$2" ] && [ "$BODY" = "$3" ]; then
		pass
	else
		fail "$1" "expected $2 $3, got $CODE $BODY"
	fi
}

# expect_hdr NAME HEADER VALUE: the last response's HEADER is exactly VALUE
# ("" means absent).
expect_hdr() {
	local got
	got=$(hdr "$2")
	if [ "$got" = "$3" ]; then
		pass
	else
		fail "$1" "expected $2: '$3', got '$got'"
	fi
}

# expect_eq NAME EXPECTED GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# test_stack_begin NAME: makes the temporary directory $T (removed at exit,
# kept with KEEP=1, after stopping what the stack functions started in it:
# front server, app, PgBouncer, PostgreSQL) and a fresh, migrated cluster
# in it with DATABASE_URL set. Returns non-zero if the cluster fails.
test_stack_begin() {
	T=$(mktemp -d "/tmp/models-$1.XXXXXX")
	chmod 755 "$T"
	trap test_stack_end EXIT
	stack_pg_init "$T/pg" &&
	    stack_pg_start "$T/pg" "$T/sock" "-c fsync=off" &&
	    "$BUILD/models-admin" migrate >/dev/null
}

test_stack_end() {
	stack_stop_pid "$T/front/front.pidfile"
	stack_stop_pid "$T/app.pid"
	stack_pgbouncer_stop "$T/bouncer"
	stack_pg_stop "$T/pg" immediate
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}

# psql_q SQL: one query against the test cluster, unaligned, no headers.
psql_q() { "$PGBIN/psql" "$DATABASE_URL" -Atqc "$1"; }
