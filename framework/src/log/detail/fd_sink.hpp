#pragma once
// A sink that writes whole lines to a destination with write(2): a file, or standard output
// or error when they are not a terminal. Unlike spdlog's console sinks it takes no stdio
// lock: a logging thread stuck writing to a pipe nobody reads holds nothing that the rest
// of the process (its own fprintf, exit()'s flush of the standard streams) needs.
#include "log/detail/destination.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>

namespace nodus::log::detail {

class fd_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit fd_sink(std::shared_ptr<destination> to) noexcept : to_(std::move(to)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        to_->write({line.data(), line.size()}); // a full or broken destination: the line is lost
    }
    void flush_() override {}

private:
    std::shared_ptr<destination> to_;
};

} // namespace nodus::log::detail
