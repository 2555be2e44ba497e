#pragma once
// The incremental half of nodus::json::read, apart from the request so that it can be fed
// bytes directly (tests/fuzz/fuzz_json_reader.cpp): chunks in, one value or one error out.
#include <nodus/json/json.hpp>

#include <boost/json/stream_parser.hpp>

#include <cstdint>
#include <string_view>
#include <utility>

namespace nodus::json::detail {

/// Parses one JSON document from the chunks given to `feed`, counting bytes against
/// `max_bytes` and tracking line and column for the error report. After the first error
/// every call is a no-op and `error()` stays as it was.
class body_parser {
public:
    explicit body_parser(const read_options& opts);

    /// Parse `chunk`. False once an error was found (see `error()`).
    bool feed(std::string_view chunk);
    /// The body ended: check the document is complete. False on error.
    bool finish();
    /// The value, after `finish()` returned true.
    boost::json::value release() { return std::move(value_); }
    const read_error& error() const noexcept { return error_; }

private:
    void advance(std::string_view consumed);
    void fail_parse(std::error_code ec);

    boost::json::stream_parser parser_;
    std::uint64_t max_bytes_;
    std::uint64_t bytes_ = 0; // consumed so far
    std::uint64_t line_ = 1;
    std::uint64_t line_start_ = 0; // offset of the first byte of the current line
    read_error error_;
    boost::json::value value_;
};

} // namespace nodus::json::detail
