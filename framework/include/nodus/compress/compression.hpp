#pragma once
/** @file
    Compression: gzip and deflate responses chosen by `Accept-Encoding`, and request bodies
    sent with `Content-Encoding: gzip` decoded, with a limit on their decoded size.
*/
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>
#include <nodus/router/router.hpp>

namespace nodus {

/** A content coding nodus can produce. */
enum class content_coding : std::uint8_t { identity, gzip, deflate };

/** The outcome of `negotiate_encoding`. */
struct encoding_choice {
    content_coding coding = content_coding::identity; ///< the best acceptable coding
    bool identity_refused = false; ///< `identity;q=0` (or `*;q=0` without identity)
};

/** Choose a coding for a response from an `Accept-Encoding` value (RFC 9110 12.5.3):
    the acceptable coding with the highest q-value, gzip before deflate on a tie
    (`x-gzip` counts as gzip); `q=0` refuses a coding; `*` stands for every coding not
    named; an element with a malformed q-value (`q=2`, `q=abc`, `q=0.1234`) is ignored.
    No header, an empty one, or nothing acceptable gives identity. `deflate` false:
    deflate is never chosen. */
encoding_choice negotiate_encoding(std::string_view accept_encoding, bool deflate = true) noexcept;

/** The default rule of `compression_options::compressible`: `text/` types,
    `application/json`, `application/javascript`, `application/xml`, any `+json` or
    `+xml` type, `image/svg+xml`, `application/wasm`; never `text/event-stream`. */
bool compressible_type(std::string_view content_type) noexcept;

/** What `compression()` does. */
struct compression_options {
    /** Smallest body compressed, when its size is known (given whole to `end`). Bodies
        written in pieces (`write`) are compressed whatever their size. */
    std::size_t threshold = 1024;
    /** zlib level, 1 (fastest) to 9 (smallest); 6 is gzip's default. */
    int level = 6;
    /** Offer deflate (zlib format, RFC 9110 8.4.1.2) as well as gzip. */
    bool deflate = true;
    /** Which `Content-Type`s to compress; empty: `compressible_type`. */
    std::function<bool(std::string_view content_type)> compressible;
};

/** Compression middleware. A response is compressed with the coding `negotiate_encoding`
    picks when all of these hold: the request is not `HEAD`; the status is not 1xx, 204 or
    304; the response has no `Content-Encoding` of its own; its `Content-Type` is
    compressible; and the body is streamed with `write`, or given whole to `end` and at
    least `threshold` bytes (any size when the client refused identity). It then carries
    `Content-Encoding`, loses its `Content-Length` (a whole body gets the compressed
    length; a streamed one is chunked), and a strong `ETag` becomes weak. Every response of
    a compressible type says `Vary: Accept-Encoding`. Streaming keeps `write`'s
    backpressure: `write` returns what the connection says about the compressed bytes.
    @code
    app.use(nodus::compression({.threshold = 1024}));
    @endcode */
middleware compression(compression_options opts = {});

/** Read `req`'s whole body like `request::body`, decoding a `Content-Encoding` of gzip,
    x-gzip or deflate as it arrives; `limit` bounds the decoded size (and the encoded
    size). Answers itself before calling `fn` with the error: 413 when the body, encoded
    or decoded, passes `limit` (`errc::body_too_large`; decoding stops at once, so a
    compression bomb costs no more than `limit` bytes of memory), 400 for a corrupt or
    truncated stream (`errc::bad_body`), 415 for any other coding
    (`errc::unsupported_media_type`); a body that fails on the wire is answered as for
    `request::body`. Answers come from `set_answer_builder` and close the connection.
    @code
    app.post("/todos", [](nodus::request req, nodus::response res) {
        nodus::read_body(req, res, 1 << 20, [res](std::error_code ec, std::string body) {
            if (ec) return;                 // already answered
            res.end(body);
        });
    });
    @endcode */
void read_body(const request& req, const response& res, std::size_t limit,
               std::function<void(std::error_code, std::string)> fn);

} // namespace nodus
