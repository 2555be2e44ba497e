#include "cluster/detail/listeners.hpp"

#include "net/detail/listener.hpp"

#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>

namespace nodus::cluster::detail {

namespace {

// systemd socket activation: fds 3.. when LISTEN_PID names this process.
std::vector<nodus::detail::unique_fd> systemd_fds() {
    const char* pid = std::getenv("LISTEN_PID");
    const char* n = std::getenv("LISTEN_FDS");
    if (!pid || !n || std::atol(pid) != static_cast<long>(::getpid())) return {};
    int count = std::atoi(n);
    std::vector<nodus::detail::unique_fd> fds;
    for (int i = 0; i < count; ++i) fds.emplace_back(3 + i);
    // Our children are not the process systemd meant.
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return fds;
}

void set_cloexec_nonblock(int fd) {
    ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

} // namespace

void listeners::open(const server_config& srv, balance& mode, int workers, bool always_reuseport) {
    backlog_ = srv.backlog;
    if (adopt_systemd(mode, workers)) return;
    reuseport_ = mode == balance::reuseport || always_reuseport;
    bind_all(srv.host, srv.port, mode == balance::reuseport ? static_cast<std::size_t>(workers) : 1,
             reuseport_);
}

bool listeners::adopt_systemd(balance& mode, int workers) {
    auto sd = systemd_fds();
    if (sd.empty()) return false;
    const auto n = static_cast<std::size_t>(workers);
    if (mode == balance::reuseport && sd.size() < n) {
        nodus::log::get().warn("cluster: systemd passed {} socket(s) for {} workers; using balance = shared",
                               sd.size(), n);
        mode = balance::shared;
    }
    const std::size_t keep = mode == balance::reuseport ? n : 1;
    while (sd.size() > keep) sd.pop_back(); // closes the sockets no worker will use
    for (auto& fd : sd) set_cloexec_nonblock(fd.get());
    fds_ = std::move(sd);
    count_ = fds_.size();
    host_ = nodus::detail::local_host(fds_.front().get());
    port_ = nodus::detail::local_port(fds_.front().get());
    nodus::log::get().info("cluster: using {} socket(s) from systemd", fds_.size());
    return true;
}

void listeners::rebind(const server_config& srv) {
    close();
    bind_all(srv.host, srv.port == 0 ? port_ : srv.port, count_, reuseport_);
}

void listeners::bind_all(const std::string& host, std::uint16_t port, std::size_t count, bool reuseport) {
    std::vector<nodus::detail::unique_fd> fds;
    fds.push_back(nodus::detail::bind_listener(host, port, backlog_, reuseport));
    // The others join the first one's address and port (the kernel's choice for port 0).
    const std::string bound = nodus::detail::local_host(fds.front().get());
    const std::uint16_t chosen = nodus::detail::local_port(fds.front().get());
    while (fds.size() < count)
        fds.push_back(nodus::detail::bind_listener(bound, chosen, backlog_, reuseport));
    fds_ = std::move(fds);
    host_ = host;
    port_ = chosen;
    count_ = count;
}

void listeners::close() noexcept { fds_.clear(); }

int listeners::for_slot(int slot) const noexcept {
    if (fds_.empty()) return -1;
    return fds_.size() > 1 ? fds_[static_cast<std::size_t>(slot)].get() : fds_.front().get();
}

void listeners::leave_in_child(int keep) noexcept {
    for (auto& fd : fds_)
        if (fd.get() == keep) fd.release();
    fds_.clear();
}

} // namespace nodus::cluster::detail
