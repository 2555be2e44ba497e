#pragma once
/** @file
    JSON over `nodus::client`: `get_json` and `post_json` (Boost.JSON values, as `nodus::json`). */
#include <cstddef>
#include <functional>

#include <boost/json/value.hpp>

#include <nodus/client/client.hpp>

namespace nodus::client {

/** GET `opts` with `Accept: application/json` and parse the body as JSON. `done(err, status,
    value)` runs once: with `errc::bad_response` (reason "bad response: body is not JSON")
    when the body does not parse, whatever the status. */
void get_json(options opts, std::function<void(const error&, int status, boost::json::value)> done,
              std::size_t max_body = default_max_body);

/** POST `body` serialised (`Content-Type: application/json`) and parse the response body as
    JSON, as `get_json`; an empty response body gives a null value. */
void post_json(options opts, const boost::json::value& body,
               std::function<void(const error&, int status, boost::json::value)> done,
               std::size_t max_body = default_max_body);

} // namespace nodus::client
