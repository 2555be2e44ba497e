// nodus::fs::read_stream: one pread (read for pipes) per chunk on the thread pool, one buffer
// per stream.
//
// The buffer is written by a pool thread only while a read is in flight, and read by the
// loop only between that read's completion and the next read, so it needs no lock: a read
// is never started while a chunk is held (paused) or being delivered.
#include "fs/detail/pool.hpp"

#include <nodus/fs/fs.hpp>
#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nodus::fs {

namespace detail {

struct read_stream_state : std::enable_shared_from_this<read_stream_state> {
    // opening: the open job is in flight; ready: open, no job; reading: a read job is in
    // flight; held: a chunk waits for resume(); over: ended, failed or closed.
    enum class phase { opening, ready, reading, held, over };

    std::string path;
    stream_options options;
    phase ph = phase::opening;
    bool paused = false;
    bool delivering = false; // inside on_data: the buffer is the user's until it returns
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t remaining = 0; // bytes still to deliver
    bool sized = false; // `remaining` comes from a regular file's size: EOF before it is an error
    std::uint64_t delivered = 0;
    std::string buffer;
    std::size_t held_bytes = 0;

    std::function<void(const file_info&)> on_open;
    std::function<void(std::string_view)> on_data;
    std::function<void()> on_end;
    std::function<void(const error&)> on_error;

    ~read_stream_state() {
        // The last handle of a paused stream went away. A close(2) of a file opened for
        // reading does not block on I/O, so it is done here rather than queued.
        if (fd >= 0) ::close(fd);
    }

    void start();
    void opened(int new_fd, const file_info& info);
    void read_next();
    void got(long n, int err);
    void deliver();
    void finish(const error* err);
    void close();
    void release_fd();
    void drop_callbacks();
};

void read_stream_state::release_fd() {
    if (fd < 0) return;
    queue_work([fd = std::exchange(fd, -1)] { ::close(fd); }, {});
}

void read_stream_state::drop_callbacks() {
    on_open = nullptr;
    on_data = nullptr;
    on_end = nullptr;
    on_error = nullptr;
}

void read_stream_state::start() {
    struct result {
        error err;
        int fd = -1;
        file_info info;
    };
    detail::on_pool<result>(
        path,
        [](result& r) {
            int fd;
            do fd = ::open(r.err.path.c_str(), O_RDONLY | O_CLOEXEC);
            while (fd < 0 && errno == EINTR);
            if (fd < 0) return void(r.err = errno_error(r.err.path, "open"));
            struct ::stat st;
            if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
                r.err = S_ISDIR(st.st_mode)
                    ? fail(std::make_error_code(std::errc::is_a_directory), r.err.path, "read")
                    : errno_error(r.err.path, "stat");
                ::close(fd);
                return;
            }
            r.fd = fd;
            r.info = info_of(st);
        },
        [self = shared_from_this()](result& r) {
            if (self->ph == phase::over) { // closed while opening
                if (r.fd >= 0) queue_work([fd = r.fd] { ::close(fd); }, {});
                return;
            }
            if (r.err) return self->finish(&r.err);
            self->opened(r.fd, r.info);
        });
}

void read_stream_state::opened(int new_fd, const file_info& info) {
    fd = new_fd;
    ph = phase::ready;
    offset = options.start;
    remaining = options.length;
    if (info.type == file_type::regular) {
        sized = true;
        remaining = std::min(remaining, info.size > options.start ? info.size - options.start : 0);
    }
    if (on_open) {
        auto keep = shared_from_this();
        // Called from a local: the callback may close the stream, which drops the callbacks.
        auto fn = std::move(on_open);
        try {
            fn(info);
        } catch (...) {
            close();
            throw;
        }
    }
    read_next();
}

void read_stream_state::read_next() {
    if (ph != phase::ready || paused || delivering) return;
    if (remaining == 0) return finish(nullptr);
    ph = phase::reading;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, options.chunk_size));
    if (buffer.size() < want) buffer.resize(want);
    struct result {
        error err;
        long n = 0;
    };
    detail::on_pool<result>(
        path,
        // Pipes and sockets (a FIFO, /dev/stdin) cannot be read at an offset: from the start
        // they are read in order; asked for another start, they fail with ESPIPE.
        [fd = fd, data = buffer.data(), want, at = offset,
         positional = sized || options.start > 0](result& r) {
            ssize_t n;
            do n = positional ? ::pread(fd, data, want, static_cast<off_t>(at)) : ::read(fd, data, want);
            while (n < 0 && errno == EINTR);
            r.n = n;
            if (n < 0) r.err = errno_error(r.err.path, "read");
        },
        [self = shared_from_this()](result& r) {
            if (r.err) return self->got(-1, r.err.code.value());
            self->got(r.n, 0);
        });
}

void read_stream_state::got(long n, int err) {
    if (ph == phase::over) return release_fd(); // closed while reading
    ph = phase::ready;
    if (n < 0) {
        error e = fail({err, std::generic_category()}, path, "read");
        return finish(&e);
    }
    if (n == 0) {
        if (!sized) return finish(nullptr);
        error e = fail(make_error_code(errc::file_shrank), path, "read");
        return finish(&e);
    }
    auto count = static_cast<std::uint64_t>(n);
    offset += count;
    remaining -= std::min(remaining, count);
    held_bytes = static_cast<std::size_t>(n);
    if (paused) {
        ph = phase::held;
        return;
    }
    deliver();
}

void read_stream_state::deliver() {
    ph = phase::ready;
    auto keep = shared_from_this(); // on_data may drop the last handle
    if (on_data) {
        // Called from a local: on_data may close the stream (dropping the callbacks) or set
        // another on_data; the one running must live until it returns.
        auto fn = std::move(on_data);
        delivering = true;
        delivered += held_bytes;
        try {
            fn(std::string_view{buffer.data(), held_bytes});
        } catch (...) {
            delivering = false;
            close();
            throw;
        }
        delivering = false;
        if (ph != phase::over && !on_data) on_data = std::move(fn);
    }
    read_next();
}

void read_stream_state::finish(const error* err) {
    ph = phase::over;
    release_fd();
    auto end = std::move(on_end);
    auto fail_fn = std::move(on_error);
    drop_callbacks();
    std::string().swap(buffer);
    if (!err) {
        if (end) end();
        return;
    }
    if (fail_fn) return fail_fn(*err);
    log::get().error("fs: read stream: {} (no on_error callback)", err->message());
}

void read_stream_state::close() {
    if (ph == phase::over) return;
    bool in_flight = ph == phase::opening || ph == phase::reading;
    ph = phase::over;
    drop_callbacks();
    // A job in flight still writes into the buffer or holds the descriptor: it releases them.
    // Inside on_data the buffer is the chunk being delivered: it stays until the state goes.
    if (!in_flight) release_fd();
    if (!in_flight && !delivering) std::string().swap(buffer);
}

} // namespace detail

read_stream read_stream::open(std::string path, stream_options options) {
    if (options.chunk_size == 0)
        throw std::invalid_argument("fs::read_stream: chunk_size must be at least 1");
    auto s = std::make_shared<detail::read_stream_state>();
    s->path = std::move(path);
    s->options = options;
    s->start();
    return read_stream{std::move(s)};
}

const read_stream& read_stream::on_open(std::function<void(const file_info&)> fn) const {
    if (state_ && state_->ph != detail::read_stream_state::phase::over) state_->on_open = std::move(fn);
    return *this;
}

const read_stream& read_stream::on_data(std::function<void(std::string_view)> fn) const {
    if (state_ && state_->ph != detail::read_stream_state::phase::over) state_->on_data = std::move(fn);
    return *this;
}

const read_stream& read_stream::on_end(std::function<void()> fn) const {
    if (state_ && state_->ph != detail::read_stream_state::phase::over) state_->on_end = std::move(fn);
    return *this;
}

const read_stream& read_stream::on_error(std::function<void(const error&)> fn) const {
    if (state_ && state_->ph != detail::read_stream_state::phase::over) state_->on_error = std::move(fn);
    return *this;
}

void read_stream::pause() const noexcept {
    if (state_) state_->paused = true;
}

void read_stream::resume() const {
    if (!state_ || !state_->paused) return;
    state_->paused = false;
    using phase = detail::read_stream_state::phase;
    if (state_->ph == phase::held) {
        // Delivered from the loop, not from inside resume(): resume() is often called from a
        // callback (on_drain) that must not re-enter on_data.
        state_->ph = phase::reading;
        next_tick([s = state_] {
            if (s->ph == phase::over) return s->release_fd(); // closed meanwhile
            if (s->paused) {
                s->ph = phase::held;
                return;
            }
            s->deliver();
        });
        return;
    }
    state_->read_next();
}

bool read_stream::paused() const noexcept { return state_ && state_->paused; }

void read_stream::close() const {
    if (state_) state_->close();
}

bool read_stream::done() const noexcept {
    return !state_ || state_->ph == detail::read_stream_state::phase::over;
}

std::uint64_t read_stream::bytes_read() const noexcept { return state_ ? state_->delivered : 0; }

const std::string& read_stream::path() const noexcept {
    static const std::string none;
    return state_ ? state_->path : none;
}

} // namespace nodus::fs
