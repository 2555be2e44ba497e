// The kernel's share of a keep-alive client request (bench/client.sh): one blocking socket,
// one write() of a fixed GET and read()s until the fixed-size answer of bench/floor's server
// is in, N times; no HTTP parsing beyond counting bytes. Prints user and system CPU time.
//
//   client_raw PORT N
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s PORT N\n", argv[0]); return 2; }
    long n = atol(argv[2]);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) { perror("connect"); return 1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    static char buf[65536];
    // The first answer tells its size: head up to CRLFCRLF plus Content-Length.
    long size = 0;
    for (long i = 0; i < n; ++i) {
        if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) { perror("write"); return 1; }
        long got = 0;
        while (size == 0 || got < size) {
            ssize_t r = read(fd, buf + (size == 0 ? got : 0), size == 0 ? sizeof buf - (size_t)got : sizeof buf);
            if (r <= 0) { fprintf(stderr, "read: closed\n"); return 1; }
            got += r;
            if (size == 0) {
                char* end = memmem(buf, (size_t)got, "\r\n\r\n", 4);
                char* cl = memmem(buf, (size_t)got, "Content-Length: ", 16);
                if (end && cl) size = (end - buf) + 4 + atol(cl + 16);
            }
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("requests=%ld user=%.3f sys=%.3f\n", n, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return 0;
}
