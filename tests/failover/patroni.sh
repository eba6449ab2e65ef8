#!/usr/bin/env bash
# The failover load (load.py, verify.py) across a Patroni-managed failover:
# etcd (one member) and two Patroni nodes from deploy/patroni/node.yml.in
# (synchronous_mode, master_start_timeout 0), all as plain processes (no
# systemd here), PostgreSQL on 127.0.0.1 TCP ports; models-api on the
# two-host DATABASE_URL of deploy/patroni/env.example (replica listed
# first, target_session_attrs=read-write). In the middle of the load the
# leader's postmaster is killed with SIGKILL; Patroni on that node sees the
# crash and releases the leader key, the synchronous replica takes it and
# promotes itself. The same checks as tests/failover/run.sh then run on the
# new leader; the gap is measured from the kill to the first success, and
# from the moment the replica answered as primary.
# PATRONI_LOAD_S (default 40) seconds of load, kill at 10 s. KEEP=1 keeps
# $T. Needs Debian's patroni and etcd-server. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
HERE=$ROOT/tests/failover
LOAD_S=${PATRONI_LOAD_S:-40}
EVENT_AT=10
VERSIONS=1500
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
. "$HERE/lib.sh"

for c in patroni etcd; do
	command -v $c >/dev/null || { echo "$c is not installed"; echo "0 passed, 1 failed"; exit 1; }
done

T=$(mktemp -d /tmp/models-patroni.XXXXXX)
chmod 755 "$T"
[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$T"

# run_as_pg_bg PIDFILE LOG CMD...: CMD in the background as the cluster's
# user, exec'd (setpriv does not fork), so PIDFILE names CMD itself.
run_as_pg_bg() {
	local pidfile=$1 log=$2
	shift 2
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid "$PG_USER" --regid "$PG_USER" --init-groups -- "$@" >"$log" 2>&1 &
	else
		"$@" >"$log" 2>&1 &
	fi
	echo $! >"$pidfile"
}

pat_end() {
	stack_stop_pid "$T/front/front.pidfile"
	stack_stop_pid "$T/app.pid"
	# Patroni stops its PostgreSQL when it exits.
	stack_stop_pid "$T/node2.pid"
	stack_stop_pid "$T/node1.pid"
	for n in 1 2; do stack_pg_stop "$T/node$n" immediate; done
	stack_stop_pid "$T/etcd.pid"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap pat_end EXIT

# http_code URL: the status of a GET, 000 when nothing answers.
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1"; }

# wait_for URL CODE TENTHS: polls until URL answers CODE.
wait_for() {
	local i
	for i in $(seq 1 "$3"); do
		[ "$(http_code "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

EP=$(stack_free_port); PP=$(stack_free_port)
run_as_pg_bg "$T/etcd.pid" "$T/etcd.log" etcd --name fo --data-dir "$T/etcd" \
    --listen-client-urls "http://127.0.0.1:$EP" --advertise-client-urls "http://127.0.0.1:$EP" \
    --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
    --initial-cluster "fo=http://127.0.0.1:$PP"
wait_for "http://127.0.0.1:$EP/health" 200 100 || { fail etcd "did not start: $(tail -n 3 "$T/etcd.log")"; echo "$PASS passed, $FAIL failed"; exit 1; }

for n in 1 2; do
	eval "API$n=$(stack_free_port) PG$n=$(stack_free_port)"
	eval "api=\$API$n pg=\$PG$n"
	mkdir -p "$T/sock$n"
	sed -e "s|@NAME@|node$n|" -e "s|@API_PORT@|$api|" -e "s|@PG_PORT@|$pg|" \
	    -e "s|@ETCD_HOSTS@|127.0.0.1:$EP|" -e "s|@DATA_DIR@|$T/node$n|g" \
	    -e "s|@BIN_DIR@|$PGBIN|" -e "s|@SOCK_DIR@|$T/sock$n|" \
	    -e "s|@EXTRA_PARAMETERS@|        fsync: \"off\"|" \
	    "$ROOT/deploy/patroni/node.yml.in" >"$T/node$n.yml"
done
[ "$(id -u)" -eq 0 ] && chown -R "$PG_USER" "$T"
# node1 bootstraps (initdb) and leads; node2 is cloned from it.
run_as_pg_bg "$T/node1.pid" "$T/node1.log" patroni "$T/node1.yml"
wait_for "http://127.0.0.1:$API1/primary" 200 600 || fail "node1" "never became the leader: $(tail -n 3 "$T/node1.log")"
run_as_pg_bg "$T/node2.pid" "$T/node2.log" patroni "$T/node2.yml"
wait_for "http://127.0.0.1:$API2/sync" 200 600 || fail "node2" "never became the synchronous replica: $(tail -n 3 "$T/node2.log")"
expect_eq "node1 leads, node2 is the synchronous replica" "200 200" \
    "$(http_code "http://127.0.0.1:$API1/primary") $(http_code "http://127.0.0.1:$API2/sync")"

as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG1" -U postgres models
export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG1/models"
"$BUILD/models-admin" migrate >/dev/null || exit 1
KEY=$("$BUILD/models-admin" key create fo) || exit 1
fo_seed "$VERSIONS" "$T/plan" || exit 1

export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG2,127.0.0.1:$PG1/models?target_session_attrs=read-write"
export MODELS_API_STATEMENT_TIMEOUT_MS=1000 MODELS_API_THREADS=8
stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" || exit 1
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" /dev/null || exit 1
BASE="http://127.0.0.1:$PORT"

python3 "$HERE/load.py" "$BASE" "$KEY" "$T/plan" "$T/patroni.rec" "$LOAD_S" \
    "$T/patroni.stop" --prefix patroni 2>"$T/patroni.loaderr" &
LP=$!
sleep "$EVENT_AT"
T_KILL=$(date +%s.%N)
kill -9 "$(head -n 1 "$T/node1/postmaster.pid")"
wait_for "http://127.0.0.1:$API2/primary" 200 600 || fail "failover" "node2 never became the leader"
T_PROM=$(date +%s.%N)
echo "patroni: node2 answered as primary after $(awk "BEGIN { printf \"%.3f\", $T_PROM - $T_KILL }") s"
wait "$LP"
[ -s "$T/patroni.loaderr" ] && fail "load client" "$(head -n 5 "$T/patroni.loaderr")"
fo_verify patroni "$T_KILL" "$T_PROM" "postgresql://postgres@127.0.0.1:$PG2/models" ""
echo "patroni: $(patronictl -c "$T/node2.yml" list 2>/dev/null | grep -c running) of 2 members running at the end"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
