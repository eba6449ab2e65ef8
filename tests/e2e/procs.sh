#!/usr/bin/env bash
# Process management (issue 3), tested for real with a throwaway PostgreSQL
# in /tmp, lighttpd in front, and loopback traffic only:
#
#   0. the systemd units in deploy/systemd pass `systemd-analyze verify`;
#   a. fd-0 socket mode: spawn-fcgi hands models-api a listening socket
#      (mode 0660, owner www-data, not world-writable); systemd socket
#      activation, emulated (systemd cannot run here): the socket held by
#      a manager, fd 0, EnvironmentFile, an unprivileged user, a restart
#      after SIGKILL loses no queued request;
#   b. deploy/spawn-fcgi/models-api.sh (spawn-fcgi + multiwatch, 2 workers):
#      one worker SIGKILLed under a load of deletes is replaced, the load
#      goes on, and only its requests in flight fail, with a 5xx from the
#      front, never a wrong count;
#   c. two instances behind one lighttpd (deploy/lighttpd/dev-two.conf.in):
#      one SIGTERMed under load, the load goes on through the other, no
#      response lost or duplicated;
#   d. SIGTERM under load on a single instance: the requests in flight all
#      complete, whole, and the exit status is 0;
#   e. SIGUSR1 and SIGINT: a request held in the database completes, whole,
#      and the exit status is 0.
#
# Runs as root (socket owners, runuser). Needs spawn-fcgi, multiwatch,
# lighttpd, curl, python3 (the load client). Last line: "N passed, N failed".
# KEEP=1 keeps the temporary directory (logs, request records).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
# The app runs as nobody here (the packaged unit's User=models-api stand-in):
# the test cluster lets that user in instead of www-data.
STACK_APP_USER=nobody
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
ADMIN=$BUILD/models-admin
THREADS=4	# MODELS_API_THREADS of every instance here

if [ "$(id -u)" -ne 0 ]; then
	echo "procs.sh: must run as root (socket owners, unprivileged users)"
	echo "0 passed, 1 failed"
	exit 1
fi
MISSING=""
for c in spawn-fcgi multiwatch lighttpd curl "$PY" runuser; do
	command -v "$c" >/dev/null 2>&1 || MISSING="$MISSING $c"
done
if [ -n "$MISSING" ]; then
	echo "procs.sh: missing:$MISSING (Debian packages spawn-fcgi multiwatch lighttpd curl python3)"
	echo "0 passed, 1 failed"
	exit 1
fi

T=$(mktemp -d /tmp/models-procs.XXXXXX)
chmod 755 "$T"
# Everything started here, stopped by cleanup in this order.
LOADS=""	# load clients (pid files)
FRONTS=""	# front servers (pid files)
TREES=""	# app processes and managers (pid files; children too)

# stop_tree PIDFILE: TERM the process, wait up to 10 s, KILL it and any
# child it left behind (multiwatch workers, an emulated service).
stop_tree() {
	local pid kids i=0
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kids=$(pgrep -P "$pid" 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -KILL "$pid" $kids 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$1"
}

cleanup() {
	local f
	trap - EXIT INT TERM
	for f in $LOADS; do
		[ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	for f in $FRONTS; do stack_stop_pid "$f"; done
	for f in $TREES; do stop_tree "$f"; done
	stack_pg_stop "$T/pg" immediate
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'echo "interrupted"; echo "$PASS passed, $((FAIL + 1)) failed"; exit 1' INT TERM

now() { date +%s.%N; }
info() { printf 'info: %s\n' "$*"; }
# abort WHAT: a part of the stack did not start; count it, end the run.
abort() {
	fail "setup" "$1"
	echo "$PASS passed, $FAIL failed"
	exit 1
}

# wait_until LIMIT_SECONDS COMMAND...: polls COMMAND every 50 ms.
wait_until() {
	local n=$(($1 * 20)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $n ] && return 1
		sleep 0.05
	done
}

# mkversions OBJ N: model acme/proj/OBJ with versions v0..v(N-1), in bulk.
mkversions() {
	"$PGBIN/psql" "$DATABASE_URL" -Atq -v ON_ERROR_STOP=1 >/dev/null <<-SQL
	SELECT model_add('acme', 'proj', '$1',
	    substr(md5('$1') || md5('y$1'), 1, 43), '{"i":0}');
	INSERT INTO model_versions (model_id, project_id, version_index, digest, val)
	SELECT m.id, m.project_id, g, substr(md5('$1' || g) || md5('x$1' || g), 1, 43),
	       jsonb_build_object('i', g)::text
	  FROM models m, generate_series(1, $2 - 1) g
	 WHERE m.object_id = '$1';
	UPDATE models SET next_version_index = $2 WHERE object_id = '$1';
	SQL
}
# live OBJ: its live versions, as models-admin model list counts them.
live() {
	"$ADMIN" model list acme proj "$1" | wc -l
}

# exe_of PID, uid_of PID, threads_of PID
exe_of() { readlink "/proc/$1/exe" 2>/dev/null; }
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# listening_fd0 PID: prints "listening PATH" when fd 0 of PID is a
# listening unix socket (flag __SO_ACCEPTCON in /proc/net/unix).
listening_fd0() {
	local ino
	ino=$(readlink "/proc/$1/fd/0" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$ino" ] || { echo "fd 0 is $(readlink "/proc/$1/fd/0")"; return; }
	awk -v i="$ino" '$7 == i { print ($4 == "00010000" ? "listening" : "flags " $4), $8 }' /proc/net/unix
}

# can_connect USER SOCKET: exit 0 when USER may connect to SOCKET.
can_connect() {
	runuser -u "$1" -- "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$2" 2>/dev/null
}

# check_socket TAG SOCKET: mode 0660, owner www-data, not world-writable,
# www-data may connect, nobody may not.
check_socket() {
	expect_eq "$1: socket mode and owner" "660 www-data www-data socket" \
	    "$(stat -c '%a %U %G %F' "$2")"
	expect_eq "$1: socket not world-accessible" "" \
	    "$(find "$2" -perm /o+rwx)"
	can_connect www-data "$2"
	expect_eq "$1: www-data may connect" 0 $?
	can_connect nobody "$2"
	expect_eq "$1: nobody may not connect" 1 $?
}

# app_wait PID: after a TERM, waits up to 15 s for PID (a child of this
# shell, so not from a subshell) to end; sets ST to its exit status, or to
# "timeout" after killing it and its children with SIGKILL.
app_wait() {
	local kids
	ST=timeout
	if ! wait_until 15 eval '! kill -0 '"$1"' 2>/dev/null'; then
		kids=$(pgrep -P "$1")
		echo "procs.sh: pid $1 still running 15 s after SIGTERM; killing it" >&2
		kill -KILL "$1" $kids 2>/dev/null
		wait "$1" 2>/dev/null
		return 0
	fi
	wait "$1"
	ST=$?
}
# is_app PID: PID has exec'd the app (not a fork still on its way there).
is_app() { [ "$(exe_of "$1")" = "$APPX" ]; }

# --- the load client --------------------------------------------------------
# CLIENTS threads send DELETE ...models/OBJ?digests=vI for I in [0, COUNT),
# each index once (X-Request-Id NAME-I), one at a time each, until all are
# sent, DEADLINE seconds have passed, or the file STOP exists. One line per
# request: RID STATUS KIND NUM T0 T1, where KIND is ok (200 and exactly
# {"num_deleted":NUM}, application/json), nf (the app's 404), app503, front5xx
# (5xx whose body is not JSON: the front's own page), truncated, conn:...
# (no HTTP answer), or other.
cat >"$T/load.py" <<'EOF'
import http.client, json, os, sys, threading, time
port, key, obj, count, clients, deadline, name, stop = sys.argv[1:9]
port, count, clients = int(port), int(count), int(clients)
t_end = time.time() + float(deadline)
out, lock = [], threading.Lock()

def classify(status, body, ctype):
    try:
        j = json.loads(body)
    except ValueError:
        j = None
    if (status == 200 and ctype == "application/json" and isinstance(j, dict)
            and list(j) == ["num_deleted"] and type(j["num_deleted"]) is int):
        return "ok", j["num_deleted"]
    if status == 404 and isinstance(j, dict) and j.get("error_type") == "NotFoundError":
        return "nf", 0
    if status == 503 and isinstance(j, dict) and j.get("error_type") == "ServiceUnavailable":
        return "app503", 0
    if status >= 500 and j is None:
        return "front5xx", 0
    return "other", 0

def client(k):
    conn = None
    for i in range(k, count, clients):
        if time.time() >= t_end or os.path.exists(stop):
            break
        rid = "%s-%d" % (name, i)
        t0 = time.time()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("DELETE", "/v2/acme/proj/models/%s?digests=v%d" % (obj, i),
                         headers={"Authorization": "Bearer " + key, "X-Request-Id": rid})
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
            status = r.status
            kind, num = classify(status, body, r.getheader("Content-Type"))
            if r.will_close:
                conn.close()
                conn = None
        except http.client.IncompleteRead:
            status, kind, num = 0, "truncated", 0
        except Exception as e:
            status, kind, num = 0, "conn:" + type(e).__name__, 0
        if status == 0 and conn is not None:
            conn.close()
            conn = None
        with lock:
            out.append("%s %d %s %d %.6f %.6f" % (rid, status, kind, num, t0, time.time()))

threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.stdout.write("".join(line + "\n" for line in out))
EOF

# load_start NAME OBJ COUNT CLIENTS DEADLINE: the load client in the
# background against $PORT; records in $T/NAME.out.
load_start() {
	rm -f "$T/$1.stop"
	timeout 60 "$PY" "$T/load.py" "$PORT" "$KEY" "$2" "$3" "$4" "$5" "$1" \
	    "$T/$1.stop" >"$T/$1.out" 2>"$T/$1.err" &
	echo $! >"$T/$1.loadpid"
	LOADS="$LOADS $T/$1.loadpid"
}
load_wait() {
	wait "$(cat "$T/$1.loadpid")"
	rm -f "$T/$1.loadpid"
	[ -s "$T/$1.err" ] && { echo "load client $1:"; head -n 5 "$T/$1.err"; }
}
# kinds NAME: "STATUS KIND xCOUNT" summary of the records.
kinds() { awk '{ print $2, $3 }' "$T/$1.out" | sort | uniq -c | awk '{ printf "%s%s %s x%s", (NR > 1 ? ", " : ""), $2, $3, $1 }'; }
count_kind() { awk -v k="$2" '$3 == k { n++ } END { print n + 0 }' "$T/$1.out"; }
count_not() { awk '$3 != "ok" && $3 != "front5xx" { n++ } END { print n + 0 }' "$T/$1.out"; }
sum_ok() { awk '$3 == "ok" { s += $4 } END { print s + 0 }' "$T/$1.out"; }
# ok_after NAME TIME: ok answers to requests sent after TIME.
ok_after() { awk -v t="$2" '$3 == "ok" && $5 > t { n++ } END { print n + 0 }' "$T/$1.out"; }
# fail_after NAME TIME: front 5xx for requests sent after TIME.
fail_after() { awk -v t="$2" '$3 == "front5xx" && $5 > t { n++ } END { print n + 0 }' "$T/$1.out"; }
rids() { awk -v k="$2" '$3 == k { print $1 }' "$T/$1.out" | sort; }
# logged_rids LOG OBJ: request ids the app logged as 200 for OBJ.
logged_rids() {
	awk -v p="/v2/acme/proj/models/$2" '$3 == "DELETE" && $4 == p && $5 == 200 { print $2 }' "$1" | sort
}
audit_rids() {
	psql_q "SELECT request_id FROM delete_audit WHERE object_id = '$1' AND num_deleted = 1" | sort
}

# front_two_start DIR PORT SOCKET1 SOCKET2: lighttpd with two backends,
# its workers as www-data like stack_front_start's.
front_two_start() {
	local dir=$1
	mkdir -p "$dir/www"
	sed -e "s|@DIR@|$(sed_value "$dir")|g" -e "s|@PORT@|$2|g" \
	    -e "s|@SOCKET1@|$(sed_value "$3")|g" \
	    -e "s|@SOCKET2@|$(sed_value "$4")|g" \
	    -e 's|@USER_LINE@|server.username = "www-data"\nserver.groupname = "www-data"|' \
	    "$ROOT/deploy/lighttpd/dev-two.conf.in" >"$dir/front.conf"
	chown -R www-data: "$dir"	# lighttpd opens its log as www-data
	lighttpd -D -f "$dir/front.conf" 2>>"$dir/front-error.log" &
	echo $! >"$dir/front.pidfile"
	FRONTS="$FRONTS $dir/front.pidfile"
	stack_wait_port "$2" || { cat "$dir/front-error.log" >&2; return 1; }
}
# front_start DIR SOCKET: lighttpd (deploy/lighttpd/dev.conf.in) on a new
# $PORT, $BASE set.
front_start() {
	PORT=$(stack_free_port)
	BASE="http://127.0.0.1:$PORT"
	FRONTS="$FRONTS $1/front.pidfile"
	stack_front_start lighttpd "$1" "$PORT" "$2" /dev/null
}

# --- the stack ----------------------------------------------------------------
stack_pg_init "$T/pg" || abort "PostgreSQL initdb"
stack_pg_start "$T/pg" "$T/sock" "-c fsync=off" || abort "PostgreSQL start"
"$ADMIN" migrate >/dev/null || abort "models-admin migrate"
KEY=$("$ADMIN" key create acme)
B="Authorization: Bearer $KEY"
export MODELS_API_THREADS=$THREADS
# The unprivileged runs need a binary that nobody may execute; a checkout
# under a private home may not be.
APP=$BUILD/models-api
if ! runuser -u nobody -- test -x "$APP"; then
	mkdir -p "$T/bin"
	cp "$APP" "$T/bin/models-api"
	APP=$T/bin/models-api
fi
APPX=$(readlink -f "$APP")

# --- 0. systemd units -----------------------------------------------------------
# No systemd runs here (not PID 1): verify checks syntax and references
# offline. ExecStart must name an existing binary, so the copies point at
# the build. It reports problems on stderr and still exits 0: any output
# counts as a failure.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/units"
	# A template is verified as an instance of it (models-api@one).
	for f in "$ROOT"/deploy/systemd/*.socket "$ROOT"/deploy/systemd/*.service; do
		u=${f##*/}
		sed "s|/usr/sbin/models-api|$APP|g" "$f" >"$T/units/${u/@./@one.}"
	done
	# Documentation=man:models-api(8) must resolve: the page make built.
	mkdir -p "$T/man/man8"
	cp "$BUILD/models-api.8" "$T/man/man8/" 2>/dev/null
	OUT=$(cd "$T/units" && MANPATH="$T/man:$(manpath 2>/dev/null)" \
	    systemd-analyze verify ./*.socket ./*.service 2>&1)
	expect_eq "0: systemd-analyze verify (status 0, no complaint)" "0:" "$?:$OUT"
	expect_eq "0: units" "models-api-spawn.service models-api.service models-api.socket models-api@one.service models-api@one.socket" \
	    "$(cd "$T/units" && echo *)"
	grep -q '^StandardInput=socket$' "$ROOT/deploy/systemd/models-api.service" &&
	    grep -q '^SocketMode=0660$' "$ROOT/deploy/systemd/models-api.socket"
	expect_eq "0: StandardInput=socket, SocketMode=0660" 0 $?
else
	info "systemd-analyze not installed: unit files not verified (skipped)"
fi

# --- a. fd-0 socket mode: spawn-fcgi ---------------------------------------------
mkversions fd0 10
TREES="$TREES $T/a.pid"
stack_app_start "$T/a.sock" "$T/a.log" "$T/a.pid" || abort "models-api (a)"
APID=$(cat "$T/a.pid")
wait_until 5 eval '[ "$(exe_of "$APID")" = "$(readlink -f "$BUILD/models-api")" ]'
check_socket "a (spawn-fcgi)" "$T/a.sock"
expect_eq "a: spawn-fcgi -n exec'd the app" "$(readlink -f "$BUILD/models-api")" "$(exe_of "$APID")"
expect_eq "a: app runs unprivileged" yes "$(u=$(uid_of "$APID"); [ -n "$u" ] && [ "$u" != 0 ] && echo yes)"
expect_eq "a: fd 0 is the listening socket" "listening $T/a.sock" "$(listening_fd0 "$APID")"
front_start "$T/fa" "$T/a.sock" || abort "lighttpd (fa)"
req GET /health;			expect "a: health" 200 '{"status":"ok"}'
req DELETE "/v2/acme/proj/models/fd0?digests=v3" -H "$B"
expect "a: delete" 200 '{"num_deleted":1}'
stack_stop_pid "$T/fa/front.pidfile"
kill -TERM "$APID"
app_wait "$APID"
expect_eq "a: SIGTERM, exit status" 0 "$ST"
rm -f "$T/a.pid"

# --- a. fd-0 socket mode: systemd socket activation, emulated ----------------
# sockact.py does what models-api.socket + models-api.service do: it owns
# the socket, the service gets it as fd 0, its variables from the
# EnvironmentFile only, runs as an unprivileged user, and is restarted when
# it dies while the socket stays open.
cat >"$T/sockact.py" <<'EOF'
import grp, os, pwd, signal, socket, sys, time
sock_path, env_file, binary, log, events = sys.argv[1:6]
stopping, child = False, 0

def note(line):
    with open(events, "a") as f:
        f.write(line + "\n")

def on_term(sig, frame):
    global stopping
    stopping = True
    if child:
        os.kill(child, signal.SIGTERM)

# EnvironmentFile=: the service gets DATABASE_URL from the file alone.
env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "MODELS_API_"))}
with open(env_file) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            k, v = line.split("=", 1)
            env[k] = v
# ListenStream=, SocketUser=www-data, SocketGroup=www-data, SocketMode=0660
if os.path.exists(sock_path):
    os.unlink(sock_path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
os.chown(sock_path, pwd.getpwnam("www-data").pw_uid, grp.getgrnam("www-data").gr_gid)
os.chmod(sock_path, 0o660)
s.listen(128)
signal.signal(signal.SIGTERM, on_term)
uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
logfd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
status = 1
for start in range(6):		# Restart=always, within a start limit
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.dup2(s.fileno(), 0)		# StandardInput=socket
            if s.fileno() != 3:
                os.dup2(s.fileno(), 3)		# LISTEN_FDS=1
            os.set_inheritable(3, True)
            os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
            os.dup2(logfd, 2)		# StandardError=journal, here a file
            os.setgroups([])
            os.setgid(gid)			# User=, Group=
            os.setuid(uid)
            env["LISTEN_FDS"] = "1"
            env["LISTEN_PID"] = str(os.getpid())
            os.execve(binary, [binary], env)
        finally:
            os._exit(127)
    child = pid
    note("start %d" % pid)
    _, st = os.waitpid(pid, 0)
    child = 0
    status = os.waitstatus_to_exitcode(st)
    note("exit %d %d" % (pid, status))
    if stopping:
        break
    time.sleep(0.2)			# RestartSec=200ms
    if stopping:
        break
s.close()
os.unlink(sock_path)			# RemoveOnStop=yes
sys.exit(status if status >= 0 else 128 - status)
EOF
printf '# as /etc/models-api/env\nDATABASE_URL=%s\nMODELS_API_THREADS=2\nMODELS_API_CONNECTIONS=3\n' \
    "$DATABASE_URL" >"$T/sa.env"
"$PY" "$T/sockact.py" "$T/sa.sock" "$T/sa.env" "$APP" "$T/sa.log" \
    "$T/sa.events" 2>>"$T/sa.log" &
echo $! >"$T/sa.pid"
TREES="$TREES $T/sa.pid"
sa_started() { [ -S "$T/sa.sock" ] && [ "$(grep -c '^start' "$T/sa.events" 2>/dev/null)" -ge "$1" ]; }
wait_until 5 sa_started 1 || abort "socket activation stand-in: $(tail -n 3 "$T/sa.log")"
SPID=$(sed -n 's/^start //p' "$T/sa.events" | tail -n 1)
wait_until 5 eval 'is_app "$SPID" && [ "$(threads_of "$SPID")" = 4 ]'
check_socket "a (socket activation)" "$T/sa.sock"
expect_eq "a: activated service, fd 0 is the socket" "listening $T/sa.sock" "$(listening_fd0 "$SPID")"
expect_eq "a: activated service runs as nobody" 65534 "$(uid_of "$SPID")"
expect_eq "a: EnvironmentFile: 3 request threads + main" 4 "$(threads_of "$SPID")"
front_start "$T/fsa" "$T/sa.sock" || abort "lighttpd (fsa)"
req DELETE "/v2/acme/proj/models/fd0?digests=v4" -H "$B"
expect "a: activated service deletes (DATABASE_URL from the file)" 200 '{"num_deleted":1}'
# SIGKILL, and a request at once: it waits on the socket for the restart.
kill -KILL "$SPID"
req DELETE "/v2/acme/proj/models/fd0?digests=v5" -H "$B"
expect "a: request while the service restarts" 200 '{"num_deleted":1}'
wait_until 5 sa_started 2
SPID2=$(sed -n 's/^start //p' "$T/sa.events" | tail -n 1)
wait_until 5 is_app "$SPID2"
expect_eq "a: killed service restarted (new pid)" "2 new" \
    "$(grep -c '^start' "$T/sa.events") $([ "$SPID2" != "$SPID" ] && echo new)"
expect_eq "a: the kill recorded" "exit $SPID -9" "$(grep "^exit $SPID " "$T/sa.events")"
stack_stop_pid "$T/fsa/front.pidfile"
kill -TERM "$(cat "$T/sa.pid")"
app_wait "$(cat "$T/sa.pid")"
expect_eq "a: manager stopped by SIGTERM" 0 "$ST"
expect_eq "a: service SIGTERM, exit status" "exit $SPID2 0" "$(tail -n 1 "$T/sa.events")"
rm -f "$T/sa.pid"

# --- b. multiwatch: a worker SIGKILLed under load ----------------------------
# deploy/spawn-fcgi/models-api.sh as shipped: sh -> spawn-fcgi -n ->
# multiwatch (same pid), 2 workers as nobody, variables from the env file.
# Quoted: a conninfo string holds blanks (the file is read by models-api's
# own parser, which refuses what a shell would read otherwise).
printf "DATABASE_URL='%s'\nMODELS_API_THREADS=%s\n" "$DATABASE_URL" "$THREADS" >"$T/mw.env"
env -u DATABASE_URL MODELS_API_SOCKET="$T/mw.sock" MODELS_API_BIN="$APP" \
    MODELS_API_FORKS=2 MODELS_API_USER=nobody MODELS_API_GROUP=nogroup \
    MODELS_API_ENV_FILE="$T/mw.env" \
    sh "$ROOT/deploy/spawn-fcgi/models-api.sh" 2>>"$T/mw.log" &
MW=$!
echo "$MW" >"$T/mw.pid"
TREES="$TREES $T/mw.pid"
workers() { pgrep -P "$MW" | sort -n | tr '\n' ' ' | sed 's/ $//'; }
two_workers() {
	local w n=0
	[ -S "$T/mw.sock" ] || return 1
	for w in $(pgrep -P "$MW"); do is_app "$w" && n=$((n + 1)); done
	[ $n = 2 ]
}
wait_until 5 two_workers || abort "multiwatch did not start 2 workers: $(tail -n 3 "$T/mw.log")"
expect_eq "b: spawn-fcgi -n exec'd multiwatch" /usr/bin/multiwatch "$(exe_of "$MW")"
check_socket "b (multiwatch)" "$T/mw.sock"
W1=$(workers | cut -d' ' -f1); W2=$(workers | cut -d' ' -f2)
expect_eq "b: workers are models-api, as nobody" "$APPX 65534 $APPX 65534" \
    "$(exe_of "$W1") $(uid_of "$W1") $(exe_of "$W2") $(uid_of "$W2")"
front_start "$T/fmw" "$T/mw.sock" || abort "lighttpd (fmw)"
mkversions mwload 9000
# The load runs until told to stop (30 s at most), so how fast this
# machine is decides nothing: each step waits for requests served.
load_start b mwload 9000 6 30
# Kill once both workers have been serving for a while.
busy() { [ "$(wc -l <"$T/mw.log")" -ge 1000 ]; }
wait_until 20 busy
kill -KILL "$W1"; KT2=$(now)
replaced() { two_workers && ! pgrep -P "$MW" | grep -qx "$W1"; }
wait_until 5 replaced
W3=$(workers | tr ' ' '\n' | grep -vx "$W2" | head -n 1)
RESTART=$(now)
N0=$(wc -l <"$T/mw.log")
served_after() { [ "$(wc -l <"$T/mw.log")" -ge $((N0 + 150)) ]; }
wait_until 20 served_after
touch "$T/b.stop"
load_wait b
info "b: SIGKILLed worker $W1 under load (6 clients); multiwatch started $W3 within $(awk -v a="$KT2" -v b="$RESTART" 'BEGIN { printf "%.2f", b - a }') s"
info "b: answers: $(kinds b)"
F=$(count_kind b front5xx)
REMOVED=$((9000 - $(live mwload)))
SUM=$(sum_ok b)
info "b: versions removed $REMOVED, sum of num_deleted over the 200s $SUM, 5xx $F"
expect_eq "b: new worker is models-api, as nobody, under multiwatch" "$APPX 65534" \
    "$(exe_of "$W3") $(uid_of "$W3")"
expect_eq "b: only 200s and 5xx from the front (no hang, no cut body)" 0 "$(count_not b)"
# A killed process loses what it had accepted: one request per client.
expect_eq "b: failures at most one per client" 1 $((F <= 6))
expect_eq "b: every failure was in flight at the kill" 0 "$(fail_after b "$KT2")"
expect_eq "b: load went on after the restart" 1 $(($(ok_after b "$RESTART") >= 100))
# A request killed after its transaction committed got a 5xx though its
# version is gone: never a 200 without the delete, nor the reverse.
expect_eq "b: 200s <= removed <= 200s + 5xx" 1 $((SUM <= REMOVED && REMOVED <= SUM + F))
rids b ok >"$T/b.ok"; rids b front5xx >"$T/b.5xx"; audit_rids mwload >"$T/b.audit"
expect_eq "b: every 200 has its audit row" "" "$(comm -23 "$T/b.ok" "$T/b.audit")"
expect_eq "b: every other audit row is a 5xx'd request" "" \
    "$(comm -13 "$T/b.ok" "$T/b.audit" | comm -23 - "$T/b.5xx")"
# The new worker serves on its own: the old one stopped, requests go on.
kill -STOP "$W2"
CODES=""
for i in 1 2 3 4 5; do req GET /health; CODES="$CODES$CODE "; done
kill -CONT "$W2"
expect_eq "b: the new worker serves alone" "200 200 200 200 200 " "$CODES"
stack_stop_pid "$T/fmw/front.pidfile"
kill -TERM "$MW"
app_wait "$MW"
expect_eq "b: multiwatch stopped by SIGTERM, exit status" 0 "$ST"
expect_eq "b: no worker left" "" \
    "$(ps -o pid=,stat= -p "$W2,$W3" 2>/dev/null | awk '$2 !~ /^Z/')"
rm -f "$T/mw.pid"

# --- c. two instances, one stopped under load -----------------------------------
TREES="$TREES $T/c1.pid"
stack_app_start "$T/c1.sock" "$T/c1.log" "$T/c1.pid" || abort "models-api (c1)"
TREES="$TREES $T/c2.pid"
stack_app_start "$T/c2.sock" "$T/c2.log" "$T/c2.pid" || abort "models-api (c2)"
C1=$(cat "$T/c1.pid")
PORT=$(stack_free_port)
BASE="http://127.0.0.1:$PORT"
front_two_start "$T/fc" "$PORT" "$T/c1.sock" "$T/c2.sock" || abort "lighttpd (two backends)"
expect_eq "c: lighttpd runs as www-data" 33 "$(uid_of "$(cat "$T/fc/front.pidfile")")"
mkversions twoload 9000
load_start c twoload 9000 6 30
both_busy() { [ "$(wc -l <"$T/c1.log")" -ge 500 ] && [ "$(wc -l <"$T/c2.log")" -ge 500 ]; }
wait_until 20 both_busy
expect_eq "c: both instances served" 0 $?
ST1=$(now); kill -TERM "$C1"
app_wait "$C1"; C1_STATUS=$ST; ST2=$(now)
rm -f "$T/c1.pid"
N0=$(wc -l <"$T/c2.log")
served_after() { [ "$(wc -l <"$T/c2.log")" -ge $((N0 + 150)) ]; }
wait_until 20 served_after
touch "$T/c.stop"
load_wait c
F=$(count_kind c front5xx)
REMOVED=$((9000 - $(live twoload)))
SUM=$(sum_ok c)
info "c: SIGTERMed instance 1 of 2 under load (6 clients); it took $(awk -v a="$ST1" -v b="$ST2" 'BEGIN { printf "%.3f", b - a }') s to exit"
info "c: answers: $(kinds c)"
info "c: versions removed $REMOVED, sum of num_deleted over the 200s $SUM, 5xx $F"
expect_eq "c: stopped instance exit status" 0 "$C1_STATUS"
expect_eq "c: only 200s and 5xx from the front" 0 "$(count_not c)"
expect_eq "c: failures at most one per client" 1 $((F <= 6))
expect_eq "c: every failure was sent before the instance was gone" 0 "$(fail_after c "$ST2")"
expect_eq "c: load went on through the other" 1 $(($(ok_after c "$ST2") >= 100))
expect_eq "c: sum of 200 counts = versions removed" "$REMOVED" "$SUM"
rids c ok >"$T/c.ok"
expect_eq "c: 200s = audit rows (none lost, none twice)" "$(cat "$T/c.ok")" "$(audit_rids twoload)"
expect_eq "c: 200s = what the apps logged as 200" "$(cat "$T/c.ok")" \
    "$(cat "$T/c1.log" "$T/c2.log" | logged_rids /dev/stdin twoload)"
stack_stop_pid "$T/fc/front.pidfile"
stack_stop_pid "$T/c2.pid"

# --- d. SIGTERM under load, one instance ------------------------------------------
# Three deletes are held in the database by a row lock, so they are surely
# in flight when SIGTERM comes; a load of deletes runs beside them.
TREES="$TREES $T/d.pid"
stack_app_start "$T/d.sock" "$T/d.log" "$T/d.pid" || abort "models-api (d)"
D=$(cat "$T/d.pid")
front_start "$T/fd" "$T/d.sock" || abort "lighttpd (fd)"
mkversions slow 3
mkversions dload 9000
load_start d dload 9000 4 8
d_busy() { [ "$(wc -l <"$T/d.log")" -ge 500 ]; }
wait_until 5 d_busy
"$PGBIN/psql" "$DATABASE_URL" -qc "BEGIN; SELECT 1 FROM models WHERE object_id = 'slow' FOR UPDATE; SELECT pg_sleep(1.5); COMMIT;" >/dev/null 2>&1 &
LOCKER=$!
locked() { [ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' AND state = 'active' AND pid <> pg_backend_pid()")" = 1 ]; }
wait_until 5 locked
SLOW=""
for i in 0 1 2; do
	curl -s -o "$T/slow.$i" -w '%{http_code}' --max-time 20 -X DELETE -H "$B" \
	    "$BASE/v2/acme/proj/models/slow?digests=v$i" >"$T/slow.$i.code" &
	SLOW="$SLOW $!"
done
# Sessions blocked, directly or through another waiter, by the locker (the
# load's deletes wait on each other's lock too, but never on these).
waiting() {
	[ "$(psql_q "WITH RECURSIVE
	    l AS (SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' AND state = 'active' AND pid <> pg_backend_pid()),
	    w AS (SELECT a.pid FROM pg_stat_activity a, l WHERE l.pid = ANY (pg_blocking_pids(a.pid))
	          UNION SELECT a.pid FROM pg_stat_activity a, w WHERE w.pid = ANY (pg_blocking_pids(a.pid)))
	    SELECT count(*) FROM w")" = 3 ]
}
wait_until 5 waiting
expect_eq "d: 3 deletes in flight, waiting in the database" 0 $?
DT1=$(now); kill -TERM "$D"
sleep 0.3
kill -0 "$D" 2>/dev/null
expect_eq "d: still running 0.3 s after SIGTERM (requests in flight)" 0 $?
app_wait "$D"; D_STATUS=$ST; DT2=$(now)
rm -f "$T/d.pid"
touch "$T/d.stop"
wait $SLOW
wait "$LOCKER"
load_wait d
info "d: SIGTERM with 3 held deletes and a load (4 clients) in flight; exit after $(awk -v a="$DT1" -v b="$DT2" 'BEGIN { printf "%.3f", b - a }') s"
info "d: answers: $(kinds d)"
expect_eq "d: exit status" 0 "$D_STATUS"
expect_eq "d: held deletes all answered, whole" \
    '200 {"num_deleted":1} 200 {"num_deleted":1} 200 {"num_deleted":1}' \
    "$(for i in 0 1 2; do printf '%s %s ' "$(cat "$T/slow.$i.code")" "$(cat "$T/slow.$i")"; done | sed 's/ $//')"
expect_eq "d: held deletes done" 0 "$(live slow)"
expect_eq "d: load: only whole JSON 200s and 5xx from the front" 0 "$(count_not d)"
expect_eq "d: load: 200s = what the app logged as 200 (none cut off)" \
    "$(rids d ok)" "$(logged_rids "$T/d.log" dload)"
expect_eq "d: load: sum of 200 counts = versions removed" \
    "$((9000 - $(live dload)))" "$(sum_ok d)"
expect_eq "d: load was served until the SIGTERM" 1 $(($(count_kind d ok) >= 100))
stack_stop_pid "$T/fd/front.pidfile"

# --- e. SIGUSR1 and SIGINT: the same graceful stop as SIGTERM ----------------
# One delete is held in the database by a row lock this script takes and
# releases on demand (psql fed through a FIFO); the signal comes while it
# waits. The app must finish it, answer it whole and exit 0.
for SIG in USR1 INT; do
	TAG="e ($SIG)"
	TREES="$TREES $T/e$SIG.pid"
	stack_app_start "$T/e$SIG.sock" "$T/e$SIG.log" "$T/e$SIG.pid" || abort "models-api ($TAG)"
	E=$(cat "$T/e$SIG.pid")
	front_start "$T/fe$SIG" "$T/e$SIG.sock" || abort "lighttpd ($TAG)"
	"$ADMIN" model add acme proj "sig$SIG" --val '{}' >/dev/null
	mkfifo "$T/e$SIG.in"
	"$PGBIN/psql" "$DATABASE_URL" -q <"$T/e$SIG.in" >/dev/null 2>&1 &
	LOCKER=$!
	exec 3>"$T/e$SIG.in"
	echo "BEGIN; SELECT 1 FROM models WHERE object_id = 'sig$SIG' FOR UPDATE;" >&3
	e_locked() { [ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%''sig$SIG'' FOR UPDATE%'")" = 1 ]; }
	wait_until 5 e_locked
	curl -s -o "$T/e$SIG.body" -w '%{http_code}' --max-time 20 -X DELETE -H "$B" \
	    "$BASE/v2/acme/proj/models/sig$SIG" >"$T/e$SIG.code" &
	CLIENT=$!
	e_waiting() { [ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%delete_model%'")" = 1 ]; }
	wait_until 5 e_waiting
	expect_eq "$TAG: the delete waits in the database" 0 $?
	kill -"$SIG" "$E"
	sleep 0.3
	kill -0 "$E" 2>/dev/null
	expect_eq "$TAG: still running with a request in flight" 0 $?
	echo "COMMIT;" >&3
	exec 3>&-
	wait "$LOCKER"
	wait "$CLIENT"
	app_wait "$E"
	rm -f "$T/e$SIG.pid"
	expect_eq "$TAG: exit status" 0 "$ST"
	expect_eq "$TAG: the held delete answered, whole" '200 {"num_deleted":1}' \
	    "$(cat "$T/e$SIG.code") $(cat "$T/e$SIG.body")"
	expect_eq "$TAG: the held delete done" "" "$("$ADMIN" model list acme proj "sig$SIG")"
	stack_stop_pid "$T/fe$SIG/front.pidfile"
done

# --- f. a TCP listener: the fronts FCGI_WEB_SERVER_ADDRS lists ---------------
# --listen HOST:PORT. The workers accept connections themselves, not
# libfcgi; what libfcgi's accept did for TCP stays: only the front
# addresses FCGI_WEB_SERVER_ADDRS lists (unset: any) get an answer, any
# other connection is closed unread.
tcp_health() {
	SCRIPT_NAME=/health REQUEST_URI=/health REQUEST_METHOD=GET \
	    cgi-fcgi -bind -connect "127.0.0.1:$1" 2>/dev/null | head -n 1 | tr -d '\r'
}
for ALLOWED in - 127.0.0.1 "10.9.9.9, 127.0.0.1" 10.9.9.9; do
	TPORT=$(stack_free_port)
	if [ "$ALLOWED" = - ]; then
		set -- env -u FCGI_WEB_SERVER_ADDRS
	else
		set -- env FCGI_WEB_SERVER_ADDRS="$ALLOWED"
	fi
	"$@" setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	    "$APP" --listen "127.0.0.1:$TPORT" 2>>"$T/f.log" &
	echo $! >"$T/f.pid"
	TREES="$TREES $T/f.pid"
	wait_until 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TPORT" 2>/dev/null
	WANT="Status: 200 OK"
	[ "$ALLOWED" = 10.9.9.9 ] && WANT=""
	expect_eq "f: TCP, FCGI_WEB_SERVER_ADDRS '$ALLOWED': /health" "$WANT" "$(tcp_health "$TPORT")"
	stack_stop_pid "$T/f.pid"
done
# 300 connections, 300 epoll instances: a soft limit of 256 open files is
# raised (to 2 x 300 + 64 + threads), the hard one left alone.
TPORT=$(stack_free_port)
MODELS_API_CONNECTIONS=300 prlimit --nofile=256:4096 setpriv --reuid=nobody \
    --regid=nogroup --clear-groups -- "$APP" --listen "127.0.0.1:$TPORT" 2>>"$T/f.log" &
echo $! >"$T/f.pid"
wait_until 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TPORT" 2>/dev/null
expect_eq "f: 300 connections under a soft limit of 256 open files: /health" "Status: 200 OK" "$(tcp_health "$TPORT")"
expect_eq "f: the soft limit raised, the hard one kept" "$((600 + 64 + THREADS)) 4096" \
    "$(awk '/^Max open files/ { print $4, $5 }' "/proc/$(cat "$T/f.pid")/limits")"
stack_stop_pid "$T/f.pid"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
