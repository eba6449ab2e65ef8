#!/usr/bin/env bash
# make run: the embedded dev stack. A PostgreSQL cluster in .run/pg (made
# on first use, kept afterwards), migrations, demo data, models-api under
# spawn-fcgi and a front server on 127.0.0.1:${PORT:-8080}: FRONT=lighttpd
# (default), nginx, apache, or cgi (lighttpd running the app as plain CGI,
# one process per request). Writes .run/env,
# prints a curl command, and stays in the foreground; Ctrl-C stops all it
# started (a cluster that was already running is left running).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# MODELS_API_RUN_DIR: another place than .run (the tests use one in /tmp).
RUN=${MODELS_API_RUN_DIR:-$ROOT/.run}
PORT=${PORT:-8080}
FRONT=${FRONT:-lighttpd}
. "$ROOT/deploy/stack.sh"

case $FRONT in
lighttpd|nginx|apache|cgi) ;;
*)	echo "make run: FRONT must be lighttpd, nginx, apache or cgi" >&2
	exit 2 ;;
esac

mkdir -p "$RUN"
chmod 755 "$RUN"
# A unix socket path must fit in 107 bytes; deep checkouts use /tmp.
SOCK=$RUN/sock
if [ ${#SOCK} -gt 80 ]; then
	SOCK=$(mktemp -d /tmp/models-run.XXXXXX)
	chmod 755 "$SOCK"
fi

STARTED_PG=0
stop_all() {
	trap - INT TERM EXIT
	echo
	echo "stopping"
	stack_stop_pid "$RUN/front/front.pidfile"
	stack_stop_pid "$RUN/models-api.pid"
	[ "$STARTED_PG" = 1 ] && stack_pg_stop "$RUN/pg"
	exit 0
}
trap stop_all INT TERM EXIT

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	echo "make run: port $PORT is in use; try PORT=8081 make run" >&2
	exit 1
fi

stack_pg_init "$RUN/pg"
if as_pg "$PGBIN/pg_ctl" -D "$RUN/pg" status >/dev/null 2>&1; then
	echo "PostgreSQL in .run/pg is already running; using it"
	SOCK=$(sed -n 5p "$RUN/pg/postmaster.pid")
	DATABASE_URL="postgresql:///models?host=$SOCK&user=postgres"
	export DATABASE_URL
else
	stack_pg_start "$RUN/pg" "$SOCK"
	STARTED_PG=1
fi

"$ROOT/build/models-admin" migrate
# Three versions of a demo model, each with its source, as POST makes them.
# Identical content returns the live version; after a delete it comes
# back as a new version with the next index, never a reused one.
FIRST=""
for i in 0 1 2; do
	V=$(printf 'import weave\n\nclass MyModel(weave.Model):\n    demo: int = %d\n' "$i" |
	    "$ROOT/build/models-admin" model create demo models my-model \
	    --source - --attributes "{\"demo\":$i}")
	V=${V#* }
	[ -n "$FIRST" ] || FIRST=${V% *}
done
KEY=$("$ROOT/build/models-admin" key create demo)

if [ "$FRONT" != cgi ]; then
	stack_app_start "$RUN/models-api.sock" "$RUN/models-api.log" \
	    "$RUN/models-api.pid"
fi
stack_front_start "$FRONT" "$RUN/front" "$PORT" "$RUN/models-api.sock" \
    "$RUN/models-api.log"
URL="http://127.0.0.1:$PORT"
# The digest of the walk-through's create (Weave's digest rules (README, lib/openapi.json) test vector).
VEC=l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw

# It holds a write key: readable by its owner only.
rm -f "$RUN/env"
(umask 077 && cat >"$RUN/env") <<EOV
DATABASE_URL='$DATABASE_URL'
MODELS_API_URL='$URL'
MODELS_API_DEMO_KEY='$KEY'
EOV

cat <<EOM

models-api is up behind $FRONT at $URL
  database:   $DATABASE_URL
  access log: .run/models-api.log
  settings:   .run/env (source it for DATABASE_URL, MODELS_API_URL, MODELS_API_DEMO_KEY)
  versions:   $ROOT/build/models-admin model list demo models

A walk through the API (paste it; the version the demo created first is
v$FIRST of my-model):

  set -a; . .run/env; set +a
  # create a version (the contract's test vector)
  curl -sw '\\n' -u api:\$MODELS_API_DEMO_KEY -H 'Content-Type: application/json' \\
    -d '{"name":"My Model","description":null,"source_code":"import weave\\n\\nclass MyModel(weave.Model):\\n    temperature: float\\n","attributes":{"temperature":0.7}}' \\
    "\$MODELS_API_URL/v2/demo/models/models"
  # read it back, by digest (or latest, or vN)
  curl -sw '\\n' -u api:\$MODELS_API_DEMO_KEY "\$MODELS_API_URL/v2/demo/models/models/my_model/versions/$VEC"
  # list every live version of the project, one JSON object per line
  curl -sw '\\n' -u api:\$MODELS_API_DEMO_KEY "\$MODELS_API_URL/v2/demo/models/models?limit=10"
  # delete it (soft), then read it: 404 "... was deleted at ..."
  curl -sw '\\n' -X DELETE -u api:\$MODELS_API_DEMO_KEY "\$MODELS_API_URL/v2/demo/models/models/my_model?digests=$VEC"
  curl -sw '\\n' -u api:\$MODELS_API_DEMO_KEY "\$MODELS_API_URL/v2/demo/models/models/my_model/versions/$VEC"
  # bring it back (an operator's command), and read it again
  $ROOT/build/models-admin model restore demo models my_model $VEC
  curl -sw '\\n' -u api:\$MODELS_API_DEMO_KEY "\$MODELS_API_URL/v2/demo/models/models/my_model/versions/$VEC"
  # delete the demo model's first version (a second time answers 404)
  curl -sw '\\n' -X DELETE -u api:\$MODELS_API_DEMO_KEY "\$MODELS_API_URL/v2/demo/models/models/my-model?digests=v$FIRST"

Ctrl-C stops everything this started.
EOM

wait "$(cat "$RUN/front/front.pidfile")" || true
