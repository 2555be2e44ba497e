// A plain Boost.Beast hello-world server: the baseline nodus is built on.
// One thread, one io_context; per connection http::async_read / http::async_write with
// string bodies and keep-alive, as in Beast's http_server_async example.
//
//   beast_hello PORT [ADDRESS]      (ADDRESS defaults to 127.0.0.1)
//
// Answers every request with 200, Content-Type: text/plain, "Hello World\n".
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : stream_(std::move(socket)) {}

    void run() { do_read(); }

private:
    void do_read() {
        req_ = {};
        http::async_read(
            stream_, buffer_, req_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec) {
            do_close();
            return;
        }
        res_ = {};
        res_.result(http::status::ok);
        res_.version(req_.version());
        res_.set(http::field::server, "beast");
        res_.set(http::field::content_type, "text/plain");
        res_.keep_alive(req_.keep_alive());
        res_.body() = "Hello World\n";
        res_.prepare_payload();
        http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(beast::error_code ec) {
        if (ec) return;
        if (!res_.keep_alive()) {
            do_close();
            return;
        }
        do_read();
    }

    void do_close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
};

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(asio::io_context& ioc, const tcp::endpoint& endpoint) : ioc_(ioc), acceptor_(ioc) {
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(4096);
    }

    void run() { do_accept(); }

private:
    void do_accept() {
        acceptor_.async_accept(ioc_, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true), ec);
                std::make_shared<session>(std::move(socket))->run();
            }
            self->do_accept();
        });
    }

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
};

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s PORT [ADDRESS]\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const auto address = asio::ip::make_address(argc == 3 ? argv[2] : "127.0.0.1");

    asio::io_context ioc{1};
    std::make_shared<listener>(ioc, tcp::endpoint{address, port})->run();
    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });
    std::printf("beast_hello listening on http://%s:%u/\n", address.to_string().c_str(), port);
    std::fflush(stdout);
    ioc.run();
    return 0;
}
