#pragma once
// A BIO over a non-blocking socket that sends with MSG_NOSIGNAL: OpenSSL's own socket BIO
// writes with write(2), and a peer that closed would raise SIGPIPE and end the process.
struct bio_st;

namespace nodus::tls::detail {

/// A new BIO on `fd` (not closed when the BIO is freed); nullptr when out of memory.
bio_st* new_socket_bio(int fd) noexcept;

} // namespace nodus::tls::detail
