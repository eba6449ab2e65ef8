#!/usr/bin/env python3
"""Hostile and careless clients against models-api through one front server.

Run by tests/e2e/hostile.sh once per front (it starts the stack and seeds
the data). Standard library only. One invocation:

  hostile.py front NAME --port P --key K --app-pid PID --app-log LOG
      --app-sock SOCK --window SECONDS

checks, in order:
  - an absolute-form request target (GET http://host:port/v2/...) on a raw
    socket reads the same version as the origin form;
  - a body cut short straight on the app's FastCGI socket (key valid);
  - one window in which, all at once, while a probe reads a version every
    100 ms on a new connection:
      8 slow uploaders: a create with a made-up key and Content-Length
        3000, one byte every 0.3 s (2 more with the real key);
      6 stalled readers of the big list: small SO_RCVBUF set before
        connecting, read 1 KB, then read nothing more while holding the
        connection (12 s, then again, until the window ends);
      6 clients looping 4 MiB create bodies with a made-up key (they stop
        6 s before the window ends);
      16 clients of mixed creates and deletes with the real key, kept-alive
        connections (http.client);
      and a bodiless create with an unknown key every 100 ms (the
        reference cost of a 401);
  - the probe: no failure (anything but 200, or no answer in 5 s) and its
    99th percentile under 500 ms; the mixed clients saw only 200 and 404;
    the attacks were in effect (a list began, 4 MiB bodies went out, the
    slow uploads began);
  - from the app's access log: the median app time of a 401 with a 4 MiB
    body is at most 3 times that of a bodiless 401;
  - the app's VmRSS 5 s after the last 4 MiB request ended is at most twice
    its idle value (before the window) + 16 MB;
  - every line the app logged about a request carries a request id.

Prints "PASS name" or "FAIL name: what was measured" per check and "#"
lines of information. The worker roles (probe, sampler, slow, stall, big,
mixed) run as processes of their own, so the probe's timing does not share
an interpreter lock with the attackers; each prints JSON.
"""
import argparse
import http.client
import json
import os
import select
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

ENTITY = "bench"
PROJECT = "proj"
LIST_PROJECT = "biglist"
PROBE_PATH = "/v2/%s/%s/models/probe/versions/v0" % (ENTITY, PROJECT)
LIST_PATH = "/v2/%s/%s/models" % (ENTITY, LIST_PROJECT)
BIG_PATH = "/v2/%s/big/models" % ENTITY	# 4 MiB bodies, made-up key
NOKEY_PATH = "/v2/%s/nokey/models" % ENTITY	# bodiless, made-up key
SLOW_PATH = "/v2/%s/slow/models" % ENTITY
MIXED_COLL = "/v2/%s/%s/models" % (ENTITY, PROJECT)
# 40 hex digits, like a key, but nobody's.
MADE_UP = "0123456789abcdef0123456789abcdef01234567"
PROBE_TIMEOUT = 5.0
P99_LIMIT_MS = 500.0
BIG_BYTES = 4 << 20


def now():
    return time.monotonic()


def capped(args, seconds):
    """SECONDS, but a request in flight when the role's time is up is given
    3 s more at most: a broken app must not stretch the stage."""
    return max(0.5, min(seconds, args.end + 3 - time.time()))


# --- one request on a raw socket ----------------------------------------------

def parse_status(data):
    """The status code of an HTTP response head, or None."""
    line = data.split(b"\r\n", 1)[0].split()
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        return int(line[1])
    return None


def one_request(port, head, body=b"", timeout=PROBE_TIMEOUT, sent=None):
    """Sends HEAD (bytes, the request line and headers, ending in a blank
    line) and BODY on a new connection, reads the response to its end
    (Connection: close). Returns (status or error text, body bytes, seconds).
    Appends True to the list SENT once the whole request is sent."""
    t0 = now()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    try:
        s.connect(("127.0.0.1", port))
        try:
            s.sendall(head + body)
            if sent is not None:
                sent.append(True)
        except (BrokenPipeError, ConnectionResetError):
            # Answered (or refused) before the body was all sent: read
            # what came, as HTTP clients do.
            pass
        while True:
            left = timeout - (now() - t0)
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "timeout", b"", now() - t0
    except OSError as e:
        # A reset after the answer (a server closing on a body it did
        # not read) still leaves the answer.
        if parse_status(data) is None:
            return "error: %s" % (e.strerror or e), b"", now() - t0
    finally:
        s.close()
    status = parse_status(data)
    if status is None:
        return "no status line (%d bytes)" % len(data), b"", now() - t0
    return status, data.partition(b"\r\n\r\n")[2], now() - t0


def head_of(method, target, port, key=None, extra=()):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:%d" % port,
             "Connection: close"]
    if key:
        lines.append("Authorization: Bearer " + key)
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- the roles, each a process of its own ------------------------------------------

def role_ticker(args, method, path, key, extra, body=b""):
    """A request every 100 ms on a new connection until args.end."""
    out = []
    tick = args.start
    while True:
        t = time.time()
        if t >= args.end:
            break
        if t < tick:
            time.sleep(tick - t)
        status, _, secs = one_request(args.port, head_of(method, path,
                                      args.port, key, extra), body)
        out.append([round(time.time() - args.start, 3), status,
                    round(secs * 1000, 1)])
        tick = max(tick + 0.1, time.time())
    return out


def role_probe(args):
    return role_ticker(args, "GET", PROBE_PATH, args.key, ())


def role_sampler(args):
    return role_ticker(args, "POST", NOKEY_PATH, MADE_UP,
                       ("Content-Type: application/json",
                        "Content-Length: 0"))


def threads(n, fn):
    res = [None] * n

    def run(i):
        res[i] = fn(i)
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res


def wait_start(args):
    d = args.start - time.time()
    if d > 0:
        time.sleep(d)


def role_slow(args):
    """8 uploaders with a made-up key (and 2 with the real one): a body of
    3000 bytes announced, one byte sent every 0.3 s. When the server
    answers or closes, a new upload begins 0.3 s later."""
    wait_start(args)

    def uploader(i):
        key = args.key if i >= 8 else MADE_UP
        st = {"real_key": i >= 8, "uploads": 0, "bytes": 0, "answers": {}}
        while time.time() < args.end:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect(("127.0.0.1", args.port))
                s.sendall(head_of("POST", SLOW_PATH, args.port, key,
                                  ("Content-Type: application/json",
                                   "Content-Length: 3000")).replace(
                    b"Connection: close", b"Connection: keep-alive"))
                st["uploads"] += 1
                got = b""
                sent = 0
                while time.time() < args.end and sent < 3000:
                    r, _, _ = select.select([s], [], [], 0.3)
                    if r:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        got += chunk
                        if b"\r\n\r\n" in got:
                            break
                        continue
                    s.sendall(b" ")
                    sent += 1
                st["bytes"] += sent
                if got or time.time() < args.end:
                    a = str(parse_status(got) if got else "closed")
                    st["answers"][a] = st["answers"].get(a, 0) + 1
            except OSError as e:
                a = "error: %s" % (e.strerror or e)
                st["answers"][a] = st["answers"].get(a, 0) + 1
            finally:
                s.close()
            time.sleep(0.3)
        return st
    return threads(10, uploader)


def role_stall(args):
    """6 readers of the big list, each with a small receive buffer: read
    1 KB, then nothing, holding the connection 12 s; then again."""
    wait_start(args)

    def reader(i):
        st = {"lists": 0, "began": 0, "answers": {}}
        while time.time() < args.end:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            s.settimeout(capped(args, 10))
            t0 = time.time()
            try:
                s.connect(("127.0.0.1", args.port))
                s.sendall(head_of("GET", LIST_PATH, args.port, args.key))
                st["lists"] += 1
                got = b""
                while len(got) < 1024:
                    chunk = s.recv(1024 - len(got))
                    if not chunk:
                        break
                    got += chunk
                a = str(parse_status(got))
                st["answers"][a] = st["answers"].get(a, 0) + 1
                if a == "200" and len(got) >= 1024:
                    st["began"] += 1
                    # Stop reading; hold the connection open.
                    time.sleep(max(0, min(args.end, t0 + 12) - time.time()))
                else:
                    time.sleep(0.5)
            except OSError as e:
                a = "error: %s" % (e.strerror or e)
                st["answers"][a] = st["answers"].get(a, 0) + 1
                time.sleep(0.5)
            finally:
                s.close()
        return st
    return threads(6, reader)


def big_body():
    """A create body of exactly 4 MiB: valid, and as costly to parse as a
    body of that size gets (a long array of small numbers)."""
    head = b'{"name":"big","source_code":"x","attributes":{"a":['
    tail = b'0]}}'
    n = (BIG_BYTES - len(head) - len(tail)) // 2
    body = head + b"0," * n + tail
    body = body[:len(head)] + b" " * (BIG_BYTES - len(body)) + body[len(head):]
    assert len(body) == BIG_BYTES
    return body


def role_big(args):
    """6 clients looping 4 MiB creates with a made-up key until args.end."""
    body = big_body()
    head = head_of("POST", BIG_PATH, args.port, MADE_UP,
                   ("Content-Type: application/json",
                    "Content-Length: %d" % len(body)))
    wait_start(args)

    def client(i):
        st = {"answers": {}, "ms": [], "sent": []}
        while time.time() < args.end:
            status, _, secs = one_request(args.port, head, body,
                                          timeout=capped(args, 15),
                                          sent=st["sent"])
            st["answers"][str(status)] = st["answers"].get(str(status), 0) + 1
            st["ms"].append(round(secs * 1000, 1))
        return st
    return threads(6, client)


def role_mixed(args):
    """16 clients with the real key on kept-alive connections: create
    mixN twice (two contents), delete all its versions (200), delete again
    (404), and so on until args.end."""
    wait_start(args)

    def client(i):
        st = {"answers": {}, "errors": [], "resent": 0}
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        used = 0        # requests answered on conn since it was opened
        hdrs = {"Authorization": "Bearer " + args.key,
                "Content-Type": "application/json"}
        k = 0
        while time.time() < args.end:
            k += 1
            name = "mix%d" % i
            steps = [("POST", MIXED_COLL, json.dumps(
                         {"name": name, "source_code": "s%d" % i,
                          "attributes": {"k": k, "c": c}}))
                     for c in (0, 1)]
            steps += [("DELETE", "%s/%s" % (MIXED_COLL, name), None)] * 2
            for method, path, body in steps:
                # A kept-alive connection that the front closes as the
                # request goes out (Apache's event MPM closes idle
                # kept-alive connections when its workers are all busy,
                # and a child it retires closes its own) ends without a
                # byte of answer: the request never reached the app, and
                # a careful client sends it again on a new connection,
                # once. Any other failure, or one on a fresh connection,
                # counts as an error.
                for attempt in (0, 1):
                    try:
                        conn.timeout = capped(args, 10)
                        if conn.sock is not None:
                            conn.sock.settimeout(conn.timeout)
                        conn.request(method, path, body=body, headers=hdrs)
                        r = conn.getresponse()
                        r.read()
                        a = str(r.status)
                        used += 1
                        break
                    except (OSError, http.client.HTTPException) as e:
                        a = "error"
                        conn.close()
                        reused, used = used > 0, 0
                        if attempt == 0 and reused and isinstance(e, (
                                http.client.RemoteDisconnected,
                                ConnectionResetError, BrokenPipeError)):
                            st["resent"] += 1
                            continue
                        if len(st["errors"]) < 5:
                            st["errors"].append("%s %s: %s" % (
                                method, path, type(e).__name__ + " " + str(e)))
                        break
                st["answers"][a] = st["answers"].get(a, 0) + 1
        conn.close()
        return st
    return threads(16, client)


ROLES = {"probe": role_probe, "sampler": role_sampler, "slow": role_slow,
         "stall": role_stall, "big": role_big, "mixed": role_mixed}


# --- the checks ---------------------------------------------------------------------

class Report:
    def __init__(self, front):
        self.front = front
        self.failed = 0

    def check(self, name, ok, measured):
        if ok:
            print("PASS %s: %s" % (name, measured))
        else:
            self.failed += 1
            print("FAIL %s: %s" % (name, measured))
        sys.stdout.flush()

    def info(self, text):
        print("# %s: %s" % (self.front, text))
        sys.stdout.flush()


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def percentile(values, p):
    """The nearest-rank percentile P (0-100) of VALUES."""
    v = sorted(values)
    k = max(0, -(-len(v) * p // 100) - 1)
    return v[int(k)]


def fcgi_record(rtype, content):
    return struct.pack(">BBHHBB", 1, rtype, 1, len(content), 0, 0) + content


def fcgi_pair(name, value):
    out = b""
    for n in (len(name), len(value)):
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + name + value


def cut_short(sock_path, key):
    """A create straight to the app: 1000 bytes announced, 10 sent, then
    the connection is closed. The app logs something about it."""
    env = {"REQUEST_METHOD": "POST", "REQUEST_URI": MIXED_COLL,
           "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
           "GATEWAY_INTERFACE": "CGI/1.1", "CONTENT_LENGTH": "1000",
           "CONTENT_TYPE": "application/json",
           "HTTP_AUTHORIZATION": "Bearer " + key,
           "HTTP_X_REQUEST_ID": "hostile-cut-short"}
    params = b"".join(fcgi_pair(k.encode(), v.encode()) for k, v in env.items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(sock_path)
        s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)) +
                  fcgi_record(4, params) + fcgi_record(4, b"") +
                  fcgi_record(5, b'{"name":"c'))
        time.sleep(0.2)
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
    finally:
        s.close()


def read_log(path):
    """(access lines as field lists, error lines as (id, text)) of the app's
    log: '<time> <id> <method> <path> <status> <deleted> <micros> <key>' and
    '<time> models-api: <id> <message>'."""
    access, errors = [], []
    with open(path, errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split(" ")
            if len(fields) >= 3 and fields[1] == "models-api:":
                errors.append((fields[2], line.rstrip("\n")))
            elif len(fields) >= 8 and fields[6].isdigit():
                access.append(fields)
    return access, errors


def run_front(args):
    rep = Report(args.name)
    f = args.name
    port = args.port

    # Warm the app up (every worker has served something), then idle RSS.
    for _ in range(8):
        one_request(port, head_of("GET", PROBE_PATH, port, args.key))
        one_request(port, head_of("POST", NOKEY_PATH, port, MADE_UP,
                                  ("Content-Length: 0",)))
    time.sleep(1)
    idle = vmrss_kb(args.app_pid)
    rep.info("idle VmRSS %d kB" % idle)

    # Absolute form: the same answer as the origin form.
    want = one_request(port, head_of("GET", PROBE_PATH, port, args.key))
    got = one_request(port, head_of(
        "GET", "http://127.0.0.1:%d%s" % (port, PROBE_PATH), port, args.key))
    rep.check("%s: absolute-form target routed by its path" % f,
              want[0] == 200 and got[:2] == want[:2],
              "origin form %s, absolute form %s %s" % (
                  want[0], got[0], got[1][:100].decode(errors="replace")))

    cut_short(args.app_sock, args.key)

    # The window: every role at once.
    start = time.time() + 1.0
    end = start + args.window
    big_end = end - 6
    procs = {}
    roles = ["probe", "sampler"] + args.attacks.split()
    for role in roles:
        procs[role] = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "role", role,
             "--port", str(port), "--key", args.key,
             "--start", repr(start),
             "--end", repr(big_end if role == "big" else end)],
            stdout=subprocess.PIPE)
    res = {"big": [], "slow": [], "stall": [], "mixed": []}
    burst_over = time.time()
    if "big" in procs:
        out, _ = procs["big"].communicate()
        burst_over = time.time()
        res["big"] = json.loads(out)
    for role, p in procs.items():
        if role != "big":
            out, _ = p.communicate()
            res[role] = json.loads(out)
    time.sleep(max(0, burst_over + 5 - time.time()))
    after = vmrss_kb(args.app_pid)
    time.sleep(0.5)	# the last log lines (connections closed at the end)

    # The probe.
    probes = res["probe"]
    bad = [p for p in probes if p[1] != 200]
    rep.check("%s: no probe failing" % f, len(probes) > 0 and not bad,
              "%d probes, %d failed%s" % (len(probes), len(bad),
                  (" (at s, status, ms: %s)" % bad[:5]) if bad else ""))
    ms = [p[2] for p in probes]
    p99 = percentile(ms, 99) if ms else float("inf")
    rep.check("%s: probe p99 < %d ms" % (f, P99_LIMIT_MS), p99 < P99_LIMIT_MS,
              "p99 %.1f ms, median %.1f ms, max %.1f ms over %d probes" % (
                  p99, statistics.median(ms) if ms else 0,
                  max(ms) if ms else 0, len(ms)))

    # The mixed run.
    if "mixed" in procs:
        check_mixed(rep, f, res["mixed"])

    # Were the attacks in effect?
    began = sum(r["began"] for r in res["stall"])
    lists = {}
    for r in res["stall"]:
        for a, n in r["answers"].items():
            lists[a] = lists.get(a, 0) + n
    big = {}
    big_sent = sum(len(r["sent"]) for r in res["big"])
    big_answered = sum(n for r in res["big"] for a, n in r["answers"].items()
                       if a.isdigit())
    for r in res["big"]:
        for a, n in r["answers"].items():
            big[a] = big.get(a, 0) + n
    slow = {}
    uploads = 0
    for r in res["slow"]:
        uploads += r["uploads"]
        for a, n in r["answers"].items():
            k = ("real key " if r["real_key"] else "made-up key ") + a
            slow[k] = slow.get(k, 0) + n
    rep.info("stalled lists: %s, %d began" % (lists, began))
    rep.info("4 MiB bodies: %d sent whole, answers %s" % (big_sent, big))
    rep.info("slow uploads: %d begun, answers %s" % (uploads, slow))
    rep.info("401 sampler: %d sent" % len(res["sampler"]))
    rep.check("%s: the attacks ran (%s)" % (f, args.attacks),
              ("stall" not in procs or began > 0) and
              ("big" not in procs or big_sent + big_answered > 0) and
              ("slow" not in procs or uploads >= 10),
              "lists began %d, 4 MiB bodies sent %d, answered %d, slow "
              "uploads %d" % (began, big_sent, big_answered, uploads))

    access, errs = read_log(args.app_log)
    if "big" in procs:
        check_cost(rep, f, access)
    limit = 2 * idle + 16 * 1024
    rep.check("%s: VmRSS 5 s after the 4 MiB burst <= 2x idle + 16 MB" % f,
              after <= limit, "%d kB after, idle %d kB, limit %d kB" % (
                  after, idle, limit))

    unlabelled = [e[1] for e in errs if e[0] == "-"]
    rep.check("%s: every app log line about a request has its id" % f,
              not unlabelled, "%d error lines, %d without an id%s" % (
                  len(errs), len(unlabelled),
                  ("; e.g. %s" % unlabelled[:3]) if unlabelled else ""))
    return rep.failed


def check_mixed(rep, f, clients):
    answers = {}
    errors = []
    for c in clients:
        for a, n in c["answers"].items():
            answers[a] = answers.get(a, 0) + n
        errors += c["errors"]
    resent = sum(c["resent"] for c in clients)
    others = {a: n for a, n in answers.items() if a not in ("200", "404")}
    rep.check("%s: mixed creates and deletes see only 200 and 404" % f,
              answers.get("200", 0) > 0 and not others,
              "answers %s, %d sent again after the front closed a kept "
              "connection%s" % (dict(sorted(answers.items())), resent,
                                ("; e.g. %s" % errors[:3]) if errors else ""))


def check_cost(rep, f, access):
    """The app's own time for a 401: with a 4 MiB body vs bodiless."""
    t_big = [int(a[6]) for a in access
             if a[2] == "POST" and a[3] == BIG_PATH and a[4] == "401"]
    t_nokey = [int(a[6]) for a in access
               if a[2] == "POST" and a[3] == NOKEY_PATH and a[4] == "401"]
    if len(t_big) >= 3 and len(t_nokey) >= 3:
        m_big, m_nokey = statistics.median(t_big), statistics.median(t_nokey)
        ratio = m_big / max(m_nokey, 1)
        rep.check("%s: a 401 with a 4 MiB body costs <= 3x a bodiless 401" % f,
                  ratio <= 3, "median app time %d us (%d) vs %d us (%d): %.1fx"
                  % (m_big, len(t_big), m_nokey, len(t_nokey), ratio))
    else:
        rep.check("%s: a 401 with a 4 MiB body costs <= 3x a bodiless 401" % f,
                  False, "too few logged: %d with a body, %d without" % (
                      len(t_big), len(t_nokey)))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    fr = sub.add_parser("front")
    fr.add_argument("name")
    fr.add_argument("--port", type=int, required=True)
    fr.add_argument("--key", required=True)
    fr.add_argument("--app-pid", type=int, required=True)
    fr.add_argument("--app-log", required=True)
    fr.add_argument("--app-sock", required=True)
    fr.add_argument("--window", type=float, required=True)
    fr.add_argument("--attacks", default="slow stall big mixed")
    ro = sub.add_parser("role")
    ro.add_argument("role", choices=sorted(ROLES))
    ro.add_argument("--port", type=int, required=True)
    ro.add_argument("--key", required=True)
    ro.add_argument("--start", type=float, required=True)
    ro.add_argument("--end", type=float, required=True)
    args = ap.parse_args()
    if args.cmd == "role":
        json.dump(ROLES[args.role](args), sys.stdout)
        return 0
    return 1 if run_front(args) else 0


if __name__ == "__main__":
    sys.exit(main())
