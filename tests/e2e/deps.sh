#!/usr/bin/env bash
# tools/install-deps.sh installs only what the target needs, and leaves the
# host booting with the services it had:
#   a. package lists (--print): `make run` takes only the front FRONT
#      names (lighttpd by default: no nginx, no Apache); build needs no
#      server at all;
#   b. an install, simulated in a private mount namespace (overlays on
#      /etc and /usr/sbin, a fake apt-get whose "package" starts its
#      service through invoke-rc.d's policy and enables it at boot, both as
#      a systemd unit and an init script): the start is refused (policy-rc.d
#      answers 101), the boot links the install added are gone afterwards,
#      links that were there before stay, and policy-rc.d is removed again.
#      Needs root, unshare and overlayfs; skipped otherwise.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"
DEPS=$ROOT/tools/install-deps.sh
T=$(mktemp -d /tmp/models-deps.XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT

# has LIST WORD: yes when WORD is one of LIST's words.
has() { case " $1 " in *" $2 "*) echo yes ;; *) echo no ;; esac; }

# --- a. package lists ------------------------------------------------------------
L=$(env -u FRONT "$DEPS" --for run --print)
expect_eq "run: lighttpd, no nginx, no apache" "yes no no" \
    "$(has "$L" lighttpd) $(has "$L" nginx-light) $(has "$L" apache2)"
L=$(FRONT=nginx "$DEPS" --for run --print)
expect_eq "run FRONT=nginx: nginx only" "no yes no" \
    "$(has "$L" lighttpd) $(has "$L" nginx-light) $(has "$L" apache2)"
L=$(FRONT=apache "$DEPS" --for run --print)
expect_eq "run FRONT=apache: apache only" "no no yes" \
    "$(has "$L" lighttpd) $(has "$L" nginx-light) $(has "$L" apache2)"
L=$("$DEPS" --for build --print)
expect_eq "build: compiler, libraries, scdoc; no servers" "yes yes yes no no" \
    "$(has "$L" gcc) $(has "$L" libfcgi-dev) $(has "$L" scdoc) $(has "$L" postgresql) $(has "$L" lighttpd)"
L=$("$DEPS" --for deb --print)
expect_eq "deb: debhelper, lintian" "yes yes" "$(has "$L" debhelper) $(has "$L" lintian)"
L=$("$DEPS" --for check --print)
expect_eq "check: every front, lintian, hardening-check, node and npm" "yes yes yes yes yes yes yes" \
    "$(has "$L" lighttpd) $(has "$L" nginx-light) $(has "$L" apache2) $(has "$L" lintian) $(has "$L" devscripts) $(has "$L" nodejs) $(has "$L" npm)"

# --- b. a simulated install ----------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
    unshare -m true 2>/dev/null; then
	mkdir -p "$T/fake"
	cat >"$T/fake/apt-get" <<'EOA'
#!/bin/sh
# What a service package's maintainer scripts do, reduced to the effects.
[ "$1" = install ] || exit 0
if [ -x /usr/sbin/policy-rc.d ]; then
	/usr/sbin/policy-rc.d fakepkg start; echo "policy $?" >>"$LOG"
else
	echo "policy none" >>"$LOG"
fi
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -s /lib/systemd/system/fakepkg.service \
    /etc/systemd/system/multi-user.target.wants/fakepkg.service
ln -s ../init.d/fakepkg /etc/rc2.d/S01fakepkg
EOA
	chmod 755 "$T/fake/apt-get"
	cat >"$T/ns.sh" <<'EON'
set -u
T=$1 DEPS=$2
mount --make-rprivate / && mount -t tmpfs tmpfs "$T/ov" || exit 1
for d in etc usr/sbin; do
	mkdir -p "$T/ov/$d/u" "$T/ov/$d/w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/$d/u,workdir=$T/ov/$d/w" "/$d" || exit 1
done
# The host as the script finds it: no policy of its own, two boot links.
rm -f /usr/sbin/policy-rc.d
mkdir -p /etc/systemd/system/multi-user.target.wants /etc/rc3.d
ln -sf /lib/systemd/system/keep.service /etc/systemd/system/multi-user.target.wants/keep.service
ln -sf ../init.d/keep /etc/rc3.d/S01keep
LOG=$T/log PATH=$T/fake:$PATH sh "$DEPS" --for build models-api-fakepkg >"$T/deps.out" 2>&1
echo "exit $?" >>"$T/log"
for l in /etc/systemd/system/multi-user.target.wants/fakepkg.service /etc/rc2.d/S01fakepkg \
    /etc/systemd/system/multi-user.target.wants/keep.service /etc/rc3.d/S01keep /usr/sbin/policy-rc.d; do
	[ -e "$l" ] || [ -L "$l" ] && echo "present $l" >>"$T/log"
done
EON
	mkdir -p "$T/ov"
	unshare -m sh "$T/ns.sh" "$T" "$DEPS" >"$T/ns.log" 2>&1
	expect_eq "b: namespace set-up" "" "$(cat "$T/ns.log")"
	expect_eq "b: the package's service start refused by policy-rc.d" "policy 101" \
	    "$(grep '^policy' "$T/log" 2>/dev/null)"
	expect_eq "b: install-deps exit" "exit 0" "$(grep '^exit' "$T/log" 2>/dev/null)"
	expect_eq "b: only the links that were there before remain; policy-rc.d gone" \
	    "present /etc/systemd/system/multi-user.target.wants/keep.service
present /etc/rc3.d/S01keep" "$(grep '^present' "$T/log" 2>/dev/null)"
	expect_eq "b: says what it disabled" 2 "$(grep -c 'not enabling fakepkg' "$T/deps.out" 2>/dev/null)"
else
	echo "b: skipped (needs root, unshare -m)"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
