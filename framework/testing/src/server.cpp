// The test kit's in-process server: the nodus loop on a thread of its own.
#include <nodus/testing/server.hpp>

#include <nodus/http/server.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>

namespace nodus::testing {

server::server(const router& routes, http_config cfg)
    : server(handler{[r = &routes](nodus::request req, nodus::response res) {
                 (*r)(std::move(req), std::move(res));
             }},
             std::move(cfg)) {}

server::server(handler h, http_config cfg) {
    std::promise<std::uint16_t> ready;
    auto fut = ready.get_future();
    thread_ = std::thread([this, &ready, h = std::move(h), cfg = std::move(cfg)]() mutable {
        try {
            srv_ = std::make_unique<nodus::server>(std::move(h), std::move(cfg));
            srv_->listen(0, "127.0.0.1");
            ready.set_value(srv_->port());
        } catch (...) {
            srv_.reset();
            ready.set_exception(std::current_exception());
            return;
        }
        nodus::run();
    });
    try {
        port_ = fut.get();
    } catch (...) {
        thread_.join();
        throw;
    }
}

server::~server() {
    nodus::next_tick([this] {
        if (srv_) srv_->close_now();
        srv_.reset();
    });
    auto done = std::async(std::launch::async, [this] { thread_.join(); });
    if (done.wait_for(teardown_limit) != std::future_status::ready) {
        std::fprintf(stderr,
                     "nodus::testing::server: the loop did not run out of work within %lld s of closing the "
                     "server (a connection, timer or callback was left behind)\n",
                     static_cast<long long>(teardown_limit.count()));
        std::abort();
    }
    // When the loop had already run out of work (after close_gracefully), the closing
    // callback above is still queued: run it now that no other thread runs the loop, or the
    // next server's loop would run it on this destroyed one.
    auto& io = nodus::io_context();
    io.restart();
    io.run();
}

void server::on_loop(std::function<void()> fn) {
    std::promise<void> p;
    auto f = p.get_future();
    nodus::next_tick([&] {
        try {
            fn();
            p.set_value();
        } catch (...) {
            p.set_exception(std::current_exception());
        }
    });
    f.get();
}

std::size_t server::connections() {
    std::size_t n = 0;
    on_loop([&] { n = srv_->connections(); });
    return n;
}

std::uint64_t server::requests() {
    std::uint64_t n = 0;
    on_loop([&] { n = srv_->requests(); });
    return n;
}

void server::close_gracefully() {
    nodus::next_tick([this] { srv_->close(); });
}

} // namespace nodus::testing
