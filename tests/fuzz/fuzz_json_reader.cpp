// libFuzzer driver for nodus::json's incremental reader (framework/src/json/detail/body_parser).
//
// Input: byte 0 picks how the rest is cut into chunks (bits 0-5: chunk size 1-64; bit 6: a
// size limit of half the document; bit 7: a depth limit of 8 instead of the default 64). The
// rest is the request body.
//
// Invariants: no crash; the reader accepts exactly what a one-shot parse of the whole body
// with the same options accepts, and yields the same value; an error within the size limit is
// a 400 whose offset lies within the body and whose line and column are those of that offset;
// a body over the limit is a 413 (or a 400 for malformed bytes within the limit); a number
// beyond a double (read as infinity by Boost.JSON) is refused; the value survives a
// serialize/parse round trip. Doubles compare to a relative 1e-15: Boost.JSON 1.81 does not
// round long numbers correctly, and rounds a number split across chunks differently.
#include "json/detail/body_parser.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant failed: %s\n", what);
        std::abort();
    }
}

bool all_finite(const boost::json::value& v) {
    if (v.is_double()) return std::isfinite(v.get_double());
    if (v.is_array()) return std::all_of(v.get_array().begin(), v.get_array().end(), all_finite);
    if (v.is_object())
        return std::all_of(v.get_object().begin(), v.get_object().end(),
                           [](const auto& kv) { return all_finite(kv.value()); });
    return true;
}

// Equal, but for doubles within a relative 1e-15: Boost.JSON 1.81 reads long numbers without
// correct rounding, so the shortest text of a double may read back one ulp away.
bool close(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        const double x = a.get_double(), y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.is_array() && b.is_array())
        return a.get_array().size() == b.get_array().size() &&
            std::equal(a.get_array().begin(), a.get_array().end(), b.get_array().begin(), close);
    if (a.is_object() && b.is_object()) {
        if (a.get_object().size() != b.get_object().size()) return false;
        for (const auto& kv : a.get_object()) {
            const auto* other = b.get_object().if_contains(kv.key());
            if (!other || !close(kv.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t piece = (mode & 0x3f) + 1;

    nodus::json::read_options opts;
    if (mode & 0x40) opts.max_bytes = body.size() / 2;
    if (mode & 0x80) opts.max_depth = 8;

    nodus::json::detail::body_parser p{opts};
    bool ok = true;
    for (std::size_t at = 0; ok && at < body.size(); at += piece) ok = p.feed(body.substr(at, piece));
    if (ok) ok = p.finish();

    if (body.size() > opts.max_bytes) {
        // Malformed bytes before the limit are refused first.
        check(
            !ok &&
                (p.error().status == 413 || (p.error().status == 400 && p.error().offset <= opts.max_bytes)),
            "a body over the limit is a 413, or malformed within the limit");
        return 0;
    }

    boost::json::parse_options po;
    po.max_depth = opts.max_depth;
    boost::json::error_code ec;
    const boost::json::value whole = boost::json::parse(body, ec, {}, po);
    if (!ec && !all_finite(whole)) {
        check(!ok && p.error().code == boost::json::error::exponent_overflow,
              "a number beyond a double is refused");
        return 0;
    }
    check(ok == !ec, "the incremental reader accepts what a one-shot parse accepts");
    if (!ok) {
        const auto& e = p.error();
        check(e.status == 400 && e.code, "malformed JSON is a 400 with a code");
        check(e.offset <= body.size(), "the offset lies within the body");
        const auto before = body.substr(0, e.offset);
        const auto lines = static_cast<std::uint64_t>(std::count(before.begin(), before.end(), '\n'));
        check(e.line == lines + 1, "the line is one more than the newlines before the offset");
        const auto nl = before.rfind('\n');
        const std::uint64_t start = nl == std::string_view::npos ? 0 : nl + 1;
        check(e.column == e.offset - start + 1, "the column counts from the line's start");
        return 0;
    }
    const boost::json::value v = p.release();
    check(close(v, whole), "the value equals the one-shot parse");
    const boost::json::value again = boost::json::parse(boost::json::serialize(v), ec, {}, po);
    check(!ec && close(again, v), "serialize/parse round trip");
    return 0;
}
