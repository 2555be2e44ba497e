#pragma once
// A router served by a test_server, for the middleware tests: routes and middleware are
// added on the test thread, then start() serves them on 127.0.0.1:0.
#include "support/test_server.hpp"

#include <nodus/router/router.hpp>

#include <optional>

namespace nodus::test {

struct web_server {
    nodus::router router; // outlives the server (declared first)
    std::optional<test_server> server;

    std::uint16_t start(http_config cfg = {}) {
        server.emplace([this](request q, response s) { router(std::move(q), std::move(s)); }, cfg);
        return server->port();
    }
    std::uint16_t port() const { return server->port(); }
};

} // namespace nodus::test
