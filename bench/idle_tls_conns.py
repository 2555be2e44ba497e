#!/usr/bin/env python3
"""Memory per idle TLS keep-alive connection.

    idle_tls_conns.py --port PORT --pid PID --conns N [--ca FILE] [--settle S]

Sends one request on a new TLS connection (warm-up), reads the server's VmRSS, then opens N
TLS connections to 127.0.0.1:PORT (full handshake each, TLS 1.3), sends `GET / HTTP/1.1` on each,
reads the response and keeps the connection open; after --settle seconds reads VmRSS again,
checks that every connection still answers a second request, and prints one line
`IDLE_TLS key=value ...`. Standard library only (the ssl module).
"""
import argparse
import resource
import socket
import ssl
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def rss_of(pids):
    return sum(vm_rss_kb(p) for p in pids)


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed before a response")
        data += d
    head, body = data.split(b"\r\n\r\n", 1)
    n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < n:
        body += s.recv(4096)
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head[:40])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, action="append", required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--settle", type=float, default=3)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    warm = ctx.wrap_socket(socket.create_connection(("127.0.0.1", args.port)))
    warm.sendall(REQUEST)
    read_response(warm)
    warm.close()
    time.sleep(args.settle)
    before = rss_of(args.pid)
    conns = []
    t0 = time.monotonic()
    for _ in range(min(args.conns, hard - 100)):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", args.port)))
        s.sendall(REQUEST)
        read_response(s)
        conns.append(s)
    took = time.monotonic() - t0
    time.sleep(args.settle)
    after = rss_of(args.pid)
    alive = 0
    for s in conns[:: max(1, len(conns) // 200)]:  # a sample answers again
        s.sendall(REQUEST)
        read_response(s)
        alive += 1
    per = (after - before) * 1024 / len(conns)
    print(f"IDLE_TLS conns={len(conns)} rss_before_kb={before} rss_after_kb={after} "
          f"bytes_per_conn={per:.0f} open_s={took:.1f} sample_answered={alive}")
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
