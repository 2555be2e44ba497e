#include <nodus/http/vary.hpp>

#include "text/detail/char_class.hpp"

#include <cstring>
#include <string>

namespace nodus {

bool add_vary(const response& res, std::string_view field) {
    if (res.headers_sent()) return false;
    auto current = res.get("Vary");
    if (detail::trim_ows(current) == "*" || detail::list_has_token(current, field)) return true;
    if (current.empty()) return res.set_sticky("Vary", field);
    // Merged on the stack when short (the common "Origin, Accept-Encoding"): no allocation.
    const std::size_t n = current.size() + 2 + field.size();
    if (n > 256) return res.set_sticky("Vary", std::string{current}.append(", ").append(field));
    char merged[256];
    std::memcpy(merged, current.data(), current.size());
    std::memcpy(merged + current.size(), ", ", 2);
    if (!field.empty()) std::memcpy(merged + current.size() + 2, field.data(), field.size()); // may be null
    return res.set_sticky("Vary", {merged, n});
}

} // namespace nodus
