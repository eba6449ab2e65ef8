#!/usr/bin/env bash
# Restarts, upgrades, schema versions, instances and backups (issue 15),
# with a throwaway PostgreSQL in /tmp and real front servers:
#
#   a. through each front (lighttpd, nginx, Apache dev configs), models-api
#      under spawn-fcgi -n (as models-api-spawn.service runs it) with a load
#      of creates and reads (tests/e2e/upgrade-load.py, real keys):
#      - the control, today's plain stop and start (spawn-fcgi removes and
#        recreates the socket): requests fail (counted; lighttpd must show
#        failures, or this test could not see any);
#      - SIGUSR2, the graceful re-exec: only 200s, same pid, fd 0 still
#        the listening socket, no descriptor leaked;
#      - an upgrade: a newer binary (another version string) renamed over
#        the file as dpkg does, then SIGUSR2: only 200s, the process runs
#        the new file, --version of it answers the new version;
#   b. the schema check: a database with a migration this binary does not
#      know, one lacking a migration, and an empty one: 503 and one clear
#      log line each; back to 200 once the schema matches;
#   c. two instances from the templated units (models-api@.socket and
#      models-api@.service, socket activation emulated as procs.sh does:
#      no systemd here) behind Debian's stock lighttpd with the snippet
#      front-snippets prints for both: the load goes to both, each re-execs
#      under it, only 200s; 40 reads go to both; with one stopped, 40
#      more are all 200s (lighttpd skips the dead one);
#   d. backups: the README's Backups commands as written (pg_dump -Fc;
#      createdb -O models-api, pg_restore --no-owner --role=models-api
#      into a new cluster with the role): all owned by models-api, an app
#      connecting as models-api reads the same versions with the same
#      key, and models-admin lists the same;
#   e. the Debian package installed (dpkg -i, in a mount namespace with
#      overlays, so this machine is untouched) and upgraded to a newer
#      version under load: postinst migrates and the running server
#      re-execs the new file, only 200s.
#
# Runs as root. Last line: "N passed, N failed". KEEP=1 keeps $T.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
STACK_APP_USER=nobody
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
PY=/usr/bin/python3
ADMIN=$BUILD/models-admin
LOAD=$ROOT/tests/e2e/upgrade-load.py
export MODELS_API_THREADS=4

if [ "$(id -u)" -ne 0 ]; then
	echo "upgrade.sh: must run as root"
	echo "0 passed, 1 failed"
	exit 1
fi
T=$(mktemp -d /tmp/models-upgrade.XXXXXX)
chmod 755 "$T"
PIDS=""	# pid files of what runs, stopped at exit

cleanup() {
	local f
	trap - EXIT INT TERM
	for f in $PIDS; do stack_stop_pid "$f"; done
	stack_pg_stop "$T/pg" immediate
	stack_pg_stop "$T/pg2" immediate
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'echo "interrupted"; echo "$PASS passed, $((FAIL + 1)) failed"; exit 1' INT TERM
info() { printf 'info: %s\n' "$*"; }
abort() {
	fail setup "$1"
	echo "$PASS passed, $FAIL failed"
	exit 1
}
wait_until() {
	local n=$(($1 * 20)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $n ] && return 1
		sleep 0.05
	done
}
exe_of() { readlink "/proc/$1/exe" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
listening_fd0() {
	local ino
	ino=$(readlink "/proc/$1/fd/0" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$ino" ] || { echo "fd 0 is $(readlink "/proc/$1/fd/0")"; return; }
	awk -v i="$ino" '$7 == i { print ($4 == "00010000" ? "listening" : "flags " $4), $8 }' /proc/net/unix
}

# --- the stack ------------------------------------------------------------------
stack_pg_init "$T/pg" || abort "PostgreSQL initdb"
stack_pg_start "$T/pg" "$T/sock" "-c fsync=off" || abort "PostgreSQL start"
"$ADMIN" migrate >/dev/null || abort "models-admin migrate"
KEY=$("$ADMIN" key create acme --role write)
# The binary under test and its "upgrade": the same program with another
# version string, built from the same objects.
mkdir -p "$T/bin" "$T/new"
cp "$BUILD/models-api" "$T/bin/models-api"
OLDV=$("$T/bin/models-api" --version)
NEWV="models-api 99.0-upgrade-test"
# shellcheck disable=SC2046 # pkg-config's flags are words
gcc -std=c11 -D_GNU_SOURCE -O1 -Ilib $(pkg-config --cflags fcgi json-c libpq) \
    -DMODELS_API_VERSION='"99.0-upgrade-test"' -o "$T/new/models-api" \
    "$ROOT/cgi/models-api.c" "$BUILD/libmodels.a" \
    $(pkg-config --libs fcgi json-c libpq libcrypto) -lpthread 2>"$T/new/cc.log" ||
    abort "building the newer binary: $(head -n 5 "$T/new/cc.log")"
APP=$T/bin/models-api

# app_start NAME: models-api from $APP under spawn-fcgi -n on $T/NAME.sock,
# as nobody, the socket owned by www-data; pid in $T/NAME.pid.
app_start() {
	rm -f "$T/$1.sock"
	spawn-fcgi -n -s "$T/$1.sock" -M 0660 -u nobody -g nogroup -U www-data \
	    -G www-data -- "$APP" 2>>"$T/$1.log" &
	echo $! >"$T/$1.pid"
	PIDS="$PIDS $T/$1.pid"
	STARTING=$1
	wait_until 5 app_up
}
app_up() { [ -S "$T/$STARTING.sock" ] && [ "$(exe_of "$(cat "$T/$STARTING.pid")")" = "$APP" ]; }

# load_start NAME PORT: the load client in the background (creates and reads
# until $T/NAME.stop exists); one line per request in $T/NAME.out.
load_start() {
	rm -f "$T/$1.stop"
	: >"$T/$1.out"
	timeout 120 "$PY" "$LOAD" "$2" "$KEY" "$1" "$T/$1.stop" 4 \
	    >"$T/$1.out" 2>"$T/$1.err" &
	echo $! >"$T/$1.loadpid"
}
load_stop() {
	touch "$T/$1.stop"
	wait "$(cat "$T/$1.loadpid")"
	[ -s "$T/$1.err" ] && { echo "load client $1:"; head -n 5 "$T/$1.err"; }
}
oks() { awk '$2 == 200 { n++ } END { print n + 0 }' "$T/$1.out"; }
bad() { awk '$2 != 200 { n++ } END { print n + 0 }' "$T/$1.out"; }
kinds() { awk '{ print $2 }' "$T/$1.out" | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'; }
# more_oks NAME N: waits (20 s at most) for N more 200s than now.
more_oks() {
	OKS_NAME=$1 OKS_WANT=$(($(oks "$1") + $2))
	wait_until 20 oks_reached
}
oks_reached() { [ "$(oks "$OKS_NAME")" -ge "$OKS_WANT" ]; }

# --- a. restarts and upgrades through each front -----------------------------------
for front in lighttpd nginx apache; do
	cp "$BUILD/models-api" "$APP.tmp" && mv "$APP.tmp" "$APP"
	app_start "a-$front" || abort "models-api (a-$front)"
	P=$(cat "$T/a-$front.pid")
	PORT=$(stack_free_port)
	PIDS="$PIDS $T/f-$front/front.pidfile"
	stack_front_start "$front" "$T/f-$front" "$PORT" "$T/a-$front.sock" /dev/null ||
	    abort "$front"

	# The control: a plain stop and start, as a restart did until now.
	load_start "c-$front" "$PORT"
	more_oks "c-$front" 100
	stack_stop_pid "$T/a-$front.pid"
	app_start "a-$front" || abort "models-api (a-$front, restarted)"
	more_oks "c-$front" 100
	load_stop "c-$front"
	info "a ($front): plain stop/start under load: $(kinds "c-$front")"
	if [ "$front" = lighttpd ]; then
		expect_eq "a ($front): control, a plain restart fails requests" yes \
		    "$([ "$(bad "c-$front")" -gt 0 ] && echo yes)"
	fi

	# The graceful re-exec, then an upgrade, under one load.
	P=$(cat "$T/a-$front.pid")
	FD0=$(nfds "$P")
	load_start "r-$front" "$PORT"
	more_oks "r-$front" 100
	kill -USR2 "$P"
	wait_until 20 grep -q 're-exec: requests in flight done' "$T/a-$front.log"
	more_oks "r-$front" 100
	expect_eq "a ($front): re-exec: same pid, same file, socket as fd 0" \
	    "yes $APP listening $T/a-$front.sock" \
	    "$(kill -0 "$P" && echo yes) $(exe_of "$P") $(listening_fd0 "$P")"
	cp "$T/new/models-api" "$APP.new" && mv "$APP.new" "$APP"
	expect_eq "a ($front): the replaced file shows as deleted" "$APP (deleted)" "$(exe_of "$P")"
	kill -USR2 "$P"
	wait_until 20 eval '[ "$(exe_of "$P")" = "$APP" ]'
	more_oks "r-$front" 100
	load_stop "r-$front"
	info "a ($front): re-exec, then upgrade and re-exec, under load: $(kinds "r-$front")"
	expect_eq "a ($front): re-exec and upgrade: only 200s" 0 "$(bad "r-$front")"
	expect_eq "a ($front): served throughout" yes "$([ "$(oks "r-$front")" -ge 300 ] && echo yes)"
	expect_eq "a ($front): upgraded in place: same pid runs the new file" \
	    "yes $(stat -c %i "$APP")" "$(kill -0 "$P" && echo yes) $(stat -L -c %i "/proc/$P/exe")"
	expect_eq "a ($front): the new binary's version" "$NEWV" "$("/proc/$P/exe" --version)"
	expect_eq "a ($front): no descriptor leaked over two re-execs" "$FD0" "$(nfds "$P")"
	stack_stop_pid "$T/f-$front/front.pidfile"
	kill -TERM "$P"
	wait_until 15 eval '! kill -0 "$P" 2>/dev/null'
	expect_eq "a ($front): SIGTERM after the re-execs: exit" gone "$(kill -0 "$P" 2>/dev/null || echo gone)"
done
info "a: old binary '$OLDV', new '$NEWV'"

# --- a. --listen: the socket it opened becomes fd 0 of the re-exec'd program ------
mkdir -p "$T/l" && chown nobody "$T/l"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$APP" --listen "unix:$T/l/l.sock" 2>>"$T/l.log" &
L=$!
echo "$L" >"$T/l.pid"
PIDS="$PIDS $T/l.pid"
wait_until 5 test -S "$T/l/l.sock"
health_fcgi() {
	SCRIPT_NAME=/health REQUEST_URI=/health REQUEST_METHOD=GET \
	    cgi-fcgi -bind -connect "$T/l/l.sock" 2>/dev/null | head -n 1 | tr -d '\r'
}
expect_eq "a (--listen): served" "Status: 200 OK" "$(health_fcgi)"
kill -USR2 "$L"
wait_until 10 grep -q 're-exec: requests in flight done' "$T/l.log"
wait_until 5 eval '[ "$(listening_fd0 "$L")" = "listening $T/l/l.sock" ]'
# fd 3 was the socket before: the number may be reused (an epoll
# instance), but fd 0 must be the socket's only descriptor.
same_socket_fds() {
	local s f n=0
	s=$(readlink "/proc/$1/fd/0")
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f")" = "$s" ] && n=$((n + 1))
	done
	echo "$n fd"
}
expect_eq "a (--listen): re-exec'd with the socket as fd 0, its old number closed" \
    "listening $T/l/l.sock 1 fd" "$(listening_fd0 "$L") $(same_socket_fds "$L")"
expect_eq "a (--listen): served after the re-exec" "Status: 200 OK" "$(health_fcgi)"
stack_stop_pid "$T/l.pid"

# --- b. schema versions ----------------------------------------------------------
cp "$BUILD/models-api" "$APP.tmp" && mv "$APP.tmp" "$APP"
app_start b || abort "models-api (b)"
P=$(cat "$T/b.pid")
PORT=$(stack_free_port)
BASE="http://127.0.0.1:$PORT"
PIDS="$PIDS $T/f-b/front.pidfile"
stack_front_start lighttpd "$T/f-b" "$PORT" "$T/b.sock" /dev/null || abort "lighttpd (b)"
req GET /health; expect "b: matching schema" 200 '{"status":"ok"}'
# reconnect: a re-exec drops every connection; the next request opens one.
reconnect() {
	local n
	n=$(grep -c 're-exec: requests in flight done' "$T/b.log")
	kill -USR2 "$P"
	wait_until 10 eval '[ "$(grep -c "re-exec: requests in flight done" "$T/b.log")" -gt '"$n"' ]'
	sleep 0.2
}
psql_q "INSERT INTO schema_migrations (name) VALUES ('999_future.sql')"
reconnect
req GET /health
expect_eq "b: newer schema: 503" 503 "$CODE"
req GET "/v2/acme/proj/models" -H "Authorization: Bearer $KEY"
expect_eq "b: newer schema: the API 503s too" 503 "$CODE"
expect_eq "b: newer schema: one log line, rate-limited" 1 \
    "$(grep -c 'refusing to serve: the database schema is newer than this models-api knows (migration 999_future.sql is unknown here): upgrade models-api' "$T/b.log")"
psql_q "DELETE FROM schema_migrations WHERE name = '999_future.sql'"
req GET /health; expect "b: schema matches again: served at once" 200 '{"status":"ok"}'
LAST=$(psql_q "SELECT max(name) FROM schema_migrations")
psql_q "DELETE FROM schema_migrations WHERE name = '$LAST'"
reconnect
req GET /health
expect_eq "b: older schema: 503" 503 "$CODE"
expect_eq "b: older schema: the log says what to run" 1 \
    "$(grep -c "refusing to serve: the database schema is older than this models-api needs (migration $LAST not applied): run models-admin migrate" "$T/b.log")"
psql_q "INSERT INTO schema_migrations (name) VALUES ('$LAST')"
req GET /health; expect "b: migrated: served" 200 '{"status":"ok"}'
as_pg "$PGBIN/createdb" -h "$T/sock" -U postgres empty
stack_stop_pid "$T/b.pid"
DATABASE_URL="postgresql:///empty?host=$T/sock&user=postgres" app_start b || abort "models-api (b, empty)"
req GET /health
expect_eq "b: empty database: 503" 503 "$CODE"
expect_eq "b: empty database: the log says so" 1 \
    "$(grep -c 'refusing to serve: the database has no schema (no schema_migrations table): run models-admin migrate' "$T/b.log")"
stack_stop_pid "$T/b.pid"
stack_stop_pid "$T/f-b/front.pidfile"

# --- c. two templated instances behind one stock lighttpd --------------------------
# The units' own values: socket path and env file, instance name filled in.
LISTEN=$(sed -n 's/^ListenStream=//p' "$ROOT/deploy/systemd/models-api@.socket")
ENVF=$(sed -n 's/^EnvironmentFile=-//p' "$ROOT/deploy/systemd/models-api@.service")
expect_eq "c: units: socket and settings per instance" \
    "/run/models-api/%i.sock /etc/models-api/%i.env" "$LISTEN $ENVF"
expect_eq "c: units: reload is the re-exec" "ExecReload=/bin/kill -USR2 \$MAINPID" \
    "$(grep '^ExecReload=' "$ROOT/deploy/systemd/models-api@.service")"
cat >"$T/sockact.py" <<'EOF'
# systemd's part for one instance: ListenStream= (www-data, 0660), the
# service with the socket as fd 0 (StandardInput=socket), EnvironmentFile=,
# User=nobody; Restart=always.
import grp, os, pwd, signal, socket, sys, time
sock_path, env_file, binary, log = sys.argv[1:5]
env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "MODELS_API_"))}
for line in open(env_file):
    line = line.strip()
    if line and not line.startswith("#"):
        k, v = line.split("=", 1)
        env[k] = v
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
os.chown(sock_path, pwd.getpwnam("www-data").pw_uid, grp.getgrnam("www-data").gr_gid)
os.chmod(sock_path, 0o660)
s.listen(128)
child = 0
def on_term(sig, frame):
    if child:
        os.kill(child, signal.SIGTERM)
    os._exit(0)
signal.signal(signal.SIGTERM, on_term)
logfd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
while True:
    child = os.fork()
    if child == 0:
        os.dup2(s.fileno(), 0)
        os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
        os.dup2(logfd, 2)
        os.setgroups([])
        os.setgid(grp.getgrnam("nogroup").gr_gid)
        os.setuid(pwd.getpwnam("nobody").pw_uid)
        os.execve(binary, [binary], env)
    print("start %d" % child, file=sys.stderr, flush=True)
    os.waitpid(child, 0)
    time.sleep(0.2)
EOF
mkdir -p "$T/run" "$T/etc"
for i in one two; do
	printf 'DATABASE_URL=%s\nMODELS_API_THREADS=2\n' "$DATABASE_URL" >"$T/etc/$i.env"
	sock=$(echo "$LISTEN" | sed "s|%i|$i|; s|^/run/models-api/|$T/run/|")
	env=$(echo "$ENVF" | sed "s|%i|$i|; s|^/etc/models-api/|$T/etc/|")
	"$PY" "$T/sockact.py" "$sock" "$env" "$APP" "$T/c-$i.log" 2>"$T/c-$i.events" &
	echo $! >"$T/c-$i.mgr"
	PIDS="$PIDS $T/c-$i.mgr"
done
wait_until 5 eval '[ "$(grep -c ^start "$T"/c-*.events | awk -F: "{ s += \$2 } END { print s }")" = 2 ]' ||
    abort "instances did not start"
"$ROOT/deploy/front-snippets.sh" lighttpd one two | sed "s|/run/models-api/|$T/run/|g" >"$T/50-two.conf"
# Each path of the shipped snippet (/v2/, /health, ...) gets both sockets.
NPATHS=$(grep -c '=> ( ($' "$ROOT/deploy/lighttpd/50-models-api.conf")
expect_eq "c: front-snippets lists both sockets per path" "$NPATHS one, $NPATHS two" \
    "$(grep -c "\"socket\".*\"$T/run/one.sock\"" "$T/50-two.conf") one, $(grep -c "\"socket\".*\"$T/run/two.sock\"" "$T/50-two.conf") two"
PORT=$(stack_free_port)
PIDS="$PIDS $T/f-c/front.pidfile"
STACK_LIGHTTPD_SNIPPET=$T/50-two.conf stack_stock_front_start lighttpd "$T/f-c" "$PORT" "$T/unused.sock" ||
    abort "stock lighttpd with two instances"
C1=$(sed -n 's/^start //p' "$T/c-one.events"); C2=$(sed -n 's/^start //p' "$T/c-two.events")
load_start c "$PORT"
more_oks c 200
N1=$(wc -l <"$T/c-one.log"); N2=$(wc -l <"$T/c-two.log")
expect_eq "c: both instances serve" yes "$([ "$N1" -gt 20 ] && [ "$N2" -gt 20 ] && echo yes)"
for p in "$C1" "$C2"; do
	kill -USR2 "$p"	# what systemctl reload models-api@NAME does
	more_oks c 150
done
load_stop c
info "c: two instances, each re-exec'd under load: $(kinds c)"
expect_eq "c: only 200s" 0 "$(bad c)"
expect_eq "c: each instance re-exec'd once, same pids" "1 1 $C1 $C2" \
    "$(grep -c 're-exec: requests' "$T/c-one.log") $(grep -c 're-exec: requests' "$T/c-two.log") $(sed -n 's/^start //p' "$T/c-one.events") $(sed -n 's/^start //p' "$T/c-two.events")"
# 40 reads in a row: both serve (round-robin); then instance two stops
# (systemctl stop models-api@two: its socket file stays, connecting is
# refused) and lighttpd skips it: 40 more reads, all 200, all from one.
BASE="http://127.0.0.1:$PORT"
reads40() {
	local i
	for i in $(seq 40); do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $KEY" \
		    "$BASE/v2/acme/proj/models?limit=1"
	done | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'
}
N1=$(wc -l <"$T/c-one.log"); N2=$(wc -l <"$T/c-two.log")
expect_eq "c: 40 reads through both instances: all 200" "200 x40" "$(reads40)"
info "c: the 40 reads: one served $(($(wc -l <"$T/c-one.log") - N1)), two $(($(wc -l <"$T/c-two.log") - N2))"
expect_eq "c: ... both instances served some" yes \
    "$([ "$(wc -l <"$T/c-one.log")" -gt "$N1" ] && [ "$(wc -l <"$T/c-two.log")" -gt "$N2" ] && echo yes)"
stack_stop_pid "$T/c-two.mgr"
wait_until 10 eval '! kill -0 "$C2" 2>/dev/null'
N1=$(wc -l <"$T/c-one.log"); N2=$(wc -l <"$T/c-two.log")
expect_eq "c: instance two stopped: 40 reads, all 200" "200 x40" "$(reads40)"
expect_eq "c: ... all served by instance one" "yes $N2" \
    "$([ "$(wc -l <"$T/c-one.log")" -ge $((N1 + 40)) ] && echo yes) $(wc -l <"$T/c-two.log")"

# --- d. backup and restore into a new cluster -----------------------------------------
BASE="http://127.0.0.1:$PORT"
awk '$2 == 200 && $3 == "create" { print $4, $5 }' "$T/c.out" | head -n 20 >"$T/d.refs"
mkdir -p "$T/backup" && chown "$PG_USER" "$T/backup"
# The README's commands themselves (its Backups section, continuation
# lines joined), run as they are; only the dump's path is $T/backup's, and
# PGHOST (and PATH, for this PostgreSQL's tools) say which cluster.
awk '/^## Backups$/ { s = 1; next } s && /^## / { exit }
    s && /^```sh$/ { c = 1; next } c && /^```$/ { c = 0; next }
    c { if (sub(/\\$/, "")) { l = l $0; next } print l $0; l = "" }' "$ROOT/README.md" |
    sed "s|/var/backups/|$T/backup/|g" >"$T/d.recipe"
expect_eq "d: the README's recipe: dump, createdb, pg_restore" "3 runuser runuser runuser" \
    "$(wc -l <"$T/d.recipe") $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$T/d.recipe")"
readme_step() {	# readme_step N SOCKDIR: line N of the recipe, on that cluster
	sed -n "$1p" "$T/d.recipe" >"$T/d.step"
	PGHOST=$2 PATH="$PGBIN:$PATH" sh -e "$T/d.step"
}
readme_step 1 "$T/sock" >"$T/d.err" 2>&1 || abort "pg_dump: $(cat "$T/d.err")"
for r in $(awk '{ print $1 "/versions/" $2 }' "$T/d.refs"); do
	curl -s -H "Authorization: Bearer $KEY" "$BASE/v2/acme/proj/models/$r"; echo
done >"$T/d.before"
LIST1=$("$ADMIN" model list acme proj)
stack_stop_pid "$T/f-c/front.pidfile"
stack_pg_init "$T/pg2" || abort "second cluster"
(
	stack_pg_start "$T/pg2" "$T/sock2" "-c fsync=off" || exit 1
	# The role models-admin setup makes; then the README's restore.
	as_pg "$PGBIN/psql" -h "$T/sock2" -U postgres -d postgres -qc 'CREATE ROLE "models-api" LOGIN' &&
	    readme_step 2 "$T/sock2" && readme_step 3 "$T/sock2" || exit 1
	# The app connects as models-api, as a host set up so does.
	echo "stack $APP_USER models-api" | as_pg tee -a "$T/pg2/pg_ident.conf" >/dev/null &&
	    as_pg "$PGBIN/pg_ctl" -D "$T/pg2" reload
) >"$T/d.restore" 2>&1 || abort "restore: $(tail -n 5 "$T/d.restore")"
expect_eq "d: restored: everything owned by models-api" "models-api" \
    "$(as_pg "$PGBIN/psql" -h "$T/sock2" -U postgres -d models_restored -Atc \
    "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ' ') FROM pg_class WHERE relnamespace = 'public'::regnamespace")"
URL2="postgresql:///models_restored?host=$T/sock2&user=postgres"
expect_eq "d: restored: models-admin lists the same versions" "$LIST1" \
    "$(DATABASE_URL=$URL2 "$ADMIN" model list acme proj)"
DATABASE_URL="postgresql:///models_restored?host=$T/sock2&user=models-api" app_start d ||
    abort "models-api (d)"
PORT=$(stack_free_port)
BASE="http://127.0.0.1:$PORT"
PIDS="$PIDS $T/f-d/front.pidfile"
stack_front_start lighttpd "$T/f-d" "$PORT" "$T/d.sock" /dev/null || abort "lighttpd (d)"
for r in $(awk '{ print $1 "/versions/" $2 }' "$T/d.refs"); do
	curl -s -H "Authorization: Bearer $KEY" "$BASE/v2/acme/proj/models/$r"; echo
done >"$T/d.after"
expect_eq "d: 20 versions read back" 20 "$(grep -c '"digest"' "$T/d.after")"
expect_eq "d: the restored app reads the same versions, same key" \
    "$(cat "$T/d.before")" "$(cat "$T/d.after")"
stack_stop_pid "$T/d.pid"
stack_stop_pid "$T/f-d/front.pidfile"

# --- e. the package: dpkg -i, then an upgrade to a newer version, under load ----------
# In a private mount namespace with overlays on /etc, /usr and /var, so
# this machine's own files and dpkg database are untouched. The package
# built by make deb (tests/e2e/package.sh runs before this stage; built
# here when missing); the "newer version" is the same package repacked
# with a bumped version, so dpkg replaces every file as in a real upgrade.
# The unit is emulated as the spawn-fcgi variant (no systemd here): the
# postinst must find the server running the replaced binary, migrate, and
# have it re-exec. The models-api user is made beforehand with nobody's
# ids, which the test cluster's peer authentication knows.
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$ROOT/deploy/debian/changelog")
DEB=$(ls "$ROOT"/build/deb/models-api_"$VERSION"_*.deb 2>/dev/null | head -n 1)
if [ -z "$DEB" ]; then
	(cd "$ROOT" && make -s deb) >"$T/deb.log" 2>&1
	DEB=$(ls "$ROOT"/build/deb/models-api_"$VERSION"_*.deb 2>/dev/null | head -n 1)
fi
if [ -z "$DEB" ] || ! unshare -m true 2>/dev/null; then
	fail "e: package" "no .deb ($(tail -n 3 "$T/deb.log" 2>/dev/null)) or no unshare -m"
else
	mkdir -p "$T/e/deb2" "$T/ov"
	dpkg-deb -R "$DEB" "$T/e/deb2"
	sed -i "s/^Version: .*/Version: $VERSION+upgrade1/" "$T/e/deb2/DEBIAN/control"
	dpkg-deb -b "$T/e/deb2" "$T/e/new.deb" >/dev/null
	cat >"$T/e/ns.sh" <<'EON'
set -u
T=$1 DEB=$2 URL=$3
mount --make-rprivate / && mount -t tmpfs tmpfs "$T/ov" || exit 1
for d in etc usr var; do
	mkdir -p "$T/ov/$d/u" "$T/ov/$d/w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/$d/u,workdir=$T/ov/$d/w" "/$d" || exit 1
done
# A policy-rc.d (an image build's, or install-deps' during its run) would
# rightly stop postinst from signalling: this "host" has none.
rm -f /usr/sbin/policy-rc.d
groupadd -o -g 65534 models-api && useradd -o -u 65534 -g 65534 -M -d /nonexistent \
    -s /usr/sbin/nologin models-api || exit 1
dpkg --force-confold -i "$DEB" >"$T/e/install1.log" 2>&1 || { echo "install 1 failed"; exit 1; }
# Quoted, as the README writes it: models-admin refuses a bare & there.
printf "DATABASE_URL='%s'\nMODELS_API_THREADS=4\n" "$URL" >/etc/models-api/env
spawn-fcgi -n -s "$T/e/app.sock" -M 0660 -u models-api -g models-api -U www-data \
    -G www-data -- /usr/sbin/models-api 2>>"$T/e/app.log" &
echo $! >"$T/e/app.pid"
touch "$T/e/ready"
while [ ! -e "$T/e/go" ]; do sleep 0.1; done
dpkg --force-confold -i "$T/e/new.deb" >"$T/e/install2.log" 2>&1
echo "exit $?" >>"$T/e/install2.log"
dpkg-query -W -f '${Version}\n' models-api >"$T/e/version"
readlink "/proc/$(cat "$T/e/app.pid")/exe" >"$T/e/exe"
touch "$T/e/upgraded"
while [ ! -e "$T/e/done" ]; do sleep 0.1; done
kill -TERM "$(cat "$T/e/app.pid")"
wait
EON
	unshare -m bash "$T/e/ns.sh" "$T" "$DEB" "$DATABASE_URL" >"$T/e/ns.log" 2>&1 &
	echo $! >"$T/e/ns.pid"
	wait_until 60 test -e "$T/e/ready" || abort "e: install: $(cat "$T/e/ns.log" "$T/e/install1.log" 2>/dev/null | tail -n 5)"
	P=$(cat "$T/e/app.pid")
	wait_until 5 test -S "$T/e/app.sock"
	PORT=$(stack_free_port)
	PIDS="$PIDS $T/f-e/front.pidfile"
	stack_front_start lighttpd "$T/f-e" "$PORT" "$T/e/app.sock" /dev/null || abort "lighttpd (e)"
	load_start e "$PORT"
	more_oks e 100
	touch "$T/e/go"
	wait_until 90 test -e "$T/e/upgraded"
	more_oks e 100
	load_stop e
	touch "$T/e/done"
	wait "$(cat "$T/e/ns.pid")"
	info "e: dpkg -i $VERSION, then $VERSION+upgrade1 under load: $(kinds e)"
	sed 's/^/info: e: dpkg: /' "$T/e/install2.log" | grep 'models-api:\|exit'
	expect_eq "e: upgrade: dpkg exit status, version" "exit 0 $VERSION+upgrade1" \
	    "$(tail -n 1 "$T/e/install2.log") $(cat "$T/e/version")"
	expect_eq "e: postinst migrated, then re-exec'd the running server" "yes yes" \
	    "$(grep -q '^models-api: database schema up to date$' "$T/e/install2.log" && echo yes) $(grep -q "^models-api: pid $P: re-executing /usr/sbin/models-api (SIGUSR2)$" "$T/e/install2.log" && echo yes)"
	expect_eq "e: postinst left nothing on the old binary" 0 "$(grep -c WARNING "$T/e/install2.log")"
	expect_eq "e: the same process runs the new file" /usr/sbin/models-api "$(cat "$T/e/exe")"
	expect_eq "e: upgrade under load: only 200s" 0 "$(bad e)"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
