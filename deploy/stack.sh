# Shell functions that start and stop the parts of a local stack: a
# throwaway PostgreSQL cluster, models-api under spawn-fcgi, and lighttpd.
# Sourced by deploy/dev-stack.sh (make run) and tests/e2e/run.sh. Needs
# ROOT (the source tree) set; the build is taken from $BUILD (default
# $ROOT/build).

: "${BUILD:=$ROOT/build}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# PostgreSQL refuses to run as root: root runs it as "postgres".
if [ "$(id -u)" -eq 0 ]; then
	PG_USER=postgres
	as_pg() { runuser -u postgres -- "$@"; }
else
	PG_USER=$(id -un)
	as_pg() { "$@"; }
fi

# stack_pg_init DIR: creates a cluster in DIR (if it has none) and a
# database "models". Sockets only, no TCP; trust auth, for a local dev box.
stack_pg_init() {
	local dir=$1
	if [ ! -f "$dir/PG_VERSION" ]; then
		mkdir -p "$dir"
		[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$dir"
		chmod 700 "$dir"
		as_pg "$PGBIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 \
		    --locale=C.UTF-8 --no-sync >"$dir.initdb.log" 2>&1 ||
		    { cat "$dir.initdb.log" >&2; return 1; }
		rm -f "$dir.initdb.log"
	fi
}

# stack_pg_start DIR SOCKDIR [EXTRA_OPTIONS]: starts the cluster, waits for
# it, creates the database if needed, and sets DATABASE_URL.
stack_pg_start() {
	local dir=$1 sock=$2 extra=${3:-}
	mkdir -p "$sock"
	[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$sock"
	as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
	    -o "-c listen_addresses='' -c unix_socket_directories='$sock' $extra" \
	    start >/dev/null || { tail -n 20 "$dir/server.log" >&2; return 1; }
	DATABASE_URL="postgresql:///models?host=$sock&user=postgres"
	export DATABASE_URL
	if ! as_pg "$PGBIN/psql" -h "$sock" -U postgres -d postgres -Atqc \
	    "SELECT 1 FROM pg_database WHERE datname = 'models'" | grep -q 1; then
		as_pg "$PGBIN/createdb" -h "$sock" -U postgres models
	fi
}

# stack_pg_stop DIR [MODE]: stops the cluster (fast by default).
stack_pg_stop() {
	as_pg "$PGBIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null 2>&1 || true
}

# stack_app_start SOCKET LOG PIDFILE: runs models-api under spawn-fcgi on a
# unix socket (mode 0660), stderr (the access log) to LOG.
stack_app_start() {
	local sock=$1 log=$2 pidfile=$3
	rm -f "$sock"
	spawn-fcgi -n -s "$sock" -M 0660 -- "$BUILD/models-api" 2>>"$log" &
	echo $! >"$pidfile"
	local i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$sock" ] || { echo "models-api did not start" >&2; return 1; }
}

# stack_stop_pid PIDFILE: TERM, wait up to 10 s, then KILL.
stack_stop_pid() {
	local pid
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
	local i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$1"
}

# stack_lighttpd_start DIR PORT SOCKET: lighttpd in the foreground, in the
# background of this shell; config and logs in DIR.
stack_lighttpd_start() {
	local dir=$1 port=$2 sock=$3
	mkdir -p "$dir/www"
	sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@SOCKET@|$sock|g" \
	    "$ROOT/deploy/lighttpd/dev.conf.in" >"$dir/lighttpd.conf"
	echo ok >"$dir/www/static.txt"
	lighttpd -D -f "$dir/lighttpd.conf" 2>>"$dir/lighttpd-error.log" &
	echo $! >"$dir/lighttpd.pidfile"
	stack_wait_port "$port"
}

# stack_wait_port PORT: waits until something answers on 127.0.0.1:PORT.
stack_wait_port() {
	local i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$1/" && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	curl -s -o /dev/null "http://127.0.0.1:$1/"
}

# stack_free_port: prints a loopback TCP port nobody listens on.
stack_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
