#include "ws/detail/deflate.hpp"

#include "text/detail/char_class.hpp"

#include <zlib.h>

#include <algorithm>

namespace nodus::ws::detail {

using nodus::detail::iequals;
using nodus::detail::trim_ows;

namespace {

// The next element of a list separated by `sep`, outside quoted strings.
std::string_view next_item(std::string_view& s, char sep) noexcept {
    bool quoted = false;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
        if (s[i] == '"') quoted = !quoted;
        else if (s[i] == sep && !quoted) break;
    }
    auto item = s.substr(0, i);
    s.remove_prefix(i < s.size() ? i + 1 : i);
    return trim_ows(item);
}

// A window size parameter's value: 8-15 (quotes allowed), or -1.
int window_bits(std::string_view v) noexcept {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.empty() || v.size() > 2) return -1;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n >= 8 && n <= 15 ? n : -1;
}

struct offer_params {
    int server_bits = 0; // 0: absent
    int client_bits = 0; // 0: absent; -1: present without a value
    bool server_no_context_takeover = false, client_no_context_takeover = false;
};

// One permessage-deflate offer's parameters; false when one is unknown, repeated or bad.
bool parse_params(std::string_view params, offer_params& o) noexcept {
    bool seen[4] = {};
    while (!params.empty()) {
        auto p = next_item(params, ';');
        auto eq = p.find('=');
        auto name = trim_ows(p.substr(0, eq));
        auto value = eq == std::string_view::npos ? std::string_view{} : trim_ows(p.substr(eq + 1));
        bool has_value = eq != std::string_view::npos;
        int which;
        if (iequals(name, "server_max_window_bits")) {
            which = 0;
            if (!has_value || (o.server_bits = window_bits(value)) < 0) return false;
        } else if (iequals(name, "client_max_window_bits")) {
            which = 1;
            o.client_bits = has_value ? window_bits(value) : -1;
            if (has_value && o.client_bits < 0) return false;
        } else if (iequals(name, "server_no_context_takeover")) {
            which = 2;
            o.server_no_context_takeover = true;
            if (has_value) return false;
        } else if (iequals(name, "client_no_context_takeover")) {
            which = 3;
            o.client_no_context_takeover = true;
            if (has_value) return false;
        } else {
            return false;
        }
        if (seen[which]) return false;
        seen[which] = true;
    }
    return true;
}

} // namespace

std::string negotiate_deflate(std::string_view offer, int bits, bool no_context_takeover,
                              deflate_config& out) {
    bits = std::clamp(bits, 9, 15);
    while (!offer.empty()) {
        auto ext = next_item(offer, ',');
        auto name = next_item(ext, ';');
        offer_params o;
        if (!iequals(name, "permessage-deflate") || !parse_params(ext, o)) continue;
        // zlib cannot compress with a window of 256 bytes (it uses 512).
        if (o.server_bits == 8) continue;
        if (o.client_bits == 0 && bits < 15) continue;
        deflate_config c;
        c.server_no_context_takeover = o.server_no_context_takeover || no_context_takeover;
        c.client_no_context_takeover = o.client_no_context_takeover || no_context_takeover;
        c.server_bits = o.server_bits ? std::min(o.server_bits, bits) : bits;
        c.client_bits = o.client_bits > 0 ? std::min(o.client_bits, bits) : bits;
        std::string r = "permessage-deflate";
        if (c.server_no_context_takeover) r += "; server_no_context_takeover";
        if (c.client_no_context_takeover) r += "; client_no_context_takeover";
        if (c.server_bits < 15) r += "; server_max_window_bits=" + std::to_string(c.server_bits);
        if (o.client_bits != 0 && c.client_bits < 15)
            r += "; client_max_window_bits=" + std::to_string(c.client_bits);
        out = c;
        return r;
    }
    return {};
}

void deflate_codec::stream_deleter::operator()(z_stream_s* z) const noexcept {
    if (inflater) ::inflateEnd(z);
    else ::deflateEnd(z);
    delete z;
}

deflate_codec::~deflate_codec() = default;

void deflate_codec::release_idle() noexcept {
    if (cfg_.client_no_context_takeover) in_.reset();
    if (cfg_.server_no_context_takeover) out_.reset();
}

std::uint16_t deflate_codec::inflate(std::string_view in, bool fin, std::string& out, std::size_t max) {
    if (!in_) {
        auto* z = new z_stream{};
        if (::inflateInit2(z, -cfg_.client_bits) != Z_OK) {
            delete z;
            return 1011;
        }
        in_.reset(z);
    }
    z_stream& z = *in_;
    static const char tail[4] = {0, 0, '\xff', '\xff'};
    bool ended = false;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1) {
            if (!fin || ended) break;
            in = std::string_view(tail, 4); // RFC 7692 §7.2.2: the sender removed it
        }
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z.avail_in = static_cast<uInt>(in.size());
        while (!ended) {
            std::size_t room = std::min<std::size_t>(16384, max + 1 - std::min(out.size(), max + 1));
            if (room == 0) return 1009;
            auto old = out.size();
            out.resize(old + room);
            z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
            z.avail_out = static_cast<uInt>(room);
            int rc = ::inflate(&z, Z_SYNC_FLUSH);
            out.resize(old + room - z.avail_out);
            if (rc == Z_STREAM_END) ended = true;
            else if (rc != Z_OK && rc != Z_BUF_ERROR) return 1007;
            if (out.size() > max) return 1009;
            if (z.avail_out != 0) break; // all input used
        }
        if (ended && z.avail_in != 0) return 1007; // bytes after the final block
    }
    if (fin && (ended || cfg_.client_no_context_takeover)) ::inflateReset(&z);
    return 0;
}

void deflate_codec::deflate(std::string_view in, std::string& out) {
    if (!out_) {
        auto* z = new z_stream{};
        // memLevel 4: 8 KiB of hash chains instead of 128, as Beast's option did here.
        if (::deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -cfg_.server_bits, 4, Z_DEFAULT_STRATEGY) !=
            Z_OK) {
            delete z;
            throw std::bad_alloc();
        }
        out_.reset(z);
    }
    z_stream& z = *out_;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    auto start = out.size();
    do {
        std::size_t room = in.size() / 2 + 64;
        auto old = out.size();
        out.resize(old + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        z.avail_out = static_cast<uInt>(room);
        ::deflate(&z, Z_SYNC_FLUSH);
        out.resize(old + room - z.avail_out);
    } while (z.avail_out == 0 || z.avail_in != 0);
    // RFC 7692 §7.2.1: the empty stored block that ends a sync flush is left out.
    if (out.size() - start >= 4 && out.compare(out.size() - 4, 4, std::string_view("\0\0\xff\xff", 4)) == 0)
        out.resize(out.size() - 4);
    // An empty message right after another flush makes zlib write nothing at all; the peer
    // appends 00 00 ff ff and needs the block header before it: one empty stored block.
    if (out.size() == start) out.push_back('\0');
    if (cfg_.server_no_context_takeover) ::deflateReset(&z);
}

} // namespace nodus::ws::detail
