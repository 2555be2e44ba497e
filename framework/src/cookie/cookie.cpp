// Cookie header parsing and Set-Cookie building (RFC 6265bis sections 4.1 and 5.6).
#include <nodus/cookie/cookie.hpp>
#include <nodus/log/log.hpp>

#include "text/detail/char_class.hpp"

#include <spdlog/logger.h>

#include <charconv>
#include <ctime>

namespace nodus {

namespace {

using nodus::detail::iequals;
using nodus::detail::is_token;
using nodus::detail::trim_ows;

constexpr std::size_t max_pair_bytes = 4096;
constexpr std::size_t max_attribute_bytes = 1024;

// cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
constexpr bool cookie_octet(char ch) noexcept {
    auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
        (c >= 0x5D && c <= 0x7E);
}

bool valid_value(std::string_view v) noexcept {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    for (char c : v)
        if (!cookie_octet(c)) return false;
    return true;
}

// av-octet: any CHAR except CTLs or ';'.
bool valid_attribute(std::string_view v) noexcept {
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == ';') return false;
    }
    return true;
}

// A host name of letters, digits and '-' labels (RFC 1123), with an optional leading '.'.
bool valid_domain(std::string_view d) noexcept {
    if (!d.empty() && d.front() == '.') d.remove_prefix(1);
    if (d.empty()) return false;
    std::size_t label = 0;
    for (char c : d) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || ++label > 63) return false;
    }
    return label != 0;
}

// Pairs of one Cookie value, stopping when `f` returns true.
template <class F>
bool each_pair(std::string_view header, F&& f) {
    while (!header.empty()) {
        auto semi = header.find(';');
        auto pair = trim_ows(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        auto name = trim_ows(pair.substr(0, eq));
        auto value = trim_ows(pair.substr(eq + 1));
        if (!is_token(name)) continue;
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (f(cookie_pair{name, value})) return true;
    }
    return false;
}

template <class F>
bool each_cookie(const request& req, F&& f) {
    for (auto& field : req.headers())
        if (iequals(field.name, "cookie") && each_pair(field.value, f)) return true;
    return false;
}

std::optional<std::string_view> find(const request& req, std::string_view name) {
    std::optional<std::string_view> out;
    each_cookie(req, [&](const cookie_pair& p) {
        if (p.name != name) return false;
        out = p.value;
        return true;
    });
    return out;
}

// IMF-fixdate (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {buf, n};
}

const char* refusal(std::string_view name, std::string_view value, const cookie_options& o) {
    if (!is_token(name)) return "the name is not a token";
    if (!valid_value(value)) return "the value holds bytes a cookie cannot carry (encode it first)";
    if (name.size() + value.size() > max_pair_bytes) return "name and value are over 4096 bytes";
    if (!o.path.empty() && (o.path.front() != '/' || !valid_attribute(o.path))) return "invalid Path";
    if (!o.domain.empty() && !valid_domain(o.domain)) return "invalid Domain";
    if (o.path.size() > max_attribute_bytes || o.domain.size() > max_attribute_bytes)
        return "an attribute is over 1024 bytes";
    if (o.same_site == same_site_policy::none && !o.secure) return "SameSite=None needs Secure";
    if (o.partitioned && !o.secure) return "Partitioned needs Secure";
    auto prefix = [&](std::string_view p) {
        return name.size() >= p.size() && iequals(name.substr(0, p.size()), p);
    };
    if (prefix("__Secure-") && !o.secure) return "a __Secure- cookie needs Secure";
    if (prefix("__Host-") && (!o.secure || !o.domain.empty() || o.path != "/"))
        return "a __Host- cookie needs Secure, Path=/ and no Domain";
    return nullptr;
}

} // namespace

std::vector<cookie_pair> parse_cookies(std::string_view header) {
    std::vector<cookie_pair> out;
    each_pair(header, [&](const cookie_pair& p) {
        out.push_back(p);
        return false;
    });
    return out;
}

std::vector<cookie_pair> cookies(const request& req) {
    std::vector<cookie_pair> out;
    each_cookie(req, [&](const cookie_pair& p) {
        out.push_back(p);
        return false;
    });
    return out;
}

std::string_view cookie(const request& req, std::string_view name) {
    return find(req, name).value_or(std::string_view{});
}

bool has_cookie(const request& req, std::string_view name) { return find(req, name).has_value(); }

std::optional<std::string> format_set_cookie(std::string_view name, std::string_view value,
                                             const cookie_options& o, std::string* why) {
    if (const char* r = refusal(name, value, o)) {
        if (why) *why = r;
        return std::nullopt;
    }
    std::string out;
    out.reserve(name.size() + value.size() + o.path.size() + o.domain.size() + 120);
    out.append(name).append("=").append(value);
    if (!o.path.empty()) out.append("; Path=").append(o.path);
    if (!o.domain.empty()) out.append("; Domain=").append(o.domain);
    if (o.max_age) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, o.max_age->count() < 0 ? 0 : o.max_age->count());
        out.append("; Max-Age=").append(buf, r.ptr);
    }
    if (o.expires) out.append("; Expires=").append(http_date(*o.expires));
    if (o.secure) out.append("; Secure");
    if (o.http_only) out.append("; HttpOnly");
    switch (o.same_site) {
    case same_site_policy::unset: break;
    case same_site_policy::strict: out.append("; SameSite=Strict"); break;
    case same_site_policy::lax: out.append("; SameSite=Lax"); break;
    case same_site_policy::none: out.append("; SameSite=None"); break;
    }
    if (o.partitioned) out.append("; Partitioned");
    return out;
}

bool set_cookie(const response& res, std::string_view name, std::string_view value,
                const cookie_options& opts) {
    std::string why;
    auto line = format_set_cookie(name, value, opts, &why);
    if (!line) {
        // A name that is not a token may hold line breaks: never copy it into the log.
        log::get().warn("Set-Cookie for \"{}\" refused: {}", is_token(name) ? name.substr(0, 64) : "?", why);
        return false;
    }
    return res.append("Set-Cookie", *line);
}

bool clear_cookie(const response& res, std::string_view name, cookie_options opts) {
    opts.max_age = std::chrono::seconds{0};
    opts.expires = std::chrono::system_clock::time_point{};
    return set_cookie(res, name, "", opts);
}

} // namespace nodus
