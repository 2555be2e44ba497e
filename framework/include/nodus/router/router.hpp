#pragma once
/** @file
    `nodus::router`: methods, literal segments, `:param` segments, a `*` tail wildcard,
    and middleware with `next()`. 404 when nothing matches, 405 with `Allow` when only
    the method is wrong; an exception escaping a handler becomes a 500.
*/
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>

#include <nodus/http/handler.hpp>
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

namespace detail {
struct router_impl;
}

/** Continue with the next matching middleware or route handler. Copyable; call it once.
    Only the router makes one: a middleware receives it as its third argument. */
class next_fn {
public:
    void operator()() const;

private:
    friend struct detail::router_impl;

    next_fn(const detail::router_impl* r, request req, response res, std::uint32_t index) noexcept
        : router_(r), req_(std::move(req)), res_(std::move(res)), index_(index) {}

    const detail::router_impl* router_;
    request req_;
    response res_;
    std::uint32_t index_;
};

using middleware = std::function<void(request, response, next_fn)>;
using error_handler = std::function<void(request, response, std::exception_ptr)>;

/// Routes requests to handlers.
///
/// Paths: "/users/:id/books/*": literal segments match exactly, `:name` matches one
/// non-empty segment (read with `req.param("name")`), a final `*` matches the rest
/// (read with `req.param("*")`). Literal segments win over `:param`, which wins over `*`.
/// Paths are matched before percent-decoding; one trailing slash is ignored ("/a/" is
/// "/a"). Adding routes throws `std::invalid_argument` for a malformed pattern or a
/// second handler for the same method and pattern (see docs/api.md).
///
/// @par Lifetime
/// The router must outlive the servers that use it (an `app` owns its router).
/// Routes are added during setup; adding routes while serving is allowed but not
/// while a request is being dispatched.
class router {
public:
    router();
    router(router&&) noexcept;
    router& operator=(router&&) noexcept;
    ~router();

    router& get(std::string_view path, handler h);
    router& post(std::string_view path, handler h);
    router& put(std::string_view path, handler h);
    router& patch(std::string_view path, handler h);
    router& del(std::string_view path, handler h);
    router& head(std::string_view path, handler h);
    router& options(std::string_view path, handler h);
    /** Every method. */
    router& all(std::string_view path, handler h);
    /** Any method token (e.g. "PROPFIND"). */
    router& route(std::string_view method, std::string_view path, handler h);

    /** Middleware for every request, in the order added, before route handlers. */
    router& use(middleware m);
    /** Middleware for paths equal to `prefix` or below it ("/api" matches "/api/x",
        not "/apix"). */
    router& use(std::string_view prefix, middleware m);

    /** Replace the default 404 answer. */
    router& on_not_found(handler h);
    /** Replace the default 500 answer for exceptions escaping handlers. */
    router& on_error(error_handler h);

    /** Dispatch one request (this is the server's handler). */
    void operator()(request req, response res) const;

    /** Number of routes added. */
    std::size_t size() const noexcept;

private:
    std::unique_ptr<detail::router_impl> impl_;
};

} // namespace nodus
