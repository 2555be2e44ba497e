#pragma once
// Where log lines go: one descriptor shared by the main log's sink and the access log's
// writer, so both write whole lines to the same file in turn. A file destination can be
// reopened in place (logrotate): the new file takes the old descriptor's number, so no
// writer ever sees a closed descriptor.
#include <mutex>
#include <string>
#include <string_view>

namespace nodus::log::detail {

class destination {
public:
    /// Standard output or error (`fd` 1 or 2), never closed nor reopened.
    explicit destination(int fd) noexcept : fd_(fd) {}
    /// A file, appended to, missing directories created.
    /// @throws config_error naming `path` and why it cannot be opened.
    explicit destination(std::string path);
    ~destination();
    destination(const destination&) = delete;
    destination& operator=(const destination&) = delete;

    /// Write all of `bytes`; returns how many were written before an error (a full disk,
    /// a closed pipe). Blocks while the destination does (a pipe nobody reads): call it
    /// from a logging thread, never from the loop.
    std::size_t write(std::string_view bytes) noexcept;

    /// Open the file again under its name (after a rename by logrotate); false with `why`
    /// set when it cannot be, and lines keep going to the file open until now.
    bool reopen(std::string& why);

    bool is_file() const noexcept { return !path_.empty(); }
    const std::string& path() const noexcept { return path_; }

private:
    int fd_;
    std::string path_;
    std::mutex write_mu_; // whole writes: lines of the two logs never interleave
};

/// Open `path` the way a file destination is opened (for a check before switching to it).
/// @throws config_error naming `path` and why it cannot be opened.
int open_log_file(const std::string& path);

} // namespace nodus::log::detail
