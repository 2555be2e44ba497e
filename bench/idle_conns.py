#!/usr/bin/env python3
"""Memory per idle keep-alive connection, and whether a loaded server still answers.

    idle_conns.py --port PORT --pid PID --conns N [--settle S] [--fresh K] [--silent S]

1. sends one request on a fresh connection (warm-up), waits --settle seconds, reads the
   server's VmRSS from /proc/PID/status;
2. opens N connections to 127.0.0.1:PORT, sends `GET / HTTP/1.1` on each, reads the response,
   and keeps the connection open (no more traffic);
3. waits --settle seconds, reads VmRSS again, checks how many connections the server still keeps
   open, and times --fresh requests on new connections while the N connections are held;
4. prints one line `IDLE key=value ...` and closes everything.

With --silent S the connections arrive the other way round: all N connect first and send
nothing for S seconds (VmRSS is read then: `rss_silent_kb`, `silent_bytes_per_conn`), then
each sends its request and stays open as above. Then everything closes and, 5 s later,
VmRSS is read once more (`rss_closed_kb`): whether the memory of the burst went back.

The connections are spread over child processes of at most --per-proc connections each (the
open-file limit applies per process); child i binds its sockets to the loopback source address
127.0.0.(i+1), because one source address has only ~28,000 ephemeral ports towards one server
port. Standard library only.
"""
import argparse
import errno
import os
import resource
import select
import socket
import struct
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def response_complete(data):
    """True when `data` holds one whole HTTP response (Content-Length or chunked)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = data[:end].lower()
    body = data[end + 4:]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return len(body) >= int(value.strip())
        if name.strip() == b"transfer-encoding" and b"chunked" in value:
            return body.endswith(b"0\r\n\r\n")
    return True


def one_request(port, timeout):
    """Latency in ms of connect + request + whole response on a new connection."""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(REQUEST)
        data = b""
        while not response_complete(data):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed before a whole response")
            data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(f"unexpected response {data[:40]!r}")
    return (time.perf_counter() - t0) * 1000.0


def open_connections(port, count, source, deadline, in_flight_max=256, silent=False):
    """Open `count` connections, one request each (none with `silent`). Returns (kept
    sockets, failures)."""
    sel = select.epoll()
    pending = {}   # fd -> [socket, state, received bytes]; state: 0 connecting, 1 reading
    kept = []
    failed = 0
    started = 0

    def fail(fd):
        nonlocal failed
        sock = pending.pop(fd)[0]
        try:
            sel.unregister(fd)
        except OSError:
            pass
        sock.close()
        failed += 1

    while (started < count or pending) and time.monotonic() < deadline:
        while started < count and len(pending) < in_flight_max:
            started += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((source, 0))
                s.setblocking(False)
                rc = s.connect_ex(("127.0.0.1", port))
            except OSError:
                s.close()
                failed += 1
                continue
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                failed += 1
                continue
            pending[s.fileno()] = [s, 0, b""]
            sel.register(s.fileno(), select.EPOLLOUT)
        for fd, ev in sel.poll(0.5):
            entry = pending.get(fd)
            if entry is None:
                continue
            s = entry[0]
            if entry[1] == 0:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    fail(fd)
                    continue
                if silent:
                    sel.unregister(fd)
                    del pending[fd]
                    kept.append(s)
                    continue
                try:
                    s.send(REQUEST)
                except OSError:
                    fail(fd)
                    continue
                entry[1] = 1
                sel.modify(fd, select.EPOLLIN)
                continue
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                fail(fd)
                continue
            if not chunk:
                fail(fd)
                continue
            entry[2] += chunk
            if response_complete(entry[2]):
                ok = entry[2].startswith(b"HTTP/1.1 200")
                sel.unregister(fd)
                del pending[fd]
                if ok:
                    kept.append(s)
                else:
                    s.close()
                    failed += 1
    for fd in list(pending):
        fail(fd)
    failed += count - started
    sel.close()
    return kept, failed


def speak(socks, deadline):
    """Send the request on every connection and read each response. Returns (kept, failed)."""
    sel = select.epoll()
    pending = {}
    kept, failed = [], 0
    for s in socks:
        try:
            s.send(REQUEST)
        except OSError:
            s.close()
            failed += 1
            continue
        pending[s.fileno()] = [s, b""]
        sel.register(s.fileno(), select.EPOLLIN)
    while pending and time.monotonic() < deadline:
        for fd, ev in sel.poll(0.5):
            s, data = pending[fd]
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            data += chunk
            pending[fd][1] = data
            if chunk and not response_complete(data):
                continue
            sel.unregister(fd)
            del pending[fd]
            if chunk and data.startswith(b"HTTP/1.1 200"):
                kept.append(s)
            else:
                s.close()
                failed += 1
    for s, _ in pending.values():
        s.close()
        failed += 1
    sel.close()
    return kept, failed


def still_open(socks):
    """Connections the server has not closed: nothing readable (no EOF, no stray bytes)."""
    p = select.poll()
    for s in socks:
        p.register(s.fileno(), select.POLLIN | select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    closed = len(p.poll(0))
    return len(socks) - closed


def child(index, port, count, deadline, to_parent, from_parent, silent):
    """Open connections, report (silent: wait for 'speak', send, report again), wait for
    'check', report, wait for 'quit'."""
    source = f"127.0.0.{index + 1}"
    parent = os.getppid()
    kept, failed = open_connections(port, count, source, deadline, silent=silent)
    os.write(to_parent, f"opened {len(kept)} {failed}\n".encode())
    if silent:
        read_line(from_parent, deadline + 3600)
        kept, more = speak(kept, deadline + 3600)
        os.write(to_parent, f"spoke {len(kept)} {failed + more}\n".encode())
    # Bounded: leave when told, when the parent is gone, or an hour after the deadline.
    buf = b""
    while time.monotonic() < deadline + 3600 and os.getppid() == parent:
        r, _, _ = select.select([from_parent], [], [], 1.0)
        if not r:
            continue
        chunk = os.read(from_parent, 256)
        if not chunk:
            break
        buf += chunk
        if b"check\n" in buf:
            buf = buf.replace(b"check\n", b"", 1)
            os.write(to_parent, f"open {still_open(kept)}\n".encode())
        if b"quit\n" in buf:
            break
    linger = struct.pack("ii", 1, 0)   # reset on close: no TIME_WAIT left behind for later runs
    for s in kept:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        except OSError:
            pass
        s.close()
    os._exit(0)


def read_line(fd, deadline):
    buf = b""
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("a child did not answer in time")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 256)
            if not chunk:
                raise ConnectionError("a child exited early")
            buf += chunk
    return buf.decode().split()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="server process to read VmRSS of")
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds before reading VmRSS")
    ap.add_argument("--fresh", type=int, default=5, help="fresh requests timed under load")
    ap.add_argument("--per-proc", type=int, default=15000, help="connections per client process")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds allowed to open all")
    ap.add_argument("--silent", type=float, default=0.0,
                    help="connect all first and stay silent this long, then send")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = min(args.conns, args.per_proc) + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    per_proc = max(1, min(args.per_proc, soft - 64))

    one_request(args.port, 5.0)
    time.sleep(args.settle)
    rss_before = vm_rss_kb(args.pid)

    t0 = time.monotonic()
    deadline = t0 + args.timeout
    children = []
    left = args.conns
    index = 0
    while left > 0:
        n = min(per_proc, left)
        left -= n
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(up_r)
            os.close(down_w)
            for _, other_up, other_down in children:
                os.close(other_up)
                os.close(other_down)
            try:
                child(index, args.port, n, deadline, up_w, down_r, args.silent > 0)
            finally:
                os._exit(1)
        os.close(up_w)
        os.close(down_r)
        children.append((pid, up_r, down_w))
        index += 1

    opened = failed = 0
    rss_silent = None
    try:
        for _, up_r, _ in children:
            words = read_line(up_r, deadline + 10)
            opened += int(words[1])
            failed += int(words[2])
        if args.silent > 0:
            time.sleep(args.silent)
            rss_silent = vm_rss_kb(args.pid)
            for _, _, down_w in children:
                os.write(down_w, b"speak\n")
            opened = failed = 0
            for _, up_r, _ in children:
                words = read_line(up_r, deadline + 60)
                opened += int(words[1])
                failed += int(words[2])
        open_s = time.monotonic() - t0
        time.sleep(args.settle)
        rss_after = vm_rss_kb(args.pid)
        fresh = []
        for _ in range(args.fresh):
            try:
                fresh.append(one_request(args.port, 10.0))
            except OSError as e:
                print(f"idle_conns: fresh request failed: {e}", file=sys.stderr)
        for _, _, down_w in children:
            os.write(down_w, b"check\n")
        kept = 0
        for _, up_r, _ in children:
            kept += int(read_line(up_r, time.monotonic() + 30)[1])
    finally:
        for pid, up_r, down_w in children:
            try:
                os.write(down_w, b"quit\n")
            except OSError:
                pass
            os.close(down_w)
            os.close(up_r)
        for pid, _, _ in children:
            os.waitpid(pid, 0)
    time.sleep(5)
    rss_closed = vm_rss_kb(args.pid)

    per_conn = (rss_after - rss_before) * 1024 / opened if opened else float("nan")
    fresh.sort()
    fresh_ms = f"{fresh[len(fresh) // 2]:.2f}" if fresh else "failed"
    fresh_max = f"{fresh[-1]:.2f}" if fresh else "failed"
    print(f"IDLE conns={args.conns} opened={opened} failed={failed} still_open={kept} "
          f"open_s={open_s:.1f} rss_before_kb={rss_before} rss_after_kb={rss_after} "
          f"bytes_per_conn={per_conn:.0f} fresh_ms={fresh_ms} fresh_max_ms={fresh_max} "
          f"fresh_ok={len(fresh)}/{args.fresh} rss_closed_kb={rss_closed}"
          + (f" rss_silent_kb={rss_silent} silent_bytes_per_conn="
             f"{(rss_silent - rss_before) * 1024 / args.conns:.0f}" if rss_silent is not None else ""))
    return 0 if opened == args.conns and fresh else 1


if __name__ == "__main__":
    sys.exit(main())
