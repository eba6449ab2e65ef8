#!/usr/bin/env bash
# make check: unit tests, lib/db.c against PostgreSQL (tests/db), and the
# end-to-end suite through every front server
# (lighttpd FastCGI, lighttpd CGI, nginx, Apache) and once through PgBouncer
# in transaction-pooling mode, and through lighttpd CGI with every request
# under valgrind memcheck, on the normal build; then unit tests, tests/db
# and the lighttpd suite again on the AddressSanitizer +
# UndefinedBehaviorSanitizer build. Also: the suite through Debian's stock
# front configs with the shipped files, the OpenAPI document through a
# generated client, request bodies and hostile clients (slow, stalled,
# oversized, many) through every front, the command line, log
# destinations, the Debian package, the install from the .deb along the
# README, the dev stack's
# access rules and install-deps. tests/README.md lists what each stage
# guards. Sums the
# "N passed, N failed" line of every stage; the last line is the total.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

PASSED=0
FAILED=0

# stage NAME COMMAND...: runs one suite, echoes its output, adds its counts.
# A suite that dies without its closing line counts as one failure.
stage() {
	local name=$1 out line rc
	shift
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no result line (exit $rc)"
		FAILED=$((FAILED + 1))
		return
	fi
	echo "$name: $line"
	PASSED=$((PASSED + $(echo "$line" | cut -d' ' -f1)))
	FAILED=$((FAILED + $(echo "$line" | cut -d' ' -f3)))
	if [ "$rc" -ne 0 ] && [ "$(echo "$line" | cut -d' ' -f3)" = 0 ]; then
		echo "$name: exit $rc despite no failures"
		FAILED=$((FAILED + 1))
	fi
}

stage "unit" build/unit-tests
stage "command line (--help, --version, man pages)" env BUILD="$ROOT/build" \
    tests/e2e/cli.sh
stage "log destinations (plain, journald priorities, syslog), SIGHUP" \
    env BUILD="$ROOT/build" tests/e2e/logs.sh
stage "database layer (lib/db.c against PostgreSQL, real faults)" \
    env BUILD="$ROOT/build" tests/db/run.sh
for front in lighttpd cgi nginx apache; do
	stage "end-to-end ($front)" env BUILD="$ROOT/build" FRONT=$front \
	    tests/e2e/run.sh
done
for front in lighttpd nginx apache; do
	stage "end-to-end (Debian's stock $front config + the shipped file)" \
	    env BUILD="$ROOT/build" FRONT=stock-$front tests/e2e/run.sh
done
stage "OpenAPI document (redocly lint, openapi-typescript + openapi-fetch client)" \
    env BUILD="$ROOT/build" tests/e2e/openapi.sh
stage "request bodies through every front (fixed, chunked, oversized)" \
    tests/e2e/bodies.sh
stage "hostile clients through every front (slow uploads, stalled lists, 4 MiB bodies, mixed writes)" \
    env BUILD="$ROOT/build" tests/e2e/hostile.sh
stage "end-to-end (lighttpd, pgbouncer)" env BUILD="$ROOT/build" PGBOUNCER=1 \
    tests/e2e/run.sh
stage "processes (fd 0, systemd units, multiwatch, failover, SIGTERM, SIGUSR1, SIGINT)" \
    env BUILD="$ROOT/build" tests/e2e/procs.sh
stage "metrics (/metrics: promtool, prometheus_client, exact counts, access)" \
    env BUILD="$ROOT/build" tests/e2e/metrics.sh
stage "hostile FastCGI records" env BUILD="$ROOT/build" tests/e2e/fcgi-hostile.sh
stage "fuzzing (libFuzzer, 3 s per harness)" env FUZZ_SECONDS=3 tests/fuzz/run.sh
stage "races (32 clients, 3 rounds)" env BUILD="$ROOT/build" RACE_ROUNDS=3 \
    tests/e2e/race.sh
stage "failover (primary + sync standby: kill -9, stalled standby, async, switchover, PgBouncer switchover)" \
    env BUILD="$ROOT/build" tests/failover/run.sh
stage "end-to-end (cgi, valgrind memcheck)" env BUILD="$ROOT/build" FRONT=cgi \
    VALGRIND=1 tests/e2e/run.sh
stage "Debian package (make deb, lintian, hardening, unpacked binaries through lighttpd)" \
    tests/e2e/package.sh
# After the package stage: it installs and upgrades the .deb that built.
stage "restarts and upgrades under load (re-exec, every front, the .deb), schema check, instances, backup" \
    env BUILD="$ROOT/build" tests/e2e/upgrade.sh
stage "install from the .deb: the README's steps to a first curl, man pages, purge" \
    tests/e2e/install.sh
stage "dev stack: secrets and PostgreSQL access" tests/e2e/devstack.sh
stage "install-deps: only what the target needs, no services enabled" \
    tests/e2e/deps.sh
stage "unit (asan+ubsan)" build/asan/unit-tests
stage "database layer (asan+ubsan)" env BUILD="$ROOT/build/asan" tests/db/run.sh
stage "end-to-end (lighttpd, asan+ubsan)" env BUILD="$ROOT/build/asan" tests/e2e/run.sh

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
