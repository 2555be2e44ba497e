#include <nodus/log/log.hpp>

#include "log/detail/fd_sink.hpp"

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#include <string>
#include <system_error>

namespace nodus::log {
namespace {

constexpr std::size_t queue_entries = 8192;
constexpr std::string_view access_logger_name = "access";

// "%*": the level, or "access" for access-log lines, so both loggers can share one sink
// (one file handle, one lock, whole lines) and still be told apart.
class kind_flag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const auto name = msg.logger_name == access_logger_name
            ? spdlog::string_view_t(access_logger_name.data(), access_logger_name.size())
            : spdlog::level::to_string_view(msg.level);
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
        return std::make_unique<kind_flag>();
    }
};

std::unique_ptr<spdlog::formatter> make_formatter(std::string_view tag) {
    std::string escaped;
    for (char c : tag) {
        if (c == '%') escaped += '%';
        escaped += c;
    }
    const std::string where = escaped.empty() ? "pid %P" : escaped + " pid %P";
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<kind_flag>('*').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%*%$] [" + where + "] %v");
    return f;
}

struct state {
    std::shared_ptr<spdlog::details::thread_pool> pool;
    std::shared_ptr<spdlog::logger> main;
    std::shared_ptr<spdlog::logger> access;
    bool access_on = false;
    std::uint64_t dropped_at_shutdown = 0;
    pid_t owner = 0;
    std::chrono::milliseconds shutdown_wait{10000};

    // At the process's exit: the same bounded wait as an explicit shutdown().
    ~state();
};

state& st() {
    static state s;
    return s;
}

spdlog::logger& fallback() {
    static spdlog::logger logger = [] {
        spdlog::logger l("nodus", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
        l.set_formatter(make_formatter({}));
        l.set_level(spdlog::level::info);
        return l;
    }();
    return logger;
}

// A thread of the logging side must never take a signal meant for the loop (SIGTERM,
// SIGCHLD...): it inherits the mask in force when it is created, so block everything around that.
template <class Make>
auto with_signals_blocked(Make make) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
        auto made = make();
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return made;
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
}

std::shared_ptr<spdlog::details::thread_pool> make_pool() {
    return with_signals_blocked(
        [] { return std::make_shared<spdlog::details::thread_pool>(queue_entries, 1); });
}

// ~thread_pool writes everything queued, then joins its thread: unbounded when the
// destination does not drain (a full pipe nobody reads, a stalled disk). It runs on a
// thread of its own here, waited for at most `wait`; past that the thread is left to
// finish, or to end with the process, and what was still queued is lost.
void release_pool(std::shared_ptr<spdlog::details::thread_pool> pool, std::chrono::milliseconds wait) {
    struct rendezvous {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
    };
    auto r = std::make_shared<rendezvous>();
    std::thread t;
    try {
        t = with_signals_blocked([&] {
            return std::thread([r, pool = std::move(pool)]() mutable {
                pool.reset();
                std::lock_guard lock{r->mu};
                r->done = true;
                r->cv.notify_all();
            });
        });
    } catch (const std::system_error&) {
        pool.reset(); // no thread to spare: wait as before
        return;
    }
    std::unique_lock lock{r->mu};
    if (r->cv.wait_for(lock, wait, [&] { return r->done; })) {
        lock.unlock();
        t.join();
    } else {
        t.detach();
    }
}

spdlog::sink_ptr make_sink(const std::string& destination) {
    // Colours for a terminal; anything else gets plain lines through write(2) (fd_sink).
    if (destination == "stderr")
        return ::isatty(2) ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_color_sink_mt>())
                           : std::make_shared<detail::fd_sink>(2);
    if (destination == "stdout")
        return ::isatty(1) ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stdout_color_sink_mt>())
                           : std::make_shared<detail::fd_sink>(1);
    try {
        return std::make_shared<spdlog::sinks::basic_file_sink_mt>(destination);
    } catch (const spdlog::spdlog_ex& e) {
        throw config_error(fmt::format("[log] destination = \"{}\": {}", destination, e.what()));
    }
}

// Request targets and methods come from the client: escape anything that could forge a
// second log line or break the quoting.
void append_escaped(spdlog::memory_buf_t& out, std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
        else out.push_back(static_cast<char>(c));
    }
}

} // namespace

void init(const log_config& cfg, std::string_view tag) {
    // The new destination first: when it cannot be opened, the loggers in place stay.
    auto sink = make_sink(cfg.destination);
    shutdown();
    state& s = st();
    sink->set_formatter(make_formatter(tag));
    auto pool = make_pool();

    // overrun_oldest: a full queue drops its oldest line (counted) instead of blocking the loop.
    auto main = std::make_shared<spdlog::async_logger>("nodus", sink, pool,
                                                       spdlog::async_overflow_policy::overrun_oldest);
    main->set_level(spdlog::level::from_str(cfg.level));
    // Flushing happens on the logging thread, so a line per write costs the loop nothing and
    // `tail -f` on a file destination sees lines as they come.
    main->flush_on(spdlog::level::trace);

    auto access = std::make_shared<spdlog::async_logger>(std::string(access_logger_name), sink, pool,
                                                         spdlog::async_overflow_policy::overrun_oldest);
    access->set_level(spdlog::level::info);
    access->flush_on(spdlog::level::trace);

    s.pool = std::move(pool);
    s.main = std::move(main);
    s.access = std::move(access);
    s.access_on = cfg.access_log;
    s.dropped_at_shutdown = 0;
    s.owner = ::getpid();
}

void shutdown() {
    state& s = st();
    if (!s.pool) return;
    if (s.owner != ::getpid()) {
        // Inherited through fork() without a shutdown first: the logging thread does not exist
        // here and its queue lock may be held, so joining would hang. Leave it untouched.
        new std::shared_ptr<spdlog::details::thread_pool>(std::move(s.pool));
        new std::shared_ptr<spdlog::logger>(std::move(s.main));
        new std::shared_ptr<spdlog::logger>(std::move(s.access));
        s.access_on = false;
        return;
    }
    s.main->flush();
    s.access->flush();
    s.dropped_at_shutdown = s.pool->overrun_counter();
    s.main.reset();
    s.access.reset();
    s.access_on = false;
    // Queued messages hold the loggers until the pool has written them.
    release_pool(std::move(s.pool), s.shutdown_wait);
}

void set_shutdown_wait(std::chrono::milliseconds wait) noexcept { st().shutdown_wait = wait; }

namespace {
state::~state() { shutdown(); }
} // namespace

spdlog::logger& get() {
    state& s = st();
    return s.main ? *s.main : fallback();
}

bool access_enabled() noexcept { return st().access_on; }

void access(std::string_view remote, std::string_view method, std::string_view target, int status,
            std::uint64_t bytes, double duration_ms) {
    state& s = st();
    if (!s.access_on || !s.access) return;
    spdlog::memory_buf_t line;
    append_escaped(line, remote);
    line.append(std::string_view(" \""));
    append_escaped(line, method);
    line.push_back(' ');
    append_escaped(line, target);
    fmt::format_to(std::back_inserter(line), "\" {} {} {:.3f}ms", status, bytes, duration_ms);
    s.access->info(spdlog::string_view_t(line.data(), line.size()));
}

std::uint64_t dropped() noexcept {
    const state& s = st();
    if (!s.pool) return s.dropped_at_shutdown;
    try {
        return s.pool->overrun_counter();
    } catch (...) {
        return s.dropped_at_shutdown;
    }
}

} // namespace nodus::log
