#!/usr/bin/env bash
# Where models-api's log lines go (lib/log.c, log_init):
#   a. stderr a plain file: plain lines;
#   b. stderr the journal stream that JOURNAL_STREAM names (systemd): "<6>"
#      before access lines, "<3>" before errors; JOURNAL_STREAM naming some
#      other stream: plain;
#   c. stderr /dev/null, as spawn-fcgi without -n leaves it: syslog
#      (facility daemon), caught on a private /dev/log in a mount
#      namespace (needs root and unshare; skipped otherwise), both in CGI
#      mode and under a detached spawn-fcgi serving a FastCGI request;
#      and with no /dev/log either (no syslog daemon, no journald), the app
#      refuses to start (exit 2) rather than log to nothing;
#   d. SIGHUP: graceful stop, exit 0.
# No database: /health against an unreachable one answers 503 and logs an
# error. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
T=$(mktemp -d /tmp/models-logs.XXXXXX)
chmod 755 "$T"
trap 'stack_stop_pid "$T/hup.pid"; [ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
export DATABASE_URL="postgresql:///models?host=$T/nowhere" MODELS_API_ALLOW_ROOT=1
APP=$BUILD/models-api
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z'

# cgi PATH: one CGI request (GET PATH) through the app, stderr to $T/err.
cgi() {
	env REQUEST_METHOD=GET REQUEST_URI="$1" "$APP" >/dev/null 2>"$T/err"
}

# --- a. plain -------------------------------------------------------------------
unset JOURNAL_STREAM
cgi /nope
expect_eq "a: access line, plain" 1 "$(grep -cE "^$TS [0-9a-f]+ GET /nope 404 - [0-9]+ -$" "$T/err")"

# --- b. journal -----------------------------------------------------------------
: >"$T/err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/err") cgi /health
expect_eq "b: error line <3>" 1 "$(grep -cE "^<3>$TS models-api: [0-9a-f]+ database connection failed" "$T/err")"
expect_eq "b: access line <6>" 1 "$(grep -cE "^<6>$TS [0-9a-f]+ GET /health 503 - [0-9]+ -$" "$T/err")"
expect_eq "b: every line prefixed" 0 "$(grep -cv '^<[36]>' "$T/err")"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T") cgi /nope
expect_eq "b: JOURNAL_STREAM of another stream: plain" 1 "$(grep -cE "^$TS [0-9a-f]+ GET /nope 404" "$T/err")"
JOURNAL_STREAM=garbage cgi /nope
expect_eq "b: JOURNAL_STREAM garbage: plain" 1 "$(grep -cE "^$TS [0-9a-f]+ GET /nope 404" "$T/err")"

# --- c. syslog when stderr is /dev/null -------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v python3 >/dev/null &&
    command -v cgi-fcgi >/dev/null && unshare -m true 2>/dev/null; then
	cat >"$T/c.sh" <<'EOC'
set -u
T=$1 APP=$2
# A private /dev: only null, and a /dev/log socket this script reads.
touch "$T/null" && mount --bind /dev/null "$T/null" &&
    mount -t tmpfs tmpfs /dev && touch /dev/null &&
    mount --bind "$T/null" /dev/null || { echo "no private /dev"; exit 1; }
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open(sys.argv[1] + "/ready", "w").close()
with open(sys.argv[1] + "/syslog", "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
' "$T" &
LISTENER=$!
for _ in $(seq 1 100); do [ -e "$T/ready" ] && break; sleep 0.05; done
env REQUEST_METHOD=GET REQUEST_URI=/cgi-null "$APP" >/dev/null 2>/dev/null
env REQUEST_METHOD=GET REQUEST_URI=/health "$APP" >/dev/null 2>/dev/null
env MODELS_API_THREADS=0 REQUEST_METHOD=GET REQUEST_URI=/bad "$APP" >/dev/null 2>/dev/null
# Detached spawn-fcgi (no -n): the app's stderr is /dev/null.
spawn-fcgi -s "$T/c.sock" -P "$T/c.pid" -u www-data -g www-data -- "$APP" >/dev/null 2>&1
for _ in $(seq 1 100); do [ -S "$T/c.sock" ] && break; sleep 0.05; done
env REQUEST_METHOD=GET REQUEST_URI=/spawned SCRIPT_NAME= cgi-fcgi -bind -connect "$T/c.sock" >/dev/null 2>&1
sleep 0.3
kill -TERM "$(cat "$T/c.pid")" 2>/dev/null
kill "$LISTENER"
# No syslog socket at all (a container; no rsyslog, no journald): stderr
# /dev/null would be silently nothing, so the app refuses to start.
rm -f /dev/log
env REQUEST_METHOD=GET REQUEST_URI=/nolog "$APP" >/dev/null 2>/dev/null
echo $? >"$T/nolog.rc"
env REQUEST_METHOD=GET REQUEST_URI=/nolog "$APP" >/dev/null 2>"$T/nolog.err"
echo $? >"$T/withlog.rc"
spawn-fcgi -s "$T/n.sock" -P "$T/n.pid" -u www-data -g www-data -- "$APP" >"$T/nolog.spawn" 2>&1
# spawn-fcgi reports the exit status only if the child died within its
# short wait; either way the child must be gone, not serving blind.
for _ in $(seq 1 100); do kill -0 "$(cat "$T/n.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.05; done
kill -0 "$(cat "$T/n.pid" 2>/dev/null)" 2>/dev/null && echo alive >"$T/nolog.state" || echo gone >"$T/nolog.state"
EOC
	unshare -m sh "$T/c.sh" "$T" "$APP" >"$T/c.log" 2>&1
	expect_eq "c: namespace set-up" "" "$(cat "$T/c.log")"
	expect_eq "c: CGI, stderr /dev/null: access line in syslog (daemon.info)" 1 \
	    "$(grep -caE "^<30>.*models-api\[[0-9]+\]: $TS [0-9a-f]+ GET /cgi-null 404" "$T/syslog" 2>/dev/null)"
	expect_eq "c: CGI, stderr /dev/null: error in syslog (daemon.err)" 1 \
	    "$(grep -caE "^<27>.*models-api\[[0-9]+\]: $TS models-api: [0-9a-f]+ database connection failed" "$T/syslog" 2>/dev/null || true)"
	expect_eq "c: a bad setting, stderr /dev/null: said in syslog (daemon.err)" 1 \
	    "$(grep -caE '^<27>.*models-api\[[0-9]+\]: models-api: MODELS_API_THREADS must be an integer from 1 to 256, not "0"$' "$T/syslog" 2>/dev/null || true)"
	expect_eq "c: spawn-fcgi without -n: access line in syslog" 1 \
	    "$(grep -caE "^<30>.*models-api\[[0-9]+\]: $TS [0-9a-f]+ GET /spawned 404" "$T/syslog" 2>/dev/null)"
	expect_eq "c: no /dev/log, stderr /dev/null: refuses to start (exit 2)" 2 \
	    "$(cat "$T/nolog.rc" 2>/dev/null)"
	expect_eq "c: no /dev/log, stderr a file: serves as usual" "0 1" \
	    "$(cat "$T/withlog.rc" 2>/dev/null) $(grep -cE "^$TS [0-9a-f]+ GET /nolog 404" "$T/nolog.err" 2>/dev/null)"
	expect_eq "c: no /dev/log, detached spawn-fcgi: the app is gone, not serving blind" gone \
	    "$(cat "$T/nolog.state" 2>/dev/null)"
	expect_eq "c: no /dev/log, detached spawn-fcgi: exit 2 said, or spawned and gone" 1 \
	    "$(grep -cE 'child exited with: 2|child spawned successfully' "$T/nolog.spawn" 2>/dev/null)"
else
	echo "c: skipped (needs root, unshare -m, python3, cgi-fcgi)"
fi

# --- d. SIGHUP --------------------------------------------------------------------
stack_app_start "$T/hup.sock" "$T/hup.log" "$T/hup.pid" || { echo "0 passed, 1 failed"; exit 1; }
PID=$(cat "$T/hup.pid")
# The socket exists before the app runs (spawn-fcgi makes it): wait until
# the app catches SIGHUP (bit 1 of SigCgt), or a loaded machine sees the
# default action instead.
hup_caught() { [ $(( 0x$(sed -n 's/^SigCgt:\t//p' "/proc/$PID/status" 2>/dev/null || echo 0) & 1 )) = 1 ]; }
for _ in $(seq 1 100); do hup_caught && break; sleep 0.05; done
# Before the change SIGHUP killed it (status 129); now it stops as on
# SIGTERM (the same path; procs.sh covers requests in flight there).
kill -HUP "$PID"
ST=x
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
wait "$PID" 2>/dev/null; ST=$?
expect_eq "d: SIGHUP stops, exit 0" 0 "$ST"
rm -f "$T/hup.pid"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
