#!/bin/sh
# Installs the Debian packages the make target at hand needs, when any is
# missing, and nothing more:
#
#   tools/install-deps.sh [--for build|run|check|deb|bench|fuzz] [--print] [PKG...]
#
# (default: check; --print lists the packages and installs nothing). `run` takes only the front server FRONT names
# (lighttpd by default, so `make run` needs no nginx or Apache). Extra
# package names are added as given. Needs root or sudo to install; does
# nothing when all are present.
#
# A package's maintainer scripts start its service and enable it at boot
# (nginx, Apache, lighttpd, PostgreSQL, PgBouncer). The stacks start their
# own copies, so during the install a policy-rc.d refuses every start, and
# afterwards any unit or init script that the install enabled is disabled
# again: the host boots with the services it had before.
set -eu

TARGET=check
if [ "${1:-}" = --for ]; then
	TARGET=${2:?--for needs a target}
	shift 2
fi

BUILD="gcc make pkg-config libfcgi-dev libjson-c-dev libpq-dev libssl-dev scdoc"
case ${FRONT:-lighttpd} in
nginx)	RUN_FRONT=nginx-light ;;
apache)	RUN_FRONT=apache2 ;;
*)	RUN_FRONT=lighttpd ;;
esac
CHECK="$BUILD libfcgi-bin postgresql spawn-fcgi lighttpd nginx-light apache2
pgbouncer valgrind clang libclang-rt-14-dev multiwatch python3 curl procps
debhelper dpkg-dev fakeroot lintian devscripts nodejs npm prometheus
python3-prometheus-client iproute2 man-db"
case $TARGET in
build)	PKGS=$BUILD ;;
run)	PKGS="$BUILD postgresql spawn-fcgi curl $RUN_FRONT" ;;
check)	PKGS=$CHECK ;;
deb)	PKGS="$BUILD debhelper dpkg-dev fakeroot lintian" ;;
bench)	PKGS="$CHECK wrk" ;;
fuzz)	PKGS="$BUILD clang libclang-rt-14-dev" ;;
*)	echo "install-deps: unknown target $TARGET" >&2; exit 2 ;;
esac
PRINT=0
if [ "${1:-}" = --print ]; then
	PRINT=1
	shift
fi
PKGS="$PKGS $*"
if [ $PRINT = 1 ]; then
	echo $PKGS
	exit 0
fi

# What installed packages provide counts as present, as it does for apt: a
# nodejs from elsewhere that carries its own npm provides (and conflicts
# with) Debian's npm, which must then not replace it.
PROVIDED=$(dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null |
    grep '^install ok installed' | cut -f2 | tr ',' '\n' |
    sed -e 's/^ *//' -e 's/ .*//' | sort -u)
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" &&
	    ! printf '%s\n' "$PROVIDED" | grep -qx "$p"; then
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

# enabled: every boot-time link (systemd wants/requires, SysV rc*.d start
# links), one per line, sorted.
enabled() {
	{
		find /etc/systemd/system -mindepth 2 -maxdepth 2 -type l \
		    \( -path '*.wants/*' -o -path '*.requires/*' \) 2>/dev/null
		find /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d -name 'S*' \
		    2>/dev/null
	} | sort
}

BEFORE=$(mktemp /tmp/install-deps.XXXXXX)
enabled >"$BEFORE"
POLICY=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	# 101: "action forbidden by policy": invoke-rc.d starts nothing.
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	POLICY=/usr/sbin/policy-rc.d
fi
cleanup() {
	[ -n "$POLICY" ] && $SUDO rm -f "$POLICY"
	rm -f "$BEFORE"
}
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing

# Undo what the install enabled: systemctl works on the links without a
# running systemd; SysV links go through update-rc.d.
enabled | comm -13 "$BEFORE" - | while IFS= read -r link; do
	name=${link##*/}
	case $link in
	/etc/systemd/*)
		echo "install-deps: not enabling $name at boot"
		$SUDO systemctl disable --quiet "$name" 2>/dev/null ||
		    $SUDO rm -f "$link" ;;
	/etc/rc*)
		name=${name#S[0-9][0-9]}
		echo "install-deps: not enabling $name (init script) at boot"
		$SUDO update-rc.d "$name" disable >/dev/null 2>&1 ||
		    $SUDO rm -f "$link" ;;
	esac
done
