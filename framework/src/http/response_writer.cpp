#include "http/detail/response_writer.hpp"
#include "http/detail/exchange.hpp"

#include <nodus/http/answers.hpp>
#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/beast/http/status.hpp>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace nodus::http::detail {

using nodus::detail::exchange;
using nodus::detail::framing;

std::string_view reason(int status) noexcept {
    // RFC 9110 renamed 422; Beast still has RFC 4918's "Unprocessable Entity".
    if (status == 422) return "Unprocessable Content";
    auto text = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    // Beast's "<unknown-status>" would do as well on the wire; "Unknown" is what the
    // framework has always sent.
    if (text.starts_with('<')) return "Unknown";
    return {text.data(), text.size()};
}

namespace {
std::size_t append_hex(char* out, std::uint64_t v) {
    auto r = std::to_chars(out, out + 16, v, 16);
    return static_cast<std::size_t>(r.ptr - out);
}

// "HTTP/1.1 200 OK\r\n", without printf: this runs for every response.
std::size_t status_line(char* out, int status) {
    // Most responses are 200: one copy instead of formatting the code and looking up the phrase.
    static constexpr std::string_view ok = "HTTP/1.1 200 OK\r\n";
    if (status == 200) {
        std::memcpy(out, ok.data(), ok.size());
        return ok.size();
    }
    std::memcpy(out, "HTTP/1.1 ", 9);
    auto r = std::to_chars(out + 9, out + 12, status);
    char* p = r.ptr;
    *p++ = ' ';
    auto text = reason(status);
    std::memcpy(p, text.data(), text.size());
    p += text.size();
    *p++ = '\r';
    *p++ = '\n';
    return static_cast<std::size_t>(p - out);
}

std::size_t length_field(char* out, std::uint64_t n) {
    std::memcpy(out, "Content-Length: ", 16);
    auto r = std::to_chars(out + 16, out + 40, n);
    r.ptr[0] = '\r';
    r.ptr[1] = '\n';
    return static_cast<std::size_t>(r.ptr + 2 - out);
}

bool bodiless_status(int st) noexcept { return (st >= 100 && st < 200) || st == 204 || st == 304; }
} // namespace

void response_writer::append(std::string_view bytes) {
    if (bytes.empty()) return;
    if (out_.capacity() == 0) out_ = buffers::take_string();
    out_.append(bytes);
}

void response_writer::compact() {
    if (sent_ >= 65536 && sent_ * 2 >= out_.size()) {
        out_.erase(0, sent_);
        sent_ = 0;
    }
}

void response_writer::all_sent() noexcept {
    out_.clear();
    sent_ = 0;
}

void response_writer::release() noexcept {
    if (out_.capacity()) buffers::give_string(out_);
    sent_ = 0;
}

bool response_writer::head(exchange& ex, const server_fields& srv, bool keep_alive, bool last,
                           std::size_t body_size) {
    if (bodiless_status(ex.res().status())) ex.res().set_no_body();
    // The common head fits a stack buffer and goes out in one append; a head with large
    // application fields is appended piece by piece instead.
    char head[1024];
    std::size_t len = 0;
    const std::size_t bound = 96 + ex.res().lines().size() + 64 + srv.server_line.size() + 64;
    if (bound > sizeof head)
        return build_head(ex, srv, keep_alive, last, body_size, [this](std::string_view b) { append(b); });
    keep_alive = build_head(ex, srv, keep_alive, last, body_size, [&](std::string_view bytes) {
        std::memcpy(head + len, bytes.data(), bytes.size());
        len += bytes.size();
    });
    append({head, len});
    return keep_alive;
}

template <class Put>
bool response_writer::build_head(exchange& ex, const server_fields& srv, bool keep_alive, bool last,
                                 std::size_t body_size, Put&& put) {
    auto& res = ex.res();
    const int st = res.status();
    const auto declared = res.declared_length();
    char buf[96];
    put({buf, status_line(buf, st)});
    put(res.lines());
    if (!res.has_date()) {
        put("Date: ");
        put(srv.date);
        put("\r\n");
    }
    if (!res.has_server()) put(srv.server_line);
    framing f = framing::length;
    if ((st >= 100 && st < 200) || st == 204) {
        // no framing at all
    } else if (declared) {
        put({buf, length_field(buf, *declared)});
    } else if (st == 304) {
    } else if (last) {
        put({buf, length_field(buf, body_size)});
    } else if (ex.req().info().version == 11) {
        put("Transfer-Encoding: chunked\r\n");
        f = framing::chunked;
    } else {
        f = framing::until_close;
        keep_alive = false;
    }
    res.mark_head_sent(f);
    if (res.wants_close()) keep_alive = false;
    // A whole body that disagrees with the declared length: the head must say close.
    if (last && declared && !res.no_body() && body_size != *declared) keep_alive = false;
    if (!keep_alive) put("Connection: close\r\n\r\n");
    else if (ex.req().info().version == 10) put("Connection: keep-alive\r\n\r\n");
    else put("\r\n");
    return keep_alive;
}

bool response_writer::body(exchange& ex, std::string_view chunk, bool last) {
    auto& res = ex.res();
    const auto declared = res.declared_length();
    const bool chunked = res.body_framing() == framing::chunked;
    bool keep_alive = true;
    if (declared && !chunked && !res.no_body() && chunk.size() > *declared - res.body_bytes()) {
        // Never send more than the declared length: the excess would be read as the
        // start of the next response.
        log::get().warn("{} {}: response body longer than its Content-Length {}; cut and closing",
                        ex.req().method(), ex.req().target(), *declared);
        chunk = chunk.substr(0, static_cast<std::size_t>(*declared - res.body_bytes()));
        res.set_length_cut();
        keep_alive = false;
    }
    if (!res.no_body() && !chunk.empty()) {
        if (chunked) {
            char hex[24];
            auto k = append_hex(hex, chunk.size());
            hex[k++] = '\r';
            hex[k++] = '\n';
            append({hex, k});
            append(chunk);
            append("\r\n");
        } else {
            append(chunk);
        }
        res.add_body_bytes(chunk.size());
    }
    if (!last) return keep_alive;
    if (chunked && !res.no_body()) append("0\r\n\r\n");
    res.mark_ended();
    if (declared && !res.no_body() && res.body_bytes() != *declared && !res.length_cut()) {
        // The declared length was not honoured: the framing is broken, close.
        log::get().warn("{} {}: response body of {} bytes, Content-Length said {}", ex.req().method(),
                        ex.req().target(), res.body_bytes(), *declared);
        keep_alive = false;
    }
    if (res.body_framing() == framing::until_close) keep_alive = false;
    return keep_alive;
}

std::size_t response_writer::reject(int status, const server_fields& srv) {
    auto text = reason(status);
    auto a = make_answer(status);
    char head[256];
    int n = std::snprintf(head, sizeof head, "HTTP/1.1 %d %.*s\r\nContent-Type: ", status,
                          static_cast<int>(text.size()), text.data());
    append({head, static_cast<std::size_t>(n)});
    append(a.content_type);
    n = std::snprintf(head, sizeof head, "\r\nContent-Length: %zu\r\nConnection: close\r\nDate: %.*s\r\n",
                      a.body.size(), static_cast<int>(srv.date.size()), srv.date.data());
    append({head, static_cast<std::size_t>(n)});
    append(srv.server_line);
    append("\r\n");
    append(a.body);
    return a.body.size();
}

} // namespace nodus::http::detail
