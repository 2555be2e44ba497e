#include <nodus/config/config.hpp>
#include <nodus/config/setting.hpp>

#include "config/detail/declared.hpp"
#include "config/detail/ini_places.hpp"

#include <boost/program_options.hpp>
#include <boost/program_options/environment_iterator.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// The build passes the project version; this fallback only serves standalone builds.
#ifndef NODUS_VERSION
#define NODUS_VERSION "0.1.0"
#endif

namespace nodus {
namespace {

namespace po = boost::program_options;
using detail::file_where;
using detail::find_key;
using detail::find_malformed;
using detail::ini_place;

// One entry per key (nodus's own and the application's declared settings). `set` returns why `text` is not acceptable, or "" once stored;
// `show` is the text form of the current value, so `set(show(c))` round-trips and
// validate() reuses the very rules the parsers apply.
struct entry {
    std::string key;
    std::string env;
    const char* value_name;
    const char* help;
    std::function<std::string(config&, const std::string&)> set;
    std::function<std::string(const config&)> show;
};

std::string env_name(std::string_view key) {
    std::string name = "NODUS_";
    for (char c : key)
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

entry make(const char* key, const char* value_name, const char* help,
           std::function<std::string(config&, const std::string&)> set,
           std::function<std::string(const config&)> show) {
    return {key, env_name(key), value_name, help, std::move(set), std::move(show)};
}

// Field is a generic lambda returning a reference to the member for config& and const config&.
template <class Field>
entry number(const char* key, const char* value_name, const char* help, Field field, long long min,
             const char* bad = nullptr) {
    using T = std::remove_cvref_t<decltype(field(std::declval<config&>()))>;
    // 64-bit settings stop at 2^63 - 1: room for the arithmetic done with them.
    const auto max =
        std::min<unsigned long long>(std::numeric_limits<T>::max(), std::numeric_limits<long long>::max());
    auto set = [field, min, max, bad](config& c, const std::string& text) -> std::string {
        T v{};
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (bad &&
            (ec != std::errc{} || end != text.data() + text.size() || std::cmp_less(v, min) ||
             std::cmp_greater(v, max)))
            return bad;
        if (ec == std::errc::result_out_of_range || (ec == std::errc{} && std::cmp_greater(v, max)))
            return fmt::format("must be at most {}", max);
        // from_chars rejects a sign for unsigned types; say what the range is instead.
        if (std::is_unsigned_v<T> && !text.empty() && text[0] == '-')
            return fmt::format("must be at least {}", min);
        if (ec != std::errc{} || end != text.data() + text.size()) return "not a whole number";
        if (std::cmp_less(v, min)) return fmt::format("must be at least {}", min);
        field(c) = v;
        return {};
    };
    auto show = [field](const config& c) { return fmt::to_string(field(c)); };
    return make(key, value_name, help, set, show);
}

template <class Field>
entry boolean(const char* key, const char* help, Field field) {
    auto set = [field](config& c, const std::string& text) -> std::string {
        std::string t = text;
        std::transform(t.begin(), t.end(), t.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (t == "true" || t == "on" || t == "yes" || t == "1") {
            field(c) = true;
            return {};
        }
        if (t == "false" || t == "off" || t == "no" || t == "0") {
            field(c) = false;
            return {};
        }
        return "must be true or false (or on/off, yes/no, 1/0)";
    };
    auto show = [field](const config& c) { return std::string(field(c) ? "true" : "false"); };
    return make(key, "BOOL", help, set, show);
}

template <class Field>
entry choice(const char* key, const char* value_name, const char* help, Field field,
             std::vector<std::string> allowed) {
    auto set = [field, allowed](config& c, const std::string& text) -> std::string {
        if (std::find(allowed.begin(), allowed.end(), text) == allowed.end())
            return fmt::format("must be one of: {}", fmt::join(allowed, ", "));
        field(c) = text;
        return {};
    };
    auto show = [field](const config& c) { return field(c); };
    return make(key, value_name, help, set, show);
}

enum class text_rule { any, non_empty };

template <class Field>
entry text(const char* key, const char* value_name, const char* help, Field field, text_rule rule) {
    auto set = [field, rule](config& c, const std::string& t) -> std::string {
        if (rule == text_rule::non_empty && t.empty()) return "must not be empty";
        // A CR or LF here would end up inside a response header or split a log line.
        if (std::any_of(t.begin(), t.end(), [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }))
            return "must not contain control characters";
        field(c) = t;
        return {};
    };
    auto show = [field](const config& c) { return field(c); };
    return make(key, value_name, help, set, show);
}

entry workers_setting() {
    auto set = [](config& c, const std::string& t) -> std::string {
        if (t == "auto") {
            c.cluster.workers = workers_auto;
            return {};
        }
        int v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc{} || end != t.data() + t.size() || v < workers_auto || v > max_workers)
            return fmt::format(
                "must be 0 (no master), a number of workers up to {}, or auto (one per "
                "CPU; -1 is the same)",
                max_workers);
        c.cluster.workers = v;
        return {};
    };
    auto show = [](const config& c) {
        return c.cluster.workers == workers_auto ? std::string("auto") : fmt::to_string(c.cluster.workers);
    };
    return make("cluster.workers", "N|auto",
                "worker processes: 0 = one process, no master; auto = one per CPU", set, show);
}

constexpr balance balance_modes[] = {balance::shared, balance::reuseport, balance::round_robin};

entry balance_setting() {
    auto set = [](config& c, const std::string& t) -> std::string {
        for (balance b : balance_modes) {
            if (t == to_string(b)) {
                c.cluster.balance = b;
                return {};
            }
        }
        return "must be one of: shared, reuseport, round_robin";
    };
    auto show = [](const config& c) { return std::string(to_string(c.cluster.balance)); };
    return make("cluster.balance", "MODE", "how connections reach workers", set, show);
}

entry threadpool_setting() {
    auto set = [](config& c, const std::string& t) -> std::string {
        std::uint32_t v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc{} || end != t.data() + t.size() || v < 1 || v > max_threadpool_size)
            return fmt::format("must be a number of threads from 1 to {}", max_threadpool_size);
        c.loop.threadpool_size = v;
        return {};
    };
    auto show = [](const config& c) { return fmt::to_string(c.loop.threadpool_size); };
    return make("loop.threadpool_size", "N", "threads that run nodus::queue_work jobs", set, show);
}

entry admin_port_setting() {
    auto set = [](config& c, const std::string& t) -> std::string {
        if (t == "off") {
            c.admin.port = admin_port_off;
            return {};
        }
        int v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc{} || end != t.data() + t.size() || v < 0 || v > 65535)
            return "must be off or a port (0-65535; 0 = any free port)";
        c.admin.port = v;
        return {};
    };
    auto show = [](const config& c) {
        return c.admin.port == admin_port_off ? std::string("off") : fmt::to_string(c.admin.port);
    };
    return make("admin.port", "PORT|off", "admin listener (metrics, health, status page); off = none", set,
                show);
}

template <class Field>
entry path_setting(const char* key, const char* help, Field field) {
    auto set = [field](config& c, const std::string& t) -> std::string {
        if (t.empty() || t[0] != '/') return "must be a path starting with '/'";
        if (std::any_of(t.begin(), t.end(),
                        [](unsigned char ch) { return ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#'; }))
            return "must not contain spaces, control characters, '?' or '#'";
        field(c) = t;
        return {};
    };
    auto show = [field](const config& c) { return field(c); };
    return make(key, "PATH", help, set, show);
}

#define NODUS_FIELD(member) \
    [](auto& c) -> auto& { return c.member; }

std::vector<entry> make_settings() {
    std::vector<entry> s;
    s.push_back(
        text("server.host", "HOST", "address to listen on", NODUS_FIELD(server.host), text_rule::non_empty));
    s.push_back(number("server.port", "PORT", "TCP port; 0 = any free port", NODUS_FIELD(server.port), 0,
                       "not a valid port (0-65535)"));
    s.push_back(number("server.backlog", "N", "listen() backlog", NODUS_FIELD(server.backlog), 1));

    s.push_back(text("http.server_header", "TEXT", "value of the Server header; empty: none",
                     NODUS_FIELD(http.server_header), text_rule::any));
    s.push_back(number("http.max_header_bytes", "BYTES", "request line + headers; over it: 431",
                       NODUS_FIELD(http.max_header_bytes), 1));
    s.push_back(
        number("http.max_headers", "N", "header lines; over it: 431", NODUS_FIELD(http.max_headers), 1));
    s.push_back(number("http.max_url_bytes", "BYTES", "request target; over it: 414",
                       NODUS_FIELD(http.max_url_bytes), 1));
    s.push_back(number("http.max_body_bytes", "BYTES", "request body; over it: 413; 0 = no limit",
                       NODUS_FIELD(http.max_body_bytes), 0));
    s.push_back(number("http.header_timeout_ms", "MS", "first byte to end of headers; then 408",
                       NODUS_FIELD(http.header_timeout_ms), 1));
    s.push_back(number("http.keep_alive_timeout_ms", "MS", "idle time between requests; then close",
                       NODUS_FIELD(http.keep_alive_timeout_ms), 1));
    s.push_back(number("http.request_timeout_ms", "MS", "end of headers to end of body; then 408",
                       NODUS_FIELD(http.request_timeout_ms), 1));
    s.push_back(number("http.send_timeout_ms", "MS", "no write progress for this long; then close",
                       NODUS_FIELD(http.send_timeout_ms), 1));
    s.push_back(number("http.body_idle_timeout_ms", "MS",
                       "no request body byte for this long while reading it; then 408",
                       NODUS_FIELD(http.body_idle_timeout_ms), 1));
    s.push_back(number("http.min_body_rate", "BYTES/S",
                       "request body slower than this on average after min_rate_grace_ms: 408; 0 = off",
                       NODUS_FIELD(http.min_body_rate), 0));
    s.push_back(
        number("http.min_send_rate", "BYTES/S",
               "client reading a blocked response slower than this after min_rate_grace_ms: close; 0 = off",
               NODUS_FIELD(http.min_send_rate), 0));
    s.push_back(number("http.min_rate_grace_ms", "MS", "time before min_body_rate and min_send_rate apply",
                       NODUS_FIELD(http.min_rate_grace_ms), 0));
    s.push_back(number("http.high_water_mark", "BYTES", "write() returns false past this many queued bytes",
                       NODUS_FIELD(http.high_water_mark), 1));
    s.push_back(number("http.drain_timeout_ms", "MS", "graceful stop: time allowed for in-flight requests",
                       NODUS_FIELD(http.drain_timeout_ms), 1));

    s.push_back(choice("log.level", "LEVEL", "least severe level logged", NODUS_FIELD(log.level),
                       {"trace", "debug", "info", "warn", "error", "critical", "off"}));
    s.push_back(boolean("log.access_log", "one line per request", NODUS_FIELD(log.access_log)));
    s.push_back(text("log.destination", "WHERE", "stderr, stdout, or a file path",
                     NODUS_FIELD(log.destination), text_rule::non_empty));
    s.push_back(choice("log.access_format", "FORMAT",
                       "access line format: default, combined (nginx/Apache) or json",
                       NODUS_FIELD(log.access_format), {"default", "combined", "json"}));
    s.push_back(text("log.access_destination", "WHERE",
                     "where access lines go: stderr, stdout or a file path; empty: the destination",
                     NODUS_FIELD(log.access_destination), text_rule::any));

    s.push_back(workers_setting());
    s.push_back(balance_setting());
    s.push_back(boolean("cluster.fair_accept",
                        "balance = shared: a worker over its share of connections waits before accepting",
                        NODUS_FIELD(cluster.fair_accept)));
    s.push_back(number("cluster.shutdown_timeout_ms", "MS", "graceful stop deadline for workers",
                       NODUS_FIELD(cluster.shutdown_timeout_ms), 1));
    s.push_back(number("cluster.ready_timeout_ms", "MS", "a new worker must be listening within this",
                       NODUS_FIELD(cluster.ready_timeout_ms), 1));
    s.push_back(number("cluster.crash_limit", "N", "crashes within crash_window_s that stop the master",
                       NODUS_FIELD(cluster.crash_limit), 1));
    s.push_back(number("cluster.crash_window_s", "S", "window for crash_limit, in seconds",
                       NODUS_FIELD(cluster.crash_window_s), 1));
    s.push_back(number("cluster.watchdog_ms", "MS",
                       "a worker whose loop is silent this long is killed and replaced; 0 = off",
                       NODUS_FIELD(cluster.watchdog_ms), 0));
    s.push_back(threadpool_setting());
    s.push_back(text("admin.host", "HOST", "address of the admin listener", NODUS_FIELD(admin.host),
                     text_rule::non_empty));
    s.push_back(admin_port_setting());
    s.push_back(path_setting("admin.metrics_path", "Prometheus metrics", NODUS_FIELD(admin.metrics_path)));
    s.push_back(path_setting("admin.health_path", "liveness: 503 while the loop is stuck",
                             NODUS_FIELD(admin.health_path)));
    s.push_back(
        path_setting("admin.ready_path", "readiness: 503 unless serving", NODUS_FIELD(admin.ready_path)));
    s.push_back(path_setting("admin.status_path", "the status page (its data at PATH.json)",
                             NODUS_FIELD(admin.status_path)));
    s.push_back(number("admin.drain_delay_ms", "MS",
                       "SIGTERM: readiness answers 503 this long before the listener closes",
                       NODUS_FIELD(admin.drain_delay_ms), 0));
    s.push_back(number("admin.max_loop_lag_ms", "MS", "liveness fails while the loop is this late",
                       NODUS_FIELD(admin.max_loop_lag_ms), 1));
    s.push_back(number("admin.scrape_timeout_ms", "MS", "cluster: how long a scrape waits for the workers",
                       NODUS_FIELD(admin.scrape_timeout_ms), 1));
    return s;
}

#undef NODUS_FIELD

// The settings table and the ProgramOptions descriptions built from it, once.
// A declared application setting as the schema sees it: its text lives in cfg.app_settings.
entry app_setting(const detail::setting_base& d) {
    const std::string key = d.key();
    auto set = [&d, key](config& c, const std::string& text) -> std::string {
        if (std::string why = d.check(text); !why.empty()) return why;
        c.app_settings.insert_or_assign(key, text);
        return {};
    };
    auto show = [&d, key](const config& c) {
        auto it = c.app_settings.find(key);
        return it == c.app_settings.end() ? d.default_text() : it->second;
    };
    return make(key.c_str(), d.value_name(), d.help().c_str(), set, show);
}

struct schema {
    std::vector<entry> settings = make_settings();
    std::size_t own_count = settings.size(); // nodus's own keys come first, then the application's
    std::map<std::string, const entry*, std::less<>> by_key;
    std::map<std::string, const entry*, std::less<>> by_env;
    po::options_description own_keys{"Settings", 120, 60};
    po::options_description app_keys{"Application settings", 120, 60};
    po::options_description keys; // both: what files, the environment and flags may set
    po::options_description generic{"Options", 120, 60};
    po::options_description hidden;
    po::options_description command_line;

    schema() {
        add_declared();
        const config defaults;
        for (std::size_t i = 0; i < settings.size(); ++i) {
            const auto& s = settings[i];
            by_key[s.key] = &s;
            by_env[s.env] = &s;
            const std::string def = s.show(defaults);
            (i < own_count ? own_keys : app_keys)
                .add_options()(s.key.c_str(),
                               po::value<std::string>()->value_name(s.value_name)->default_value(def, def),
                               fmt::format("{} [env {}]", s.help, s.env).c_str());
        }
        keys.add(own_keys).add(app_keys);
        generic.add_options()("help,h", "show this help and exit")("version", "show the version and exit")(
            "config,c", po::value<std::string>()->value_name("FILE"), "read settings from this INI file");
        // Collects stray arguments so the error can name them.
        hidden.add_options()("positional-argument", po::value<std::vector<std::string>>());
        command_line.add(generic).add(keys).add(hidden);
    }

    // A mistake in a declaration is the program's, found before any value is read.
    void add_declared() {
        for (const auto* d : detail::declared_settings()) {
            const auto is_section = [&](const entry& s) { return s.key.rfind(d->section() + ".", 0) == 0; };
            if (std::any_of(settings.begin(), settings.begin() + static_cast<std::ptrdiff_t>(own_count),
                            is_section))
                throw config_error(
                    fmt::format("application setting {}: [{}] is a nodus section; declare it in "
                                "a section of the application's own",
                                d->key(), d->section()));
            if (std::any_of(settings.begin(), settings.end(),
                            [&](const entry& s) { return s.key == d->key(); }))
                throw config_error(fmt::format("application setting {}: declared twice", d->key()));
            if (d->section().empty() || d->key().size() == d->section().size() + 1 ||
                d->key().find_first_of(" \t=#[]") != std::string::npos)
                throw config_error(
                    fmt::format("application setting '{}': section and key must be non-empty "
                                "names without spaces, '=', '#' or brackets",
                                d->key()));
            const std::string env = env_name(d->key());
            for (const auto& s : settings)
                if (s.env == env)
                    throw config_error(
                        fmt::format("application setting {}: its environment variable {} is "
                                    "already that of {}",
                                    d->key(), env, s.key));
            if (std::string why = d->check(d->default_text()); !why.empty())
                throw config_error(fmt::format("application setting {}: default \"{}\": {}", d->key(),
                                               d->default_text(), why));
            settings.push_back(app_setting(*d));
        }
    }

    const entry* find(std::string_view key) const {
        auto it = by_key.find(key);
        return it == by_key.end() ? nullptr : it->second;
    }

    std::string sections() const {
        std::vector<std::string> names;
        for (const auto& s : settings) {
            // Built by appending: operator+ on the substring trips a false -Wrestrict at -O3.
            std::string sec = "[";
            sec.append(s.key, 0, s.key.find('.'));
            sec += ']';
            if (std::find(names.begin(), names.end(), sec) == names.end()) names.push_back(sec);
        }
        return fmt::format("{}", fmt::join(names, ", "));
    }

    std::string keys_of(std::string_view section) const {
        std::vector<std::string> names;
        for (const auto& s : settings)
            if (s.key.compare(0, s.key.find('.'), section) == 0)
                names.push_back(s.key.substr(s.key.find('.') + 1));
        return fmt::format("{}", fmt::join(names, ", "));
    }
};

// Rebuilt when a setting was declared or destroyed since: declarations normally all happen
// before main(), but a test or a plug-in may declare one later.
const schema& the_schema() {
    static std::unique_ptr<const schema> s;
    static std::uint64_t generation = 0;
    if (!s || generation != detail::declared_generation()) {
        s = std::make_unique<const schema>();
        generation = detail::declared_generation();
    }
    return *s;
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw config_error(fmt::format("cannot open config file '{}': {}", path, std::strerror(EISDIR)));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error(fmt::format("cannot open config file '{}': {}", path, std::strerror(errno)));
    // One byte past the limit tells a file that is too large (or endless: /dev/zero) from one
    // that fits, without reading more.
    std::string out(max_config_file_bytes + 1, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    if (in.bad())
        throw config_error(fmt::format("cannot read config file '{}': {}", path, std::strerror(errno)));
    out.resize(static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_config_file_bytes)
        throw config_error(fmt::format("config file '{}' is larger than the limit of {} bytes (1 MiB)", path,
                                       max_config_file_bytes));
    return out;
}

void apply_file(config& cfg, const std::string& path) {
    const schema& sc = the_schema();
    const std::string content = read_file(path);
    std::istringstream in(content);
    po::parsed_options parsed(&sc.keys);
    try {
        parsed = po::parse_config_file(in, sc.keys, false);
    } catch (const po::unknown_option& e) {
        const std::string key = e.get_option_name();
        const ini_place p = find_key(content, key);
        const std::string where = file_where(path, p, key);
        if (p.line && p.section.empty())
            throw config_error(
                fmt::format("{}: key outside any section (sections: {})", where, sc.sections()));
        const std::string section = p.line ? p.section : key.substr(0, key.rfind('.'));
        if (sc.keys_of(section).empty())
            throw config_error(
                fmt::format("{}: unknown section [{}] (sections: {})", where, section, sc.sections()));
        throw config_error(
            fmt::format("{}: unknown key (keys in [{}]: {})", where, section, sc.keys_of(section)));
    } catch (const po::invalid_config_file_syntax& e) {
        const ini_place p = find_malformed(content, e.tokens());
        const std::string at = p.line ? fmt::format("{}:{}", path, p.line) : path;
        const std::string line = e.tokens();
        const char* hint = line.front() == ';' ? " (comments start with '#')" : "";
        throw config_error(
            fmt::format("{}: \"{}\": expected \"key = value\" or \"[section]\"{}", at, line, hint));
    } catch (const po::error& e) {
        throw config_error(fmt::format("{}: {}", path, e.what()));
    }

    std::map<std::string, int> seen;
    for (const auto& opt : parsed.options) {
        const entry* s = sc.find(opt.string_key);
        const std::string value = opt.value.empty() ? std::string{} : opt.value.front();
        const int n = ++seen[opt.string_key];
        const ini_place p = find_key(content, opt.string_key, n);
        const std::string where = file_where(path, p, opt.string_key);
        if (n > 1)
            throw config_error(fmt::format("{} = \"{}\": set twice (first on line {})", where, value,
                                           find_key(content, opt.string_key).line));
        if (const std::string why = s->set(cfg, value); !why.empty())
            throw config_error(fmt::format("{} = \"{}\": {}", where, value, why));
    }
    cfg.file = path;
}

// Known NODUS_* names map to their key; unknown NODUS_* names map to themselves so that
// apply_environment can report them with their value. Other variables are not ours.
std::string map_env_name(const std::string& name) {
    if (name.rfind("NODUS_", 0) != 0) return {};
    const auto& by_env = the_schema().by_env;
    auto it = by_env.find(name);
    return it == by_env.end() ? name : it->second->key;
}

po::parsed_options parse_env(const char* const* envp) {
    const schema& sc = the_schema();
    if (!envp) return po::parse_environment(sc.keys, map_env_name);
    // po::parse_environment reads only the process's `environ`; callers (tests, embedders)
    // may pass their own block, which gets the same mapping here.
    po::parsed_options parsed(&sc.keys);
    for (boost::environment_iterator it(const_cast<char**>(envp)), end; it != end; ++it) {
        std::string key = map_env_name(it->first);
        if (key.empty()) continue;
        po::option opt;
        opt.string_key = std::move(key);
        opt.value.push_back(it->second);
        parsed.options.push_back(std::move(opt));
    }
    return parsed;
}

// An unknown NODUS_* name is not ours to refuse: platforms inject such names (Kubernetes sets
// NODUS_SERVICE_HOST, NODUS_PORT_80_TCP_ADDR, ... for a Service called "nodus"). Only its
// name is kept, for one warning: its value may be anything, a secret included.
void apply_environment(config& cfg, const char* const* envp, std::vector<std::string>& unknown) {
    const schema& sc = the_schema();
    for (const auto& opt : parse_env(envp).options) {
        const std::string value = opt.value.empty() ? std::string{} : opt.value.front();
        const entry* s = sc.find(opt.string_key);
        if (!s) {
            unknown.push_back(opt.string_key);
            continue;
        }
        if (const std::string why = s->set(cfg, value); !why.empty())
            throw config_error(fmt::format("{}={}: {}", s->env, value, why));
    }
    std::sort(unknown.begin(), unknown.end());
}

po::parsed_options parse_flags(int argc, const char* const* argv) {
    const schema& sc = the_schema();
    std::vector<std::string> args;
    for (int i = 1; i < argc && argv; ++i) args.emplace_back(argv[i] ? argv[i] : "");
    po::positional_options_description positional;
    positional.add("positional-argument", -1);
    // Guessing would let "--server.po" mean --server.port; a typo should be an error.
    const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
    try {
        return po::command_line_parser(args)
            .options(sc.command_line)
            .positional(positional)
            .style(style)
            .run();
    } catch (const po::unknown_option& e) {
        throw config_error(fmt::format("{}: unknown option (see --help)", e.get_option_name()));
    } catch (const po::invalid_command_line_syntax& e) {
        if (e.kind() == po::invalid_syntax::missing_parameter)
            throw config_error(
                fmt::format("{}: needs a value, e.g. {}=VALUE", e.get_option_name(), e.get_option_name()));
        throw config_error(e.what());
    } catch (const po::error& e) {
        throw config_error(e.what());
    }
}

std::string program_name(int argc, const char* const* argv) {
    if (argc < 1 || !argv || !argv[0] || !*argv[0]) return "nodus";
    return std::filesystem::path(argv[0]).filename().string();
}

} // namespace

config load_config_file(const std::string& path) {
    config cfg;
    apply_file(cfg, path);
    return cfg;
}

config_result parse_config(int argc, const char* const* argv, const char* const* envp,
                           std::string default_file) {
    const schema& sc = the_schema();
    const po::parsed_options flags = parse_flags(argc, argv);

    config_result result;
    std::string file;
    bool have_file = false;
    std::set<std::string> seen;
    for (const auto& opt : flags.options) {
        if (opt.string_key == "positional-argument")
            throw config_error(fmt::format("unexpected argument '{}' (settings are --section.key=VALUE)",
                                           opt.value.empty() ? std::string{} : opt.value.front()));
        if (!seen.insert(opt.string_key).second)
            throw config_error(fmt::format("--{}: given more than once", opt.string_key));
        if (opt.string_key == "help") {
            result.action = config_action::help;
            result.text = config_help(program_name(argc, argv).c_str());
        } else if (opt.string_key == "version" && result.action == config_action::run) {
            result.action = config_action::version;
            result.text = fmt::format("{} (nodus {})\n", program_name(argc, argv), NODUS_VERSION);
        } else if (opt.string_key == "config") {
            file = opt.value.empty() ? std::string{} : opt.value.front();
            have_file = true;
        }
    }
    if (result.action != config_action::run) return result;

    if (have_file && file.empty()) throw config_error("--config: needs a file name");
    if (!have_file && !default_file.empty()) {
        std::error_code ec;
        if (std::filesystem::exists(default_file, ec)) file = std::move(default_file);
    }
    if (!file.empty()) apply_file(result.cfg, file);

    apply_environment(result.cfg, envp, result.unknown_environment);

    for (const auto& opt : flags.options) {
        const entry* s = sc.find(opt.string_key);
        if (!s) continue;
        const std::string value = opt.value.empty() ? std::string{} : opt.value.front();
        if (const std::string why = s->set(result.cfg, value); !why.empty())
            throw config_error(fmt::format("--{}={}: {}", s->key, value, why));
    }
    return result;
}

std::string config_help(const char* program) {
    const schema& sc = the_schema();
    std::ostringstream out;
    out << "Usage: " << (program && *program ? program : "nodus")
        << " [--config FILE] [--section.key=VALUE ...]\n\n"
           "Each setting comes from the INI file (`key = value` under `[section]`), then the\n"
           "environment (NODUS_SECTION_KEY=VALUE), then flags (--section.key=VALUE or\n"
           "--section.key VALUE); a later source overrides an earlier one.\n\n"
        << sc.generic << '\n'
        << sc.own_keys;
    if (sc.settings.size() > sc.own_count) out << '\n' << sc.app_keys;
    return out.str();
}

const char* to_string(balance b) noexcept {
    switch (b) {
    case balance::shared: return "shared";
    case balance::reuseport: return "reuseport";
    case balance::round_robin: return "round_robin";
    }
    return "invalid";
}

void validate(const config& cfg) {
    for (const auto& s : the_schema().settings) {
        config scratch;
        const std::string value = s.show(cfg);
        if (const std::string why = s.set(scratch, value); !why.empty())
            throw config_error(fmt::format("{} = \"{}\": {}", s.key, value, why));
    }
}

} // namespace nodus
