#include <nodus/process/child_process.hpp>

#include "ipc/detail/control.hpp"
#include "net/detail/unique_fd.hpp"
#include "process/detail/reaper.hpp"

#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace nodus::child_process {

namespace asio = boost::asio;

namespace detail {

struct child_impl : std::enable_shared_from_this<child_impl> {
    pid_t pid = 0;
    std::unique_ptr<asio::posix::stream_descriptor> out, err;
    std::array<char, 16384> out_buf{}, err_buf{};
    std::function<void(std::string_view)> on_out, on_err;
    std::function<void(exit_status)> on_exit_fn;
    ipc::channel chan;
    bool reaped = false;
    bool finished = false; // on_exit delivered (or ready to be)
    exit_status status;

    void read(std::unique_ptr<asio::posix::stream_descriptor>& sd, std::array<char, 16384>& buf,
              bool is_out) {
        if (!sd) return;
        sd->async_read_some(asio::buffer(buf),
                            [self = shared_from_this(), &sd, &buf, is_out](
                                const boost::system::error_code& ec, std::size_t n) {
                                if (n > 0) {
                                    auto& fn = is_out ? self->on_out : self->on_err;
                                    if (fn) fn(std::string_view{buf.data(), n});
                                }
                                if (ec) {
                                    boost::system::error_code ignored;
                                    if (sd) sd->close(ignored);
                                    sd.reset();
                                    self->maybe_finish();
                                    return;
                                }
                                self->read(sd, buf, is_out);
                            });
    }

    void watch() {
        nodus::detail::watch_child(pid, [self = shared_from_this()](int st) {
            self->reaped = true;
            if (WIFEXITED(st)) {
                self->status.code = WEXITSTATUS(st);
            } else if (WIFSIGNALED(st)) {
                self->status.code = -1;
                self->status.signal = WTERMSIG(st);
            }
            self->maybe_finish();
        });
    }

    void maybe_finish() {
        if (finished || !reaped || out || err) return;
        finished = true;
        chan.close();
        if (on_exit_fn) {
            auto fn = std::move(on_exit_fn);
            on_exit_fn = nullptr;
            fn(status);
        }
        on_out = nullptr;
        on_err = nullptr;
    }
};

} // namespace detail

int child::pid() const noexcept { return impl_ ? impl_->pid : 0; }
bool child::running() const noexcept { return impl_ && !impl_->finished; }
bool child::kill(int signo) noexcept { return impl_ && !impl_->reaped && ::kill(impl_->pid, signo) == 0; }
void child::on_stdout(std::function<void(std::string_view)> fn) {
    if (impl_) impl_->on_out = std::move(fn);
}
void child::on_stderr(std::function<void(std::string_view)> fn) {
    if (impl_) impl_->on_err = std::move(fn);
}

namespace {
void set_exit_callback(const std::shared_ptr<detail::child_impl>& impl, std::function<void(exit_status)> fn) {
    if (!impl) return;
    if (impl->finished) {
        nodus::next_tick([fn = std::move(fn), s = impl->status] { fn(s); });
        return;
    }
    impl->on_exit_fn = std::move(fn);
}
} // namespace

void child::on_exit(std::function<void(exit_status)> fn) { set_exit_callback(impl_, std::move(fn)); }

namespace {

struct pipe_ends {
    nodus::detail::unique_fd read, write;
};

// @throws std::system_error naming `program`.
pipe_ends output_pipe(const std::string& program) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::system_category(), "cannot spawn " + program);
    return {nodus::detail::unique_fd{p[0]}, nodus::detail::unique_fd{p[1]}};
}

} // namespace

child spawn(const std::string& program, const std::vector<std::string>& args, const spawn_options& opts) {
    auto out = output_pipe(program);
    auto err = output_pipe(program);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out.write.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, err.write.get(), 2);
    // Listeners and connections are not close-on-exec in Asio: keep them out of the child.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    if (opts.inherit_env)
        for (char** e = environ; e && *e; ++e) envp.push_back(*e);
    for (auto& e : opts.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, program.c_str(), &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    out.write.reset();
    err.write.reset();
    if (rc != 0) throw std::system_error(rc, std::system_category(), "cannot spawn " + program);
    auto impl = std::make_shared<detail::child_impl>();
    impl->pid = pid;
    impl->out = std::make_unique<asio::posix::stream_descriptor>(nodus::io_context(), out.read.release());
    impl->err = std::make_unique<asio::posix::stream_descriptor>(nodus::io_context(), err.read.release());
    impl->read(impl->out, impl->out_buf, true);
    impl->read(impl->err, impl->err_buf, false);
    impl->watch();
    return child{impl};
}

// ----------------------------------------------------------------------------- fork

bool parent_channel::send(std::string_view msg) {
    if (msg.size() > ipc::max_message_bytes) {
        std::fprintf(stderr, "child_process: refused to send a %zu-byte message\n", msg.size());
        return false;
    }
    std::string frame;
    auto len = static_cast<std::uint32_t>(msg.size());
    for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    frame.push_back(static_cast<char>(ipc::detail::ns::app));
    frame.append(msg);
    for (;;) {
        ssize_t n = ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
        if (n >= 0) return true;
        if (errno != EINTR) return false;
    }
}

std::optional<std::string> parent_channel::receive() {
    std::string buf(ipc::max_message_bytes + 6, '\0');
    for (;;) {
        ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_TRUNC);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        auto size = static_cast<std::size_t>(n);
        auto* p = reinterpret_cast<const unsigned char*>(buf.data());
        if (size > buf.size() || size < 5) {
            std::fprintf(stderr, "child_process: dropped a malformed message\n");
            continue;
        }
        std::uint32_t len = p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24;
        if (len != size - 5 || p[4] != static_cast<unsigned char>(ipc::detail::ns::app)) {
            std::fprintf(stderr, "child_process: dropped a malformed message\n");
            continue;
        }
        return buf.substr(5, len);
    }
}

int forked::pid() const noexcept { return impl_ ? impl_->pid : 0; }
bool forked::running() const noexcept { return impl_ && !impl_->finished; }
bool forked::kill(int signo) noexcept { return impl_ && !impl_->reaped && ::kill(impl_->pid, signo) == 0; }
bool forked::send(std::string_view msg) { return impl_ && impl_->chan.send(msg); }
void forked::on_message(std::function<void(std::string_view)> fn) {
    if (impl_) impl_->chan.on_message(std::move(fn));
}
void forked::disconnect() noexcept {
    if (impl_) impl_->chan.close();
}
void forked::on_exit(std::function<void(exit_status)> fn) { set_exit_callback(impl_, std::move(fn)); }

forked fork(std::function<int(parent_channel&)> fn) {
    auto [mine_fd, theirs_fd] = ipc::make_socket_pair();
    nodus::detail::unique_fd mine{mine_fd}, theirs{theirs_fd};
    std::fflush(nullptr);
    // A raw fork, without notify_fork: the child never touches the loop, it closes
    // every inherited descriptor and leaves with _exit.
    pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::system_category(), "cannot fork");
    if (pid == 0) {
        int code = 1;
        int fd = theirs.get() == 3 ? 3 : ::dup2(theirs.get(), 3);
        if (fd == 3) {
            ::close_range(4, ~0U, 0);
            ::fcntl(3, F_SETFD, 0);
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD, SIGPIPE}) ::signal(s, SIG_DFL);
            try {
                parent_channel ch{3};
                code = fn(ch);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "child_process: forked function threw: %s\n", e.what());
                code = 1;
            } catch (...) {
                code = 1;
            }
        }
        std::fflush(nullptr);
        ::_exit(code);
    }
    theirs.reset();
    auto impl = std::make_shared<detail::child_impl>();
    impl->pid = pid;
    impl->chan = ipc::channel(mine.release());
    impl->watch();
    return forked{impl};
}

} // namespace nodus::child_process
