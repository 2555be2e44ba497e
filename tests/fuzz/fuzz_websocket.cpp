// libFuzzer driver for what a WebSocket peer sends. Byte 0 picks the mode:
//   bit 0 set: the upgrade check (ws/detail/handshake.hpp) on the rest, split at '\n' into
//     method, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version, Origin and
//     Sec-WebSocket-Protocol. Invariants: the status is one of 101, 400, 403, 426; a 101 has a
//     valid key and a protocol of the server's (or none); a 426 names the field to add.
//   bit 2 set: the rest is a Sec-WebSocket-Extensions offer for permessage-deflate's
//     negotiation (ws/detail/deflate.hpp): windows within the 10 bits allowed.
//   otherwise: the rest is the byte stream after an accepted handshake, read by nodus's frame
//     reader (ws/detail/frame.hpp) with a 1 KiB message limit (bit 1 set: permessage-deflate
//     negotiated, messages inflated), once whole and once in pieces of 1 + (byte 0 >> 3)
//     bytes. Every message is within the limit; text is valid UTF-8 by a reference check;
//     control frames are at most 125 bytes; close codes are ones a peer may send; failures
//     close with 1002, 1007 or 1009; both runs say the same (without deflate).
#include "ws/detail/handshake.hpp"

#include "ws/detail/deflate.hpp"
#include "ws/detail/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_websocket: invariant failed: %s\n", what);
        std::abort();
    }
}

void fuzz_handshake(std::string_view in) {
    std::string_view f[7];
    for (auto& field : f) {
        auto nl = in.find('\n');
        field = in.substr(0, nl);
        in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    }
    nodus::ws::detail::upgrade_request r;
    r.method = f[0];
    r.upgrade = f[1];
    r.connection = f[2];
    r.key = f[3];
    r.ws_version = f[4];
    r.origin = f[5];
    r.has_origin = !f[5].empty();
    r.protocols = f[6];
    const std::vector<std::string> ours{"chat", "superchat"};
    auto v = nodus::ws::detail::check_upgrade(r, ours, [](std::string_view o) { return o.size() % 2 == 0; });
    check(v.status == 101 || v.status == 400 || v.status == 403 || v.status == 426, "status");
    if (v.status == 101) {
        check(nodus::ws::detail::valid_key(r.key), "101 with an invalid key");
        check(v.protocol.empty() || v.protocol == "chat" || v.protocol == "superchat",
              "a protocol not offered");
    }
    if (v.status == 426) check(!v.extra_name.empty() && !v.extra_value.empty(), "426 without its field");
}

// A reference UTF-8 check written from RFC 3629's table, independent of the validator's.
bool reference_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (std::size_t k = 1; k < n; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d >> 6) != 2) return false;
            cp = cp << 6 | (d & 0x3f);
        }
        static const std::uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n;
    }
    return true;
}

// What a connection makes of `in` when it arrives `step` bytes at a time (0: at once):
// messages whole, control frames, and the close code of a failure, as one transcript.
std::string run_reader(std::string in, std::size_t step, bool deflate) {
    namespace wd = nodus::ws::detail;
    constexpr std::size_t max = 1024;
    wd::frame_reader r{max, deflate};
    wd::deflate_config cfg;
    cfg.client_bits = 10;
    wd::deflate_codec pmd{cfg};
    std::string log, message, pending;
    std::size_t fed = 0;
    while (fed < in.size()) {
        auto k = step ? std::min(step, in.size() - fed) : in.size() - fed;
        pending.append(in, fed, k);
        fed += k;
        std::size_t at = 0;
        for (;;) {
            wd::read_event ev;
            at += r.next(pending.data() + at, pending.size() - at, ev);
            check(at <= pending.size(), "used more than given");
            if (ev.kind == wd::read_event::need_more) break;
            if (ev.kind == wd::read_event::error) {
                check(ev.code == 1002 || ev.code == 1007 || ev.code == 1009, "an unexpected close code");
                return log + "error " + std::to_string(ev.code);
            }
            if (ev.kind == wd::read_event::control) {
                check(ev.bytes.size() <= 125, "a control frame over 125 bytes");
                if (ev.op == wd::opcode::close) {
                    check(ev.code == 1005 || wd::sendable_close_code(ev.code), "a close code no peer may send");
                    check(reference_utf8(ev.reason), "a close reason that is not UTF-8");
                    check(wd::parse_close(ev.bytes).error == 0, "a close payload the reader took and parse refuses");
                }
                log += "control " + std::to_string(int(ev.op)) + " " + std::string(ev.bytes) + "\n";
                continue;
            }
            if (ev.first) message.clear();
            if (ev.compressed) {
                auto code = pmd.inflate(ev.bytes, ev.fin, message, max);
                if (code) return log + "inflate " + std::to_string(code);
            } else {
                message.append(ev.bytes);
            }
            check(message.size() <= max, "a message over the limit");
            if (!ev.fin) continue;
            if (ev.op == wd::opcode::text && !ev.compressed)
                check(reference_utf8(message), "text the reader passed is not UTF-8");
            check(wd::valid_utf8(message) == reference_utf8(message), "the validator disagrees with the reference");
            log += "message " + std::to_string(int(ev.op)) + " " + message + "\n";
        }
        pending.erase(0, at);
    }
    return log;
}

void fuzz_frames(std::string_view in, bool deflate, std::size_t step) {
    auto whole = run_reader(std::string(in), 0, deflate);
    // Compressed streams keep context between messages, so only plain streams are compared
    // piece by piece; with deflate the split run must merely hold the invariants.
    auto split = run_reader(std::string(in), step, deflate);
    if (!deflate) check(whole == split, "the result depends on how the bytes were split");
}

void fuzz_negotiation(std::string_view in) {
    nodus::ws::detail::deflate_config c;
    auto r = nodus::ws::detail::negotiate_deflate(in, 10, (in.size() & 1) != 0, c);
    if (r.empty()) return;
    check(r.rfind("permessage-deflate", 0) == 0, "a response for another extension");
    check(c.server_bits >= 9 && c.server_bits <= 10 && c.client_bits >= 8 && c.client_bits <= 10, "a window too large");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) fuzz_handshake(in);
    else if (data[0] & 4) fuzz_negotiation(in);
    else fuzz_frames(in, (data[0] & 2) != 0, 1 + (data[0] >> 3));
    return 0;
}
