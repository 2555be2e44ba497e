#include <nodus/http/vary.hpp>

#include "text/detail/char_class.hpp"

#include <string>

namespace nodus {

bool add_vary(const response& res, std::string_view field) {
    if (res.headers_sent()) return false;
    auto current = res.get("Vary");
    if (detail::trim_ows(current) == "*" || detail::list_has_token(current, field)) return true;
    if (current.empty()) return res.set_sticky("Vary", field);
    std::string merged{current};
    merged.append(", ").append(field);
    return res.set_sticky("Vary", merged);
}

} // namespace nodus
