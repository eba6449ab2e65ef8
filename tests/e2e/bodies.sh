#!/usr/bin/env bash
# Request bodies through every front server, dev and stock configs
# (lighttpd, nginx, Apache; stock-* = Debian's own config tree with the
# shipped file enabled, see deploy/stack.sh), in front of a FastCGI echo
# (tests/e2e/fcgi-echo.c) instead of the app:
#   - a 5 MiB body with Content-Length reaches the app whole, and
#     CONTENT_LENGTH says so (the app's own limit is 4 MiB: its 413 must be
#     the one a client sees, not the front's);
#   - a chunked body (Transfer-Encoding: chunked, no Content-Length), small
#     and 5 MiB, reaches the app whole with CONTENT_LENGTH set: the front
#     buffers it;
#   - a 9 MiB body is refused by lighttpd and nginx (413) without reaching
#     the app; Apache passes it on with its length (the app's 413 answers).
# FRONTS="nginx stock-apache" picks some. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
FRONTS=${FRONTS:-lighttpd nginx apache stock-lighttpd stock-nginx stock-apache}

T=$(mktemp -d /tmp/models-bodies.XXXXXX)
chmod 755 "$T"
cleanup() {
	stack_stop_pid "$T/front/front.pidfile"
	stack_stop_pid "$T/app.pid"
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

mkdir -p "$T/bin"
# shellcheck disable=SC2046
if ! gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$T/bin/models-api" \
    "$ROOT/tests/e2e/fcgi-echo.c" $(pkg-config --cflags --libs fcgi); then
	echo "fcgi-echo does not build"
	echo "0 passed, 1 failed"
	exit 1
fi
BUILD=$T/bin
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T/5m"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T/9m"
printf 'hello' >"$T/small"
P=/v2/acme/proj/models

# post BODYFILE [curl args]: POST it through the front; sets CODE and BODY.
post() {
	local file=$1
	shift
	CODE=$(curl -s -o "$T/out" -w '%{http_code}' --max-time 60 \
	    -H 'Content-Type: application/json' -H 'Expect:' \
	    --data-binary "@$file" "$@" "$BASE$P")
	BODY=$(cat "$T/out")
}

# seen: the status, and what the app saw when it got the body.
seen() {
	if [ "$CODE" = 200 ]; then echo "$CODE $BODY"; else echo "$CODE"; fi
}

for front in $FRONTS; do
	rm -rf "$T/front"
	stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" ||
	    { fail "$front: echo" "did not start"; continue; }
	PORT=$(stack_free_port)
	if ! stack_front_start "$front" "$T/front" "$PORT" "$T/app.sock" \
	    "$T/app.log" 2>"$T/front-start.log"; then
		fail "$front" "did not start: $(head -c 300 "$T/front-start.log")"
		stack_stop_pid "$T/app.pid"
		continue
	fi
	BASE="http://127.0.0.1:$PORT"
	post "$T/5m"
	expect "$front: 5 MiB with Content-Length" 200 "CONTENT_LENGTH=5242880 read=5242880"
	post "$T/small" -H 'Transfer-Encoding: chunked'
	expect "$front: small chunked body" 200 "CONTENT_LENGTH=5 read=5"
	post "$T/5m" -H 'Transfer-Encoding: chunked'
	expect "$front: 5 MiB chunked body" 200 "CONTENT_LENGTH=5242880 read=5242880"
	# Apache does not apply LimitRequestBody to the bodies it proxies:
	# the app gets them, with their length, and its own 413 answers.
	case $front in
	*apache) TOO_BIG="200 CONTENT_LENGTH=9437184 read=9437184" ;;
	*)	 TOO_BIG=413 ;;
	esac
	post "$T/9m"
	expect_eq "$front: 9 MiB body" "$TOO_BIG" "$(seen)"
	post "$T/9m" -H 'Transfer-Encoding: chunked'
	expect_eq "$front: 9 MiB chunked body" "$TOO_BIG" "$(seen)"
	stack_stop_pid "$T/front/front.pidfile"
	stack_stop_pid "$T/app.pid"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
