#pragma once
// A sink that writes whole lines to a descriptor with write(2), for standard output and
// error when they are not a terminal. Unlike spdlog's console sinks it takes no stdio
// lock: a logging thread stuck writing to a pipe nobody reads holds nothing that the
// rest of the process (its own fprintf, exit()'s flush of the standard streams) needs.
#include <spdlog/sinks/base_sink.h>

#include <cerrno>
#include <mutex>

#include <unistd.h>

namespace nodus::log::detail {

class fd_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit fd_sink(int fd) noexcept : fd_(fd) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        const char* p = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return; // a closed or broken destination: the line is lost
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    void flush_() override {}

private:
    int fd_;
};

} // namespace nodus::log::detail
