#pragma once
/** @file
    `nodus::fs`: the file system without blocking the loop (Node's `fs` callbacks, libuv's
    `uv_fs_*`). Every call runs its system calls on the thread pool (`nodus::queue_work`) and
    calls back on the loop thread with an `fs::error` (the `std::error_code` and the path)
    and the result. While an operation is in flight the loop does not end, and what the
    operation needs stays alive; the caller may drop everything it holds.

    A callback that throws is treated as any loop callback: the exception leaves
    `nodus::run()`. For a callback that serves a request, wrap it in `res.guard(...)` so an
    exception answers that request instead.
*/
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace nodus::fs {

/** Errors of `nodus::fs` itself; every other code is an `errno` value in
    `std::generic_category()` (compare with `std::errc`). */
enum class errc {
    /** A stream's file ended before the size it had when it was opened: it shrank while
        being read (the bytes announced, e.g. as `Content-Length`, cannot all be sent). */
    file_shrank = 1,
};

/** The category of `fs::errc` ("nodus.fs"). */
const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/** The outcome of an operation: empty (false) on success; otherwise the error, the path it
    concerns and the system call that failed. */
struct error {
    std::error_code code;
    std::string path;
    /** The failing call: "open", "read", "write", "fsync", "rename", "stat", "opendir",
        "mkdir", "rmdir", "unlink", or "" for fs's own checks. Static storage. */
    const char* op = "";

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    /** E.g. `open 'data/x.txt': No such file or directory`. */
    std::string message() const;
};

/** The type of a file system entry. */
enum class file_type { regular, directory, symlink, other };

/** What `stat` and `read_stream::on_open` report (after following symbolic links). */
struct file_info {
    file_type type = file_type::other;
    std::uint64_t size = 0;
    /** Permission bits (`07777` of `st_mode`). */
    std::uint32_t mode = 0;
    std::chrono::system_clock::time_point modified;
};

/** One entry of a directory: its name (no path) and type (a symbolic link is `symlink`). */
struct dir_entry {
    std::string name;
    file_type type = file_type::other;
};

struct read_file_options {
    /** A larger file fails with `std::errc::file_too_large` (checked before reading when the
        size is known, and while reading for files whose size is not, like pipes). */
    std::size_t max_bytes = 2147483647; // Node's limit: 2 GiB - 1
};

struct write_options {
    /** Permission bits of a file the call creates (less the process's umask). */
    std::uint32_t mode = 0644;
    /** Write a temporary file in the same directory, `fsync` it, `rename` it over `path` and
        `fsync` the directory: readers see the old contents or the new, never a part, and a
        crash leaves one of the two. */
    bool atomic = false;
    /** `fsync` before reporting success (implied by `atomic`). */
    bool sync = false;
};

struct mkdir_options {
    /** Create missing parents too, and succeed when the directory exists (`mkdir -p`). */
    bool recursive = false;
    std::uint32_t mode = 0777;
};

struct remove_options {
    /** Remove the directory's contents too (`rm -r`; symbolic links are removed, not
        followed). Without it the directory must be empty. */
    bool recursive = false;
};

/** Read the whole file. `done(err, data)`; `data` is empty on error.
    @throws std::system_error when the thread pool cannot start a thread (as `queue_work`). */
void read_file(std::string path, read_file_options options,
               std::function<void(const error&, std::string)> done);
inline void read_file(std::string path, std::function<void(const error&, std::string)> done) {
    read_file(std::move(path), read_file_options{}, std::move(done));
}

/** Replace the file's contents with `data`, creating the file if needed. */
void write_file(std::string path, std::string data, write_options options,
                std::function<void(const error&)> done);
inline void write_file(std::string path, std::string data, std::function<void(const error&)> done) {
    write_file(std::move(path), std::move(data), write_options{}, std::move(done));
}

/** Add `data` at the end of the file, creating it (mode 0644 less the umask) if needed. Each
    call is one `O_APPEND` write sequence: appends from several processes do not overwrite
    each other. */
void append_file(std::string path, std::string data, std::function<void(const error&)> done);

/** Describe the file `path` names, following symbolic links. */
void stat(std::string path, std::function<void(const error&, const file_info&)> done);

/** The entries of a directory, sorted by name, without `.` and `..`. */
void read_dir(std::string path, std::function<void(const error&, std::vector<dir_entry>)> done);

/** Create a directory. Without `recursive`, an existing `path` fails with `EEXIST` and a
    missing parent with `ENOENT`; with it, a parent that is not a directory fails with
    `ENOTDIR`. */
void make_directory(std::string path, mkdir_options options, std::function<void(const error&)> done);
inline void make_directory(std::string path, std::function<void(const error&)> done) {
    make_directory(std::move(path), mkdir_options{}, std::move(done));
}

/** Remove a directory (`ENOTDIR` if `path` is not one; `ENOTEMPTY` if it has entries and
    `recursive` is not set). */
void remove_directory(std::string path, remove_options options, std::function<void(const error&)> done);
inline void remove_directory(std::string path, std::function<void(const error&)> done) {
    remove_directory(std::move(path), remove_options{}, std::move(done));
}

/** Remove a file or a symbolic link (`EISDIR` for a directory). */
void remove_file(std::string path, std::function<void(const error&)> done);

namespace detail {
struct read_stream_state;
}

struct stream_options {
    /** Bytes read per chunk, and so the most a paused stream holds. At least 1. */
    std::size_t chunk_size = 65536;
    /** Where to start, in bytes from the beginning. */
    std::uint64_t start = 0;
    /** How many bytes to read at most; the default reads to the end. */
    std::uint64_t length = static_cast<std::uint64_t>(-1);
};

/** A file read chunk by chunk (Node's `fs.createReadStream`), one chunk in memory at a time.

    `open` starts opening at once; set the callbacks right after it (they are called from
    later turns of the loop, never inside `open`). Then: `on_open(info)` once the file is
    open; `on_data(chunk)` for each chunk, in order, while the stream is not paused; and
    finally either `on_end()` or `on_error(err)`, once. After that, or after `close()`, no
    callback runs again and the file is closed.

    Backpressure: `pause()` stops delivery; a chunk already being read is held (at most one
    `chunk_size`) and delivered after `resume()`. `pipe(res)` wires this to a
    `nodus::response`: it pauses when `write()` returns false and resumes in `on_drain`.

    For a regular file the stream delivers the bytes the file held when it was opened (from
    `start`, at most `length`): a file that grows meanwhile is not read further, and one that
    shrinks ends with `on_error` (`fs::errc::file_shrank`).

    @par Lifetime
    A handle is shallow: copies name the same stream. The stream lives while a handle exists
    or a read is in flight, so a flowing stream runs to its end even if every handle is
    dropped; a paused stream whose last handle goes is closed. Callbacks are released when the
    stream ends, fails or is closed, which breaks cycles such as a callback holding the
    stream's own handle. A callback that throws closes the stream, then the exception leaves
    `nodus::run()`.
*/
class read_stream {
public:
    read_stream() noexcept = default;

    /** Open `path` for reading; errors (`ENOENT`, `EISDIR`...) come to `on_error`.
        @throws std::invalid_argument when `options.chunk_size` is 0.
        @throws std::system_error when the thread pool cannot start a thread. */
    static read_stream open(std::string path, stream_options options = {});

    const read_stream& on_open(std::function<void(const file_info&)> fn) const;
    /** `chunk` is valid until the callback returns. */
    const read_stream& on_data(std::function<void(std::string_view chunk)> fn) const;
    const read_stream& on_end(std::function<void()> fn) const;
    /** Without it, an error is logged. */
    const read_stream& on_error(std::function<void(const error&)> fn) const;

    void pause() const noexcept;
    void resume() const;
    bool paused() const noexcept;
    /** Stop reading and close the file; no callback runs after it. Safe to repeat. */
    void close() const;
    /** True once the stream ended, failed or was closed. */
    bool done() const noexcept;
    /** Bytes delivered to `on_data` so far. */
    std::uint64_t bytes_read() const noexcept;
    const std::string& path() const noexcept;

    /** Send the stream to `sink`, a `nodus::response` (or anything with its `write`,
        `on_drain`, `end`, `fail`, `finished` and `on_close`): each chunk is written, the
        stream pauses while `write` reports the high-water mark and resumes on `on_drain`;
        the end ends the response. An error answers 500 through `fail` (or closes the
        connection when the head was sent already); set `on_error` after `pipe` to answer
        otherwise. If the client goes away, the stream is closed. Sets `on_data`, `on_end`,
        `on_error` and the sink's `on_close`. */
    template <class Sink>
    void pipe(Sink sink) const {
        read_stream self = *this;
        on_data([self, sink](std::string_view chunk) {
            if (sink.write(chunk)) return;
            if (sink.finished()) return self.close(); // the client went away
            self.pause();
            sink.on_drain([self] { self.resume(); });
        });
        on_end([sink] { sink.end(); });
        on_error([sink](const error& e) {
            // system_error's what() adds the code's message itself.
            auto where = (*e.op ? std::string(e.op) + " '" : std::string("'")) + e.path + "'";
            sink.fail(std::make_exception_ptr(std::system_error(e.code, where)));
        });
        sink.on_close([self] { self.close(); });
    }

    explicit operator bool() const noexcept { return state_ != nullptr; }

private:
    explicit read_stream(std::shared_ptr<detail::read_stream_state> s) noexcept : state_(std::move(s)) {}
    std::shared_ptr<detail::read_stream_state> state_;
};

} // namespace nodus::fs

template <>
struct std::is_error_code_enum<nodus::fs::errc> : std::true_type {};
