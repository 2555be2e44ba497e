// A WebSocket load client for bench/websocket.sh that is never the slow side: N connections on
// one epoll loop, each sending a small masked text message and waiting for its echo, again and
// again (ping-pong, as a chat or a game server sees traffic).
//
//   ws_client echo HOST PORT PATH CONNECTIONS SECONDS [BYTES]
//       prints: MESSAGES SECONDS       (echoes received in the measured time)
//   ws_client idle HOST PORT PATH CONNECTIONS
//       opens CONNECTIONS WebSockets, prints "ready N" once all are open, then holds them
//       silent until stdin closes.
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

static int open_ws(const char* host, int port, const char* path) {
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
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, host, port);
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
    return fd;
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
        fprintf(stderr, "usage: ws_client echo|idle HOST PORT PATH CONNECTIONS [SECONDS [BYTES]]\n");
        return 2;
    }
    const char* mode = argv[1];
    const char* host = argv[2];
    int port = atoi(argv[3]);
    const char* path = argv[4];
    int conns = atoi(argv[5]);
    int* fds = calloc((size_t)conns, sizeof *fds);
    for (int i = 0; i < conns; ++i) fds[i] = open_ws(host, port, path);
    if (strcmp(mode, "idle") == 0) {
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
