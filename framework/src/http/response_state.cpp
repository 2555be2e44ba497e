#include "http/detail/response_state.hpp"
#include "text/detail/char_class.hpp"
#include "http/detail/strict.hpp"

#include <charconv>
#include <cstring>

namespace nodus::detail {

namespace {
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

// Framing headers are the pipeline's business; the application may declare a length.
bool response_state::field_allowed(std::string_view name, std::string_view value) const noexcept {
    return !head_sent_ && http::detail::valid_field_name(name) && http::detail::valid_field_value(value) &&
        !same_name(name, "Transfer-Encoding");
}

bool response_state::set(std::string_view name, std::string_view value) {
    if (!field_allowed(name, value)) return false;
    if (!lines_.empty()) remove_lines(name);
    return add_line(name, value);
}

bool response_state::append(std::string_view name, std::string_view value) {
    return field_allowed(name, value) && add_line(name, value);
}

// A field already checked by field_allowed.
bool response_state::add_line(std::string_view name, std::string_view value) {
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
    // One append of the whole line: four would check the capacity and call memcpy four times.
    const std::size_t n = name.size() + value.size() + 4;
    if (n > 256) {
        lines_.append(name).append(": ").append(value).append("\r\n");
        return true;
    }
    char line[256];
    std::memcpy(line, name.data(), name.size());
    std::memcpy(line + name.size(), ": ", 2);
    if (!value.empty()) std::memcpy(line + name.size() + 2, value.data(), value.size()); // may be null
    std::memcpy(line + n - 2, "\r\n", 2);
    lines_.append(line, n);
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

std::string_view response_state::get(std::string_view name) const noexcept {
    std::string_view lines = lines_;
    auto pos = find_line(lines, name, 0);
    if (pos == std::string_view::npos) return {};
    auto v = pos + name.size() + 2;
    return lines.substr(v, lines.find("\r\n", v) - v);
}

bool response_state::remove_lines(std::string_view name) {
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
