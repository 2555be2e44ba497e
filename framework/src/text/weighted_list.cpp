#include "text/detail/weighted_list.hpp"

namespace nodus::detail {

int parse_qvalue(std::string_view v) noexcept {
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
    const int whole = v[0] - '0';
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

int element_weight(std::string_view params) noexcept {
    int q = 1000;
    while (!params.empty()) {
        const auto semi = params.find(';');
        const auto p = trim_ows(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (p.empty()) continue;
        const auto eq = p.find('=');
        if (eq == std::string_view::npos) return -1;
        const auto name = trim_ows(p.substr(0, eq));
        if (!is_token(name)) return -1;
        if (iequals(name, "q")) q = parse_qvalue(trim_ows(p.substr(eq + 1)));
        if (q < 0) return -1;
    }
    return q;
}

} // namespace nodus::detail
