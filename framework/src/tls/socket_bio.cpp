#include "tls/detail/socket_bio.hpp"

#include <openssl/bio.h>

#include <cerrno>

#include <sys/socket.h>

namespace nodus::tls::detail {

namespace {

int fd_of(BIO* b) noexcept { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

int bio_write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = ::send(fd_of(b), data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n < 0 && would_block(errno)) BIO_set_retry_write(b);
    return static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = ::recv(fd_of(b), data, static_cast<std::size_t>(len), 0);
    if (n < 0 && would_block(errno)) BIO_set_retry_read(b);
    return static_cast<int>(n);
}

int bio_puts(BIO* b, const char* s) {
    int len = 0;
    while (s[len]) ++len;
    return bio_write(b, s, len);
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

const BIO_METHOD* method() noexcept {
    static const BIO_METHOD* m = [] {
        BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nodus socket");
        if (!bm) return static_cast<BIO_METHOD*>(nullptr);
        BIO_meth_set_write(bm, bio_write);
        BIO_meth_set_read(bm, bio_read);
        BIO_meth_set_puts(bm, bio_puts);
        BIO_meth_set_ctrl(bm, bio_ctrl);
        BIO_meth_set_create(bm, bio_create);
        return bm;
    }();
    return m;
}

} // namespace

bio_st* new_socket_bio(int fd) noexcept {
    const BIO_METHOD* m = method();
    if (!m) return nullptr;
    BIO* b = BIO_new(m);
    if (b) BIO_set_data(b, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
    return b;
}

} // namespace nodus::tls::detail
