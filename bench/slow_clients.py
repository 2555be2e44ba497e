#!/usr/bin/env python3
"""Slow writers and slow readers against a hello-world server: memory, CPU and correctness.

    slow_clients.py --port PORT --pid PID --mode writers [--conns N] [--interval S]
    slow_clients.py --port PORT --pid PID --mode readers [--conns N] [--depth D] [--stall S]

writers: N clients connect and send their request head one byte per connection every
    --interval seconds (a 46-byte head takes 46 rounds), then read the answer and stay open.
    Measured: VmRSS halfway through the heads (bytes per connection over the level before),
    the server's CPU time for the whole exchange divided by N (each request arrives in 46
    segments, so this is 46 wake-ups, reads and partial head checks), a fresh request's time
    while the heads trickle, and how many of the N got `200 Hello World`.
readers: N clients each send D pipelined requests at once and read nothing for --stall
    seconds (their receive buffers are 4 KiB), then read everything. Measured: VmRSS while
    they stall (a server that keeps reading requests it cannot answer grows here with D; one
    that stops reading does not), VmRSS once all is read, and whether every connection got all
    D answers, in order and whole.

Prints one line `SLOW key=value ...`. Standard library only.
"""
import argparse
import os
import select
import socket
import sys
import time

from idle_conns import vm_rss_kb  # same folder

HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: slow-client\r\n\r\n"
BODY = b"Hello World\n"


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def connect(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect(("127.0.0.1", port))
    return s


def fresh_request_ms(port, timeout=10.0):
    t0 = time.monotonic()
    s = connect(port)
    s.settimeout(timeout)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if data.endswith(BODY):
            break
    s.close()
    if not data.startswith(b"HTTP/1.1 200") or not data.endswith(BODY):
        raise RuntimeError(f"fresh request: unexpected answer {data[:80]!r}")
    return (time.monotonic() - t0) * 1000


def count_answers(data):
    """Whole `200 ... Hello World` answers at the start of data, and the bytes they span."""
    n, pos = 0, 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0 or len(data) < end + 4 + len(BODY):
            return n, pos
        if not data.startswith(b"HTTP/1.1 200", pos) or data[end + 4:end + 4 + len(BODY)] != BODY:
            raise RuntimeError(f"unexpected answer {data[pos:pos + 80]!r}")
        n += 1
        pos = end + 4 + len(BODY)


def read_all(socks, want, deadline, unsent=None):
    """Reads each socket until it holds `want` whole answers; returns the counts. `unsent`
    (socket -> bytes) is sent as the server makes room."""
    unsent = unsent or {}
    ep = select.epoll()
    pending, counts = {}, {}
    for s in socks:
        s.setblocking(False)
        ep.register(s.fileno(), select.EPOLLIN | (select.EPOLLOUT if s in unsent else 0))
        pending[s.fileno()] = [s, b""]
        counts[s.fileno()] = 0
    while pending and time.monotonic() < deadline:
        for fd, ev in ep.poll(0.5):
            s, buf = pending[fd]
            if ev & select.EPOLLOUT and s in unsent:
                try:
                    unsent[s] = unsent[s][s.send(unsent[s]):]
                except BlockingIOError:
                    pass
                if not unsent[s]:
                    del unsent[s]
                    ep.modify(fd, select.EPOLLIN)
            if not ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                continue
            try:
                chunk = s.recv(1 << 18)
            except BlockingIOError:
                continue
            if not chunk:
                ep.unregister(fd)
                del pending[fd]
                continue
            buf += chunk
            n, used = count_answers(buf)
            counts[fd] += n
            pending[fd][1] = buf[used:]
            if counts[fd] >= want:
                ep.unregister(fd)
                del pending[fd]
    ep.close()
    return [counts[s.fileno()] for s in socks]


def writers(args):
    pid, port = args.pid, args.port
    fresh_request_ms(port)
    time.sleep(args.settle)
    rss_before, cpu_before = vm_rss_kb(pid), cpu_ticks(pid)
    socks = [connect(port) for _ in range(args.conns)]
    rss_mid, fresh_ms = 0, 0.0
    t0 = time.monotonic()
    for i in range(len(HEAD)):
        for s in socks:
            s.send(HEAD[i:i + 1])
        if i == len(HEAD) // 2:
            time.sleep(args.interval)
            rss_mid = vm_rss_kb(pid)
            fresh_ms = fresh_request_ms(port)
        else:
            time.sleep(args.interval)
    counts = read_all(socks, 1, time.monotonic() + 60)
    elapsed = time.monotonic() - t0
    cpu = cpu_ticks(pid) - cpu_before
    ok = sum(1 for c in counts if c == 1)
    for s in socks:
        s.close()
    clk = os.sysconf("SC_CLK_TCK")
    print(f"SLOW mode=writers conns={args.conns} segments={len(HEAD)} ok={ok} "
          f"rss_before_kb={rss_before} rss_mid_kb={rss_mid} "
          f"mid_bytes_per_conn={(rss_mid - rss_before) * 1024 / args.conns:.0f} "
          f"cpu_us_per_request={cpu * 1e6 / clk / args.conns:.1f} fresh_ms={fresh_ms:.1f} "
          f"seconds={elapsed:.1f}")
    return 0 if ok == args.conns else 1


def readers(args):
    pid, port = args.pid, args.port
    fresh_request_ms(port)
    time.sleep(args.settle)
    rss_before = vm_rss_kb(pid)
    socks = [connect(port, rcvbuf=4096) for _ in range(args.conns)]
    requests = HEAD * args.depth
    unsent = {}
    for s in socks:
        s.setblocking(False)
        try:
            n = s.send(requests)
        except BlockingIOError:
            n = 0
        if n < len(requests):
            unsent[s] = requests[n:]
    time.sleep(args.stall)
    rss_stalled = vm_rss_kb(pid)
    # Read everything; what the server did not take yet is sent as it makes room.
    counts = read_all(socks, args.depth, time.monotonic() + 120, unsent)
    time.sleep(args.settle)
    rss_after = vm_rss_kb(pid)
    for s in socks:
        s.close()
    whole = sum(1 for c in counts if c == args.depth)
    print(f"SLOW mode=readers conns={args.conns} depth={args.depth} ok={whole} "
          f"answers={sum(counts)} rss_before_kb={rss_before} rss_stalled_kb={rss_stalled} "
          f"stalled_bytes_per_conn={(rss_stalled - rss_before) * 1024 / args.conns:.0f} "
          f"rss_after_kb={rss_after}")
    return 0 if whole == args.conns else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="server process to read VmRSS and CPU of")
    ap.add_argument("--mode", choices=["writers", "readers"], required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.05, help="writers: seconds between bytes")
    ap.add_argument("--depth", type=int, default=2000, help="readers: pipelined requests per connection")
    ap.add_argument("--stall", type=float, default=3.0, help="readers: seconds before reading")
    ap.add_argument("--settle", type=float, default=1.0)
    args = ap.parse_args()
    return writers(args) if args.mode == "writers" else readers(args)


if __name__ == "__main__":
    sys.exit(main())
