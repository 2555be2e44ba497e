#pragma once
// The server side of TLS: the certificates, keys and settings of one HTTPS listener as
// OpenSSL contexts, a new SSL object per connection, and certificates read again on reload.
#include <nodus/config/config.hpp>

#include <memory>
#include <string>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace nodus::tls::detail {

/// One certificate (with its chain) and key, loaded into a context of its own.
struct cert_ctx;

class context {
public:
    /// Load every certificate and key of `cfg`.
    /// @throws config_error naming the file that is missing, unreadable, not PEM, or whose
    /// key does not match its certificate.
    explicit context(tls_config cfg);
    context(const context&) = delete;
    context& operator=(const context&) = delete;
    ~context();

    /// A new server-side SSL object on `fd` (non-blocking), in the accepting state; nullptr
    /// when OpenSSL refuses (out of memory).
    ssl_st* new_ssl(int fd) const noexcept;

    /// Read the certificate and key files of `cfg` again: new handshakes use them, existing
    /// connections keep theirs. The session ticket keys are kept, so sessions resume across
    /// the reload. On failure the current certificates stay and the reason is returned.
    std::string reload(const tls_config& cfg);

    const tls_config& cfg() const noexcept { return cfg_; }

private:
    struct certs;
    static int on_servername(ssl_st* ssl, int* alert, void* arg);
    std::unique_ptr<certs> load(const tls_config& cfg) const;

    tls_config cfg_;
    std::unique_ptr<certs> certs_;
};

/// "a.pem b.pem" → {"a.pem", "b.pem"} (spaces or commas between names).
std::vector<std::string> split_files(const std::string& list);

} // namespace nodus::tls::detail
