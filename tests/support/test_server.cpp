#include "support/test_server.hpp"

#include <nodus/loop/loop.hpp>

#include "http/detail/hooks.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <future>

namespace nodus::test {

test_server::test_server(handler h, http_config cfg) {
    std::promise<std::uint16_t> ready;
    auto fut = ready.get_future();
    thread_ = std::thread([this, &ready, h = std::move(h), cfg = std::move(cfg)]() mutable {
        try {
            srv_ = std::make_unique<server>(std::move(h), std::move(cfg));
            srv_->listen(0, "127.0.0.1");
            ready.set_value(srv_->port());
        } catch (...) {
            ready.set_exception(std::current_exception());
            return;
        }
        nodus::run();
    });
    port_ = fut.get();
}

test_server::~test_server() {
    nodus::next_tick([this] {
        if (srv_) srv_->close_now();
        srv_.reset();
    });
    auto done = std::async(std::launch::async, [this] { thread_.join(); });
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        ADD_FAILURE() << "the loop did not run out of work within 5 s of closing the server "
                         "(leaked connection, timer or callback)";
        std::abort();
    }
    // When the loop had already run out of work (after close_gracefully), the closing callback
    // above is still queued: run it here, now that no other thread runs the loop, or the next
    // test's loop would run it on this destroyed fixture.
    auto& io = nodus::io_context();
    io.restart();
    io.run();
}

void test_server::on_loop(std::function<void()> fn) {
    std::promise<void> p;
    auto f = p.get_future();
    nodus::next_tick([&] {
        fn();
        p.set_value();
    });
    f.get();
}

std::size_t test_server::connections() {
    std::size_t n = 0;
    on_loop([&] { n = srv_->connections(); });
    return n;
}

std::uint64_t test_server::requests() {
    std::uint64_t n = 0;
    on_loop([&] { n = srv_->requests(); });
    return n;
}

std::size_t test_server::parked() {
    std::size_t n = 0;
    on_loop([&] { n = http::detail::parked_connections(*srv_); });
    return n;
}

void test_server::close_gracefully() {
    nodus::next_tick([this] { srv_->close(); });
}

} // namespace nodus::test
