#pragma once
/** @file
    `nodus::handler`: what a server calls for each request, and what a route runs.
*/
#include <functional>

#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

/** A request handler: the server's callback (`nodus::server`) and a route's
    (`router::get`...). A `router` is one too, passed as `std::ref(router)`. */
using handler = std::function<void(request, response)>;

} // namespace nodus
