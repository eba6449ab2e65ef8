# Shell functions that start and stop the parts of a local stack: a
# throwaway PostgreSQL cluster, models-api under spawn-fcgi, and a front
# server (lighttpd, lighttpd CGI, nginx or Apache).
# Sourced by deploy/dev-stack.sh (make run) and tests/e2e/run.sh. Needs
# ROOT (the source tree) set; the build is taken from $BUILD (default
# $ROOT/build).

: "${BUILD:=$ROOT/build}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# PostgreSQL refuses to run as root: root runs it as "postgres". The app
# refuses root too: root runs it (and the front servers) as www-data.
# STACK_APP_USER names another user for the app (tests/e2e/procs.sh uses
# nobody, standing in for the packaged models-api user).
if [ "$(id -u)" -eq 0 ]; then
	PG_USER=postgres
	APP_USER=${STACK_APP_USER:-www-data}
	as_pg() { runuser -u postgres -- "$@"; }
else
	PG_USER=$(id -un)
	APP_USER=$PG_USER
	as_pg() { "$@"; }
fi
APP_GROUP=$(id -gn "$APP_USER")

# stack_pg_init DIR: creates a cluster in DIR (if it has none). Sockets
# only, no TCP; who may connect: see stack_pg_auth.
stack_pg_init() {
	local dir=$1
	if [ ! -f "$dir/PG_VERSION" ]; then
		mkdir -p "$dir"
		[ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$dir"
		chmod 700 "$dir"
		as_pg "$PGBIN/initdb" -D "$dir" --auth-local=peer \
		    --auth-host=scram-sha-256 -U postgres -E UTF8 \
		    --locale=C.UTF-8 --no-sync >"$dir.initdb.log" 2>&1 ||
		    { cat "$dir.initdb.log" >&2; return 1; }
		rm -f "$dir.initdb.log"
	fi
	stack_pg_auth "$dir"
}

# stack_pg_auth DIR: only the cluster's owner, whoever runs the stack and
# the app's user may connect, each as database user "postgres": peer
# authentication (the kernel names the connecting OS user) through the
# map "stack"; no TCP at all. Rewritten at every start, so a cluster made
# by an older stack (trust auth) is brought in line.
stack_pg_auth() {
	local dir=$1
	printf '%s\n' "# Written by deploy/stack.sh: unix socket, peer, map \"stack\" only." \
	    "local all all peer map=stack" \
	    "local replication all peer map=stack" | as_pg tee "$dir/pg_hba.conf" >/dev/null
	printf 'stack %s postgres\n' $(printf '%s\n' "$PG_USER" "$(id -un)" \
	    "$APP_USER" | sort -u) | as_pg tee "$dir/pg_ident.conf" >/dev/null
}

# stack_pg_sockdir DIR: the socket directory, searchable only by the
# cluster's owner and the app's user's group (0710): no one else reaches
# the socket.
stack_pg_sockdir() {
	mkdir -p "$1"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER:$APP_GROUP" "$1" && chmod 0710 "$1"
	else
		chmod 0700 "$1"
	fi
}

# stack_pg_start DIR SOCKDIR [EXTRA_OPTIONS]: starts the cluster, waits for
# it, creates the database "models" if needed, and sets DATABASE_URL.
stack_pg_start() {
	local dir=$1 sock=$2 extra=${3:-}
	stack_pg_sockdir "$sock" || return 1
	stack_pg_auth "$dir"
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

# stack_pgbouncer_start DIR PGSOCKDIR: PgBouncer (transaction pooling) on a
# unix socket in DIR, in front of the cluster whose socket is in PGSOCKDIR;
# prints the DATABASE_URL that goes through it. Runs as the cluster's user
# (PgBouncer refuses root).
stack_pgbouncer_start() {
	local dir=$1 pgsock=$2 i=0
	mkdir -p "$dir"
	sed -e "s|@DIR@|$(sed_value "$dir")|g" -e "s|@PGSOCK@|$(sed_value "$pgsock")|g" \
	    "$ROOT/deploy/pgbouncer/dev.ini.in" >"$dir/pgbouncer.ini"
	echo '"postgres" ""' >"$dir/users.txt"
	[ "$(id -u)" -eq 0 ] && chown -R "$PG_USER" "$dir"
	as_pg pgbouncer -d "$dir/pgbouncer.ini" >/dev/null 2>&1 || return 1
	while [ ! -S "$dir/.s.PGSQL.6432" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	echo "postgresql:///models?host=$dir&port=6432&user=postgres"
}

# stack_pgbouncer_stop DIR
stack_pgbouncer_stop() {
	[ -f "$1/pgbouncer.pid" ] && kill -TERM "$(cat "$1/pgbouncer.pid")" 2>/dev/null
	return 0
}

# stack_app_start SOCKET LOG PIDFILE: runs models-api under spawn-fcgi on a
# unix socket (mode 0660), stderr (the access log) to LOG.
stack_app_start() {
	local sock=$1 log=$2 pidfile=$3
	rm -f "$sock"
	# As root, the app runs as APP_USER (it refuses root) and the socket
	# belongs to www-data, the front servers' user.
	if [ "$(id -u)" -eq 0 ]; then
		set -- -u "$APP_USER" -g "$APP_GROUP" -U www-data -G www-data
	else
		set --
	fi
	spawn-fcgi -n -s "$sock" -M 0660 "$@" -- "$BUILD/models-api" 2>>"$log" &
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

# sed_value TEXT: TEXT made safe as a sed replacement (with "|" delimiter).
sed_value() {
	printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'
}

# stack_front_start FRONT DIR PORT SOCKET APPLOG: starts a front server on
# 127.0.0.1:PORT in the background of this shell, config and logs in DIR.
# FRONT: lighttpd (mod_fastcgi), cgi (lighttpd mod_cgi: the app runs per
# request, its stderr to APPLOG), nginx or apache (both talk FastCGI to
# SOCKET). As root, every front server's workers run as www-data.
stack_front_start() {
	local front=$1 dir=$2 port=$3 sock=$4 applog=$5 tmpl user=""
	mkdir -p "$dir/www" "$dir/tmp"
	case $front in
	lighttpd) tmpl=$ROOT/deploy/lighttpd/dev.conf.in
		[ "$(id -u)" -eq 0 ] && user='server.username = "www-data"\nserver.groupname = "www-data"' ;;
	cgi)	tmpl=$ROOT/deploy/lighttpd/dev-cgi.conf.in
		[ "$(id -u)" -eq 0 ] && user='server.username = "www-data"\nserver.groupname = "www-data"'
		mkdir -p "$dir/cgi-root"
		if [ -n "${VALGRIND_LOG:-}" ]; then
			# Every request under memcheck; reports in VALGRIND_LOG.*
			printf '#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --log-file=%s.%%p %s
' \
			    "$VALGRIND_LOG" "$BUILD/models-api" >"$dir/cgi-root/models-api"
			chmod 755 "$dir/cgi-root/models-api"
		else
			ln -sf "$BUILD/models-api" "$dir/cgi-root/models-api"
		fi ;;
	nginx)	tmpl=$ROOT/deploy/nginx/dev.conf.in
		[ "$(id -u)" -eq 0 ] && user="user www-data www-data;" ;;
	apache)	tmpl=$ROOT/deploy/apache/dev.conf.in
		[ "$(id -u)" -eq 0 ] && user="User www-data\nGroup www-data" ;;
	stock-*) stack_stock_front_start "${front#stock-}" "$dir" "$port" "$sock"
		return ;;
	*)	echo "unknown front server: $front" >&2; return 1 ;;
	esac
	sed -e "s|@DIR@|$(sed_value "$dir")|g" -e "s|@PORT@|$port|g" \
	    -e "s|@SOCKET@|$(sed_value "$sock")|g" \
	    -e "s|@USER_LINE@|$user|g" \
	    -e "s|@APPLOG@|$(sed_value "$applog")|g" \
	    -e "s|@DATABASE_URL@|$(sed_value "${DATABASE_URL:-}")|g" \
	    -e "s|@TIMEOUT_MS@|${MODELS_API_STATEMENT_TIMEOUT_MS:-5000}|g" \
	    -e "s|@ASAN_OPTIONS@|$(sed_value "${ASAN_OPTIONS:-}")|g" \
	    -e "s|@UBSAN_OPTIONS@|$(sed_value "${UBSAN_OPTIONS:-}")|g" \
	    "$tmpl" >"$dir/front.conf"
	echo ok >"$dir/www/static.txt"
	# lighttpd opens its logs after dropping to www-data.
	if [ "$(id -u)" -eq 0 ]; then
		touch "$applog" 2>/dev/null
		chown -R www-data: "$dir"
		[ -f "$applog" ] && chown www-data: "$applog"
	fi
	case $front in
	lighttpd|cgi)
		lighttpd -D -f "$dir/front.conf" 2>>"$dir/front-error.log" & ;;
	nginx)	nginx -e "$dir/error.log" -p "$dir" -c "$dir/front.conf" \
		    2>>"$dir/front-error.log" & ;;
	apache)	apache2 -f "$dir/front.conf" -DFOREGROUND \
		    2>>"$dir/front-error.log" & ;;
	esac
	echo $! >"$dir/front.pidfile"
	stack_wait_port "$port" || { cat "$dir/front-error.log" >&2; return 1; }
}

# stack_stock_front_start lighttpd|nginx|apache DIR PORT SOCKET: the front
# server as Debian ships it, with the project's config enabled the way the
# README says. Debian's own tree (/etc/lighttpd, /etc/nginx, /etc/apache2)
# is copied to DIR/etc; only what ties it to this machine is changed in the
# copy (listening port and address, pid, log, temp and document paths, the
# app's socket path); Debian's lighty-enable-mod, a2enmod and a2enconf do
# the enabling (pointed at the copy). The config test must pass first.
# STACK_LIGHTTPD_SNIPPET names another lighttpd snippet to enable (the
# output of deploy/front-snippets.sh, for instance).
stack_stock_front_start() {
	local front=$1 dir=$2 port=$3 sock=$4 etc rc=0
	mkdir -p "$dir/etc" "$dir/www" "$dir/tmp" "$dir/log" "$dir/run"
	echo ok >"$dir/www/static.txt"
	case $front in
	lighttpd)
		etc=$dir/etc/lighttpd
		cp -a /etc/lighttpd "$dir/etc/"
		sed "s|/run/models-api/models-api.sock|$(sed_value "$sock")|" \
		    "${STACK_LIGHTTPD_SNIPPET:-$ROOT/deploy/lighttpd/50-models-api.conf}" \
		    >"$etc/conf-available/50-models-api.conf"
		sed "s|\"/etc/lighttpd/\"|\"$etc/\"|" /usr/sbin/lighty-enable-mod \
		    >"$dir/lighty-enable-mod"
		perl "$dir/lighty-enable-mod" models-api >"$dir/enable.log" 2>&1 ||
		    { cat "$dir/enable.log" >&2; return 1; }
		sed -i -e "s|/etc/lighttpd/|$etc/|g" \
		    -e "s|^server.port .*|server.port = $port\nserver.bind = \"127.0.0.1\"|" \
		    -e "s|\"/var/www/html\"|\"$dir/www\"|" \
		    -e "s|\"/var/cache/lighttpd/uploads\"|\"$dir/tmp\"|" \
		    -e "s|\"/var/log/lighttpd/error.log\"|\"$dir/log/error.log\"|" \
		    -e "s|\"/run/lighttpd.pid\"|\"$dir/run/lighttpd.pid\"|" \
		    -e '/use-ipv6.pl/d' "$etc/lighttpd.conf"
		[ "$(id -u)" -eq 0 ] || sed -i -e '/^server\.username/d' -e '/^server\.groupname/d' "$etc/lighttpd.conf"
		[ "$(id -u)" -eq 0 ] && chown -R www-data: "$dir/www" "$dir/tmp" "$dir/log" "$dir/run"
		lighttpd -tt -f "$etc/lighttpd.conf" >"$dir/configtest.log" 2>&1 ||
		    { cat "$dir/configtest.log" >&2; return 1; }
		lighttpd -D -f "$etc/lighttpd.conf" 2>>"$dir/front-error.log" & ;;
	nginx)
		etc=$dir/etc/nginx
		cp -a /etc/nginx "$dir/etc/"
		sed "s|/run/models-api/models-api.sock|$(sed_value "$sock")|" \
		    "$ROOT/deploy/nginx/models-api-upstream.conf" \
		    >"$etc/conf.d/models-api-upstream.conf"
		cp "$ROOT/deploy/nginx/models-api.conf" "$etc/snippets/"
		# The default site, enabled as Debian ships it, serves the API.
		ln -sfn ../sites-available/default "$etc/sites-enabled/default"
		sed -i -e "s|^\(\s*\)listen 80 default_server;|\1listen 127.0.0.1:$port default_server;|" \
		    -e '/listen \[::\]:80 default_server;/d' \
		    -e "s|^\(\s*\)root /var/www/html;|\1root $dir/www;\n\1include snippets/models-api.conf;|" \
		    "$etc/sites-available/default"
		sed -i -e "s|/etc/nginx/|$etc/|g" \
		    -e "s|^pid .*|pid $dir/run/nginx.pid;|" \
		    -e "s|/var/log/nginx/|$dir/log/|g" \
		    -e "s|^http {|http {\n\tclient_body_temp_path $dir/tmp/body;\n\tfastcgi_temp_path $dir/tmp/fastcgi;\n\tproxy_temp_path $dir/tmp/proxy;\n\tuwsgi_temp_path $dir/tmp/uwsgi;\n\tscgi_temp_path $dir/tmp/scgi;|" \
		    "$etc/nginx.conf"
		[ "$(id -u)" -eq 0 ] || sed -i '/^user /d' "$etc/nginx.conf"
		[ "$(id -u)" -eq 0 ] && chown -R www-data: "$dir/www" "$dir/tmp"
		nginx -t -e "$dir/log/error.log" -c "$etc/nginx.conf" \
		    >"$dir/configtest.log" 2>&1 || { cat "$dir/configtest.log" >&2; return 1; }
		nginx -e "$dir/log/error.log" -c "$etc/nginx.conf" \
		    -g 'daemon off;' 2>>"$dir/front-error.log" & ;;
	apache)
		etc=$dir/etc/apache2
		cp -a /etc/apache2 "$dir/etc/"
		sed "s|/run/models-api/models-api.sock|$(sed_value "$sock")|" \
		    "$ROOT/deploy/apache/models-api.conf" \
		    >"$etc/conf-available/models-api.conf"
		export APACHE_CONFDIR=$etc APACHE_STATE_DIRECTORY=$dir/state
		mkdir -p "$dir/state"
		{ a2enmod -q proxy_fcgi env && a2enconf -q models-api; } \
		    >"$dir/enable.log" 2>&1 || rc=1
		unset APACHE_CONFDIR APACHE_STATE_DIRECTORY
		[ $rc = 0 ] || { cat "$dir/enable.log" >&2; return 1; }
		sed -i -e "s|^Listen 80$|Listen 127.0.0.1:$port|" "$etc/ports.conf"
		sed -i -e "s|<Directory /var/www/>|<Directory $dir/www/>|" "$etc/apache2.conf"
		sed -i -e "s|<VirtualHost \*:80>|<VirtualHost *:$port>\n\tAllowEncodedSlashes NoDecode|" \
		    -e "s|/var/www/html|$dir/www|" "$etc/sites-available/000-default.conf"
		sed -i -e "s|^export APACHE_\(PID_FILE\)=.*|export APACHE_\1=$dir/run/apache2.pid|" \
		    -e "s|^export APACHE_RUN_DIR=.*|export APACHE_RUN_DIR=$dir/run|" \
		    -e "s|^export APACHE_LOCK_DIR=.*|export APACHE_LOCK_DIR=$dir/run|" \
		    -e "s|^export APACHE_LOG_DIR=.*|export APACHE_LOG_DIR=$dir/log|" "$etc/envvars"
		[ "$(id -u)" -eq 0 ] || sed -i -e "s|^export APACHE_RUN_USER=.*|export APACHE_RUN_USER=$(id -un)|" \
		    -e "s|^export APACHE_RUN_GROUP=.*|export APACHE_RUN_GROUP=$(id -gn)|" "$etc/envvars"
		# apache2ctl's way: the environment from envvars, then the server.
		( set +u; APACHE_CONFDIR=$etc; . "$etc/envvars" && apache2 -d "$etc" -t ) >"$dir/configtest.log" 2>&1 ||
		    { cat "$dir/configtest.log" >&2; return 1; }
		( set +u; APACHE_CONFDIR=$etc; . "$etc/envvars" &&
		    exec apache2 -d "$etc" -DFOREGROUND ) \
		    2>>"$dir/front-error.log" & ;;
	*)	echo "unknown stock front server: $front" >&2; return 1 ;;
	esac
	echo $! >"$dir/front.pidfile"
	stack_wait_port "$port" || { cat "$dir/front-error.log" >&2; return 1; }
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
		# Below Linux's ephemeral range (32768-60999), so no client
		# connection of the tests can be holding it.
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
