#include "json/detail/body_parser.hpp"

#include <nodus/http/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace nodus::json::detail {

namespace {

// Boost.JSON reads a number beyond the range of double (1e999) as infinity, and would write
// it back as "Infinity", which is not JSON: such a body is refused instead.
bool all_finite(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array: return std::all_of(v.get_array().begin(), v.get_array().end(), all_finite);
    case boost::json::kind::object:
        return std::all_of(v.get_object().begin(), v.get_object().end(),
                           [](const boost::json::key_value_pair& kv) { return all_finite(kv.value()); });
    default: return true;
    }
}

boost::json::parse_options parse_options_of(const read_options& opts) {
    boost::json::parse_options po;
    po.max_depth = std::min(opts.max_depth, max_depth_limit);
    return po;
}
} // namespace

body_parser::body_parser(const read_options& opts)
    : parser_(boost::json::storage_ptr{}, parse_options_of(opts)), max_bytes_(opts.max_bytes) {}

bool body_parser::feed(std::string_view chunk) {
    if (error_) return false;
    if (chunk.size() > max_bytes_ - bytes_) {
        error_.status = 413;
        error_.code = make_error_code(nodus::errc::body_too_large);
        error_.message = fmt::format("the JSON body is larger than the limit of {} bytes", max_bytes_);
        error_.body_unread = true;
        return false;
    }
    boost::json::error_code ec;
    // On error the parser returns how far it got: the offset of the byte it refused.
    const std::size_t n = parser_.write(chunk.data(), chunk.size(), ec);
    advance(chunk.substr(0, std::min(n, chunk.size())));
    if (ec) {
        fail_parse(ec);
        return false;
    }
    return true;
}

bool body_parser::finish() {
    if (error_) return false;
    boost::json::error_code ec;
    parser_.finish(ec);
    if (ec) {
        fail_parse(ec);
        error_.body_unread = false;
        return false;
    }
    value_ = parser_.release();
    if (!all_finite(value_)) {
        error_.status = 400;
        error_.code = boost::json::error::exponent_overflow;
        error_.message = "malformed JSON: a number is beyond the range of a double (about 1.8e308)";
        return false;
    }
    return true;
}

void body_parser::advance(std::string_view consumed) {
    for (auto nl = consumed.find('\n'); nl != std::string_view::npos; nl = consumed.find('\n', nl + 1)) {
        ++line_;
        line_start_ = bytes_ + nl + 1;
    }
    bytes_ += consumed.size();
}

void body_parser::fail_parse(std::error_code ec) {
    error_.status = 400;
    error_.code = ec;
    error_.offset = bytes_;
    error_.line = line_;
    error_.column = bytes_ - line_start_ + 1;
    error_.message = fmt::format("malformed JSON: {} at line {}, column {} (byte offset {})", ec.message(),
                                 error_.line, error_.column, error_.offset);
    error_.body_unread = true;
}

} // namespace nodus::json::detail
