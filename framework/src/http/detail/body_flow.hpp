#pragma once
// The request body's flow between the parser and the application: the callbacks, the
// reader's state (not asked yet, flowing, paused, done, failed), the 100-continue answer
// and collecting the whole body on request.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

namespace nodus::detail {

enum class body_state : std::uint8_t {
    unread, // the application has not asked for the body
    held, // paused before it asked: asking for the end alone does not start the flow
    flowing, // chunks go to on_data as they are parsed
    paused, // asked, then paused: the socket is not read
    done, // the whole body was delivered (or there was none)
    failed, // the body cannot complete; on_error was told
};

const char* to_string(body_state s) noexcept;

class body_flow {
public:
    using data_fn = std::function<void(std::string_view)>;
    using end_fn = std::function<void()>;
    using error_fn = std::function<void(std::error_code)>;
    using collect_fn = std::function<void(std::error_code, std::string)>;

    body_state state() const noexcept { return state_; }
    bool settled() const noexcept { return state_ == body_state::done || state_ == body_state::failed; }
    bool done() const noexcept { return state_ == body_state::done; }
    bool failed() const noexcept { return state_ == body_state::failed; }
    /// The application asked for the body (it may have paused since).
    bool asked() const noexcept { return state_ == body_state::flowing || state_ == body_state::paused; }
    bool flowing() const noexcept { return state_ == body_state::flowing; }
    bool paused() const noexcept { return state_ == body_state::held || state_ == body_state::paused; }

    // The application's side. Each returns true when the flow just started, so the
    // connection must look at the socket again.
    bool on_data(data_fn fn);
    /// Runs `fn` at once when the body is already complete.
    bool on_end(end_fn fn);
    void on_error(error_fn fn);
    void pause() noexcept;
    bool resume();

    // Collecting the whole body (request::body).
    void start_collect(std::size_t limit, collect_fn fn, data_fn data, end_fn end);
    /// Add a chunk; false (and the callback told) when it passes the limit.
    bool collect_chunk(std::string_view chunk);
    void finish_collect();
    std::string take_collected() noexcept { return std::move(collected_); }

    // The connection's side.
    void deliver(std::string_view chunk) {
        if (on_data_ && state_ != body_state::failed) on_data_(chunk);
    }
    void mark_done() noexcept { state_ = body_state::done; } // a request without body
    void finish(); // the whole body was parsed
    void fail(std::error_code ec); // the body cannot complete
    void drop_data() noexcept { on_data_ = nullptr; } // chunks are discarded from now on
    /// An application callback threw: none of them runs again. (They are released with the
    /// exchange: the one that threw may be the caller's.)
    void abandon() noexcept {
        if (!settled()) state_ = body_state::failed;
    }
    void drop_callbacks() noexcept; // they often hold handles to their own exchange

    /// 100-continue: answered (or no longer worth answering) once.
    bool continue_answered() const noexcept { return continue_answered_; }
    void set_continue_answered() noexcept { continue_answered_ = true; }

    void reset() noexcept;

private:
    struct callbacks {
        data_fn data;
        end_fn end;
        error_fn err;
        collect_fn collected;
    };
    callbacks take_callbacks() noexcept; // every callback, moved out before any runs
    bool start();

    body_state state_ = body_state::unread;
    bool continue_answered_ = false;
    data_fn on_data_;
    end_fn on_end_;
    error_fn on_error_;
    std::string collected_;
    std::size_t collect_limit_ = 0;
    collect_fn on_collected_;
};

// Run for every request: inline.
inline void body_flow::reset() noexcept {
    state_ = body_state::unread;
    continue_answered_ = false;
    on_data_ = nullptr;
    on_end_ = nullptr;
    on_error_ = nullptr;
    collected_.clear();
    collect_limit_ = 0;
    on_collected_ = nullptr;
}

} // namespace nodus::detail
