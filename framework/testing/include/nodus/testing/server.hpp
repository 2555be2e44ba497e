#pragma once
/** @file
    `nodus::testing::server`: an application's routes served in the test's own process, on
    127.0.0.1 and an ephemeral port, by the nodus loop on a thread of its own (docs/testing.md).
    @code
    TEST(todo, lists_nothing_at_first) {
        nodus::router routes;
        add_todo_routes(routes);
        nodus::testing::server srv{routes};
        auto res = srv.client().get("/todos").send();
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.json(), boost::json::array{});
    }
    @endcode
*/
#include <nodus/config/config.hpp>
#include <nodus/http/handler.hpp>
#include <nodus/router/router.hpp>
#include <nodus/testing/client.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace nodus {
class server;
}

namespace nodus::testing {

/** Serves a handler or a router while it lives. The constructor returns once the server
    listens (no sleeps, no second process): `port()` is ready to connect to.
    @par Threads
    The nodus loop (one per process) runs on a thread of the server's: handlers, timers and
    every other nodus callback run there, while the test drives clients from its own thread.
    Only one `server` may live at a time. Use `on_loop` to touch nodus state from the test.
    @par Teardown
    The destructor closes the server at once (open connections are cut) and requires the
    loop to run out of work within `teardown_limit`: a connection, timer or callback left
    behind is reported on standard error and aborts the test program, as a leak should. */
class server {
public:
    /** Serve `routes` (a `nodus::router`, or a `nodus::app`, which is one); it must outlive
        the server. @throws std::system_error when no port can be bound. */
    explicit server(const router& routes, http_config cfg = {});
    /** Serve every request with `h`. */
    explicit server(handler h, http_config cfg = {});
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    /** The port the server listens on (127.0.0.1). */
    std::uint16_t port() const noexcept { return port_; }
    /** A client of this server (`client(port())`). */
    nodus::testing::client client() const { return nodus::testing::client{port_}; }

    /** Run `fn` on the loop thread and wait for it to return; an exception it throws is
        rethrown here. */
    void on_loop(std::function<void()> fn);
    /** Connections open and requests served so far, read on the loop thread. */
    std::size_t connections();
    std::uint64_t requests();
    /** Start a graceful close (stop accepting, finish in-flight exchanges) and return. */
    void close_gracefully();

    /// How long the destructor lets the loop take to run out of work.
    static constexpr std::chrono::seconds teardown_limit{5};

protected:
    /** The server itself, for use on the loop thread only. */
    nodus::server& native() noexcept { return *srv_; }

private:
    std::unique_ptr<nodus::server> srv_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

} // namespace nodus::testing
