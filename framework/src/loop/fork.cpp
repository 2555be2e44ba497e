#include "loop/detail/fork.hpp"

#include "loop/detail/threadpool.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>
#include <spdlog/logger.h>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>

#include <cerrno>
#include <exception>
#include <system_error>

#include <unistd.h>

namespace nodus::detail {

int fork_with_loop(const log_config& log_cfg, std::string_view parent_tag) {
    // Its mutexes could be held by another thread at the moment of the fork.
    nodus::log::shutdown();
    auto& io = nodus::io_context();
    io.notify_fork(boost::asio::execution_context::fork_prepare);
    pid_t pid = ::fork();
    int err = errno;
    if (pid == 0) {
        io.notify_fork(boost::asio::execution_context::fork_child);
        threadpool_after_fork_child();
        return 0;
    }
    io.notify_fork(boost::asio::execution_context::fork_parent);
    try {
        nodus::log::init(log_cfg, parent_tag);
    } catch (const std::exception& e) {
        // The destination became unusable since it was checked. Nothing may throw once a
        // child exists (its pid would be lost), so the parent logs to standard error.
        log_config fallback = log_cfg;
        fallback.destination = "stderr";
        nodus::log::init(fallback, parent_tag);
        nodus::log::get().error("log: {}; logging to standard error instead", e.what());
    }
    if (pid < 0) throw std::system_error(err, std::system_category(), "fork");
    return pid;
}

} // namespace nodus::detail
