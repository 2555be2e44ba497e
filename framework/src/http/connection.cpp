// The HTTP/1.1 connection pipeline: reading and dispatching.
//
// A new connection holds no read buffer: it waits for readability, reads into one
// loop-wide scratch buffer and parses in place; only bytes it cannot consume yet are
// copied into a block of its own. A connection that proves busy (its second request)
// keeps a 16 KiB block lent by the loop's pool and reads with Asio's async reads. Either way only
// the head is copied (into the exchange). A connection idle for a second is
// parked (parking.cpp): its socket leaves Asio for a side epoll set and the connection
// object, its block and Asio's per-socket state are freed, so a parked keep-alive
// connection costs a few dozen bytes. Output is serialised into one buffer per connection
// (response_writer.cpp) and written with a direct non-blocking send; only when the socket
// is full does the connection wait for writability (connection_output.cpp). A TLS
// connection reads and sends through OpenSSL at the same points (connection_tls.cpp).
#include "http/detail/connection.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"
#include "metrics/detail/http_stats.hpp"
#include "tls/detail/io.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <boost/asio/post.hpp>

#include <cstring>

namespace nodus::http::detail {

namespace asio = boost::asio;

const char* to_string(conn_state s) noexcept {
    switch (s) {
    case conn_state::head: return "head";
    case conn_state::body: return "body";
    case conn_state::waiting: return "waiting";
    case conn_state::closing: return "closing";
    case conn_state::lingering: return "lingering";
    case conn_state::closed: return "closed";
    }
    return "?";
}

connection::connection(server_impl& srv, int fd, const asio::ip::tcp::endpoint& remote) noexcept
    : remote_(remote), srv_(srv), sock_(srv.context()), fd_(fd), read_op_(srv.reactor(), &connection::read_done, this) {}

connection::~connection() {
    release_in();
    if (tls_) tls::detail::free(tls_);
}

void connection::release_in() noexcept {
    if (in_.data) buffers::give_block(in_.data, in_.cap);
    in_ = {};
}

bool connection::idle() const noexcept { return state_ == conn_state::head && !cur_ && !in_.unread(); }

void connection::start(bool fresh) {
    srv_.add(this, fresh);
    keep_alive_ = srv_.keep_alive_allowed();
    update_wait();
    start_read();
}

void connection::start_with(std::size_t n, bool fresh) {
    srv_.add(this, fresh);
    keep_alive_ = srv_.keep_alive_allowed();
    update_wait();
    // Nothing up the stack touches the connection after this call (the server's accept or
    // unpark): one closed or parked meanwhile is deleted here, not a turn later, so a burst
    // of them holds one connection object at a time.
    in_start_with_ = true;
    on_scratch(n);
    in_start_with_ = false;
    maybe_delete();
}

// ------------------------------------------------------------------ reading

// The socket goes into Asio's reactor (one epoll_ctl) the first time the connection waits for
// it. False when the epoll set refused it (out of memory or of watches): the connection closed.
bool connection::attach() {
    if (sock_.is_open()) return true;
    boost::system::error_code ec;
    sock_.assign(remote_.protocol(), fd_, ec);
    if (ec) {
        log::get().warn("cannot wait for a connection's socket: {}", ec.message());
        close_now();
        return false;
    }
    net::detail::adopt_descriptor(sock_);
    return true;
}

void connection::start_read() {
    if (reading_ || state_ == conn_state::closed) return;
    if (tls_) {
        tls_start_read();
        return;
    }
    if (!hot_ && state_ != conn_state::body && !in_.unread()) {
        // Nothing buffered and not (yet) busy: wait without holding a buffer.
        release_in();
        if (!attach()) return;
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
    if (!prepare_block() || !attach()) return;
    reading_ = true;
    ++pending_;
    // Tried at once unless the last read emptied the socket; then it waits for epoll's
    // report, without a system call (net/detail/drained_read.hpp).
    // Only a connection waiting for its next request may leave an end of stream unseen.
    const bool awaiting_request = state_ == conn_state::head && !in_.unread() && !cur_;
    read_op_.start(sock_, in_.data + in_.end, in_.cap - in_.end, !awaiting_request);
}

void connection::read_done(void* self, const boost::system::error_code& ec, std::size_t n) {
    auto* c = static_cast<connection*>(self);
    --c->pending_;
    c->reading_ = false;
    c->on_read(ec, n);
    c->maybe_delete();
}

// A block with room at its end; false when it is full of bytes the application has not
// consumed yet.
bool connection::prepare_block() {
    const bool body = state_ == conn_state::body;
    if (body && in_.cap != body_block_size && !in_.unread()) release_in();
    if (!in_.data) {
        in_.data = body ? buffers::take_body_block() : buffers::take_block();
        in_.cap = body ? body_block_size : block_size;
    }
    if (in_.beg == in_.end) {
        in_.beg = in_.end = 0;
    } else if (in_.end == in_.cap) {
        if (in_.beg > 0) {
            std::memmove(in_.data, in_.data + in_.beg, in_.unread());
            in_.end -= in_.beg;
            in_.beg = 0;
        } else if (state_ == conn_state::head && in_.cap < srv_.cfg().max_header_bytes + block_size) {
            // A head larger than a block: grow (the header limit bounds this).
            auto cap = in_.cap * 2;
            auto* bigger = new char[cap];
            std::memcpy(bigger, in_.data, in_.end);
            buffers::give_block(in_.data, in_.cap);
            in_.data = bigger;
            in_.cap = cap;
        } else {
            return false;
        }
    }
    return true;
}

void connection::on_readable(const boost::system::error_code& ec) {
    if (state_ == conn_state::closed) return;
    if (ec) {
        close_now();
        return;
    }
    boost::system::error_code rec;
    char* scratch = buffers::scratch();
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
    on_scratch(n);
}

// `n` bytes read into the loop's scratch buffer.
void connection::on_scratch(std::size_t n) {
    if (state_ == conn_state::lingering) {
        start_read();
        return;
    }
    if (srv_.counting()) metrics::detail::g_http.bytes_in += n;
    char* scratch = buffers::scratch();
    std::size_t used = process({scratch, n});
    if (state_ == conn_state::closed) return;
    if (used < n) {
        // Keep what could not be consumed yet; the scratch buffer belongs to everyone.
        in_.data = buffers::take_block();
        in_.cap = block_size;
        std::memcpy(in_.data, scratch + used, n - used);
        in_.beg = 0;
        in_.end = static_cast<std::uint32_t>(n - used);
    }
    tail();
}

void connection::on_read(const boost::system::error_code& ec, std::size_t n) {
    if (state_ == conn_state::closed) return;
    if (ec) {
        if (ec == asio::error::eof) on_eof();
        else close_now();
        return;
    }
    if (state_ == conn_state::lingering) {
        // Discard what the client still sends until it closes, so our close does not
        // turn into a reset that destroys the response in flight.
        in_.beg = in_.end = 0;
        start_read();
        return;
    }
    if (srv_.counting()) metrics::detail::g_http.bytes_in += n;
    in_.end += static_cast<std::uint32_t>(n);
    advance();
}

void connection::on_eof() {
    input_ = input_state::eof;
    if (half_close_aborts()) {
        close_now();
        return;
    }
    // A client may half-close after its last request: answer what was asked, then
    // close. Anything else (EOF inside a head or body) ends the connection now. The last
    // answer may still be going out after its exchange ended (a large body, a file): the
    // connection is then back in `head`, with nothing of a next request read.
    const bool last_answer_leaving =
        state_ == conn_state::head && buffered() && !in_.unread() && !partial_ && !cur_;
    if (last_answer_leaving) {
        state_ = conn_state::closing;
        keep_alive_ = false;
        update_wait();
        return;
    }
    if (state_ == conn_state::waiting || (state_ == conn_state::closing && buffered())) {
        keep_alive_ = false;
        advance();
        return;
    }
    close_now();
}

// The application asked to treat a half-close as the client leaving, and its response is
// still being made: nobody will read it.
bool connection::half_close_aborts() const noexcept {
    return state_ == conn_state::waiting && cur_ && cur_->res().abort_on_half_close() && !cur_->res().ended();
}

namespace {
constexpr std::size_t pipelined_answers_limit = 4096;
} // namespace

// Pipelined requests are answered while few bytes of earlier answers wait for the socket
// (nginx answers one at a time): a client that pipelines and does not read holds at most this
// much of the output, not high_water_mark's worth, and its requests wait in its own socket.
bool connection::answers_waiting() const noexcept {
    return buffered() > std::min<std::size_t>(srv_.cfg().high_water_mark, pipelined_answers_limit);
}

bool connection::wants_input() const noexcept {
    if (input_ != input_state::open) return false;
    switch (state_) {
    case conn_state::head: return !answers_waiting();
    case conn_state::body: return body_.discarding() || (cur_ && cur_->body().flowing());
    // Keep watching the socket while the application works, to see a reset at once;
    // start_read stops when the block is full, so a pipelining flood cannot grow memory.
    case conn_state::waiting: return true;
    case conn_state::lingering: return true;
    default: return false;
    }
}

// Parse and dispatch as much of `data` as the current state allows; returns bytes used.
std::size_t connection::process(std::string_view data) {
    in_process_ = true;
    std::size_t pos = 0;
    for (;;) {
        if (state_ == conn_state::head) {
            // The next response must not overtake a file body still being sent.
            if (file_left_ || answers_waiting()) break;
            bool complete = false;
            pos += process_head(data.substr(pos), complete);
            if (!complete) break;
            continue;
        }
        if (state_ == conn_state::body) {
            if (!body_.discarding() && !cur_->body().flowing()) break;
            if (pos == data.size()) break;
            bool more = false;
            pos += feed_body(data.substr(pos), more);
            if (more) break;
            continue;
        }
        if (state_ == conn_state::waiting && cur_ && cur_->res().ended()) {
            finish_exchange();
            continue;
        }
        break;
    }
    in_process_ = false;
    return pos;
}

// Empty lines, then a whole head (dispatched): returns the bytes used; `complete` tells
// whether a head was dispatched.
std::size_t connection::process_head(std::string_view v, bool& complete) {
    auto skip = skip_leading_empty_lines(v);
    v.remove_prefix(skip);
    if (v.empty()) return skip;
    if (!partial_) {
        // Nearly every head arrives whole: checked and delimited in one pass. A head that is
        // incomplete or refused takes the steps below, which tell which and why.
        if (auto end = begin_whole_exchange(v)) {
            complete = true;
            return skip + end;
        }
    }
    // A head arriving in pieces is scanned once per byte, not once per read.
    auto end = find_head_end(v, partial_ ? partial_->searched : 0);
    if (!end) {
        if (!partial_) partial_ = std::make_unique<head_progress>();
        partial_->searched = v.size();
        auto vd = check_partial_head(v, srv_.cfg(), partial_->scan);
        if (vd.status) reject(vd.status, vd.reason, v);
        return skip;
    }
    partial_.reset();
    complete = true;
    begin_exchange(v.substr(0, end));
    return skip + end;
}

void connection::advance() {
    if (in_process_ || state_ == conn_state::closed) return;
    if (in_.unread()) {
        auto used = process({in_.data + in_.beg, in_.unread()});
        if (state_ == conn_state::closed) return;
        in_.beg += static_cast<std::uint32_t>(used);
    } else if (state_ == conn_state::waiting && cur_ && cur_->res().ended()) {
        process({});
        if (state_ == conn_state::closed) return;
    }
    tail();
}

void connection::tail() {
    if (state_ == conn_state::closed) return;
    // Rewind an emptied block, unless a read is in flight: it lands at the old end.
    if (in_.beg == in_.end && !reading_) in_.beg = in_.end = 0;
    if (buffered() && !writing_) {
        flush();
        if (state_ == conn_state::closed) return;
        // process() stopped at answers_waiting() with requests read and not answered yet, and
        // the socket took the answers at once: go on with those requests (in a new turn, as a
        // long pipeline would otherwise recurse), as no read will bring them back.
        if (state_ == conn_state::head && in_.unread() && !writing_ && !answers_waiting()) schedule();
    }
    if (state_ == conn_state::closing && !buffered()) {
        begin_close();
        if (state_ == conn_state::closed) return;
    }
    // A connection that has not proved busy parks as soon as it is idle: most such
    // connections wait long for their next request, if any comes at all.
    if (!hot_ && served_ && idle() && !buffered() && !writing_ && input_ == input_state::open &&
        srv_.can_park() && !(tls_ && tls::detail::has_pending(tls_))) {
        srv_.park(this);
        return;
    }
    if (wants_input()) start_read();
    update_wait();
    release_buffers_if_idle();
}

void connection::schedule() {
    if (scheduled_ || state_ == conn_state::closed) return;
    scheduled_ = true;
    ++pending_;
    asio::post(sock_.get_executor(), [this] {
        --pending_;
        scheduled_ = false;
        advance();
        maybe_delete();
    });
}

} // namespace nodus::http::detail
