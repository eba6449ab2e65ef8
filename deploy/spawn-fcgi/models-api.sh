#!/bin/sh
# models-api as several worker processes on one FastCGI socket, supervised:
#
#   spawn-fcgi -n -s SOCK -M 0660 -U www-data -G www-data \
#       -u models-api -g models-api -- /usr/bin/multiwatch -f 2 -- models-api
#
# spawn-fcgi creates the unix socket (mode 0660, owned by the front
# servers' user), drops to the models-api user and, with -n, stays in the
# foreground by exec'ing multiwatch (Debian package "multiwatch"), which
# forks MODELS_API_FORKS copies of the app, all accepting on that socket
# (each with MODELS_API_THREADS threads), and starts a new one at once when
# one dies. The socket stays open meanwhile: connections wait in its
# backlog for a live worker; only the requests that the dead worker was
# serving fail (the front answers 5xx). On SIGTERM, SIGINT or SIGUSR1
# multiwatch stops restarting and passes SIGUSR1 to the workers, which
# finish their requests in flight and exit 0; then multiwatch exits 0.
# multiwatch gives up on a worker that dies more than 3 times within 10 s;
# when the last one is gone it exits, and whatever runs this script (runit,
# daemontools, systemd with Restart=always) starts it again.
#
# Runs in the foreground, so it is a runit or daemontools `run` script as
# it is (ln -s it as /etc/service/models-api/run), or a systemd ExecStart=
# (see deploy/systemd/models-api-spawn.service). tests/e2e/procs.sh runs it.
#
# Settings (environment; defaults for a system install):
#   MODELS_API_SOCKET        /run/models-api/models-api.sock
#   MODELS_API_BIN           /usr/sbin/models-api
#   MODELS_API_FORKS         2 worker processes
#   MODELS_API_USER          models-api, the user the app runs as when this
#   MODELS_API_GROUP         models-api  is started as root ("" keeps root,
#                            which the app refuses without
#                            MODELS_API_ALLOW_ROOT=1)
#   MODELS_API_SOCKET_OWNER  www-data, owner and group of the socket when
#                            started as root: the front server's user
#   MODELS_API_ENV_FILE      /etc/models-api/env, the settings file (see
#                            models-api(8)), read by the app if present
set -eu

SOCK=${MODELS_API_SOCKET:-/run/models-api/models-api.sock}
BIN=${MODELS_API_BIN:-/usr/sbin/models-api}
FORKS=${MODELS_API_FORKS:-2}
RUN_USER=${MODELS_API_USER-models-api}
RUN_GROUP=${MODELS_API_GROUP-models-api}
OWNER=${MODELS_API_SOCKET_OWNER:-www-data}
ENV_FILE=${MODELS_API_ENV_FILE:-/etc/models-api/env}

# The settings file is read by each models-api itself (MODELS_API_CONFIG),
# with the parser models-admin uses: KEY=VALUE, '#' comments, '...' or
# "..." quotes, never a shell (a URL's '&' is just a character); a bad line
# stops it with FILE:LINE in its log. Variables already set here win.
if [ -e "$ENV_FILE" ]; then
	export MODELS_API_CONFIG="$ENV_FILE"
fi

mkdir -p "$(dirname "$SOCK")"
set --
if [ "$(id -u)" -eq 0 ]; then
	set -- -U "$OWNER" -G "$OWNER"
	[ -n "$RUN_USER" ] && set -- "$@" -u "$RUN_USER"
	[ -n "$RUN_GROUP" ] && set -- "$@" -g "$RUN_GROUP"
fi
exec spawn-fcgi -n -s "$SOCK" -M 0660 "$@" \
    -- /usr/bin/multiwatch -f "$FORKS" -- "$BIN"
