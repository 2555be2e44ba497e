#pragma once
/** @file
    Configuration: INI file (`--config FILE`), then environment (`NODUS_SECTION_KEY`),
    then flags (`--section.key=value`), each overriding the one before.
    Every key, its default, env and flag name are listed in docs/configuration.md and by `--help`.
*/
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace nodus {

struct server_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 1337;
    int backlog = 511;
};

struct http_config {
    std::string server_header = "nodus"; ///< value of `Server`; empty: no header
    std::size_t max_header_bytes = 16384; ///< request line + headers; over it: 431
    std::size_t max_headers = 100; ///< header lines; over it: 431
    std::size_t max_url_bytes = 8192; ///< request-target; over it: 414
    std::uint64_t max_body_bytes = 1048576; ///< request body; over it: 413 (0 = no limit)
    std::uint32_t header_timeout_ms = 10000; ///< first byte to end of headers; then 408
    std::uint32_t keep_alive_timeout_ms = 5000; ///< idle between requests; then close
    std::uint32_t request_timeout_ms = 300000; ///< end of headers to end of body; then 408
    std::uint32_t send_timeout_ms = 60000; ///< no write progress for this long; then close
    std::uint32_t body_idle_timeout_ms = 30000; ///< no body byte for this long while reading it; then 408
    std::uint64_t min_body_rate = 500; ///< body bytes/s on average, after the grace; slower: 408 (0 = off)
    std::uint64_t min_send_rate =
        500; ///< bytes/s a client reads a blocked response at, after the grace; slower: close (0 = off)
    std::uint32_t min_rate_grace_ms = 20000; ///< time before min_body_rate / min_send_rate apply
    std::size_t high_water_mark = 65536; ///< `write` returns false past this many queued bytes
    std::uint32_t drain_timeout_ms = 10000; ///< graceful stop: time allowed for in-flight exchanges
};

struct log_config {
    std::string level = "info"; ///< trace, debug, info, warn, error, critical, off
    bool access_log = true; ///< one line per request
    std::string destination = "stderr"; ///< stderr, stdout, or a file path
    std::string access_format = "default"; ///< default, combined (nginx's and Apache's) or json
    std::string access_destination; ///< where access lines go; empty: `destination`
};

/** How the connections of a cluster reach its workers (`[cluster] balance`,
    docs/cluster.md). */
enum class balance {
    shared, ///< one listening socket, every worker accepts on it (fair-accept rule)
    reuseport, ///< one SO_REUSEPORT socket per worker: the kernel spreads connections
    round_robin, ///< the master accepts and passes each connection to the next worker
};

/** The INI text of a balance mode: "shared", "reuseport" or "round_robin". */
const char* to_string(balance b) noexcept;

/** `[cluster] workers = auto`: one worker per CPU available (`cluster::resolve_workers`). */
inline constexpr int workers_auto = -1;

struct cluster_config {
    int workers = 0; ///< 0: no master; N workers; `workers_auto`
    ::nodus::balance balance = ::nodus::balance::shared;
    bool fair_accept = true; ///< balance = shared: workers over their share wait
    std::uint32_t shutdown_timeout_ms = 10000; ///< graceful stop deadline for workers
    std::uint32_t ready_timeout_ms = 10000; ///< a new worker must be listening within this
    std::uint32_t crash_limit = 10; ///< crashes within crash_window_s that stop the master
    std::uint32_t crash_window_s = 60;
    std::uint32_t watchdog_ms = 10000; ///< a worker silent this long is replaced; 0 = off
};

/// The largest `[cluster] workers`.
inline constexpr int max_workers = 1024;

/// The largest configuration file read (1 MiB); a larger one is a `config_error`.
inline constexpr std::size_t max_config_file_bytes = 1u << 20;

/// The largest `[loop] threadpool_size`.
inline constexpr std::uint32_t max_threadpool_size = 1024;

struct loop_config {
    std::uint32_t threadpool_size = 4; ///< threads for nodus::queue_work (1-1024)
};

/** `[admin] port = off`: no admin listener. */
inline constexpr int admin_port_off = -1;

/** The admin listener: metrics, health and the status page (docs/operations.md). */
struct admin_config {
    std::string host = "127.0.0.1"; ///< never public unless set so
    int port = admin_port_off; ///< off, or a TCP port (0 = any free port)
    std::string metrics_path = "/metrics";
    std::string health_path = "/healthz"; ///< liveness
    std::string ready_path = "/readyz"; ///< readiness
    std::string status_path = "/status"; ///< the status page; its data at PATH.json
    std::uint32_t drain_delay_ms = 0; ///< SIGTERM: readiness 503 this long before the listener closes
    std::uint32_t max_loop_lag_ms = 5000; ///< liveness fails while the loop is this late
    std::uint32_t scrape_timeout_ms = 1000; ///< cluster: how long a scrape waits for the workers
};

/** `[tls] port = off`: no HTTPS listener. */
inline constexpr int tls_port_off = -1;

/** The HTTPS listener beside the plain one (docs/tls.md). Certificate and key files are
    PEM; a certificate file may hold its chain after it. */
struct tls_config {
    int port = tls_port_off; ///< off, or a TCP port (0 = any free port); host is `[server] host`
    std::string cert; ///< the default certificate (with its chain)
    std::string key; ///< its private key
    std::string sni_certs; ///< more certificates, space-separated; chosen by the client's SNI name
    std::string sni_keys; ///< their keys, in the same order
    std::string ca; ///< CA certificates for client certificates; empty: none asked
    bool verify_client = false; ///< with `ca`: refuse clients without a valid certificate
    std::string min_version = "1.2"; ///< 1.2 or 1.3
    std::string ciphers; ///< TLS 1.2 cipher list (OpenSSL syntax); empty: OpenSSL's default
    std::string ciphersuites; ///< TLS 1.3 suites (OpenSSL syntax); empty: OpenSSL's default
    std::string groups; ///< key exchange groups, e.g. "X25519:P-256"; empty: OpenSSL's default
    bool session_tickets = true; ///< stateless resumption (keys per process, shared by workers)
    std::uint32_t handshake_timeout_ms = 10000; ///< connect to end of handshake; then close
};

struct config {
    server_config server;
    http_config http;
    log_config log;
    cluster_config cluster;
    loop_config loop;
    /// The application's declared settings (nodus/config/setting.hpp) as read, by
    /// "section.key"; a key absent here has its declared default.
    std::map<std::string, std::string, std::less<>> app_settings;
    admin_config admin;
    tls_config tls;
    std::string file; ///< the INI file read, empty when none
};

/** A configuration error; `what()` names the file, line where known, key and value. */
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/** Why `parse_config` returned without a config to run with. */
enum class config_action { run, help, version };

struct config_result {
    config cfg;
    config_action action = config_action::run;
    std::string text; ///< the help or version text when action != run
    /// NODUS_* environment variables that name no setting (ignored; `nodus::app` logs one
    /// warning naming them). A platform may set such names: Kubernetes injects
    /// NODUS_SERVICE_HOST, NODUS_PORT, ... for a Service called "nodus".
    std::vector<std::string> unknown_environment;
};

/** Read `--config FILE` (or `default_file` when given, it exists and no --config), then the
    environment (`envp`, NODUS_* names; nullptr = the process environment), then flags.
    On `--help` or `--version` returns at once with the text, without reading the file.
    The application's declared settings (nodus/config/setting.hpp) are read with nodus's own.
    An unknown NODUS_* variable is not an error: its name is listed in
    `unknown_environment`. A bad value in a known variable is.
    @throws config_error for a missing file, an unknown section, key or flag, a malformed
    line, or a bad value, even one that a later source overrides; for an application setting
    declared twice, in one of nodus's sections, or with a default outside its range.
*/
config_result parse_config(int argc, const char* const* argv, const char* const* envp = nullptr,
                           std::string default_file = {});

/** Read one INI file only (no env, no flags). @throws config_error */
config load_config_file(const std::string& path);

/** The `--help` text: every key with its default, env and flag name. */
std::string config_help(const char* program);

/** Check every value against the rules the file, environment and flag parsers apply (ranges,
    non-empty text, the allowed names); no rule links two keys. @throws config_error */
void validate(const config& cfg);

} // namespace nodus
