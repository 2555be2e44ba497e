#pragma once
// Non-blocking reads and writes through an SSL object bound to a socket, with OpenSSL's
// "retry when readable / writable" answers turned into what the caller waits for.
#include <cstddef>
#include <cstdint>

struct ssl_st;

namespace nodus::tls::detail {

enum class io_status : std::uint8_t {
    ok, ///< `n` bytes moved
    want_read, ///< retry once the socket is readable
    want_write, ///< retry once the socket is writable
    eof, ///< the peer closed (close_notify, or the TCP end)
    error, ///< a protocol or socket error; the connection is done
};

struct io_result {
    std::size_t n = 0;
    io_status status = io_status::ok;
};

/// Decrypted bytes into `buf` (at most `cap`); drives the handshake first when it is not done.
io_result read(ssl_st* ssl, char* buf, std::size_t cap) noexcept;

/// Encrypt and send from `data` (at most `len`); after want_write, retry with the same
/// bytes at the start of `data` (the buffer may move).
io_result write(ssl_st* ssl, const char* data, std::size_t len) noexcept;

/// Bytes are waiting inside `ssl`: decrypted ones, or record bytes read from the socket (the
/// socket need not be readable for them; an incomplete record needs the socket, though).
bool has_pending(const ssl_st* ssl) noexcept;

/// The handshake has finished.
bool handshake_done(const ssl_st* ssl) noexcept;

/// Send close_notify, once, without waiting for the peer's.
void shutdown(ssl_st* ssl) noexcept;

void free(ssl_st* ssl) noexcept;

/// Why the last failed call on this thread failed, as OpenSSL says it ("wrong version
/// number", "unsupported protocol", ...); the error queue is left empty.
const char* last_error() noexcept;

} // namespace nodus::tls::detail
