#pragma once
// The upstream of a proxy::forward, read once from its URL at setup.
#include <cstdint>
#include <string>
#include <string_view>

namespace nodus::proxy::detail {

struct upstream {
    bool https = false;
    std::string host; ///< a name, an IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = 0;
};

/** `http://HOST[:PORT][/]` or `https://...`.
    @throws std::invalid_argument saying what is wrong with `url`. */
upstream parse_upstream(std::string_view url);

} // namespace nodus::proxy::detail
