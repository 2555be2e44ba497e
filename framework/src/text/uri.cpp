#include "text/detail/uri.hpp"

#include "text/detail/char_class.hpp"
#include "text/detail/scan.hpp"

#include <algorithm>

namespace nodus::detail {
namespace {

namespace cc = char_class;

bool valid_ipv4(std::string_view s) noexcept {
    int octets = 0;
    std::size_t i = 0;
    for (;;) {
        std::size_t start = i;
        unsigned v = 0;
        while (i < s.size() && in_class(s[i], cc::digit) && i - start < 3)
            v = v * 10 + unsigned(s[i++] - '0');
        std::size_t len = i - start;
        if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
        if (++octets == 4) return i == s.size();
        if (i == s.size() || s[i] != '.') return false;
        ++i;
    }
}

bool valid_ipv6(std::string_view s) noexcept {
    const std::size_t n = s.size();
    std::size_t i = 0;
    int groups = 0;
    bool compressed = false;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        compressed = true;
        i = 2;
    } else if (n > 0 && s[0] == ':') {
        return false;
    }
    while (i < n) {
        std::size_t start = i;
        while (i < n && in_class(s[i], cc::hexdig)) ++i;
        if (i < n && s[i] == '.') {
            if (!valid_ipv4(s.substr(start))) return false;
            groups += 2;
            break;
        }
        if (i == start || i - start > 4) return false;
        ++groups;
        if (i == n) break;
        if (s[i] != ':') return false;
        if (++i == n) return false;
        if (s[i] == ':') {
            if (compressed) return false;
            compressed = true;
            ++i;
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

bool valid_ip_literal(std::string_view s) noexcept {
    if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) {
        // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        std::size_t i = 1;
        while (i < s.size() && in_class(s[i], cc::hexdig)) ++i;
        if (i == 1 || i == s.size() || s[i] != '.' || ++i == s.size()) return false;
        for (; i < s.size(); ++i)
            if (!in_class(s[i], cc::reg_name) && s[i] != ':') return false;
        return true;
    }
    return valid_ipv6(s);
}

} // namespace

namespace {

// Where "[" IP-literal "]" ends in `host` (just past the ']'), or 0.
[[gnu::noinline]] std::size_t ip_literal_end(std::string_view host) noexcept {
    auto close = host.find(']');
    if (close == std::string_view::npos || !valid_ip_literal(host.substr(1, close - 1))) return 0;
    return close + 1;
}

// Where the reg-name (or IPv4address, a reg-name too) at the start of `host` ends.
std::size_t reg_name_end(std::string_view host) noexcept {
    const char* const begin = host.data();
    const char* const end = begin + host.size();
    const char* p = begin;
    for (;;) {
        p = skip_class(p, end, cc::reg_name);
        if (end - p >= 3 && *p == '%' && in_class(p[1], cc::hexdig) && in_class(p[2], cc::hexdig)) {
            p += 3;
            continue;
        }
        return static_cast<std::size_t>(p - begin);
    }
}

bool valid_port(std::string_view port, bool required) noexcept {
    if (port.size() > 5 || (port.empty() && required)) return false;
    unsigned v = 0;
    for (char c : port) {
        const unsigned d = static_cast<unsigned char>(c) - unsigned('0');
        if (d > 9) return false;
        v = v * 10 + d;
    }
    return v <= 65535;
}

} // namespace

bool valid_host(std::string_view host, bool port_required) noexcept {
    if (host.empty()) return false;
    const std::size_t i = host[0] == '[' ? ip_literal_end(host) : reg_name_end(host);
    if (i == 0) return false;
    if (i == host.size()) return !port_required;
    return host[i] == ':' && valid_port(host.substr(i + 1), port_required);
}

bool split_absolute_form(std::string_view target, absolute_form& out) noexcept {
    const auto lower = static_cast<unsigned char>(target.empty() ? 0 : target[0] | 0x20);
    if (lower < 'a' || lower > 'z') return false;
    std::size_t i = 1;
    while (i < target.size() && in_class(target[i], cc::scheme)) ++i;
    if (target.substr(i, 3) != "://") return false;
    const auto rest = target.substr(i + 3);
    const auto end = std::min(rest.find_first_of("/?"), rest.size());
    out.authority = rest.substr(0, end);
    out.path_and_query = rest.substr(end);
    return true;
}

} // namespace nodus::detail
