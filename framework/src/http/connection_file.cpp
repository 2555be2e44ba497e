// File bodies: the head goes out through the output buffer, then the file's bytes go from
// the page cache to the socket with sendfile(2), never through user space.
//
// One connection sends at most file_piece bytes per turn of the loop and then yields (a
// posted step), so a client downloading a large file from a fast socket does not hold up
// the other connections of the loop; when the socket is full it waits for writability like
// any output. A file that shrinks below the promised length ends in a close: the client
// sees a short body, never a hang or bytes of the next response.
#include "http/detail/connection.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"
#include "metrics/detail/http_stats.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include <csignal>
#include <ctime>

#include <pthread.h>
#include <sys/sendfile.h>
#include <unistd.h>

namespace nodus::http::detail {

using nodus::detail::exchange;

namespace {
// As nginx's sendfile_max_chunk: large enough that the system call cost vanishes, small
// enough that one download takes a bounded share of a turn.
constexpr std::uint64_t file_piece = 512 * 1024;

std::uint64_t g_sendfile_bytes = 0;

// sendfile(2) has no MSG_NOSIGNAL: on a connection the peer has reset it raises SIGPIPE,
// whose default action ends the process. The signal is blocked while the pieces go out, and
// one that an EPIPE raised is taken back before the mask is restored. A thread that had
// SIGPIPE blocked already keeps its own pending signal.
class sigpipe_blocked {
public:
    sigpipe_blocked() noexcept {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe, &old_);
    }
    ~sigpipe_blocked() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    sigpipe_blocked(const sigpipe_blocked&) = delete;
    sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

    void take_raised() noexcept {
        if (sigismember(&old_, SIGPIPE)) return;
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        timespec none{};
        while (::sigtimedwait(&pipe, nullptr, &none) < 0 && errno == EINTR) {}
    }

private:
    sigset_t old_;
};
} // namespace

std::uint64_t sendfile_bytes() noexcept { return g_sendfile_bytes; }

bool connection::res_send_file(exchange& ex, int fd, std::uint64_t offset, std::uint64_t length) {
    if (&ex != cur_ || state_ == conn_state::closed || ex.res().ended() || ex.res().head_sent()) {
        ::close(fd);
        return false;
    }
    if (!ex.body().done() && !ex.body().asked() && state_ == conn_state::body) start_discard(ex);
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, length);
    ex.res().set("Content-Length", {digits, static_cast<std::size_t>(r.ptr - digits)});
    keep_alive_ = out_.head(ex, fields(), keep_alive_, false, 0);
    // The file cannot be taken back: a failing request body closes the connection instead.
    provisional_ = std::string_view::npos;
    if (ex.res().no_body() || length == 0) {
        ::close(fd);
    } else {
        file_fd_ = fd;
        file_offset_ = offset;
        file_left_ = length;
        ex.res().add_body_bytes(length);
    }
    ex.res().mark_ended();
    if (!in_process_) schedule();
    return true;
}

// Sends the next piece of the file body. True once it has all gone; false while it waits
// (writability or its next turn) or after the connection closed.
bool connection::send_file_piece() {
    std::uint64_t budget = file_piece;
    sigpipe_blocked no_sigpipe;
    while (file_left_) {
        auto off = static_cast<off_t>(file_offset_);
        auto want = static_cast<std::size_t>(std::min(file_left_, budget));
        before_send();
        ssize_t n = ::sendfile(fd_, file_fd_, &off, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EPIPE) no_sigpipe.take_raised();
        if (n < 0 && errno == EAGAIN) {
            if (send_too_slow(0)) {
                cut();
                return false;
            }
            wait_writable();
            return false;
        }
        if (n <= 0) {
            // 0: the file ends before the length the head promised (it shrank).
            if (n == 0) log::get().warn("a file being sent shrank; closing the connection");
            close_now();
            return false;
        }
        sent_ = true;
        auto sent = static_cast<std::uint64_t>(n);
        g_sendfile_bytes += sent;
        if (srv_.counting()) metrics::detail::g_http.bytes_out += sent;
        file_offset_ += sent;
        file_left_ -= sent;
        budget -= std::min(budget, sent);
        srv_.move_to(this, wait_kind::send);
        if (send_rate_.is_open() && send_too_slow(static_cast<std::size_t>(n))) {
            cut();
            return false;
        }
        if (budget == 0 && file_left_) {
            schedule();
            return false;
        }
    }
    drop_file();
    // A pipelined request waited for the file: read it now.
    if (in_.unread()) schedule();
    return true;
}

void connection::drop_file() noexcept {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
    file_left_ = 0;
}

} // namespace nodus::http::detail
