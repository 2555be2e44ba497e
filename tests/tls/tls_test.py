#!/usr/bin/env python3
"""HTTPS with real clients: curl, openssl s_client, Python's ssl module and Node's ws.

Usage: tls_test.py TLS_APP ECHO_APP CHAT_APP SOURCE_DIR

Certificates and keys are made with the openssl CLI in a temporary directory for each run
(nothing private is committed). Every wait is for an event (a log line, a byte, a close),
bounded by a deadline.
"""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

TLS_APP, ECHO_APP, CHAT_APP, SOURCE_DIR = sys.argv[1:5]
del sys.argv[1:5]
DIR = tempfile.mkdtemp(prefix="nodus_tls_")


def run(*args, input=None, timeout=30):
    return subprocess.run(args, input=input, capture_output=True, timeout=timeout)


def make_ca(name):
    key, crt = f"{DIR}/{name}.key", f"{DIR}/{name}.pem"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={name}")
    return crt, key


def make_cert(name, ca, serial, dns=None, client=False):
    """A leaf signed by `ca`, with `serial`; returns (cert, key)."""
    key, csr, crt = f"{DIR}/{name}.key", f"{DIR}/{name}.csr", f"{DIR}/{name}.pem"
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", f"/CN={dns or name}")
    ext = f"{DIR}/{name}.ext"
    with open(ext, "w") as f:
        if client:
            f.write("extendedKeyUsage=clientAuth\n")
        else:
            f.write(f"subjectAltName=DNS:{dns or 'localhost'},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-set_serial", str(serial),
        "-days", "2", "-out", crt, "-extfile", ext)
    return crt, key


CA = make_ca("test-ca")
SERVER = make_cert("server", CA, 1001)
RENEWED = make_cert("renewed", CA, 2002)
SNI_B = make_cert("b", CA, 3003, dns="b.test")
CLIENT = make_cert("client", CA, 4004, client=True)
OTHER_CA = make_ca("other-ca")
STRANGER = make_cert("stranger", OTHER_CA, 5005, client=True)


class server:
    """A nodus program on ephemeral ports; its log is a file read as it grows."""

    def __init__(self, binary, *args, tls=True, cert=SERVER, extra_env=None):
        self.log_path = tempfile.mktemp(dir=DIR, suffix=".log")
        argv = [binary, "--server.port=0", "--log.level=debug", *args]
        if tls:
            argv += ["--tls.port=0", f"--tls.cert={cert[0]}", f"--tls.key={cert[1]}"]
        env = dict(os.environ, **(extra_env or {}))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.port = self.https = None
        self.port = int(self.wait_log(r"Server running at http://[^:]+:(\d+)/", 15).group(1))
        if tls:
            self.https = int(self.wait_log(r"Server running at https://[^:]+:(\d+)/", 15).group(1))

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, timeout=10, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = list(re.finditer(pattern, self.text()))
            if len(found) >= count:
                return found[count - 1]
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no {pattern!r} in the log:\n{self.text()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def client_context(ca=CA, cert=None, **kw):
    ctx = ssl.create_default_context(cafile=ca[0])
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def tls_connect(port, ctx=None, server_hostname="localhost", session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return (ctx or client_context()).wrap_socket(raw, server_hostname=server_hostname, session=session)


def read_response(sock):
    """One HTTP/1.1 response with Content-Length or chunked: (status, body). Bytes past it
    (pipelined responses) stay for the next call."""
    buf = leftover.pop(sock, b"")

    def more():
        d = sock.recv(65536)
        if not d:
            raise AssertionError(f"closed before the response's end: {buf[:200]!r}")
        return d

    while b"\r\n\r\n" not in buf:
        buf += more()
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    if status == 100:
        leftover[sock] = rest
        return read_response(sock)
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    if m:
        n = int(m.group(1))
        while len(rest) < n:
            rest += more()
        leftover[sock] = rest[n:]
        return status, rest[:n]
    body = b""
    while True:
        while b"\r\n" not in rest:
            rest += more()
        size, rest = rest.split(b"\r\n", 1)
        n = int(size, 16)
        while len(rest) < n + 2:
            rest += more()
        if n == 0:
            leftover[sock] = rest[2:]
            return status, body
        body, rest = body + rest[:n], rest[n + 2 :]


leftover = {}


def get(sock, path="/"):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return read_response(sock)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def s_client(port, *args, input=b"", servername="localhost"):
    # With requests to send, it waits for the server's close (they end with Connection: close).
    wait = ["-ign_eof"] if input else []
    r = run("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", servername, "-CAfile", CA[0],
            *wait, *args, input=input)
    return (r.stdout + r.stderr).decode(errors="replace")


def peer_serial(port, servername="localhost"):
    out = s_client(port, "-showcerts", servername=servername)
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S).group(0)
    r = run("openssl", "x509", "-noout", "-serial", "-subject", input=pem.encode())
    return r.stdout.decode()


class https(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = server(TLS_APP)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        assert rc == 0, f"exit code {rc}:\n{cls.srv.text()}"

    def test_curl_keep_alive_and_secure_flag(self):
        url = f"https://localhost:{self.srv.https}"
        r = run("curl", "-sv", "--cacert", CA[0], f"{url}/", f"{url}/scheme")
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err)
        self.assertEqual(r.stdout, b"Hello World\nhttps")
        self.assertIn("Re-using existing connection", err)
        self.assertIn("ALPN: server accepted http/1.1", err)
        plain = run("curl", "-s", f"http://127.0.0.1:{self.srv.port}/scheme")
        self.assertEqual(plain.stdout, b"http")

    def test_pipelined_requests_through_s_client(self):
        reqs = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 5 + b"GET /scheme HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        out = s_client(self.srv.https, "-quiet", "-alpn", "http/1.1", input=reqs)
        self.assertEqual(out.count("Hello World"), 5, out)
        self.assertIn("Connection: close\r\n\r\nhttps", out)

    def test_pipelined_requests_in_one_record(self):
        s = tls_connect(self.srv.https)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        for _ in range(50):
            self.assertEqual(read_response(s), (200, b"Hello World\n"))
        s.close()

    def test_idle_connection_parks_and_comes_back(self):
        # A connection that has served one request parks at once (its SSL object with it) and
        # comes back into the loop with the next request.
        s = tls_connect(self.srv.https)
        for _ in range(3):
            self.assertEqual(get(s), (200, b"Hello World\n"))
        s.close()

    def test_an_incomplete_record_waits_for_the_socket(self):
        # A request record that arrives in two pieces: between them the server has part of
        # a record inside OpenSSL and must wait for the socket, not spin on it.
        raw = socket.create_connection(("127.0.0.1", self.srv.https), timeout=10)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = client_context().wrap_bio(inc, out, server_hostname="localhost")
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(out.read())
                inc.write(raw.recv(65536))
        raw.sendall(out.read())
        tls.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        record = out.read()
        raw.sendall(record[:10])
        t0 = cpu_seconds(self.srv.proc.pid)
        time.sleep(1)  # the window in which the server's CPU time is measured
        self.assertLess(cpu_seconds(self.srv.proc.pid) - t0, 0.05)
        raw.sendall(record[10:])
        got = b""
        while b"Hello World" not in got:
            inc.write(raw.recv(65536))
            try:
                got += tls.read(65536)
            except ssl.SSLWantReadError:
                pass
        raw.close()

    def interactive_s_client(self, version):
        p = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{self.srv.https}", version,
                              "-CAfile", CA[0], "-servername", "localhost"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def until(text):
            seen = b""
            while text not in seen:
                line = p.stdout.readline()
                if not line:
                    return seen
                seen += line
            return seen

        return p, until

    def test_key_update_and_no_renegotiation(self):
        # TLS 1.3 KeyUpdate: the server answers it from inside its read, and goes on serving.
        p, until = self.interactive_s_client("-tls1_3")
        p.stdin.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        p.stdin.flush()
        self.assertIn(b"Hello World", until(b"Hello World"))
        p.stdin.write(b"K\n")
        p.stdin.flush()
        self.assertIn(b"KEYUPDATE", until(b"KEYUPDATE"))
        p.stdin.write(b"GET /scheme HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        p.stdin.flush()
        self.assertIn(b"https", until(b"https"))
        p.stdin.close()
        p.wait(10)
        # TLS 1.2 renegotiation is refused.
        p, until = self.interactive_s_client("-tls1_2")
        p.stdin.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        p.stdin.flush()
        until(b"Hello World")
        p.stdin.write(b"R\n")
        p.stdin.flush()
        self.assertIn(b"no renegotiation", until(b"no renegotiation"))
        p.stdin.close()
        p.wait(10)

    def test_alpn_and_versions(self):
        out = s_client(self.srv.https, "-alpn", "http/1.1")
        self.assertIn("ALPN protocol: http/1.1", out)
        for old in ("-tls1", "-tls1_1"):
            out = s_client(self.srv.https, old)
            self.assertRegex(out, r"alert protocol version|no protocols available|unsupported protocol", out)
            self.assertIn("Cipher is (NONE)", out)
        self.assertIn("New, TLSv1.2", s_client(self.srv.https, "-tls1_2"))
        self.srv.wait_log(r"TLS handshake with 127\.0\.0\.1 failed: .*unsupported protocol")

    def test_resumption_with_tickets(self):
        sess = f"{DIR}/sess-{time.monotonic_ns()}"
        req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        for version in ("-tls1_2", "-tls1_3"):
            first = s_client(self.srv.https, version, "-sess_out", sess, input=req)
            self.assertIn("New,", first)
            again = s_client(self.srv.https, version, "-sess_in", sess, input=req)
            self.assertIn("Reused,", again, again)
            self.assertIn("Hello World", again)

    def test_bad_input_never_crashes(self):
        # plain HTTP, garbage, a half hello, then a silent client closing: the server goes on
        for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(4000), b"\x16\x03\x01\x02\x00\x01"):
            raw = socket.create_connection(("127.0.0.1", self.srv.https), timeout=10)
            try:  # the server may close (or reset) before all of it is sent
                raw.sendall(junk)
                raw.shutdown(socket.SHUT_WR)
                while raw.recv(4096):
                    pass
            except (ConnectionResetError, BrokenPipeError, OSError):
                pass
            raw.close()
        # Clients that leave at once after the handshake: writing to them must not raise SIGPIPE.
        r = run("openssl", "s_time", "-connect", f"127.0.0.1:{self.srv.https}", "-new", "-time", "1")
        self.assertRegex(r.stdout.decode(), r"[1-9]\d* connections in", r.stdout + r.stderr)
        self.srv.wait_log(r"TLS handshake with 127\.0\.0\.1 failed: .*http request")
        s = tls_connect(self.srv.https)
        self.assertEqual(get(s), (200, b"Hello World\n"))
        s.close()
        self.assertIsNone(self.srv.proc.poll())


class static_files(unittest.TestCase):
    """Files over TLS: sendfile cannot encrypt, so they are read in pieces and written through
    OpenSSL; every byte, ranges, validators and a slow reader as over plain HTTP."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(dir=DIR)
        cls.big = os.urandom(3 << 20)
        with open(f"{cls.root}/big.bin", "wb") as f:
            f.write(cls.big)
        cls.srv = server(TLS_APP, extra_env={"TLS_APP_STATIC": cls.root})
        cls.url = f"https://localhost:{cls.srv.https}/files/big.bin"

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        assert rc == 0, f"exit code {rc}:\n{cls.srv.text()}"

    def test_whole_file_range_and_validators_with_curl(self):
        r = run("curl", "-s", "-D", "-", "-o", f"{DIR}/got.bin", "--cacert", CA[0], self.url, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        head = r.stdout.decode()
        self.assertIn("HTTP/1.1 200", head)
        self.assertIn(f"Content-Length: {len(self.big)}", head)
        with open(f"{DIR}/got.bin", "rb") as f:
            self.assertEqual(f.read(), self.big)
        etag = re.search(r"ETag: (\S+)", head).group(1)
        r = run("curl", "-s", "-D", "-", "--cacert", CA[0], "-r", "1000000-1000099", self.url)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        self.assertIn(b"HTTP/1.1 206", head)
        self.assertIn(f"Content-Range: bytes 1000000-1000099/{len(self.big)}".encode(), head)
        self.assertEqual(body, self.big[1000000:1000100])
        r = run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", CA[0], "-H",
                f"If-None-Match: {etag}", self.url)
        self.assertEqual(r.stdout, b"304")

    def test_slow_reader_gets_every_byte(self):
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(30)
        raw.connect(("127.0.0.1", self.srv.https))
        s = client_context().wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        status, body = read_response(s)
        self.assertEqual(status, 200)
        self.assertEqual(body, self.big)
        self.assertEqual(get(s), (200, b"Hello World\n"))
        s.close()


class streaming(unittest.TestCase):
    """The echo app's streaming routes over TLS: bodies both ways, backpressure, 100-continue."""

    @classmethod
    def setUpClass(cls):
        cls.srv = server(ECHO_APP, "--http.max_body_bytes=0")

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        assert rc == 0, f"exit code {rc}:\n{cls.srv.text()}"

    def test_large_body_both_ways_with_curl(self):
        data = os.urandom(8 << 20)
        path = f"{DIR}/upload.bin"
        with open(path, "wb") as f:
            f.write(data)
        r = run("curl", "-s", "--cacert", CA[0], "--data-binary", f"@{path}", "-H", "Expect: 100-continue",
                "-H", "Content-Type: application/octet-stream", f"https://localhost:{self.srv.https}/echo",
                timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)
        r = run("curl", "-s", "--cacert", CA[0], f"https://localhost:{self.srv.https}/stream?bytes=20000000",
                timeout=60)
        self.assertEqual(len(r.stdout), 20000000)

    def test_expect_100_continue(self):
        s = tls_connect(self.srv.https)
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = s.recv(100)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim)
        leftover[s] = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n") :]
        s.sendall(b"hello")
        self.assertEqual(read_response(s), (200, b"hello"))
        s.close()

    def test_client_gone_mid_response(self):
        for _ in range(5):
            s = tls_connect(self.srv.https)
            s.sendall(b"GET /stream?bytes=50000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1000)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            s.close()  # a reset while the server is writing
        s = tls_connect(self.srv.https)
        self.assertEqual(get(s), (200, b"Hello World\n"))
        s.close()

    def test_slow_reader_gets_everything(self):
        # Backpressure: a small receive window read in small pieces keeps the server's
        # socket full (want-write), and the response still arrives whole.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(30)
        raw.connect(("127.0.0.1", self.srv.https))
        s = client_context().wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /stream?bytes=8000000 HTTP/1.1\r\nHost: x\r\n\r\n")
        status, body = read_response(s)
        self.assertEqual((status, len(body)), (200, 8000000))
        self.assertEqual(get(s), (200, b"Hello World\n"))
        s.close()


class configuration(unittest.TestCase):
    def test_bad_files_at_startup_exit_2_naming_the_file(self):
        garbage = f"{DIR}/garbage.pem"
        with open(garbage, "w") as f:
            f.write("not a certificate\n")
        cases = [
            ((f"{DIR}/missing.pem", SERVER[1]), "missing.pem", "No such file"),
            ((garbage, SERVER[1]), "garbage.pem", "not a PEM certificate"),
            ((SERVER[0], RENEWED[1]), "renewed.key", "does not match"),
        ]
        for cert, name, why in cases:
            for extra in ([], ["--cluster.workers=2"]):
                r = run(TLS_APP, "--server.port=0", "--tls.port=0", f"--tls.cert={cert[0]}",
                        f"--tls.key={cert[1]}", *extra)
                err = r.stderr.decode()
                self.assertEqual(r.returncode, 2, err)
                self.assertIn(name, err)
                self.assertIn(why, err)

    def test_sni_picks_the_certificate(self):
        srv = server(TLS_APP, f"--tls.sni_certs={SNI_B[0]}", f"--tls.sni_keys={SNI_B[1]}")
        try:
            self.assertIn("serial=03E9", peer_serial(srv.https, "localhost"))  # 1001
            self.assertIn("serial=0BBB", peer_serial(srv.https, "b.test"))  # 3003
            self.assertIn("serial=03E9", peer_serial(srv.https, "unknown.test"))
            s = tls_connect(srv.https, server_hostname="b.test")
            self.assertEqual(get(s), (200, b"Hello World\n"))
            s.close()
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_min_version_1_3(self):
        srv = server(TLS_APP, "--tls.min_version=1.3")
        try:
            self.assertRegex(s_client(srv.https, "-tls1_2"), r"alert protocol version|unsupported protocol")
            self.assertIn("New, TLSv1.3", s_client(srv.https, "-tls1_3"))
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_client_certificates(self):
        srv = server(TLS_APP, f"--tls.ca={CA[0]}", "--tls.verify_client=true")
        try:
            url = f"https://localhost:{srv.https}/"
            refused = run("curl", "-s", "--cacert", CA[0], url)
            self.assertNotEqual(refused.returncode, 0)
            self.assertEqual(refused.stdout, b"")
            stranger = run("curl", "-s", "--cacert", CA[0], "--cert", STRANGER[0], "--key", STRANGER[1], url)
            self.assertNotEqual(stranger.returncode, 0)
            ok = run("curl", "-s", "--cacert", CA[0], "--cert", CLIENT[0], "--key", CLIENT[1], url)
            self.assertEqual(ok.stdout, b"Hello World\n", ok.stderr)
            srv.wait_log(r"TLS handshake with 127\.0\.0\.1 failed: .*(certificate required|peer did not return)")
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_handshake_timeout_closes_a_silent_client(self):
        srv = server(TLS_APP, "--tls.handshake_timeout_ms=300")
        try:
            for first in (b"", b"\x16\x03\x01"):  # silent from the start, or mid-hello
                raw = socket.create_connection(("127.0.0.1", srv.https), timeout=10)
                t0 = time.monotonic()
                if first:
                    raw.sendall(first)
                self.assertEqual(raw.recv(100), b"")  # the server closed it
                took = time.monotonic() - t0
                self.assertGreater(took, 0.25)
                self.assertLess(took, 5)
                raw.close()
        finally:
            self.assertEqual(srv.stop(), 0)


class reload(unittest.TestCase):
    def setUp(self):
        self.cert, self.key = f"{DIR}/live.pem", f"{DIR}/live.key"
        shutil.copy(SERVER[0], self.cert)
        shutil.copy(SERVER[1], self.key)
        self.ini = f"{DIR}/live.ini"

    def write_ini(self, workers=0):
        with open(self.ini, "w") as f:
            f.write(f"[server]\nport = 0\n[cluster]\nworkers = {workers}\n[log]\nlevel = debug\n"
                    f"[tls]\nport = 0\ncert = {self.cert}\nkey = {self.key}\n")

    def test_sighup_renews_the_certificate_and_keeps_connections(self):
        self.write_ini()
        srv = server(TLS_APP, "--config", self.ini, tls=False)
        srv.https = int(srv.wait_log(r"Server running at https://[^:]+:(\d+)/").group(1))
        try:
            old = tls_connect(srv.https)
            self.assertEqual(get(old), (200, b"Hello World\n"))
            self.assertIn("serial=03E9", peer_serial(srv.https))
            shutil.copy(RENEWED[0], self.cert)
            shutil.copy(RENEWED[1], self.key)
            srv.proc.send_signal(signal.SIGHUP)
            srv.wait_log("SIGHUP: TLS certificates reloaded")
            self.assertIn("serial=07D2", peer_serial(srv.https))  # 2002
            self.assertEqual(get(old), (200, b"Hello World\n"))  # the old connection goes on
            # A broken file: logged, the current certificate stays.
            with open(self.cert, "w") as f:
                f.write("broken\n")
            srv.proc.send_signal(signal.SIGHUP)
            srv.wait_log("TLS certificates not reloaded, keeping the current ones: .*live.pem")
            self.assertIn("serial=07D2", peer_serial(srv.https))
            self.assertEqual(get(old), (200, b"Hello World\n"))
            old.close()
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_cluster_serves_tls_resumes_across_workers_and_reload_renews(self):
        self.write_ini(workers=2)
        srv = server(TLS_APP, "--config", self.ini, tls=False)
        srv.https = int(srv.wait_log(r"Server running at https://[^:]+:(\d+)/").group(1))
        try:
            srv.wait_log(r"worker 2.*", 15)
            sess = f"{DIR}/cluster-sess"
            req = b"GET /scheme HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            first = s_client(srv.https, "-tls1_3", "-sess_out", sess, input=req)
            self.assertIn("https", first)
            reused = 0
            for _ in range(8):  # connections spread over both workers; tickets work on each
                out = s_client(srv.https, "-tls1_3", "-sess_in", sess, input=req)
                reused += "Reused," in out
            self.assertEqual(reused, 8)
            shutil.copy(RENEWED[0], self.cert)
            shutil.copy(RENEWED[1], self.key)
            srv.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 30
            while "serial=07D2" not in peer_serial(srv.https):
                self.assertLess(time.monotonic(), deadline, srv.text())
                time.sleep(0.1)
        finally:
            self.assertEqual(srv.stop(), 0)


class wss(unittest.TestCase):
    def test_chat_over_tls(self):
        node = shutil.which("node")
        ws_dir = os.path.join(SOURCE_DIR, "tests/node/node_modules/ws")
        if not node or not os.path.isdir(ws_dir):
            self.skipTest("node or tests/node/node_modules/ws missing (scripts/setup.sh installs them)")
        srv = server(CHAT_APP, "--config", os.path.join(SOURCE_DIR, "config/chat.ini"))
        try:
            script = f"""
const WebSocket = require({ws_dir!r});
const fs = require('fs');
const ca = fs.readFileSync({CA[0]!r});
const big = Buffer.alloc(300000, 7);
const a = new WebSocket('wss://localhost:{srv.https}/chat', {{ ca }});
const e = new WebSocket('wss://localhost:{srv.https}/echo', {{ ca }});
let got = [];
e.on('open', () => e.send(big));
e.on('message', (d) => {{ got.push('echo ' + d.length); e.close(1000); }});
a.on('open', () => a.send('hi over tls'));
a.on('message', (d) => {{ got.push('chat ' + d); a.close(1000); }});
let closed = 0;
const done = () => {{ if (++closed == 2) {{ console.log(got.sort().join('|')); }} }};
a.on('close', done); e.on('close', done);
a.on('error', (x) => {{ console.log('error ' + x.message); process.exit(1); }});
e.on('error', (x) => {{ console.log('error ' + x.message); process.exit(1); }});
"""
            r = run(node, "-e", script, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(r.stdout.decode().strip(), "chat hi over tls|echo 300000")
            srv.wait_log(r'"GET /chat" 101')
        finally:
            self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        shutil.rmtree(DIR, ignore_errors=True)
