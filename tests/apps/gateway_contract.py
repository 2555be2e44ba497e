#!/usr/bin/env python3
"""apps/gateway's contract (docs/gateway.md), checked from outside: the real gateway binary with
config/gateway.ini on an ephemeral port, in front of tests/apps/gateway_upstream.py (an upstream
that echoes what it got, misbehaves on demand and counts its connections), driven by Python's
http.client, raw sockets and curl.

usage: gateway_contract.py GATEWAY_BINARY CONFIG_FILE
"""
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

BIN, CONFIG = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)
    return cond


def wait_for(pred, what, timeout=10.0):
    """Polls pred() until it is true; a failed check naming `what` after `timeout`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return check(False, f"timed out waiting for {what}")


class Upstream:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "gateway_upstream.py")],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/__stats")
        doc = json.loads(c.getresponse().read())
        c.close()
        return doc

    def saw(self, event):
        return event in self.stats()["events"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Gateway:
    """The gateway on 127.0.0.1:0; the port is read from its log line."""

    def __init__(self, *flags):
        self.proc = subprocess.Popen([BIN, "--config", CONFIG, "--server.port=0", *flags],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.port = None
        ready = threading.Event()

        def pump():
            for line in self.proc.stderr:
                self.lines.append(line)
                m = re.search(r"Server running at http://127\.0\.0\.1:(\d+)/", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=pump, daemon=True)
        self.reader.start()
        if not ready.wait(20) or self.port is None:
            self.stop()
            raise SystemExit("the gateway did not start:\n" + "".join(self.lines))

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.conn()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, r, data

    def echo(self, method, path, body=None, headers=None, conn=None):
        st, r, data = self.request(method, path, body, headers, conn)
        check(st == 200, f"{method} {path}: status {st}, body {data[:300]!r}")
        return json.loads(data) if st == 200 else {"headers": [], "target": None}

    def rss_kib(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(5)
        return code


def fields(doc, name):
    return [v for k, v in doc["headers"] if k.lower() == name.lower()]


def curl(*args):
    p = subprocess.run(["curl", "-s", "-S", "--max-time", "20", *args], capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def pattern(n):
    block = bytes(range(256)) * 256
    return (block * (n // len(block) + 1))[:n]


# ------------------------------------------------------------------ forwarding

def test_forwarding(gw, up):
    host = f"127.0.0.1:{gw.port}"
    doc = gw.echo("GET", "/api/echo/a%20b/?x=1&y=%2F&z", headers={"X-Custom": "one", "Accept": "text/x"})
    check(doc["method"] == "GET", f"method {doc['method']}")
    check(doc["target"] == "/api/echo/a%20b/?x=1&y=%2F&z", f"path and query forwarded as sent: {doc['target']!r}")
    check(fields(doc, "X-Custom") == ["one"] and fields(doc, "Accept") == ["text/x"],
          f"end-to-end fields forwarded: {doc['headers']}")
    check(fields(doc, "Host") == [host], f"Host is the client's (preserve_host): {fields(doc, 'Host')}")
    check(fields(doc, "X-Forwarded-For") == ["127.0.0.1"], f"X-Forwarded-For {fields(doc, 'X-Forwarded-For')}")
    check(fields(doc, "X-Forwarded-Proto") == ["http"], f"X-Forwarded-Proto {fields(doc, 'X-Forwarded-Proto')}")
    check(fields(doc, "X-Forwarded-Host") == [host], f"X-Forwarded-Host {fields(doc, 'X-Forwarded-Host')}")
    check(fields(doc, "Content-Length") == [] and fields(doc, "Transfer-Encoding") == [],
          f"a GET without a body gets no framing fields: {doc['headers']}")

    # An existing X-Forwarded-For (two lines) is appended to; the other X-Forwarded-* replaced.
    c = gw.conn()
    c.putrequest("GET", "/api/echo", skip_host=True)
    for k, v in (("Host", "public.example"), ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2, 10.0.0.3"),
                 ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "spoofed.example")):
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    doc = json.loads(r.read())
    c.close()
    check(fields(doc, "X-Forwarded-For") == ["10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1"],
          f"X-Forwarded-For appended: {fields(doc, 'X-Forwarded-For')}")
    check(fields(doc, "X-Forwarded-Proto") == ["http"], f"X-Forwarded-Proto replaced: {fields(doc, 'X-Forwarded-Proto')}")
    check(fields(doc, "X-Forwarded-Host") == ["public.example"] and fields(doc, "Host") == ["public.example"],
          f"X-Forwarded-Host and Host from the request: {doc['headers']}")

    for method in ("PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"):
        doc = gw.echo(method, "/api/echo?m=" + method, body=b"payload-" + method.encode())
        check(doc["method"] == method and doc["body"] == "payload-" + method and
              fields(doc, "Content-Length") == [str(len("payload-" + method))],
              f"{method} forwarded with its body: {doc}")
    st, r, data = gw.request("HEAD", "/api/echo")
    check(st == 200 and data == b"" and int(r.getheader("Content-Length", "0")) > 0,
          f"HEAD: {st}, Content-Length {r.getheader('Content-Length')}, body {data!r}")

    # A Content-Length body and a chunked one, each reaching the upstream as it was framed.
    doc = gw.echo("POST", "/api/echo", body=b"hello world", headers={"Content-Type": "text/plain"})
    check(doc["body"] == "hello world" and fields(doc, "Content-Length") == ["11"] and
          fields(doc, "Content-Type") == ["text/plain"], f"Content-Length upload: {doc}")
    c = gw.conn()
    c.request("POST", "/api/echo", body=iter([b"chunk one, ", b"chunk two"]), encode_chunked=True)
    doc = json.loads(c.getresponse().read())
    c.close()
    # Chunked upstream too, unless the whole body was in before the request left (then its length).
    check(doc["body"] == "chunk one, chunk two" and
          (fields(doc, "Transfer-Encoding") == ["chunked"]) != (fields(doc, "Content-Length") == ["20"]),
          f"chunked upload: {doc}")

    # curl, as users would call it: -d, -T - (chunked), and the response's own fields.
    rc, out, err = curl("-d", "from curl", "-D", "-", f"http://127.0.0.1:{gw.port}/api/echo")
    head, _, body = out.partition(b"\r\n\r\n")
    check(rc == 0 and json.loads(body)["body"] == "from curl" and b"X-Upstream: echo" in head,
          f"curl -d: rc {rc} {err} {out[:300]!r}")
    p = subprocess.run(["curl", "-s", "-S", "-T", "-", f"http://127.0.0.1:{gw.port}/api/echo"],
                       input=b"piped", capture_output=True)
    doc = json.loads(p.stdout or b"{}")
    check(p.returncode == 0 and doc.get("body") == "piped" and doc.get("method") == "PUT",
          f"curl -T - (chunked PUT): {p.stdout[:300]!r}")


def test_hop_by_hop(gw, up):
    c = gw.conn()
    c.putrequest("GET", "/api/echo")
    for k, v in (("Connection", "keep-alive, X-Private"), ("X-Private", "secret"), ("Keep-Alive", "timeout=9"),
                 ("TE", "trailers"), ("Trailer", "X-T"), ("Proxy-Authorization", "Basic eA=="),
                 ("Proxy-Connection", "keep-alive"), ("X-Public", "yes")):
        c.putheader(k, v)
    c.endheaders()
    doc = json.loads(c.getresponse().read())
    c.close()
    names = {k.lower() for k, _ in doc["headers"]}
    for gone in ("x-private", "keep-alive", "te", "trailer", "proxy-authorization", "proxy-connection"):
        check(gone not in names, f"request field {gone} forwarded: {doc['headers']}")
    check("x-public" in names, f"X-Public not forwarded: {doc['headers']}")
    check(all(v.lower() != "x-private" for v in fields(doc, "Connection")),
          f"the client's Connection options forwarded: {fields(doc, 'Connection')}")

    st, r, data = gw.request("GET", "/api/hop")
    names = {k.lower() for k, _ in r.getheaders()}
    check(st == 200 and data == b"hop", f"GET /api/hop: {st} {data!r}")
    for gone in ("x-upstream-private", "keep-alive", "proxy-authenticate", "trailer", "upgrade"):
        check(gone not in names, f"response field {gone} passed back: {r.getheaders()}")
    check(r.getheader("X-Kept") == "yes", f"X-Kept missing: {r.getheaders()}")
    check("x-upstream-private" not in (r.getheader("Connection") or "").lower(),
          f"the upstream's Connection options passed back: {r.getheader('Connection')}")


def test_strip_prefix(up):
    gw = Gateway(f"--gateway.upstream={up.url}", "--gateway.strip_prefix=true", "--gateway.prefix=/api")
    try:
        doc = gw.echo("GET", "/api/echo?x=1")
        check(doc["target"] == "/echo?x=1", f"strip_prefix: target {doc['target']!r}")
        doc = gw.echo("GET", "/api?x=1")
        check(doc["target"] == "/?x=1", f"strip_prefix, the prefix alone: target {doc['target']!r}")
        st, _, _ = gw.request("GET", "/apix/echo")
        check(st == 404, f"/apix is not under /api: {st}")
    finally:
        gw.stop()


# ------------------------------------------------------------------ streaming and memory

def test_big_bodies(gw, up):
    base = gw.rss_kib()
    n = 50 * MiB

    # Download, read fast; then one read slowly: the gateway must stop reading the upstream.
    for query in ("", "&chunked=1"):
        c = gw.conn(timeout=30)
        c.request("GET", f"/api/download?bytes={n}{query}")
        r = c.getresponse()
        h = hashlib.sha256()
        got = 0
        while True:
            b = r.read(256 * 1024)
            if not b:
                break
            h.update(b)
            got += len(b)
        c.close()
        check(got == n and h.hexdigest() == hashlib.sha256(pattern(n)).hexdigest(),
              f"50 MiB download{query}: {got} bytes, digest ok: {h.hexdigest() == hashlib.sha256(pattern(n)).hexdigest()}")

    s = socket.create_connection(("127.0.0.1", gw.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(f"GET /api/download?bytes={n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    first = b""
    while b"\r\n\r\n" not in first:
        first += s.recv(64 * 1024)
    time.sleep(1.5)  # the upstream could send all 50 MiB meanwhile
    slow_rss = gw.rss_kib()
    check(slow_rss - base < 16 * 1024, f"a client that stopped reading: the gateway grew from {base} to {slow_rss} KiB")
    got = len(first.partition(b"\r\n\r\n")[2])
    s.settimeout(30)
    while got < n:
        b = s.recv(1 << 20)
        if not b:
            break
        got += len(b)
    s.close()
    check(got == n, f"the slow reader got {got} body bytes of {n}")

    # Upload, Content-Length and chunked, with an upstream that stops reading for 1.5 s.
    body = pattern(n)
    for i, chunked in enumerate((False, True)):
        rss = {}

        def sample():
            wait_for(lambda: up.saw(f"pausing up{i}"), "the upstream to pause", 20)
            time.sleep(0.8)
            rss["paused"] = gw.rss_kib()
        t = threading.Thread(target=sample)
        t.start()
        c = gw.conn(timeout=60)
        if chunked:
            c.request("POST", f"/api/drain?id=up{i}&pause_ms=1500",
                      body=(body[k:k + 256 * 1024] for k in range(0, n, 256 * 1024)), encode_chunked=True)
        else:
            c.request("POST", f"/api/drain?id=up{i}&pause_ms=1500", body=body)
        r = c.getresponse()
        data = r.read()
        c.close()
        t.join()
        check(r.status == 200 and data == str(n).encode(), f"50 MiB upload (chunked={chunked}): {r.status} {data!r}")
        check(rss.get("paused", 1 << 30) - base < 16 * 1024,
              f"upload (chunked={chunked}) to a paused upstream: the gateway grew from {base} to {rss.get('paused')} KiB")
    # curl -T - from a pipe: chunks of 65524 and 12 bytes, so the gateway pauses a few bytes
    # before the end of its read blocks.
    p = subprocess.run(["curl", "-s", "-S", "--max-time", "60", "-X", "POST", "-T", "-",
                        f"http://127.0.0.1:{gw.port}/api/drain?id=curl"], input=pattern(20 * MiB), capture_output=True)
    check(p.returncode == 0 and p.stdout == str(20 * MiB).encode(),
          f"curl -T - of 20 MiB: rc {p.returncode} {p.stdout[:100]!r} {p.stderr[:200]!r}")
    hwm = gw.rss_kib("VmHWM")
    check(hwm - base < 24 * 1024, f"peak RSS over the 50 MiB transfers: {hwm} KiB from {base} KiB")
    print(f"gateway RSS: {base} KiB at start, peak {hwm} KiB after 50 MiB transfers", flush=True)


# ------------------------------------------------------------------ failures

def test_upstream_down():
    # A port bound but not listening refuses connections, and no other test can take it.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    gw = Gateway(f"--gateway.upstream=http://127.0.0.1:{hole.getsockname()[1]}")
    try:
        st, _, _ = gw.request("GET", "/api/echo")
        check(st == 502, f"upstream down: {st}, expected 502")
        st, _, _ = gw.request("POST", "/api/echo", body=b"x" * 100000)
        check(st == 502, f"upstream down, with a body: {st}, expected 502")
    finally:
        gw.stop()
        hole.close()


def test_failures(up):
    gw = Gateway(f"--gateway.upstream={up.url}", "--gateway.upstream_timeout_ms=300")
    try:
        t0 = time.monotonic()
        st, _, _ = gw.request("GET", "/api/slow?ms=3000")
        took = time.monotonic() - t0
        check(st == 504 and took < 2.9, f"slow upstream: {st} after {took:.2f}s, expected 504 after ~0.3s")

        st, _, data = gw.request("GET", "/api/garbage")
        check(st == 502, f"garbage from the upstream: {st} {data!r}")

        for path, what in (("/api/cut?bytes=100000", "an upstream that closes mid-body"),
                           ("/api/slowbody?ms=3000", "an upstream silent after its head")):
            c = gw.conn()
            c.request("GET", path)
            r = c.getresponse()
            try:
                data = r.read()
                check(False, f"{what}: the client got a clean end after {len(data)} bytes")
            except http.client.IncompleteRead as e:
                check(r.status == 200, f"{what}: status {r.status}")
            except (ConnectionError, http.client.HTTPException):
                pass
            c.close()
        rc, _, err = curl(f"http://127.0.0.1:{gw.port}/api/cut?bytes=100000", "-o", "/dev/null")
        check(rc == 18, f"curl on a body cut upstream: rc {rc} ({err.strip()}), expected 18 (partial file)")

        # The gateway is still fine afterwards.
        doc = gw.echo("GET", "/api/echo?after=failures")
        check(doc["target"] == "/api/echo?after=failures", "the gateway after failures")
    finally:
        gw.stop()


def test_cancel(gw, up):
    s = socket.create_connection(("127.0.0.1", gw.port))
    s.sendall(b"GET /api/hang?id=dl HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: up.saw("request dl"), "the upstream to receive the request")
    s.close()
    wait_for(lambda: up.saw("closed dl"), "the upstream to see its connection closed after the client left")

    s = socket.create_connection(("127.0.0.1", gw.port))
    s.sendall(b"POST /api/drain?id=ul HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 300000)
    time.sleep(0.2)
    s.close()
    wait_for(lambda: any(e.startswith("aborted ul") for e in up.stats()["events"]),
             "the upstream to see the upload aborted after the client left")


def test_pool(gw, up):
    before = up.stats()["accepted"]
    c = gw.conn()
    for i in range(200):
        doc = gw.echo("GET", f"/api/echo?i={i}", conn=c)
    c.close()
    for i in range(50):  # a new client connection each time: still the same upstream one
        gw.echo("GET", f"/api/echo?j={i}")
    opened = up.stats()["accepted"] - before
    check(opened <= 2, f"250 sequential requests opened {opened} upstream connections, expected 1")

    before = up.stats()["accepted"]
    errors = []

    def client():
        conn = gw.conn()
        try:
            for i in range(50):
                gw.echo("POST", "/api/echo", body=b"x" * 1000, conn=conn)
        except Exception as e:
            errors.append(repr(e))
        conn.close()
    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    opened = up.stats()["accepted"] - before
    check(not errors, f"concurrent clients: {errors}")
    check(opened <= 8, f"8 clients x 50 requests opened {opened} upstream connections, expected at most 8")
    st = up.stats()
    check(st["open"] <= 8 + 2, f"upstream connections open: {st['open']}")


# ------------------------------------------------------------------ static files

def test_static(gw, docroot):
    text = b"static file contents\n" * 100
    with open(os.path.join(docroot, "page.txt"), "wb") as f:
        f.write(text)
    st, r, data = gw.request("GET", "/page.txt")
    etag = r.getheader("ETag")
    check(st == 200 and data == text and etag, f"GET /page.txt: {st} ETag {etag} {len(data)} bytes")
    st, r, data = gw.request("GET", "/page.txt", headers={"If-None-Match": etag or "x"})
    check(st == 304 and data == b"", f"If-None-Match: {st} {data[:40]!r}")
    st, r, data = gw.request("GET", "/page.txt", headers={"Range": "bytes=7-10"})
    check(st == 206 and data == text[7:11] and r.getheader("Content-Range") == f"bytes 7-10/{len(text)}",
          f"Range: {st} {data!r} {r.getheader('Content-Range')}")
    rc, out, err = curl("-r", "0-5", f"http://127.0.0.1:{gw.port}/page.txt")
    check(rc == 0 and out == text[:6], f"curl -r 0-5: rc {rc} {out!r} {err}")
    st, _, _ = gw.request("GET", "/missing.txt")
    check(st == 404, f"a missing file: {st}")


def test_tls(up):
    """On the [tls] listener the upstream is told the client came over https."""
    d = tempfile.mkdtemp()
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    gw = Gateway(f"--gateway.upstream={up.url}", "--tls.port=0", f"--tls.cert={cert}", f"--tls.key={key}")
    try:
        def https_port():
            for line in list(gw.lines):
                m = re.search(r"Server running at https://127\.0\.0\.1:(\d+)/", line)
                if m:
                    return int(m.group(1))
            return None

        if not wait_for(lambda: https_port() is not None, "the gateway's https listener"):
            return
        c = http.client.HTTPSConnection("127.0.0.1", https_port(), timeout=10,
                                        context=ssl.create_default_context(cafile=cert))
        c.request("GET", "/api/echo")
        r = c.getresponse()
        doc = json.loads(r.read())
        c.close()
        check(r.status == 200, f"https through the gateway: status {r.status}")
        check(fields(doc, "X-Forwarded-Proto") == ["https"], f"X-Forwarded-Proto over TLS: {fields(doc, 'X-Forwarded-Proto')}")
        doc = gw.echo("GET", "/api/echo")
        check(fields(doc, "X-Forwarded-Proto") == ["http"], f"X-Forwarded-Proto on the plain port: {fields(doc, 'X-Forwarded-Proto')}")
    finally:
        gw.stop()


def test_bad_config(up):
    for key, flag in (("upstream", "--gateway.upstream=ftp://127.0.0.1:1"),
                      ("upstream", "--gateway.upstream=http://127.0.0.1:99999"),
                      ("upstream", "--gateway.upstream=http://127.0.0.1:1/base"),
                      ("upstream", "--gateway.upstream=not a url"),
                      ("prefix", "--gateway.prefix=api"),
                      ("static_dir", "--gateway.static_dir=/nonexistent/dir")):
        p = subprocess.run([BIN, "--config", CONFIG, "--server.port=0", flag], capture_output=True, text=True,
                           timeout=20)
        check(p.returncode == 2 and f"[gateway] {key}" in p.stderr and CONFIG in p.stderr,
              f"{flag}: exit {p.returncode}, stderr {p.stderr.strip()!r}")


def main():
    up = Upstream()
    docroot = tempfile.mkdtemp()
    gw = Gateway(f"--gateway.upstream={up.url}", f"--gateway.static_dir={docroot}")
    try:
        for name, fn in (("forwarding", lambda: test_forwarding(gw, up)),
                         ("hop-by-hop", lambda: test_hop_by_hop(gw, up)),
                         ("strip_prefix", lambda: test_strip_prefix(up)),
                         ("static", lambda: test_static(gw, docroot)),
                         ("pool", lambda: test_pool(gw, up)),
                         ("cancel", lambda: test_cancel(gw, up)),
                         ("upstream down", test_upstream_down),
                         ("failures", lambda: test_failures(up)),
                         ("big bodies", lambda: test_big_bodies(gw, up)),
                         ("tls", lambda: test_tls(up)),
                         ("bad config", lambda: test_bad_config(up))):
            print(f"-- {name}", flush=True)
            fn()
        code = gw.stop()
        check(code == 0, f"the gateway exited {code} on SIGTERM")
    finally:
        if gw.proc.poll() is None:
            gw.stop()
        up.stop()
    if failures:
        print("".join(gw.lines[-40:]))
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("gateway contract: all checks passed")


if __name__ == "__main__":
    main()
