// nodus's own configuration keys: their names, help, rules and defaults, in --help order.
#include "config/detail/entry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace nodus::detail {

std::string env_name(std::string_view key) {
    std::string name = "NODUS_";
    for (char c : key)
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

entry make_entry(const char* key, const char* value_name, const char* help,
                 std::function<std::string(config&, const std::string&)> set,
                 std::function<std::string(const config&)> show) {
    return {key, env_name(key), value_name, help, std::move(set), std::move(show)};
}

namespace {

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
    return make_entry(key, value_name, help, set, show);
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
    return make_entry(key, "BOOL", help, set, show);
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
    return make_entry(key, value_name, help, set, show);
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
    return make_entry(key, value_name, help, set, show);
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
    return make_entry("cluster.workers", "N|auto",
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
    return make_entry("cluster.balance", "MODE", "how connections reach workers", set, show);
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
    return make_entry("loop.threadpool_size", "N", "threads that run nodus::queue_work jobs", set, show);
}

// A port that may also be "off" (`off` is the value stored for it): the admin and TLS listeners.
template <class Field>
entry optional_port_setting(const char* key, const char* help, int off, Field field) {
    auto set = [field, off](config& c, const std::string& t) -> std::string {
        if (t == "off") {
            field(c) = off;
            return {};
        }
        int v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc{} || end != t.data() + t.size() || v < 0 || v > 65535)
            return "must be off or a port (0-65535; 0 = any free port)";
        field(c) = v;
        return {};
    };
    auto show = [field, off](const config& c) {
        return field(c) == off ? std::string("off") : fmt::to_string(field(c));
    };
    return make_entry(key, "PORT|off", help, set, show);
}

entry admin_port_setting() {
    return optional_port_setting(
        "admin.port", "admin listener (metrics, health, status page); off = none", admin_port_off,
        [](auto& c) -> auto& { return c.admin.port; });
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
    return make_entry(key, "PATH", help, set, show);
}

entry tls_port_setting() {
    return optional_port_setting(
        "tls.port", "HTTPS listener on [server] host; off = none", tls_port_off,
        [](auto& c) -> auto& { return c.tls.port; });
}

#define NODUS_TLS(member) \
    [](auto& c) -> auto& { return c.tls.member; }

// The files are checked when the listener starts (and on SIGHUP), where a bad one is named.
void add_tls_entries(std::vector<entry>& s) {
    s.push_back(tls_port_setting());
    s.push_back(text("tls.cert", "FILE", "certificate (PEM, chain after it); required with a port",
                     NODUS_TLS(cert), text_rule::any));
    s.push_back(text("tls.key", "FILE", "private key of tls.cert (PEM)", NODUS_TLS(key), text_rule::any));
    s.push_back(text("tls.sni_certs", "FILES", "more certificates, space-separated, chosen by SNI name",
                     NODUS_TLS(sni_certs), text_rule::any));
    s.push_back(text("tls.sni_keys", "FILES", "keys of tls.sni_certs, in the same order", NODUS_TLS(sni_keys),
                     text_rule::any));
    s.push_back(text("tls.ca", "FILE", "CA certificates (PEM) for client certificates; empty: none asked",
                     NODUS_TLS(ca), text_rule::any));
    s.push_back(boolean("tls.verify_client", "with tls.ca: refuse clients without a valid certificate",
                        NODUS_TLS(verify_client)));
    s.push_back(choice("tls.min_version", "VERSION", "oldest TLS version accepted", NODUS_TLS(min_version),
                       {"1.2", "1.3"}));
    s.push_back(text("tls.ciphers", "LIST", "TLS 1.2 ciphers (OpenSSL syntax); empty: OpenSSL's default",
                     NODUS_TLS(ciphers), text_rule::any));
    s.push_back(text("tls.ciphersuites", "LIST", "TLS 1.3 suites (OpenSSL syntax); empty: OpenSSL's default",
                     NODUS_TLS(ciphersuites), text_rule::any));
    s.push_back(text("tls.groups", "LIST", "key exchange groups, e.g. X25519:P-256; empty: OpenSSL's default",
                     NODUS_TLS(groups), text_rule::any));
    s.push_back(
        boolean("tls.session_tickets", "resumption with session tickets", NODUS_TLS(session_tickets)));
    s.push_back(number("tls.handshake_timeout_ms", "MS", "connect to end of the TLS handshake; then close",
                       NODUS_TLS(handshake_timeout_ms), 1));
}

#undef NODUS_TLS

} // namespace

#define NODUS_FIELD(member) \
    [](auto& c) -> auto& { return c.member; }

std::vector<entry> own_entries() {
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
    add_tls_entries(s);
    return s;
}

#undef NODUS_FIELD

} // namespace nodus::detail
