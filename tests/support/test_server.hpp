#pragma once
// Runs the nodus loop on a background thread with one server on 127.0.0.1:0.
#include <nodus/config/config.hpp>
#include <nodus/http/server.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace nodus::test {

class test_server {
public:
    /// `h` runs on the loop thread for every request.
    explicit test_server(handler h, http_config cfg = {});
    /// Closes the server at once and requires the loop to run out of work within
    /// 5 seconds: a leaked connection, timer or exchange fails the test.
    ~test_server();

    std::uint16_t port() const noexcept { return port_; }

    /// Run `fn` on the loop thread and wait for it.
    void on_loop(std::function<void()> fn);

    /// Open connections and requests served, read on the loop thread.
    std::size_t connections();
    std::uint64_t requests();
    std::size_t parked();

    /// Graceful close (on the loop thread) without waiting.
    void close_gracefully();

private:
    std::unique_ptr<server> srv_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

} // namespace nodus::test
