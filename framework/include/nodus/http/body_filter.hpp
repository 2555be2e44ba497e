#pragma once
/** @file
    `nodus::body_filter`: middleware's way to transform a response body as the application
    writes it (compression is one).
*/
#include <string_view>

#include <nodus/http/response.hpp>

namespace nodus {

/** Where a filter sends the bytes it produces: the response underneath the filter. */
class body_sink {
public:
    /** Queue `bytes` (the head goes first if it has not). Returns what `response::write`
        returns: false once the queued bytes reach the high-water mark, or when nothing can
        be written any more. */
    bool write(std::string_view bytes) const;
    /** Finish the response with a last piece. */
    bool end(std::string_view bytes = {}) const;
    /** The response being filtered: its headers can still change before the first
        `write`/`end` of the sink. */
    const nodus::response& response() const noexcept { return res_; }

private:
    friend class nodus::response;
    explicit body_sink(const nodus::response& r) noexcept : res_(r) {}
    const nodus::response& res_;
};

/** Transforms the body of one response. Installed with `response::set_body_filter`; every
    later `write(chunk)` of the application becomes `filter(out, chunk, false)`, `end(body)`
    becomes `filter(out, body, true)`, and `write_head()` becomes `filter(out, {}, false)`
    followed by sending the head if the filter did not. The first call comes while the head
    is unsent: the filter may still change headers (through `out.response()`) before it
    forwards anything. A filter must forward the end (`out.end`) when `last` is true.

    Answers the framework writes itself (a 500 after an exception, a 413...) bypass the
    filter. Without a filter installed, `write` and `end` cost one pointer test.

    @par Lifetime
    The response owns the filter until the exchange is recycled. */
class body_filter {
public:
    virtual ~body_filter() = default;
    /** Returns what the application's `write`/`end` returns. */
    virtual bool filter(const body_sink& out, std::string_view chunk, bool last) = 0;
};

} // namespace nodus
