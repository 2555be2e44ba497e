#pragma once
/** @file  Error codes reported by nodus to body, write and close callbacks. */
#include <system_error>

namespace nodus {

/** Errors of an HTTP exchange (category "nodus"). */
enum class errc {
    /** The client closed the connection or reset it before the exchange finished. */
    aborted = 1,
    /** The request body exceeded the configured or requested limit. */
    body_too_large,
    /** The request body did not arrive within `[http] request_timeout_ms`, stopped for
        `body_idle_timeout_ms`, or came slower than `min_body_rate`. */
    timeout,
    /** The request body was malformed (bad chunk size, extension or trailer). */
    bad_body,
    /** The request body's media type or content coding is not one the reader accepts
        (`read_form` on a body that is not a form, `read_body` on a `Content-Encoding`
        other than gzip, deflate or identity): answered 415. */
    unsupported_media_type,
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

} // namespace nodus

template <>
struct std::is_error_code_enum<nodus::errc> : std::true_type {};
