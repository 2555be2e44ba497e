#include "client/detail/response_head.hpp"

#include "text/detail/char_class.hpp"
#include "text/detail/scan.hpp"

#include <charconv>
#include <cstring>

namespace nodus::client::detail {
namespace {

namespace cc = nodus::detail::char_class;
using nodus::detail::all_in_class;
using nodus::detail::iequals;
using nodus::detail::in_class;
using nodus::detail::is_token;
using nodus::detail::token_is;
using nodus::detail::trim_ows;

// HTTP-version SP 3DIGIT [SP reason-phrase]; "HTTP/1.1 200" without the SP and reason is
// accepted (servers send it, and the reason carries no meaning), any other shape is not.
const char* parse_status_line(std::string_view line, response_head& out) noexcept {
    if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[6] != '.' || line[8] != ' ')
        return "bad status line";
    if (line[5] != '1' || (line[7] != '0' && line[7] != '1')) return "unsupported HTTP version";
    out.version = line[7] == '1' ? 11 : 10;
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (!in_class(line[i], cc::digit)) return "bad status code";
        status = status * 10 + (line[i] - '0');
    }
    if (status < 100 || status > 599) return "bad status code";
    out.status = status;
    if (line.size() == 12) return nullptr;
    if (line[12] != ' ') return "bad status line";
    out.reason = line.substr(13);
    if (!all_in_class(out.reason, cc::field_value)) return "bad reason phrase";
    return nullptr;
}

// Every element of every Content-Length line must be the same decimal number (RFC 9110 8.6
// allows a list of one repeated value; anything else is a framing attack or a broken server).
const char* add_content_length(std::string_view value, response_head& out) noexcept {
    while (true) {
        const auto comma = value.find(',');
        const auto v = trim_ows(value.substr(0, comma));
        if (v.empty() || v.size() > 19 || !all_in_class(v, cc::digit)) return "bad Content-Length";
        std::uint64_t n = 0;
        std::from_chars(v.data(), v.data() + v.size(), n);
        if (out.has_content_length && n != out.content_length) return "differing Content-Lengths";
        out.content_length = n;
        out.has_content_length = true;
        if (comma == std::string_view::npos) return nullptr;
        value.remove_prefix(comma + 1);
    }
}

// Only `chunked`, once, is a coding this client decodes; one it does not know, or chunked
// anywhere but last, leaves no way to find the end of the body.
const char* add_transfer_coding(std::string_view value, bool& chunked) noexcept {
    while (true) {
        const auto comma = value.find(',');
        const auto v = trim_ows(value.substr(0, comma));
        if (!v.empty()) {
            if (!iequals(v, "chunked"))
                return is_token(v) ? "unknown transfer coding" : "bad Transfer-Encoding";
            if (chunked) return "chunked applied twice";
            chunked = true;
        }
        if (comma == std::string_view::npos) return nullptr;
        value.remove_prefix(comma + 1);
    }
}

// A field line that is not `token ":" OWS value OWS`: the reason the line-by-line reading
// gave, for the same input.
const char* bad_field_line(std::string_view line) noexcept {
    if (line.empty()) return "empty field line";
    if (line.front() == ' ' || line.front() == '\t') return "obs-fold";
    return line.find(':') == std::string_view::npos ? "field line without a colon" : "bad field name";
}

// The name is a token (checked): told apart by length first, most names match none.
const char* note_field(std::string_view name, std::string_view value, response_head& out, bool& chunked,
                       bool& has_te, bool& close, bool& keep_alive) noexcept {
    switch (name.size()) {
    case 10:
        if (token_is(name, "connection")) {
            close = close || nodus::detail::list_has_token(value, "close");
            keep_alive = keep_alive || nodus::detail::list_has_token(value, "keep-alive");
        }
        return nullptr;
    case 14: return token_is(name, "content-length") ? add_content_length(value, out) : nullptr;
    case 17:
        if (!token_is(name, "transfer-encoding")) return nullptr;
        has_te = true;
        return add_transfer_coding(value, chunked);
    default: return nullptr;
    }
}

const char* decide_framing(response_head& out, bool head_request, bool chunked, bool has_te) noexcept {
    if (has_te && out.has_content_length) return "Content-Length with Transfer-Encoding";
    if (has_te && !chunked) return "empty Transfer-Encoding";
    if (has_te && out.version == 10) return "Transfer-Encoding in an HTTP/1.0 response";
    if (head_request || out.status < 200 || out.status == 204 || out.status == 304) out.body = framing::none;
    else if (chunked) out.body = framing::chunked;
    else if (out.has_content_length) out.body = framing::length;
    else out.body = framing::until_close;
    return nullptr;
}

} // namespace

// Every CR must be followed by LF and every LF preceded by CR: the line breaks are found 16
// bytes at a time and each is checked as it is met.
std::size_t find_head_end(std::string_view buf, std::size_t& scanned, const char*& error) noexcept {
    const char* const base = buf.data();
    const char* const end = base + buf.size();
    const char* p = base + scanned;
    while (p < end) {
        const char* const brk = nodus::detail::find_line_break(base, p, end);
        if (brk != end && *brk == '\n') {
            error = "bare LF";
            return 0;
        }
        const auto stop = static_cast<std::size_t>(brk - base);
        if (stop > max_head_bytes) break;
        if (brk == end || brk + 1 == end) {
            scanned = stop; // a CR last is looked at again once its LF may have arrived
            return 0;
        }
        if (brk[1] != '\n') {
            error = "bare CR";
            return 0;
        }
        if (stop >= 2 && brk[-2] == '\r' && brk[-1] == '\n') return stop + 2;
        p = brk + 2;
    }
    const auto pos = static_cast<std::size_t>(p - base);
    if (pos > max_head_bytes || buf.size() > max_head_bytes) {
        error = "header too large";
        return 0;
    }
    scanned = pos;
    return 0;
}

const char* parse_response_head(std::string_view head, bool head_request, response_head& out) {
    auto fields = std::move(out.fields); // keeps its capacity across interim heads and reuse
    fields.clear();
    if (fields.capacity() == 0) fields.reserve(16);
    out = response_head{};
    out.fields = std::move(fields);
    if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return "incomplete head";
    const auto eol = head.find("\r\n");
    if (auto e = parse_status_line(head.substr(0, eol), out)) return e;
    bool chunked = false, has_te = false, close = false, keep_alive = false;
    const char* p = head.data() + eol + 2;
    const char* const end = head.data() + head.size() - 2; // the blank line's CRLF
    while (p < end) {
        const char* const name_end = nodus::detail::skip_class(p, end, cc::tchar);
        if (name_end == p || *name_end != ':') {
            const std::string_view rest(p, static_cast<std::size_t>(end + 2 - p));
            return bad_field_line(rest.substr(0, rest.find("\r\n")));
        }
        const char* v = name_end + 1;
        while (v < end && (*v == ' ' || *v == '\t')) ++v;
        const char* const stop = nodus::detail::skip_field_value(head.data(), v, end);
        if (stop == end || *stop != '\r' || stop[1] != '\n') return "bad field value";
        const char* value_end = stop;
        while (value_end > v && (value_end[-1] == ' ' || value_end[-1] == '\t')) --value_end;
        if (out.fields.size() == max_head_fields) return "too many header fields";
        const std::string_view name(p, static_cast<std::size_t>(name_end - p));
        const std::string_view value(v, static_cast<std::size_t>(value_end - v));
        out.fields.push_back({name, value});
        if (auto e = note_field(name, value, out, chunked, has_te, close, keep_alive)) return e;
        p = stop + 2;
    }
    out.keep_alive = !close && (out.version == 11 || keep_alive);
    return decide_framing(out, head_request, chunked, has_te);
}

void split_trailers(std::string_view text, std::vector<nodus::header_field>& out) {
    out.clear();
    while (!text.empty()) {
        const auto eol = text.find("\r\n");
        const auto line = text.substr(0, eol);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos)
            out.push_back({line.substr(0, colon), trim_ows(line.substr(colon + 1))});
        if (eol == std::string_view::npos) break;
        text.remove_prefix(eol + 2);
    }
}

} // namespace nodus::client::detail
