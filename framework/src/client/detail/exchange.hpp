#pragma once
// One request and its response: the state both handles share. It builds and writes the
// request (head, then the body as the application gives it, with backpressure), reads and
// checks the response, hands the body out chunk by chunk, and gives the connection back to
// the agent when the exchange is over. Redirects and the one retry of a stale pooled
// connection restart it on another connection.
#include "client/detail/agent_state.hpp"
#include "client/detail/connection.hpp"
#include "client/detail/exchange_memory.hpp"
#include "client/detail/response_head.hpp"
#include "http/detail/chunked_decoder.hpp"

#include <nodus/client/client.hpp>
#include <nodus/loop/loop.hpp>

#include <nodus/log/log.hpp>

#include <boost/system/error_code.hpp>
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::client::detail {

class exchange : public std::enable_shared_from_this<exchange> {
public:
    exchange(options opts, std::function<void(client::response)> on_response);
    ~exchange();
    exchange(const exchange&) = delete;
    exchange& operator=(const exchange&) = delete;

    /// Checks the options and queues the start on the loop; returns the handle.
    static client::request open(options opts, std::function<void(client::response)> on_response);

    // The request handle's calls.
    bool write(std::string_view chunk);
    void set_on_drain(std::function<void()> fn) { on_drain_ = std::move(fn); }
    bool end(std::string_view last);
    std::size_t buffered() const noexcept;
    void abort() noexcept;
    bool aborted() const noexcept { return end_ == ending::aborted; }
    bool finished() const noexcept { return stage_ == stage::done; }
    void set_on_error(std::function<void(const error&)> fn) { on_error_ = std::move(fn); }
    void set_on_continue(std::function<void()> fn) { on_continue_ = std::move(fn); }

    // The response handle's calls.
    const response_head& head() const noexcept { return head_; }
    const std::vector<nodus::header_field>& trailers() const noexcept { return trailers_; }
    void set_on_data(std::function<void(std::string_view)> fn) { on_data_ = std::move(fn); }
    void set_on_end(std::function<void()> fn);
    void pause() noexcept;
    void resume();
    bool paused() const noexcept { return paused_; }
    bool complete() const noexcept { return phase_ == phase::complete; }
    void collect(std::size_t limit, std::function<void(const error&, std::string)> fn);

    // The agent's calls.
    const origin& where() const noexcept;
    /// The origin's pool; set once the options were checked.
    origin_pool& pool() const noexcept { return *pool_; }
    /// Whether a reused connection failing before any byte of the response would be retried.
    bool retryable() const noexcept;
    void queued() noexcept { stage_ = stage::queued; }
    void connect_on(std::shared_ptr<connection> c);
    void assign(std::shared_ptr<connection> c, bool reused);
    void fail(errc code, std::string reason);

    // The connection's calls.
    void on_written(const boost::system::error_code& ec, std::size_t n);
    void on_read(const boost::system::error_code& ec, std::size_t n);
    void on_deadline(deadline_kind kind);

private:
    enum class stage : std::uint8_t { created, queued, connecting, sending, done };
    enum class phase : std::uint8_t { head, body, complete };
    enum class ending : std::uint8_t { none, completed, failed, aborted };

    // exchange.cpp: setting up, ending, and starting again
    const char* prepare();
    void start();
    void on_connected(const std::shared_ptr<connection>& c, std::error_code ec, std::string reason);
    void teardown(bool reusable) noexcept;
    void clear_callbacks() noexcept;
    bool can_retry() const noexcept;
    void retry();
    bool wants_redirect() const noexcept;
    void follow_redirect();
    void restart();
    template <class Fn, class... Args>
    void call(Fn& fn, Args&&... args);

    // exchange_request.cpp: the request's bytes
    bool give(std::string_view chunk);
    void build_head();
    void write_fields();
    void open_body();
    void append_framed(std::string_view chunk);
    void flush();
    bool request_sent() const noexcept;
    void arm(deadline_kind kind, std::chrono::milliseconds d) noexcept;

    // exchange_response.cpp: the response's bytes
    void process();
    bool step();
    bool on_head(std::size_t n);
    bool on_body_bytes(std::string_view data);
    void deliver(std::string_view chunk);
    void finish_body();
    void on_peer_closed();

    options opts_;
    origin_pool* pool_ = nullptr; // lives as long as agent_
    std::shared_ptr<agent_state> agent_;
    std::shared_ptr<connection> conn_;

    std::function<void(client::response)> on_response_;
    std::function<void(const error&)> on_error_;
    std::function<void()> on_drain_;
    std::function<void()> on_continue_;
    std::function<void(std::string_view)> on_data_;
    std::function<void()> on_end_;

    std::unique_ptr<exchange_buffers> bufs_; // out, inflight, head_text: kept for the next exchange

    // request side
    std::string body_; // body given before the head went out (kept whole for a replay)
    std::optional<std::uint64_t> content_length_; // declared by options or a field
    std::uint64_t given_ = 0; // body bytes the application gave
    nodus::timer continue_timer_;
    bool chunked_out_ = false;
    bool has_host_ = false; // options::headers has the field
    bool has_length_ = false;
    bool has_coding_ = false;
    bool head_built_ = false;
    bool body_open_ = false; // body bytes go on the wire (after 100 Continue when expected)
    bool ended_ = false;
    bool replayable_ = false; // the whole request is in head + body_
    bool write_failed_ = false;
    bool need_drain_ = false;

    // response side
    response_head head_;
    nodus::http::detail::chunked_decoder decoder_;
    std::string trailer_text_;
    std::vector<nodus::header_field> trailers_;
    std::uint64_t remaining_ = 0;
    std::size_t scanned_ = 0;
    std::string collected_;
    std::size_t collect_limit_ = 0;

    int redirects_ = 0;
    stage stage_ = stage::created;
    phase phase_ = phase::head;
    ending end_ = ending::none;
    bool reused_ = false;
    bool retried_ = false;
    bool got_bytes_ = false; // any byte of a response on this connection
    bool peer_closed_ = false;
    bool paused_ = false;
    bool processing_ = false;
    bool redirecting_ = false;
    bool head_request_ = false;
    int calling_ = 0; // callbacks running: the ones stored are cleared only after they return
    bool clear_pending_ = false;
};

// An exception from the application's callback must not reach the loop: it is logged and
// the request aborted (a callback serving a server exchange is wrapped in res.guard).
template <class Fn, class... Args>
inline void exchange::call(Fn& fn, Args&&... args) {
    ++calling_;
    try {
        fn(std::forward<Args>(args)...);
    } catch (const std::exception& e) {
        nodus::log::get().error("client: exception in a callback of {} {}{}: {}", opts_.method, where().key,
                                opts_.target, e.what());
        abort();
    } catch (...) {
        nodus::log::get().error("client: unknown exception in a callback of {} {}{}", opts_.method,
                                where().key, opts_.target);
        abort();
    }
    if (--calling_ == 0 && clear_pending_) clear_callbacks();
}

} // namespace nodus::client::detail
