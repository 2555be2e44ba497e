#pragma once
// The response half of an exchange: status, the application's header lines, how far the
// response got (open, head sent, ended), its framing, the bytes sent, and the
// application's drain and close callbacks.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace nodus::detail {

enum class response_phase : std::uint8_t {
    open, // headers can still change
    head_sent, // status line and headers are queued; body may follow
    ended, // end() was called, or the connection went away
};

/// How the body's end is told to the client.
enum class framing : std::uint8_t {
    length, // Content-Length (declared or computed), or no body at all
    chunked, // Transfer-Encoding: chunked
    until_close, // HTTP/1.0 body of unknown length: the connection's close ends it
};

const char* to_string(response_phase p) noexcept;
const char* to_string(framing f) noexcept;

class response_state {
public:
    response_phase phase() const noexcept { return phase_; }
    bool head_sent() const noexcept { return head_sent_; }
    bool ended() const noexcept { return phase_ == response_phase::ended; }
    bool aborted() const noexcept { return aborted_; }

    int status() const noexcept { return status_; }
    /// False (and nothing changes) once the head was sent or for a code outside 100-999.
    bool set_status(int code) noexcept;

    /// Header lines as the application set them; false (nothing changes) once the head
    /// was sent, for invalid bytes, or for a framing header the pipeline owns. Names
    /// compare case-insensitively. Content-Length is declared, not stored as a line;
    /// Connection only decides whether the connection closes.
    bool set(std::string_view name, std::string_view value);
    bool append(std::string_view name, std::string_view value);
    bool remove(std::string_view name);
    std::string_view get(std::string_view name) const noexcept;
    /// "Name: value\r\n" lines, ready to be sent.
    std::string_view lines() const noexcept { return lines_; }

    /// An error answer replaces whatever the application had set.
    void prepare_error(int code, std::string_view content_type = "text/plain");
    /// The head and body queued so far were taken back before any of it left: the
    /// response is open again (for an error answer). `head_request`: a HEAD has no body.
    void retract(bool head_request) noexcept;

    std::optional<std::uint64_t> declared_length() const noexcept { return declared_length_; }
    bool wants_close() const noexcept { return wants_close_; }
    bool has_date() const noexcept { return user_date_; }
    bool has_server() const noexcept { return user_server_; }

    // The serializer's record.
    void mark_head_sent(framing f) noexcept {
        head_sent_ = true;
        phase_ = response_phase::head_sent;
        framing_ = f;
    }
    void mark_ended() noexcept { phase_ = response_phase::ended; }
    framing body_framing() const noexcept { return framing_; }
    bool no_body() const noexcept { return no_body_; }
    void set_no_body() noexcept { no_body_ = true; }
    std::uint64_t body_bytes() const noexcept { return body_bytes_; }
    void add_body_bytes(std::uint64_t n) noexcept { body_bytes_ += n; }
    bool length_cut() const noexcept { return length_cut_; }
    void set_length_cut() noexcept { length_cut_ = true; }

    // Backpressure and loss of the connection.
    void on_drain(std::function<void()> fn) { on_drain_ = std::move(fn); }
    void set_need_drain() noexcept { need_drain_ = true; }
    /// Once per write() that returned false: the callback to run now that the queue drained.
    std::function<void()> take_drain();
    /// Runs `fn` at once when the connection is already lost.
    void on_close(std::function<void()> fn);
    /// The connection was lost before the response went out.
    void abort();
    /// The client's half-close ends the exchange as a reset would (response::abort_on_half_close).
    void set_abort_on_half_close() noexcept { abort_on_half_close_ = true; }
    bool abort_on_half_close() const noexcept { return abort_on_half_close_; }
    void drop_callbacks() noexcept;

    void reset() noexcept;

private:
    bool put(std::string_view name, std::string_view value, bool replace);
    bool may_have(std::string_view name) const noexcept;
    bool remove_lines(std::string_view name);
    bool add_line(std::string_view name, std::string_view value, std::string_view line);

    int status_ = 200;
    response_phase phase_ = response_phase::open;
    framing framing_ = framing::length;
    bool head_sent_ = false; // stays true once sent; a response ended after its
        // connection was lost may never have sent one
    bool aborted_ = false;
    bool no_body_ = false; // HEAD, 1xx, 204, 304: the head only
    bool wants_close_ = false; // the application set Connection: close
    bool user_date_ = false;
    bool user_server_ = false;
    bool need_drain_ = false;
    bool length_cut_ = false; // body cut at the declared Content-Length
    bool abort_on_half_close_ = false;
    std::string lines_;
    // A bit per name of the lines stored (name_bit): looking for a name never set, as the
    // access log does for X-Request-Id on every request, ends here without reading the lines.
    std::uint64_t names_ = 0;
    std::optional<std::uint64_t> declared_length_;
    std::uint64_t body_bytes_ = 0;
    std::function<void()> on_drain_;
    std::function<void()> on_close_;
};

// Run for every request: inline.
inline void response_state::reset() noexcept {
    status_ = 200;
    phase_ = response_phase::open;
    framing_ = framing::length;
    head_sent_ = aborted_ = no_body_ = wants_close_ = false;
    user_date_ = user_server_ = need_drain_ = length_cut_ = abort_on_half_close_ = false;
    lines_.clear();
    names_ = 0;
    declared_length_.reset();
    body_bytes_ = 0;
    on_drain_ = nullptr;
    on_close_ = nullptr;
}

} // namespace nodus::detail
