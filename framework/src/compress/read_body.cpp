// Request bodies with a Content-Encoding, decoded as they arrive with a bound on the output.
#include <nodus/compress/compression.hpp>
#include <nodus/http/answers.hpp>
#include <nodus/http/error.hpp>

#include "compress/detail/zstream.hpp"
#include "http/detail/access.hpp"
#include "text/detail/char_class.hpp"

#include <memory>
#include <optional>

namespace nodus {

namespace {

// Encoded bytes allowed for `limit` decoded ones: incompressible data grows a little when
// compressed (zlib's worst case is about 0.03 % plus a few bytes per block).
std::size_t encoded_limit(std::size_t limit) noexcept { return limit + limit / 64 + 1024; }

std::optional<content_coding> request_coding(std::string_view header) noexcept {
    header = detail::trim_ows(header);
    if (header.empty() || detail::iequals(header, "identity")) return content_coding::identity;
    if (detail::iequals(header, "gzip") || detail::iequals(header, "x-gzip")) return content_coding::gzip;
    if (detail::iequals(header, "deflate")) return content_coding::deflate;
    return std::nullopt;
}

// The framework's answer for a body nodus refused; the rest of the body is not read.
void refuse(const response& res, int status) {
    if (res.headers_sent() || res.finished()) return;
    res.set("Connection", "close");
    send_answer(res, status);
}

struct decoding {
    detail::inflater z;
    std::string out;
    std::size_t raw = 0;
    std::size_t raw_limit;
    std::function<void(std::error_code, std::string)> fn;
    bool settled = false;

    decoding(content_coding c, std::size_t limit, std::function<void(std::error_code, std::string)> f)
        : z(c, limit), raw_limit(encoded_limit(limit)), fn(std::move(f)) {}

    void fail(const request& req, const response& res, errc code, int status) {
        settled = true;
        out.clear();
        out.shrink_to_fit();
        auto f = std::move(fn);
        f(make_error_code(code), {});
        refuse(res, status);
        // Reading the rest would only feed a body nobody takes (a bomb's, maybe): stop.
        detail::refuse_body(req);
    }
};

} // namespace

void read_body(const request& req, const response& res, std::size_t limit,
               std::function<void(std::error_code, std::string)> fn) {
    auto coding = request_coding(req.header("Content-Encoding"));
    if (!coding) {
        fn(make_error_code(errc::unsupported_media_type), {});
        refuse(res, 415);
        return;
    }
    if (*coding == content_coding::identity) {
        req.body(limit, std::move(fn));
        return;
    }
    if (auto n = req.content_length(); n && *n > encoded_limit(limit)) {
        fn(make_error_code(errc::body_too_large), {});
        refuse(res, 413);
        return;
    }
    auto st = std::make_shared<decoding>(*coding, limit, std::move(fn));
    // The callbacks hold the handles; the exchange drops its callbacks when it ends, which
    // breaks the cycle.
    req.on_error([st](std::error_code ec) {
        if (st->settled) return;
        st->settled = true;
        auto f = std::move(st->fn);
        f(ec, {});
    });
    req.on_data([st, req, res](std::string_view chunk) {
        if (st->settled) return;
        st->raw += chunk.size();
        if (st->raw > st->raw_limit) return st->fail(req, res, errc::body_too_large, 413);
        switch (st->z.feed(chunk, st->out)) {
        case detail::inflater::result::too_large: return st->fail(req, res, errc::body_too_large, 413);
        case detail::inflater::result::corrupt: return st->fail(req, res, errc::bad_body, 400);
        case detail::inflater::result::more:
        case detail::inflater::result::done: break;
        }
    });
    req.on_end([st, req, res] {
        if (st->settled) return;
        if (!st->z.finished()) return st->fail(req, res, errc::bad_body, 400);
        st->settled = true;
        auto f = std::move(st->fn);
        f({}, std::move(st->out));
    });
}

} // namespace nodus
