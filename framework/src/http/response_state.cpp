#include "http/detail/response_state.hpp"
#include "text/detail/char_class.hpp"
#include "text/detail/scan.hpp"
#include "http/detail/strict.hpp"

#include <charconv>
#include <cstring>

namespace nodus::detail {

namespace {
// One of 64 bits for a name, from its length and its first byte with case folded: equal names
// (compared as same_name does) have the same bit.
std::uint64_t name_bit(std::string_view name) noexcept {
    return std::uint64_t{1} << ((name.size() * 31 + (static_cast<unsigned char>(name[0]) | 0x20u)) & 63);
}

// Most names differ in length: decide that without a call.
inline bool same_name(std::string_view a, std::string_view b) noexcept {
    return nodus::detail::iequals(a, b);
}
} // namespace

const char* to_string(response_phase p) noexcept {
    switch (p) {
    case response_phase::open: return "open";
    case response_phase::head_sent: return "head_sent";
    case response_phase::ended: return "ended";
    }
    return "?";
}

const char* to_string(framing f) noexcept {
    switch (f) {
    case framing::length: return "length";
    case framing::chunked: return "chunked";
    case framing::until_close: return "until_close";
    }
    return "?";
}

bool response_state::set_status(int code) noexcept {
    if (head_sent_ || code < 100 || code > 999) return false;
    status_ = code;
    return true;
}

namespace {
// A field line is built where it is checked, then appended whole: one append, and the check
// reads 16 bytes per step from a buffer that always has 16 more (no read past a short name).
constexpr std::size_t max_built_line = 256;

struct built_line {
    std::size_t size; // of "name: value\r\n"
    char bytes[max_built_line + 16];

    built_line(std::string_view name, std::string_view value) noexcept
        : size(name.size() + value.size() + 4) {
        std::memcpy(bytes, name.data(), name.size());
        std::memcpy(bytes + name.size(), ": ", 2);
        if (!value.empty()) std::memcpy(bytes + name.size() + 2, value.data(), value.size()); // may be null
        std::memcpy(bytes + size - 2, "\r\n", 2);
        std::memset(bytes + size, 0, 16);
    }
    std::string_view view() const noexcept { return {bytes, size}; }
};

// RFC 9110 5.1, 5.5: a token name and a value of field-value bytes. Letters, digits and '-'
// in a name shorter than 16 bytes, and the value, are checked 16 bytes per step; other names
// go to the table.
bool valid_line(const built_line& l, std::string_view name, std::string_view value) noexcept {
#if defined(__SSE2__)
    namespace sv = nodus::detail::scan_detail;
    (void)value;
    if (name.empty()) return false;
    const bool simple_name = name.size() < 16 && (sv::token_stops(l.bytes) & ((1u << name.size()) - 1)) == 0;
    if (!simple_name && !http::detail::valid_field_name(name)) return false;
    // The value's first stop must be the line's CR (always a stop, so the loop ends there).
    const char* p = l.bytes + name.size() + 2;
    const char* const cr = l.bytes + l.size - 2;
    for (;; p += 16)
        if (const unsigned m = sv::field_value_stops(p)) return p + __builtin_ctz(m) == cr;
#else
    (void)l;
    return http::detail::valid_field_name(name) && http::detail::valid_field_value(value);
#endif
}
} // namespace

// Framing headers are the pipeline's business; the application may declare a length.
bool response_state::put(std::string_view name, std::string_view value, bool replace) {
    if (head_sent_) return false;
    if (name.size() + value.size() + 4 > max_built_line) {
        if (!http::detail::valid_field_name(name) || !http::detail::valid_field_value(value) ||
            same_name(name, "Transfer-Encoding"))
            return false;
        if (replace && !lines_.empty()) remove_lines(name);
        return add_line(name, value, {});
    }
    const built_line line(name, value);
    if (!valid_line(line, name, value) || same_name(name, "Transfer-Encoding")) return false;
    if (replace && !lines_.empty()) remove_lines(name);
    return add_line(name, value, line.view());
}

bool response_state::set(std::string_view name, std::string_view value) { return put(name, value, true); }

bool response_state::append(std::string_view name, std::string_view value) { return put(name, value, false); }

// A field already checked; `line` is it built, or empty when it was too long to build.
bool response_state::add_line(std::string_view name, std::string_view value, std::string_view line) {
    if (same_name(name, "Content-Length")) {
        // Digits only (no sign, no space), at most 19 of them: always fits 64 bits.
        std::uint64_t n = 0;
        if (value.empty() || value.size() > 19) return false;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size()) return false;
        remove_lines(name);
        declared_length_ = n;
        return true; // written by the serializer
    }
    if (same_name(name, "Connection")) {
        // Connection options are case-insensitive tokens (RFC 9110 7.6.1).
        if (nodus::detail::list_has_token(value, "close")) wants_close_ = true;
        return true; // the pipeline writes Connection itself
    }
    if (same_name(name, "Date")) user_date_ = true;
    if (same_name(name, "Server")) user_server_ = true;
    names_ |= name_bit(name);
    if (!line.empty()) lines_.append(line);
    else lines_.append(name).append(": ").append(value).append("\r\n");
    return true;
}

bool response_state::remove(std::string_view name) {
    if (head_sent_) return false;
    if (same_name(name, "Content-Length")) {
        bool had = declared_length_.has_value();
        declared_length_.reset();
        return had;
    }
    if (same_name(name, "Date")) user_date_ = false;
    if (same_name(name, "Server")) user_server_ = false;
    return remove_lines(name);
}

namespace {
// lines holds "Name: value\r\n" lines; the start of the first line named `name` at or
// after `from`, or npos.
// A name has no ':' and a value no LF (set/append refuse them), so the first ':' ends the name
// and the next LF the line: one single-byte search per line, and none past a match.
std::size_t find_line(std::string_view lines, std::string_view name, std::size_t from) noexcept {
    if (name.empty() || name.find(':') != std::string_view::npos)
        return std::string_view::npos; // no such line
    std::size_t pos = from;
    while (pos < lines.size()) {
        // A line named `name` has its ':' right after the name: most lines fail that test
        // without a comparison or a search for the colon.
        const std::size_t colon = pos + name.size();
        if (colon < lines.size() && lines[colon] == ':' && same_name(lines.substr(pos, name.size()), name))
            return pos;
        auto eol = lines.find('\n', pos);
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    return std::string_view::npos;
}
} // namespace

bool response_state::may_have(std::string_view name) const noexcept {
    return !name.empty() && (names_ & name_bit(name)) != 0;
}

std::string_view response_state::get(std::string_view name) const noexcept {
    if (!may_have(name)) return {};
    std::string_view lines = lines_;
    auto pos = find_line(lines, name, 0);
    if (pos == std::string_view::npos) return {};
    auto v = pos + name.size() + 2;
    return lines.substr(v, lines.find("\r\n", v) - v);
}

bool response_state::remove_lines(std::string_view name) {
    if (!may_have(name)) return false;
    bool any = false;
    std::size_t pos = 0;
    while ((pos = find_line(lines_, name, pos)) != std::string_view::npos) {
        lines_.erase(pos, lines_.find("\r\n", pos) + 2 - pos);
        any = true;
    }
    return any;
}

void response_state::retract(bool head_request) noexcept {
    phase_ = response_phase::open;
    framing_ = framing::length;
    head_sent_ = need_drain_ = length_cut_ = false;
    no_body_ = head_request;
    body_bytes_ = 0;
}

void response_state::prepare_error(int code, std::string_view content_type) {
    status_ = code;
    lines_.assign("Content-Type: ").append(content_type).append("\r\n");
    names_ = name_bit("Content-Type");
    user_date_ = user_server_ = false;
    declared_length_.reset();
    wants_close_ = wants_close_ || code >= 500 || code == 408 || code == 413 || code == 400;
}

std::function<void()> response_state::take_drain() {
    if (!need_drain_) return {};
    need_drain_ = false;
    return on_drain_;
}

void response_state::on_close(std::function<void()> fn) {
    if (aborted_) {
        if (fn) fn();
        return;
    }
    on_close_ = std::move(fn);
}

void response_state::abort() {
    aborted_ = true;
    auto fn = std::move(on_close_);
    on_close_ = nullptr;
    auto drain = std::move(on_drain_);
    on_drain_ = nullptr;
    if (fn) fn();
}

void response_state::drop_callbacks() noexcept {
    std::function<void()> drain, close;
    drain.swap(on_drain_);
    close.swap(on_close_);
}

} // namespace nodus::detail
