#include "static_files/detail/open.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <system_error>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace nodus::detail::files {

namespace {

// O_NONBLOCK: opening a FIFO must not hold a pool thread until a writer comes (it is
// refused afterwards as not a regular file); reads of regular files ignore the flag.
constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

// Cached: -1 unknown, 0 no, 1 yes. Racing pool threads may probe twice, harmlessly.
std::atomic<int> g_have_openat2{-1};

int sys_openat2(int dirfd, const char* path, std::uint64_t resolve) noexcept {
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(open_flags);
    how.resolve = resolve;
    int fd;
    do fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    while (fd < 0 && errno == EINTR);
    return fd;
}

} // namespace

void use_openat2(bool on) noexcept { g_have_openat2 = on ? -1 : 0; }

void unique_fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

root_dir::root_dir(std::string path, bool follow_outside) : follow_outside_(follow_outside) {
    fd_.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) throw std::system_error(errno, std::generic_category(), "static_files: root '" + path + "'");
    char real[PATH_MAX];
    if (!::realpath(path.c_str(), real))
        throw std::system_error(errno, std::generic_category(), "static_files: root '" + path + "'");
    real_ = real;
    if (real_ != "/") real_ += '/';
}

int root_dir::open_below(const std::string& rel) const noexcept {
    const char* p = rel.empty() ? "." : rel.c_str();
    if (follow_outside_) {
        // The name has no ".." (normalize_path): only links may lead out, and they may.
        int fd;
        do fd = ::openat(fd_.get(), p, open_flags);
        while (fd < 0 && errno == EINTR);
        return fd;
    }
    if (g_have_openat2 != 0) {
        int fd = sys_openat2(fd_.get(), p, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd >= 0 || errno != ENOSYS) {
            g_have_openat2 = 1;
            return fd;
        }
        g_have_openat2 = 0;
    }
    return open_checked(rel);
}

// Without openat2: open, then ask the kernel where the descriptor really points.
int root_dir::open_checked(const std::string& rel) const noexcept {
    int fd;
    do fd = ::openat(fd_.get(), rel.empty() ? "." : rel.c_str(), open_flags);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return fd;
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char real[PATH_MAX + 1];
    auto n = ::readlink(link, real, PATH_MAX);
    std::string_view where{real, n > 0 ? static_cast<std::size_t>(n) : 0};
    std::string_view root{real_};
    bool inside =
        n > 0 && (where.starts_with(root) || std::string_view{real_}.substr(0, root.size() - 1) == where);
    if (!inside) {
        ::close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

namespace {

bool open_regular(const root_dir& root, const std::string& rel, lookup& out) noexcept {
    int fd = root.open_below(rel);
    if (fd < 0) {
        out.err = errno;
        return false;
    }
    out.fd.reset(fd);
    if (::fstat(fd, &out.st) != 0) {
        out.err = errno;
        out.fd.reset();
        return false;
    }
    return true;
}

} // namespace

void find_file(const root_dir& root, std::string rel, bool trailing_slash, std::string_view index,
               const std::string_view* suffixes, const std::string_view* codings, int count, lookup& out) {
    if (!open_regular(root, rel, out)) return;
    if (S_ISDIR(out.st.st_mode)) {
        out.fd.reset();
        if (!trailing_slash) {
            out.directory = true;
            return;
        }
        if (index.empty()) {
            out.err = ENOENT;
            return;
        }
        if (!rel.empty()) rel += '/';
        rel += index;
        if (!open_regular(root, rel, out)) return;
    } else if (trailing_slash) {
        // "file.txt/" names a directory that is not there.
        out.fd.reset();
        out.err = ENOTDIR;
        return;
    }
    if (!S_ISREG(out.st.st_mode)) {
        out.fd.reset();
        out.err = ENOENT;
        return;
    }
    out.name = rel;
    for (int i = 0; i < count; ++i) {
        lookup sibling;
        if (!open_regular(root, rel + std::string{suffixes[i]}, sibling) || !S_ISREG(sibling.st.st_mode))
            continue;
        out.fd = std::move(sibling.fd);
        out.st = sibling.st;
        out.coding = codings[i];
        return;
    }
}

} // namespace nodus::detail::files
