#!/usr/bin/env python3
"""Load client for tests/failover: CLIENTS threads send deletes (and, with
--creates / --reads, creates and reads) through the front server until
the deadline or until the stop file appears, and record every answer.

usage: load.py BASE KEY PLAN OUT SECONDS STOPFILE [--clients N] [--creates]
       [--reads] [--seed S] [--prefix RUN] [--pause SECONDS]

PLAN holds the seeded versions, one "OBJECT_ID DIGEST INDEX" per line
(models-admin model list output). Client k deletes from model number
k % models, from its own share of that model's versions, one or two
references a request (vN or the exact digest); one request in ten adds a
reference from the other share, so clients also race. OUT gets one JSON
object per request: rid (RUN-cK-N), op, refs (as [object_id, index] pairs) or name,
status, retry_after, body, t0, t1 (time.time()). Each client pauses
--pause seconds (default 0.1) after an answer, so 16 clients make a steady
load of about 150 requests/s that the seeded versions last through, and
the shared machine keeps some breath; after a 503 or a failed connection
the pause is 50 ms, so the gap after a failover is measured to within that.
"""
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

ENTITY, PROJECT = "fo", "p"


def main():
    args = sys.argv[1:]
    opts = {"clients": 16, "creates": False, "reads": False, "seed": 1,
            "prefix": "r", "pause": 0.1}
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--clients":
            opts["clients"] = int(args[i + 1]); i += 2; continue
        if a == "--prefix":
            opts["prefix"] = args[i + 1]; i += 2; continue
        if a == "--pause":
            opts["pause"] = float(args[i + 1]); i += 2; continue
        if a == "--seed":
            opts["seed"] = int(args[i + 1]); i += 2; continue
        if a == "--creates":
            opts["creates"] = True; i += 1; continue
        if a == "--reads":
            opts["reads"] = True; i += 1; continue
        pos.append(a); i += 1
    base, key, plan, out_path, seconds, stop = pos
    url = urllib.parse.urlsplit(base)
    t_end = time.time() + float(seconds)
    clients = opts["clients"]

    versions = {}
    for line in open(plan):
        f = line.split()
        if len(f) >= 3:
            versions.setdefault(f[0], []).append((int(f[2]), f[1]))
    models = sorted(versions)
    out = []
    lock = threading.Lock()

    def share(k):
        """The (object_id, index, digest) this client deletes, and the other
        share of its model (for the racing references)."""
        obj = models[k % len(models)]
        part = (k // len(models)) % 2
        mine = [(obj, ix, d) for ix, d in versions[obj] if ix % 2 == part]
        other = [(obj, ix, d) for ix, d in versions[obj] if ix % 2 != part]
        return mine, other

    def client(k):
        rnd = random.Random(opts["seed"] * 1000 + k)
        mine, other = share(k)
        rnd.shuffle(mine)
        conn = None
        n = 0
        created = []
        while time.time() < t_end and not os.path.exists(stop):
            n += 1
            rid = "%s-c%d-%d" % (opts["prefix"], k, n)
            op = "delete"
            r = rnd.random()
            if opts["reads"] and created and r < 0.2:
                op = "read"
            elif opts["creates"] and r < 0.45:
                op = "create"
            elif not mine:
                if not opts["creates"]:
                    break
                op = "create"
            rec = {"rid": rid, "op": op}
            body = None
            method = "DELETE"
            if op == "delete":
                refs = [mine.pop() for _ in range(min(len(mine), rnd.choice((1, 1, 2))))]
                if other and rnd.random() < 0.1:
                    refs.append(rnd.choice(other))
                obj = refs[0][0]
                q = "&".join("digests=" + (d if rnd.random() < 0.3 else "v%d" % ix)
                             for _, ix, d in refs)
                path = "/v2/%s/%s/models/%s?%s" % (ENTITY, PROJECT, obj, q)
                rec["refs"] = [[o, ix] for o, ix, _ in refs]
            elif op == "create":
                name = "c%d-m%d" % (k, n % 4)
                rec["name"] = name
                body = json.dumps({"name": name, "description": None,
                                   "source_code": "# client %d request %d\n" % (k, n),
                                   "attributes": {"n": n}})
                method = "POST"
                path = "/v2/%s/%s/models" % (ENTITY, PROJECT)
            else:
                obj, dg = rnd.choice(created)
                rec["target"] = [obj, dg]
                method = "GET"
                path = "/v2/%s/%s/models/%s/versions/%s" % (ENTITY, PROJECT, obj, dg)
            headers = {"Authorization": "Bearer " + key, "X-Request-Id": rid}
            if body is not None:
                headers["Content-Type"] = "application/json"
            rec["t0"] = time.time()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                rec["body"] = resp.read().decode("utf-8", "replace")
                rec["status"] = resp.status
                rec["retry_after"] = resp.getheader("Retry-After")
                if resp.will_close:
                    conn.close()
                    conn = None
            except Exception as e:  # recorded, checked by verify.py
                rec["status"] = 0
                rec["body"] = "%s: %s" % (type(e).__name__, e)
                if conn is not None:
                    conn.close()
                    conn = None
            rec["t1"] = time.time()
            if op == "create" and rec["status"] == 200:
                try:
                    j = json.loads(rec["body"])
                    created.append((j["object_id"], j["digest"]))
                except (ValueError, KeyError, TypeError):
                    pass
            with lock:
                out.append(json.dumps(rec))
            time.sleep(0.05 if rec["status"] in (0, 503) else opts["pause"])
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out_path, "w") as f:
        f.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
