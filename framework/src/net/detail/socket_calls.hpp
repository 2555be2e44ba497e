#pragma once
// recv(2), send(2), accept4(2) and close(2) on the request path, made through syscall(2).
//
// glibc makes these pthread cancellation points: in a process with more than one thread
// (the log writers make any nodus process one) each call switches asynchronous
// cancellation on and off around the system call, about 30 user-space instructions a call,
// 60 per keep-alive request (callgrind: __pthread_enable_asynccancel and
// __pthread_disable_asynccancel). nodus never cancels a thread, so the request path calls
// the kernel directly. Under AddressSanitizer the libc functions stay, so that its
// interceptors keep checking the buffers. Each returns what the libc call returns, with
// errno set on failure.
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define NODUS_SOCKET_CALLS_LIBC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NODUS_SOCKET_CALLS_LIBC 1
#endif
#endif

namespace nodus::net::detail {

inline ssize_t recv_some(int fd, void* data, std::size_t size, int flags) noexcept {
#ifdef NODUS_SOCKET_CALLS_LIBC
    return ::recv(fd, data, size, flags);
#else
    return static_cast<ssize_t>(::syscall(SYS_recvfrom, fd, data, size, flags, nullptr, nullptr));
#endif
}

inline ssize_t send_some(int fd, const void* data, std::size_t size, int flags) noexcept {
#ifdef NODUS_SOCKET_CALLS_LIBC
    return ::send(fd, data, size, flags);
#else
    return static_cast<ssize_t>(::syscall(SYS_sendto, fd, data, size, flags, nullptr, 0));
#endif
}

inline int accept_some(int fd, sockaddr* peer, socklen_t* len, int flags) noexcept {
#ifdef NODUS_SOCKET_CALLS_LIBC
    return ::accept4(fd, peer, len, flags);
#else
    return static_cast<int>(::syscall(SYS_accept4, fd, peer, len, flags));
#endif
}

inline int close_descriptor(int fd) noexcept {
#ifdef NODUS_SOCKET_CALLS_LIBC
    return ::close(fd);
#else
    return static_cast<int>(::syscall(SYS_close, fd));
#endif
}

} // namespace nodus::net::detail
