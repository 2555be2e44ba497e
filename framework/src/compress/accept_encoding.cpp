// Accept-Encoding negotiation (RFC 9110 12.5.3) and the compressible media types.
#include <nodus/compress/compression.hpp>

#include "text/detail/char_class.hpp"

namespace nodus {

namespace {

using detail::iequals;
using detail::trim_ows;

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 if malformed.
int parse_qvalue(std::string_view v) noexcept {
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
    int whole = v[0] - '0';
    if (v.size() == 1) return whole * 1000;
    if (v[1] != '.' || v.size() > 5) return -1;
    int frac = 0, digits = 0;
    for (char c : v.substr(2)) {
        if (c < '0' || c > '9') return -1;
        frac = frac * 10 + (c - '0');
        ++digits;
    }
    while (digits++ < 3) frac *= 10;
    if (whole == 1 && frac != 0) return -1;
    return whole * 1000 + frac;
}

// The weight of one list element: 1000 without a q parameter, -1 if malformed.
int weight(std::string_view params) noexcept {
    int q = 1000;
    while (!params.empty()) {
        auto semi = params.find(';');
        auto p = trim_ows(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (p.empty()) continue;
        auto eq = p.find('=');
        if (eq == std::string_view::npos) return -1;
        auto name = trim_ows(p.substr(0, eq));
        if (!detail::is_token(name)) return -1;
        if (iequals(name, "q")) q = parse_qvalue(trim_ows(p.substr(eq + 1)));
        if (q < 0) return -1;
    }
    return q;
}

} // namespace

encoding_choice negotiate_encoding(std::string_view header, bool deflate) noexcept {
    // -1: not named.
    int gzip_q = -1, deflate_q = -1, identity_q = -1, star_q = -1;
    while (!header.empty()) {
        auto comma = header.find(',');
        auto item = trim_ows(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        if (item.empty()) continue;
        auto semi = item.find(';');
        auto name = trim_ows(item.substr(0, semi));
        int q = weight(semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1));
        if (q < 0) continue;
        // A coding named twice keeps its highest weight.
        auto keep = [q](int& slot) { slot = slot < q ? q : slot; };
        if (iequals(name, "gzip") || iequals(name, "x-gzip")) keep(gzip_q);
        else if (iequals(name, "deflate")) keep(deflate_q);
        else if (iequals(name, "identity")) keep(identity_q);
        else if (name == "*") keep(star_q);
    }
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
