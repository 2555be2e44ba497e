// Shared by the floor programs (see README.md next to this file).
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

// The same bytes as nodus's hello-world response (same header set, same length), and the one it
// sends to an HTTP/1.0 client that asked to keep the connection (ab -k, health checkers).
static const char floor_response[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Thu, 26 Nov 2026 16:02:09 GMT\r\n"
    "Server: nodus\r\nContent-Length: 12\r\n\r\nHello World\n";
static const char floor_response_10[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Thu, 26 Nov 2026 16:02:09 GMT\r\n"
    "Server: nodus\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nHello World\n";

static inline int floor_listen(int port, int flags) {
    int l = socket(AF_INET, SOCK_STREAM | flags, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof a) != 0 || listen(l, 4096) != 0) {
        perror("floor: listen");
        exit(1);
    }
    return l;
}

// One copy of `r` per request head ("\r\n\r\n") found in `in` (requests split across reads are
// not handled: the bench clients' requests are small and arrive whole). Returns the bytes put
// in `out`.
static inline size_t floor_answer(const char* in, size_t n, char* out, size_t cap, const char* r, size_t rn) {
    size_t len = 0;
    for (size_t k = 3; k < n; ++k) {
        if (in[k] == '\n' && in[k - 1] == '\r' && in[k - 2] == '\n' && in[k - 3] == '\r' && len + rn <= cap) {
            memcpy(out + len, r, rn);
            len += rn;
        }
    }
    return len;
}

// Every bench request is `GET / HTTP/1.x`, and a client sends the same one each time: the first
// head's version (its 14th byte) picks the response for the whole read.
static inline size_t floor_responses(const char* in, size_t n, char* out, size_t cap) {
    if (n > 13 && in[13] == '0') return floor_answer(in, n, out, cap, floor_response_10, sizeof floor_response_10 - 1);
    return floor_answer(in, n, out, cap, floor_response, sizeof floor_response - 1);
}
