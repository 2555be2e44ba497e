// nodus::fs: whole-file and directory calls, each one job on the thread pool.
#include "fs/detail/pool.hpp"

#include <nodus/fs/fs.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <atomic>
#include <filesystem>
#include <random>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nodus::fs {

namespace {

class fs_category : public std::error_category {
public:
    const char* name() const noexcept override { return "nodus.fs"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::file_shrank: return "the file shrank while it was read";
        }
        return "unknown nodus.fs error";
    }
};

using detail::errno_error;
using detail::fail;

struct status_result {
    error err;
};

// Closes on scope exit; close errors after a successful write are checked by the caller.
struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

int open_retry(const char* path, int flags, mode_t mode = 0) noexcept {
    int fd;
    do fd = ::open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd;
}

bool write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        auto n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Write, optionally fsync, and close `fd`; the first failure goes to `err`.
void finish_write(int fd, std::string_view data, bool sync, error& err) {
    fd_guard g{fd};
    if (!write_all(fd, data)) return void(err = errno_error(err.path, "write"));
    if (sync && ::fsync(fd) != 0) return void(err = errno_error(err.path, "fsync"));
    // close() reports delayed write errors (NFS, quotas): a write is done only when it says so.
    if (::close(g.release()) != 0) err = errno_error(err.path, "close");
}

std::string temp_name(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    thread_local std::minstd_rand rng{std::random_device{}()};
    auto slash = path.rfind('/');
    auto dir = slash == std::string::npos ? std::string{} : path.substr(0, slash + 1);
    auto base = slash == std::string::npos ? path : path.substr(slash + 1);
    return fmt::format("{}.{}.{}-{}-{:x}.tmp", dir, base, ::getpid(), counter++, rng());
}

void sync_directory_of(const std::string& path) noexcept {
    auto slash = path.rfind('/');
    auto dir = slash == std::string::npos ? std::string{"."} : slash == 0 ? "/" : path.substr(0, slash);
    int fd = open_retry(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    // Best effort: the rename is already visible; this makes it survive a crash.
    ::fsync(fd);
    ::close(fd);
}

void write_atomically(const std::string& data, const write_options& o, error& err) {
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 8; ++attempt) {
        tmp = temp_name(err.path);
        fd = open_retry(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, o.mode);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) return void(err = errno_error(err.path, "open"));
    finish_write(fd, data, true, err);
    if (!err && ::rename(tmp.c_str(), err.path.c_str()) != 0) err = errno_error(err.path, "rename");
    if (err) {
        ::unlink(tmp.c_str());
        return;
    }
    sync_directory_of(err.path);
}

void make_directories(const std::string& path, mode_t mode, error& err) {
    if (path.empty())
        return void(err = fail(std::make_error_code(std::errc::no_such_file_or_directory), path, "mkdir"));
    // mkdir -p: each prefix in turn; an existing prefix must be a directory.
    for (std::size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
        auto prefix = path.substr(0, pos);
        bool last = pos == std::string::npos || path.find_first_not_of('/', pos) == std::string::npos;
        if (!prefix.empty() && prefix.back() != '/' && ::mkdir(prefix.c_str(), mode) != 0) {
            if (errno != EEXIST) return void(err = errno_error(path, "mkdir"));
            struct ::stat st;
            if (::stat(prefix.c_str(), &st) != 0) return void(err = errno_error(path, "stat"));
            if (!S_ISDIR(st.st_mode))
                return void(err = fail(std::make_error_code(last ? std::errc::file_exists
                                                                 : std::errc::not_a_directory),
                                       path, "mkdir"));
        }
        if (last) return;
    }
}

} // namespace

const std::error_category& category() noexcept {
    static const fs_category c;
    return c;
}

std::string error::message() const {
    if (!code) return {};
    if (*op) return fmt::format("{} '{}': {}", op, path, code.message());
    return fmt::format("'{}': {}", path, code.message());
}

void read_file(std::string path, read_file_options options,
               std::function<void(const error&, std::string)> done) {
    struct result {
        error err;
        std::string data;
    };
    detail::on_pool<result>(
        std::move(path),
        [max = options.max_bytes](result& r) {
            const auto& path = r.err.path;
            fd_guard fd{open_retry(path.c_str(), O_RDONLY)};
            if (fd.fd < 0) return void(r.err = errno_error(path, "open"));
            struct ::stat st;
            if (::fstat(fd.fd, &st) != 0) return void(r.err = errno_error(path, "stat"));
            if (S_ISDIR(st.st_mode))
                return void(r.err = fail(std::make_error_code(std::errc::is_a_directory), path, "read"));
            auto too_large = [&] {
                r.err = fail(std::make_error_code(std::errc::file_too_large), path, "read");
            };
            if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max) return too_large();
            // The size is a hint only: files in /proc say 0, and a file may change meanwhile.
            const std::size_t cap = max < SIZE_MAX ? max + 1 : max; // one byte past the limit tells
            r.data.resize(S_ISREG(st.st_mode) && st.st_size > 0
                              ? static_cast<std::size_t>(st.st_size) + 1
                              : std::clamp(cap, std::size_t{1}, std::size_t{65536}));
            std::size_t used = 0;
            for (;;) {
                if (used == r.data.size()) {
                    if (used > max || used == cap) return r.data.clear(), too_large();
                    r.data.resize(std::min(cap, std::max(r.data.size() * 2, std::size_t{65536})));
                }
                auto n = ::read(fd.fd, r.data.data() + used, r.data.size() - used);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return r.data.clear(), void(r.err = errno_error(path, "read"));
                if (n == 0) break;
                used += static_cast<std::size_t>(n);
            }
            if (used > max) return r.data.clear(), too_large();
            r.data.resize(used);
        },
        [done = std::move(done)](result& r) { done(r.err, std::move(r.data)); });
}

void write_file(std::string path, std::string data, write_options options,
                std::function<void(const error&)> done) {
    detail::on_pool<status_result>(
        std::move(path),
        [data = std::move(data), options](status_result& r) {
            if (options.atomic) return write_atomically(data, options, r.err);
            int fd = open_retry(r.err.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, options.mode);
            if (fd < 0) return void(r.err = errno_error(r.err.path, "open"));
            finish_write(fd, data, options.sync, r.err);
        },
        [done = std::move(done)](status_result& r) { done(r.err); });
}

void append_file(std::string path, std::string data, std::function<void(const error&)> done) {
    detail::on_pool<status_result>(
        std::move(path),
        [data = std::move(data)](status_result& r) {
            int fd = open_retry(r.err.path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd < 0) return void(r.err = errno_error(r.err.path, "open"));
            finish_write(fd, data, false, r.err);
        },
        [done = std::move(done)](status_result& r) { done(r.err); });
}

void stat(std::string path, std::function<void(const error&, const file_info&)> done) {
    struct result {
        error err;
        file_info info;
    };
    detail::on_pool<result>(
        std::move(path),
        [](result& r) {
            struct ::stat st;
            if (::stat(r.err.path.c_str(), &st) != 0) return void(r.err = errno_error(r.err.path, "stat"));
            r.info = detail::info_of(st);
        },
        [done = std::move(done)](result& r) { done(r.err, r.info); });
}

void read_dir(std::string path, std::function<void(const error&, std::vector<dir_entry>)> done) {
    struct result {
        error err;
        std::vector<dir_entry> entries;
    };
    detail::on_pool<result>(
        std::move(path),
        [](result& r) {
            DIR* d = ::opendir(r.err.path.c_str());
            if (!d) return void(r.err = errno_error(r.err.path, "opendir"));
            errno = 0;
            while (auto* e = ::readdir(d)) {
                std::string_view name = e->d_name;
                if (name == "." || name == "..") continue;
                file_type type = file_type::other;
                struct ::stat st;
                if (e->d_type == DT_REG) type = file_type::regular;
                else if (e->d_type == DT_DIR) type = file_type::directory;
                else if (e->d_type == DT_LNK) type = file_type::symlink;
                else if (e->d_type == DT_UNKNOWN &&
                         ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    type = detail::type_of(st.st_mode);
                r.entries.push_back({std::string{name}, type});
            }
            if (errno != 0) r.err = errno_error(r.err.path, "readdir");
            ::closedir(d);
            std::sort(r.entries.begin(), r.entries.end(), [](auto& a, auto& b) { return a.name < b.name; });
        },
        [done = std::move(done)](result& r) {
            done(r.err, r.err ? std::vector<dir_entry>{} : std::move(r.entries));
        });
}

void make_directory(std::string path, mkdir_options options, std::function<void(const error&)> done) {
    detail::on_pool<status_result>(
        std::move(path),
        [options](status_result& r) {
            auto mode = static_cast<mode_t>(options.mode);
            if (options.recursive) return make_directories(r.err.path, mode, r.err);
            if (::mkdir(r.err.path.c_str(), mode) != 0) r.err = errno_error(r.err.path, "mkdir");
        },
        [done = std::move(done)](status_result& r) { done(r.err); });
}

void remove_directory(std::string path, remove_options options, std::function<void(const error&)> done) {
    detail::on_pool<status_result>(
        std::move(path),
        [options](status_result& r) {
            const auto& path = r.err.path;
            if (!options.recursive) {
                if (::rmdir(path.c_str()) != 0) r.err = errno_error(path, "rmdir");
                return;
            }
            struct ::stat st;
            if (::lstat(path.c_str(), &st) != 0) return void(r.err = errno_error(path, "stat"));
            if (!S_ISDIR(st.st_mode))
                return void(r.err = fail(std::make_error_code(std::errc::not_a_directory), path, "rmdir"));
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
            if (ec) r.err = fail(ec, path, "rmdir");
        },
        [done = std::move(done)](status_result& r) { done(r.err); });
}

void remove_file(std::string path, std::function<void(const error&)> done) {
    detail::on_pool<status_result>(
        std::move(path),
        [](status_result& r) {
            if (::unlink(r.err.path.c_str()) != 0) r.err = errno_error(r.err.path, "unlink");
        },
        [done = std::move(done)](status_result& r) { done(r.err); });
}

} // namespace nodus::fs
