// A WebSocket load client for bench/websocket.sh that is never the slow side: N connections on
// one epoll loop, each sending a small masked text message and waiting for its echo, again and
// again (ping-pong, as a chat or a game server sees traffic).
//
//   ws_client echo HOST PORT PATH CONNECTIONS SECONDS [BYTES]
//       prints: MESSAGES SECONDS       (echoes received in the measured time)
//   ws_client idle HOST PORT PATH CONNECTIONS
//       opens CONNECTIONS WebSockets, prints "ready N" once all are open, then holds them
//       silent until stdin closes.
//   ws_client idle-deflate HOST PORT PATH CONNECTIONS
//       the same, each offering permessage-deflate (client_max_window_bits), requiring it in
//       the 101, and sending one compressed message and reading its echo before it goes
//       silent, so that the server has used both directions' compression.
//
// Every connection is upgraded with a fixed key and checked for 101; an echo must match the
// message byte for byte. Exit status 1 on any failure (with the reason on stderr).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char* what) {
    fprintf(stderr, "ws_client: %s (%s)\n", what, strerror(errno));
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int open_ws(const char* host, int port, const char* path, int deflate) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     path, host, port,
                     deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
    if (write(fd, req, n) != n) die("write handshake");
    char resp[2048];
    size_t got = 0;
    while (got < sizeof resp - 1) {
        ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
        if (r <= 0) die("read handshake");
        got += (size_t)r;
        resp[got] = 0;
        if (strstr(resp, "\r\n\r\n")) break;
    }
    if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "ws_client: no 101: %.80s\n", resp);
        exit(1);
    }
    if (strstr(resp, "\r\n\r\n") + 4 != resp + got) {
        fprintf(stderr, "ws_client: bytes after the 101\n");
        exit(1);
    }
    if (deflate && !strstr(resp, "permessage-deflate")) {
        fprintf(stderr, "ws_client: permessage-deflate was not negotiated\n");
        exit(1);
    }
    return fd;
}

// "hello, idle world" compressed (raw deflate, 512-byte window, 00 00 ff ff removed), sent as
// one masked text frame with RSV1; the echo (compressed by the server) is read and dropped.
static void deflate_once(int fd) {
    static const unsigned char z[] = {0xca, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0xc8, 0x4c, 0xc9,
                                      0x49, 0x55, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0x01, 0x00};
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    unsigned char f[6 + sizeof z];
    f[0] = 0xc1;
    f[1] = (unsigned char)(0x80 | sizeof z);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < sizeof z; ++i) f[6 + i] = (unsigned char)(z[i] ^ mask[i % 4]);
    if (write(fd, f, sizeof f) != (ssize_t)sizeof f) die("write");
    unsigned char in[256];
    size_t got = 0;
    while (got < 2 || got < 2 + (size_t)(in[1] & 0x7f)) {
        ssize_t r = read(fd, in + got, sizeof in - got);
        if (r <= 0) die("read echo");
        got += (size_t)r;
    }
    if ((in[0] & 0x40) == 0) {
        fprintf(stderr, "ws_client: the echo was not compressed\n");
        exit(1);
    }
}

// One masked text frame of `len` (< 126) bytes of 'm'.
static size_t make_frame(unsigned char* out, size_t len) {
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    out[0] = 0x81;
    out[1] = (unsigned char)(0x80 | len);
    memcpy(out + 2, mask, 4);
    for (size_t i = 0; i < len; ++i) out[6 + i] = (unsigned char)('m' ^ mask[i % 4]);
    return 6 + len;
}

int main(int argc, char** argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: ws_client echo|idle|idle-deflate HOST PORT PATH CONNECTIONS [SECONDS [BYTES]]\n");
        return 2;
    }
    const char* mode = argv[1];
    const char* host = argv[2];
    int port = atoi(argv[3]);
    const char* path = argv[4];
    int conns = atoi(argv[5]);
    int* fds = calloc((size_t)conns, sizeof *fds);
    int deflate = strcmp(mode, "idle-deflate") == 0;
    for (int i = 0; i < conns; ++i) {
        fds[i] = open_ws(host, port, path, deflate);
        if (deflate) deflate_once(fds[i]);
    }
    if (strcmp(mode, "idle") == 0 || deflate) {
        printf("ready %d\n", conns);
        fflush(stdout);
        char c;
        while (read(0, &c, 1) > 0) {}
        return 0;
    }
    double seconds = argc > 6 ? atof(argv[6]) : 5;
    size_t len = argc > 7 ? (size_t)atoi(argv[7]) : 32;
    if (len > 125) len = 125;
    unsigned char frame[256];
    size_t flen = make_frame(frame, len);
    int ep = epoll_create1(0);
    for (int i = 0; i < conns; ++i) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        if (write(fds[i], frame, flen) != (ssize_t)flen) die("write");
    }
    // An echo is an unmasked frame: 2 header bytes + len. Reads may split or join them.
    size_t* have = calloc((size_t)conns, sizeof *have);
    unsigned long long messages = 0;
    double start = now(), end = start + seconds;
    struct epoll_event evs[256];
    unsigned char buf[65536];
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; ++k) {
            int i = (int)evs[k].data.u32;
            ssize_t r = read(fds[i], buf, sizeof buf);
            if (r <= 0) die("read echo");
            have[i] += (size_t)r;
            while (have[i] >= 2 + len) {
                have[i] -= 2 + len;
                ++messages;
                if (write(fds[i], frame, flen) != (ssize_t)flen) die("write");
            }
        }
    }
    printf("%llu %.3f\n", messages, now() - start);
    return 0;
}
