#pragma once
// Weighted lists (RFC 9110 12.4.2 and 12.5.3): "gzip;q=0.8, br, *;q=0", as Accept-Encoding
// and the other Accept fields carry them. One reader for the compression middleware and for
// static files' precompressed siblings.
#include "text/detail/char_class.hpp"

#include <string_view>

namespace nodus::detail {

/// A qvalue in thousandths ("0.8" → 800, "1" → 1000), or -1 when malformed:
/// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
int parse_qvalue(std::string_view v) noexcept;

/// The weight of one element from its parameters (what follows its first ';'): 1000 without
/// a q parameter, -1 when a parameter is malformed.
int element_weight(std::string_view params) noexcept;

/// Calls fn(name, q) for each element of `list` with a well-formed weight, in order: `name`
/// trimmed of OWS, `q` in thousandths. Empty and malformed elements are skipped.
template <class Fn>
void for_each_weighted(std::string_view list, Fn&& fn) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = trim_ows(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (item.empty()) continue;
        const auto semi = item.find(';');
        const int q =
            element_weight(semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1));
        if (q >= 0) fn(trim_ows(item.substr(0, semi)), q);
    }
}

} // namespace nodus::detail
