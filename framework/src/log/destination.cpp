#include "log/detail/destination.hpp"

#include <nodus/config/config.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace nodus::log::detail {

namespace {
int try_open(const std::string& path, std::string& why) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) why = ec ? ec.message() : std::strerror(errno);
    return fd;
}
} // namespace

int open_log_file(const std::string& path) {
    std::string why;
    int fd = try_open(path, why);
    if (fd < 0) throw config_error(fmt::format("[log] destination = \"{}\": cannot open it: {}", path, why));
    return fd;
}

destination::destination(std::string path) : fd_(open_log_file(path)), path_(std::move(path)) {}

destination::~destination() {
    if (is_file()) ::close(fd_);
}

std::size_t destination::write(std::string_view bytes) noexcept {
    std::lock_guard lock{write_mu_};
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

bool destination::reopen(std::string& why) {
    if (!is_file()) return true;
    int fd = try_open(path_, why);
    if (fd < 0) return false;
    // dup3 swaps the file under the same number atomically: a write in progress on
    // another thread finishes in the old file, the next one goes to the new file.
    std::lock_guard lock{write_mu_};
    const bool ok = ::dup3(fd, fd_, O_CLOEXEC) >= 0;
    if (!ok) why = std::strerror(errno);
    ::close(fd);
    return ok;
}

} // namespace nodus::log::detail
