#include <nodus/log/log.hpp>

#include "log/detail/access_log.hpp"
#include "log/detail/access_writer.hpp"
#include "log/detail/fd_sink.hpp"

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
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
// Access lines waiting for their writer at most; past it they are dropped (and counted).
constexpr std::size_t access_bound = 512 * 1024;
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
    std::shared_ptr<detail::destination> main_to; // null for a terminal
    std::unique_ptr<detail::access_writer> access;
    detail::access_format format = detail::access_format::plain;
    std::string access_prefix; // "] [access] [worker 2 pid 12] "
    bool access_on = false;
    std::uint64_t dropped_at_shutdown = 0;
    std::uint64_t access_dropped_before = 0; // by the writers of earlier inits
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

// Colours for a terminal; anything else gets plain lines through write(2) (fd_sink) to a
// destination the access log shares.
struct sink_and_destination {
    spdlog::sink_ptr sink;
    std::shared_ptr<detail::destination> to; // also set for a terminal: the access log's way
    bool terminal = false;
};

std::shared_ptr<detail::destination> open_destination(const std::string& where) {
    if (where == "stderr") return std::make_shared<detail::destination>(2);
    if (where == "stdout") return std::make_shared<detail::destination>(1);
    return std::make_shared<detail::destination>(where);
}

sink_and_destination make_sink(const std::string& where) {
    auto to = open_destination(where);
    if (where == "stderr" && ::isatty(2))
        return {std::make_shared<spdlog::sinks::stderr_color_sink_mt>(), std::move(to), true};
    if (where == "stdout" && ::isatty(1))
        return {std::make_shared<spdlog::sinks::stdout_color_sink_mt>(), std::move(to), true};
    auto sink = std::make_shared<detail::fd_sink>(to);
    return {std::move(sink), std::move(to), false};
}

std::string access_prefix(std::string_view tag) {
    return fmt::format("] [access] [{}pid {}] ", tag.empty() ? std::string() : std::string(tag) + " ",
                       ::getpid());
}

void report_access_drops(std::uint64_t n) {
    get().warn("access log: {} lines dropped so far (the destination is full, unwritable or too slow)", n);
}

} // namespace

void init(const log_config& cfg, std::string_view tag) {
    detail::access_format format{};
    if (!detail::parse_access_format(cfg.access_format, format))
        throw config_error(fmt::format("[log] access_format = \"{}\": must be default, combined or json",
                                       cfg.access_format));
    // The new destinations first: when one cannot be opened, the loggers in place stay.
    auto made = make_sink(cfg.destination);
    auto access_to = cfg.access_destination.empty() || cfg.access_destination == cfg.destination
        ? made.to
        : open_destination(cfg.access_destination);
    shutdown();
    state& s = st();
    made.sink->set_formatter(make_formatter(tag));
    auto pool = make_pool();

    // overrun_oldest: a full queue drops its oldest line (counted) instead of blocking the loop.
    auto main = std::make_shared<spdlog::async_logger>("nodus", made.sink, pool,
                                                       spdlog::async_overflow_policy::overrun_oldest);
    main->set_level(spdlog::level::from_str(cfg.level));
    // Flushing happens on the logging thread, so a line per write costs the loop nothing and
    // `tail -f` on a file destination sees lines as they come.
    main->flush_on(spdlog::level::trace);

    s.pool = std::move(pool);
    s.main = std::move(main);
    s.main_to = made.terminal ? nullptr : made.to;
    if (cfg.access_log)
        s.access = std::make_unique<detail::access_writer>(access_to, access_bound, report_access_drops);
    s.format = format;
    s.access_prefix = access_prefix(tag);
    s.access_on = cfg.access_log;
    s.dropped_at_shutdown = 0;
    s.owner = ::getpid();
}

void shutdown() {
    state& s = st();
    if (!s.pool) return;
    if (s.owner != ::getpid()) {
        // Inherited through fork() without a shutdown first: the logging threads do not exist
        // here and their locks may be held, so joining would hang. Leave them untouched.
        new std::shared_ptr<spdlog::details::thread_pool>(std::move(s.pool));
        new std::shared_ptr<spdlog::logger>(std::move(s.main));
        (void)s.access.release();
        s.main_to.reset();
        s.access_on = false;
        return;
    }
    s.access_on = false;
    if (s.access) s.access->stop_reporting(); // it reports through s.main, dropped next
    s.main->flush();
    s.dropped_at_shutdown = s.pool->overrun_counter();
    s.main.reset();
    // Queued messages hold the loggers until the pool has written them.
    release_pool(std::move(s.pool), s.shutdown_wait);
    if (s.access) {
        s.access->close(s.shutdown_wait);
        s.access_dropped_before += s.access->dropped();
        s.access.reset();
    }
    s.main_to.reset();
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
    if (!st().access_on) return;
    detail::access_entry e;
    e.remote = remote;
    e.method = method;
    e.target = target;
    e.status = status;
    e.bytes = bytes;
    e.duration_us = duration_ms > 0 ? static_cast<std::uint64_t>(duration_ms * 1000 + 0.5) : 0;
    detail::access(e);
}

std::uint64_t access_lines_dropped() noexcept {
    const state& s = st();
    return s.access_dropped_before + (s.access ? s.access->dropped() : 0);
}

void reopen() {
    state& s = st();
    std::string why;
    auto* access_to = s.access ? s.access->to().get() : nullptr;
    for (auto* to : {s.main_to.get(), access_to == s.main_to.get() ? nullptr : access_to}) {
        if (!to || !to->is_file()) continue;
        if (!to->reopen(why))
            get().error("log: cannot reopen \"{}\" ({}); writing on to the file open until now", to->path(),
                        why);
    }
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

namespace detail {

void access(const access_entry& e) noexcept {
    state& s = st();
    if (!s.access) return;
    // Formatted in place, in the writer's buffer: no copy, no allocation.
    if (char* at = s.access->reserve(access_line_bound(s.access_prefix, e)))
        s.access->commit(format_access(at, s.format, s.access_prefix, e));
}

bool access_shows_headers() noexcept { return st().format != access_format::plain; }

} // namespace detail

} // namespace nodus::log
