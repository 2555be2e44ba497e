#pragma once
/** @file
    `nodus::add_vary`: one `Vary` field that several middleware add to.
*/
#include <string_view>

#include <nodus/http/response.hpp>

namespace nodus {

/** Add `field` to the response's `Vary` header unless it is listed already (compared
    case-insensitively) or the header is "*". Returns false once the headers were sent. */
bool add_vary(const response& res, std::string_view field);

} // namespace nodus
