#!/usr/bin/env python3
"""apps/todo's contract (docs/json-service.md), checked from outside: the real binary with
config/todo.ini on an ephemeral port, driven by Python's http.client (one keep-alive
connection) and by curl where a user would use it (compression, CORS).

usage: todo_contract.py TODO_BINARY CONFIG_FILE
"""
import gzip
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

BIN, CONFIG = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


class Service:
    """The todo binary on 127.0.0.1:0; the port is read from its log line."""

    def __init__(self, *flags):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [BIN, "--config", CONFIG, "--server.port=0", *flags],
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
            raise SystemExit("the todo service did not start:\n" + "".join(self.lines))
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def curl(self, *args):
        out = subprocess.run(["curl", "-s", "-S", "-D", "-", "--max-time", "10", *args],
                             capture_output=True, check=True)
        head, _, body = out.stdout.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers.setdefault(k.strip().lower(), v.strip())
        return status, headers, body

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.terminate()
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(5)
        return code


def is_json_error(status, headers, body, expected, what):
    check(status == expected, f"{what}: status {status}, expected {expected} (body {body[:200]!r})")
    check(headers.get("content-type", "").startswith("application/json"),
          f"{what}: Content-Type {headers.get('content-type')!r}, expected application/json")
    try:
        doc = json.loads(body)
        check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
              f"{what}: body {body!r} is not {{\"error\": \"...\"}}")
    except ValueError:
        check(False, f"{what}: body {body!r} is not JSON")
    check("x-request-id" in headers, f"{what}: no X-Request-Id")


def main():
    s = Service()
    try:
        st, h, b = s.request("GET", "/healthz")
        check(st == 200, f"GET /healthz: {st}")

        st, h, b = s.request("GET", "/todos")
        check(st == 200 and json.loads(b) == [], f"GET /todos on an empty list: {st} {b!r}")
        check(h.get("content-type", "").startswith("application/json"), f"GET /todos Content-Type {h}")
        check(re.fullmatch(r"[!-~]{1,200}", h.get("x-request-id", "")) is not None, f"X-Request-Id missing: {h}")

        st, h, b = s.request("POST", "/todos", {"title": "write docs"})
        check(st == 201, f"POST /todos: {st} {b!r}")
        check(h.get("location") == "/todos/1", f"POST /todos Location: {h.get('location')!r}")
        check(json.loads(b) == {"id": 1, "title": "write docs", "done": False}, f"POST /todos body {b!r}")
        st, h, b = s.request("POST", "/todos", {"title": "ship", "done": True})
        check(st == 201 and json.loads(b) == {"id": 2, "title": "ship", "done": True}, f"second POST: {st} {b!r}")
        check(h.get("location") == "/todos/2", f"second POST Location: {h.get('location')!r}")

        items = [{"id": 1, "title": "write docs", "done": False}, {"id": 2, "title": "ship", "done": True}]
        for path, want in (("/todos", items), ("/todos?done=true", items[1:]), ("/todos?done=false", items[:1]),
                           ("/todos?limit=1", items[:1]), ("/todos?limit=0", []),
                           ("/todos?done=true&limit=5", items[1:])):
            st, h, b = s.request("GET", path)
            check(st == 200 and json.loads(b) == want, f"GET {path}: {st} {b!r}, expected {want}")
        for path in ("/todos?done=maybe", "/todos?limit=-1", "/todos?limit=x"):
            is_json_error(*s.request("GET", path), 400, f"GET {path}")

        st, h, b = s.request("GET", "/todos/1")
        check(st == 200 and json.loads(b) == items[0], f"GET /todos/1: {st} {b!r}")
        for path in ("/todos/99", "/todos/abc", "/todos/0", "/todos/1x"):
            is_json_error(*s.request("GET", path), 404, f"GET {path}")

        # Bad bodies.
        for body, what in (({}, "no title"), ({"title": ""}, "empty title"), ({"title": 5}, "numeric title"),
                           ({"title": "x", "done": "yes"}, "string done"), ([1, 2], "an array"),
                           ({"title": None}, "null title")):
            is_json_error(*s.request("POST", "/todos", body), 422, f"POST {what}")
        for raw, what in (('{"title":', "truncated JSON"), ('{"title":"a",}', "a trailing comma"),
                          ('{"title":"\xff"}', "invalid UTF-8"), ("[" * 10000, "deep nesting")):
            is_json_error(*s.request("POST", "/todos", raw.encode("latin-1") if "\xff" in raw else raw,
                                     {"Content-Type": "application/json"}), 400, f"POST {what}")
        is_json_error(*s.request("POST", "/todos", '{"title":"a"}', {"Content-Type": "text/plain"}), 415,
                      "POST text/plain")
        big = json.dumps({"title": "x" * 20000})
        is_json_error(*s.request("POST", "/todos", big, {"Content-Type": "application/json"}), 413,
                      "POST over max_body_bytes")

        st, h, b = s.request("PATCH", "/todos/1", {"done": True})
        check(st == 200 and json.loads(b) == {"id": 1, "title": "write docs", "done": True}, f"PATCH: {st} {b!r}")
        st, h, b = s.request("PATCH", "/todos/1", {"title": "write more docs"})
        check(st == 200 and json.loads(b) == {"id": 1, "title": "write more docs", "done": True},
              f"PATCH title: {st} {b!r}")
        is_json_error(*s.request("PATCH", "/todos/1", {"done": "x"}), 422, "PATCH with a string done")
        is_json_error(*s.request("PATCH", "/todos/1", {"title": ""}), 422, "PATCH with an empty title")
        is_json_error(*s.request("PATCH", "/todos/99", {"done": True}), 404, "PATCH a missing item")

        st, h, b = s.request("DELETE", "/todos/2")
        check(st == 204 and b == b"", f"DELETE /todos/2: {st} {b!r}")
        is_json_error(*s.request("DELETE", "/todos/2"), 404, "DELETE twice")
        st, h, b = s.request("GET", "/todos")
        check(st == 200 and [t["id"] for t in json.loads(b)] == [1], f"GET after DELETE: {b!r}")

        # Framework answers are JSON too.
        is_json_error(*s.request("GET", "/nowhere"), 404, "GET an unknown path")
        st, h, b = s.request("PUT", "/todos")
        is_json_error(st, h, b, 405, "PUT /todos")
        check("POST" in h.get("allow", "") and "GET" in h.get("allow", ""), f"405 Allow: {h.get('allow')!r}")

        # Request ids: taken from the request, or made.
        st, h, b = s.request("GET", "/todos/1", headers={"X-Request-Id": "abc-123"})
        check(h.get("x-request-id") == "abc-123", f"X-Request-Id not echoed: {h.get('x-request-id')!r}")
        st, h1, b = s.request("GET", "/todos/1")
        st, h2, b = s.request("GET", "/todos/1")
        check(h1.get("x-request-id") != h2.get("x-request-id"), "two requests got the same X-Request-Id")

        # CORS (curl, as a browser's preflight would be).
        st, h, b = s.curl("-X", "OPTIONS", "-H", "Origin: http://localhost:3000",
                          "-H", "Access-Control-Request-Method: POST",
                          "-H", "Access-Control-Request-Headers: content-type", s.url("/todos"))
        check(st == 204, f"preflight: {st}")
        check(h.get("access-control-allow-origin") == "http://localhost:3000", f"preflight ACAO: {h}")
        check("POST" in h.get("access-control-allow-methods", ""), f"preflight methods: {h}")
        check("content-type" in h.get("access-control-allow-headers", "").lower(), f"preflight headers: {h}")
        st, h, b = s.curl("-X", "OPTIONS", "-H", "Origin: http://evil.example",
                          "-H", "Access-Control-Request-Method: POST", s.url("/todos"))
        check(not any(k.startswith("access-control-allow") for k in h), f"disallowed preflight got {h}")
        st, h, b = s.curl("-H", "Origin: http://localhost:3000", s.url("/todos/1"))
        check(st == 200 and h.get("access-control-allow-origin") == "http://localhost:3000", f"simple CORS: {h}")
        check("origin" in h.get("vary", "").lower(), f"Vary: Origin missing: {h}")
        st, h, b = s.curl("-H", "Origin: http://evil.example", s.url("/todos/1"))
        check(st == 200 and "access-control-allow-origin" not in h, f"disallowed origin got {h}")

        # Compression: over 1 KiB gzip, small answers as they are.
        for k in range(40):
            s.request("POST", "/todos", {"title": f"item number {k} with a longer title"})
        st, h, raw = s.curl("-H", "Accept-Encoding: gzip", s.url("/todos"))
        check(st == 200 and h.get("content-encoding") == "gzip", f"large GET /todos not gzipped: {h}")
        check("accept-encoding" in h.get("vary", "").lower(), f"Vary: Accept-Encoding missing: {h}")
        try:
            listed = json.loads(gzip.decompress(raw))
            check(len(listed) == 41, f"gzipped list has {len(listed)} items")
        except (OSError, ValueError) as e:
            check(False, f"gzipped body does not decode: {e}")
        st, h, b = s.curl("--compressed", s.url("/todos"))
        check(st == 200 and len(json.loads(b)) == 41, "curl --compressed could not read the list")
        st, h, b = s.curl("-H", "Accept-Encoding: gzip", s.url("/todos/1"))
        check(st == 200 and "content-encoding" not in h, f"small answer compressed: {h}")
        st, h, b = s.curl("-H", "Accept-Encoding: gzip;q=0", s.url("/todos"))
        check(st == 200 and "content-encoding" not in h, f"gzip;q=0 still compressed: {h}")
    finally:
        code = s.stop()
    check(code == 0, f"SIGTERM: exit code {code}")

    # max_items
    s = Service("--todo.max_items=2")
    try:
        for k in range(2):
            st, h, b = s.request("POST", "/todos", {"title": f"t{k}"})
            check(st == 201, f"POST {k} with max_items=2: {st}")
        is_json_error(*s.request("POST", "/todos", {"title": "t3"}), 409, "POST into a full list")
    finally:
        s.stop()

    # A bad setting stops the program at startup, naming the key.
    out = subprocess.run([BIN, "--config", CONFIG, "--server.port=0", "--todo.max_items=lots"],
                         capture_output=True, text=True, timeout=20)
    check(out.returncode == 2, f"--todo.max_items=lots: exit {out.returncode}")
    check("max_items" in out.stderr and "lots" in out.stderr, f"--todo.max_items=lots: stderr {out.stderr!r}")
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=20)
    check(out.returncode == 0 and "todo.max_items" in out.stdout and "cors.origins" in out.stdout,
          "--help does not list the todo settings")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("todo contract: all checks passed")


if __name__ == "__main__":
    main()
