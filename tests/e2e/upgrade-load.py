"""Load for tests/e2e/upgrade.sh: THREADS clients, each creating a model
version and reading it back, one request at a time on a kept-alive
connection, until the file STOP exists (or 100 s pass). One line per
request on stdout, written as it is answered:
    TIME STATUS create OBJECT_ID DIGEST   (a create answered 200)
    TIME STATUS KIND                      (anything else)
where STATUS 0 means no HTTP answer (KIND then names the exception), and a
read counts as 200 only with the very version that was created.
usage: upgrade-load.py PORT KEY NAME STOP THREADS"""
import http.client, json, os, sys, threading, time

port, key, name, stop, nthreads = sys.argv[1:6]
port, nthreads = int(port), int(nthreads)
t_end = time.time() + 100
lock = threading.Lock()
hdrs = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}


def emit(line):
    with lock:
        sys.stdout.write("%.6f %s\n" % (time.time(), line))
        sys.stdout.flush()


def call(conn, method, path, body=None):
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    return r.status, data, r.will_close


def client(k):
    conn, i = None, 0
    while not os.path.exists(stop) and time.time() < t_end:
        i += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            body = json.dumps({"name": "m-%s-%d-%d" % (name, k, i),
                               "description": None,
                               "source_code": "x = %d\n" % i,
                               "attributes": {"i": i}})
            st, data, close = call(conn, "POST", "/v2/acme/proj/models", body)
            if st != 200:
                emit("%d create-failed %s" % (st, data[:80].decode("utf-8", "replace").replace("\n", " ")))
            else:
                j = json.loads(data)
                emit("200 create %s %s" % (j["object_id"], j["digest"]))
                if close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                st, data, close = call(conn, "GET", "/v2/acme/proj/models/%s/versions/%s"
                                       % (j["object_id"], j["digest"]))
                ok = st == 200 and json.loads(data).get("digest") == j["digest"]
                emit("%d read" % st if ok or st != 200 else "299 read-wrong-version")
            if close:
                conn.close()
                conn = None
        except Exception as e:
            emit("0 conn:%s %s" % (type(e).__name__, str(e)[:80].replace("\n", " ")))
            if conn is not None:
                conn.close()
            conn = None


threads = [threading.Thread(target=client, args=(k,)) for k in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
