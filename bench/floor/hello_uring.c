// The hello-world floor again, with io_uring instead of epoll (liburing): multishot accept,
// multishot recv into a ring of provided buffers, sends queued as the completions are read
// and submitted together with the next wait, so a whole batch of requests costs one
// io_uring_enter() instead of one recv() and one send() each. Same response, same non-parsing
// as hello_epoll.c; it answers whether an io_uring backend would lower the floor. Responses for
// one connection found in one batch of completions leave in one send; like hello_epoll.c it
// does not handle a send the socket cannot take at once (the responses are tiny).
//
//   hello_uring PORT
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <unistd.h>

#include "floor.h"

enum { nbufs = 1024, buf_size = 4096, max_fd = 65536, out_size = 16384 };
#define ACCEPT_TAG (1ull << 62)
#define SEND_TAG (1ull << 61)

static char* outs[max_fd];       // per connection, allocated at accept
static size_t out_len[max_fd];
static int dirty[max_fd];        // connections with responses to send after this batch
static int ndirty;
static struct io_uring ring;

static void arm_recv(int fd) {
    struct io_uring_sqe* s = io_uring_get_sqe(&ring);
    io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = 0;
    s->user_data = (uint64_t)fd;
}

static void arm_accept(int l) {
    struct io_uring_sqe* s = io_uring_get_sqe(&ring);
    io_uring_prep_multishot_accept(s, l, NULL, NULL, 0);
    s->user_data = ACCEPT_TAG;
}

int main(int argc, char** argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s PORT\n", argv[0]); return 2; }
    int l = floor_listen(atoi(argv[1]), 0);
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 8192;
    int e = io_uring_queue_init_params(4096, &ring, &p);
    if (e) { fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-e)); return 1; }

    struct io_uring_buf_ring* br;
    if (posix_memalign((void**)&br, 4096, nbufs * sizeof(struct io_uring_buf))) return 1;
    struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)br, .ring_entries = nbufs, .bgid = 0};
    e = io_uring_register_buf_ring(&ring, &reg, 0);
    if (e) { fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-e)); return 1; }
    io_uring_buf_ring_init(br);
    char* bufs = malloc((size_t)nbufs * buf_size);
    for (int i = 0; i < nbufs; ++i)
        io_uring_buf_ring_add(br, bufs + (size_t)i * buf_size, buf_size, (unsigned short)i,
                              io_uring_buf_ring_mask(nbufs), i);
    io_uring_buf_ring_advance(br, nbufs);
    arm_accept(l);

    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe* c;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, c) {
            ++seen;
            uint64_t tag = c->user_data;
            if (tag == ACCEPT_TAG) {
                if (c->res >= 0 && c->res < max_fd && (outs[c->res] || (outs[c->res] = malloc(out_size)))) {
                    int one = 1;
                    setsockopt(c->res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    arm_recv(c->res);
                } else if (c->res >= 0) {
                    close(c->res);
                }
                if (!(c->flags & IORING_CQE_F_MORE)) arm_accept(l);
                continue;
            }
            if (tag & SEND_TAG) {   // only failed sends complete (IOSQE_CQE_SKIP_SUCCESS)
                continue;
            }
            int fd = (int)(tag & 0xffff);
            if (c->res <= 0) {
                if (c->res == -ENOBUFS) arm_recv(fd);
                else if (!(c->flags & IORING_CQE_F_MORE)) { close(fd); out_len[fd] = 0; }
                continue;
            }
            unsigned short bid = (unsigned short)(c->flags >> IORING_CQE_BUFFER_SHIFT);
            char* b = bufs + (size_t)bid * buf_size;
            size_t len = floor_responses(b, (size_t)c->res, outs[fd] + out_len[fd], out_size - out_len[fd]);
            io_uring_buf_ring_add(br, b, buf_size, bid, io_uring_buf_ring_mask(nbufs), 0);
            io_uring_buf_ring_advance(br, 1);
            if (len && !out_len[fd]) dirty[ndirty++] = fd;
            out_len[fd] += len;
            if (!(c->flags & IORING_CQE_F_MORE)) arm_recv(fd);
        }
        io_uring_cq_advance(&ring, seen);
        // One send per connection for the whole batch, submitted with the next wait.
        for (int i = 0; i < ndirty; ++i) {
            int fd = dirty[i];
            struct io_uring_sqe* w = io_uring_get_sqe(&ring);
            io_uring_prep_send(w, fd, outs[fd], out_len[fd], MSG_NOSIGNAL);
            w->user_data = SEND_TAG | (uint64_t)fd;
            w->flags |= IOSQE_CQE_SKIP_SUCCESS;
            out_len[fd] = 0;
        }
        ndirty = 0;
    }
}
