#!/usr/bin/env python3
"""One request straight to models-api, bypassing the front server.

Every front server drops a body the app sends on HEAD and strips trailing
spaces from header values, so some of the app's own behaviour can only be
seen from here.

usage: rawreq.py HDRS BODY METHOD URI AUTHORIZATION fcgi SOCKET
       rawreq.py HDRS BODY METHOD URI AUTHORIZATION cgi COMMAND...

fcgi: one FastCGI request (responder role) on the unix SOCKET; cgi: runs
COMMAND once as a CGI program (stdin empty, the CGI variables in its
environment). In fcgi mode, RAWREQ_STDIN is sent as the body (none when
unset), RAWREQ_LENGTH as CONTENT_LENGTH, RAWREQ_RID as X-Request-Id, and
RAWREQ_EOF=0 leaves the body unended (the connection open, as a stalled
upload would) while the answer is awaited. AUTHORIZATION "" sends none. Writes the header block to HDRS
and every byte after it to BODY, exactly as the app wrote them; prints the
status (the Status header, 200 when absent). RAWREQ_REMOTE_ADDR, when set,
is sent as REMOTE_ADDR.
"""
import os
import socket
import struct
import subprocess
import sys

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(rtype, content):
    return struct.pack(">BBHHBB", 1, rtype, 1, len(content), 0, 0) + content


def pair(name, value):
    out = b""
    for n in (len(name), len(value)):
        out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + name + value


def fcgi(sock_path, env):
    stdin = os.environ.get("RAWREQ_STDIN", "").encode()
    if "RAWREQ_LENGTH" in os.environ:
        env["CONTENT_LENGTH"] = os.environ["RAWREQ_LENGTH"]
    if "RAWREQ_RID" in os.environ:
        env["HTTP_X_REQUEST_ID"] = os.environ["RAWREQ_RID"]
    params = b"".join(pair(k.encode(), v.encode()) for k, v in env.items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    s.sendall(record(BEGIN, struct.pack(">HB5x", 1, 0)) +
              record(PARAMS, params) + record(PARAMS, b"") +
              (record(STDIN, stdin) if stdin else b"") +
              (record(STDIN, b"") if os.environ.get("RAWREQ_EOF") != "0"
               else b""))
    data, out = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    while len(data) >= 8:
        _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", data[:8])
        if rtype == STDOUT:
            out += data[8:8 + clen]
        data = data[8 + clen + plen:]
        if rtype == END:
            break
    return out


def main():
    hdrs, body, method, uri, auth, mode = sys.argv[1:7]
    env = {"REQUEST_METHOD": method, "REQUEST_URI": uri,
           "SCRIPT_NAME": "", "QUERY_STRING": uri.partition("?")[2],
           "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1"}
    if auth:
        env["HTTP_AUTHORIZATION"] = auth
    # The client address a front server would name (tests/e2e/metrics.sh).
    if os.environ.get("RAWREQ_REMOTE_ADDR"):
        env["REMOTE_ADDR"] = os.environ["RAWREQ_REMOTE_ADDR"]
    if mode == "fcgi":
        out = fcgi(sys.argv[7], env)
    else:
        full = dict(os.environ)
        full.update(env)
        out = subprocess.run(sys.argv[7:], env=full, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, timeout=30).stdout
    head, sep, rest = out.partition(b"\r\n\r\n")
    if not sep:
        head, sep, rest = out.partition(b"\n\n")
    with open(hdrs, "wb") as f:
        f.write(head + b"\r\n")
    with open(body, "wb") as f:
        f.write(rest)
    status = "200"
    for line in head.split(b"\n"):
        if line.lower().startswith(b"status:"):
            status = line.split(b":", 1)[1].split()[0].decode()
    print(status)


main()
