// A burst of clients that connect at once (bench/burst.sh): C non-blocking connects, then
// each connection sends `GET /` as soon as it is connected and the next one as soon as the
// answer is in (a closed loop, as wrk's), for D seconds, on one epoll thread. Every
// request's latency is kept with the time it was sent; printed: percentiles of the 1st,
// 2nd and 3rd request of each connection, of requests sent after the first second (the
// steady state), and when the last first answer came.
//
//   burst_client PORT C D
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
typedef struct {
    double sent;
    int got;
    int n;
    int connected;
} conn;
typedef struct {
    float at, lat;
    int nth;
} rec;
static rec* recs;
static long nrec, caprec;
static int cmpf(const void* a, const void* b) {
    float x = *(const float*)a, y = *(const float*)b;
    return x < y ? -1 : x > y;
}
static void report(const char* name, float* v, long n) {
    if (!n) {
        printf("%-28s n=0\n", name);
        return;
    }
    qsort(v, n, sizeof *v, cmpf);
    printf("%-28s n=%-8ld p50=%7.2f p90=%7.2f p99=%7.2f max=%7.2f ms\n", name, n, v[n / 2] * 1e3,
           v[n * 9 / 10] * 1e3, v[n * 99 / 100] * 1e3, v[n - 1] * 1e3);
}
// Percentiles of the requests that were the connection's `nth` (any when < 0), sent at or
// after `from` seconds; `v` is scratch room for all of them.
static void report_where(const char* name, float* v, int nth, float from) {
    long m = 0;
    for (long i = 0; i < nrec; ++i)
        if ((nth < 0 || recs[i].nth == nth) && recs[i].at >= from) v[m++] = recs[i].lat;
    report(name, v, m);
}

int main(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT CONNECTIONS SECONDS\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]), nc = atoi(argv[2]);
    double dur = atof(argv[3]);
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    int ep = epoll_create1(0);
    conn* cs = calloc(nc, sizeof *cs);
    int* fds = calloc(nc, sizeof *fds);
    caprec = 1 << 22;
    recs = malloc(caprec * sizeof *recs);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    double t0 = now();
    for (int i = 0; i < nc; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        connect(fd, (struct sockaddr*)&a, sizeof a);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fds[i] = fd;
    }
    long size = 0;
    char buf[65536];
    struct epoll_event evs[256];
    while (now() - t0 < dur) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; ++k) {
            int i = evs[k].data.u32;
            conn* c = &cs[i];
            if (!c->connected && (evs[k].events & EPOLLOUT)) {
                c->connected = 1;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
                epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
                c->sent = now();
                send(fds[i], req, sizeof req - 1, 0);
                continue;
            }
            if (evs[k].events & EPOLLIN) {
                ssize_t r = recv(fds[i], buf, sizeof buf, 0);
                if (r <= 0) {
                    fprintf(stderr, "conn %d closed/error\n", i);
                    close(fds[i]);
                    continue;
                }
                if (!size) {
                    char* e = memmem(buf, r, "\r\n\r\n", 4);
                    char* cl = strcasestr(buf, "content-length:");
                    if (!e || !cl) {
                        fprintf(stderr, "bad first answer\n");
                        return 1;
                    }
                    size = (e + 4 - buf) + atol(cl + 15);
                }
                c->got += r;
                while (c->got >= size) {
                    c->got -= size;
                    double t = now();
                    if (nrec < caprec)
                        recs[nrec++] = (rec){(float)(c->sent - t0), (float)(t - c->sent), c->n};
                    c->n++;
                    c->sent = t;
                    send(fds[i], req, sizeof req - 1, 0);
                }
            }
        }
    }
    float* v = malloc(nrec * sizeof *v);
    report_where("all", v, -1, 0);
    report_where("1st request", v, 0, 0);
    report_where("2nd request", v, 1, 0);
    report_where("3rd request", v, 2, 0);
    report_where("sent after 1 s", v, -1, 1.0f);
    double first_done = 0;
    for (long i = 0; i < nrec; ++i)
        if (recs[i].nth == 0 && recs[i].at + recs[i].lat > first_done) first_done = recs[i].at + recs[i].lat;
    printf("last first answer after %.1f ms; %ld requests (%.0f/s)\n", first_done * 1e3, nrec, nrec / dur);
    return 0;
}
