#!/usr/bin/env bash
# The served OpenAPI document, used as clients use it: fetched through a
# real front server (FRONT, lighttpd by default) from the running stack,
# linted with `redocly lint` (no error, no warning), turned into TypeScript
# types with openapi-typescript, and a small openapi-fetch client
# (tests/e2e/openapi/client.ts) type-checked with `tsc --noEmit` and run
# with node: it creates, reads, lists and deletes versions and checks each
# answer. tests/e2e/openapi/bad.ts must NOT type-check (the generated types
# are real). Last line: "N passed, N failed".
#
# The npm tools are pinned in tests/e2e/openapi/package-lock.json and
# installed with `npm ci` into OPENAPI_TOOLS (default build/openapi-tools,
# git-ignored), once per lock file: later runs reuse them. node and npm are
# Debian's (tools/install-deps.sh --for check).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FRONT=${FRONT:-lighttpd}
SRC=$ROOT/tests/e2e/openapi
TOOLS=${OPENAPI_TOOLS:-$ROOT/build/openapi-tools}
. "$ROOT/deploy/stack.sh"
. "$ROOT/tests/e2e/lib.sh"

for c in node npm; do
	command -v $c >/dev/null || { echo "$c not found (apt-get install nodejs npm)"; echo "0 passed, 1 failed"; exit 1; }
done

# The tools, installed again only when the lock file changed. Runs at once
# share them: the lock serialises the install.
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.lock"
flock 9
if ! cmp -s "$SRC/package-lock.json" "$TOOLS/package-lock.json" ||
    [ ! -x "$TOOLS/node_modules/.bin/tsc" ]; then
	rm -rf "$TOOLS/node_modules" "$TOOLS/package-lock.json"
	cp "$SRC/package.json" "$SRC/package-lock.json" "$TOOLS/"
	# No install scripts: none of these tools needs one.
	if ! (cd "$TOOLS" && npm ci --cache "$TOOLS/npm-cache" --prefer-offline \
	    --ignore-scripts --no-audit --no-fund >"$TOOLS/install.log" 2>&1); then
		tail -n 20 "$TOOLS/install.log"
		rm -f "$TOOLS/package-lock.json"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
flock -u 9
BIN=$TOOLS/node_modules/.bin
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

test_stack_begin openapi || { echo "PostgreSQL or migrate failed"; echo "0 passed, 1 failed"; exit 1; }
stack_app_start "$T/app.sock" "$T/app.log" "$T/app.pid" ||
    { echo "0 passed, 1 failed"; exit 1; }
PORT=$(stack_free_port)
stack_front_start "$FRONT" "$T/front" "$PORT" "$T/app.sock" "$T/app.log" ||
    { echo "$FRONT failed to start"; echo "0 passed, 1 failed"; exit 1; }
BASE="http://127.0.0.1:$PORT"
KEY=$("$BUILD/models-admin" key create acme)

# --- the document, as served --------------------------------------------
mkdir -p "$T/client"
CODE=$(curl -s -o "$T/client/openapi.json" -w '%{http_code} %{content_type}' \
    "$BASE/openapi.json")
expect_eq "GET /openapi.json" "200 application/json" "$CODE"
expect_eq "served = lib/openapi.json" same \
    "$(cmp -s "$ROOT/lib/openapi.json" "$T/client/openapi.json" && echo same || echo differs)"

# --- redocly lint ----------------------------------------------------------
# In the background, while the client is generated and checked.
"$BIN/redocly" lint --format=stylish "$T/client/openapi.json" >"$T/lint.log" 2>&1 &
LINTPID=$!

# --- the generated client ------------------------------------------------
"$BIN/openapi-typescript" "$T/client/openapi.json" -o "$T/client/schema.ts" \
    >"$T/gen.log" 2>&1
expect_eq "openapi-typescript" 0 $?
cp "$SRC/client.ts" "$SRC/bad.ts" "$SRC/tsconfig.json" "$SRC/tsconfig.bad.json" \
    "$T/client/"
echo '{ "type": "module" }' >"$T/client/package.json"
ln -s "$TOOLS/node_modules" "$T/client/node_modules"
# Both type checks at once (each is mostly waiting on the other core).
# Each of bad.ts's four mistakes must be caught: a number in the digests
# body, a misspelt field, a missing required field, a route the document
# lacks.
"$BIN/tsc" -p "$T/client/tsconfig.bad.json" >"$T/bad.log" 2>&1 &
BADPID=$!
"$BIN/tsc" -p "$T/client" --noEmit >"$T/tsc.log" 2>&1
expect_eq "tsc --noEmit client.ts" "0 " "$? $(head -n 20 "$T/tsc.log")"
wait $BADPID
expect_eq "bad.ts does not type-check" 1 $(( $? != 0 ))
expect_eq "bad.ts: its four errors" "10 11 13 14" \
    "$(sed -n 's/^[^(]*bad\.ts(\([0-9]*\),.*error TS.*/\1/p' "$T/bad.log" | sort -nu | tr '\n' ' ' | sed 's/ $//')"

wait $LINTPID
expect_eq "redocly lint exit" 0 $?
expect_eq "redocly lint: no error, no warning" "" \
    "$(grep -Ei '\b(error|warning)\b' "$T/lint.log" | head -n 10)"

# --- run it against the stack ----------------------------------------------
# Checked above: now only the types stripped (TypeScript's transpileModule,
# no second full compile), for node to run.
mkdir -p "$T/client/out"
node -e '
const ts = require(process.argv[1]), fs = require("fs");
const out = ts.transpileModule(fs.readFileSync(process.argv[2], "utf8"), {
	compilerOptions: { module: ts.ModuleKind.ES2022,
	    target: ts.ScriptTarget.ES2022 } });
fs.writeFileSync(process.argv[3], out.outputText);' \
    "$TOOLS/node_modules/typescript" "$T/client/client.ts" \
    "$T/client/out/client.js" >"$T/transpile.log" 2>&1
expect_eq "transpile client.ts" "0 " "$? $(head -n 5 "$T/transpile.log")"
MODELS_API_URL=$BASE MODELS_API_KEY=$KEY node "$T/client/out/client.js" \
    >"$T/client.log" 2>&1
RC=$?
while IFS= read -r line; do
	case $line in
	"PASS "*) pass ;;
	"FAIL "*) fail "client" "${line#FAIL }" ;;
	*)	  echo "client: $line" ;;
	esac
done <"$T/client.log"
expect_eq "client exit" 0 "$RC"
expect_eq "client checks" 15 "$(grep -c '^PASS ' "$T/client.log")"

[ "$FAIL" = 0 ] || { sed 's/^/lint: /' "$T/lint.log" | head -n 30; sed 's/^/tsc: /' "$T/tsc.log" | head -n 30; }
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
