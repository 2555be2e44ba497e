#!/usr/bin/env python3
"""An HTTP/1.1 upstream for tests/apps/gateway_contract.py: it answers what it was sent, and
misbehaves when a path asks it to. Every connection is counted and every request and close is
recorded, so a test can assert what the upstream saw (GET /__stats, on its own connection).

usage: gateway_upstream.py   (prints "listening PORT" on stdout once it accepts connections)

Paths (any prefix before them is ignored, so /api/echo and /echo are the same):
  /echo             200, a JSON document: method, target, headers (in order), body length and
                    SHA-256, and the body itself when it is under 64 KiB
  /download?bytes=N N bytes of a repeating pattern; &chunked=1 without Content-Length
  /slow?ms=M        the head after M ms
  /slowbody?ms=M    the head and one body byte at once, the rest after M ms
  /garbage          bytes that are not HTTP, then close
  /cut?bytes=N      Content-Length: 2N, N bytes, then close
  /hang?id=X        reads until the peer closes; records "closed X" (no answer)
  /drain?id=X       reads the body (stopping for &pause_ms=M after its first MiB), records its
                    length ("drained X N", or "aborted X N" when the peer went away), answers N
  /hop              answers with hop-by-hop fields of every kind
  /__stats          JSON: connections accepted (not counting /__stats ones), open, events
"""
import hashlib
import json
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

PATTERN = bytes(range(256)) * 256  # 64 KiB

lock = threading.Lock()
stats = {"accepted": 0, "open": 0, "events": []}


def record(event):
    with lock:
        stats["events"].append(event)


class Closed(Exception):
    pass


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Closed()
            self.fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read(self, n):
        """Up to n bytes (at least one)."""
        if not self.buf:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def body(self, headers, sink):
        """Feeds the request body to sink(bytes)."""
        te = [v for k, v in headers if k.lower() == "transfer-encoding"]
        cl = [v for k, v in headers if k.lower() == "content-length"]
        if te:
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():
                        pass
                    return
                while size:
                    part = self.read(size)
                    size -= len(part)
                    sink(part)
                self.line()
        left = int(cl[0]) if cl else 0
        while left:
            part = self.read(min(left, 65536))
            left -= len(part)
            sink(part)


def send_head(sock, status, fields, reason="OK"):
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
    sock.sendall(head.encode("latin-1"))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = Conn(self.request)
        counted = False
        try:
            while True:
                start = c.line()
                while start == b"":
                    start = c.line()
                method, target, _version = start.decode("latin-1").split(" ", 2)
                headers = []
                while True:
                    l = c.line()
                    if not l:
                        break
                    k, _, v = l.decode("latin-1").partition(":")
                    headers.append((k.strip(), v.strip()))
                url = urllib.parse.urlsplit(target)
                q = dict(urllib.parse.parse_qsl(url.query))
                name = url.path.rstrip("/").rsplit("/", 1)[-1]
                if not counted and name != "__stats":
                    counted = True
                    with lock:
                        stats["accepted"] += 1
                        stats["open"] += 1
                if not self.answer(c, method, target, name, q, headers):
                    return
        except (Closed, ConnectionError, OSError, ValueError):
            pass
        finally:
            if counted:
                with lock:
                    stats["open"] -= 1
            try:
                self.request.close()
            except OSError:
                pass

    def answer(self, c, method, target, name, q, headers):
        """Answers one request; False when the connection must close."""
        s = self.request
        if name == "__stats":
            c.body(headers, lambda b: None)
            with lock:
                doc = json.dumps(stats).encode()
            send_head(s, 200, [("Content-Type", "application/json"), ("Content-Length", len(doc))])
            s.sendall(doc)
            return True
        if name == "hang":
            record(f"request {q.get('id', '')}")
            try:
                c.body(headers, lambda b: None)
                while True:
                    c.fill()
            except (Closed, OSError):
                record(f"closed {q.get('id', '')}")
            return False
        if name == "drain":
            pause = int(q.get("pause_ms", "0")) / 1000
            got = [0]

            def sink(b):
                if got[0] < 1 << 20 <= got[0] + len(b) and pause:
                    record(f"pausing {q.get('id', '')}")
                    time.sleep(pause)
                got[0] += len(b)
            try:
                c.body(headers, sink)
            except Closed:
                record(f"aborted {q.get('id', '')} {got[0]}")
                raise
            record(f"drained {q.get('id', '')} {got[0]}")
            send_head(s, 200, [("Content-Length", len(str(got[0])))])
            s.sendall(str(got[0]).encode())
            return True

        h = hashlib.sha256()
        kept = bytearray()
        size = [0]

        def sink(b):
            size[0] += len(b)
            h.update(b)
            if len(kept) < 65536:
                kept.extend(b[:65536 - len(kept)])
        c.body(headers, sink)

        if name == "slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
        if name == "garbage":
            s.sendall(b"this is not HTTP at all\r\n\r\n")
            return False
        if name == "cut":
            n = int(q.get("bytes", "1000"))
            send_head(s, 200, [("Content-Length", 2 * n)])
            s.sendall(PATTERN[:n] if n <= len(PATTERN) else (PATTERN * (n // len(PATTERN) + 1))[:n])
            time.sleep(0.05)
            return False
        if name == "slowbody":
            send_head(s, 200, [("Content-Length", 2)])
            s.sendall(b"a")
            time.sleep(int(q.get("ms", "1000")) / 1000)
            s.sendall(b"b")
            return True
        if name == "download":
            n = int(q.get("bytes", "0"))
            chunked = q.get("chunked") == "1"
            fields = [("Content-Type", "application/octet-stream")]
            fields.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", n))
            send_head(s, 200, fields)
            while n:
                part = PATTERN[:min(n, len(PATTERN))]
                n -= len(part)
                s.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            if chunked:
                s.sendall(b"0\r\n\r\n")
            return True
        if name == "hop":
            body = b"hop"
            send_head(s, 200, [("Connection", "keep-alive, X-Upstream-Private"), ("Keep-Alive", "timeout=5"),
                               ("X-Upstream-Private", "secret"), ("Proxy-Authenticate", "Basic"),
                               ("Trailer", "X-T"), ("Upgrade", "h2c"), ("X-Kept", "yes"),
                               ("Content-Length", len(body))])
            s.sendall(body)
            return True

        doc = {"method": method, "target": target, "headers": headers, "length": size[0],
               "sha256": h.hexdigest()}
        if size[0] <= 65536:
            doc["body"] = kept.decode("latin-1")
        out = json.dumps(doc).encode()
        send_head(s, 200, [("Content-Type", "application/json"), ("Content-Length", len(out)),
                           ("X-Upstream", "echo")])
        if method != "HEAD":
            s.sendall(out)
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    print(f"listening {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
