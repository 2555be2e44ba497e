#pragma once
// Percent-decoding (RFC 3986 2.1) of query components and route parameters.
//
// Hand-written rather than Boost.URL: boost::urls::make_pct_string_view rejects the whole
// input on one malformed escape or one byte outside the RFC 3986 set (raw '|', '"', spaces,
// UTF-8 — all common in real query strings), while we must keep invalid escapes literally
// and decode everything else. Boost.URL is the oracle the unit tests compare against on
// valid input.
#include <cstddef>
#include <string>
#include <string_view>

namespace nodus::detail {

/// True when `s` holds a '%' (or a '+' when `plus_as_space`): decoding would change it.
bool needs_decoding(std::string_view s, bool plus_as_space) noexcept;

/// Decode `in` into `out` (room for in.size() bytes). "%41" becomes 'A'; invalid escapes
/// ("%zz", a trailing "%4") are copied as they are. Returns the decoded length.
std::size_t percent_decode(std::string_view in, char* out, bool plus_as_space) noexcept;

/// `raw` itself when nothing needs decoding; otherwise the decoded bytes, handed to
/// `store(std::string_view) -> std::string_view` to be kept (e.g. detail::keep).
template <class Store>
std::string_view decode_component(std::string_view raw, bool plus_as_space, Store&& store) {
    if (!needs_decoding(raw, plus_as_space)) return raw;
    // Most components are short: decode on the stack, spill to the heap past that.
    constexpr std::size_t stack_size = 1024;
    if (raw.size() <= stack_size) {
        char buf[stack_size];
        return store(std::string_view{buf, percent_decode(raw, buf, plus_as_space)});
    }
    std::string buf(raw.size(), '\0');
    buf.resize(percent_decode(raw, buf.data(), plus_as_space));
    return store(std::string_view{buf});
}

} // namespace nodus::detail
