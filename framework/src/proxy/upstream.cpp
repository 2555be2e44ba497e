// An upstream's URL, checked at setup so that a typo stops the program instead of
// answering 502 to every request.
#include "proxy/detail/upstream.hpp"

#include <boost/url/parse.hpp>

#include <charconv>
#include <stdexcept>

namespace nodus::proxy::detail {

upstream parse_upstream(std::string_view url) {
    auto bad = [](const char* why) { throw std::invalid_argument(why); };
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) bad("not an absolute URL (http://HOST[:PORT])");
    const auto& u = *parsed;
    upstream up;
    if (u.scheme_id() == boost::urls::scheme::https) up.https = true;
    else if (u.scheme_id() != boost::urls::scheme::http) bad("the scheme must be http or https");
    if (!u.has_authority() || u.encoded_host().empty()) bad("no host (http://HOST[:PORT])");
    if (u.has_userinfo()) bad("user info (USER@) is not allowed");
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        bad("a path is not allowed: the request's own path is forwarded");
    if (u.has_query() || u.has_fragment()) bad("a query or fragment is not allowed");
    auto host = u.encoded_host_address();
    if (host.find('%') != std::string_view::npos) bad("the host must not be percent-encoded");
    up.host = std::string(host);
    up.port = up.https ? 443 : 80;
    if (u.has_port()) {
        auto p = u.port();
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || v == 0 || v > 65535)
            bad("the port must be 1 to 65535");
        up.port = static_cast<std::uint16_t>(v);
    }
    return up;
}

} // namespace nodus::proxy::detail
