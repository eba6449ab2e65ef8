#!/usr/bin/env bash
# make bench: models-api against the ceilings of what it is built on.
#
# Starts its own stack (a throwaway PostgreSQL cluster in /tmp with the
# default durability settings, models-api under spawn-fcgi, lighttpd with
# tests/bench/lighttpd.conf.in), loads data, then measures at 16 concurrent
# connections through lighttpd (wrk):
#
#   hit     DELETE .../models/N?digests=v0, every request a different
#           existing version (N counts up, per wrk thread)
#   miss    DELETE ...?digests=v999999 on a model that has versions: the 404
#           after the full database round trip
#   401     DELETE without credentials
#   422     DELETE ...?digests=bad! with a live key (one key-check round trip)
#   health  GET /health (SELECT 1)
#   read    GET .../models/M/versions/DIGEST: one version with a source text
#           and three attributes
#   create  POST .../models, every body with a different name (each request
#           writes a new model and version), and again with one identical
#           body (the read-only hit: the version is live already)
#   floor   the 401 of a minimal libfcgi program (tests/bench/fcgi-floor.c,
#           4 threads, one canned answer) behind a second lighttpd with the
#           same configuration: the ceiling of every no-database path
#
# against the ceilings, in the same run on the same PostgreSQL: pgbench
# sending the statements of lib/db-models.c with the same protocol (-M extended:
# unnamed statement, Parse/Bind/Describe/Execute/Sync, one round trip) over
# as many connections as the app opens (MODELS_API_THREADS), and lighttpd
# serving a small static file for the paths that never reach the database.
# Every measurement is taken in BENCH_ROUNDS rounds, endpoint and ceiling
# alternating, and the best round of each is reported: this machine's speed
# drifts by tens of percent from one few-second run to the next, and
# alternating rounds let both sides see the same conditions.
#
# Also: CPU per request of every process involved (from /proc), instructions
# per request (callgrind) for a 401 and a 422, the app's resident size
# after 1k and after 100k requests; the list (GET .../models) of a project
# of BENCH_LIST_VERSIONS versions in lines/s (curl through lighttpd, best
# of BENCH_ROUNDS); and a list of BENCH_BIG_LIST versions streamed whole
# with the app's resident size sampled before, during and after, plus the
# list statement's plan on it (EXPLAIN ANALYZE); the last page of a
# BENCH_OFFSET_VERSIONS-version project (?offset=N-10&limit=10) in ms, and
# its plan. Every pgbench ceiling runs twice per round, -M extended and
# -M prepared (named statements, as the app prepares its own), and a
# closing summary gives each route's serial limit L = 1/(1/F + 1/P), F the
# FastCGI floor and P pgbench -M prepared, and the app's ratio to it.
#
# BENCH_PIN=1 (make bench BENCH_PIN=1) measures what a separate database
# host would change: PostgreSQL (the postmaster, so every backend and
# helper it forks) runs on one core, everything else (models-api, both
# lighttpds, the floor program, wrk, pgbench, curl, psql) on another: this
# shell sets its own affinity with taskset around PostgreSQL's start, the
# rest inherits it, and /proc confirms it after the warm-up. The runs are
# the same; a closing table gives, per route, the app's req/s against
# pgbench -M prepared (P: what the database core serves), the floor (F:
# what the app's core serves), the lower of the two (two hosts work in
# parallel, so the slower side bounds a route, not the serial limit), and
# the CPU each side used during the app's best round: PostgreSQL's
# processes, and models-api + lighttpd + the load generator, in % of one
# core, next to each core's whole busy time from /proc/stat (which also
# counts anything else running on the machine, not pinned). Needs two
# CPUs (else it says so and measures nothing); BENCH_BIG_LIST defaults to
# 0 in this mode (the 1M list measures memory, not the split).
#
# Environment: BENCH_DURATION (seconds per run, default 5), BENCH_ROUNDS
# (default 2), MODELS_API_THREADS (app workers = database connections =
# pgbench clients, default 4), BENCH_HIT_VERSIONS (versions loaded for each
# side's hit runs, default 90000: pgbench deletes them in two modes),
# BENCH_LIST_VERSIONS (default 100000), BENCH_BIG_LIST (default 1000000; 0
# skips that part), BENCH_OFFSET_VERSIONS (default 200000), KEEP=1 (keep the
# temporary directory: logs, pgbench logs, callgrind files).
# Exit status: 0 when every run measured what it meant to (whether or not
# the targets hold), 1 otherwise.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BENCH=$ROOT/tests/bench
. "$ROOT/deploy/stack.sh"

DUR=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-2}
THREADS=${MODELS_API_THREADS:-4}
NVERS=${BENCH_HIT_VERSIONS:-90000}
NLIST=${BENCH_LIST_VERSIONS:-100000}
PIN=${BENCH_PIN:-0}
case $PIN in
0) NBIG=${BENCH_BIG_LIST:-1000000} ;;
1) NBIG=${BENCH_BIG_LIST:-0} ;;
*) echo "bench: BENCH_PIN must be 0 or 1" >&2; exit 1 ;;
esac
NOFF=${BENCH_OFFSET_VERSIONS:-200000}
CONNS=16			# wrk connections, as the issue asks
WRK_THREADS=2			# one per core of the target machine
PGB_JOBS=2
WARM_EACH=200			# warm-up requests per kind, 5 kinds: 1000
MEM_AT=100000			# the second memory reading, in requests
export MODELS_API_THREADS=$THREADS

for v in DUR ROUNDS THREADS NVERS NLIST NOFF; do
	case ${!v} in
	'' | *[!0-9]* | 0) echo "bench: $v must be a positive integer" >&2; exit 1 ;;
	esac
done
case $NBIG in
'' | *[!0-9]*) echo "bench: BENCH_BIG_LIST must be a number (0: skip)" >&2; exit 1 ;;
esac
[ "$ROUNDS" -le 5 ] || { echo "bench: at most 5 rounds" >&2; exit 1; }
[ "$NVERS" -gt $((WARM_EACH * 2)) ] || { echo "bench: BENCH_HIT_VERSIONS too small" >&2; exit 1; }
for tool in wrk valgrind callgrind_annotate curl lighttpd spawn-fcgi cc; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found" >&2; exit 1; }
done
PGBENCH=$PGBIN/pgbench
[ -x "$PGBENCH" ] || { echo "bench: pgbench not found" >&2; exit 1; }
# The cores this shell may use, counted before the pinned mode narrows them.
NCORES=$(nproc)
# The pinned mode's two cores: the first two this shell may run on.
DB_CPU="" APP_CPU=""
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null 2>&1 || { echo "bench: taskset not found" >&2; exit 1; }
	read -r DB_CPU APP_CPU _ <<<"$(awk '/^Cpus_allowed_list:/ {
		n = split($2, r, ","); for (i = 1; i <= n; i++) {
			if (split(r[i], ab, "-") == 1) ab[2] = ab[1];
			for (c = ab[1]; c <= ab[2]; c++) printf "%d ", c } }' /proc/self/status)"
	if [ -z "$APP_CPU" ]; then
		echo "bench: BENCH_PIN=1 needs two CPUs, this shell may use only ${DB_CPU:-none}: nothing measured" >&2
		exit 0
	fi
fi

T=$(mktemp -d /tmp/models-bench.XXXXXX)
chmod 755 "$T"
APPLOG=$T/app.log
CG_PID=""
START_S=$(date +%s)

cleanup() {
	if [ -n "$CG_PID" ] && kill -0 "$CG_PID" 2>/dev/null; then
		kill -TERM "$CG_PID" 2>/dev/null
		wait "$CG_PID" 2>/dev/null
	fi
	[ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null
	stack_stop_pid "$T/lt/lighttpd.pidfile"
	stack_stop_pid "$T/lt2/lighttpd.pidfile"
	stack_stop_pid "$T/app.pid"
	stack_stop_pid "$T/floor.pid"
	stack_pg_stop "$T/pg" immediate
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

FAILED=0
fail() { echo "bench: $*" >&2; FAILED=1; }
die() { echo "bench: $*" >&2; exit 1; }
psql_q() { "$PGBIN/psql" "$DATABASE_URL" -X -Atqc "$1"; }
log_lines() { wc -l <"$APPLOG"; }
app_pid() { cat "$T/app.pid"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(app_pid)/status"; }
# status_counts FROM: "200:n 404:n ..." for access-log lines after line FROM.
status_counts() {
	tail -n +"$(($1 + 1))" "$APPLOG" |
	    awk 'NF == 8 && $5 ~ /^[0-9][0-9][0-9]$/ { c[$5]++ }
		END { for (s in c) printf "%s:%d ", s, c[s] }' |
	    tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//'
}

# --- CPU accounting -----------------------------------------------------------
# Where the time goes: microseconds of CPU (user + system, from /proc) per
# request for the app, lighttpd, PostgreSQL (the postmaster, its live
# children and the children it has reaped), the load generator (wrk or
# pgbench: this shell's reaped children, from `times`) and the whole machine
# (/proc/stat), whose rest is "other" (kernel threads, interrupts, anything
# else running on the machine).
TCK=$(getconf CLK_TCK)
declare -a F
stat_fields() {	# FILE: F[] = the fields after "pid (comm)", F[0] = field 3
	local line
	read -r line 2>/dev/null <"$1" || return 1
	line=${line##*) }
	read -r -a F <<<"$line"
}
proc_ticks() {	# PID: utime + stime
	if stat_fields "/proc/$1/stat"; then echo $((F[11] + F[12])); else echo 0; fi
}
pg_ticks() {
	local pm sum=0 f
	pm=$(head -n 1 "$T/pg/postmaster.pid" 2>/dev/null) || { echo 0; return; }
	for f in /proc/[0-9]*/stat; do
		stat_fields "$f" || continue
		[ "${F[1]}" = "$pm" ] && sum=$((sum + F[11] + F[12]))
	done
	stat_fields "/proc/$pm/stat" || { echo 0; return; }
	echo $((sum + F[11] + F[12] + F[13] + F[14]))
}
cpu_snap() {	# sets CS_APP CS_LT CS_PG (ticks) CS_CLI (us) CS_BUSY CS_IDLE (ticks)
	local -a c
	if [ -f "$T/app.pid" ]; then CS_APP=$(proc_ticks "$(app_pid)"); else CS_APP=0; fi
	CS_LT=$(proc_ticks "$(cat "$T/lt/lighttpd.pidfile")")
	CS_PG=$(pg_ticks)
	times >"$T/times"
	CS_CLI=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) {
		split($i, a, "m"); n += a[1] * 60 + a[2] } printf "%.0f", n * 1e6 }' "$T/times")
	read -r -a c </proc/stat
	CS_BUSY=$((c[1] + c[2] + c[3] + c[6] + c[7] + c[8]))
	CS_IDLE=$((c[4] + c[5]))
	if [ "$PIN" = 1 ]; then core_snap; fi
}
# core_snap (pinned mode): CS_DB_BUSY CS_DB_ALL CS_AP_BUSY CS_AP_ALL, the
# ticks of the two cores (busy as above; all = busy + idle).
core_snap() {
	local -a c
	while read -r -a c; do
		case ${c[0]:-} in
		"cpu$DB_CPU")
			CS_DB_BUSY=$((c[1] + c[2] + c[3] + c[6] + c[7] + c[8]))
			CS_DB_ALL=$((CS_DB_BUSY + c[4] + c[5])) ;;
		"cpu$APP_CPU")
			CS_AP_BUSY=$((c[1] + c[2] + c[3] + c[6] + c[7] + c[8]))
			CS_AP_ALL=$((CS_AP_BUSY + c[4] + c[5])) ;;
		esac
	done < <(grep -E "^cpu($DB_CPU|$APP_CPU) " /proc/stat)
}
cpu_begin() {
	cpu_snap
	B_APP=$CS_APP B_LT=$CS_LT B_PG=$CS_PG B_CLI=$CS_CLI B_BUSY=$CS_BUSY B_IDLE=$CS_IDLE
	if [ "$PIN" = 1 ]; then
		B_DB_BUSY=$CS_DB_BUSY B_DB_ALL=$CS_DB_ALL
		B_AP_BUSY=$CS_AP_BUSY B_AP_ALL=$CS_AP_ALL
	fi
}
cpu_end() { cpu_snap; }
# cpu_line N: "app lighttpd postgres client other total idle", us per request;
# in the pinned mode four more, in % of one core over the run (its length
# from the database core's ticks in /proc/stat): PostgreSQL's processes,
# the app side (models-api + lighttpd + client), and the whole busy time of
# the database core and of the app's core.
cpu_line() {
	local n=$1 a l p c t i
	a=$(( (CS_APP - B_APP) * 1000000 / TCK / n ))
	l=$(( (CS_LT - B_LT) * 1000000 / TCK / n ))
	p=$(( (CS_PG - B_PG) * 1000000 / TCK / n ))
	c=$(( (CS_CLI - B_CLI) / n ))
	t=$(( (CS_BUSY - B_BUSY) * 1000000 / TCK / n ))
	i=$(( (CS_IDLE - B_IDLE) * 1000000 / TCK / n ))
	if [ "$PIN" = 1 ]; then
		local wall=$((CS_DB_ALL - B_DB_ALL))
		echo "$a $l $p $c $((t - a - l - p - c)) $t $i" \
		    "$(core_pct "$((CS_PG - B_PG))" "$wall")" \
		    "$(core_pct "$((CS_APP - B_APP + CS_LT - B_LT + (CS_CLI - B_CLI) * TCK / 1000000))" "$wall")" \
		    "$(core_pct "$((CS_DB_BUSY - B_DB_BUSY))" "$wall")" \
		    "$(core_pct "$((CS_AP_BUSY - B_AP_BUSY))" "$((CS_AP_ALL - B_AP_ALL))")"
	else
		echo "$a $l $p $c $((t - a - l - p - c)) $t $i"
	fi
}
core_pct() { if [ "$2" -gt 0 ]; then echo $(( $1 * 100 / $2 )); else echo -; fi; }

# --- the stack ------------------------------------------------------------------
echo "bench: starting the stack in $T" >&2
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
stack_pg_init "$T/pg" || die "initdb failed"
# No extra options: fsync, synchronous_commit, full_page_writes and
# shared_buffers stay at PostgreSQL's defaults, so a hit pays a real WAL
# flush at commit, as it would in production.
# Pinned: PostgreSQL inherits this shell's affinity at its start (the
# postmaster forks every backend), then the shell moves to the other core
# for everything it starts after.
if [ "$PIN" = 1 ]; then
	taskset -p -c "$DB_CPU" $$ >/dev/null || die "taskset -c $DB_CPU failed"
fi
stack_pg_start "$T/pg" "$T/sock" || die "PostgreSQL did not start"
if [ "$PIN" = 1 ]; then
	taskset -p -c "$APP_CPU" $$ >/dev/null || die "taskset -c $APP_CPU failed"
fi
PGVER=$(psql_q "SHOW server_version" | cut -d' ' -f1)
PGSET=$(psql_q "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_sync_method')")
"$BUILD/models-admin" migrate >/dev/null || die "migrate failed"
KEY=$("$BUILD/models-admin" key create bench) || die "key create failed"
KH=$(printf %s "$KEY" | sha256sum | cut -c1-64)
T0=$(date +%s)
"$PGBIN/psql" "$DATABASE_URL" -X -q -v n="$NVERS" -f "$BENCH/load.sql" >/dev/null ||
    die "loading data failed"
LOAD_S=$(( $(date +%s) - T0 ))
echo "bench: loaded $((2 * NVERS + 3)) versions in ${LOAD_S}s" >&2
# The list projects, written with SQL (not through the API), then one
# checkpoint so that the runs do not pay for the load's writes.
load_list() {	# PROJECT N
	"$PGBIN/psql" "$DATABASE_URL" -X -q -v project="$1" -v n="$2" \
	    -f "$BENCH/load-list.sql" >/dev/null
}
T0=$(date +%s)
load_list list "$NLIST" || die "loading the list project failed"
LIST_LOAD_S=$(( $(date +%s) - T0 ))
BIG_LOAD_S=""
if [ "$NBIG" -gt 0 ]; then
	T0=$(date +%s)
	load_list big "$NBIG" || die "loading the big list project failed"
	BIG_LOAD_S=$(( $(date +%s) - T0 ))
fi
T0=$(date +%s)
load_list offs "$NOFF" || die "loading the offset project failed"
OFF_LOAD_S=$(( $(date +%s) - T0 ))
psql_q CHECKPOINT >/dev/null
echo "bench: loaded $NLIST + $NBIG list versions in ${LIST_LOAD_S}s + ${BIG_LOAD_S:-0}s" >&2

# The FastCGI floor, compiled here: it is a measuring instrument, not part
# of the build.
cc -O2 -Wall -Wextra -Werror -o "$T/fcgi-floor" "$BENCH/fcgi-floor.c" \
    -lfcgi -lpthread || die "building fcgi-floor failed"

stack_app_start "$T/app.sock" "$APPLOG" "$T/app.pid" || die "models-api did not start"
[ "$(cat "/proc/$(app_pid)/comm" 2>/dev/null)" = models-api ] ||
    die "pid $(app_pid) is not models-api"
PORT=$(stack_free_port) || die "no free port"
mkdir -p "$T/lt/www"
echo ok >"$T/lt/www/static.txt"
sed -e "s|@DIR@|$T/lt|g" -e "s|@PORT@|$PORT|g" -e "s|@SOCKET@|$T/app.sock|g" \
    "$BENCH/lighttpd.conf.in" >"$T/lt/lighttpd.conf"
lighttpd -D -f "$T/lt/lighttpd.conf" 2>>"$T/lt/lighttpd-error.log" &
echo $! >"$T/lt/lighttpd.pidfile"
stack_wait_port "$PORT" || die "lighttpd did not start"
BASE="http://127.0.0.1:$PORT"
AUTH="Bearer $KEY"

# The floor behind a second lighttpd, same configuration, its own socket;
# run like the app (spawn-fcgi, as www-data when root).
rm -f "$T/floor.sock"
if [ "$(id -u)" -eq 0 ]; then
	set -- -u www-data -g www-data -U www-data -G www-data
else
	set --
fi
spawn-fcgi -n -s "$T/floor.sock" -M 0660 "$@" -- "$T/fcgi-floor" \
    2>>"$T/floor.log" >/dev/null &
echo $! >"$T/floor.pid"
set --
for _ in $(seq 1 100); do [ -S "$T/floor.sock" ] && break; sleep 0.05; done
[ -S "$T/floor.sock" ] || die "fcgi-floor did not start"
PORT2=$(stack_free_port) || die "no free port"
mkdir -p "$T/lt2/www"
sed -e "s|@DIR@|$T/lt2|g" -e "s|@PORT@|$PORT2|g" -e "s|@SOCKET@|$T/floor.sock|g" \
    "$BENCH/lighttpd.conf.in" >"$T/lt2/lighttpd.conf"
lighttpd -D -f "$T/lt2/lighttpd.conf" 2>>"$T/lt2/lighttpd-error.log" &
echo $! >"$T/lt2/lighttpd.pidfile"
stack_wait_port "$PORT2" || die "the floor's lighttpd did not start"
FLOOR_BASE="http://127.0.0.1:$PORT2"

HIT_PATH=/v2/bench/hitw/models/
MISS_PATH='/v2/bench/miss/models/m?digests=v999999'
P401=/v2/bench/miss/models/m
P422='/v2/bench/miss/models/m?digests=bad!'

# --- warm-up: 1000 requests, 16 at a time, every kind ---------------------------
# The hit ones take the top WARM_EACH models of hitw; the wrk hit runs walk
# up from model 0.
warm() {	# METHOD AUTH PATH...
	local method=$1 auth=$2 cfg=$T/warm.cfg
	shift 2
	: >"$cfg"
	for p in "$@"; do
		printf 'url = "%s%s"\noutput = /dev/null\n' "$BASE" "$p" >>"$cfg"
	done
	curl -s --no-progress-meter --parallel --parallel-max "$CONNS" \
	    -X "$method" ${auth:+-H "Authorization: $auth"} -K "$cfg" \
	    -w '%{http_code}\n'
}
repeat() { for _ in $(seq 1 "$1"); do echo "$2"; done; }
WARM_FROM=$(log_lines)
{
	warm DELETE "$AUTH" $(seq -f "${HIT_PATH}%.0f?digests=v0" \
	    $((NVERS - WARM_EACH)) $((NVERS - 1)))
	warm DELETE "$AUTH" $(repeat $WARM_EACH "$MISS_PATH")
	warm DELETE "" $(repeat $WARM_EACH "$P401")
	warm DELETE "$AUTH" $(repeat $WARM_EACH "$P422")
	warm GET "" $(repeat $WARM_EACH /health)
} >"$T/warm.codes"
sleep 0.2
WARM_CODES=$(status_counts "$WARM_FROM")
[ "$WARM_CODES" = "200:$((2 * WARM_EACH)) 401:$WARM_EACH 404:$WARM_EACH 422:$WARM_EACH" ] ||
    fail "warm-up statuses: $WARM_CODES"
# Pinned: every PostgreSQL process (the app's backends exist now) on the
# database core, the app, both lighttpds and the floor on the other.
PIN_NOTE=""
if [ "$PIN" = 1 ]; then
	cpus_of() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
	pm=$(head -n 1 "$T/pg/postmaster.pid")
	npg=0 bad=""
	for f in /proc/[0-9]*/stat; do
		stat_fields "$f" || continue
		p=${f#/proc/} p=${p%/stat}
		[ "$p" = "$pm" ] || [ "${F[1]}" = "$pm" ] || continue
		npg=$((npg + 1))
		[ "$(cpus_of "$p")" = "$DB_CPU" ] || bad="$bad postgres:$p:$(cpus_of "$p")"
	done
	for p in "$(app_pid)" "$(cat "$T/lt/lighttpd.pidfile")" \
	    "$(cat "$T/lt2/lighttpd.pidfile")" "$(cat "$T/floor.pid")"; do
		[ "$(cpus_of "$p")" = "$APP_CPU" ] ||
		    bad="$bad $(cat "/proc/$p/comm"):$p:$(cpus_of "$p")"
	done
	[ -z "$bad" ] || die "pinning: processes on the wrong core:$bad"
	PIN_NOTE="PostgreSQL's $npg processes on cpu $DB_CPU; models-api, 2 lighttpd, fcgi-floor (and wrk, pgbench, curl, psql) on cpu $APP_CPU (checked in /proc)"
fi
MEM2_N=""; MEM2_KB=""

# Takes the second memory reading once MEM_AT requests have been served.
mem_check() {
	local n
	[ -n "$MEM2_N" ] && return
	n=$(log_lines)
	if [ "$n" -ge "$MEM_AT" ]; then
		MEM2_N=$n
		MEM2_KB=$(rss_kb)
	fi
}

# --- the runs -------------------------------------------------------------------
# Per name, the best round: req/s, p50 and p99 (us), CPU line, statuses.
declare -A RPS P50 P99 CPU NOTE ALL

# keep NAME RPS P50 P99 CPU NOTE: records a round, keeps the best.
keep() {
	ALL[$1]="${ALL[$1]:+${ALL[$1]} }$2"
	if [ -z "${RPS[$1]:-}" ] || [ "$2" -gt "${RPS[$1]}" ]; then
		RPS[$1]=$2 P50[$1]=$3 P99[$1]=$4 CPU[$1]=$5 NOTE[$1]=$6
	fi
}

# wrk_run NAME METHOD PATH AUTH EXPECT [HIT_PREFIX HIT_BASE]: EXPECT is the
# one status every request must get (checked in the app's access log; for
# the static file, wrk's own count of non-2xx answers; for the floor, that
# every answer was an error status). Optional from the environment:
# WRK_BODY and WRK_TAG (wrk.lua's BENCH_BODY and BENCH_TAG), WRK_BASE (a
# server other than the app's lighttpd), WRK_DUR (seconds).
wrk_run() {
	local name=$1 method=$2 path=$3 auth=$4 expect=$5 hit=${6:-} hbase=${7:-0}
	local from out n secs p50 p99 sockerr non2xx codes="" rps cpu
	from=$(log_lines)
	echo "bench: round $R: wrk $name" >&2
	cpu_begin
	out=$(BENCH_METHOD=$method BENCH_PATH=$path BENCH_AUTH=$auth \
	    BENCH_HIT_PREFIX=$hit BENCH_THREADS=$WRK_THREADS BENCH_HIT_BASE=$hbase \
	    BENCH_BODY=${WRK_BODY:-} BENCH_TAG=${WRK_TAG:-0} \
	    wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WRK_DUR:-$DUR}s" --timeout 5s \
	    -s "$BENCH/wrk.lua" "${WRK_BASE:-$BASE}" 2>&1)
	cpu_end
	read -r _ n secs p50 p99 sockerr non2xx <<<"$(echo "$out" | grep '^RESULT ')"
	if [ -z "${p99:-}" ] || [ "${n:-0}" -eq 0 ]; then
		fail "wrk $name: no result: $out"
		return
	fi
	cpu=$(cpu_line "$n")
	rps=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	[ "$sockerr" = 0 ] || fail "wrk $name: $sockerr socket errors"
	sleep 0.2
	if [ "$expect" = static ]; then
		[ "$non2xx" = 0 ] || fail "wrk $name: $non2xx non-2xx answers"
	elif [ "$expect" = floor ]; then
		[ "$non2xx" = "$n" ] || fail "wrk $name: $non2xx of $n answers were 401s"
	else
		codes=$(status_counts "$from")
		[[ $codes =~ ^$expect:[0-9]+$ ]] ||
		    fail "wrk $name: expected only $expect, the log has: $codes${hit:+ (too few versions loaded? BENCH_HIT_VERSIONS)}"
	fi
	keep "$name" "$rps" "$p50" "$p99" "$cpu" "$codes"
	mem_check
}

# pgbench_run NAME SCRIPT VAR=VALUE...: -M extended (PGB_MODE=prepared:
# -M prepared), THREADS clients.
pgbench_run() {
	local name=$1 script=$2 out d=$T/pgb/$1.$R args=() n rps cpu
	shift 2
	for v in "$@"; do args+=(-D "$v"); done
	mkdir -p "$d"
	echo "bench: round $R: pgbench $name" >&2
	cpu_begin
	out=$(cd "$d" && "$PGBENCH" -n -M "${PGB_MODE:-extended}" -c "$THREADS" -j "$PGB_JOBS" \
	    -T "$DUR" -l "${args[@]}" -f "$BENCH/$script" "$DATABASE_URL" 2>&1)
	cpu_end
	if ! echo "$out" | grep -q '^number of failed transactions: 0 '; then
		fail "pgbench $name: $(echo "$out" | tail -n 5)"
		return
	fi
	rps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' |
	    awk '{ printf "%.0f", $1 }')
	# Per-transaction log: field 3 is the latency in microseconds.
	cat "$d"/pgbench_log.* | awk '{ print $3 }' | sort -n >"$d/lat"
	n=$(wc -l <"$d/lat")
	[ "$n" -gt 0 ] || { fail "pgbench $name: no transactions"; return; }
	cpu=$(cpu_line "$n")
	PGB_N=$n
	keep "$name" "$rps" "$(sed -n "$(( (n + 1) / 2 ))p" "$d/lat")" \
	    "$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$d/lat")" "$cpu" "$n transactions"
}

PGB_COMMON=("kh=\\x$KH" "entity=bench" "rid=0123456789abcdef")
psql_q "SELECT status, num_deleted, message FROM delete_model('\\x$KH', 'bench', 'miss', 'm', '{v999999}', 'x')" |
    grep -q "^4|0|Object m (\['v999999'\]) not found when deleting.$" ||
    fail "the miss statement does not answer 404"
# The highest hit model number used so far on one side, warm-up excluded.
hit_max() {
	psql_q "SELECT coalesce(max(object_id::bigint), -1) FROM delete_audit
	    WHERE project = '$1' AND object_id::bigint < $((NVERS - WARM_EACH))"
}

# --- create and read: fixtures and warm-up --------------------------------------
# One create body: a small model with a source text and three attributes.
# BODY_W's name varies per request (wrk.lua's "@N@"): every request writes
# a new model; BODY_S is one fixed body: after its first create, every
# request finds its version live and writes nothing. The read runs read
# BODY_S's version by digest.
body() {	# NAME
	printf '{"name":"%s","description":"a model of the create benchmark",' "$1"
	printf '"source_code":"import weave\\n\\nclass BenchModel(weave.Model):\\n'
	printf '    temperature: float\\n    max_tokens: int\\n\\n    @weave.op\\n'
	printf '    def predict(self, q: str) -> str:\\n        return q\\n",'
	printf '"attributes":{"temperature":0.7,"max_tokens":256,'
	printf '"system_prompt":"You are a helpful assistant."}}'
}
BODY_W=$(body "bench model @N@")
BODY_S=$(body "bench model")
CREATE_PATH=/v2/bench/crw/models
SAME_PATH=/v2/bench/crs/models
CR=$(curl -s -X POST -H "Authorization: $AUTH" \
    -H 'Content-Type: application/json' --data-binary "$BODY_S" "$BASE$SAME_PATH")
RDIGEST=$(echo "$CR" | sed -n 's/^{"digest":"\([A-Za-z0-9]*\)","object_id":"\([^"]*\)".*/\1/p')
ROID=$(echo "$CR" | sed -n 's/^{"digest":"\([A-Za-z0-9]*\)","object_id":"\([^"]*\)".*/\2/p')
[ -n "$RDIGEST" ] && [ "$ROID" = bench_model ] || die "create fixture: $CR"
READ_PATH=/v2/bench/crs/models/$ROID/versions/$RDIGEST
# What the app stored, for pgbench to send: the value text, the source
# digest and the source (hex text: pgbench has no binary parameters).
IFS='|' read -r RVAL RSDIGEST RSRC <<<"$(psql_q "SELECT v.val, v.source_digest,
    '\\x' || encode(s.source, 'hex') FROM model_versions v
    JOIN model_sources s ON s.project_id = v.project_id
     AND s.digest = v.source_digest WHERE v.digest = '$RDIGEST'")"
[ -n "$RSRC" ] || die "create fixture: no stored version"
PGB_CREATE=("kh=\\x$KH" "entity=bench" "digest=$RDIGEST" "val=$RVAL"
    "sdigest=$RSDIGEST" "source=$RSRC")
R=0
WRK_DUR=1 WRK_BODY=$BODY_W WRK_TAG=warm wrk_run warm_create POST "$CREATE_PATH" "$AUTH" 200
WRK_DUR=1 WRK_BODY=$BODY_S wrk_run warm_same POST "$SAME_PATH" "$AUTH" 200
WRK_DUR=1 wrk_run warm_read GET "$READ_PATH" "$AUTH" 200
WRK_DUR=1 WRK_BASE=$FLOOR_BASE wrk_run warm_floor DELETE "$P401" "" floor
MEM1_N=$(log_lines)
MEM1_KB=$(rss_kb)

for R in $(seq 1 "$ROUNDS"); do
	wrk_run health GET /health "" 200
	pgbench_run pg_health health.sql
	PGB_MODE=prepared pgbench_run pgp_health health.sql

	wrk_run miss DELETE "$MISS_PATH" "$AUTH" 404
	pgbench_run pg_miss delete-miss.sql "${PGB_COMMON[@]}" project=miss \
	    oid=m 'refs={v999999}'
	PGB_MODE=prepared pgbench_run pgp_miss delete-miss.sql \
	    "${PGB_COMMON[@]}" project=miss oid=m 'refs={v999999}'

	psql_q CHECKPOINT >/dev/null
	wrk_run hit DELETE "" "$AUTH" 200 "$HIT_PATH" $(( $(hit_max hitw) + 1 ))
	psql_q CHECKPOINT >/dev/null
	# Transaction n of client c deletes model n * THREADS + c: start above
	# the last round's.
	AUDIT0=$(psql_q "SELECT count(*) FROM delete_audit WHERE project = 'hitp'")
	PGB_N=0
	pgbench_run pg_hit delete-hit.sql "${PGB_COMMON[@]}" project=hitp \
	    'refs={v0}' n=$(( $(hit_max hitp) / THREADS + 1 )) nclients="$THREADS"
	DELETED=$(( $(psql_q "SELECT count(*) FROM delete_audit WHERE project = 'hitp'") - AUDIT0 ))
	[ "$DELETED" = "$PGB_N" ] ||
	    fail "pgbench hit: $PGB_N transactions but $DELETED deletes (too few versions loaded? BENCH_HIT_VERSIONS)"
	psql_q CHECKPOINT >/dev/null
	AUDIT0=$(psql_q "SELECT count(*) FROM delete_audit WHERE project = 'hitp'")
	PGB_N=0
	PGB_MODE=prepared pgbench_run pgp_hit delete-hit.sql "${PGB_COMMON[@]}" \
	    project=hitp 'refs={v0}' n=$(( $(hit_max hitp) / THREADS + 1 )) \
	    nclients="$THREADS"
	DELETED=$(( $(psql_q "SELECT count(*) FROM delete_audit WHERE project = 'hitp'") - AUDIT0 ))
	[ "$DELETED" = "$PGB_N" ] ||
	    fail "pgbench hit (prepared): $PGB_N transactions but $DELETED deletes (too few versions loaded? BENCH_HIT_VERSIONS)"

	pgbench_run pg_key check-key.sql "kh=\\x$KH"
	PGB_MODE=prepared pgbench_run pgp_key check-key.sql "kh=\\x$KH"
	wrk_run 401 DELETE "$P401" "" 401
	WRK_BASE=$FLOOR_BASE wrk_run floor DELETE "$P401" "" floor

	wrk_run read GET "$READ_PATH" "$AUTH" 200
	pgbench_run pg_read read.sql "kh=\\x$KH" entity=bench project=crs \
	    "oid=$ROID" "ref=$RDIGEST"
	PGB_MODE=prepared pgbench_run pgp_read read.sql "kh=\\x$KH" \
	    entity=bench project=crs "oid=$ROID" "ref=$RDIGEST"

	psql_q CHECKPOINT >/dev/null
	WRK_BODY=$BODY_W WRK_TAG=$R wrk_run create POST "$CREATE_PATH" "$AUTH" 200
	psql_q CHECKPOINT >/dev/null
	pgbench_run pg_create create-write.sql "${PGB_CREATE[@]}" project=crp \
	    "prefix=pg-$R-" n=0 nclients="$THREADS"
	psql_q CHECKPOINT >/dev/null
	PGB_MODE=prepared pgbench_run pgp_create create-write.sql \
	    "${PGB_CREATE[@]}" project=crp "prefix=pgp-$R-" n=0 \
	    nclients="$THREADS"
	WRK_BODY=$BODY_S wrk_run same POST "$SAME_PATH" "$AUTH" 200
	pgbench_run pg_same create-same.sql "${PGB_CREATE[@]}" project=crs \
	    "oid=$ROID"
	PGB_MODE=prepared pgbench_run pgp_same create-same.sql \
	    "${PGB_CREATE[@]}" project=crs "oid=$ROID"
	wrk_run 422 DELETE "$P422" "$AUTH" 422
	wrk_run static GET /static.txt "" static
done

# --- memory ---------------------------------------------------------------------
# Top up to MEM_AT requests with 401s if the runs fell short (bounded).
for _ in 1 2 3 4 5 6 7 8 9 10; do
	mem_check
	[ -n "$MEM2_N" ] && break
	BENCH_METHOD=DELETE BENCH_PATH=$P401 wrk -t"$WRK_THREADS" -c"$CONNS" \
	    -d3s -s "$BENCH/wrk.lua" "$BASE" >/dev/null 2>&1
done
MEMEND_N=$(log_lines)
MEMEND_KB=$(rss_kb)
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(app_pid)/status")
NTASKS=$(ls "/proc/$(app_pid)/task" | wc -l)

# --- the list -------------------------------------------------------------------
# lines/s of GET .../models on the NLIST-version project: curl through
# lighttpd into /dev/null, BENCH_ROUNDS times, the best kept; then once
# more into wc -l, which must count every version. CPU per 1000 lines.
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$(app_pid)/status"; }
# list_sql PROJECT [LIMIT OFFSET]: the list statement of lib/db-models.c
# (SQL_LIST), its parameters as literals: the bench key, entity bench, no
# limit, offset 0 unless given.
list_sql() {
	sed -n '/^#define SQL_LIST /,/model_list(/p' "$ROOT/lib/db-models.c" |
	    sed -e 's/^#define SQL_LIST //' -e 's/^[[:space:]]*"//' \
	    -e 's/"[[:space:]]*\\\{0,1\}$//' | tr -d '\n' |
	    sed -e "s/\\\$1/'\\\\x$KH'::bytea/g" -e "s/\\\$2/'bench'/g" \
	    -e "s/\\\$3/'$1'/g" -e "s/\\\$4/${2:-NULL}/g" -e "s/\\\$5/${3:-0}/g"
}
LIST_URL="$BASE/v2/bench/list/models"
LIST_BEST="" LIST_ALL="" LIST_BYTES="" LIST_CPU=""
PSQL_BEST="" PSQL_ALL=""
LIST_Q=$(list_sql list)
for R in $(seq 1 "$ROUNDS"); do
	# The ceiling: PostgreSQL alone running the same statement, its rows
	# copied out as text by psql into /dev/null.
	echo "bench: round $R: psql COPY of the list statement" >&2
	t0=$(date +%s%N)
	n=$("$PGBIN/psql" "$DATABASE_URL" -X -qc "COPY ($LIST_Q) TO STDOUT" | wc -l)
	secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	if [ "$n" = "$NLIST" ]; then
		rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
		PSQL_ALL="${PSQL_ALL:+$PSQL_ALL }$rate"
		if [ -z "$PSQL_BEST" ] || [ "$rate" -gt "$PSQL_BEST" ]; then
			PSQL_BEST=$rate
		fi
	else
		fail "psql COPY of the list: $n rows, not $NLIST"
	fi
	echo "bench: round $R: list of $NLIST" >&2
	cpu_begin
	out=$(curl -s -o /dev/null -H "Authorization: $AUTH" \
	    -w '%{http_code} %{size_download} %{time_total}' "$LIST_URL")
	cpu_end
	read -r code bytes secs <<<"$out"
	[ "$code" = 200 ] || { fail "list: status $code"; continue; }
	rate=$(awk -v n="$NLIST" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	LIST_ALL="${LIST_ALL:+$LIST_ALL }$rate"
	if [ -z "$LIST_BEST" ] || [ "$rate" -gt "$LIST_BEST" ]; then
		LIST_BEST=$rate LIST_SECS=$secs LIST_BYTES=$bytes
		LIST_CPU=$(cpu_line $((NLIST / 1000)))
	fi
done
LIST_LINES=$(curl -s -H "Authorization: $AUTH" "$LIST_URL" | wc -l)
[ "$LIST_LINES" = "$NLIST" ] || fail "list: $LIST_LINES lines, not $NLIST"

# --- the big list ---------------------------------------------------------------
# NBIG versions streamed whole through lighttpd into wc -l, the app's VmRSS
# sampled every 50 ms meanwhile; VmHWM (the peak since start) before and
# after. Then the list statement's plan on that project.
BIG_LINES="" BIG_SECS="" BIG_RSS0="" BIG_HWM0="" BIG_MAX="" BIG_HWM1="" BIG_RSS1=""
BIG_PLAN="" BIG_PLAN_OK="" BIG_CPU=""
if [ "$NBIG" -gt 0 ]; then
	echo "bench: the list of $NBIG" >&2
	BIG_RSS0=$(rss_kb) BIG_HWM0=$(hwm_kb)
	(
		max=0
		while r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(app_pid)/status" 2>/dev/null) &&
		    [ -n "$r" ]; do
			if [ "$r" -gt "$max" ]; then max=$r; echo "$max" >"$T/rss.max"; fi
			sleep 0.05
		done
	) &
	SAMPLER=$!
	t0=$(date +%s%N)
	cpu_begin
	BIG_LINES=$(curl -s -D "$T/big.headers" -H "Authorization: $AUTH" \
	    "$BASE/v2/bench/big/models" | wc -l)
	cpu_end
	BIG_SECS=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	BIG_CPU=$(cpu_line $((NBIG / 1000)))
	BIG_RSS1=$(rss_kb) BIG_HWM1=$(hwm_kb)
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=""
	BIG_MAX=$(cat "$T/rss.max" 2>/dev/null)
	head -n 1 "$T/big.headers" | grep -q '^HTTP/1.1 200 ' ||
	    fail "big list: $(head -n 1 "$T/big.headers")"
	[ "$BIG_LINES" = "$NBIG" ] || fail "big list: $BIG_LINES lines, not $NBIG"
	Q=$(list_sql big)
	"$PGBIN/psql" "$DATABASE_URL" -X -Atc "EXPLAIN (ANALYZE, BUFFERS) $Q" \
	    >"$T/big.plan" 2>&1 || fail "EXPLAIN of the list failed: $(tail -n 2 "$T/big.plan")"
	if grep -q 'Index Scan using model_versions_list' "$T/big.plan" &&
	    ! grep -q 'Sort' "$T/big.plan"; then
		BIG_PLAN_OK="streams from the index model_versions_list, no Sort"
	else
		BIG_PLAN_OK="MISSED: not an ordered index scan (plan below)"
	fi
fi
# --- the offset -------------------------------------------------------------------
# The last page of a NOFF-version project, ?offset=NOFF-10&limit=10: the
# time to the whole answer (curl through lighttpd), best of 5 and each;
# then the statement's plan (EXPLAIN (ANALYZE, BUFFERS)): the skip should be
# an index-only scan with no heap fetches.
OFF_K=$((NOFF - 10))
OFF_URL="$BASE/v2/bench/offs/models?offset=$OFF_K&limit=10"
OFF_LINES=""
# off_times: OFF_BEST (ms) and OFF_ALL of 5 requests.
off_times() {
	local out code secs ms_
	OFF_BEST="" OFF_ALL=""
	for _ in 1 2 3 4 5; do
		out=$(curl -s -o "$T/off.body" -H "Authorization: $AUTH" \
		    -w '%{http_code} %{time_total}' "$OFF_URL")
		read -r code secs <<<"$out"
		[ "$code" = 200 ] || { fail "offset: status $code"; break; }
		ms_=$(awk -v s="$secs" 'BEGIN { printf "%.0f", s * 1000 }')
		OFF_ALL="${OFF_ALL:+$OFF_ALL }$ms_"
		if [ -z "$OFF_BEST" ] || [ "$ms_" -lt "$OFF_BEST" ]; then OFF_BEST=$ms_; fi
	done
}
# As the runs left the table, then once more after a VACUUM (what
# autovacuum leaves behind): the pages written since the last vacuum are
# not all-visible, and the index-only scan reads the table for those.
echo "bench: offset $OFF_K" >&2
off_times
OFF_BEST0=$OFF_BEST OFF_ALL0=$OFF_ALL
OFF_FETCHES0=$("$PGBIN/psql" "$DATABASE_URL" -X -Atc "EXPLAIN (ANALYZE, TIMING OFF) $(list_sql offs 10 "$OFF_K")" |
    sed -n 's/.*Heap Fetches: \([0-9]*\).*/\1/p' | head -n 1)
psql_q "VACUUM model_versions" >/dev/null
off_times
OFF_LINES=$(wc -l <"$T/off.body")
[ "$OFF_LINES" = 10 ] || fail "offset: $OFF_LINES lines, not 10"
# Version g of the load has "step":g, and the list is in g's order.
head -n 1 "$T/off.body" | grep -q "\"step\":$OFF_K}" ||
    fail "offset: the page does not start with version $OFF_K of the load"
"$PGBIN/psql" "$DATABASE_URL" -X -Atc "EXPLAIN (ANALYZE, BUFFERS) $(list_sql offs 10 "$OFF_K")" \
    >"$T/off.plan" 2>&1 || fail "EXPLAIN of the offset failed: $(tail -n 2 "$T/off.plan")"
# Heap fetches: entries on pages the visibility map does not mark
# all-visible (written since the last vacuum), each a visit to the table.
OFF_FETCHES=$(sed -n 's/.*Heap Fetches: \([0-9]*\).*/\1/p' "$T/off.plan" | head -n 1)
OFF_EXEC=$(sed -n 's/^Execution Time: //p' "$T/off.plan")
if grep -q 'Index Only Scan using model_versions_list' "$T/off.plan"; then
	OFF_PLAN_OK="the skip is an index-only scan of model_versions_list, $OFF_FETCHES heap fetches, execution $OFF_EXEC"
else
	OFF_PLAN_OK="MISSED: not an index-only skip (plan below)"
	fail "offset: not an index-only skip"
fi

[ ! -s "$T/floor.log" ] || fail "fcgi-floor: $(head -n 1 "$T/floor.log")"
APP_ERRORS=$(grep -c ' models-api: ' "$APPLOG")
[ "$APP_ERRORS" = 0 ] ||
    fail "the app logged $APP_ERRORS errors, e.g. $(grep -m1 ' models-api: ' "$APPLOG")"

# The graceful stop the README promises: exit status 0.
kill -TERM "$(app_pid)"
for _ in $(seq 1 200); do kill -0 "$(app_pid)" 2>/dev/null || break; sleep 0.05; done
kill -KILL "$(app_pid)" 2>/dev/null
wait "$(app_pid)" 2>/dev/null
APP_RC=$?
rm -f "$T/app.pid"
[ "$APP_RC" = 0 ] || fail "models-api exited with $APP_RC on SIGTERM"

# --- instructions per request (callgrind) ---------------------------------------
# CGI mode: one request per process. Collection is on only inside run_cgi
# (the request: handler, headers, output, access log), so loading, dynamic
# linking and exit are excluded; LD_BIND_NOW moves symbol binding to start-up.
# The database is excluded by toggling collection off again inside
# db_check_key (the 422's key check: connect, round trip), so a 422 counts
# everything but the database call. What remains still includes first-use
# costs that a long-running worker pays once (heap set-up, the time zone,
# OpenSSL's initialisation on the first SHA-256), so the same requests are
# also counted in a FastCGI server: collection inside serve() (minus
# db_check_key), 10 requests against 110, the difference over 100.
# Each function sets CG_N (globals, not $(...), so that fail and the
# cleanup trap see what they do).
cg_count() { sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$1" | tail -n 1; }
cgi_run() {	# STATUS URI [AUTH]
	env -i PATH=/usr/bin:/bin LD_BIND_NOW=1 REQUEST_METHOD=DELETE \
	    MODELS_API_ALLOW_ROOT=1 \
	    REQUEST_URI="$2" ${3:+HTTP_AUTHORIZATION="$3"} \
	    DATABASE_URL="$DATABASE_URL" \
	    valgrind --tool=callgrind --callgrind-out-file="$T/cg.cgi.$1.out" \
	    --toggle-collect=run_cgi --toggle-collect=db_check_key \
	    "$BUILD/models-api" </dev/null >"$T/cg.cgi.$1.resp" 2>"$T/cg.cgi.$1.log"
	head -n 1 "$T/cg.cgi.$1.resp" | grep -q "^Status: $1 " ||
	    fail "callgrind CGI $1: $(head -n 1 "$T/cg.cgi.$1.resp")"
	CG_N=$(cg_count "$T/cg.cgi.$1.log")
}
cgsrv_run() {	# STATUS COUNT URI [AUTH]
	local st=$1 count=$2 uri=$3 auth=${4:-} cfg=$T/cg.cfg codes i
	rm -f "$T/app.sock"
	MODELS_API_THREADS=1 MODELS_API_ALLOW_ROOT=1 valgrind --tool=callgrind \
	    --callgrind-out-file="$T/cg.srv.$st.$count.out" \
	    --toggle-collect=serve --toggle-collect=db_check_key \
	    "$BUILD/models-api" --listen "unix:$T/app.sock" \
	    2>"$T/cg.srv.$st.$count.log" &
	CG_PID=$!
	for i in $(seq 1 400); do
		[ -S "$T/app.sock" ] && break
		sleep 0.05
	done
	: >"$cfg"
	for i in $(seq 1 "$count"); do
		printf 'url = "%s%s"\noutput = /dev/null\n' "$BASE" "$uri" >>"$cfg"
	done
	codes=$(curl -s -X DELETE ${auth:+-H "Authorization: $auth"} -K "$cfg" \
	    -w '%{http_code}\n' | sort | uniq -c | awk '{ printf "%s:%s", $2, $1 }')
	kill -TERM "$CG_PID"
	wait "$CG_PID"
	CG_PID=""
	[ "$codes" = "$st:$count" ] || fail "callgrind server $st: $codes"
	CG_N=$(cg_count "$T/cg.srv.$st.$count.log")
}
echo "bench: callgrind" >&2
cgi_run 401 "$P401";			CG_CGI_401=$CG_N
cgi_run 422 "$P422" "$AUTH";		CG_CGI_422=$CG_N
cgsrv_run 401 10 "$P401";		a=$CG_N
cgsrv_run 401 110 "$P401";		CG_SRV_401=$(( (CG_N - a) / 100 ))
cgsrv_run 422 10 "$P422" "$AUTH";	a=$CG_N
cgsrv_run 422 110 "$P422" "$AUTH";	CG_SRV_422=$(( (CG_N - a) / 100 ))

# --- the report -----------------------------------------------------------------
ms() { awk -v u="${1:-}" 'BEGIN { if (u == "") print "-"; else printf "%.2f", u / 1000 }'; }
pct() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.0f%%", 100 * a / b }'; }
verdict() {	# ENDPOINT CEILING MIN_PERCENT
	awk -v a="${1:-}" -v b="${2:-}" -v m="$3" 'BEGIN {
		if (a == "" || b == "" || b == 0) print "no data";
		else if (100 * a / b >= m) print "holds";
		else print "MISSED" }'
}
row() {	# LABEL ENDPOINT CEILING_LABEL CEILING TARGET [again]
	local t="" v="" r=${RPS[$2]:--} a b
	a=$(ms "${P50[$2]:-}") b=$(ms "${P99[$2]:-}")
	if [ -n "$5" ]; then
		t=">= $5%"
		v=$(verdict "${RPS[$2]:-}" "${RPS[$4]:-}" "$5")
	fi
	[ -n "${6:-}" ] && r=\" a=\" b=\"
	printf '%-11s %8s %8s %8s   %-18s %8s %8s %8s  %6s  %-7s %s\n' "$1" \
	    "$r" "$a" "$b" \
	    "$3" "${RPS[$4]:--}" "$(ms "${P50[$4]:-}")" "$(ms "${P99[$4]:-}")" \
	    "$(pct "${RPS[$2]:-}" "${RPS[$4]:-}")" "$t" "$v"
}
cpurow() {	# LABEL NAME
	local -a c
	read -r -a c <<<"${CPU[$2]:-- - - - - - -}"
	printf '  %-20s %10s %9s %9s %7s %6s %6s %5s   %s\n' "$1" "${c[@]:0:7}" \
	    "${ALL[$2]:--}"
}

# A leak grows with the requests; a one-time step (an allocator arena
# reaching its high-water mark) does not: the growth after the 100k reading
# tells them apart.
GROWTH="" MEMV="no data"
if [ -n "$MEM2_KB" ]; then
	GROWTH=$((MEM2_KB - MEM1_KB))
	if [ "$GROWTH" -le 0 ]; then
		MEMV="holds (0 kB)"
	else
		MEMV="MISSED (+$GROWTH kB; then $((MEMEND_KB - MEM2_KB)) kB over the next $((MEMEND_N - MEM2_N)) requests)"
	fi
fi

echo
echo "make bench  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $NCORES cores ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)), load average before start: $LOADAVG"
echo "stack: PostgreSQL $PGVER ($PGSET: the defaults), lighttpd $(lighttpd -v 2>/dev/null | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p') -> FastCGI, unix socket -> models-api (spawn-fcgi, MODELS_API_THREADS=$THREADS)"
[ "$PIN" = 1 ] && echo "pinned (BENCH_PIN=1): $PIN_NOTE"
echo "endpoint: wrk -t$WRK_THREADS -c$CONNS -d${DUR}s through lighttpd; ceilings: pgbench -M extended (and -M prepared for the summary) -c$THREADS -j$PGB_JOBS -T$DUR (the app's statements, one connection per app worker), lighttpd static file (wrk as for the endpoint)"
echo "pgbench sends the key hash and the source text as hex text (it has no binary parameters; the app sends them binary), a fixed request id, and asks for text results (the app: binary)"
echo "best of $ROUNDS rounds each, endpoint and ceiling alternating; latencies in ms; ratio = endpoint req/s / ceiling req/s"
echo
printf '%-11s %8s %8s %8s   %-18s %8s %8s %8s  %6s  %-7s %s\n' \
    path req/s p50 p99 ceiling req/s p50 p99 ratio target verdict
row "hit 200" hit "pgbench delete" pg_hit 80
row "miss 404" miss "pgbench delete" pg_miss 60
row "read 200" read "pgbench read" pg_read 70
row "create new" create "pgbench create" pg_create 70
row "create same" same "pgbench create" pg_same 70
row "401" 401 "lighttpd static" static 50
row "" 401 "FastCGI floor" floor "" again
row "422" 422 "lighttpd static" static 50
row "" 422 "pgbench key check" pg_key "" again
row "health" health "pgbench SELECT 1" pg_health ""
row "floor 401" floor "lighttpd static" static ""
echo "(create new: every body a new name, so every request writes; create same: one body, its version live already;"
echo " floor: tests/bench/fcgi-floor.c, a canned 401 from 4 libfcgi threads behind the same lighttpd)"
echo
echo "CPU per request in microseconds (user + system, from /proc; $NCORES cores = $((NCORES * 1000000)) us per second), best round:"
printf '  %-20s %10s %9s %9s %7s %6s %6s %5s   %s\n' run models-api lighttpd postgres client other total idle "req/s of each round"
cpurow "hit (wrk)" hit
cpurow "hit (pgbench)" pg_hit
cpurow "miss (wrk)" miss
cpurow "miss (pgbench)" pg_miss
cpurow "422 (wrk)" 422
cpurow "key check (pgbench)" pg_key
cpurow "401 (wrk)" 401
cpurow "static file (wrk)" static
cpurow "health (wrk)" health
cpurow "read (wrk)" read
cpurow "read (pgbench)" pg_read
cpurow "create new (wrk)" create
cpurow "create new (pgbench)" pg_create
cpurow "create same (wrk)" same
cpurow "create same (pgb.)" pg_same
cpurow "floor 401 (wrk)" floor
cpurow "SELECT 1 (pgbench)" pg_health
cpurow "hit (pgb. prepared)" pgp_hit
cpurow "miss (pgb. prepared)" pgp_miss
cpurow "key (pgb. prepared)" pgp_key
cpurow "read (pgb. prepared)" pgp_read
cpurow "create (pgb. prep.)" pgp_create
cpurow "same (pgb. prepared)" pgp_same
cpurow "SELECT 1 (pgb. prep.)" pgp_health
echo "  (client: wrk or pgbench; other: the rest of the machine's busy time: kernel threads, interrupts, other processes)"
echo
echo "instructions per request (callgrind, database calls excluded):"
printf '  %-4s CGI mode (run_cgi): %9s   FastCGI worker, steady state (serve): %7s\n' \
    401 "$CG_CGI_401" "$CG_SRV_401"
printf '  %-4s CGI mode (run_cgi): %9s   FastCGI worker, steady state (serve): %7s\n' \
    422 "$CG_CGI_422" "$CG_SRV_422"
echo "  (CGI mode includes the once-per-process work of a first request: heap set-up, time zone, OpenSSL initialisation)"
echo
echo "memory: VmRSS of models-api (one process, $NTASKS threads: $THREADS workers + main)"
echo "  after $MEM1_N requests: $MEM1_KB kB; after ${MEM2_N:--} requests (the first check past $MEM_AT): ${MEM2_KB:--} kB;"
echo "  at the end, after $MEMEND_N requests: $MEMEND_KB kB (peak $HWM_KB kB)"
echo
lrate() { awk -v n="${1:-}" -v s="${2:-}" 'BEGIN { if (n == "" || s == "" || s == 0) print "-"; else printf "%.0f", n / s }'; }
LIST_V=$(awk -v r="${LIST_BEST:-}" 'BEGIN { if (r == "") print "no data"; else if (r >= 200000) print "holds"; else print "MISSED" }')
echo "list: GET .../models of a $NLIST-version project through lighttpd (curl into /dev/null, best of $ROUNDS):"
echo "  ${LIST_BEST:--} lines/s (${LIST_SECS:--} s, ${LIST_BYTES:--} bytes; each round: ${LIST_ALL:--}); counted by wc -l: $LIST_LINES lines;"
echo "  target >= 200000 lines/s: $LIST_V"
echo "  PostgreSQL alone, the same statement copied out by psql (COPY ... TO STDOUT | wc -l): ${PSQL_BEST:--} rows/s (each round: ${PSQL_ALL:--});"
echo "  the list runs at $(pct "${LIST_BEST:-}" "${PSQL_BEST:-}") of that"
read -r -a c <<<"${LIST_CPU:-- - - - - - -}"
echo "  CPU per line in ns: models-api ${c[0]}, lighttpd ${c[1]}, postgres ${c[2]}, curl ${c[3]}, other ${c[4]}, total ${c[5]}, idle ${c[6]}"
if [ "$NBIG" -gt 0 ]; then
	BIG_PEAK=$BIG_MAX
	[ -n "$BIG_HWM1" ] && [ -n "$BIG_HWM0" ] && [ "$BIG_HWM1" -gt "$BIG_HWM0" ] &&
	    BIG_PEAK=$BIG_HWM1
	BIG_V=$(awk -v p="${BIG_PEAK:-}" -v i="${BIG_RSS0:-}" 'BEGIN {
		if (p == "" || i == "" || i == 0) print "no data";
		else printf "%.2fx idle: %s", p / i, p < 2 * i ? "holds" : "MISSED" }')
	echo "list of $NBIG versions in one project (loaded with SQL in ${BIG_LOAD_S}s): $BIG_LINES lines through lighttpd into wc -l"
	echo "  in $BIG_SECS s ($(lrate "$BIG_LINES" "$BIG_SECS") lines/s)"
	echo "  models-api VmRSS: $MEM1_KB kB after warm-up, $BIG_RSS0 kB idle before the stream (VmHWM $BIG_HWM0 kB),"
	echo "  at most $BIG_MAX kB sampled during it (every 50 ms), $BIG_RSS1 kB after (VmHWM $BIG_HWM1 kB);"
	echo "  peak during the stream / idle before it: $BIG_V (must stay under 2x)"
	read -r -a c <<<"${BIG_CPU:-- - - - - - -}"
	echo "  CPU per line in ns: models-api ${c[0]}, lighttpd ${c[1]}, postgres ${c[2]}, curl + wc ${c[3]}, other ${c[4]}, total ${c[5]}, idle ${c[6]}"
	echo "  EXPLAIN (ANALYZE, BUFFERS) of the list statement on it: $BIG_PLAN_OK"
	grep -E 'Scan|Join|Loop|Sort|Limit|SubPlan|Result|Execution|JIT:|Timing' "$T/big.plan" |
	    sed -e 's/  (cost=[^)]*)//' -e 's/^/    /' | cut -c1-150
fi
echo "offset: GET .../models?offset=$OFF_K&limit=10 of a $NOFF-version project (loaded with SQL in ${OFF_LOAD_S}s), through lighttpd:"
echo "  as the runs left the table (${OFF_FETCHES0:--} heap fetches): ${OFF_BEST0:--} ms best of 5 (each: ${OFF_ALL0:--} ms)"
echo "  after VACUUM model_versions: ${OFF_BEST:--} ms best of 5 (each: ${OFF_ALL:--} ms), $OFF_LINES lines; target <= 100 ms: $(awk -v b="${OFF_BEST:-}" 'BEGIN { if (b == "") print "no data"; else if (b <= 100) print "holds"; else print "MISSED" }')"
echo "  EXPLAIN (ANALYZE, BUFFERS): $OFF_PLAN_OK"
grep -E 'Scan|Heap Fetches|Limit|InitPlan|Sort' "$T/off.plan" |
    sed -e 's/  (cost=[^)]*)//' -e 's/^/    /' | cut -c1-150
echo
echo "statuses in the access log (best rounds): hit ${NOTE[hit]:-}, miss ${NOTE[miss]:-}, 401 ${NOTE[401]:-}, 422 ${NOTE[422]:-}, health ${NOTE[health]:-}, read ${NOTE[read]:-}, create new ${NOTE[create]:-}, create same ${NOTE[same]:-}"
echo "targets: hit >= 80% of pgbench: $(verdict "${RPS[hit]:-}" "${RPS[pg_hit]:-}" 80);" \
    "miss >= 60% of pgbench: $(verdict "${RPS[miss]:-}" "${RPS[pg_miss]:-}" 60);" \
    "401 >= 50% of static: $(verdict "${RPS[401]:-}" "${RPS[static]:-}" 50);" \
    "422 >= 50% of static: $(verdict "${RPS[422]:-}" "${RPS[static]:-}" 50);" \
    "read >= 70% of pgbench: $(verdict "${RPS[read]:-}" "${RPS[pg_read]:-}" 70);" \
    "create new >= 70%: $(verdict "${RPS[create]:-}" "${RPS[pg_create]:-}" 70);" \
    "create same >= 70%: $(verdict "${RPS[same]:-}" "${RPS[pg_same]:-}" 70);" \
    "list >= 200000 lines/s: $LIST_V;" \
    "no memory growth 1k -> 100k: $MEMV"
echo
# The serial limit of a route: its requests need the FastCGI path (F, the
# floor's req/s) and the database (P, pgbench on the route's statement),
# and on one machine both share the cores: L = 1 / (1/F + 1/P), with P
# from -M prepared (the app prepares its statements too).
echo "summary: req/s; L = 1/(1/F + 1/P prepared), the serial limit; ratio = app / L (401: app / F); app us/req: the app's CPU per request"
printf '%-12s %8s %10s %10s %8s %8s %6s %7s  %s\n' route F "P extended" "P prepared" L app ratio "app us" target
srow() {	# LABEL APP PG_EXT PG_PREP TARGET
	local f=${RPS[floor]:-} pe="" pp="" a=${RPS[$2]:-} l c
	[ -n "$3" ] && pe=${RPS[$3]:-}
	[ -n "$4" ] && pp=${RPS[$4]:-}
	read -r c _ <<<"${CPU[$2]:--}"
	l=$(awk -v f="$f" -v p="$pp" 'BEGIN { if (f == "" || f == 0) print "-";
		else if (p == "") printf "%.0f", f;
		else if (p == 0) print "-"; else printf "%.0f", 1 / (1 / f + 1 / p) }')
	printf '%-12s %8s %10s %10s %8s %8s %6s %7s  %s\n' "$1" "${f:--}" "${pe:--}" "${pp:--}" \
	    "$l" "${a:--}" "$(awk -v a="$a" -v l="$l" 'BEGIN {
		if (a == "" || l == "-" || l == 0) print "-"; else printf "%.2f", a / l }')" \
	    "$c" "$5 $(awk -v a="$a" -v l="$l" -v t="${5#>= }" 'BEGIN {
		if (a == "" || l == "-" || l == 0) print "no data";
		else if (a / l >= t) print "holds"; else print "MISSED" }')"
}
srow "read 200" read pg_read pgp_read ">= 0.8"
srow "miss 404" miss pg_miss pgp_miss ">= 0.8"
srow "hit 200" hit pg_hit pgp_hit ">= 0.8"
srow "create new" create pg_create pgp_create ">= 0.8"
srow "create same" same pg_same pgp_same ">= 0.8"
srow "422" 422 pg_key pgp_key ">= 0.8"
srow "health" health pg_health pgp_health ">= 0.8"
srow "401" 401 "" "" ">= 0.95"
echo "  (F: the FastCGI floor, tests/bench/fcgi-floor.c behind the same lighttpd; noisy machine: see the load average above)"
if [ "$PIN" = 1 ]; then
	echo
	echo "pinned: PostgreSQL on cpu $DB_CPU, everything else on cpu $APP_CPU; req/s (list: lines/s); limit = min(F, P prepared), the side that bounds a route"
	echo "when each side has a host of its own; ratio = app / limit; busy: % of one core during the app's best round, from /proc:"
	echo "postgres = PostgreSQL's processes, app side = models-api + lighttpd + wrk/curl; cpu$DB_CPU/cpu$APP_CPU: each core's whole busy time (/proc/stat)"
	printf '%-12s %8s %10s %8s %8s %-4s %6s %9s %9s %6s %6s\n' route app "P prepared" F limit "" ratio postgres% "app side%" \
	    "cpu$DB_CPU%" "cpu$APP_CPU%"
	# prow LABEL RATE P F CPU_LINE
	prow() {
		local -a c
		read -r -a c <<<"${5:-}"
		awk -v lab="$1" -v a="${2:-}" -v p="${3:-}" -v f="${4:-}" 'BEGIN {
			lim = ""; side = "";
			if (p != "" && (f == "" || p + 0 <= f + 0)) { lim = p; side = "db" }
			else if (f != "") { lim = f; side = "app" }
			r = (a == "" || lim == "" || lim == 0) ? "-" : sprintf("%.2f", a / lim);
			printf "%-12s %8s %10s %8s %8s %-4s %6s", lab,
			    a == "" ? "-" : a, p == "" ? "-" : p, f == "" ? "-" : f,
			    lim == "" ? "-" : lim, side, r }'
		printf ' %9s %9s %6s %6s\n' "${c[7]:--}" "${c[8]:--}" "${c[9]:--}" "${c[10]:--}"
	}
	for r in "read 200:read:pgp_read" "miss 404:miss:pgp_miss" "hit 200:hit:pgp_hit" \
	    "create new:create:pgp_create" "create same:same:pgp_same" "422:422:pgp_key" \
	    "health:health:pgp_health" "401:401:"; do
		IFS=: read -r lab app pg <<<"$r"
		prow "$lab" "${RPS[$app]:-}" "${pg:+${RPS[$pg]:-}}" "${RPS[floor]:-}" \
		    "${CPU[$app]:-}"
	done
	prow "list" "${LIST_BEST:-}" "${PSQL_BEST:-}" "" "${LIST_CPU:-}"
	echo "  (P: pgbench -M prepared on the route's statement, what the database core serves; F: the FastCGI floor, what the"
	echo "   app's core serves on a path without the database; list: P is psql COPY of the same statement, CPU of the best round)"
fi
echo "bench took $(( $(date +%s) - START_S ))s (data load ${LOAD_S}s + ${LIST_LOAD_S}s + ${BIG_LOAD_S:-0}s + ${OFF_LOAD_S}s)"
[ "$FAILED" = 0 ] || echo "bench: some runs did not measure what they should (see above)"
exit "$FAILED"
