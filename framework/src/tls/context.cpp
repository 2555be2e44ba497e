#include "tls/detail/context.hpp"
#include "tls/detail/socket_bio.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace nodus::tls::detail {

namespace {

// The oldest error OpenSSL queued, as text; the queue is left empty.
std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown reason";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

// A file OpenSSL cannot open would only say "system lib": name the errno instead.
void check_readable(const std::string& file, const char* what) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) throw config_error(fmt::format("[tls] {} {}: {}", what, file, std::strerror(errno)));
    std::fclose(f);
}

struct ctx_ptr {
    SSL_CTX* p = nullptr;
    ~ctx_ptr() { SSL_CTX_free(p); }
};

constexpr unsigned char alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int on_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
            void*) {
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outlen, alpn_http11, sizeof alpn_http11, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; // a client that offers only h2 still gets HTTP/1.1, as with no ALPN
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// The settings every context of a listener shares.
void configure(SSL_CTX* ctx, const tls_config& cfg) {
    SSL_CTX_set_min_proto_version(ctx, cfg.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx,
                        SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Idle connections give their 2 × 17 KiB record buffers back; writes may go out
    // record by record from a buffer that moves (the connection compacts its output).
    SSL_CTX_set_mode(
        ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Each read takes what the socket has, not a record's 5-byte header and then its body:
    // half the recv calls (a handshake's flight, a request's record). Bytes read ahead are
    // reported by SSL_has_pending, which the connection checks before it waits or parks.
    SSL_CTX_set_read_ahead(ctx, 1);
    if (!cfg.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, cfg.ciphers.c_str()) != 1)
        throw config_error(fmt::format("[tls] ciphers = \"{}\": {}", cfg.ciphers, openssl_reason()));
    if (!cfg.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, cfg.ciphersuites.c_str()) != 1)
        throw config_error(
            fmt::format("[tls] ciphersuites = \"{}\": {}", cfg.ciphersuites, openssl_reason()));
    if (!cfg.groups.empty() && SSL_CTX_set1_groups_list(ctx, cfg.groups.c_str()) != 1)
        throw config_error(fmt::format("[tls] groups = \"{}\": {}", cfg.groups, openssl_reason()));
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, nullptr);
    static constexpr unsigned char sid_ctx[] = "nodus";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    if (cfg.session_tickets) {
        // Stateless: the ticket carries the session, so no per-session memory is kept here.
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(ctx, 1);
    } else {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    }
    if (!cfg.ca.empty()) {
        check_readable(cfg.ca, "ca");
        if (SSL_CTX_load_verify_locations(ctx, cfg.ca.c_str(), nullptr) != 1)
            throw config_error(fmt::format("[tls] ca {}: {}", cfg.ca, openssl_reason()));
        if (auto* names = SSL_load_client_CA_file(cfg.ca.c_str())) SSL_CTX_set_client_CA_list(ctx, names);
        ERR_clear_error();
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (cfg.verify_client ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           nullptr);
    }
}

void load_pair(SSL_CTX* ctx, const std::string& cert, const std::string& key) {
    if (cert.empty()) throw config_error("[tls] cert: no certificate file set");
    if (key.empty()) throw config_error(fmt::format("[tls] key: no key file set for certificate {}", cert));
    check_readable(cert, "cert");
    check_readable(key, "key");
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
        throw config_error(fmt::format("[tls] cert {}: not a PEM certificate ({})", cert, openssl_reason()));
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH)
            throw config_error(
                fmt::format("[tls] key {} does not match certificate {} ({})", key, cert, openssl_reason()));
        throw config_error(fmt::format("[tls] key {}: not a PEM private key ({})", key, openssl_reason()));
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        throw config_error(
            fmt::format("[tls] key {} does not match certificate {} ({})", key, cert, openssl_reason()));
}

} // namespace

struct context::certs {
    std::vector<SSL_CTX*> ctxs; // [0]: the default certificate; the others by SNI name
    ~certs() {
        for (auto* c : ctxs) SSL_CTX_free(c);
    }
};

std::vector<std::string> split_files(const std::string& list) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : list) {
        if (c == ' ' || c == ',' || c == '\t') {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

std::unique_ptr<context::certs> context::load(const tls_config& cfg) const {
    auto certs_list = split_files(cfg.sni_certs);
    auto keys_list = split_files(cfg.sni_keys);
    if (certs_list.size() != keys_list.size())
        throw config_error(fmt::format("[tls] sni_certs names {} file(s) but sni_keys {}", certs_list.size(),
                                       keys_list.size()));
    certs_list.insert(certs_list.begin(), cfg.cert);
    keys_list.insert(keys_list.begin(), cfg.key);
    auto out = std::make_unique<certs>();
    for (std::size_t i = 0; i < certs_list.size(); ++i) {
        ctx_ptr ctx{SSL_CTX_new(TLS_server_method())};
        if (!ctx.p) throw config_error("[tls]: cannot create a TLS context: " + openssl_reason());
        configure(ctx.p, cfg);
        load_pair(ctx.p, certs_list[i], keys_list[i]);
        SSL_CTX_set_tlsext_servername_callback(ctx.p, on_servername);
        SSL_CTX_set_tlsext_servername_arg(ctx.p, const_cast<context*>(this));
        out->ctxs.push_back(std::exchange(ctx.p, nullptr));
    }
    return out;
}

context::context(tls_config cfg) : cfg_(std::move(cfg)) { certs_ = load(cfg_); }

context::~context() = default;

std::string context::reload(const tls_config& cfg) {
    std::unique_ptr<certs> next;
    try {
        next = load(cfg);
    } catch (const config_error& e) {
        return e.what();
    }
    // Tickets issued before the reload stay valid after it.
    unsigned char keys[80];
    if (SSL_CTX_get_tlsext_ticket_keys(certs_->ctxs.front(), keys, sizeof keys) == 1)
        SSL_CTX_set_tlsext_ticket_keys(next->ctxs.front(), keys, sizeof keys);
    OPENSSL_cleanse(keys, sizeof keys);
    certs_ = std::move(next);
    cfg_ = cfg;
    return {};
}

ssl_st* context::new_ssl(int fd) const noexcept {
    SSL* ssl = SSL_new(certs_->ctxs.front());
    if (!ssl) {
        ERR_clear_error();
        return nullptr;
    }
    BIO* bio = new_socket_bio(fd);
    if (!bio) {
        SSL_free(ssl);
        ERR_clear_error();
        return nullptr;
    }
    SSL_set_bio(ssl, bio, bio); // one reference, for both directions
    SSL_set_accept_state(ssl);
    return ssl;
}

// SNI: the first certificate whose names cover the name asked for; the default otherwise.
int context::on_servername(SSL* ssl, int*, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_OK;
    auto& ctxs = static_cast<context*>(arg)->certs_->ctxs;
    for (std::size_t i = 1; i < ctxs.size(); ++i) {
        X509* leaf = SSL_CTX_get0_certificate(ctxs[i]);
        if (leaf && X509_check_host(leaf, name, 0, 0, nullptr) == 1) {
            SSL_set_SSL_CTX(ssl, ctxs[i]);
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

} // namespace nodus::tls::detail
