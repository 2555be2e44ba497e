// Accept-Encoding negotiation (RFC 9110 12.5.3) and the compressible media types.
#include <nodus/compress/compression.hpp>

#include "text/detail/char_class.hpp"
#include "text/detail/weighted_list.hpp"

namespace nodus {

using detail::iequals;
using detail::trim_ows;

encoding_choice negotiate_encoding(std::string_view header, bool deflate) noexcept {
    // -1: not named.
    int gzip_q = -1, deflate_q = -1, identity_q = -1, star_q = -1;
    detail::for_each_weighted(header, [&](std::string_view name, int q) {
        // A coding named twice keeps its highest weight.
        auto keep = [q](int& slot) { slot = slot < q ? q : slot; };
        if (iequals(name, "gzip") || iequals(name, "x-gzip")) keep(gzip_q);
        else if (iequals(name, "deflate")) keep(deflate_q);
        else if (iequals(name, "identity")) keep(identity_q);
        else if (name == "*") keep(star_q);
    });
    auto resolve = [star_q](int q) { return q >= 0 ? q : (star_q >= 0 ? star_q : 0); };
    encoding_choice out;
    // identity is acceptable unless refused by name, or by "*;q=0" without being named.
    out.identity_refused = identity_q == 0 || (identity_q < 0 && star_q == 0);
    int g = resolve(gzip_q);
    int d = deflate ? resolve(deflate_q) : 0;
    if (g > 0 && g >= d) out.coding = content_coding::gzip;
    else if (d > 0) out.coding = content_coding::deflate;
    return out;
}

bool compressible_type(std::string_view type) noexcept {
    type = trim_ows(type.substr(0, type.find(';')));
    auto starts = [type](std::string_view p) {
        return type.size() >= p.size() && iequals(type.substr(0, p.size()), p);
    };
    auto ends = [type](std::string_view s) {
        return type.size() >= s.size() && iequals(type.substr(type.size() - s.size()), s);
    };
    if (iequals(type, "text/event-stream")) return false;
    if (starts("text/")) return true;
    for (auto t : {"application/json", "application/javascript", "application/xml", "application/wasm",
                   "application/x-www-form-urlencoded", "image/svg+xml"})
        if (iequals(type, t)) return true;
    return type.find('/') != std::string_view::npos && (ends("+json") || ends("+xml"));
}

} // namespace nodus
