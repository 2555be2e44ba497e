// nodus::json::read: a request body into a JSON value, chunk by chunk.
#include <nodus/http/error.hpp>
#include <nodus/json/json.hpp>

#include "json/detail/body_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace nodus::json {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
        std::equal(a.begin(), a.end(), b.begin(),
                   [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// application/json, or a structured syntax suffix (RFC 6839): application/problem+json.
bool is_json_type(std::string_view value) {
    std::string_view type = value.substr(0, value.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    if (iequals(type, "application/json")) return true;
    constexpr std::string_view app = "application/", suffix = "+json";
    return type.size() > app.size() + suffix.size() && iequals(type.substr(0, app.size()), app) &&
        iequals(type.substr(type.size() - suffix.size()), suffix);
}

using done_fn = std::function<void(read_error, boost::json::value)>;

// One read in flight: the parser and the callback, shared by the body callbacks.
struct reading {
    detail::body_parser parser;
    done_fn done;
    reading(const read_options& opts, done_fn fn) : parser(opts), done(std::move(fn)) {}

    void complete(read_error err, boost::json::value v = {}) {
        if (auto fn = std::move(done)) {
            done = nullptr;
            fn(std::move(err), std::move(v));
        }
    }
};

read_error failed_body(std::error_code ec) {
    read_error err;
    err.code = ec;
    err.body_unread = true;
    if (ec == nodus::errc::body_too_large) {
        err.status = 413;
        err.message = "the request body is too large";
    } else {
        err.status = 400;
        err.message = fmt::format("the request body could not be read: {}", ec.message());
    }
    return err;
}

} // namespace

void read(const request& req, std::function<void(read_error, boost::json::value)> fn,
          const read_options& opts) {
    if (opts.check_content_type && !is_json_type(req.header("Content-Type"))) {
        read_error err;
        err.status = 415;
        err.code = make_error_code(errc::wrong_content_type);
        err.message = req.has_header("Content-Type")
            ? fmt::format("expected Content-Type: application/json, got {}", req.header("Content-Type"))
            : "expected Content-Type: application/json";
        err.body_unread = req.has_body();
        fn(std::move(err), {});
        return;
    }
    if (auto n = req.content_length(); n && *n > opts.max_bytes) {
        read_error err;
        err.status = 413;
        err.code = make_error_code(nodus::errc::body_too_large);
        err.message = fmt::format("the JSON body is larger than the limit of {} bytes", opts.max_bytes);
        err.body_unread = true;
        fn(std::move(err), {});
        return;
    }
    auto st = std::make_shared<reading>(opts, std::move(fn));
    // The callbacks hold the state; the exchange drops them when it ends, which ends it.
    req.on_data([st](std::string_view chunk) {
        if (!st->done) return;
        if (!st->parser.feed(chunk)) st->complete(st->parser.error());
    });
    req.on_end([st] {
        if (!st->done) return;
        if (!st->parser.finish()) {
            st->complete(st->parser.error());
            return;
        }
        st->complete({}, st->parser.release());
    });
    req.on_error([st](std::error_code ec) { st->complete(failed_body(ec)); });
}

void read(const request& req, const response& res, std::function<void(boost::json::value)> fn,
          const read_options& opts) {
    read(
        req,
        [res, fn = std::move(fn)](read_error err, boost::json::value v) {
            if (err) {
                send_error(res, err);
                return;
            }
            fn(std::move(v));
        },
        opts);
}

} // namespace nodus::json
