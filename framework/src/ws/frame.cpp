#include "ws/detail/frame.hpp"

#include <cstring>

namespace nodus::ws::detail {

namespace {

constexpr std::uint64_t high_bits = 0x8080808080808080ull;

std::uint8_t byte(const char* p, std::size_t i) noexcept { return static_cast<std::uint8_t>(p[i]); }

} // namespace

bool utf8_validator::feed(const char* p, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n) {
        if (need_ == 0) {
            // Most text is ASCII: eight bytes at a time while no byte has its high bit set.
            while (i + 8 <= n) {
                std::uint64_t w;
                std::memcpy(&w, p + i, 8);
                if (w & high_bits) break;
                i += 8;
            }
            if (i == n) break;
            std::uint8_t c = byte(p, i++);
            if (c < 0x80) continue;
            if (c < 0xc2) return false; // a continuation byte, or an overlong 2-byte form
            if (c < 0xe0) {
                need_ = 1;
                lo_ = 0x80, hi_ = 0xbf;
            } else if (c < 0xf0) {
                need_ = 2;
                lo_ = c == 0xe0 ? 0xa0 : 0x80; // overlong 3-byte forms
                hi_ = c == 0xed ? 0x9f : 0xbf; // surrogates
            } else if (c < 0xf5) {
                need_ = 3;
                lo_ = c == 0xf0 ? 0x90 : 0x80; // overlong 4-byte forms
                hi_ = c == 0xf4 ? 0x8f : 0xbf; // past U+10FFFF
            } else {
                return false;
            }
        } else {
            std::uint8_t c = byte(p, i++);
            if (c < lo_ || c > hi_) return false;
            lo_ = 0x80, hi_ = 0xbf;
            --need_;
        }
    }
    return true;
}

bool valid_utf8(std::string_view s) noexcept {
    utf8_validator v;
    return v.feed(s.data(), s.size()) && v.complete();
}

bool sendable_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) return true; // registered with IANA, or private
    // 1004 is reserved; 1005, 1006 and 1015 are only ever reported, never sent.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

close_payload parse_close(std::string_view payload) noexcept {
    close_payload c;
    if (payload.empty()) {
        c.code = 1005;
        return c;
    }
    if (payload.size() == 1) {
        c.error = 1002;
        return c;
    }
    c.code = static_cast<std::uint16_t>(byte(payload.data(), 0) << 8 | byte(payload.data(), 1));
    if (!sendable_close_code(c.code)) {
        c.error = 1002;
        return c;
    }
    c.reason = payload.substr(2);
    if (!valid_utf8(c.reason)) c.error = 1007;
    return c;
}

void unmask(char* p, std::size_t n, const std::uint8_t key[4], unsigned at) noexcept {
    std::uint8_t k[8];
    for (unsigned i = 0; i < 8; ++i) k[i] = key[(at + i) & 3];
    std::uint64_t k8;
    std::memcpy(&k8, k, 8);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        w ^= k8;
        std::memcpy(p + i, &w, 8);
    }
    for (; i < n; ++i) p[i] = static_cast<char>(p[i] ^ k[i & 7]);
}

std::size_t write_header(char* out, opcode op, std::uint64_t len, bool rsv1) noexcept {
    out[0] = static_cast<char>(0x80 | (rsv1 ? 0x40 : 0) | static_cast<std::uint8_t>(op));
    if (len < 126) {
        out[1] = static_cast<char>(len);
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = static_cast<char>(len >> 8);
        out[3] = static_cast<char>(len);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>(len >> (56 - 8 * i));
    return 10;
}

std::size_t frame_reader::fail(read_event& ev, std::uint16_t code, const char* why) noexcept {
    ev = {};
    ev.kind = read_event::error;
    ev.code = code;
    ev.why = why;
    return 0;
}

std::size_t frame_reader::next(char* p, std::size_t n, read_event& ev) noexcept {
    if (in_payload_) return payload(p, n, ev);
    ev = {};
    if (n < 2) return 0;
    std::uint8_t b0 = byte(p, 0), b1 = byte(p, 1);
    bool fin = b0 & 0x80, rsv1 = b0 & 0x40;
    if (b0 & 0x30) return fail(ev, 1002, "RSV2 or RSV3 set");
    auto op = static_cast<opcode>(b0 & 0x0f);
    switch (op) {
    case opcode::cont:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong: break;
    default: return fail(ev, 1002, "reserved opcode");
    }
    if (!(b1 & 0x80)) return fail(ev, 1002, "unmasked client frame");
    std::uint64_t len = b1 & 0x7f;
    std::size_t size = 2;
    if (len == 126) {
        if (n < 4) return 0;
        len = std::uint64_t(byte(p, 2)) << 8 | byte(p, 3);
        size = 4;
        if (len < 126) return fail(ev, 1002, "16-bit length below 126");
    } else if (len == 127) {
        if (n < 10) return 0;
        len = 0;
        for (std::size_t i = 2; i < 10; ++i) len = len << 8 | byte(p, i);
        size = 10;
        if (len >> 63) return fail(ev, 1002, "64-bit length with its top bit set");
        if (len <= 0xffff) return fail(ev, 1002, "64-bit length below 65536");
    }
    if (n < size + 4) return 0;
    std::uint8_t key[4];
    std::memcpy(key, p + size, 4);
    size += 4;
    if (b0 & 0x08) {
        if (!fin) return fail(ev, 1002, "fragmented control frame");
        if (rsv1) return fail(ev, 1002, "RSV1 on a control frame");
        if (len > 125) return fail(ev, 1002, "control frame over 125 bytes");
        if (n < size + len) return 0;
        char* body = p + size;
        unmask(body, len, key, 0);
        ev.kind = read_event::control;
        ev.op = op;
        ev.bytes = {body, static_cast<std::size_t>(len)};
        if (op == opcode::close) {
            auto c = parse_close(ev.bytes);
            if (c.error)
                return fail(ev, c.error, c.error == 1007 ? "close reason not UTF-8" : "bad close payload");
            ev.code = c.code;
            ev.reason = c.reason;
        }
        return size + len;
    }
    if (op == opcode::cont) {
        if (!in_message_) return fail(ev, 1002, "continuation frame without a message");
        if (rsv1) return fail(ev, 1002, "RSV1 on a continuation frame");
    } else {
        if (in_message_) return fail(ev, 1002, "new message inside a fragmented one");
        if (rsv1 && !deflate_) return fail(ev, 1002, "RSV1 set without an extension");
        in_message_ = true;
        message_op_ = op;
        message_ = 0;
        compressed_ = rsv1;
        first_ = true;
        utf8_.reset();
    }
    if (len > max_message_ - message_) return fail(ev, 1009, "message too big");
    message_ += len;
    std::memcpy(key_, key, 4);
    key_at_ = 0;
    left_ = len;
    frame_fin_ = fin;
    in_payload_ = true;
    return size + payload(p + size, n - size, ev);
}

std::size_t frame_reader::payload(char* p, std::size_t n, read_event& ev) noexcept {
    ev = {};
    if (left_ > 0 && n == 0) return 0;
    std::size_t k = left_ < n ? static_cast<std::size_t>(left_) : n;
    unmask(p, k, key_, key_at_);
    key_at_ = static_cast<std::uint8_t>((key_at_ + k) & 3);
    left_ -= k;
    bool text = message_op_ == opcode::text && !compressed_;
    if (text && !utf8_.feed(p, k)) return fail(ev, 1007, "text is not UTF-8");
    if (left_ == 0) in_payload_ = false;
    bool fin = left_ == 0 && frame_fin_;
    if (fin && text && !utf8_.complete()) return fail(ev, 1007, "text ends inside a UTF-8 sequence");
    ev.kind = read_event::data;
    ev.op = message_op_;
    ev.first = first_;
    ev.fin = fin;
    ev.compressed = compressed_;
    ev.bytes = {p, k};
    first_ = false;
    if (fin) in_message_ = false;
    return k;
}

} // namespace nodus::ws::detail
