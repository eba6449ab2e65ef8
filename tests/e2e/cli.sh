#!/usr/bin/env bash
# The command-line surface that needs no database: --help and --version of
# both programs (stdout, exit 0, stderr silent), every models-admin
# command's --help answered without connecting (DATABASE_URL points at a
# socket directory that does not exist, so any connection attempt would
# exit 1), the version equal to the Debian changelog's, and the man pages
# built by make. BUILD selects the binaries. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
. "$ROOT/tests/e2e/lib.sh"
T=$(mktemp -d /tmp/models-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
export DATABASE_URL="postgresql:///models?host=$T/nowhere"
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$ROOT/deploy/debian/changelog")

# run NAME EXPECTED_STATUS CMD...: stdout in $T/out, stderr in $T/err.
run() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	expect_eq "$name: exit status" "$want" "$rc"
	expect_eq "$name: stderr" "" "$(cat "$T/err")"
}

for prog in models-api models-admin; do
	run "$prog --version" 0 "$BUILD/$prog" --version
	expect_eq "$prog --version text" "$prog $VERSION" "$(cat "$T/out")"
	run "$prog -V" 0 "$BUILD/$prog" -V
	run "$prog --help" 0 "$BUILD/$prog" --help
	expect_eq "$prog --help names the command" 1 \
	    "$(grep -c "^usage: $prog" "$T/out")"
	run "$prog -h" 0 "$BUILD/$prog" -h
done
# models-api answers --help before its settings are checked (and as root).
run "models-api --help, bad settings" 0 env MODELS_API_THREADS=0 \
    "$BUILD/models-api" --help
run "models-api --listen X --help" 0 "$BUILD/models-api" --listen unix:/x --help

while IFS='|' read -r words synopsis; do
	# shellcheck disable=SC2086 # the words are separate arguments
	run "models-admin $words --help" 0 "$BUILD/models-admin" $words --help
	expect_eq "models-admin $words --help: synopsis" \
	    "usage: models-admin $synopsis" "$(head -n 1 "$T/out")"
done <<'EOF2'
setup|setup ENTITY [--role read|write|admin] [--label TEXT]
migrate|migrate
key create|key create ENTITY [--role read|write|admin] [--label TEXT]
key list|key list [ENTITY] [--long]
key list acme|key list [ENTITY] [--long]
key revoke|key revoke KEY_ID
model add|model add ENTITY PROJECT OBJECT_ID [--val JSON]
model create|model create ENTITY PROJECT NAME --source FILE|- [--description TEXT] [--attributes JSON]
model list demo models|model list ENTITY PROJECT [OBJECT_ID] [--deleted]
model restore|model restore ENTITY PROJECT OBJECT_ID DIGEST|vN
purge|purge [--older-than DURATION]
purge --older-than 1d|purge [--older-than DURATION]
model restore demo models m v1|model restore ENTITY PROJECT OBJECT_ID DIGEST|vN
key|key create ENTITY [--role read|write|admin] [--label TEXT]
model|model add ENTITY PROJECT OBJECT_ID [--val JSON]
EOF2
# Without --help the same command does connect, and fails: the check above
# would have seen exit 1 had --help connected.
"$BUILD/models-admin" key list >/dev/null 2>&1
expect_eq "key list without --help connects (and fails here)" 1 $?
"$BUILD/models-admin" frobnicate >/dev/null 2>&1
expect_eq "bad command still exits 2" 2 $?

# A bad argument is named (exit 2), before the usage.
"$BUILD/models-api" --bogus >"$T/out" 2>"$T/err"
expect_eq "models-api --bogus: exit 2, named" "2 models-api: bad argument \"--bogus\"" \
    "$? $(head -n 1 "$T/err")"

# The settings file (lib/config.c): errors name file and line (exit 2);
# the environment wins over the file; models-api reads it with --config or
# MODELS_API_CONFIG, models-admin always (here an explicit one).
printf '# settings\nDATABASE_URL=postgresql:///x?host=/a&b=c\n' >"$T/amp.env"
"$BUILD/models-admin" --config "$T/amp.env" key list >"$T/out" 2>"$T/err"
expect_eq "config: an unquoted & is refused, file:line" \
    "2 models-admin: $T/amp.env:2: quote the value ('...'): a shell reads blanks, quotes and & ; | < > ( ) \$ \` \\ differently" \
    "$? $(cat "$T/err")"
env MODELS_API_ALLOW_ROOT=1 REQUEST_METHOD=GET REQUEST_URI=/health "$BUILD/models-api" \
    --config "$T/amp.env" >"$T/out" 2>"$T/err"
expect_eq "config: models-api --config, the same error, exit 2" \
    "2 models-api: $T/amp.env:2: quote the value" "$? $(sed 's/ (.*//' "$T/err")"
env MODELS_API_CONFIG="$T/none.env" MODELS_API_ALLOW_ROOT=1 REQUEST_METHOD=GET \
    REQUEST_URI=/health "$BUILD/models-api" >"$T/out" 2>"$T/err"
expect_eq "config: MODELS_API_CONFIG missing: exit 2, named" \
    "2 models-api: $T/none.env: No such file or directory" "$? $(cat "$T/err")"
printf "MODELS_API_THREADS='0'\n" >"$T/t0.env"
env MODELS_API_ALLOW_ROOT=1 REQUEST_METHOD=GET REQUEST_URI=/health "$BUILD/models-api" \
    --config "$T/t0.env" >"$T/out" 2>"$T/err"
expect_eq "config: the file's setting applies" \
    '2 models-api: MODELS_API_THREADS must be an integer from 1 to 256, not "0"' "$? $(cat "$T/err")"
env MODELS_API_THREADS=2 MODELS_API_ALLOW_ROOT=1 REQUEST_METHOD=GET REQUEST_URI=/nope \
    "$BUILD/models-api" --config "$T/t0.env" >"$T/out" 2>"$T/err"
expect_eq "config: the environment wins over the file" "0 1" \
    "$? $(grep -c ' GET /nope 404 ' "$T/err")"
# The shipped settings files parse (and read the same to sh).
for f in deploy/systemd/env.example deploy/patroni/env.example; do
	"$BUILD/models-admin" --config "$ROOT/$f" model list 'bad name' x >"$T/out" 2>"$T/err"
	expect_eq "config: $f parses" \
	    '2 models-admin: ENTITY must be 1-128 of [A-Za-z0-9_.-]: "bad name"' "$? $(cat "$T/err")"
done
expect_eq "config: the shipped env file, read by sh" "postgresql:///models 4" \
    "$(env -i sh -c "set -a; . '$ROOT/deploy/systemd/env.example'; echo \"\$DATABASE_URL \$MODELS_API_THREADS\"")"

# Man pages, built by make from deploy/man/*.scd.
for page in models-api models-admin; do
	f=$BUILD/$page.8
	expect_eq "$page.8 built" yes "$([ -s "$f" ] && echo yes)"
	expect_eq "$page.8 header" ".TH \"$page\" \"8\"" \
	    "$(grep -m1 '^\.TH' "$f" 2>/dev/null | cut -d' ' -f1-3)"
	expect_eq "$page.8 version" 1 "$(grep -m1 '^\.TH' "$f" 2>/dev/null | grep -c "models-api $VERSION")"
	expect_eq "$page.8 renders" 0 "$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null | wc -l)"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
