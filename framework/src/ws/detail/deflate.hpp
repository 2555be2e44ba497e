#pragma once
// permessage-deflate (RFC 7692): the negotiation of its parameters from the client's offer,
// and one connection's compressor and decompressor (zlib), allocated on first use so that a
// connection that negotiated it but sends small talk rarely pays for both.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;

namespace nodus::ws::detail {

/// What was agreed with the client.
struct deflate_config {
    int server_bits = 15; ///< our compressor's window (2^bits bytes)
    int client_bits = 15; ///< the client's compressor's window, so our decompressor's
    bool server_no_context_takeover = false; ///< our compressor starts afresh for each message
    bool client_no_context_takeover = false; ///< and the client's
};

/// Accept the first acceptable permessage-deflate offer in `offer` (the request's
/// Sec-WebSocket-Extensions), with windows of at most `window_bits` (9-15) each way, as
/// Boost.Beast's server did: an offer whose client_max_window_bits is absent is declined
/// unless `window_bits` is 15 (the client would use 32 KiB of window). `no_context_takeover`
/// asks for a fresh context per message both ways, so an idle connection keeps no zlib
/// state. Returns the response's Sec-WebSocket-Extensions value; empty: not negotiated.
std::string negotiate_deflate(std::string_view offer, int window_bits, bool no_context_takeover,
                              deflate_config& out);

/// One connection's compression state.
class deflate_codec {
public:
    explicit deflate_codec(const deflate_config& c) noexcept : cfg_(c) {}
    deflate_codec(const deflate_codec&) = delete;
    deflate_codec& operator=(const deflate_codec&) = delete;
    ~deflate_codec();

    /// Decompress a piece of a message, appending to `out`; `fin`: the message's last piece.
    /// Returns 0, or the close code: 1009 when `out` would pass `max`, 1007 for bad data.
    std::uint16_t inflate(std::string_view in, bool fin, std::string& out, std::size_t max);
    /// Compress a whole message, appending its payload to `out`.
    void deflate(std::string_view in, std::string& out);
    /// Free whatever holds no context between messages (no_context_takeover).
    void release_idle() noexcept;
    /// A zlib stream is allocated.
    bool holds_memory() const noexcept { return in_ || out_; }

private:
    struct stream_deleter {
        bool inflater;
        void operator()(z_stream_s* z) const noexcept;
    };
    using stream = std::unique_ptr<z_stream_s, stream_deleter>;

    deflate_config cfg_;
    stream in_{nullptr, {true}};
    stream out_{nullptr, {false}};
};

} // namespace nodus::ws::detail
