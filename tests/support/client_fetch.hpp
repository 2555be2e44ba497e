#pragma once
// What the client's tests share: a 200 answer with a body, one request collected whole through
// the streaming API, and options bound to an agent.
#include <nodus/client/client.hpp>

#include <string>
#include <string_view>

namespace nodus::test {

inline std::string ok(std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra) +
        "\r\n" + std::string(body);
}

/// How one request ended: the status and body received, or the error.
struct outcome {
    bool done = false;
    int status = 0;
    std::string body;
    nodus::client::error err;
};

/// One request, its body given whole to `end`, the response body collected into `out`.
inline void fetch(nodus::client::options o, outcome& out, std::string body = {}) {
    auto req = nodus::client::open(std::move(o), [&out](nodus::client::response r) {
        out.status = r.status();
        r.on_data([&out](std::string_view c) { out.body.append(c); });
        r.on_end([&out] { out.done = true; });
    });
    req.on_error([&out](const nodus::client::error& e) {
        out.err = e;
        out.done = true;
    });
    req.end(body);
}

/// Options for `url` through agent `a`.
inline nodus::client::options with(const nodus::client::agent& a, std::string url) {
    nodus::client::options o;
    o.url = std::move(url);
    o.agent = a;
    return o;
}

} // namespace nodus::test
