// libFuzzer driver for the request parsing path, in process (no socket, no loop):
// framework/src/http/detail/strict.hpp (skip_leading_empty_lines, find_head_end,
// check_partial_head, check_request_head), Beast's parser with the framework's callbacks
// (nodus::detail::request_parser of framework/src/http/detail/request_parser.hpp) and, for a
// chunked body, nodus's chunked_decoder (framework/src/http/detail/chunked_decoder.hpp), fed
// the way framework/src/http/connection*.cpp and body_reader.cpp feed them: the input is the
// byte stream of one connection, possibly several pipelined requests, delivered in segments.
//
// Invariants (an abort is a finding):
//  - no ASan/UBSan report;
//  - find_head_end resumed with `from` agrees with a scan from the start;
//  - check_request_head_prefix (one pass) accepts what find_head_end + check_request_head
//    accept, with the same length, head_info and parts, and refuses the rest;
//  - check_partial_head: scanning the growing buffer incrementally (partial_scan) gives the
//    same verdict as a fresh scan; once the head is complete, a prefix refused by the partial
//    check is refused by the full check too, and a head the full check accepts has no
//    refused prefix (else the answer would depend on TCP segmentation);
//  - a head check_request_head accepts, Beast accepts too (header_limit and body_limit as in
//    connection_exchange.cpp; 413 only when the declared length is over the limit), with the same
//    framing: same chunked flag, same Content-Length, body-less exactly when neither;
//    and the same method and target as the request line; the line and fields the strict
//    check collects (head_parts, used instead of Beast for a body-less request) are Beast's;
//  - the request line as the application sees it: method and target as sent; path and query
//    rebuild the target (origin-form), or its end (absolute-form, whose authority is a valid
//    host);
//  - body: never more than max_body_bytes delivered; a Content-Length body delivers exactly
//    Content-Length bytes;
//  - chunked body: the decoder's outcome (data, trailer section, refusal and the byte it is
//    decided at) is the same fed a byte at a time as fed at once; its trailer fields are
//    kept apart from the header fields, within max_headers and max_header_bytes, each one
//    check_trailer_field accepts.
#include "http/detail/chunked_decoder.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/strict.hpp"
#include "text/detail/uri.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <nodus/config/config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace sd = nodus::http::detail;
namespace beast = boost::beast;

void fail(const char* what, std::string_view head = {}, int a = 0, int b = 0) {
    std::fprintf(stderr, "fuzz_request_head: invariant failed: %s (%d, %d)\n", what, a, b);
    if (!head.empty()) {
        std::fprintf(stderr, "head (%zu bytes): \"", head.size());
        for (unsigned char c : head) {
            if (c == '\r') std::fputs("\\r", stderr);
            else if (c == '\n') std::fputs("\\n", stderr);
            else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') std::fprintf(stderr, "\\x%02x", c);
            else std::fputc(c, stderr);
        }
        std::fputs("\"\n", stderr);
    }
    std::abort();
}

nodus::http_config make_config() {
    nodus::http_config cfg;
    cfg.max_header_bytes = 2048;
    cfg.max_headers = 32;
    cfg.max_url_bytes = 512;
    cfg.max_body_bytes = 8192;
    return cfg;
}

// The one-pass check (check_request_head_prefix, taken first by the connection) accepts
// exactly the heads the steps accept, with the same length, framing and parts.
void check_one_pass(std::string_view v, std::size_t end, const nodus::http_config& cfg) {
    sd::head_info one, steps;
    sd::head_parts one_parts, step_parts;
    auto const n = sd::check_request_head_prefix(v, cfg, one, one_parts);
    bool const accepted =
        end != 0 && !sd::check_request_head(v.substr(0, end), cfg, steps, step_parts).status;
    if ((n != 0) != accepted)
        fail("one pass and steps disagree on acceptance", v, static_cast<int>(n), accepted);
    if (!n) return;
    if (n != end)
        fail("one pass and steps disagree on the head's length", v, static_cast<int>(n),
             static_cast<int>(end));
    if (one.chunked != steps.chunked || one.has_content_length != steps.has_content_length ||
        one.content_length != steps.content_length || one.keep_alive != steps.keep_alive ||
        one.expect_continue != steps.expect_continue || one.upgrade != steps.upgrade ||
        one.version != steps.version)
        fail("one pass and steps disagree on what the head says", v);
    if (one_parts.method != step_parts.method || one_parts.target != step_parts.target ||
        one_parts.fields.size() != step_parts.fields.size())
        fail("one pass and steps disagree on the parts", v);
    for (std::size_t i = 0; i < one_parts.fields.size(); ++i)
        if (one_parts.fields[i].name != step_parts.fields[i].name ||
            one_parts.fields[i].value != step_parts.fields[i].value)
            fail("one pass and steps disagree on a field", v, static_cast<int>(i), 0);
}

// Partial checks over every prefix of `v` shorter than `end` (the head's length).
// Returns the first non-zero verdict, if any.
sd::verdict partial_checks(std::string_view v, std::size_t end, const nodus::http_config& cfg) {
    sd::partial_scan scan;
    // Stepping one byte at a time is quadratic in the fresh re-scans; do fresh ones at a few
    // cut points only.
    std::size_t const fresh_every = end / 4 + 1;
    for (std::size_t n = 1; n < end; ++n) {
        auto const prefix = v.substr(0, n);
        auto const inc = sd::check_partial_head(prefix, cfg, scan);
        // find_head_end resumed from an earlier point must agree with a fresh search.
        if (sd::find_head_end(prefix, n - 1) != 0 || (n % fresh_every == 0 && sd::find_head_end(prefix) != 0))
            fail("find_head_end found an end before the head's end", prefix);
        if (n % fresh_every == 0 || inc.status) {
            auto const fresh = sd::check_partial_head(prefix, cfg);
            if (fresh.status != inc.status)
                fail("incremental and fresh check_partial_head disagree", prefix, inc.status, fresh.status);
        }
        if (inc.status) return inc;
    }
    return {};
}

struct counting {
    std::uint64_t bytes = 0;
};

struct decoded {
    std::string data, trailers;
    std::size_t used = 0;
    int status = 0;
    bool done = false;

    bool operator==(const decoded&) const = default;
};

// A chunked body decoded on its own, `piece` bytes at a time.
decoded decode_chunked(std::string_view in, std::size_t piece, const nodus::http_config& cfg) {
    sd::chunked_decoder d;
    d.set_limits({cfg.max_body_bytes, cfg.max_header_bytes, cfg.max_headers});
    decoded out;
    std::size_t fed = 0;
    for (;;) {
        if (out.used == fed) {
            if (fed == in.size()) return out;
            fed = std::min(in.size(), fed + piece);
        }
        auto const s = d.decode(in.substr(out.used, fed - out.used), out.trailers);
        if (s.used > fed - out.used || s.data.size() > s.used)
            fail("chunked_decoder used more bytes than it was given");
        out.data += s.data;
        out.used += s.used;
        if (s.error || s.done) {
            out.status = s.error.status;
            out.done = s.done;
            return out;
        }
    }
}

// The decoder's outcome must not depend on how the bytes arrive.
void check_chunked_segmentation(std::string_view body, const nodus::http_config& cfg) {
    auto const whole = decode_chunked(body, body.size() + 1, cfg);
    auto const bytewise = decode_chunked(body, 1, cfg);
    if (!(whole == bytewise))
        fail("chunked_decoder: a byte at a time differs from all at once", body, whole.status,
             bytewise.status);
    if (whole.data.size() > cfg.max_body_bytes) fail("chunked_decoder: more data than max_body_bytes", body);
    if (whole.trailers.size() > cfg.max_header_bytes)
        fail("chunked_decoder: trailer section over max_header_bytes", body);
}

void check_trailers(const nodus::detail::request_head& req, std::size_t head_fields,
                    const nodus::http_config& cfg, std::string_view head) {
    if (req.fields().size() != head_fields) fail("trailer fields merged into the header fields", head);
    if (req.trailers().size() > cfg.max_headers) fail("more trailer fields than max_headers", head);
    for (auto const& t : req.trailers()) {
        if (sd::check_trailer_field(t.name, t.value).status)
            fail("a trailer field check_trailer_field refuses was kept", head);
        if (!t.value.empty() &&
            (t.value.front() == ' ' || t.value.front() == '\t' || t.value.back() == ' ' ||
             t.value.back() == '\t'))
            fail("a trailer value keeps its OWS", head);
    }
}

// path and query rebuild the target (origin-form and the others), or its end after the
// authority (absolute-form, where an empty path reads as "/").
void check_target_parts(const nodus::detail::request_head& req, std::string_view head) {
    auto const target = req.target();
    auto const query = req.query_string();
    std::string rebuilt{req.path()};
    if (query.data()) rebuilt += "?" + std::string{query};
    if (req.authority().empty()) {
        if (rebuilt != target) fail("path and query do not rebuild the target", head);
        return;
    }
    if (!nodus::detail::valid_host(req.authority()))
        fail("absolute-form authority is not a valid host", head);
    auto const after = target.substr(target.find("://") + 3 + req.authority().size());
    if (rebuilt != after && !(req.path() == "/" && rebuilt.substr(1) == after))
        fail("path and query do not rebuild the absolute-form target's end", head);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const nodus::http_config cfg = make_config();
    if (size > 64 * 1024) return 0;
    // A copy of exactly `size` bytes, so ASan sees any read past the end.
    std::string const input(reinterpret_cast<const char*>(data), size);
    std::string_view const all{input};
    // Body segment size, from the input (1..64 bytes).
    std::size_t const step = 1 + (size * 2654435761u >> 7) % 64;

    std::size_t pos = 0;
    for (int requests = 0; requests < 16 && pos < all.size(); ++requests) {
        auto v = all.substr(pos);
        auto const skip = sd::skip_leading_empty_lines(v);
        if (skip > v.size()) fail("skip_leading_empty_lines past the end");
        v.remove_prefix(skip);
        pos += skip;
        if (v.empty()) break;

        auto const end = sd::find_head_end(v);
        check_one_pass(v, end, cfg);
        if (end == 0) {
            // Incomplete head: the connection would check it and wait for more bytes.
            (void)partial_checks(v, v.size() + 1, cfg);
            break;
        }
        if (end < 4 || end > v.size() || v.substr(end - 4, 4) != "\r\n\r\n")
            fail("find_head_end result does not end a CRLFCRLF", v);
        auto const head = v.substr(0, end);

        sd::head_info info;
        auto const full = sd::check_request_head(head, cfg, info);
        auto const partial = partial_checks(v, end, cfg);
        if (partial.status && !full.status)
            fail("a prefix is refused but the whole head is accepted", head, partial.status, 0);
        // The verdict for the whole buffer (as the connection computes it on a complete
        // head) matches the full check when the head fits in the limits.
        if (full.status) break; // the connection answers the error and closes

        nodus::detail::exchange ex;
        counting body;
        (void)ex.body().on_data([&body](std::string_view chunk) { body.bytes += chunk.size(); });
        auto& p = ex.start_parsing();
        p.header_limit(static_cast<std::uint32_t>(head.size() + 1));
        p.set_limits(cfg);
        beast::error_code ec;
        std::string const head_copy{head}; // the connection parses its own copy too
        auto const used = p.put(boost::asio::const_buffer(head_copy.data(), head_copy.size()), ec);
        if (ec == beast::http::error::body_limit) {
            if (!(info.has_content_length && info.content_length > cfg.max_body_bytes))
                fail("Beast: body_limit on a head within the limit", head);
            break; // 413
        }
        if (ec || !p.is_header_done())
            fail(("strict accepted a head Beast refuses: " + ec.message()).c_str(), head);
        if (used != head.size())
            fail("Beast did not consume the whole head", head, static_cast<int>(used),
                 static_cast<int>(head.size()));
        pos += end;

        // Framing must agree: this is what request smuggling is about.
        if (p.chunked() != info.chunked) fail("chunked differs", head, p.chunked(), info.chunked);
        auto const cl = p.content_length();
        if (info.chunked) {
            if (cl) fail("Beast has a Content-Length on a chunked request", head);
        } else if (info.has_content_length) {
            if (!cl || *cl != info.content_length)
                fail("Content-Length differs", head, cl ? static_cast<int>(*cl) : -1,
                     static_cast<int>(info.content_length));
        } else if (cl) {
            fail("Beast found a Content-Length strict did not", head);
        }
        bool const bodyless = !info.chunked && info.content_length == 0;
        if (p.is_done() != bodyless) fail("body presence differs", head, p.is_done(), bodyless);

        // The request line as the application will see it.
        auto const sp1 = head.find(' ');
        auto const sp2 = head.find(' ', sp1 + 1);
        if (ex.req().method() != head.substr(0, sp1)) fail("method differs from the request line", head);
        if (ex.req().target() != head.substr(sp1 + 1, sp2 - sp1 - 1))
            fail("target differs from the request line", head);
        check_target_parts(ex.req(), head);

        // A body-less request takes its line and fields from the strict check instead of
        // Beast (connection_exchange.cpp): they must be what Beast reports.
        sd::head_info info_again;
        sd::head_parts parts;
        if (sd::check_request_head(head, cfg, info_again, parts).status)
            fail("parts: the verdict differs", head);
        if (parts.method != ex.req().method() || parts.target != ex.req().target())
            fail("parts: the request line differs from Beast's", head);
        auto const fields = ex.req().fields();
        if (parts.fields.size() != fields.size())
            fail("parts: field count differs from Beast's", head, static_cast<int>(parts.fields.size()),
                 static_cast<int>(fields.size()));
        for (std::size_t i = 0; i < fields.size() && i < parts.fields.size(); ++i)
            if (parts.fields[i].name != fields[i].name || parts.fields[i].value != fields[i].value)
                fail("parts: a field differs from Beast's", head, static_cast<int>(i), 0);
        auto const head_fields = ex.req().fields().size();
        if (head_fields > cfg.max_headers) fail("more fields than max_headers", head);

        if (p.is_done()) continue; // next pipelined request

        if (info.chunked) check_chunked_segmentation(all.substr(pos), cfg);

        // The body, in segments of `step` bytes as reads would bring them.
        bool done = false;
        std::size_t avail = std::min(all.size(), pos + step);
        for (;;) {
            auto const r = p.put_body(all.substr(pos, avail - pos));
            if (r.used == 0 && pos < avail && !r.error && !r.done) fail("put_body made no progress", head);
            pos += r.used;
            if (body.bytes > cfg.max_body_bytes) fail("more body bytes delivered than max_body_bytes", head);
            if (r.error) break; // 400 / 413 / 431, then close
            if (r.done) {
                done = true;
                break;
            }
            if (pos == avail) {
                if (avail == all.size()) break; // the connection would wait for more
                avail = std::min(all.size(), avail + step);
            }
        }
        if (!done) break;
        check_trailers(ex.req(), head_fields, cfg, head);
        if (info.has_content_length && body.bytes != info.content_length)
            fail("Content-Length body delivered a different length", head, static_cast<int>(body.bytes),
                 static_cast<int>(info.content_length));
    }
    return 0;
}
