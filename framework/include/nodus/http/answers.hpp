#pragma once
/** @file
    The answers the framework writes itself (400, 404, 405, 408, 413, 414, 415, 431, 500,
    503...), and the one place where an application replaces their body.
*/
#include <functional>
#include <string>
#include <string_view>

#include <nodus/http/response.hpp>

namespace nodus {

/** The body of a framework answer and its media type. */
struct answer {
    std::string content_type = "text/plain";
    std::string body;
};

/** Makes the body of an answer from its status and reason phrase ("Not Found"). */
using answer_builder = std::function<answer(int status, std::string_view reason)>;

/** Replace how every framework answer of this process looks: the connection's own
    refusals before any route runs (400, 408, 413, 414, 417, 431, 501, 505), the body
    errors (400, 408, 413, 431), a dropped or failed response (500), the router's 404 and
    405, and the answers of nodus middleware (413, 415 of `read_body`). Status, `Allow`,
    `Connection: close` and the other framing stay the framework's; only `Content-Type` and
    the body come from `fn`. An empty `fn` restores the default (`text/plain`, the reason
    and a newline). If `fn` throws, the default is sent. Call it during setup (a cluster's
    workers inherit it).
    @code
    nodus::set_answer_builder([](int status, std::string_view reason) {
        return nodus::answer{"application/json",
            "{\"error\":\"" + std::string{reason} + "\",\"status\":" + std::to_string(status) + "}"};
    });
    @endcode */
void set_answer_builder(answer_builder fn);

/** The answer for `status` as the framework would send it now. */
answer make_answer(int status);

/** The reason phrase of `status` ("Not Found"); "Unknown" for unlisted codes. */
std::string_view reason_phrase(int status) noexcept;

/** Answer `status` with the framework's body for it (`make_answer`): sets the status and
    `Content-Type` and ends the response. Returns false when the head was already sent or
    the response finished (nothing is changed then). */
bool send_answer(const response& res, int status);

} // namespace nodus
