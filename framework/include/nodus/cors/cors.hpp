#pragma once
/** @file
    `nodus::cors`: Cross-Origin Resource Sharing as router middleware.
*/
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nodus/router/router.hpp>

namespace nodus {

/** What `cors()` allows. */
struct cors_options {
    /** Allowed origins, exactly as browsers send them ("https://app.example.com", scheme,
        host and port; compared case-insensitively). "*" allows every origin. */
    std::vector<std::string> origins;
    /** When set, decides instead of `origins`: true allows the origin. */
    std::function<bool(std::string_view origin)> allow_origin;
    /** Methods a preflight may ask for (`Access-Control-Allow-Methods`). */
    std::vector<std::string> methods{"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"};
    /** Request headers a preflight may ask for. Empty: whatever the preflight asks
        (`Access-Control-Request-Headers` is echoed). */
    std::vector<std::string> headers;
    /** Response headers scripts may read (`Access-Control-Expose-Headers`). */
    std::vector<std::string> exposed_headers;
    /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP authentication). The
        allowed origin is then echoed even when `origins` holds "*". */
    bool credentials = false;
    /** How long a browser may cache a preflight's answer (`Access-Control-Max-Age`). */
    std::optional<std::chrono::seconds> max_age;
};

/** Split a comma-separated list ("https://a.example, https://b.example"), as a
    configuration value holds it, into `cors_options::origins`; spaces around items and
    empty items are dropped. */
std::vector<std::string> split_origins(std::string_view list);

/** CORS middleware. For a request with an `Origin` that is allowed, the response carries
    `Access-Control-Allow-Origin` (the origin, or "*" when every origin is allowed without
    credentials), `Access-Control-Allow-Credentials` and `Access-Control-Expose-Headers`
    as configured. A preflight (`OPTIONS` with `Origin` and
    `Access-Control-Request-Method`) is answered `204` at once, without reaching any route,
    with `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers` and
    `Access-Control-Max-Age`. A disallowed origin gets no `Access-Control-Allow-*` header
    at all (its preflight is still answered 204, which the browser then refuses); requests
    without `Origin` pass untouched. Unless every origin is allowed, every response says
    `Vary: Origin`, so caches keep one answer per origin.
    @code
    app.use(nodus::cors({.origins = {"https://app.example.com"}, .credentials = true}));
    @endcode */
middleware cors(cors_options opts);

} // namespace nodus
