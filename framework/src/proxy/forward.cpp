// proxy::forward: one server exchange piped into one client request and back. Each
// direction moves chunks and stops reading its source while the other side is full, so
// a slow upstream or a slow client never makes the proxy buffer more than a high-water
// mark per direction.
#include <nodus/http/answers.hpp>
#include <nodus/log/log.hpp>
#include <nodus/proxy/proxy.hpp>

#include "proxy/detail/upstream.hpp"
#include "text/detail/char_class.hpp"

#include <spdlog/logger.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace nodus::proxy {

namespace {

using nodus::detail::iequals;

// What every exchange of one middleware shares, fixed at setup.
struct route {
    detail::upstream origin;
    std::string authority; // Host for the upstream when the client's is not kept
    std::string strip;
    bool preserve_host = true;
    std::chrono::milliseconds timeout{0};
    client::agent agent;
};

// The path and query to request upstream: origin-form even when the client sent an
// absolute-form target, with the stripped prefix gone.
std::string upstream_target(const request& req, std::string_view strip) {
    auto path = req.path();
    if (!strip.empty() && path.starts_with(strip) &&
        (path.size() == strip.size() || path[strip.size()] == '/'))
        path.remove_prefix(strip.size());
    const auto target = req.target();
    const bool has_query = target.find('?') != std::string_view::npos;
    std::string out;
    out.reserve(path.size() + req.query_string().size() + 2);
    if (path.empty() || path.front() != '/') out += '/';
    out += path;
    if (has_query) {
        out += '?';
        out += req.query_string();
    }
    return out;
}

// is_connection_specific, with the search for Connection fields done once per message: most
// messages have none, and then only the fixed names are checked.
class hop_filter {
public:
    explicit hop_filter(std::span<const header_field> fields) noexcept : fields_(fields) {
        for (const auto& f : fields)
            if (iequals(f.name, "Connection")) has_options_ = true;
    }
    bool drops(std::string_view name) const noexcept {
        return has_options_ ? is_connection_specific(name, fields_) : is_hop_by_hop(name);
    }

private:
    std::span<const header_field> fields_;
    bool has_options_ = false;
};

// Fields the proxy sets itself, or that describe this hop's framing or expectations.
bool replaced_here(std::string_view name) noexcept {
    return iequals(name, "Host") || iequals(name, "Content-Length") || iequals(name, "Expect") ||
        iequals(name, "X-Forwarded-For") || iequals(name, "X-Forwarded-Proto") ||
        iequals(name, "X-Forwarded-Host");
}

client::options upstream_request(const route& r, const request& req) {
    client::options o;
    o.host = r.origin.host;
    o.port = r.origin.port;
    o.https = r.origin.https;
    o.target = upstream_target(req, r.strip);
    o.method = req.method();
    o.agent = r.agent;
    o.connect_timeout = o.header_timeout = o.idle_timeout = r.timeout;
    const auto fields = req.headers();
    o.headers.reserve(fields.size() + 4);
    const auto host = req.host();
    o.headers.emplace_back("Host", r.preserve_host && !host.empty() ? host : std::string_view(r.authority));
    const hop_filter hop{fields};
    for (const auto& f : fields)
        if (!replaced_here(f.name) && !hop.drops(f.name)) o.headers.emplace_back(f.name, f.value);
    o.headers.emplace_back("X-Forwarded-For", forwarded_for(req));
    o.headers.emplace_back("X-Forwarded-Proto", req.secure() ? "https" : "http");
    if (!host.empty()) o.headers.emplace_back("X-Forwarded-Host", host);
    // Unset for a chunked body, which then goes out chunked.
    o.content_length = req.content_length();
    return o;
}

bool is_timeout(const client::error& e) noexcept {
    return e.code == client::errc::connect_timeout || e.code == client::errc::header_timeout ||
        e.code == client::errc::idle_timeout;
}

void on_upstream_error(const request& req, const response& res, const client::error& e) {
    if (res.headers_sent()) {
        // A clean end now would pass a truncated body off as whole: cut instead.
        res.fail(std::make_exception_ptr(std::runtime_error("upstream failed mid-response: " + e.message())));
        return;
    }
    const int status = is_timeout(e) ? 504 : 502;
    log::get().warn("{} {}: upstream: {}; answering {}", req.method(), req.target(), e.message(), status);
    if (!req.complete()) {
        // The rest of the body has nowhere to go: read it away, then close.
        res.set("Connection", "close");
        req.resume();
    }
    send_answer(res, status);
}

void relay_response(const response& res, const client::response& from) {
    res.status(from.status());
    const auto fields = from.headers();
    const hop_filter hop{fields};
    for (const auto& f : fields)
        if (!hop.drops(f.name)) res.append(f.name, f.value);
    res.write_head();
    from.on_data([res, from](std::string_view chunk) {
        if (res.write(chunk) || res.finished()) return;
        from.pause();
        res.on_drain([from] { from.resume(); });
    });
    from.on_end([res] { res.end(); });
}

void pipe_body(const request& req, const client::request& up) {
    req.on_data([req, up](std::string_view chunk) {
        if (up.finished()) return; // answered or failed already: the rest is dropped
        if (up.write(chunk)) return;
        req.pause();
        up.on_drain([req] { req.resume(); });
    });
    req.on_end([up] { up.end(); });
    req.on_error([up](std::error_code) { up.abort(); });
}

void forward_one(const route& r, const request& req, const response& res) {
    auto up = client::open(upstream_request(r, req),
                           res.guard([res](const client::response& from) { relay_response(res, from); }));
    up.on_error(res.guard([req, res](const client::error& e) { on_upstream_error(req, res, e); }));
    // A client that leaves, by a reset or by a FIN, cancels the upstream request.
    res.abort_on_half_close();
    res.on_close([up] { up.abort(); });
    if (req.has_body()) pipe_body(req, up);
    else up.end();
}

} // namespace

middleware forward(options opts) {
    auto r = std::make_shared<route>();
    r->origin = detail::parse_upstream(opts.upstream);
    const bool default_port = r->origin.port == (r->origin.https ? 443 : 80);
    const bool v6 = r->origin.host.find(':') != std::string::npos;
    r->authority = v6 ? "[" + r->origin.host + "]" : r->origin.host;
    if (!default_port) r->authority += ":" + std::to_string(r->origin.port);
    r->strip = std::move(opts.strip);
    if (!r->strip.empty() && r->strip.back() == '/') r->strip.pop_back();
    r->preserve_host = opts.preserve_host;
    r->timeout = opts.timeout;
    r->agent = opts.agent ? *opts.agent : client::agent{};
    return [r = std::shared_ptr<const route>(std::move(r))](request req, response res, next_fn) {
        forward_one(*r, req, res);
    };
}

} // namespace nodus::proxy
