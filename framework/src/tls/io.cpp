#include "tls/detail/io.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace nodus::tls::detail {

namespace {

thread_local char reason[256];

io_status failed(SSL* ssl, int rc) noexcept {
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: return io_status::want_read;
    case SSL_ERROR_WANT_WRITE: return io_status::want_write;
    case SSL_ERROR_ZERO_RETURN: return io_status::eof;
    case SSL_ERROR_SYSCALL:
        // No error queued: the TCP stream ended without close_notify, as many clients end it.
        if (ERR_peek_error() == 0) {
            if (errno == 0 || errno == ECONNRESET) {
                std::strcpy(reason, errno ? "connection reset" : "unexpected end of stream");
                return io_status::eof;
            }
            std::strncpy(reason, std::strerror(errno), sizeof reason - 1);
            return io_status::error;
        }
        [[fallthrough]];
    default: {
        unsigned long e = ERR_get_error();
        if (e) ERR_error_string_n(e, reason, sizeof reason);
        else std::strcpy(reason, "TLS error");
        ERR_clear_error();
        return io_status::error;
    }
    }
}

int clamp(std::size_t n) noexcept { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

} // namespace

io_result read(SSL* ssl, char* buf, std::size_t cap) noexcept {
    errno = 0;
    int rc = SSL_read(ssl, buf, clamp(cap));
    if (rc > 0) return {static_cast<std::size_t>(rc), io_status::ok};
    return {0, failed(ssl, rc)};
}

io_result write(SSL* ssl, const char* data, std::size_t len) noexcept {
    errno = 0;
    int rc = SSL_write(ssl, data, clamp(len));
    if (rc > 0) return {static_cast<std::size_t>(rc), io_status::ok};
    return {0, failed(ssl, rc)};
}

bool has_pending(const SSL* ssl) noexcept { return SSL_has_pending(ssl) == 1; }

bool handshake_done(const SSL* ssl) noexcept { return SSL_is_init_finished(ssl) == 1; }

void shutdown(SSL* ssl) noexcept {
    // Only after a finished handshake: mid-handshake OpenSSL would report an error.
    if (SSL_is_init_finished(ssl) == 1) SSL_shutdown(ssl);
    ERR_clear_error();
}

void free(SSL* ssl) noexcept { SSL_free(ssl); }

const char* last_error() noexcept { return reason; }

} // namespace nodus::tls::detail
