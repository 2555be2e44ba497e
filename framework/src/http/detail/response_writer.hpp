#pragma once
// What a connection sends: status lines, headers and framed body bytes of its exchanges
// (and its own error answers), serialised into one output buffer that the connection
// writes with as few system calls as it can.
#include "http/detail/buffer_pool.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace nodus::detail {
class exchange;
}

namespace nodus::http::detail {

/// The reason phrase for `status` ("OK", "Not Found"...); "Unknown" for unlisted codes.
std::string_view reason(int status) noexcept;

/// What every response of a server carries.
struct server_fields {
    std::string_view date; // "Thu, 26 Nov 2026 13:45:31 GMT"
    std::string_view server_line; // "Server: nodus\r\n" or empty
};

class response_writer {
public:
    response_writer() = default;
    response_writer(const response_writer&) = delete;
    response_writer& operator=(const response_writer&) = delete;
    ~response_writer() { release(); }

    std::size_t buffered() const noexcept { return out_.size() - sent_; }
    std::size_t capacity() const noexcept { return out_.capacity(); }
    std::string_view unsent() const noexcept { return std::string_view{out_}.substr(sent_); }
    /// `n` more bytes went out.
    void sent(std::size_t n) noexcept { sent_ += n; }
    /// The socket is full: drop a large sent prefix so the buffer does not only grow.
    void compact();
    void all_sent() noexcept;
    /// Give the buffer back to the pool (an idle or closed connection holds none).
    void release() noexcept;

    /// Queue the status line and headers of `ex`'s response. `last`: the whole body
    /// (`body_size` bytes) comes with this call. Returns whether the connection may be
    /// kept alive after this response, given `keep_alive` before.
    bool head(nodus::detail::exchange& ex, const server_fields& srv, bool keep_alive, bool last,
              std::size_t body_size);
    /// Queue a body piece, framed; with `last`, the end of the body. Returns false when
    /// the framing forces a close after this response.
    bool body(nodus::detail::exchange& ex, std::string_view chunk, bool last);
    /// A canned error answer of the connection itself, with Connection: close; its body is
    /// the application's (set_answer_builder). Returns the body's size.
    std::size_t reject(int status, const server_fields& srv);
    void interim_continue() { append("HTTP/1.1 100 Continue\r\n\r\n"); }

    void append(std::string_view bytes);

    /// Where the next queued byte goes; `take_back(mark)` removes everything queued since,
    /// as long as no flush happened in between (the caller keeps track of that).
    std::size_t mark() const noexcept { return out_.size(); }
    void take_back(std::size_t mark) noexcept { out_.resize(mark); }

private:
    template <class Put>
    bool build_head(nodus::detail::exchange& ex, const server_fields& srv, bool keep_alive, bool last,
                    std::size_t body_size, Put&& put);

    std::string out_;
    std::size_t sent_ = 0;
};

} // namespace nodus::http::detail
