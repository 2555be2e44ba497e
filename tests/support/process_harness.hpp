#pragma once
// Run a program (apps/cluster_demo by default) as a real process tree in its own process
// group, read its log, talk HTTP to it (nodus::test::client), and make sure nothing of it
// survives the test.
#include <gtest/gtest.h>

#include "http_client.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace process_harness {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

inline std::string demo_binary() { return NODUS_BINARY_DIR "/apps/cluster_demo/cluster_demo"; }

using nodus::test::client;
using nodus::test::wait_until;

/// The size of process `pid`'s descriptor table (FDSize in /proc/PID/status); 0 if unknown.
inline std::size_t descriptor_table_size(int pid) {
    std::ifstream f{"/proc/" + std::to_string(pid) + "/status"};
    for (std::string line; std::getline(f, line);)
        if (line.rfind("FDSize:", 0) == 0) return std::stoul(line.substr(7));
    return 0;
}

/// Pids of live (non-zombie) processes in process group `pgid`, from /proc.
inline std::vector<int> group_members(int pgid) {
    std::vector<int> out;
    for (auto& e : std::filesystem::directory_iterator("/proc")) {
        auto name = e.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream f{e.path() / "stat"};
        std::string stat;
        std::getline(f, stat);
        auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        int ppid = 0, pgrp = 0;
        if (std::sscanf(stat.c_str() + close + 2, "%c %d %d", &state, &ppid, &pgrp) != 3) continue;
        if (pgrp == pgid && state != 'Z') out.push_back(std::stoi(name));
    }
    return out;
}

/// A program (the cluster demo app by default) as a process group; the destructor kills
/// whatever is left of it.
class process {
public:
    explicit process(std::vector<std::string> args, std::vector<std::string> env = {},
                     std::string bin = demo_binary()) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            ::dup2(p[1], 1);
            ::dup2(p[1], 2);
            for (auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
            std::vector<char*> argv;
            argv.push_back(bin.data());
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(bin.c_str(), argv.data());
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);
        ::close(p[1]);
        fd_ = p[0];
        reader_ = std::thread([this] {
            char buf[4096];
            for (;;) {
                ssize_t n = ::read(fd_, buf, sizeof buf);
                if (n <= 0) break;
                std::lock_guard lock{mu_};
                log_.append(buf, static_cast<std::size_t>(n));
            }
            output_done_ = true;
        });
    }
    process(const process&) = delete;
    process& operator=(const process&) = delete;

    ~process() {
        kill_all();
        if (reader_.joinable()) reader_.join();
        ::close(fd_);
    }

    int pid() const noexcept { return pid_; }

    std::string log() const {
        std::lock_guard lock{mu_};
        return log_;
    }

    /// Wait until the log contains `text` `times` times.
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout, int times = 1) const {
        auto end = clock::now() + timeout;
        while (clock::now() < end) {
            if (count(text) >= times) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    int count(const std::string& text) const {
        auto l = log();
        int n = 0;
        for (auto pos = l.find(text); pos != std::string::npos; pos = l.find(text, pos + 1)) ++n;
        return n;
    }

    /// The port from "Server running at http://HOST:PORT/".
    std::uint16_t port(std::chrono::milliseconds timeout = 10s) const {
        const std::string key = "Server running at http://";
        if (!wait_for(key, timeout)) return 0;
        auto l = log();
        auto pos = l.find(key) + key.size();
        auto slash = l.find('/', pos);
        auto colon = l.rfind(':', slash);
        return static_cast<std::uint16_t>(std::stoi(l.substr(colon + 1, slash - colon - 1)));
    }

    /// Wait for the master to exit; its wait status, or nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        if (status_) return status_;
        auto end = clock::now() + timeout;
        while (clock::now() < end) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                status_ = st;
                // Let the reader take in the last lines the process wrote.
                auto drain = clock::now() + 1s;
                while (!output_done_ && clock::now() < drain) std::this_thread::sleep_for(2ms);
                return st;
            }
            std::this_thread::sleep_for(5ms);
        }
        return std::nullopt;
    }

    /// Worker pids (children of the master), from /proc.
    std::vector<int> workers() const {
        std::vector<int> out;
        for (int p : group_members(pid_)) {
            if (p == pid_) continue;
            std::ifstream f{"/proc/" + std::to_string(p) + "/stat"};
            std::string stat;
            std::getline(f, stat);
            auto close = stat.rfind(')');
            char state = 0;
            int ppid = 0;
            if (close != std::string::npos &&
                std::sscanf(stat.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == pid_)
                out.push_back(p);
        }
        return out;
    }

    void signal(int signo) const { ::kill(pid_, signo); }

    void kill_all() {
        ::kill(-pid_, SIGKILL);
        if (!status_) wait_exit(5s);
        auto end = clock::now() + 5s;
        while (!group_members(pid_).empty() && clock::now() < end) std::this_thread::sleep_for(10ms);
    }

private:
    int pid_ = -1;
    int fd_ = -1;
    std::thread reader_;
    mutable std::mutex mu_;
    std::string log_;
    std::optional<int> status_;
    std::atomic<bool> output_done_{false};
};

/// One GET on a fresh connection; the body ("PID\n") as a number, or 0 on failure.
inline int get_pid(std::uint16_t port, const std::string& path = "/") {
    client c;
    if (!c.connect(port)) return 0;
    auto r = c.get(path, false);
    if (!r || r->status != 200) return 0;
    return std::atoi(r->body.c_str());
}

/// The demo started the way systemd starts a socket-activated service: a listening socket on
/// 127.0.0.1 passed as fd 3 with LISTEN_FDS=1 and LISTEN_PID, `args` after the binary, in a
/// process group of its own. `log_until` reads its output until `marker` appears (10 s at most);
/// `stop` sends SIGTERM and returns whether it exited with 0, then kills what is left.
class socket_activated {
public:
    explicit socket_activated(std::vector<std::string> args) {
        int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
            ::listen(lfd, 128) != 0)
            throw std::runtime_error("socket_activated: cannot listen");
        socklen_t len = sizeof sa;
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
        port_ = ntohs(sa.sin_port);
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("socket_activated: pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            ::dup2(out[1], 1);
            ::dup2(out[1], 2);
            if (lfd == 3) ::fcntl(3, F_SETFD, 0); // dup2 onto itself would keep FD_CLOEXEC
            else ::dup2(lfd, 3); // the copy has FD_CLOEXEC cleared
            ::setenv("LISTEN_FDS", "1", 1);
            ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
            std::string bin = demo_binary();
            args.insert(args.begin(), bin);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(bin.c_str(), argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(lfd); // only the master holds it now
        out_ = out[0];
    }
    socket_activated(const socket_activated&) = delete;
    socket_activated& operator=(const socket_activated&) = delete;
    ~socket_activated() {
        if (pid_ > 0) ::kill(-pid_, SIGKILL);
        if (out_ >= 0) ::close(out_);
    }

    std::uint16_t port() const noexcept { return port_; }

    const std::string& log_until(const std::string& marker) {
        auto deadline = clock::now() + 10s;
        while (log_.find(marker) == std::string::npos && clock::now() < deadline) {
            pollfd pf{out_, POLLIN, 0};
            if (::poll(&pf, 1, 100) > 0) {
                char buf[4096];
                auto n = ::read(out_, buf, sizeof buf);
                if (n <= 0) break;
                log_.append(buf, static_cast<std::size_t>(n));
            }
        }
        return log_;
    }

    bool stop() {
        ::kill(pid_, SIGTERM);
        int st = 0;
        for (int i = 0; i < 500 && ::waitpid(pid_, &st, WNOHANG) != pid_; ++i)
            std::this_thread::sleep_for(10ms);
        ::kill(-pid_, SIGKILL);
        pid_ = -1;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::uint16_t port_ = 0;
    std::string log_;
};

} // namespace process_harness
