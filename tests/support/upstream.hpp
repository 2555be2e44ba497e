#pragma once
// A scripted HTTP/1.1 upstream on the test's loop, for the client's tests: it counts the TCP
// connections it accepts and the requests it reads, and answers each request with whatever
// bytes the test gives (well-formed or not), or not at all. Requests are read whole (a body by
// Content-Length or chunked); `raw` mode hands the connection to the test instead.
#include <nodus/loop/loop.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nodus::test {

class upstream {
public:
    struct conn;
    /// One request as read, and the connection to answer on.
    struct exchange {
        std::shared_ptr<conn> c;
        std::string head; ///< request line and fields, CRLFCRLF included
        std::string body; ///< decoded
        int index = 0; ///< the request's number on its connection, from 0

        std::string target() const {
            return head.substr(head.find(' ') + 1, head.find(' ', head.find(' ') + 1) - head.find(' ') - 1);
        }
        std::string method() const { return head.substr(0, head.find(' ')); }
        bool has(const std::string& text) const { return head.find(text) != std::string::npos; }
        void send(std::string bytes) const { c->send(std::move(bytes)); }
        void close() const { c->close(); }
    };

    struct conn : std::enable_shared_from_this<conn> {
        explicit conn(boost::asio::ip::tcp::socket s, upstream* u) : sock(std::move(s)), up(u) {}
        boost::asio::ip::tcp::socket sock;
        upstream* up;
        std::string in;
        int requests = 0;
        bool closed = false;
        std::vector<std::string> queue;

        void read() {
            auto buf = std::make_shared<std::array<char, 65536>>();
            sock.async_read_some(boost::asio::buffer(*buf),
                                 [self = shared_from_this(), buf](auto ec, std::size_t n) {
                                     if (ec) {
                                         self->on_eof();
                                         return;
                                     }
                                     self->in.append(buf->data(), n);
                                     if (self->up->raw_data) return self->up->raw_data(self, n);
                                     self->parse();
                                     if (!self->closed) self->read();
                                 });
        }
        void on_eof() {
            if (closed) return;
            closed = true;
            ++up->peer_closed;
            boost::system::error_code ignored;
            sock.close(ignored);
        }
        void parse() {
            while (true) {
                auto end = in.find("\r\n\r\n");
                if (end == std::string::npos) return;
                std::string head = in.substr(0, end + 4);
                std::string body;
                std::size_t used = end + 4;
                auto lower = head;
                for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (auto p = lower.find("content-length:"); p != std::string::npos) {
                    auto n = std::strtoull(lower.c_str() + p + 15, nullptr, 10);
                    if (in.size() < used + n) return;
                    body = in.substr(used, n);
                    used += n;
                } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
                    std::size_t pos = used;
                    while (true) {
                        auto eol = in.find("\r\n", pos);
                        if (eol == std::string::npos) return;
                        auto size = std::strtoull(in.c_str() + pos, nullptr, 16);
                        if (size == 0) {
                            if (in.size() < eol + 4) return;
                            used = eol + 4;
                            break;
                        }
                        if (in.size() < eol + 2 + size + 2) return;
                        body.append(in, eol + 2, size);
                        pos = eol + 2 + size + 2;
                    }
                }
                in.erase(0, used);
                ++up->requests;
                exchange x{shared_from_this(), std::move(head), std::move(body), requests++};
                if (up->on_request) up->on_request(x);
                if (closed) return;
            }
        }
        void send(std::string bytes) {
            if (closed) return;
            auto data = std::make_shared<std::string>(std::move(bytes));
            boost::asio::async_write(sock, boost::asio::buffer(*data),
                                     [data, self = shared_from_this()](auto, auto) {});
        }
        void close() {
            if (closed) return;
            closed = true;
            boost::system::error_code ignored;
            sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
            sock.close(ignored);
        }
    };

    upstream() : acc_(nodus::io_context(), {boost::asio::ip::make_address("127.0.0.1"), 0}) { accept(); }
    ~upstream() { stop(); }

    std::uint16_t port() const { return acc_.local_endpoint().port(); }
    std::string url(const std::string& path = "/") const {
        return "http://127.0.0.1:" + std::to_string(port()) + path;
    }

    /// Stop accepting and close every connection (so the loop can end).
    void stop() {
        boost::system::error_code ignored;
        acc_.close(ignored);
        for (auto& w : conns_)
            if (auto c = w.lock()) c->close();
    }

    std::function<void(const exchange&)> on_request;
    /// Raw mode: called with every read instead of parsing (the bytes are in c->in).
    std::function<void(const std::shared_ptr<conn>&, std::size_t)> raw_data;
    /// Raw mode without reading at all: the test reads the socket itself.
    std::function<void(const std::shared_ptr<conn>&)> on_accept;

    int connections = 0;
    int requests = 0;
    int peer_closed = 0; ///< connections the client closed

private:
    void accept() {
        acc_.async_accept([this](auto ec, boost::asio::ip::tcp::socket s) {
            if (ec) return;
            ++connections;
            auto c = std::make_shared<conn>(std::move(s), this);
            conns_.push_back(c);
            if (on_accept) on_accept(c);
            else c->read();
            accept();
        });
    }

    boost::asio::ip::tcp::acceptor acc_;
    std::vector<std::weak_ptr<conn>> conns_;
};

/// Runs the loop until `done()` or `limit` passes; true when done.
inline bool run_until(const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto& io = nodus::io_context();
    io.restart();
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.run_for(std::chrono::milliseconds(5));
        if (io.stopped()) io.restart();
    }
    return done();
}

} // namespace nodus::test
