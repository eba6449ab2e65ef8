#!/usr/bin/env bash
# make check: unit tests, lib/db.c against PostgreSQL (tests/db), and the
# end-to-end suite through every front server
# (lighttpd FastCGI, lighttpd CGI, nginx, Apache) and once through PgBouncer
# in transaction-pooling mode, and through lighttpd CGI with every request
# under valgrind memcheck, on the normal build; and unit tests, tests/db
# and the lighttpd suite again on the AddressSanitizer +
# UndefinedBehaviorSanitizer build. Also: the suite through Debian's stock
# front configs with the shipped files, the OpenAPI document through a
# generated client, request bodies and hostile clients (slow, stalled,
# oversized, many) through every front, the command line, log
# destinations, the Debian package, the install from the .deb along the
# README, the dev stack's
# access rules and install-deps. tests/README.md lists what each stage
# guards. Runs two stages at a time (CHECK_JOBS), prints each stage's
# output as one block when it ends, with its wall time, then a summary in
# this file's order. Sums the "N passed, N failed" line of every stage;
# the last line is the total.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The stages that run make (the package, the install) run it as by hand,
# not as part of `make -j check`'s jobserver, whose descriptors they lack.
unset MAKEFLAGS MFLAGS MAKELEVEL

PASSED=0
FAILED=0
START=$(date +%s)
OUT=$(mktemp -d /tmp/models-check.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
N=0		# stages started
declare -a NAME

# CHECK_ONLY=REGEX runs only the stages whose name matches (grep -E), e.g.
# CHECK_ONLY='failover|valgrind'. CHECK_JOBS=1 runs one stage at a time
# (each stage's time is then its own, not shared with a neighbour).
wanted() { [ -z "${CHECK_ONLY:-}" ] || echo "$1" | grep -q -E -- "$CHECK_ONLY"; }

# run N COMMAND...: one suite, its output into $OUT/N.out, its exit status
# into $OUT/N.rc (written last: its presence means the stage is done) and
# its wall time in seconds into $OUT/N.s.
run() {
	local n=$1 t0
	shift
	t0=$(date +%s)
	"$@" >"$OUT/$n.out" 2>&1 </dev/null
	echo $? >"$OUT/$n.rc.new"
	echo $(($(date +%s) - t0)) >"$OUT/$n.s"
	mv "$OUT/$n.rc.new" "$OUT/$n.rc"
}

# report N: echoes stage N's output and adds its counts. A suite that dies
# without its closing line counts as one failure. Its result line, with
# its time, is kept in $OUT/N.sum for the summary.
report() {
	local n=$1 name=${NAME[$1]} out line rc s
	out=$(cat "$OUT/$n.out")
	rc=$(cat "$OUT/$n.rc")
	s=$(cat "$OUT/$n.s")
	echo "== $name"
	echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no result line (exit $rc, $s s)"
		printf '%5s s  no result line (exit %s)  %s\n' "$s" "$rc" "$name" >"$OUT/$n.sum"
		FAILED=$((FAILED + 1))
		return
	fi
	echo "$name: $line ($s s)"
	printf '%5s s  %s  %s\n' "$s" "$line" "$name" >"$OUT/$n.sum"
	PASSED=$((PASSED + $(echo "$line" | cut -d' ' -f1)))
	FAILED=$((FAILED + $(echo "$line" | cut -d' ' -f3)))
	if [ "$rc" -ne 0 ] && [ "$(echo "$line" | cut -d' ' -f3)" = 0 ]; then
		echo "$name: exit $rc despite no failures" | tee -a "$OUT/$n.sum"
		FAILED=$((FAILED + 1))
	fi
}

# show: reports the stages that finished since the last call, each as one
# block (two stages' lines never mix), in the order they finished.
show() {
	local n
	for n in $(seq 1 "$N"); do
		[ -f "$OUT/$n.rc" ] && [ ! -f "$OUT/$n.sum" ] && report "$n"
	done
	return 0
}

# stage NAME COMMAND...: starts one suite as soon as fewer than CHECK_JOBS
# (default 2: two cores, and most suites keep about one busy) are running;
# the stages finished meanwhile are reported. These suites keep to their
# own temporary directories, free ports and private namespaces, so any two
# can run side by side.
stage() {
	wanted "$1" || return 0
	N=$((N + 1))
	NAME[N]=$1
	shift
	while [ "$(jobs -rp | wc -l)" -ge "${CHECK_JOBS:-2}" ]; do
		wait -n
		show
	done
	run "$N" "$@" &
}

# serial NAME COMMAND...: a stage that starts only once the previous
# `serial` stage has finished: the suites that build, install and upgrade
# the .deb share build/deb, so they run one after the other (beside the
# other stages).
LAST_SERIAL=0
serial() {
	wanted "$1" || return 0
	while [ "$LAST_SERIAL" -gt 0 ] && [ ! -f "$OUT/$LAST_SERIAL.rc" ]; do
		wait -n
		show
	done
	stage "$@"
	LAST_SERIAL=$N
}

# alone NAME COMMAND...: a stage with nothing beside it, started once
# every stage before it has ended: hostile clients measures the service's
# latency under attack with every core its own (its 4 MiB senders, given
# 4 s of a dev window, sent nothing at all beside valgrind on a busy
# machine).
alone() {
	wanted "$1" || return 0
	join
	stage "$@"
	join
}

# join: waits for every stage started, reports them.
join() {
	wait
	show
}

# Hostile clients alone, then the rest longest first, so that the two at a
# time end close together; the summary keeps this order. The three stages
# of the .deb run one after the other (serial). Each suite's own order and
# checks are unchanged.
alone "hostile clients through every front (slow uploads, stalled lists, 4 MiB bodies, mixed writes)" \
    env BUILD="$ROOT/build" tests/e2e/hostile.sh
stage "end-to-end (cgi, valgrind memcheck)" env BUILD="$ROOT/build" FRONT=cgi \
    VALGRIND=1 tests/e2e/run.sh
PACKAGE="Debian package (make deb, lintian, hardening, unpacked binaries through lighttpd)"
serial "$PACKAGE" tests/e2e/package.sh
stage "fuzzing (libFuzzer, 3 s per harness)" env FUZZ_SECONDS=3 tests/fuzz/run.sh
stage "failover (primary + sync standby: kill -9, stalled standby, async, switchover, PgBouncer switchover)" \
    env BUILD="$ROOT/build" tests/failover/run.sh
# After the package stage: it installs and upgrades the .deb that built.
serial "restarts and upgrades under load (re-exec, every front, the .deb), schema check, instances, backup" \
    env BUILD="$ROOT/build" tests/e2e/upgrade.sh
stage "OpenAPI document (redocly lint, openapi-typescript + openapi-fetch client)" \
    env BUILD="$ROOT/build" tests/e2e/openapi.sh
# After the package stage too: the .deb that built, not built again (when
# that stage ran: CHECK_ONLY may leave it out).
serial "install from the .deb: the README's steps to a first curl, man pages, purge" \
    env INSTALL_DEB_BUILT="$(wanted "$PACKAGE" && echo 1)" tests/e2e/install.sh
stage "end-to-end (lighttpd, asan+ubsan)" env BUILD="$ROOT/build/asan" tests/e2e/run.sh
for front in cgi lighttpd nginx apache; do
	stage "end-to-end ($front)" env BUILD="$ROOT/build" FRONT=$front \
	    tests/e2e/run.sh
done
stage "end-to-end (lighttpd, pgbouncer)" env BUILD="$ROOT/build" PGBOUNCER=1 \
    tests/e2e/run.sh
stage "races (32 clients, 3 rounds)" env BUILD="$ROOT/build" RACE_ROUNDS=3 \
    tests/e2e/race.sh
stage "processes (fd 0, systemd units, multiwatch, failover, SIGTERM, SIGUSR1, SIGINT)" \
    env BUILD="$ROOT/build" tests/e2e/procs.sh
for front in lighttpd nginx apache; do
	stage "end-to-end (Debian's stock $front config + the shipped file)" \
	    env BUILD="$ROOT/build" FRONT=stock-$front tests/e2e/run.sh
done
stage "request bodies through every front (fixed, chunked, oversized)" \
    tests/e2e/bodies.sh
stage "metrics (/metrics: promtool, prometheus_client, exact counts, access)" \
    env BUILD="$ROOT/build" tests/e2e/metrics.sh
stage "database layer (asan+ubsan)" env BUILD="$ROOT/build/asan" tests/db/run.sh
stage "database layer (lib/db.c against PostgreSQL, real faults)" \
    env BUILD="$ROOT/build" tests/db/run.sh
stage "hostile FastCGI records" env BUILD="$ROOT/build" tests/e2e/fcgi-hostile.sh
stage "dev stack: secrets and PostgreSQL access" tests/e2e/devstack.sh
stage "log destinations (plain, journald priorities, syslog), SIGHUP" \
    env BUILD="$ROOT/build" tests/e2e/logs.sh
stage "install-deps: only what the target needs, no services enabled" \
    tests/e2e/deps.sh
stage "unit (asan+ubsan)" build/asan/unit-tests
stage "unit" build/unit-tests
stage "command line (--help, --version, man pages)" env BUILD="$ROOT/build" \
    tests/e2e/cli.sh

join
# The summary, in this file's order: seconds, counts, stage.
echo "== summary"
for n in $(seq 1 "$N"); do cat "$OUT/$n.sum"; done
echo "make check: $(($(date +%s) - START)) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
