#pragma once
// Opening a file below the root, checked on the file the kernel resolves, not only on the
// name: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so neither ".." nor a
// symbolic link leads out; where the kernel lacks openat2, openat(2) and then the opened
// descriptor's real path must lie below the root's. Blocking calls: run on the thread pool.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <sys/stat.h>

namespace nodus::detail::files {

/// Owns a descriptor.
class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        reset(o.release());
        return *this;
    }
    ~unique_fd() { reset(); }
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept;
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_ = -1;
};

/// The served directory, held open.
class root_dir {
public:
    /// @throws std::system_error when `path` is not an openable directory.
    root_dir(std::string path, bool follow_outside);

    /// Open `rel` (relative, already normalised) for reading, without blocking on a FIFO;
    /// -1 with errno set on failure (EXDEV or ELOOP: it would leave the root).
    int open_below(const std::string& rel) const noexcept;

private:
    int open_checked(const std::string& rel) const noexcept;

    unique_fd fd_;
    std::string real_; // the root's real path, for the check without openat2
    bool follow_outside_;
};

/// Whether openat2(2) is tried (the default); false makes every open take the fallback
/// check, as on a kernel without it (for its tests).
void use_openat2(bool on) noexcept;

/// What the thread pool found for a request.
struct lookup {
    int err = 0; // errno of the failure; 0 on success
    bool directory = false; // the path names a directory, asked for without '/'
    unique_fd fd;
    struct ::stat st {};
    std::string_view coding; // "br", "gzip" or empty: which sibling `fd` is
    std::string name; // the file's relative name (with the index appended), for its type
};

/// Find what `rel` names (`index` inside a directory asked for with '/'), and its best
/// acceptable precompressed sibling (`suffixes[i]` gives coding `codings[i]`).
void find_file(const root_dir& root, std::string rel, bool trailing_slash, std::string_view index,
               const std::string_view* suffixes, const std::string_view* codings, int count, lookup& out);

} // namespace nodus::detail::files
