#!/usr/bin/env bash
# tests/fuzz/run.sh: builds the libFuzzer harnesses of tests/fuzz/ with clang
# (AddressSanitizer + UndefinedBehaviorSanitizer) into build/fuzz/, then runs
# each for FUZZ_SECONDS seconds (default 10) on a scratch copy of its seed
# corpus, so nothing new is ever written into the repository. Prints, per
# harness, executions, coverage (cov/ft of libFuzzer's final stats) and
# crashes; the last line is "N passed, N failed" (a harness passes when it
# ran without a crash, leak, timeout or invariant violation). Crash inputs
# are kept in build/fuzz/artifacts/.
#
#   FUZZ_SECONDS=60 tests/fuzz/run.sh          the long form
#   FUZZ_SECONDS=3 tests/fuzz/run.sh           the short form (make check)
#   FUZZ_JOBS=1                                harnesses run one at a time
#                                              (default: one per CPU)
#   tests/fuzz/run.sh app query                only these harnesses
#
# A crash is replayed with: build/fuzz/fuzz_NAME build/fuzz/artifacts/FILE
# Installs nothing; without clang it says so and fails.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

ALL="route query auth base64 utf8 objname app canon"
HARNESSES=${*:-$ALL}
SECONDS_EACH=${FUZZ_SECONDS:-10}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
PKGS="json-c libpq libcrypto"
COUNT=$(echo $HARNESSES | wc -w)
START=$(date +%s.%N)

fail_all() {
	echo "fuzz: $*" >&2
	echo "0 passed, $COUNT failed"
	exit 1
}

case $SECONDS_EACH in
'' | *[!0-9]* | 0) fail_all "FUZZ_SECONDS must be a positive whole number" ;;
esac
case $JOBS in
'' | *[!0-9]* | 0) JOBS=1 ;;
esac
for h in $HARNESSES; do
	[ -f "tests/fuzz/fuzz_$h.c" ] || fail_all "no harness tests/fuzz/fuzz_$h.c"
done
command -v "$CC" >/dev/null 2>&1 ||
    fail_all "$CC not found: the harnesses need clang with libFuzzer" \
    "(Debian: apt-get install clang); nothing was run"
command -v pkg-config >/dev/null 2>&1 || fail_all "pkg-config not found"
pkg-config --exists $PKGS || fail_all "missing development packages for: $PKGS"

# Flags of the brief: every object gets ASan + UBSan and libFuzzer's coverage
# instrumentation (fuzzer-no-link); only the harness links libFuzzer's main.
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
-fsanitize=address,undefined -fno-sanitize-recover=all -Ilib \
$(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lfcgi -lpthread"
mkdir -p "$OUT/obj" "$OUT/artifacts" "$OUT/logs" || exit 1
# lib/ minus nothing: db.c and log.c link against libpq; the migrations
# built in (lib/schema.c compares a database's with them) are generated as
# make does, rewritten only when they change; endpoint.c serves the OpenAPI
# document, embedded below as make does it.
tools/embed-sql.sh $(ls sql/[0-9]*.sql) >"$OUT/migrations.c.new" &&
    { cmp -s "$OUT/migrations.c.new" "$OUT/migrations.c" ||
      mv "$OUT/migrations.c.new" "$OUT/migrations.c"; }
rm -f "$OUT/migrations.c.new"
LIB_SRC="$(ls lib/*.c) $OUT/migrations.c $OUT/obj/openapi-doc.c"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/models-fuzz.XXXXXX") ||
    fail_all "cannot make a scratch directory"
trap 'rm -rf "$SCRATCH"' EXIT

# ---- build (incremental: only what changed, or everything on new flags) ----
echo "fuzz: building with $("$CC" --version | head -n 1)"
STAMP="$OUT/obj/flags"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$CC $CFLAGS" ]; then
	rm -f "$OUT"/obj/*.o
	echo "$CC $CFLAGS" >"$STAMP"
fi
lib_header=$(ls -t lib/*.h | head -n 1)
fuzz_header=$(ls -t lib/*.h tests/fuzz/*.h tests/unit/json_*.h | head -n 1)

# fresh OUT INPUTS...: true when OUT exists and is newer than every input.
fresh() {
	local out=$1 f
	shift
	[ -f "$out" ] || return 1
	for f in "$@"; do
		[ "$f" -nt "$out" ] && return 1
	done
	return 0
}

if ! fresh "$OUT/obj/openapi-doc.c" lib/openapi.json lib/openapi.h \
    tools/embed-file.sh; then
	tools/embed-file.sh lib/openapi.json openapi_json openapi.h \
	    >"$OUT/obj/openapi-doc.c.tmp" &&
	    mv "$OUT/obj/openapi-doc.c.tmp" "$OUT/obj/openapi-doc.c" ||
	    fail_all "embedding lib/openapi.json failed"
fi
pids=""
for src in $LIB_SRC; do
	obj="$OUT/obj/$(basename "$src" .c).o"
	fresh "$obj" "$src" "$lib_header" "$STAMP" tests/fuzz/run.sh && continue
	"$CC" $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src" \
	    >"$OUT/logs/build-$(basename "$src" .c).log" 2>&1 &
	pids="$pids $!"
done
build_failed=0
for p in $pids; do
	wait "$p" || build_failed=1
done
if [ "$build_failed" -ne 0 ]; then
	cat "$OUT"/logs/build-*.log >&2
	fail_all "building lib/ with $CC failed"
fi

OBJS=$(for src in $LIB_SRC; do echo "$OUT/obj/$(basename "$src" .c).o"; done)
declare -A BUILT
pids=""
for h in $HARNESSES; do
	bin="$OUT/fuzz_$h"
	if fresh "$bin" "tests/fuzz/fuzz_$h.c" $OBJS "$fuzz_header" \
	    tests/fuzz/run.sh; then
		BUILT[$h]=ok
		continue
	fi
	# The harness itself (its reference checks) is not instrumented for
	# coverage, so cov and ft count lib/ alone.
	{ "$CC" $CFLAGS -Wall -Wextra -Itests/fuzz -c -o "$OUT/obj/fuzz_$h.o" \
	    "tests/fuzz/fuzz_$h.c" &&
	  "$CC" $CFLAGS -fsanitize=fuzzer -o "$bin" "$OUT/obj/fuzz_$h.o" \
	    $OBJS $LIBS; } >"$OUT/logs/build-fuzz_$h.log" 2>&1 &
	pids="$pids $h:$!"
done
for hp in $pids; do
	h=${hp%%:*}
	if wait "${hp#*:}"; then
		BUILT[$h]=ok
	else
		BUILT[$h]=failed
		cat "$OUT/logs/build-fuzz_$h.log" >&2
	fi
done

# ---- run ----
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
	for s in llvm-symbolizer llvm-symbolizer-14; do
		if command -v "$s" >/dev/null 2>&1; then
			export ASAN_SYMBOLIZER_PATH=$(command -v "$s")
			break
		fi
	done
fi

# Longer inputs where a code path needs them (auth: Basic credentials over
# 8 KiB are decoded on the heap; app: over 100 digests).
max_len() {
	case $1 in
	auth) echo 16384 ;;
	app | query) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

run_one() {
	local h=$1 corpus="$SCRATCH/$1" log="$OUT/logs/fuzz_$1.log" dict=""
	local marker="$SCRATCH/$1.start"

	mkdir -p "$corpus"
	cp tests/fuzz/corpus/"$h"/* "$corpus"/ 2>/dev/null
	[ -f "tests/fuzz/dict/$h.dict" ] && dict="-dict=tests/fuzz/dict/$h.dict"
	touch "$marker"
	"$OUT/fuzz_$h" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$h")" \
	    -artifact_prefix="$OUT/artifacts/$h-" $dict "$corpus" \
	    >"$log" 2>&1
	echo $? >"$SCRATCH/$h.rc"
}

running=0
for h in $HARNESSES; do
	[ "${BUILT[$h]}" = ok ] || continue
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$h" &
	running=$((running + 1))
done
wait

PASSED=0
FAILED=0
for h in $HARNESSES; do
	if [ "${BUILT[$h]}" != ok ]; then
		echo "fuzz_$h: build failed (see $OUT/logs/build-fuzz_$h.log)"
		FAILED=$((FAILED + 1))
		continue
	fi
	log="$OUT/logs/fuzz_$h.log"
	rc=$(cat "$SCRATCH/$h.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	stats=$(grep -E 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	cov=$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$stats" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$stats" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	edges=$(sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' \
	    "$log" | head -n 1)
	artifacts=$(find "$OUT/artifacts" -name "$h-*" -newer "$SCRATCH/$h.start" \
	    -type f 2>/dev/null)
	crashes=$(echo "$artifacts" | grep -c . )
	printf 'fuzz_%s: %s execs (%s/s), cov %s (of %s edges), ft %s, corpus %s, crashes %s' \
	    "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${edges:-?}" \
	    "${ft:-?}" "${corp:-?}" "$crashes"
	if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] && [ -n "$execs" ]; then
		echo ": ok"
		PASSED=$((PASSED + 1))
		continue
	fi
	echo ": FAILED (exit $rc)"
	FAILED=$((FAILED + 1))
	# The report: the sanitizer or invariant message and its stack.
	grep -E -A 30 '^==[0-9]+==ERROR|invariant violated|runtime error|Deadly signal|ERROR: libFuzzer' \
	    "$log" | head -n 60 | sed 's/^/    /'
	for a in $artifacts; do
		echo "    input: $a ($(wc -c <"$a") bytes): $(head -c 256 "$a" | od -An -v -tx1 | tr -d ' \n')"
		echo "    replay: $OUT/fuzz_$h $a"
	done
	echo "    full log: $log"
done

END=$(date +%s.%N)
echo "fuzz: $COUNT harnesses, ${SECONDS_EACH}s each, $JOBS at a time," \
    "$(awk "BEGIN { printf \"%.1f\", $END - $START }")s in all"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
