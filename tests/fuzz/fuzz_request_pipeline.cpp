// libFuzzer driver for the whole request pipeline over a real TCP connection: the real
// nodus::server and connection code, a nodus::router, and handlers that use the
// request/response API (on_data with pause/resume, body(), headers, trailers, host, query
// and route parameters, end with a body, streaming write, dropped responses, exceptions,
// async ends).
//
// The server runs once per process on a background thread (as tests/support/test_server
// does), with small limits. For each input: connect, send the input in 1-3 writes (cut
// points derived from the input), shutdown(SHUT_WR), read until the server closes.
//
// Invariants (an abort is a finding):
//  - no ASan/UBSan report in the server (or the driver);
//  - the server closes the connection within 5 s of the half-close: no hang;
//  - the output is a sequence of responses, each "HTTP/1.1 ddd " (response::status allows
//    100..999),
//    a head ending in CRLFCRLF, and a body framed by Content-Length or chunked coding (or
//    running to the close); a truncated last response is tolerated (the server may reset).
#include <nodus/http/server.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>
#include <nodus/router/router.hpp>

#include <spdlog/logger.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace {

void fail(const char* what, std::string_view out = {}) {
    std::fprintf(stderr, "fuzz_request_pipeline: invariant failed: %s\n", what);
    if (!out.empty())
        std::fprintf(stderr, "output (%zu bytes): %.*s\n", out.size(),
                     static_cast<int>(std::min<std::size_t>(out.size(), 2048)), out.data());
    std::abort();
}

// ------------------------------------------------------------------ the server

bool skip_known() {
    static bool const skip = [] {
        auto const* v = std::getenv("NODUS_FUZZ_SKIP_KNOWN");
        return v && *v && *v != '0';
    }();
    return skip;
}

nodus::router make_router() {
    using nodus::request;
    using nodus::response;
    nodus::router r;
    r.use([](request req, response res, nodus::next_fn next) {
        if (req.has_header("x-fuzz-reject")) {
            res.status(403).end("no\n");
            return;
        }
        next();
    });
    r.get("/", [](request req, response res) {
        std::string out = std::string{req.method()} + " " + std::string{req.target()} + " " +
            std::string{req.host()} + std::string{req.path()} + "\n";
        for (auto const& h : req.headers())
            out += std::string{h.name} + "=" + std::string{h.value.substr(0, 16)} + "\n";
        out += req.remote_address();
        res.set("Content-Type", "text/plain");
        res.end(out);
    });
    r.get("/query", [](request req, response res) {
        std::string out;
        if (req.has_query("a")) out += req.query("a");
        for (auto const& p : req.query_params())
            out += std::string{p.name} + "=" + std::string{p.value} + ";";
        res.end(out);
    });
    r.all("/users/:id/*", [](request req, response res) {
        res.set("X-Id", req.param("id").empty() ? "none" : "some");
        res.end(std::string{req.param("id")} + "|" + std::string{req.param("*")});
    });
    // Reads the body with on_data, pausing after each chunk and resuming on a timer.
    r.route("POST", "/echo", [](request req, response res) {
        auto body = std::make_shared<std::string>("echo:");
        req.on_data([req, body](std::string_view chunk) mutable {
            body->append(chunk);
            req.pause();
            nodus::set_timeout(std::chrono::milliseconds(0), [req]() mutable { req.resume(); });
        });
        req.on_end([req, res, body]() mutable {
            for (auto const& t : req.trailers())
                *body += "\n" + std::string{t.name} + "=" + std::string{req.trailer(t.name).substr(0, 16)};
            res.end(*body);
        });
        req.on_error([res](std::error_code) mutable {
            if (!res.finished() && !res.headers_sent()) res.status(400).end("bad body\n");
            else if (!res.finished()) res.end();
        });
    });
    r.put("/echo", [](request req, response res) {
        req.body(4096, [req, res](std::error_code ec, std::string body) mutable {
            if (ec) {
                if (!res.finished()) res.status(413).end("collect:" + ec.message());
                return;
            }
            res.end("collect:" + body + (req.has_trailer("x-sum") ? "+sum" : ""));
        });
    });
    // Streams a chunked (HTTP/1.1) or close-delimited (HTTP/1.0) response.
    r.get("/stream", [](request req, response res) {
        res.set("Content-Type", "text/plain");
        res.write("one ");
        res.write(std::string(3000, 'x'));
        nodus::set_timeout(std::chrono::milliseconds(0), [req, res]() mutable {
            res.write("two ");
            res.end("three");
        });
    });
    // Answers at once without reading the body (the server discards it).
    r.post("/ignore", [](request, response res) { res.status(202).end("ignored\n"); });
    // Starts reading, then answers on the first chunk.
    r.post("/early", [](request req, response res) {
        req.on_data([res](std::string_view) mutable {
            if (!res.finished()) res.status(413).end("early\n");
        });
        req.on_end([res]() mutable {
            if (!res.finished()) res.end("end\n");
        });
    });
    // Writes the head, then ends later.
    r.get("/late", [](request, response res) {
        res.write_head(200);
        nodus::set_timeout(std::chrono::milliseconds(1), [res]() mutable { res.end("late"); });
    });
    // Everything from request headers: status (X-Status), a header to echo (X-Echo, may hold
    // invalid bytes: set() must refuse them), a declared length (X-Len, may disagree with the
    // body), the body (X-Body) sent with end, write+end or write_head+write+end (X-Mode).
    r.all("/custom", [](request req, response res) {
        int status = 0;
        for (char c : req.header("x-status").substr(0, 6))
            status = (c >= '0' && c <= '9') ? status * 10 + (c - '0') : status;
        if (status >= 200) res.status(status);
        res.set("X-Echo", req.header("x-echo"));
        res.append("X-Echo", req.query_string());
        std::string body{req.header("x-body")};
        // The output check takes a response followed at once by "HTTP/1.1 " as one without a
        // body (HEAD): a body that itself starts so would read as such and be misjudged.
        if (body.starts_with("HTTP/")) body.insert(0, "-");
        if (req.has_header("x-len")) {
            // Known finding (tests/fuzz/README.md): a body longer than the declared
            // Content-Length is sent whole. NODUS_FUZZ_SKIP_KNOWN=1 (scripts/fuzz.sh) keeps
            // the fuzzer off it until it is fixed; the regression runs leave it on.
            auto const len = req.header("x-len");
            bool const longer = len.size() < 19 && !len.empty() &&
                std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                std::stoull(std::string{len}) < body.size();
            if (!(skip_known() && longer)) res.set("Content-Length", len);
        }
        res.remove("X-Nothing");
        auto const mode = req.header("x-mode");
        if (mode == "write") {
            res.write(body);
            res.end();
        } else if (mode == "head") {
            res.write_head();
            res.write(body.substr(0, body.size() / 2));
            res.end(body.substr(body.size() / 2));
        } else {
            res.end(body);
        }
    });
    // Accessors, and a response larger than the high-water mark written with backpressure.
    r.get("/big", [](request req, response res) {
        std::string info;
        info += std::to_string(req.version()) + std::to_string(req.remote_port() != 0);
        info += std::to_string(req.content_length().value_or(7)) + std::to_string(req.has_body());
        info += std::to_string(req.paused()) + std::to_string(req.complete()) +
            std::to_string(req.aborted()) + std::to_string(req.params().size());
        info += std::string{req.header("host")} + std::string{res.get("x-none")};
        res.set("X-Info", info);
        res.on_close([] {});
        struct pump {
            static void run(response res, int left) {
                while (left-- > 0)
                    if (!res.write(std::string(1024, 'b'))) {
                        if (res.aborted() || res.finished()) return;
                        res.on_drain([res, left]() mutable { run(res, left); });
                        return;
                    }
                res.end(std::to_string(res.status()) + std::to_string(res.buffered() > 0));
            }
        };
        pump::run(res, 32);
    });
    r.get("/drop", [](request, response) {}); // unfinished response: 500
    r.get("/throw", [](request, response) { throw std::runtime_error("fuzz"); });
    r.get("/throw-late", [](request, response res) {
        res.write("partial");
        throw std::runtime_error("fuzz after the head");
    });
    r.route("OPTIONS", "/users/:id", [](request, response res) { res.status(204).end(); });
    return r;
}

struct fixture {
    std::unique_ptr<nodus::router> router;
    std::unique_ptr<nodus::server> srv;
    std::thread thread;
    std::uint16_t port = 0;
};

fixture* the_fixture = nullptr;

std::string exchange_bytes(std::uint16_t port, std::string_view in);

void stop_server() {
    auto* f = the_fixture;
    if (!f) return;
    nodus::next_tick([f] { f->srv->close_now(); });
    auto done = std::async(std::launch::async, [f] { f->thread.join(); });
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "fuzz_request_pipeline: the loop did not stop\n");
        std::_Exit(1);
    }
}

fixture& server() {
    static fixture* f = [] {
        nodus::log::get().set_level(spdlog::level::off);
        auto* fx = new fixture;
        nodus::http_config cfg;
        cfg.max_header_bytes = 2048;
        cfg.max_headers = 32;
        cfg.max_url_bytes = 512;
        cfg.max_body_bytes = 8192;
        cfg.header_timeout_ms = 1000;
        cfg.keep_alive_timeout_ms = 500;
        cfg.request_timeout_ms = 1000;
        cfg.send_timeout_ms = 1000;
        cfg.high_water_mark = 4096;
        cfg.drain_timeout_ms = 500;
        fx->router = std::make_unique<nodus::router>(make_router());
        std::promise<std::uint16_t> ready;
        auto fut = ready.get_future();
        fx->thread = std::thread([fx, &ready, cfg] {
            try {
                const nodus::router* r = fx->router.get();
                fx->srv = std::make_unique<nodus::server>(
                    [r](nodus::request req, nodus::response res) { (*r)(req, res); }, cfg);
                fx->srv->listen(0, "127.0.0.1");
                ready.set_value(fx->srv->port());
            } catch (...) {
                ready.set_exception(std::current_exception());
                return;
            }
            nodus::run();
        });
        fx->port = fut.get();
        the_fixture = fx;
        // The framework's pools (buffer_pool.cpp's blocks and strings, exchange_pool.cpp's exchanges)
        // are function-local statics created by the first connections. Create them now, so
        // that stop_server, registered after them, runs before they are destroyed at exit:
        // it closes whatever connection the last input left lingering.
        static constexpr std::string_view warm_up[] = {
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /stream HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /nope HTTP/1.0\r\n\r\n",
            "BAD\r\n\r\n",
        };
        for (auto const w : warm_up) (void)exchange_bytes(fx->port, w);
        std::atexit(stop_server);
        return fx;
    }();
    return *f;
}

// ------------------------------------------------------------------ the client

std::string exchange_bytes(std::uint16_t port, std::string_view in) {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket()");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect()");

    // 1-3 writes; cut points from a hash of the input.
    std::uint32_t h = 2166136261u;
    for (unsigned char c : in) h = (h ^ c) * 16777619u;
    std::size_t const parts = 1 + h % 3;
    std::size_t cuts[4] = {0, 0, 0, in.size()};
    cuts[1] = parts > 1 ? (h >> 4) % (in.size() + 1) : in.size();
    cuts[2] = parts > 2 ? cuts[1] + (h >> 12) % (in.size() - cuts[1] + 1) : in.size();
    bool broken = false;
    for (int i = 0; i < 3 && !broken; ++i) {
        std::size_t at = cuts[i];
        while (at < cuts[i + 1]) {
            auto const n = ::send(fd, in.data() + at, cuts[i + 1] - at, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                broken = true; // the server closed early (EPIPE, ECONNRESET): fine
                break;
            }
            at += static_cast<std::size_t>(n);
        }
        if (i + 1 < 3 && cuts[i + 1] < in.size() && cuts[i + 1] > 0)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ::shutdown(fd, SHUT_WR);

    std::string out;
    char buf[16384];
    for (;;) {
        auto const n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            if (out.size() > (1u << 22)) fail("more than 4 MiB of output", out);
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            fail("the server did not close the connection within 5 s of the half-close", out);
        break; // ECONNRESET: the server reset after answering; keep what arrived
    }
    ::close(fd);
    return out;
}

// ------------------------------------------------------------------ the output

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Checks the responses in `out`; tolerates a truncated last one.
void check_output(std::string_view out) {
    std::string_view rest = out;
    while (!rest.empty()) {
        if (rest.size() < 13) {
            if (std::string_view{"HTTP/1.1 "}.substr(0, std::min<std::size_t>(rest.size(), 9)) !=
                rest.substr(0, std::min<std::size_t>(rest.size(), 9)))
                fail("output does not start with \"HTTP/1.1 \"", out);
            return;
        }
        if (rest.substr(0, 9) != "HTTP/1.1 ") fail("response does not start with \"HTTP/1.1 \"", out);
        int status = 0;
        for (int i = 9; i < 12; ++i) {
            if (rest[i] < '0' || rest[i] > '9') fail("status is not 3 digits", out);
            status = status * 10 + (rest[i] - '0');
        }
        if (rest[12] != ' ' || status < 100) fail("bad status line", out);
        auto const head_end = rest.find("\r\n\r\n");
        if (head_end == std::string_view::npos) return; // truncated
        auto const head = rest.substr(0, head_end + 2);
        rest.remove_prefix(head_end + 4);
        // Header fields.
        std::optional<std::uint64_t> length;
        bool chunked = false;
        auto lines = head.substr(head.find("\r\n") + 2);
        while (!lines.empty()) {
            auto const eol = lines.find("\r\n");
            auto const line = lines.substr(0, eol);
            lines.remove_prefix(eol + 2);
            auto const colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0)
                fail("response header line without a name", out);
            auto const name = line.substr(0, colon);
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            if (ieq(name, "content-length")) {
                if (length) fail("two Content-Length in a response", out);
                std::uint64_t n = 0;
                for (char c : value) {
                    if (c < '0' || c > '9') fail("bad Content-Length in a response", out);
                    n = n * 10 + static_cast<std::uint64_t>(c - '0');
                }
                length = n;
            } else if (ieq(name, "transfer-encoding")) {
                chunked = ieq(value, "chunked");
            }
        }
        if (chunked && length) fail("response with both Content-Length and chunked", out);
        if (status < 200 || status == 204 || status == 304) continue; // no body
        // HEAD responses carry no body: the next response follows at once.
        if (rest.starts_with("HTTP/1.1 ") || rest.empty()) continue;
        if (length) {
            if (rest.size() < *length) return; // truncated
            rest.remove_prefix(*length);
        } else if (chunked) {
            for (;;) {
                auto const eol = rest.find("\r\n");
                if (eol == std::string_view::npos) return; // truncated
                std::uint64_t size = 0;
                auto const hex = rest.substr(0, eol);
                if (hex.empty()) fail("empty chunk size in a response", out);
                for (char c : hex) {
                    int d = (c >= '0' && c <= '9') ? c - '0'
                        : (c >= 'a' && c <= 'f')   ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F')   ? c - 'A' + 10
                                                   : -1;
                    if (d < 0) fail("bad chunk size in a response", out);
                    size = size * 16 + static_cast<std::uint64_t>(d);
                }
                rest.remove_prefix(eol + 2);
                if (size == 0) {
                    if (rest.size() < 2) return;
                    if (rest.substr(0, 2) != "\r\n") fail("last chunk not followed by CRLF", out);
                    rest.remove_prefix(2);
                    break;
                }
                if (rest.size() < size + 2) return;
                if (rest.substr(size, 2) != "\r\n") fail("chunk data not followed by CRLF", out);
                rest.remove_prefix(size + 2);
            }
        } else {
            return; // delimited by the close
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 32 * 1024) return 0;
    auto const out = exchange_bytes(server().port, {reinterpret_cast<const char*>(data), size});
    check_output(out);
    return 0;
}
