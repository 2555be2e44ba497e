#pragma once
/** @file
    `nodus::child_process`: run programs and forked functions beside the loop (Node's
    `child_process.spawn` and `child_process.fork`). Output, messages and exit status
    arrive as callbacks on the loop.
*/
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nodus/ipc/channel.hpp>

namespace nodus::child_process {

/** How a child ended. */
struct exit_status {
    int code = -1; ///< exit code, or -1 when a signal ended it
    int signal = 0; ///< the signal that ended it, 0 when it exited
    bool ok() const noexcept { return code == 0; }
};

struct spawn_options {
    std::vector<std::string> env; ///< extra "NAME=value" entries
    bool inherit_env = true; ///< start from the parent's environment
    std::string cwd; ///< working directory; empty: the parent's
};

namespace detail {
struct child_impl;
}

/** A spawned program.

    stdin is `/dev/null`; stdout and stderr are pipes read by the loop. `on_exit` runs
    once, after the process was reaped and both pipes reached end of file, so every
    output callback comes before it.

    @par Lifetime
    The child keeps the loop alive until it has exited and been reaped, whether or not
    a handle still exists (Node's `ChildProcess` does the same).
*/
class child {
public:
    child() noexcept = default;
    int pid() const noexcept;
    /** True until `on_exit` has run. */
    bool running() const noexcept;
    /** Send `signo`; false when the child already ended. */
    bool kill(int signo = SIGTERM) noexcept;
    /** Output chunks, as read (not split into lines). */
    void on_stdout(std::function<void(std::string_view)> fn);
    void on_stderr(std::function<void(std::string_view)> fn);
    /** Exit status; runs at once (on the loop) when the child already ended. */
    void on_exit(std::function<void(exit_status)> fn);

private:
    friend child spawn(const std::string&, const std::vector<std::string>&, const spawn_options&);
    explicit child(std::shared_ptr<detail::child_impl> impl) noexcept : impl_(std::move(impl)) {}
    std::shared_ptr<detail::child_impl> impl_;
};

/** Start `program` (looked up in `PATH` when it has no '/') with `args` (argv[1]...).
    @throws std::system_error naming the program when it cannot be started. */
child spawn(const std::string& program, const std::vector<std::string>& args = {},
            const spawn_options& opts = {});

/** The forked child's end of its channel: blocking, no loop. */
class parent_channel {
public:
    explicit parent_channel(int fd) noexcept : fd_(fd) {}
    /** Send a message to the parent (at most 64 KiB). False when the parent is gone. */
    bool send(std::string_view msg);
    /** Wait for the next message from the parent; nullopt when the parent closed the
        channel (or exited). */
    std::optional<std::string> receive();

private:
    int fd_;
};

/** A function running in a forked child, with a channel to it. */
class forked {
public:
    forked() noexcept = default;
    int pid() const noexcept;
    bool running() const noexcept;
    /** Send `signo`; false when the child already ended. */
    bool kill(int signo = SIGTERM) noexcept;
    /** Send a message to the child (it reads it with `parent_channel::receive`). */
    bool send(std::string_view msg);
    /** Messages the child sent. */
    void on_message(std::function<void(std::string_view)> fn);
    /** Close the channel: the child's `receive()` returns nullopt. */
    void disconnect() noexcept;
    /** Exit status; runs once, after the child was reaped. */
    void on_exit(std::function<void(exit_status)> fn);

private:
    friend forked fork(std::function<int(parent_channel&)> fn);
    explicit forked(std::shared_ptr<detail::child_impl> impl) noexcept : impl_(std::move(impl)) {}
    std::shared_ptr<detail::child_impl> impl_;
};

/** Fork the process and run `fn` in the child; its return value is the child's exit
    code (an escaping exception: 1).

    The child keeps only stdin, stdout, stderr and its channel: every other descriptor
    (listeners, connections, the loop's own) is closed, so the child must not use the
    loop, timers, servers or `nodus::log` — it is a plain blocking function that talks
    to the parent through `parent_channel`. It ends with `_exit`, so no destructor of
    the parent's objects runs twice.
    @throws std::system_error when the fork fails. */
forked fork(std::function<int(parent_channel&)> fn);

} // namespace nodus::child_process
