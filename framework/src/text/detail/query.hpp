#pragma once
// Splitting a query string (the part of a target after '?') into name=value pairs, for
// request::query(); the components are then decoded with decode_component (percent.hpp,
// '+' as space). Hand-written rather than boost::urls::parse_query, which rejects the whole
// query on one malformed escape or one raw byte outside the RFC 3986 set.
#include <string_view>

#include "text/detail/percent.hpp"

namespace nodus::detail {

/// Call `f(raw_name, raw_value)` for each `name=value` pair of `qs` (the part after '?'),
/// in order. Pairs are separated by '&' only; empty pairs are skipped; a pair without '='
/// has an empty value; the value keeps any further '='. Nothing is decoded.
template <class F>
void split_query(std::string_view qs, F&& f) {
    while (!qs.empty()) {
        auto const amp = qs.find('&');
        auto const pair = qs.substr(0, amp);
        qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
        if (pair.empty()) continue;
        auto const eq = pair.find('=');
        if (eq == std::string_view::npos) f(pair, std::string_view{});
        else f(pair.substr(0, eq), pair.substr(eq + 1));
    }
}

} // namespace nodus::detail
