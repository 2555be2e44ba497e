// A gateway (docs/gateway.md): requests under [gateway] prefix go to the upstream, streamed
// both ways; the rest is served from [gateway] static_dir. Its contract is checked from
// outside by tests/apps/gateway_contract.py.
#include <nodus/client/client.hpp>
#include <nodus/nodus.hpp>
#include <nodus/proxy/proxy.hpp>
#include <nodus/static_files/static_files.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

// [gateway] in config/gateway.ini; NODUS_GATEWAY_UPSTREAM=...; --gateway.upstream=...
const nodus::setting<std::string> upstream{"gateway", "upstream", "http://127.0.0.1:3000",
                                           "the upstream's origin: http://HOST:PORT"};
const nodus::setting<std::string> prefix{"gateway", "prefix", "/api/", "paths forwarded to the upstream"};
const nodus::setting<bool> strip_prefix{"gateway", "strip_prefix", false,
                                        "remove the prefix from the path forwarded"};
const nodus::setting<bool> preserve_host{"gateway", "preserve_host", true,
                                         "send the client's Host upstream (false: the upstream's)"};
const nodus::setting<std::uint32_t> upstream_timeout_ms{
    "gateway", "upstream_timeout_ms", 60000,
    "connect, response head, and longest body pause; then 504 (or a cut connection)",
    nodus::range<std::uint32_t>{1, 3'600'000}};
const nodus::setting<std::uint32_t> upstream_keepalive{"gateway", "upstream_keepalive", 32,
                                                       "idle connections kept open to the upstream",
                                                       nodus::range<std::uint32_t>{0, 100'000}};
const nodus::setting<std::uint32_t> upstream_max_connections{
    "gateway", "upstream_max_connections", 512, "connections to the upstream at once; more requests wait",
    nodus::range<std::uint32_t>{1, 100'000}};
const nodus::setting<std::string> static_dir{"gateway", "static_dir", "",
                                             "directory served at /; empty: none"};

namespace {

// A bad [gateway] value stops the program as a bad [http] value would: exit 2, naming it.
[[noreturn]] void bad_setting(const nodus::app& app, const char* key, const std::string& value,
                              const std::string& why) {
    auto file = app.cfg().file.empty() ? std::string{} : app.cfg().file + ": ";
    throw nodus::config_error(file + "[gateway] " + key + " = \"" + value + "\": " + why);
}

} // namespace

void nodus_main(nodus::app& app) {
    nodus::client::agent pool{{.max_sockets = *upstream_max_connections, .max_idle = *upstream_keepalive}};
    nodus::middleware forward;
    try {
        forward = nodus::proxy::forward({.upstream = *upstream,
                                         .strip = *strip_prefix ? *prefix : "",
                                         .preserve_host = *preserve_host,
                                         .timeout = std::chrono::milliseconds(*upstream_timeout_ms),
                                         .agent = pool});
    } catch (const std::invalid_argument& e) {
        bad_setting(app, "upstream", *upstream, e.what());
    }
    try {
        app.use(*prefix, forward);
    } catch (const std::invalid_argument& e) {
        bad_setting(app, "prefix", *prefix, e.what());
    }
    if (!static_dir->empty()) {
        try {
            app.use(nodus::static_files(*static_dir));
        } catch (const std::system_error& e) {
            bad_setting(app, "static_dir", *static_dir, e.what());
        }
    }
    app.listen(); // Server running at http://127.0.0.1:8080/
}
