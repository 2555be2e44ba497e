// The floor of the hello-world benchmark: the least work any epoll server can do per
// keep-alive request. One epoll_wait per batch of ready connections, one recv() and one send()
// per request, a fixed response of the same size as nodus's and no HTTP parsing at all beyond
// counting the "\r\n\r\n" ends of (pipelined) request heads. It is not a server anyone should
// run: it is the yardstick that shows how much of a request's CPU time is the kernel's.
//
//   hello_epoll PORT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor.h"

int main(int argc, char** argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s PORT\n", argv[0]); return 2; }
    int l = floor_listen(atoi(argv[1]), SOCK_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    static struct epoll_event evs[512];
    static char in[16384], out[65536];   // room for the answers to a read full of pipelined requests
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int c;
                while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            ssize_t r = recv(fd, in, sizeof in, 0);
            if (r <= 0) { close(fd); continue; }
            size_t len = floor_responses(in, (size_t)r, out, sizeof out);
            if (len && send(fd, out, len, MSG_NOSIGNAL) < 0) close(fd);
        }
    }
}
