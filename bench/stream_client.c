// A streaming HTTP/1.1 client for bench/stream.sh that is never the slow side of a transfer:
// it reads into 1 MiB buffers (curl reads 16 KiB at a time), sends its upload from memory in
// 1 MiB send()s, and does both at once on one non-blocking socket with poll().
//
//   stream_client download HOST PORT PATH
//   stream_client upload   HOST PORT PATH BYTES
//
// It decodes the response (status line, headers, Content-Length or chunked body; a close-
// delimited body for anything else), checks that the body has the expected size (download: as
// declared or as chunked; upload: the echo must return BYTES), and prints one line:
//
//   STATUS BODY_BYTES SENT_BODY_BYTES SECONDS
//
// Exit status 0 when the transfer completed with 200, 1 otherwise (the line is printed anyway).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { buf_size = 1 << 20 };

// Response decoding: a small state machine that touches only the framing bytes.
enum rstate { r_head, r_length, r_chunk_size, r_chunk_ext, r_chunk_data, r_chunk_crlf, r_trailer, r_close, r_done, r_bad };
struct response {
    enum rstate st;
    char head[16384];
    size_t head_len;
    int status;
    uint64_t left;       // bytes left in the Content-Length body or the current chunk
    uint64_t body;       // body bytes seen
    int size_digits;     // digits of the current chunk size
    int trailer_nl;      // consecutive line ends in the trailer section
    int cr;              // the previous byte was '\r'
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Header value of `name` (case-insensitive) in the head, or NULL.
static const char* header(const char* head, const char* name, size_t* len) {
    size_t n = strlen(name);
    for (const char* p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char* line = p + 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char* v = line + n + 1;
            while (*v == ' ' || *v == '\t') ++v;
            const char* e = strstr(v, "\r\n");
            *len = (size_t)(e - v);
            return v;
        }
    }
    return NULL;
}

static void end_of_head(struct response* r) {
    r->head[r->head_len] = '\0';
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) { r->st = r_bad; return; }
    size_t len;
    const char* te = header(r->head, "Transfer-Encoding", &len);
    const char* cl = header(r->head, "Content-Length", &len);
    if (te && len >= 7 && strncasecmp(te + len - 7, "chunked", 7) == 0) {
        r->st = r_chunk_size;
        r->left = 0;
        r->size_digits = 0;
    } else if (cl) {
        r->left = strtoull(cl, NULL, 10);
        r->st = r->left ? r_length : r_done;
    } else {
        r->st = r_close;
    }
}

// Consumes `n` bytes; returns 0, or -1 on a framing error.
static int feed(struct response* r, const char* p, size_t n) {
    const char* end = p + n;
    while (p < end) {
        switch (r->st) {
        case r_head: {
            if (r->head_len + 1 >= sizeof r->head) { r->st = r_bad; return -1; }
            r->head[r->head_len++] = *p++;
            if (r->head_len >= 4 && memcmp(r->head + r->head_len - 4, "\r\n\r\n", 4) == 0) end_of_head(r);
            break;
        }
        case r_length: {
            size_t k = (size_t)(end - p) < r->left ? (size_t)(end - p) : (size_t)r->left;
            p += k; r->left -= k; r->body += k;
            if (!r->left) r->st = r_done;
            break;
        }
        case r_close:
            r->body += (uint64_t)(end - p);
            p = end;
            break;
        case r_chunk_size: {
            int v = hexval(*p);
            if (v >= 0) {
                if (++r->size_digits > 15) { r->st = r_bad; return -1; }
                r->left = r->left * 16 + (uint64_t)v;
                ++p;
            } else if (*p == ';' || *p == ' ' || *p == '\t') {
                r->st = r_chunk_ext; ++p;
            } else if (*p == '\r') {
                ++p;
            } else if (*p == '\n' && r->size_digits) {
                ++p;
                r->st = r->left ? r_chunk_data : r_trailer;
                r->trailer_nl = 1;
                r->size_digits = 0;
            } else {
                r->st = r_bad; return -1;
            }
            break;
        }
        case r_chunk_ext:
            if (*p++ == '\n') { r->st = r->left ? r_chunk_data : r_trailer; r->trailer_nl = 1; r->size_digits = 0; }
            break;
        case r_chunk_data: {
            size_t k = (size_t)(end - p) < r->left ? (size_t)(end - p) : (size_t)r->left;
            p += k; r->left -= k; r->body += k;
            if (!r->left) r->st = r_chunk_crlf;
            break;
        }
        case r_chunk_crlf:
            if (*p == '\r') { ++p; break; }
            if (*p == '\n') { ++p; r->st = r_chunk_size; r->left = 0; break; }
            r->st = r_bad; return -1;
        case r_trailer:
            // After the last chunk's size line: trailer lines, then an empty line.
            if (*p == '\r') { ++p; break; }
            if (*p == '\n') { ++p; if (r->trailer_nl) { r->st = r_done; break; } r->trailer_nl = 1; break; }
            r->trailer_nl = 0; ++p;
            break;
        case r_done:
        case r_bad:
            return r->st == r_bad ? -1 : 0;
        }
    }
    return r->st == r_bad ? -1 : 0;
}

int main(int argc, char** argv) {
    if (argc < 5 || (strcmp(argv[1], "upload") == 0 && argc < 6)) {
        fprintf(stderr, "usage: %s download HOST PORT PATH | upload HOST PORT PATH BYTES\n", argv[0]);
        return 2;
    }
    int upload = strcmp(argv[1], "upload") == 0;
    uint64_t to_send = upload ? strtoull(argv[5], NULL, 10) : 0;

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
    if (fd < 0 || inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1 ||
        connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
        perror("stream_client: connect");
        return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    char req[1024];
    int req_len = upload
        ? snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/octet-stream\r\n"
                   "Content-Length: %llu\r\nConnection: close\r\n\r\n", argv[4], argv[2], argv[3],
                   (unsigned long long)to_send)
        : snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n",
                   argv[4], argv[2], argv[3]);
    double t0 = now();
    if (send(fd, req, (size_t)req_len, MSG_NOSIGNAL) != req_len) { perror("stream_client: send"); return 1; }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    char* in = malloc(buf_size);
    char* out = calloc(1, buf_size);   // the upload: zeros, sent over and over
    static struct response r;
    uint64_t sent = 0;
    int eof = 0;
    while (r.st != r_done && r.st != r_bad && !eof) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN | (sent < to_send ? POLLOUT : 0)};
        if (poll(&pfd, 1, 60000) <= 0) { fprintf(stderr, "stream_client: no progress for 60 s\n"); break; }
        if (pfd.revents & POLLOUT) {
            while (sent < to_send) {
                size_t k = to_send - sent < buf_size ? (size_t)(to_send - sent) : buf_size;
                ssize_t w = send(fd, out, k, MSG_NOSIGNAL);
                if (w < 0) {
                    if (errno == EAGAIN) break;
                    perror("stream_client: send"); to_send = sent; break;
                }
                sent += (uint64_t)w;
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            for (;;) {
                ssize_t n = recv(fd, in, buf_size, 0);
                if (n > 0) { if (feed(&r, in, (size_t)n) < 0) break; continue; }
                if (n == 0) { eof = 1; if (r.st == r_close) r.st = r_done; }
                else if (errno != EAGAIN) { perror("stream_client: recv"); eof = 1; }
                break;
            }
        }
    }
    double secs = now() - t0;
    int ok = r.st == r_done && r.status == 200 && (!upload || (sent == to_send && r.body == to_send));
    printf("%d %llu %llu %.6f\n", r.status, (unsigned long long)r.body, (unsigned long long)sent, secs);
    close(fd);
    return ok ? 0 : 1;
}
