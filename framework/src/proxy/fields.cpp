// The header rules of a proxy: which fields stay on one hop, and X-Forwarded-For.
#include <nodus/proxy/proxy.hpp>

#include "text/detail/char_class.hpp"

namespace nodus::proxy {

using nodus::detail::iequals;

bool is_hop_by_hop(std::string_view name) noexcept {
    // Proxy-* covers Proxy-Connection (sent by old clients as if it were Connection) and
    // the proxy authentication fields, which are meant for this hop only.
    if (name.size() >= 6 && iequals(name.substr(0, 6), "proxy-")) return true;
    return iequals(name, "Connection") || iequals(name, "Keep-Alive") || iequals(name, "TE") ||
        iequals(name, "Trailer") || iequals(name, "Transfer-Encoding") || iequals(name, "Upgrade");
}

bool is_connection_specific(std::string_view name, std::span<const header_field> fields) noexcept {
    if (is_hop_by_hop(name)) return true;
    for (const auto& f : fields)
        if (iequals(f.name, "Connection") && nodus::detail::list_has_token(f.value, name)) return true;
    return false;
}

std::string forwarded_for(const request& req) {
    std::string out;
    for (const auto& f : req.headers()) {
        if (!iequals(f.name, "X-Forwarded-For")) continue;
        auto v = nodus::detail::trim_ows(f.value);
        if (v.empty()) continue;
        if (!out.empty()) out += ", ";
        out += v;
    }
    if (!out.empty()) out += ", ";
    out += req.remote_address();
    return out;
}

} // namespace nodus::proxy
