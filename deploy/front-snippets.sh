#!/bin/sh
# front-snippets FRONT NAME...: prints the shipped front-server snippet for
# FRONT (lighttpd, nginx, apache) pointed at the named models-api
# instances, whose sockets are /run/models-api/NAME.sock (models-api@NAME;
# "models-api" is the plain models-api.socket's). Several names spread the
# requests over those instances (all serving the same database):
#
#   front-snippets lighttpd one two >/etc/lighttpd/conf-available/50-models-api.conf
#   front-snippets nginx one two >/etc/nginx/conf.d/models-api-upstream.conf
#   front-snippets apache two >/etc/apache2/conf-available/models-api.conf
#
# lighttpd: each path gets one backend per instance (a stopped one is
# skipped for a second); nginx: the upstream (part 1) gets one server line
# per instance, its part 2 (snippets/models-api.conf) is unchanged; Apache:
# one instance only. Enable the result as the README's Deployment section
# says for the shipped file. SNIPPET_DIR overrides where the shipped
# snippets are (default: beside this script, as the package installs it
# in /usr/share/models-api/, or deploy/ in the source tree).
set -eu
usage() {
	echo "usage: front-snippets lighttpd|nginx|apache NAME..." >&2
	exit 2
}
[ $# -ge 2 ] || usage
FRONT=$1
shift
for n in "$@"; do
	case $n in
	''|*[!A-Za-z0-9_.@-]*|.*) echo "front-snippets: bad instance name: $n" >&2
		exit 2 ;;
	esac
done
DIR=${SNIPPET_DIR:-$(cd "$(dirname "$0")" && pwd)}
pick() {
	for f in "$@"; do
		[ -r "$DIR/$f" ] && { echo "$DIR/$f"; return; }
	done
	echo "front-snippets: no $1 under $DIR" >&2
	exit 1
}
SOCK=/run/models-api/models-api.sock
case $FRONT in
lighttpd)
	F=$(pick lighttpd/50-models-api.conf)
	# Each host entry ( "socket" => ..., ... ) is repeated per instance.
	awk -v names="$*" -v sock="$SOCK" '
	BEGIN { nn = split(names, name, " ") }
	inhost == 0 && /=> \( \($/ {
		sub(/\( \($/, "(")
		print
		inhost = 1; nb = 0
		next
	}
	inhost == 1 && /^[ \t]*\) \)/ {
		for (i = 1; i <= nn; i++) {
			print "\t\t("
			for (j = 1; j <= nb; j++) {
				line = body[j]
				sub(sock, "/run/models-api/" name[i] ".sock", line)
				print line
			}
			print "\t\t)" (i < nn ? "," : "")
		}
		sub(/\) \)/, ")")
		print
		inhost = 0
		next
	}
	inhost == 1 { body[++nb] = "\t" $0; next }
	{ print }
	' "$F"
	[ $# -gt 1 ] && printf '%s\n' "" \
	    "# The instances above take requests in turn." \
	    'fastcgi.balance = "round-robin"'
	;;
nginx)
	F=$(pick nginx/models-api-upstream.conf)
	awk -v names="$*" -v sock="$SOCK" '
	BEGIN { nn = split(names, name, " ") }
	index($0, "server unix:" sock ";") {
		for (i = 1; i <= nn; i++) {
			line = $0
			sub(sock, "/run/models-api/" name[i] ".sock", line)
			print line
		}
		next
	}
	{ print }
	' "$F"
	;;
apache)
	[ $# -eq 1 ] || { echo "front-snippets: apache takes one instance" >&2; exit 2; }
	F=$(pick apache2/models-api.conf apache/models-api.conf)
	sed "s|$SOCK|/run/models-api/$1.sock|g" "$F"
	;;
*)	usage ;;
esac
