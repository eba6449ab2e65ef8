#!/bin/sh
# Installs the Debian packages the build, the tests and the dev stack need,
# plus any named as arguments (make bench adds its tools), when any is
# missing. Needs root or sudo for that; does nothing otherwise.
set -eu
PKGS="gcc make pkg-config libfcgi-dev libfcgi-bin libjson-c-dev libpq-dev
libssl-dev postgresql spawn-fcgi lighttpd nginx-light apache2 pgbouncer valgrind clang libclang-rt-14-dev multiwatch python3 curl $*"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
