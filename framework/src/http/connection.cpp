// The HTTP/1.1 connection pipeline.
//
// A new connection holds no read buffer: it waits for readability, reads into one
// loop-wide scratch buffer and parses in place; only bytes it cannot consume yet are
// copied into a block of its own. A connection that proves busy (its second request)
// keeps a 16 KiB block lent by the loop's pool and reads with Asio's speculative reads,
// which cost no system call when the socket is known to be drained. Either way only
// the head is copied (into the exchange). A connection idle for a second is
// parked: its socket leaves Asio for a side epoll set and the connection object, its
// block and Asio's per-socket state are freed, so a parked keep-alive connection costs a
// few dozen bytes. Output is serialised into one buffer per connection and written with
// a direct non-blocking send; only when the socket is full does the connection wait for
// writability.
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"
#include "http/detail/status.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <charconv>
#include <sys/ioctl.h>
#include <cstring>

namespace nodus::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using nodus::detail::exchange;

namespace {
// Read blocks: one per busy connection, lent from a free list so that steady traffic
// never calls malloc. Heads larger than a block get a larger, unpooled buffer.
// Bodies stream through bigger blocks: a quarter of the system calls per byte.
constexpr std::uint32_t block_size = 16384;
constexpr std::uint32_t body_block_size = 65536;
struct block_pool {
    std::vector<char*> free, free_body;
    ~block_pool() {
        for (auto* b : free) delete[] b;
        for (auto* b : free_body) delete[] b;
    }
    static char* take_from(std::vector<char*>& list, std::uint32_t size) {
        if (list.empty()) return new char[size];
        auto* b = list.back();
        list.pop_back();
        return b;
    }
    char* take() { return take_from(free, block_size); }
    char* take_body() { return take_from(free_body, body_block_size); }
    void give(char* b, std::uint32_t cap) {
        if (cap == block_size && free.size() < 64) free.push_back(b);
        else if (cap == body_block_size && free_body.size() < 16) free_body.push_back(b);
        else delete[] b;
    }
};
block_pool& blocks() {
    static block_pool p;
    return p;
}

alignas(64) char scratch[block_size];

// Output and input buffers of busy connections are lent from here and returned when
// the connection goes idle, so steady keep-alive traffic does not call malloc.
struct string_pool {
    std::vector<std::string> free;
    std::string take() {
        if (free.empty()) return {};
        auto s = std::move(free.back());
        free.pop_back();
        return s;
    }
    void give(std::string& s) {
        if (s.capacity() > 15 && s.capacity() <= 262144 && free.size() < 64) {
            s.clear();
            free.push_back(std::move(s));
        }
        s = std::string();
    }
};
string_pool& strings() {
    static string_pool p;
    return p;
}

// Holding an exchange across a call that may detach it from the connection.
struct pin {
    exchange* ex;
    explicit pin(exchange* e) noexcept : ex(e) { ++ex->refs_; }
    ~pin() { ex->release(); }
};

std::size_t append_hex(char* out, std::uint64_t v) {
    auto r = std::to_chars(out, out + 16, v, 16);
    return static_cast<std::size_t>(r.ptr - out);
}

// "HTTP/1.1 200 OK\r\n", without printf: this runs for every response.
std::size_t status_line(char* out, int status) {
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
} // namespace

connection::connection(server_impl& srv, socket_type sock) noexcept
    : srv_(srv), sock_(std::move(sock)) {}

connection::~connection() {
    release_in();
    strings().give(out_);
}

void connection::release_in() noexcept {
    if (in_.data) blocks().give(in_.data, in_.cap);
    in_ = {};
}

bool connection::idle() const noexcept {
    return state_ == state::head && !cur_ && !in_.unread();
}

void connection::start(bool fresh) {
    srv_.add(this, fresh);
    keep_alive_ = !srv_.closing_ && !srv_.retiring_;
    update_wait();
    start_read();
}

// ------------------------------------------------------------------ reading

void connection::start_read() {
    if (reading_ || state_ == state::closed) return;
    const bool body = state_ == state::body;
    if (!hot_ && !body && !in_.unread()) {
        // Nothing buffered and not (yet) busy: wait without holding a buffer.
        release_in();
        reading_ = true;
        ++pending_;
        sock_.async_wait(socket_type::wait_read, [this](const boost::system::error_code& ec) {
            --pending_;
            reading_ = false;
            on_readable(ec);
            maybe_delete();
        });
        return;
    }
    if (body && in_.cap != body_block_size && !in_.unread()) release_in();
    if (!in_.data) {
        in_.data = body ? blocks().take_body() : blocks().take();
        in_.cap = body ? body_block_size : block_size;
    }
    if (in_.beg == in_.end) {
        in_.beg = in_.end = 0;
    } else if (in_.end == in_.cap) {
        if (in_.beg > 0) {
            std::memmove(in_.data, in_.data + in_.beg, in_.unread());
            in_.end -= in_.beg;
            in_.beg = 0;
        } else if (state_ == state::head && in_.cap < srv_.cfg_.max_header_bytes + block_size) {
            // A head larger than a block: grow (the header limit bounds this).
            auto cap = in_.cap * 2;
            auto* bigger = new char[cap];
            std::memcpy(bigger, in_.data, in_.end);
            blocks().give(in_.data, in_.cap);
            in_.data = bigger;
            in_.cap = cap;
        } else {
            return;   // full: wait until the application consumes what is here
        }
    }
    reading_ = true;
    ++pending_;
    // With the socket's data exhausted by the last read, Asio queues this read without a
    // system call; it completes from the next epoll wake-up.
    sock_.async_read_some(asio::buffer(in_.data + in_.end, in_.cap - in_.end),
                          [this](const boost::system::error_code& ec, std::size_t n) {
                              --pending_;
                              reading_ = false;
                              on_read(ec, n);
                              maybe_delete();
                          });
}

void connection::on_readable(const boost::system::error_code& ec) {
    if (state_ == state::closed) return;
    if (ec) {
        close_now();
        return;
    }
    boost::system::error_code rec;
    std::size_t n = sock_.read_some(asio::buffer(scratch, block_size), rec);
    if (rec == asio::error::would_block) {
        start_read();
        return;
    }
    if (rec == asio::error::eof) {
        on_eof();
        return;
    }
    if (rec) {
        close_now();
        return;
    }
    if (state_ == state::lingering) {
        start_read();
        return;
    }
    std::size_t used = process({scratch, n});
    if (state_ == state::closed) return;
    if (used < n) {
        // Keep what could not be consumed yet; the scratch buffer belongs to everyone.
        in_.data = blocks().take();
        in_.cap = block_size;
        std::memcpy(in_.data, scratch + used, n - used);
        in_.beg = 0;
        in_.end = static_cast<std::uint32_t>(n - used);
    }
    tail();
}

void connection::on_read(const boost::system::error_code& ec, std::size_t n) {
    if (state_ == state::closed) return;
    if (ec == asio::error::eof) {
        on_eof();
        return;
    }
    if (ec) {
        close_now();
        return;
    }
    if (state_ == state::lingering) {
        // Discard what the client still sends until it closes, so our close does not
        // turn into a reset that destroys the response in flight.
        in_.beg = in_.end = 0;
        start_read();
        return;
    }
    in_.end += static_cast<std::uint32_t>(n);
    advance();
}

void connection::on_eof() {
    peer_eof_ = true;
    // A client may half-close after its last request: answer what was asked, then
    // close. Anything else (EOF inside a head or body) ends the connection now.
    if (state_ == state::waiting || (state_ == state::closing && buffered())) {
        keep_alive_ = false;
        advance();
        return;
    }
    close_now();
}

bool connection::wants_input() const noexcept {
    if (peer_eof_ || input_broken_) return false;
    switch (state_) {
    case state::head: return buffered() <= srv_.cfg_.high_water_mark;
    case state::body: return discarding_ || (cur_ && cur_->flowing_ && !cur_->paused_);
    // Keep watching the socket while the application works, to see a reset at once;
    // start_read stops when the block is full, so a pipelining flood cannot grow memory.
    case state::waiting: return true;
    case state::lingering: return true;
    default: return false;
    }
}

// Parse and dispatch as much of `data` as the current state allows; returns bytes used.
std::size_t connection::process(std::string_view data) {
    in_process_ = true;
    std::size_t pos = 0;
    for (;;) {
        if (state_ == state::head) {
            if (buffered() > srv_.cfg_.high_water_mark) break;
            auto v = data.substr(pos);
            auto skip = skip_leading_empty_lines(v);
            pos += skip;
            v.remove_prefix(skip);
            if (v.empty()) break;
            // A head arriving in pieces is scanned once per byte, not once per read.
            auto end = find_head_end(v, partial_ ? partial_->searched : 0);
            if (!end) {
                if (!partial_) partial_ = std::make_unique<head_progress>();
                partial_->searched = v.size();
                auto vd = check_partial_head(v, srv_.cfg_, partial_->scan);
                if (vd.status) reject(vd.status, vd.reason);
                break;
            }
            partial_.reset();
            pos += end;
            begin_exchange(v.substr(0, end));
            continue;
        }
        if (state_ == state::body) {
            if (!discarding_ && (!cur_->flowing_ || cur_->paused_)) break;
            if (pos == data.size()) break;
            bool more = false;
            pos += feed_body(data.substr(pos), more);
            if (more) break;
            continue;
        }
        if (state_ == state::waiting) {
            if (cur_ && cur_->ended_) {
                finish_exchange();
                continue;
            }
            break;
        }
        break;
    }
    in_process_ = false;
    return pos;
}

void connection::advance() {
    if (in_process_ || state_ == state::closed) return;
    if (in_.unread()) {
        auto used = process({in_.data + in_.beg, in_.unread()});
        if (state_ == state::closed) return;
        in_.beg += static_cast<std::uint32_t>(used);
    } else if (state_ == state::waiting && cur_ && cur_->ended_) {
        process({});
        if (state_ == state::closed) return;
    }
    tail();
}

void connection::tail() {
    if (state_ == state::closed) return;
    if (in_.beg == in_.end) in_.beg = in_.end = 0;
    if (buffered() && !writing_) flush();
    if (state_ == state::closed) return;
    if (close_after_flush_ && !buffered()) {
        begin_close();
        if (state_ == state::closed) return;
    }
    // A connection that has not proved busy parks as soon as it is idle: most such
    // connections wait long for their next request, if any comes at all.
    if (!hot_ && served_ && idle() && !buffered() && !writing_ && !peer_eof_ && srv_.can_park()) {
        srv_.park(this);
        return;
    }
    if (wants_input()) start_read();
    update_wait();
    release_buffers_if_idle();
}

void connection::schedule() {
    if (scheduled_ || state_ == state::closed) return;
    scheduled_ = true;
    ++pending_;
    asio::post(sock_.get_executor(), [this] {
        --pending_;
        scheduled_ = false;
        advance();
        maybe_delete();
    });
}

// ------------------------------------------------------------------ requests

void connection::begin_exchange(std::string_view head) {
    head_info info;
    auto vd = check_request_head(head, srv_.cfg_, info);
    if (vd.status) {
        reject(vd.status, vd.reason);
        return;
    }
    exchange* ex = nodus::detail::acquire_exchange();
    ex->conn_ = this;
    ex->info_ = info;
    // Only the access log reads the start time.
    ex->start_ = log::access_enabled() ? clock::now() : clock::time_point{};
    ex->remote_ = remote_;
    ex->head_.assign(head.data(), head.size());
    auto& p = ex->parser_.emplace(*ex);
    p.header_limit(static_cast<std::uint32_t>(head.size() + 1));
    if (srv_.cfg_.max_body_bytes) p.body_limit(srv_.cfg_.max_body_bytes);
    else p.body_limit(boost::none);
    beast::error_code ec;
    p.put(asio::const_buffer(ex->head_.data(), ex->head_.size()), ec);
    if (ec || !p.is_header_done()) {
        ex->conn_ = nullptr;
        nodus::detail::recycle_exchange(ex);
        if (ec == beast::http::error::body_limit) reject(413, "declared body over the limit");
        else reject(400, ec ? "malformed request head" : "incomplete request head");
        return;
    }
    cur_ = ex;
    if (++served_ >= 2) hot_ = true;
    ++srv_.requests_;
    keep_alive_ = info.keep_alive && !srv_.closing_ && !srv_.retiring_;
    discarding_ = false;
    ex->no_body_ = ex->method_ == "HEAD";
    if (p.is_done()) {
        ex->body_done_ = true;
        state_ = state::waiting;
    } else {
        state_ = state::body;
    }
    update_wait();

    pin hold{ex};
    try {
        srv_.handler_(request{ex}, response{ex});
    } catch (const std::exception& e) {
        handler_failed(*ex, e.what());
    } catch (...) {
        handler_failed(*ex, "unknown exception");
    }
}

void connection::handler_failed(exchange& ex, const char* what) {
    log::get().error("{} {}: handler threw: {}", ex.method_, ex.target_, what);
    if (ex.conn_ != this) return;
    if (!ex.headers_sent_ && !ex.ended_) {
        error_response(ex, 500);
    } else if (!ex.ended_) {
        res_abort(ex);
    }
}

// Answer `status` through the exchange (the application had not started a response).
void connection::error_response(exchange& ex, int status) {
    ex.status_ = status;
    ex.res_fields_.assign("Content-Type: text/plain\r\n");
    ex.has_declared_length_ = false;
    ex.want_close_ = ex.want_close_ || status >= 500 || status == 408 || status == 413 || status == 400;
    auto text = std::string(reason(status)) + "\n";
    res_write(ex, text, true);
}

std::size_t connection::feed_body(std::string_view data, bool& more) {
    exchange* ex = cur_;
    pin hold{ex};
    auto& p = *ex->parser_;
    beast::error_code ec;
    std::size_t used = p.put(asio::const_buffer(data.data(), data.size()), ec);
    if (cur_ != ex || state_ != state::body) return used;   // a callback moved things on
    if (ec == beast::http::error::need_more) {
        more = true;
        return used;
    }
    if (discarding_) {
        if (used > discard_budget_) {
            // Not worth reading: close after the response instead.
            keep_alive_ = false;
            input_broken_ = true;
            state_ = state::waiting;
            ex->fail_body(make_error_code(nodus::errc::aborted));
            return used;
        }
        discard_budget_ -= used;
    }
    if (ec) {
        bool too_large = ec == beast::http::error::body_limit;
        body_failed(too_large ? 413 : 400,
                    make_error_code(too_large ? nodus::errc::body_too_large : nodus::errc::bad_body));
        return used;
    }
    if (p.is_done()) {
        state_ = state::waiting;
        update_wait();
        ex->body_finished();
    } else if (used == 0) {
        more = true;
    }
    return used;
}

// The body cannot complete: tell the application, answer if it has not, then close.
void connection::body_failed(int status, std::error_code code) {
    exchange* ex = cur_;
    pin hold{ex};
    keep_alive_ = false;
    input_broken_ = true;
    state_ = state::waiting;
    ex->fail_body(code);
    if (cur_ != ex) return;
    if (!ex->headers_sent_ && !ex->ended_) error_response(*ex, status);
    else if (!ex->ended_) res_abort(*ex);
}

void connection::finish_exchange() {
    exchange* ex = cur_;
    if (log::access_enabled()) {
        request r{ex};
        auto ms = ex->start_ == clock::time_point{}
                      ? 0.0
                      : std::chrono::duration<double, std::milli>(clock::now() - ex->start_).count();
        log::access(r.remote_address(), ex->method_, ex->target_, ex->status_, ex->body_bytes_, ms);
    }
    bool body_ok = ex->body_done_;
    detach_exchange(false);
    discarding_ = false;
    if (!keep_alive_ || !body_ok || input_broken_) {
        state_ = state::closing;
        close_after_flush_ = true;
    } else {
        state_ = state::head;
    }
    update_wait();
}

void connection::detach_exchange(bool aborted) {
    exchange* ex = cur_;
    if (!ex) return;
    cur_ = nullptr;
    pin hold{ex};
    ex->conn_ = nullptr;
    if (aborted) {
        if (!ex->body_done_) ex->fail_body(make_error_code(nodus::errc::aborted));
        if (!ex->ended_ || buffered()) ex->fire_close();
        ex->ended_ = true;
    }
    // Callbacks often hold handles to their own exchange: drop them to break the cycle.
    auto a = std::move(ex->on_data_);
    auto b = std::move(ex->on_end_);
    auto c = std::move(ex->on_error_);
    auto d = std::move(ex->on_drain_);
    auto e = std::move(ex->on_close_);
    auto f = std::move(ex->on_collected_);
    ex->on_data_ = nullptr;
    ex->on_end_ = nullptr;
    ex->on_error_ = nullptr;
    ex->on_drain_ = nullptr;
    ex->on_close_ = nullptr;
    ex->on_collected_ = nullptr;
    ex->parser_.reset();
}

void connection::exchange_unreferenced(exchange& ex) {
    // Every handle is gone. An unfinished response can never be finished now.
    if (&ex != cur_) return;
    if (!ex.ended_) {
        log::get().warn("{} {}: the handler dropped its response without ending it",
                        ex.method_, ex.target_);
        if (!ex.headers_sent_) {
            if (!ex.body_done_ && !ex.flowing_) start_discard(ex);
            error_response(ex, 500);
            return;
        }
        res_abort(ex);
        return;
    }
    if (!ex.body_done_ && !ex.body_failed_ && state_ == state::body) {
        start_discard(ex);
        schedule();
    }
}

void connection::start_discard(exchange& ex) {
    if (discarding_ || ex.body_done_) return;
    if (ex.info_.expect_continue && !ex.continue_sent_) {
        // The client waits for our word before sending the body: never ask, and close.
        keep_alive_ = false;
        input_broken_ = true;
        state_ = state::waiting;
        ex.fail_body(make_error_code(nodus::errc::aborted));
        return;
    }
    discarding_ = true;
    discard_budget_ = 256 * 1024;
    ex.on_data_ = nullptr;
}

void connection::body_flow_changed(exchange& ex) {
    if (&ex != cur_ || state_ == state::closed) return;
    if (ex.info_.expect_continue && !ex.continue_sent_ && !ex.headers_sent_ && ex.info_.version == 11) {
        ex.continue_sent_ = true;
        append("HTTP/1.1 100 Continue\r\n\r\n");
    }
    ex.continue_sent_ = true;
    schedule();
}

void connection::reject(int status, const char* why) {
    log::get().debug("rejecting request with {}: {}", status, why ? why : "");
    auto text = reason(status);
    char head[256];
    int n = std::snprintf(head, sizeof head,
                          "HTTP/1.1 %d %.*s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\nDate: %.*s\r\n",
                          status, static_cast<int>(text.size()), text.data(), text.size() + 1,
                          static_cast<int>(srv_.date().size()), srv_.date().data());
    append({head, static_cast<std::size_t>(n)});
    append(srv_.server_line_);
    append("\r\n");
    append(text);
    append("\n");
    keep_alive_ = false;
    input_broken_ = true;
    state_ = state::closing;
    close_after_flush_ = true;
    in_.beg = in_.end;
    if (!in_process_) schedule();
}

// ------------------------------------------------------------------ responses

void connection::serialize_head(exchange& ex, bool last, std::size_t body_size) {
    ex.headers_sent_ = true;
    const int st = ex.status_;
    if ((st >= 100 && st < 200) || st == 204 || st == 304) ex.no_body_ = true;
    // The common head fits a stack buffer and goes out in one append; a head with large
    // application fields is appended piece by piece instead.
    char head[1024];
    std::size_t len = 0;
    const std::size_t bound = 96 + ex.res_fields_.size() + 64 + srv_.server_line_.size() + 64;
    if (bound <= sizeof head) {
        build_head(ex, last, body_size, [&](std::string_view bytes) {
            std::memcpy(head + len, bytes.data(), bytes.size());
            len += bytes.size();
        });
        append({head, len});
    } else {
        build_head(ex, last, body_size, [this](std::string_view bytes) { append(bytes); });
    }
}

template <class Put>
void connection::build_head(exchange& ex, bool last, std::size_t body_size, Put&& put) {
    const int st = ex.status_;
    char buf[96];
    put({buf, status_line(buf, st)});
    put(ex.res_fields_);
    if (!ex.user_date_) {
        put("Date: ");
        put(srv_.date());
        put("\r\n");
    }
    if (!ex.user_server_) put(srv_.server_line_);
    if ((st >= 100 && st < 200) || st == 204) {
        // no framing at all
    } else if (ex.has_declared_length_) {
        put({buf, length_field(buf, ex.declared_length_)});
    } else if (st == 304) {
    } else if (last) {
        put({buf, length_field(buf, body_size)});
    } else if (ex.info_.version == 11) {
        put("Transfer-Encoding: chunked\r\n");
        ex.chunked_ = true;
    } else {
        ex.close_delimited_ = true;
        keep_alive_ = false;
    }
    if (ex.want_close_) keep_alive_ = false;
    // A whole body that disagrees with the declared length: the head must say close.
    if (last && ex.has_declared_length_ && !ex.no_body_ && body_size != ex.declared_length_)
        keep_alive_ = false;
    if (!keep_alive_) put("Connection: close\r\n\r\n");
    else if (ex.info_.version == 10) put("Connection: keep-alive\r\n\r\n");
    else put("\r\n");
}

bool connection::res_write_head(exchange& ex) {
    if (&ex != cur_ || state_ == state::closed) return false;
    serialize_head(ex, false, 0);
    if (!in_process_) schedule();
    return true;
}

bool connection::res_write(exchange& ex, std::string_view chunk, bool last) {
    if (&ex != cur_ || state_ == state::closed || ex.ended_) return false;
    // A body nobody will read: drop it (or plan to close) before the head says so.
    if (last && !ex.body_done_ && !ex.flowing_ && state_ == state::body) start_discard(ex);
    if (!ex.headers_sent_) serialize_head(ex, last, chunk.size());
    if (ex.has_declared_length_ && !ex.chunked_ && !ex.no_body_ &&
        chunk.size() > ex.declared_length_ - ex.body_bytes_) {
        // Never send more than the declared length: the excess would be read as the
        // start of the next response.
        log::get().warn("{} {}: response body longer than its Content-Length {}; cut and closing",
                        ex.method_, ex.target_, ex.declared_length_);
        chunk = chunk.substr(0, static_cast<std::size_t>(ex.declared_length_ - ex.body_bytes_));
        ex.length_mismatch_ = true;
        keep_alive_ = false;
    }
    if (!ex.no_body_ && !chunk.empty()) {
        if (ex.chunked_) {
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
        ex.body_bytes_ += chunk.size();
    }
    if (last) {
        if (ex.chunked_ && !ex.no_body_) append("0\r\n\r\n");
        ex.ended_ = true;
        if (ex.has_declared_length_ && !ex.no_body_ && ex.body_bytes_ != ex.declared_length_ &&
            !ex.length_mismatch_) {
            // The declared length was not honoured: the framing is broken, close.
            log::get().warn("{} {}: response body of {} bytes, Content-Length said {}",
                            ex.method_, ex.target_, ex.body_bytes_, ex.declared_length_);
            keep_alive_ = false;
        }
        if (ex.close_delimited_) keep_alive_ = false;
        if (!in_process_) schedule();
        return true;
    }
    if (!in_process_) schedule();
    if (buffered() >= srv_.cfg_.high_water_mark) {
        ex.need_drain_ = true;
        return false;
    }
    return true;
}

void connection::res_abort(exchange& ex) {
    if (&ex != cur_) return;
    close_now();
}

void connection::append(std::string_view bytes) {
    if (bytes.empty()) return;
    if (out_.capacity() == 0) out_ = strings().take();
    out_.append(bytes);
}

// ------------------------------------------------------------------ writing

void connection::flush() {
    while (buffered()) {
        boost::system::error_code ec;
        std::size_t want = buffered();
        std::size_t n = sock_.write_some(asio::const_buffer(out_.data() + out_pos_, want), ec);
        if (ec == asio::error::would_block || (!ec && n < want)) {
            out_pos_ += n;
            if (out_pos_ >= 65536 && out_pos_ * 2 >= out_.size()) {
                out_.erase(0, out_pos_);
                out_pos_ = 0;
            }
            if (n) srv_.move_to(this, wait_kind::send);
            wait_writable();
            return;
        }
        if (ec) {
            close_now();
            return;
        }
        out_pos_ += n;
    }
    out_.clear();
    out_pos_ = 0;
    after_flush();
}

void connection::wait_writable() {
    if (writing_) return;
    writing_ = true;
    ++pending_;
    update_wait();
    sock_.async_wait(socket_type::wait_write, [this](const boost::system::error_code& ec) {
        --pending_;
        writing_ = false;
        if (state_ != state::closed) {
            if (ec) close_now();
            else {
                flush();
                advance();
            }
        }
        maybe_delete();
    });
}

void connection::after_flush() {
    if (cur_ && cur_->need_drain_ && buffered() < srv_.cfg_.high_water_mark) {
        cur_->need_drain_ = false;
        if (cur_->on_drain_) {
            pin hold{cur_};
            auto fn = cur_->on_drain_;
            fn();
        }
    }
}

// ------------------------------------------------------------------ closing

void connection::begin_close() {
    if (state_ == state::closed || state_ == state::lingering) return;
    detach_exchange(false);
    if (peer_eof_) {
        close_now();
        return;
    }
    boost::system::error_code ec;
    sock_.shutdown(socket_type::shutdown_send, ec);
    // Linger only when the client may still be sending (we stopped reading mid-stream,
    // or bytes are waiting): closing with unread data would reset the connection and
    // could destroy the response before the client reads it.
    int unread = 0;
    bool may_send = input_broken_ || in_.unread() ||
                    (::ioctl(sock_.native_handle(), FIONREAD, &unread) == 0 && unread > 0);
    if (ec || !may_send) {
        close_now();
        return;
    }
    state_ = state::lingering;
    in_.beg = in_.end = 0;
    update_wait();
    start_read();
}

void connection::close_now() {
    if (state_ == state::closed) return;
    detach_exchange(true);
    state_ = state::closed;
    boost::system::error_code ec;
    sock_.close(ec);
    teardown();
}

// After the socket was closed or released: out of the lists, buffers back to the pools
// (a cancelled read never touches its buffer again), and deletion left to the
// completion handlers and one posted step, so no caller up the stack ever returns into
// a freed connection.
void connection::teardown() {
    srv_.remove(this);
    release_in();
    strings().give(out_);
    out_pos_ = 0;
    ++pending_;
    asio::post(sock_.get_executor(), [this] {
        --pending_;
        maybe_delete();
    });
}

void connection::retire() {
    keep_alive_ = false;
    // A connection accepted a moment ago has its first request on the way, and an idle
    // one may have bytes in the socket we have not looked at yet: let both be answered
    // (with Connection: close) rather than dropped.
    int unread = 0;
    if (served_ == 0 || (::ioctl(sock_.native_handle(), FIONREAD, &unread) == 0 && unread > 0)) return;
    if (idle()) {
        state_ = state::closing;
        close_after_flush_ = true;
        schedule();
    }
}

void connection::maybe_delete() {
    if (state_ == state::closed && pending_ == 0) {
        auto& srv = srv_;
        bool parked = parked_;
        delete this;
        if (!parked) srv.on_connection_gone();
        else srv.maybe_delete();
    }
}

int connection::release_for_park() {
    boost::system::error_code ec;
    // release() cancels the pending read (its handler runs later with operation_aborted)
    // and hands the descriptor over without closing it.
    int fd = sock_.release(ec);
    if (ec) return -1;
    state_ = state::closed;
    parked_ = true;
    teardown();
    return fd;
}

void connection::on_timeout(wait_kind k) {
    switch (k) {
    case wait_kind::idle:
        if (srv_.can_park()) srv_.park(this);
        else close_now();
        break;
    case wait_kind::header:
        if (in_.unread()) {
            reject(408, "request head timed out");
        } else {
            close_now();
        }
        break;
    case wait_kind::body:
        if (cur_) body_failed(408, make_error_code(nodus::errc::timeout));
        else close_now();
        break;
    default:
        close_now();
        break;
    }
}

void connection::update_wait() {
    if (state_ == state::closed) return;
    wait_kind k = wait_kind::none;
    switch (state_) {
    case state::head:
        k = (in_.unread() || served_ == 0) ? wait_kind::header : wait_kind::idle;
        break;
    case state::body: k = wait_kind::body; break;
    case state::lingering: k = wait_kind::linger; break;
    default: k = wait_kind::none; break;
    }
    if (writing_) k = wait_kind::send;
    if (k != kind_) srv_.move_to(this, k);
}

void connection::release_buffers_if_idle() {
    // The read block stays while a read is pending into it; parking returns it.
    if (state_ != state::head || cur_ || buffered()) return;
    if (out_.capacity()) strings().give(out_);
    out_pos_ = 0;
}

} // namespace nodus::http::detail
