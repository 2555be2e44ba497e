#pragma once
// Strict checks of a request head (RFC 9110/9112, close to llhttp's strict mode), run before the
// bytes reach Beast: Beast's parser is lenient about several request-smuggling vectors.
//
// Use per connection:
//   1. drop skip_leading_empty_lines(buf) bytes;
//   2. while find_head_end(buf) == 0: check_partial_head(buf, cfg, scan) after every read
//      (answers slow, huge or already broken heads early), read more;
//   3. check_request_head(buf.substr(0, end), cfg, info); status 0: hand the head to Beast.
// Then, for a chunked body (chunked_decoder.hpp): chunk_ext_scanner and check_trailer_field
// (strict_chunked.cpp).
// Nothing here allocates or depends on the locale. Host syntax (valid_host) is URI syntax,
// in text/detail/uri.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nodus/config/config.hpp>
#include <nodus/http/request.hpp>

#include <vector>

namespace nodus::http::detail {

/// status 0: acceptable; else the status to answer (400, 414, 417, 431, 501, 505), and a
/// short static reason for the log.
struct verdict {
    int status = 0;
    const char* reason = nullptr;

    /// true when the head is to be refused.
    explicit operator bool() const noexcept { return status != 0; }
};

/// What check_request_head learned; meaningful only when it returned status 0.
struct head_info {
    std::uint64_t content_length = 0;
    bool has_content_length = false;
    bool chunked = false; ///< Transfer-Encoding: chunked (the only coding accepted)
    bool keep_alive = false; ///< from the version and the Connection tokens
    bool expect_continue = false; ///< Expect: 100-continue on an HTTP/1.1 request
    bool upgrade = false; ///< Upgrade present with a Connection "upgrade" token
    int version = 11; ///< 10 or 11
};

/// Bytes of empty lines (CRLF, or bare LF) at the start of buf; RFC 9112 2.2 lets a server
/// ignore them before the request line. A lone trailing CR is not counted (incomplete).
std::size_t skip_leading_empty_lines(std::string_view buf) noexcept;

/// Position just past the CRLFCRLF that ends the head, or 0 while incomplete.
/// `from`: bytes already searched by an earlier call on the same (grown) buffer.
/// buf must start at the request line (after skip_leading_empty_lines).
std::size_t find_head_end(std::string_view buf, std::size_t from = 0) noexcept;

/// Progress of check_partial_head over a growing buffer, so each byte is looked at once.
/// Reset it (`= {}`) whenever bytes are dropped from the front of the buffer.
struct partial_scan {
    std::size_t pos = 0;
    std::size_t count = 0; ///< bytes of the current request-line part
    std::size_t line_bytes = 0; ///< bytes of the request line so far
    std::size_t fields = 0;
    std::uint8_t state = 0;
};

/// For a head still incomplete in buf (same buffer as earlier calls with `scan`, only grown):
/// 431 past max_header_bytes or max_headers, 414 for a target past max_url_bytes (or a request
/// line past max_url_bytes + 32), 505 for a complete request line of another version than
/// 1.0/1.1, 400 for bytes that already break the syntax (bad method or target byte, bare CR
/// or LF, obs-fold, CTL in a value...); else 0. A status here is the one check_request_head
/// gives for the complete head, except that the full check may find 431 or a field's meaning
/// (Host, Content-Length...) first.
/// Leading empty lines are tolerated. Scanning stops at the end of the head, if buf has it.
verdict check_partial_head(std::string_view buf, const nodus::http_config& cfg, partial_scan& scan) noexcept;

/// Same, scanning buf from its start.
verdict check_partial_head(std::string_view buf, const nodus::http_config& cfg) noexcept;

/// Full check of a complete head: from the request line to the final CRLFCRLF inclusive.
/// Order: request line (400, 414, 505), size (431), field lines (400, 431), then framing
/// (400 before 501), and last the expectation (417).
verdict check_request_head(std::string_view head, const nodus::http_config& cfg, head_info& out) noexcept;

/// What the request line and field lines of a head say, as views into the head checked.
struct head_parts {
    std::string_view method;
    std::string_view target;
    std::vector<nodus::header_field> fields; ///< in order, values without their OWS
};

/// The same check, also collecting the parts (`parts` is cleared first; meaningful only
/// when it returned status 0). Throws only std::bad_alloc.
verdict check_request_head(std::string_view head, const nodus::http_config& cfg, head_info& out,
                           head_parts& parts);

/// Steps 1-3 in one pass for a head that arrived whole: when buf (after the empty lines)
/// starts with a complete head that check_request_head accepts, its length, with `out` and
/// `parts` as check_request_head fills them; else 0 (incomplete or refused: the steps above
/// then tell which, and why).
std::size_t check_request_head_prefix(std::string_view buf, const nodus::http_config& cfg, head_info& out,
                                      head_parts& parts);

/// Chunk extensions (RFC 9112 7.1.1), the part of a chunk-size line after the hex size, checked
/// a byte at a time as they arrive: `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )`,
/// ext-val = token / quoted-string. A quoted string cannot hold CR or LF, so one left open
/// at the end of the line is refused at its CR.
class chunk_ext_scanner {
public:
    /// Takes the next byte (not the CR that ends the line); false once the bytes so far
    /// cannot begin valid extensions, and from then on.
    bool step(char c) noexcept;
    /// Whether the extensions may end here: the line's CR is acceptable now.
    bool can_end() const noexcept;

private:
    std::uint8_t state_ = 0;
};

/// Chunk extensions accepted by the decoder: their bytes over a whole body (Node.js's
/// limit). Past it, 413: nothing is stored, but reading them is work for no data.
inline constexpr std::size_t max_chunk_extension_bytes = 16 * 1024;

/// Whole chunk extensions without the CRLF, as chunk_ext_scanner checks them.
bool valid_chunk_extensions(std::string_view ext) noexcept;

/// A field name the application may send: 1*tchar.
bool valid_field_name(std::string_view name) noexcept;
/// A field value the application may send: HTAB, SP, VCHAR, obs-text (no CR, LF, NUL, CTL).
bool valid_field_value(std::string_view value) noexcept;

/// A trailer field: name a token, value valid field-value bytes, and not a field that frames,
/// routes or authenticates the message (RFC 9110 6.5.1): 400 for those, else status 0.
verdict check_trailer_field(std::string_view name, std::string_view value) noexcept;

} // namespace nodus::http::detail
