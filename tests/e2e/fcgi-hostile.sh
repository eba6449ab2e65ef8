#!/usr/bin/env bash
# Hostile FastCGI records sent straight to the app's socket, bypassing the
# front server: an oversized parameter length (the CVE-2025-23016 pattern;
# Debian's libfcgi 2.4.2-2+deb12u1 carries the fix), lengths past the end of
# the record, a truncated header, an unknown record type, random bytes, a
# connection that sends nothing, and more connections than workers that
# stall mid-header. After each, the service must still answer
# through lighttpd and the app process must still be the same one.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

test_stack_begin fcgi || exit 1
MODELS_API_THREADS=2 stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" || exit 1
PID=$(cat "$T/app.pid")
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" /dev/null || exit 1
BASE="http://127.0.0.1:$PORT"

# send NAME HEX: writes the bytes to the app socket, waits up to 3 s for
# the app to answer or close, then checks the service and the process.
send() {
	python3 - "$T/app.sock" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(3)
s.connect(sys.argv[1])
try:
    s.sendall(bytes.fromhex(sys.argv[2]))
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
except OSError:
    pass
PY
	req GET /health
	expect "$1: service answers" 200 '{"status":"ok"}'
	expect_eq "$1: same process" "$PID" "$(pgrep -f "$BUILD/models-api" | grep -x "$PID")"
}

BEGIN=01010001000800000001000000000000	# BEGIN_REQUEST, id 1, responder
# PARAMS with a name length of 0x7fffffff in the 4-byte form.
send "oversized name length" "${BEGIN}01040001000800007fffffff00000001"
# PARAMS whose value length points past the record's end.
send "length past record" "${BEGIN}010400010006000004ff0000ffff41424344"
send "truncated header" "0101000100"
send "unknown record type" "${BEGIN}01630001000000000104000100000000"
send "random bytes" "$(head -c 512 /dev/urandom | od -An -tx1 | tr -d ' \n')"
send "nothing at all" ""
# More connections than workers (64) each send half a record header and
# then nothing, the connection left open: each worker's first read gives
# up after the connection's read limit (200 ms), so none is held and
# /health through the front answers at once. Before that limit was set
# at accept, libfcgi's read of the request waited forever.
python3 - "$T/app.sock" <<'PY' &
import socket, sys, time
held = []
for _ in range(80):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(bytes.fromhex("0101000100"))
    held.append(s)
time.sleep(6)
PY
HOLDER=$!
sleep 1
: >"$T/body"
# The holder keeps them open 5 s more: an answer within 4 s is one no
# stalled connection waited for.
curl -s -o "$T/body" -w '%{http_code}' --max-time 4 "$BASE/health" >"$T/code"
expect_eq "80 connections stalled mid-header: /health answers while they are open" \
    "200 {\"status\":\"ok\"}" "$(cat "$T/code") $(cat "$T/body")"
wait "$HOLDER"
# A valid request still works through the front, and the app logged no crash.
req GET /nope
expect "valid request afterwards" 404 '{"detail":"Not Found"}'
expect_eq "no abort in the app log" 0 "$(grep -ci 'abort\|sanitizer\|segv' "$T/app.log")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
