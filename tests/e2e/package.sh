#!/usr/bin/env bash
# The Debian package: `make deb` builds it (deploy/make-deb.sh:
# dpkg-buildpackage -us -uc on a copy of the tree with deploy/debian as
# debian/), lintian finds no error or warning in the source and binary
# packages, its contents and maintainer scripts are what deploy/debian
# promises, its binaries are hardened, and unpacked with dpkg -x into a
# temporary root they pass the lighttpd end-to-end suite. Also checks
# `make install` (DESTDIR, PREFIX) and the plain build's hardening.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT" || exit 1
T=$(mktemp -d /tmp/models-package.XXXXXX)
chmod 755 "$T"
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' deploy/debian/changelog)
ARCH=$(dpkg --print-architecture)
DEB=build/deb/models-api_${VERSION}_$ARCH.deb

# hardened BINARY: the hardening-check lines that must say yes, and the
# two it cannot see on Debian 12, checked another way: stack-clash probes
# in the code, and endbr64 landing pads (the IBT/SHSTK property itself is
# dropped at link time by bookworm's glibc start files, built without CET).
hardened() {
	local b=$1 out
	out=$(hardening-check "$b" 2>&1)
	for f in "Position Independent Executable" "Stack protected" \
	    "Fortify Source functions" "Read-only relocations" "Immediate binding"; do
		expect_eq "$b: $f" yes "$(echo "$out" | sed -n "s/^ $f: \([a-z]*\).*/\1/p")"
	done
	expect_eq "$b: stack clash probes" yes \
	    "$(objdump -d "$b" | grep -q 'orq *\$0x0,(%rsp)' && echo yes)"
	expect_eq "$b: endbr64 landing pads" yes \
	    "$(objdump -d "$b" | grep -q endbr64 && echo yes)"
}

# --- the plain build, make test, make install --------------------------------------
hardened build/models-api
hardened build/models-admin
OUT=$(make -s test 2>&1 | tail -n 1)
expect_eq "make test: unit tests only" 1 "$(echo "$OUT" | grep -cE '^[0-9]+ passed, 0 failed$')"
make -s install DESTDIR="$T/inst" PREFIX=/opt/ma >/dev/null 2>&1
expect_eq "make install: exit" 0 $?
expect_eq "make install: files" "/opt/ma/lib/systemd/system/models-api-spawn.service
/opt/ma/lib/systemd/system/models-api.service
/opt/ma/lib/systemd/system/models-api.socket
/opt/ma/lib/systemd/system/models-api@.service
/opt/ma/lib/systemd/system/models-api@.socket
/opt/ma/lib/sysusers.d/models-api.conf
/opt/ma/sbin/models-admin
/opt/ma/sbin/models-api
/opt/ma/share/man/man8/models-admin.8
/opt/ma/share/man/man8/models-api.8
/opt/ma/share/models-api/apache2/models-api.conf
/opt/ma/share/models-api/front-snippets
/opt/ma/share/models-api/lighttpd/50-models-api.conf
/opt/ma/share/models-api/nginx/models-api-upstream.conf
/opt/ma/share/models-api/nginx/models-api.conf" \
    "$(cd "$T/inst" && find . -type f | sed 's/^\.//' | sort)"
expect_eq "make install: units name the installed binary" "ExecStart=/opt/ma/sbin/models-api" \
    "$(grep '^ExecStart=' "$T/inst/opt/ma/lib/systemd/system/models-api.service")"

# --- make deb, lintian -------------------------------------------------------------
make -s deb >"$T/deb.log" 2>&1
expect_eq "make deb" "0 $ROOT/$DEB" "$? $(tail -n 1 "$T/deb.log")"
[ -f "$DEB" ] || { cat "$T/deb.log"; echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
# As root lintian says so on stderr; everything else counts.
lintian --pedantic -I build/deb/models-api_"${VERSION}"_"$ARCH".changes \
    >"$T/lintian" 2>&1
grep -v 'running with root privileges' "$T/lintian" | sed 's/^/  lintian: /'
expect_eq "lintian: no errors or warnings" "" \
    "$(grep -E '^[EW]: ' "$T/lintian")"
expect_eq "built with debhelper-compat 13" 1 \
    "$(grep -c 'debhelper-compat (= 13)' build/deb/src/debian/control)"

# --- what the package holds ---------------------------------------------------------
dpkg -x "$DEB" "$T/root"
dpkg-deb -e "$DEB" "$T/ctrl"
for f in usr/sbin/models-api usr/sbin/models-admin usr/share/man/man8/models-api.8.gz \
    usr/share/man/man8/models-admin.8.gz lib/systemd/system/models-api.socket \
    lib/systemd/system/models-api.service lib/systemd/system/models-api-spawn.service \
    lib/systemd/system/models-api@.service lib/systemd/system/models-api@.socket \
    usr/share/models-api/front-snippets \
    usr/lib/sysusers.d/models-api.conf etc/models-api/env \
    usr/share/models-api/lighttpd/50-models-api.conf \
    usr/share/models-api/nginx/models-api.conf \
    usr/share/models-api/nginx/models-api-upstream.conf \
    usr/share/models-api/apache2/models-api.conf \
    usr/share/doc/models-api/README.md.gz; do
	expect_eq "package holds /$f" yes "$([ -f "$T/root/$f" ] && echo yes)"
done
expect_eq "conffiles" "/etc/models-api/env" "$(cat "$T/ctrl/conffiles")"
expect_eq "spawn-fcgi recommended (the spawn unit needs it)" 1 \
    "$(dpkg-deb -f "$DEB" Recommends | grep -c 'spawn-fcgi')"
expect_eq "units read EnvironmentFile=- (a fresh install starts)" 2 \
    "$(grep -l '^EnvironmentFile=-/etc/models-api/env$' "$T"/root/lib/systemd/system/*.service | wc -l)"
expect_eq "postinst creates the user (sysusers)" 1 \
    "$(grep -c 'systemd-sysusers .*models-api.conf' "$T/ctrl/postinst")"
expect_eq "postinst enables the socket" yes \
    "$(grep -q "deb-systemd-helper enable 'models-api.socket'" "$T/ctrl/postinst" && echo yes)"
expect_eq "postinst starts the socket on a first install" 1 \
    "$(grep -cF "deb-systemd-invoke start models-api.socket" "$T/ctrl/postinst")"
# A restart of the socket would drop the connections queued on it; an
# upgrade reloads (re-execs) what runs instead.
expect_eq "no maintainer script restarts or stops the socket on upgrade" 0 \
    "$(cat "$T/ctrl/postinst" "$T/ctrl/prerm" | grep -c 'deb-systemd-invoke .*\(restart\|stop\).*models-api.socket')"
expect_eq "postinst on upgrade: migrate, then reload what runs" "yes yes" \
    "$(grep -q 'models-admin migrate' "$T/ctrl/postinst" && echo yes) $(grep -q 'kill -USR2' "$T/ctrl/postinst" && echo yes)"
expect_eq "postinst never starts the spawn-fcgi variant" 0 \
    "$(grep -c "deb-systemd-invoke .*models-api-spawn" "$T/ctrl/postinst")"
expect_eq "version" "models-api $VERSION" "$("$T/root/usr/sbin/models-api" --version)"
hardened "$T/root/usr/sbin/models-api"
hardened "$T/root/usr/sbin/models-admin"
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/units"
	# A template is verified as an instance of it (models-api@one).
	for f in "$T"/root/lib/systemd/system/*; do
		u=${f##*/}
		sed "s|/usr/sbin/models-api|$T/root/usr/sbin/models-api|g" "$f" >"$T/units/${u/@./@one.}"
	done
	# Documentation= is checked too: the package's man pages first.
	OUT=$(cd "$T/units" && MANPATH="$T/root/usr/share/man:" systemd-analyze verify ./* 2>&1)
	expect_eq "packaged units: systemd-analyze verify" "0:" "$?:$OUT"
fi

# --- the unpacked binaries through lighttpd ----------------------------------------------
OUT=$(BUILD="$T/root/usr/sbin" FRONT=lighttpd tests/e2e/run.sh 2>&1)
echo "$OUT" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$' | sed 's/^/  e2e: /'
expect_eq "e2e (lighttpd) with the packaged binaries" 1 \
    "$(echo "$OUT" | tail -n 1 | grep -cE '^[1-9][0-9]* passed, 0 failed$')"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
