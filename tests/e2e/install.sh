#!/usr/bin/env bash
# The README's "From `apt install` to a first request", word for word, on
# this machine: builds the .deb (make deb), takes the commands from
# README.md itself (the sh block under that heading; models-api(8)'s
# EXAMPLES must hold the same commands), and runs them as root in a clean
# environment, then checks what each printed, that `setup` run again
# changes nothing, that the key's last use was recorded, that the man pages
# render (man -l) and the README is installed, and that `apt purge`
# removes the package.
#
# "This machine", but undisturbed: everything runs in a private mount and
# network namespace (unshare -mn) where /etc, /usr and /var are overlays
# whose changes live in a tmpfs, and /run is a fresh tmpfs. So the install
# is real (apt, dpkg, maintainer scripts, systemd-sysusers, lighty-enable-mod,
# Debian's stock lighttpd on port 80 of the namespace's own loopback) and
# leaves nothing behind; the stage checks so from outside afterwards.
# Stand-ins, since systemd is not PID 1 here:
#   - the PostgreSQL cluster `apt install postgresql` would have created:
#     a throwaway one (initdb, peer authentication) on /run/postgresql,
#     port 5432, unix socket only;
#   - what postinst's `deb-systemd-invoke start models-api.socket` does:
#     right after the apt line, a small program reads the installed
#     models-api.socket and models-api.service and does what systemd
#     would: binds the socket (owner, mode), starts ExecStart= as User= with
#     the socket as fd 0 and EnvironmentFile='s variables on the first
#     connection; its stderr (the journal) is a file;
#   - systemctl: a script first on PATH that handles `reload|restart|start
#     lighttpd` (starts Debian's lighttpd with its own lighttpd.conf) and
#     refuses anything else, so a README step it does not know fails.
# Needs root, unshare, overlayfs, PostgreSQL, lighttpd, curl, python3.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT" || exit 1
if [ "$(id -u)" -ne 0 ] || ! unshare -mn true 2>/dev/null; then
	echo "install.sh: needs root and unshare -mn (skipped)"
	echo "0 passed, 1 failed"
	exit 1
fi
T=$(mktemp -d /tmp/models-install.XXXXXX)
chmod 755 "$T"
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' deploy/debian/changelog)
ARCH=$(dpkg --print-architecture)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# --- the commands, from README.md and models-api(8) -------------------------
# block FILE HEADING FENCE [UNESCAPE]: the first code block after the
# heading; a trailing \ joins lines; UNESCAPE: scdoc's \\ is one \.
block() {
	awk -v h="$2" -v f="$3" '
	    index($0, h) == 1 { inside = 1; next }
	    inside && !code && $0 == f { code = 1; next }
	    code && $0 == "```" { exit }
	    code { print }' "$1" |
	    if [ -n "${4:-}" ]; then sed 's/\\\\/\\/g'; else cat; fi |
	    awk '{ if (sub(/\\$/, "")) { line = line $0; next }
	           print line $0; line = "" }' | sed 's/  */ /g'
}
block README.md '### From `apt install` to a first request' '```sh' >"$T/readme.cmds"
block deploy/man/models-api.8.scd '# EXAMPLES' '```' unescape >"$T/man.cmds"
expect_eq "README: the install commands found" 8 "$(wc -l <"$T/readme.cmds")"
expect_eq "README: starts with apt install of the .deb" 1 \
    "$(head -n 1 "$T/readme.cmds" | grep -c '^apt install \./models-api_\*\.deb')"
expect_eq "models-api(8) EXAMPLES: the same commands as the README" \
    "$(cat "$T/readme.cmds")" "$(cat "$T/man.cmds")"

# --- the package -------------------------------------------------------------
# make check runs this stage right after the package stage, whose own
# `make deb` of this tree (a check there) built the .deb: INSTALL_DEB_BUILT=1
# (tests/check.sh) takes that one instead of building it a second time.
if [ "${INSTALL_DEB_BUILT:-0}" = 1 ]; then
	echo "built by the package stage" >"$T/deb.log"
	RC=0
else
	make -s deb >"$T/deb.log" 2>&1
	RC=$?
fi
DEB=build/deb/models-api_${VERSION}_$ARCH.deb
expect_eq "make deb" "0 yes" "$RC $([ -f "$DEB" ] && echo yes)"
mkdir -p "$T/work" "$T/bin"
cp "$DEB" "$T/work/"

# --- the machine before -------------------------------------------------------
before() {
	echo "pkg: $(dpkg-query -W -f='${Status}' models-api 2>/dev/null)"
	echo "user: $(getent passwd models-api)"
	echo "etc: $(ls -d /etc/models-api 2>/dev/null)"
	echo "lighttpd: $(ls /etc/lighttpd/conf-enabled /etc/lighttpd/conf-available | tr '\n' ' ')"
	echo "units: $(ls /lib/systemd/system/models-api* /etc/systemd/system/*/models-api* 2>/dev/null | tr '\n' ' ')"
}
before >"$T/before"

# --- stand-ins for systemd ------------------------------------------------------
cat >"$T/bin/systemctl" <<'EOF'
#!/bin/sh
# systemctl, as far as the README needs it (systemd is not PID 1 here).
echo "systemctl $*" >>"$INSTALL_T/systemctl.log"
case "$1 $2" in
reload\ lighttpd|restart\ lighttpd|start\ lighttpd)
	if [ -f /run/lighttpd.pid ] && kill "$(cat /run/lighttpd.pid)" 2>/dev/null; then
		for _ in $(seq 1 50); do [ -f /run/lighttpd.pid ] || break; sleep 0.1; done
	fi
	exec lighttpd -f /etc/lighttpd/lighttpd.conf ;;
esac
echo "systemctl stand-in: $* not emulated" >&2
exit 1
EOF
chmod 755 "$T/bin/systemctl"

cat >"$T/sockunit.py" <<'EOF'
# models-api.socket + models-api.service as systemd runs them, read from
# the installed unit files: bind ListenStream= (SocketUser=, SocketGroup=,
# SocketMode=), and on the first connection start ExecStart= as User=/
# Group= with the socket as fd 0 (StandardInput=socket), the variables of
# EnvironmentFile= (systemd's reading: KEY=VALUE, '...' or "..." quotes
# removed) and stderr to the "journal" file. Restart=always.
import grp, os, pwd, select, signal, socket, sys, time
unitdir, journal = sys.argv[1:3]

def unit(name):
    d = {}
    for line in open(os.path.join(unitdir, name)):
        line = line.strip()
        if line and line[0] not in "#;[" and "=" in line:
            k, v = line.split("=", 1)
            d[k.strip()] = v.strip()
    return d

sock, svc = unit("models-api.socket"), unit("models-api.service")
env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
path = svc["EnvironmentFile"].lstrip("-")
if os.path.exists(path):
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        k, v = line.split("=", 1)
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        env[k] = v
lpath = sock["ListenStream"]
os.makedirs(os.path.dirname(lpath), mode=int(sock.get("DirectoryMode", "0755"), 8), exist_ok=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(lpath)
os.chown(lpath, pwd.getpwnam(sock["SocketUser"]).pw_uid, grp.getgrnam(sock["SocketGroup"]).gr_gid)
os.chmod(lpath, int(sock["SocketMode"], 8))
s.listen(128)
stop, child = False, 0
def on_term(sig, frame):
    global stop
    stop = True
    if child:
        os.kill(child, signal.SIGTERM)
signal.signal(signal.SIGTERM, on_term)
open(journal + ".ready", "w").close()
argv = svc["ExecStart"].split()
while not stop:
    if stop or not select.select([s], [], [], 0.2)[0]:
        continue
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.dup2(s.fileno(), 0)
            os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
            os.dup2(os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT), 2)
            pw = pwd.getpwnam(svc["User"])
            os.setgroups([])
            os.setgid(grp.getgrnam(svc["Group"]).gr_gid)
            os.setuid(pw.pw_uid)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    child = pid
    with open(journal + ".events", "a") as f:
        f.write("start %d\n" % pid)
    os.waitpid(pid, 0)
    child = 0
    time.sleep(0.2)
s.close()
os.unlink(lpath)
EOF

# --- inside the namespace ---------------------------------------------------------
cat >"$T/inner.sh" <<'EOF'
set -u
T=$1 ROOT=$2 PGBIN=$3
. "$ROOT/tests/e2e/lib.sh"
# Overlays: every write to /etc, /usr, /var lands in $T/ov (a tmpfs).
mount -t tmpfs tmpfs "$T/ov" || { echo "0 1" >"$T/inner.counts"; exit 1; }
for d in etc usr var; do
	mkdir -p "$T/ov/up/$d" "$T/ov/work/$d"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/up/$d,workdir=$T/ov/work/$d" "/$d" ||
	    { echo "0 1" >"$T/inner.counts"; exit 1; }
done
mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 1777 /run/lock
ip link set lo up

# The local cluster apt would have made, on its usual socket.
install -d -o postgres -g postgres -m 2775 /run/postgresql
install -d -o postgres -g postgres -m 700 "$T/pg" "$T/pglog"
runuser -u postgres -- "$PGBIN/initdb" -D "$T/pg" --auth-local=peer \
    --auth-host=reject -U postgres >"$T/initdb.log" 2>&1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -w -l "$T/pglog/pg.log" \
    -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql -p 5432" \
    start >/dev/null 2>&1
expect_eq "throwaway cluster up" 0 $?

# The README's lines, each followed by a marker with its exit status;
# after the apt line, the socket unit starts as postinst would start it.
{
	echo 'after_apt() {'
	echo '	python3 "$INSTALL_T/sockunit.py" /lib/systemd/system "$INSTALL_T/journal" >>"$INSTALL_T/sockunit.log" 2>&1 &'
	echo '	echo $! >"$INSTALL_T/sockunit.pid"'
	echo '	for _ in $(seq 1 100); do [ -e "$INSTALL_T/journal.ready" ] && break; sleep 0.05; done'
	echo '}'
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf 'printf "\\n@@ %d\\n"; printf "\\n@@ %d\\n" >&2\n%s\n__rc=$?; printf "\\n@@rc %d %%s\\n" "$__rc"\n' "$n" "$n" "$line" "$n"
		case $line in apt\ install*) echo after_apt ;; esac
	done <"$T/readme.cmds"
	echo 'printf "\\n@@key %s\\n" "$KEY"'
} >"$T/readme.sh"
cd "$T/work"
env -i PATH="$T/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive APT_CONFIG="$T/apt.conf" INSTALL_T="$T" \
    bash "$T/readme.sh" >"$T/readme.out" 2>"$T/readme.err" </dev/null
cd /
# out N / err N: what step N printed on stdout / stderr.
out() { awk -v n="$1" '/^@@ /{ on = ($2 == n); next } /^@@/{ on = 0; next } on' "$T/readme.out"; }
err() { awk -v n="$1" '/^@@ /{ on = ($2 == n); next } /^@@/{ on = 0; next } on' "$T/readme.err"; }
for n in 1 2 3 4 5 6 7 8; do
	expect_eq "step $n ($(sed -n "${n}p" "$T/readme.cmds" | cut -c1-50)): exit 0" 0 \
	    "$(sed -n "s/^@@rc $n //p" "$T/readme.out")"
done
KEY=$(sed -n 's/^@@key //p' "$T/readme.out")
expect_eq "installed" "install ok installed $VERSION" \
    "$(dpkg-query -W -f='${Status} ${Version}' models-api 2>&1)"
expect_eq "setup: the key alone on stdout" 1 "$(echo "$KEY" | grep -cxE '[0-9a-f]{40}')"
expect_eq "setup: what it did" "models-admin: role models-api: created
models-admin: database models: created, owner models-api
applied 001_schema.sql
key id 1" "$(err 2 | grep -E '^(models-admin: (role|database)|applied 001|key id)')"
C=$(out 7)
expect_eq "create: 200, version 0 of hello" '"hello" 0' \
    "$(echo "$C" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d["object_id"]), d["version_index"])' 2>&1)"
DIG=$(echo "$C" | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])' 2>/dev/null)
expect_eq "read: the version created" "hello $DIG 0" \
    "$(out 8 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["object_id"], d["digest"], d["version_index"])' 2>&1)"
expect_eq "the journal: both requests, key 1" 2 \
    "$(grep -cE ' (POST /v2/demo/models/models|GET /v2/demo/models/models/hello/versions/v0) 200 - [0-9]+ 1$' "$T/journal" 2>/dev/null)"
expect_eq "the service ran as models-api" models-api \
    "$(ps -o user= -p "$(sed -n 's/^start //p' "$T/journal.events" | tail -n 1)" 2>/dev/null)"

# setup again: nothing created, said so.
models-admin setup demo --label 'first key' >"$T/again.out" 2>"$T/again.err"
expect_eq "setup again: exit 0, no key" "0 " "$? $(cat "$T/again.out")"
expect_eq "setup again: says what it found" "models-admin: role models-api: exists
models-admin: database models: exists, owner models-api
nothing to do: all $(ls "$ROOT"/sql/[0-9]*.sql | wc -l) migrations were applied already
models-admin: demo already has a live key (id 1): none created (models-admin key create demo makes another)" \
    "$(cat "$T/again.err")"
TSZ='[0-9-]{10}T[0-9:]{8}Z'
expect_eq "key list: label and last use" 1 \
    "$(runuser -u models-api -- models-admin key list demo --long | grep -cE "^1 demo write $TSZ $TSZ active first key$")"
# The settings file reads the same to models-admin, systemd and sh.
expect_eq "env file: sh reads it as models-admin does" "postgresql:///models" \
    "$(env -i sh -c 'set -a; . /etc/models-api/env; echo "$DATABASE_URL"')"
expect_eq "env file: mode, group" "640 root models-api" "$(stat -c '%a %U %G' /etc/models-api/env)"

# Docs on the host.
for p in models-api models-admin; do
	f=/usr/share/man/man8/$p.8.gz
	expect_eq "man -l $f renders, no warning" "0 yes" \
	    "$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null | wc -l) $(MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q '^SEE ALSO' && echo yes)"
done
expect_eq "README installed" yes \
    "$(zcat /usr/share/doc/models-api/README.md.gz 2>/dev/null | cmp -s - "$ROOT/README.md" && echo yes)"

# Stop what was started, then purge.
kill "$(cat "$T/sockunit.pid")" 2>/dev/null
kill "$(cat /run/lighttpd.pid 2>/dev/null)" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$(cat "$T/sockunit.pid")" 2>/dev/null || break; sleep 0.1; done
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get purge -y models-api >"$T/purge.log" 2>&1
expect_eq "apt purge: exit 0" 0 $?
expect_eq "purged: no package, no /etc/models-api, no binaries" "not-installed  " \
    "$(dpkg-query -W -f='${db:Status-Status}' models-api 2>/dev/null || echo not-installed) $(ls -d /etc/models-api 2>/dev/null) $(ls /usr/sbin/models-api 2>/dev/null)"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/pg" -m fast stop >/dev/null 2>&1
echo "$PASS $FAIL" >"$T/inner.counts"
EOF
# apt's settings for the README's apt line: yes to its question (no
# terminal here), and no network in the namespace, so packages already
# installed (postgresql, lighttpd) stay at their version (--no-upgrade).
printf 'APT::Get::Assume-Yes "true";\nAPT::Get::Upgrade "false";\nDpkg::Use-Pty "false";\n' >"$T/apt.conf"
mkdir -p "$T/ov"
export VERSION
unshare -mn --propagation private bash "$T/inner.sh" "$T" "$ROOT" "$PGBIN" \
    >"$T/inner.log" 2>&1
grep -v '^$' "$T/inner.log" | sed 's/^/  /'
read -r IP IF <"$T/inner.counts" 2>/dev/null || { IP=0; IF=1; }
PASS=$((PASS + IP))
FAIL=$((FAIL + IF))
if [ "$IF" != 0 ]; then
	echo "  readme.out:"; sed 's/^/    /' "$T/readme.out" | tail -n 40
	echo "  readme.err:"; sed 's/^/    /' "$T/readme.err" | tail -n 40
fi

# --- the machine after: as it was -------------------------------------------------
before >"$T/after"
expect_eq "the machine is as it was (package, user, /etc, lighttpd, units)" \
    "$(cat "$T/before")" "$(cat "$T/after")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
