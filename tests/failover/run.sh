#!/usr/bin/env bash
# Failover under load: a primary and a streaming standby (pg_basebackup -R),
# synchronous replication (synchronous_commit = on), models-api on a
# multi-host DATABASE_URL with target_session_attrs=read-write, lighttpd in
# front, and 16 clients creating, reading and deleting (load.py) while the
# primary is lost and the standby promoted with pg_ctl promote (standing in
# for the orchestrator).
# After each run, on the new primary (verify.py): every answer was 200, 404
# or 503 + Retry-After; every delete answered 200 is not live (per
# models-admin model list) and has its audit row; every create answered
# 200 is live with the digest and index it was given, and no read of one
# answered 404; the versions gone equal
# the audit rows' sum, and an audit row not matching a 200 belongs to a 503
# (outcome unknown, it committed); no version has two indices; successes
# resume after the promotion. The kill-to-first-success gap is reported,
# and bounded only generously (10 s).
#
# Runs (FAILOVER_RUNS, default all five):
#   sync        kill -9 of the primary (postmaster and its children at
#               once, as when the host dies), promotion 0.3 s later
#   stalled     the primary's walsender stopped (SIGSTOP) for 2.5 times the
#               statement timeout, then the same kill and promotion: the
#               commits waiting for the standby are cancelled by the app
#               and must be answered 503; none answered 200 may be lost
#   async       the same as sync with asynchronous replication: the
#               negative control, lost acknowledged deletes are reported,
#               not failed
#   switchover  planned: pg_ctl stop -m fast on the primary, then promote
#   bouncer-switchover  the same with the app behind PgBouncer, PAUSEd
#               before the stop, pointed at the new primary, RELOADed and
#               RESUMEd after the promotion: not one 503
#
# The kill time is taken once the primary is gone (the kill sent, the stop
# returned), so a success after it is the new primary's.
# FAILOVER_FORM=short (make check: 1.5 s of load, the event, 1.5 s after
# the promotion) or long (make failover: 10 s, the event, 15 s).
# The app keeps prepared statements on (the default) except behind
# PgBouncer; it is not restarted between the first four runs, so every
# failover makes it prepare them again on its new connections.
# FAILOVER_CREATES=0 / FAILOVER_READS=0 leave creates / reads out of the
# load (both in by default). KEEP=1 keeps $T.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
HERE=$ROOT/tests/failover
RUNS=${FAILOVER_RUNS:-sync stalled async switchover bouncer-switchover}
# Load: EVENT_AT seconds, the event (the stall included), then AFTER_S
# seconds after the promotion.
case ${FAILOVER_FORM:-short} in
long)	EVENT_AT=10 AFTER_S=15 VERSIONS=1000 ;;
*)	EVENT_AT=1.5 AFTER_S=1.5 VERSIONS=300 ;;
esac
TIMEOUT_MS=1000		# MODELS_API_STATEMENT_TIMEOUT_MS for the app
STALL_S=2.5		# the stalled standby: 2.5 x the statement timeout
PROMOTE_DELAY=0.3	# the orchestrator's detection time, roughly
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"
. "$HERE/lib.sh"


T=$(mktemp -d /tmp/models-failover.XXXXXX)
chmod 755 "$T"

fo_end() {
	stack_stop_pid "$T/front/front.pidfile"
	stack_stop_pid "$T/app.pid"
	stack_pgbouncer_stop "$T/bouncer"
	fo_clusters_down
	stack_pg_stop "$T/tmpl" immediate
	# shellcheck disable=SC2086
	[ -n "$RMPIDS" ] && wait $RMPIDS
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap fo_end EXIT

now() { date +%s.%N; }

# fo_clusters_down: both clusters stopped (killed if need be), removed.
fo_clusters_down() {
	local d pm g
	for d in "$T/pg1" "$T/pg2"; do
		[ -d "$d" ] || continue
		stack_pg_stop "$d" immediate
		if [ -f "$d/postmaster.pid" ]; then
			pm=$(head -n 1 "$d/postmaster.pid")
			kill -9 "$pm" $(pgrep -P "$pm") 2>/dev/null
		fi
		# Renamed, then removed in the background: the next pair's
		# copy need not wait for it (fo_end does).
		g=$d.gone.$RANDOM$RANDOM
		mv "$d" "$g" && { rm -rf "$g" & RMPIDS="$RMPIDS $!"; }
	done
}
RMPIDS=""

# fo_kill_primary: SIGKILL to pg1's postmaster and all its children in one
# call, as when the host dies (a stopped walsender included).
fo_kill_primary() {
	local pm
	pm=$(head -n 1 "$T/pg1/postmaster.pid")
	kill -9 "$pm" $(pgrep -P "$pm")
}

# fo_pair SYNC: a fresh primary in $T/pg1 (a copy of the seeded template)
# and a standby made from it with pg_basebackup -R in $T/pg2. SYNC=1: the
# standby is synchronous (synchronous_commit = on, the default). The
# settings are given on the primary's command line, so the standby's copy
# of postgresql.conf has no synchronous_standby_names: once promoted it
# does not wait for a standby it does not have.
fo_pair() {
	local names="''" want=async i state
	[ "$1" = 1 ] && names=node2 want=sync
	fo_clusters_down
	cp -a "$T/tmpl" "$T/pg1"
	rm -f "$T/pg1/postmaster.pid" "$T/pg1/server.log"
	stack_pg_start "$T/pg1" "$T/s1" "-c fsync=off -c synchronous_commit=on -c synchronous_standby_names=$names" || return 1
	mkdir -p "$T/pg2"
	chown "$PG_USER" "$T/pg2"
	chmod 700 "$T/pg2"
	as_pg "$PGBIN/pg_basebackup" -h "$T/s1" -U postgres -D "$T/pg2" -R \
	    -X stream -c fast || return 1
	stack_pg_start "$T/pg2" "$T/s2" "-c fsync=off -c cluster_name=node2" || return 1
	for i in $(seq 1 100); do
		state=$(as_pg "$PGBIN/psql" -h "$T/s1" -U postgres -d postgres -Atqc \
		    "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node2' AND state = 'streaming'")
		[ "$state" = "$want" ] && break
		sleep 0.1
	done
	expect_eq "$2: standby streaming, $want" "$want" "$state"
}

# fo_bouncer COMMAND: one command on PgBouncer's admin console (as the
# user PgBouncer runs as, which its unix socket lets in).
fo_bouncer() {
	as_pg "$PGBIN/psql" -h "$T/bouncer" -p 6432 -U pgbouncer -d pgbouncer -qc "$1" >/dev/null
}

# fo_app URL: (re)starts models-api with DATABASE_URL=URL.
fo_app() {
	stack_stop_pid "$T/app.pid"
	DATABASE_URL=$1 stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid"
}

# fo_run NAME KIND: one run (see the header), then verify.py's checks.
fo_run() {
	local name=$1 kind=$2 sync=1 flags="" lp ws t_kill t_prom
	[ "$kind" = async ] && sync=0 flags=--loss-reported
	[ "$kind" = stalled ] && flags=--cancels
	fo_pair "$sync" "$name" || { fail "$name" "cluster pair did not start"; return; }
	# PgBouncer pools transactions: no prepared statements behind it.
	[ "$kind" = bouncer-switchover ] &&
	    MODELS_API_PREPARED=0 fo_app "$(stack_pgbouncer_start "$T/bouncer" "$T/s1")"
	# The load stops AFTER_S seconds after the promotion (120 s at most).
	python3 "$HERE/load.py" "$BASE" "$KEY" "$T/plan" "$T/$name.rec" 120 \
	    "$T/$name.stop" --prefix "$name" $LOAD_FLAGS 2>"$T/$name.loaderr" &
	lp=$!
	sleep "$EVENT_AT"
	case $kind in
	stalled)
		ws=$(as_pg "$PGBIN/psql" -h "$T/s1" -U postgres -d postgres -Atqc \
		    "SELECT pid FROM pg_stat_replication WHERE application_name = 'node2'")
		kill -STOP "$ws"
		sleep "$STALL_S"
		fo_kill_primary; t_kill=$(now); sleep "$PROMOTE_DELAY" ;;
	bouncer-switchover)
		t_kill=$(now)
		fo_bouncer PAUSE
		stack_pg_stop "$T/pg1" fast ;;
	switchover)
		t_kill=$(now)
		stack_pg_stop "$T/pg1" fast
		echo "$name: stop_took_s $(awk "BEGIN { printf \"%.3f\", $(now) - $t_kill }")"
		t_kill=$(now) ;;
	*)	fo_kill_primary; t_kill=$(now); sleep "$PROMOTE_DELAY" ;;
	esac
	t_prom=$(now)
	as_pg "$PGBIN/pg_ctl" -D "$T/pg2" -w -t 30 promote >/dev/null
	if [ "$kind" = bouncer-switchover ]; then
		sed -i "s|host=$T/s1 |host=$T/s2 |" "$T/bouncer/pgbouncer.ini"
		fo_bouncer RELOAD
		fo_bouncer RESUME
		echo "$name: paused_s $(awk "BEGIN { printf \"%.3f\", $(now) - $t_kill }")"
	fi
	sleep "$AFTER_S"
	touch "$T/$name.stop"
	wait "$lp"
	if [ "$kind" = bouncer-switchover ]; then
		fo_app "$APP_URL"
		stack_pgbouncer_stop "$T/bouncer"
		# Not one request may have failed: the pause held them.
		expect_eq "$name: no 503" 0 "$(grep -c '"status": 503' "$T/$name.rec")"
	fi
	[ -s "$T/$name.loaderr" ] && fail "$name: load client" "$(head -n 5 "$T/$name.loaderr")"
	fo_verify "$name" "$t_kill" "$t_prom" \
	    "postgresql:///models?host=$T/s2&user=postgres" "$flags"
}

# The template: migrated, a key, 8 models of VERSIONS versions each.
stack_pg_init "$T/tmpl" && stack_pg_start "$T/tmpl" "$T/s1" "-c fsync=off" &&
    "$BUILD/models-admin" migrate >/dev/null || exit 1
KEY=$("$BUILD/models-admin" key create fo) || exit 1
fo_seed "$VERSIONS" "$T/plan" || exit 1
stack_pg_stop "$T/tmpl" fast

# The app lists the standby's socket first: target_session_attrs=read-write
# must make libpq skip it while it is a standby.
APP_URL="postgresql:///models?host=$T/s2,$T/s1&user=postgres&target_session_attrs=read-write"
export MODELS_API_STATEMENT_TIMEOUT_MS=$TIMEOUT_MS MODELS_API_THREADS=8
fo_app "$APP_URL" || exit 1
PORT=$(stack_free_port)
stack_front_start lighttpd "$T/front" "$PORT" "$T/app.sock" /dev/null || exit 1
BASE="http://127.0.0.1:$PORT"

for kind in $RUNS; do
	fo_run "$kind" "$kind"
done
# libpq tried the standby (listed first) and refused it as a read-only
# session; no statement ever failed for being run on one (SQLSTATE 25006).
expect_eq "libpq walked the host list past the standby" 1 \
    "$(grep -q 'failed: session is read-only' "$T/app.log" && echo 1)"
expect_eq "no statement ran on a standby" 0 \
    "$(grep -c 'read-only transaction' "$T/app.log")"
# The app runs on through the first four runs: its prepared statements
# (on by default) are prepared again on each new connection, so none is
# ever sent by name to a server that lacks it.
expect_eq "prepared statements prepared again after each failover" 0 \
    "$(grep -c 'prepared statement went missing' "$T/app.log")"
expect_eq "no sanitizer report in the app log" 0 \
    "$(grep -c -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/app.log")"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
