#pragma once
// A response head (status line and field lines) checked as strictly as the server checks a
// request head (http/strict.cpp): one syntax, no leniency an upstream could use to make the
// client and a proxy in front of it read different messages. Our own parser rather than
// Beast's response_parser: Beast accepts obs-fold, bare LF, Content-Length lists and unknown
// codings, and the checks it lacks would need a second pass over the head anyway; this is
// one pass that also collects the fields.
#include <nodus/http/request.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nodus::client::detail {

/// Largest head accepted (status line and fields, CRLFs included).
inline constexpr std::size_t max_head_bytes = 64 * 1024;
/// Most field lines accepted in a head.
inline constexpr std::size_t max_head_fields = 256;

/// How the body of a response is delimited (RFC 9112 6.3).
enum class framing : std::uint8_t {
    none, ///< no body: HEAD, 1xx, 204, 304
    length, ///< Content-Length bytes
    chunked, ///< Transfer-Encoding: chunked
    until_close, ///< neither: the body ends when the connection closes
};

struct response_head {
    int status = 0;
    int version = 11; ///< 10 or 11
    std::string_view reason;
    std::vector<nodus::header_field> fields; ///< values without their OWS
    framing body = framing::none;
    std::uint64_t content_length = 0;
    bool has_content_length = false;
    bool keep_alive = false; ///< the version and the Connection tokens allow reuse
};

/// Scans a growing buffer for the end of the head. `scanned` carries the progress between
/// calls (reset to 0 for a new head). Returns the head's size (just past CRLFCRLF), 0 while
/// incomplete; sets `error` (a static reason) for bytes no valid head can contain so far: a
/// bare LF or CR, or more than max_head_bytes without an end.
std::size_t find_head_end(std::string_view buf, std::size_t& scanned, const char*& error) noexcept;

/// Checks a complete head (as find_head_end delimited it) and fills `out` (its views point
/// into `head`). `head_request`: the request was HEAD (the response has no body). Returns
/// nullptr when acceptable, else a static reason ("bad status line", "Content-Length with
/// Transfer-Encoding"...). Throws only std::bad_alloc.
const char* parse_response_head(std::string_view head, bool head_request, response_head& out);

/// Trailer lines as chunked_decoder collected them ("name: value\r\n"...), already checked,
/// as fields (views into `text`).
void split_trailers(std::string_view text, std::vector<nodus::header_field>& out);

} // namespace nodus::client::detail
