#include "client/detail/agent_state.hpp"
#include "client/detail/exchange.hpp"
#include "text/detail/char_class.hpp"

#include <boost/asio/error.hpp>

#include <charconv>
#include <cstring>

namespace nodus::client::detail {

using namespace std::chrono_literals;

namespace {
// Without 100 Continue after this long, the body goes anyway (RFC 9110 10.1.1: a client
// need not wait indefinitely); curl waits one second too.
constexpr auto continue_wait = 1000ms;

bool body_method(std::string_view m) noexcept { return m == "POST" || m == "PUT" || m == "PATCH"; }
} // namespace

// The request line, Host and the application's fields: sized first, then copied in one pass
// (an append per piece would check the capacity and call memcpy five times a line).
void exchange::write_fields() {
    constexpr std::string_view version = " HTTP/1.1\r\n", host = "Host: ";
    const std::string_view host_value = pool_->where.host_field;
    std::size_t n = opts_.method.size() + 1 + opts_.target.size() + version.size();
    if (!has_host_) n += host.size() + host_value.size() + 2;
    for (const auto& [name, value] : opts_.headers) n += name.size() + value.size() + 4;
    const std::size_t at = bufs_->out.size();
    bufs_->out.resize(at + n);
    char* p = bufs_->out.data() + at;
    auto put = [&p](std::string_view s) {
        if (!s.empty()) std::memcpy(p, s.data(), s.size()); // an empty value may have no storage
        p += s.size();
    };
    put(opts_.method);
    put(" ");
    put(opts_.target);
    put(version);
    if (!has_host_) {
        put(host);
        put(host_value);
        put("\r\n");
    }
    for (const auto& [name, value] : opts_.headers) {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
}

// The head goes out when the connection is ready; by then the application has usually
// ended the body, and a body known whole is sent with Content-Length in the same write.
void exchange::build_head() {
    const bool declared = content_length_ || chunked_out_;
    if (!declared && ended_ && (!body_.empty() || body_method(opts_.method))) content_length_ = body_.size();
    if (!declared && !ended_) chunked_out_ = true;
    bufs_->out.reserve(256 + body_.size());
    write_fields();
    if (content_length_ && !has_length_) {
        char digits[24];
        auto r = std::to_chars(digits, digits + sizeof digits, *content_length_);
        bufs_->out.append("Content-Length: ").append(digits, r.ptr).append("\r\n");
    }
    if (chunked_out_ && !has_coding_) bufs_->out.append("Transfer-Encoding: chunked\r\n");
    if (!agent_->options().keep_alive) bufs_->out.append("Connection: close\r\n");
    const bool expect = opts_.expect_continue && (chunked_out_ || (content_length_ && *content_length_ > 0));
    if (expect) bufs_->out.append("Expect: 100-continue\r\n");
    bufs_->out.append("\r\n");
    head_built_ = true;
    replayable_ = ended_;
    if (!expect) return open_body();
    std::weak_ptr<exchange> weak = shared_from_this();
    continue_timer_ = nodus::set_timeout(continue_wait, [weak] {
        if (auto self = weak.lock(); self && !self->body_open_ && self->stage_ == stage::sending) {
            self->open_body();
            self->flush();
        }
    });
}

void exchange::open_body() {
    body_open_ = true;
    continue_timer_.cancel();
    if (!body_.empty()) append_framed(body_);
    if (ended_ && chunked_out_) bufs_->out.append("0\r\n\r\n");
    if (!replayable_) body_.clear();
}

void exchange::append_framed(std::string_view chunk) {
    if (chunk.empty()) return;
    if (!chunked_out_) {
        bufs_->out.append(chunk);
        return;
    }
    char size[20];
    auto r = std::to_chars(size, size + sizeof size, chunk.size(), 16);
    bufs_->out.append(size, r.ptr).append("\r\n").append(chunk).append("\r\n");
}

bool exchange::give(std::string_view chunk) {
    if (stage_ == stage::done || ended_ || write_failed_) return false;
    if (content_length_ && given_ + chunk.size() > *content_length_) return false;
    given_ += chunk.size();
    if (body_open_) append_framed(chunk);
    else body_.append(chunk);
    return true;
}

bool exchange::write(std::string_view chunk) {
    if (!give(chunk)) return false;
    if (stage_ == stage::sending && !head_built_) build_head();
    flush();
    if (buffered() < opts_.high_water_mark) return true;
    need_drain_ = true;
    return false;
}

bool exchange::end(std::string_view last) {
    if (stage_ == stage::done || ended_) return false;
    if (!give(last)) return false;
    need_drain_ = false;
    ended_ = true;
    if (content_length_ && given_ != *content_length_) {
        boost::asio::post(nodus::io_context(), [self = shared_from_this()] {
            self->fail(errc::bad_request, "bad request: the body is shorter than its Content-Length");
        });
        return true;
    }
    if (stage_ == stage::sending && !head_built_)
        build_head(); // opens the body, with its last chunk, unless 100 Continue is awaited
    else if (body_open_ && chunked_out_) bufs_->out.append("0\r\n\r\n");
    flush();
    if (stage_ == stage::sending && phase_ == phase::head && request_sent())
        arm(deadline_kind::header, opts_.header_timeout);
    return true;
}

std::size_t exchange::buffered() const noexcept {
    return bufs_->out.size() + bufs_->inflight.size() + (body_open_ ? 0 : body_.size());
}

void exchange::flush() {
    if (stage_ != stage::sending || !conn_ || conn_->writing() || bufs_->out.empty() || write_failed_) return;
    bufs_->inflight.swap(bufs_->out);
    bufs_->out.clear();
    conn_->write(bufs_->inflight);
    if (phase_ == phase::head) arm(deadline_kind::idle, opts_.idle_timeout);
}

bool exchange::request_sent() const noexcept {
    return ended_ && body_open_ && bufs_->out.empty() && bufs_->inflight.empty() && !conn_->writing();
}

void exchange::arm(deadline_kind kind, std::chrono::milliseconds d) noexcept {
    if (!conn_) return;
    if (d.count() <= 0) conn_->set_deadline(deadline_kind::none, {});
    else conn_->set_deadline(kind, connection::clock::now() + d);
}

void exchange::on_written(const boost::system::error_code& ec, std::size_t) {
    if (stage_ != stage::sending) return;
    bufs_->inflight.clear();
    if (ec) {
        // The server may have answered early and closed; the read side tells which.
        write_failed_ = true;
        bufs_->out.clear();
        return;
    }
    if (!bufs_->out.empty()) return flush();
    if (phase_ == phase::head)
        arm(request_sent() ? deadline_kind::header : deadline_kind::none,
            request_sent() ? opts_.header_timeout : std::chrono::milliseconds(0));
    if (need_drain_) {
        need_drain_ = false;
        auto self = shared_from_this();
        if (auto fn = std::move(on_drain_)) call(fn);
    }
}

} // namespace nodus::client::detail
