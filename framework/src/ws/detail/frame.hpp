#pragma once
// RFC 6455 framing for the server side: an incremental reader of client frames (header
// checks, unmasking, fragmentation rules, UTF-8 of text, message size, close payloads) and
// the writer of server frame headers. Pure code over bytes: no sockets, no allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nodus::ws::detail {

enum class opcode : std::uint8_t { cont = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

/// Incremental UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing past
/// U+10FFFF); a sequence may be split across calls.
class utf8_validator {
public:
    /// False as soon as the bytes so far cannot begin valid UTF-8.
    bool feed(const char* p, std::size_t n) noexcept;
    /// No sequence is left open.
    bool complete() const noexcept { return need_ == 0; }
    void reset() noexcept { need_ = 0; }

private:
    std::uint8_t need_ = 0; // continuation bytes still expected
    std::uint8_t lo_ = 0x80, hi_ = 0xbf; // the range the next one must be in
};

/// True when all of `s` is valid UTF-8.
bool valid_utf8(std::string_view s) noexcept;

/// What a close frame's payload says (RFC 6455 §5.5.1, §7.4).
struct close_payload {
    std::uint16_t code = 0; ///< the peer's code; 1005 when the payload was empty
    std::string_view reason;
    std::uint16_t error = 0; ///< non-zero: the payload is refused with this code (1002, 1007)
};
close_payload parse_close(std::string_view payload) noexcept;

/// True for a code a peer may send in a close frame.
bool sendable_close_code(std::uint16_t code) noexcept;

/// One step of the reader.
struct read_event {
    enum kind_type : std::uint8_t {
        need_more, ///< every byte given was used; call again with more
        data, ///< `bytes` is a piece of a data message (unmasked)
        control, ///< `bytes` is a whole ping, pong or close payload (unmasked)
        error, ///< the connection must be closed with `code`; `why` says what broke
    };
    kind_type kind = need_more;
    opcode op = opcode::cont; ///< data: text or binary (the message's); control: its opcode
    bool first = false; ///< data: the message's first piece
    bool fin = false; ///< data: the message's last piece
    bool compressed = false; ///< data: the message has RSV1 set (permessage-deflate)
    std::string_view bytes;
    std::uint16_t code = 0; ///< error: the close code; control close: the peer's code
    std::string_view reason; ///< control close: the peer's reason
    const char* why = "";
};

/// Reads the frames a client sends, message by message. Payload bytes are unmasked in
/// place, so the caller's buffer must be writable; pieces of a data message are handed out
/// as they arrive (the reader never buffers), while a control frame is handed out only once
/// it is whole (the caller keeps the at most 131 bytes of a partial one).
class frame_reader {
public:
    /// `max_message`: the largest message (its payload as sent); `deflate`: RSV1 allowed on
    /// a message's first frame.
    frame_reader(std::uint64_t max_message, bool deflate) noexcept
        : max_message_(max_message), deflate_(deflate) {}

    /// Look at `p[0, n)`: returns how many bytes were used and what they meant in `ev`.
    /// After an error the reader must not be called again.
    std::size_t next(char* p, std::size_t n, read_event& ev) noexcept;

    /// Between frames: no partial frame and no fragmented message in progress.
    bool idle() const noexcept { return left_ == 0 && !in_payload_ && !in_message_; }

    /// The longest header a client frame has: 2 bytes, a 64-bit length, the masking key.
    static constexpr std::size_t max_header = 14;

private:
    std::size_t payload(char* p, std::size_t n, read_event& ev) noexcept;
    std::size_t fail(read_event& ev, std::uint16_t code, const char* why) noexcept;

    std::uint64_t max_message_;
    std::uint64_t left_ = 0; // payload bytes of the current data frame not yet seen
    std::uint64_t message_ = 0; // payload bytes of the current message so far
    std::uint8_t key_[4] = {};
    std::uint8_t key_at_ = 0; // offset of the next payload byte modulo 4
    opcode message_op_ = opcode::cont;
    bool deflate_;
    bool in_payload_ = false;
    bool in_message_ = false; // a fragmented message started and has not ended
    bool frame_fin_ = false;
    bool compressed_ = false;
    bool first_ = false; // the next piece is the message's first
    utf8_validator utf8_;
};

/// XOR `n` bytes at `p` with `key`, starting at key offset `at` (0-3).
void unmask(char* p, std::size_t n, const std::uint8_t key[4], unsigned at) noexcept;

/// Write a server frame header (unmasked) for a payload of `len` bytes into `out` (at
/// least 10 bytes); returns its size (2, 4 or 10).
std::size_t write_header(char* out, opcode op, std::uint64_t len, bool rsv1 = false) noexcept;

} // namespace nodus::ws::detail
