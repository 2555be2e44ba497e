#pragma once
// How fs runs a blocking call: `work` on the thread pool fills a result, `done` gets it on
// the loop. An exception from `work` (bad_alloc for a huge file) becomes an error code.
#include <nodus/fs/fs.hpp>
#include <nodus/loop/loop.hpp>

#include <cerrno>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include <sys/stat.h>

namespace nodus::fs::detail {

inline std::error_code last_errno() noexcept { return {errno, std::generic_category()}; }

inline error fail(std::error_code code, std::string path, const char* op) {
    return error{code, std::move(path), op};
}

inline error errno_error(const std::string& path, const char* op) { return fail(last_errno(), path, op); }

inline std::error_code code_of(std::exception_ptr e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& s) {
        return s.code();
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        return std::make_error_code(std::errc::io_error);
    }
}

inline file_type type_of(mode_t m) noexcept {
    if (S_ISREG(m)) return file_type::regular;
    if (S_ISDIR(m)) return file_type::directory;
    if (S_ISLNK(m)) return file_type::symlink;
    return file_type::other;
}

inline file_info info_of(const struct ::stat& st) noexcept {
    file_info info;
    info.type = type_of(st.st_mode);
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
    info.modified =
        std::chrono::system_clock::time_point{std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds{st.st_mtim.tv_sec} + std::chrono::nanoseconds{st.st_mtim.tv_nsec})};
    return info;
}

/// Runs `work(result&)` on the pool, then `done(result&)` on the loop. `Result` has an
/// `error err` member, set from an exception `work` throws, or to EINVAL (without calling
/// `work`) for a path with a NUL byte.
template <class Result, class Work, class Done>
void on_pool(std::string path, Work work, Done done) {
    auto r = std::make_shared<Result>();
    r->err.path = std::move(path);
    // The system calls would stop at a NUL byte and act on another path (a request's
    // "%00" decodes to one): such a path is refused, as Node does.
    bool nul = r->err.path.find('\0') != std::string::npos;
    queue_work(
        [r, nul, work = std::move(work)] {
            if (nul) return void(r->err.code = std::make_error_code(std::errc::invalid_argument));
            work(*r);
        },
        [r, done = std::move(done)](std::exception_ptr e) {
            if (e) r->err.code = code_of(e);
            done(*r);
        });
}

} // namespace nodus::fs::detail
