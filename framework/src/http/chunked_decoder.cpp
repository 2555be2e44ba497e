#include "http/detail/chunked_decoder.hpp"

#include "text/detail/char_class.hpp"

#include <algorithm>

namespace nodus::http::detail {
namespace {

namespace cc = nodus::detail::char_class;
using nodus::detail::in_class;
using nodus::detail::is_ows;
using nodus::detail::is_tchar;
using nodus::detail::trim_ows;

constexpr verdict bad(const char* why) noexcept { return {400, why}; }

constexpr std::uint64_t hex_value(char c) noexcept {
    return static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

} // namespace

chunked_decoder::step chunked_decoder::decode(std::string_view in, std::string& trailers) {
    std::size_t i = 0;
    while (i < in.size() && state_ != state::done) {
        if (state_ == state::data) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size_, in.size() - i));
            size_ -= n;
            if (size_ == 0) state_ = state::data_cr;
            return {i + n, in.substr(i, n), {}, false};
        }
        const char c = in[i++];
        if (auto v = state_ >= state::line ? trailer_byte(c, trailers) : chunk_byte(c))
            return {i, {}, v, false};
    }
    return {i, {}, {}, done()};
}

// RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
verdict chunked_decoder::chunk_byte(char c) noexcept {
    switch (state_) {
    case state::size:
        if (in_class(c, cc::hexdig)) {
            if (size_ >> 60) return bad("chunk size overflow");
            size_ = size_ * 16 + hex_value(c);
            digits_ = true;
            return {};
        }
        if (!digits_) return bad("bad chunk size");
        if (auto v = end_of_size()) return v;
        state_ = state::ext;
        [[fallthrough]];
    case state::ext:
        if (c == '\r') {
            if (!ext_.can_end()) return bad("bad chunk extension");
            state_ = state::size_lf;
            return {};
        }
        if (c == '\n') return bad("bare LF");
        if (++ext_bytes_ > max_chunk_extension_bytes) return {413, "chunk extensions too long"};
        return ext_.step(c) ? verdict{} : bad("bad chunk extension");
    case state::size_lf:
        if (c != '\n') return bad("bare CR");
        state_ = size_ ? state::data : state::line; // the last chunk: the trailer section
        return {};
    case state::data_cr:
        if (c != '\r') return bad("chunk data not followed by CRLF");
        state_ = state::data_lf;
        return {};
    case state::data_lf:
        if (c != '\n') return bad("bare CR");
        state_ = state::size;
        size_ = 0;
        digits_ = false;
        ext_ = {};
        return {};
    default: // the trailer section's states: trailer_byte's
        return bad("chunked decoder state");
    }
}

// The size is known once its digits end: refused over the body limit before any of its data.
verdict chunked_decoder::end_of_size() noexcept {
    if (!lim_.max_body) return {};
    if (size_ > lim_.max_body - total_) return {413, "body over the limit"};
    total_ += size_;
    return {};
}

// RFC 9112 7.1.2: trailer-section = *( field-line CRLF ), then the CRLF that ends the body.
// The section is kept whole; each line is judged when its CR arrives.
verdict chunked_decoder::trailer_byte(char c, std::string& trailers) {
    if (trailers.size() >= lim_.max_trailer_bytes) return {431, "trailer section too large"};
    trailers.push_back(c);
    switch (state_) {
    case state::line:
        if (c == '\r') {
            state_ = state::end_lf;
            return {};
        }
        if (!is_tchar(c))
            return bad(is_ows(c) ? "obs-fold in trailers" : c == '\n' ? "bare LF" : "bad trailer name");
        if (++fields_ > lim_.max_trailers) return {431, "too many trailer fields"};
        line_start_ = trailers.size() - 1;
        state_ = state::name;
        return {};
    case state::name:
        if (c == ':') {
            colon_ = trailers.size() - 1;
            state_ = state::value;
        } else if (!is_tchar(c)) {
            return bad("bad trailer name");
        }
        return {};
    case state::value: {
        if (c != '\r') {
            if (in_class(c, cc::field_value)) return {};
            return bad(c == '\n' ? "bare LF" : "bad trailer value");
        }
        state_ = state::line_lf;
        const std::string_view section{trailers};
        return check_trailer_field(section.substr(line_start_, colon_ - line_start_),
                                   trim_ows(section.substr(colon_ + 1, trailers.size() - 2 - colon_)));
    }
    case state::line_lf:
    case state::end_lf:
        if (c != '\n') return bad("bare CR");
        state_ = state_ == state::line_lf ? state::line : state::done;
        return {};
    default: // the chunks' states: chunk_byte's
        return bad("chunked decoder state");
    }
}

} // namespace nodus::http::detail
