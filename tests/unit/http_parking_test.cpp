// The parking lot's bookkeeping, on local socket pairs.
#include "http/detail/parking.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <vector>

using steady = nodus::http::detail::clock;
using nodus::http::detail::parked_conn;
using nodus::http::detail::parking_lot;

namespace {

struct pair_fds {
    int parked = -1, peer = -1;
    pair_fds() {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        parked = sv[0];
        peer = sv[1];
    }
    pair_fds(const pair_fds&) = delete;
    pair_fds& operator=(const pair_fds&) = delete;
    ~pair_fds() { ::close(peer); }
};

} // namespace

TEST(parking_lot, keeps_deadline_order_and_finds_ready_descriptors) {
    boost::asio::io_context ctx;
    parking_lot lot{ctx};
    ASSERT_TRUE(lot.open());
    pair_fds a, b;
    auto now = steady::now();
    ASSERT_TRUE(lot.add(a.parked, 3, false, now + std::chrono::seconds(1)));
    ASSERT_TRUE(lot.add(b.parked, 7, true, now + std::chrono::seconds(2)));
    EXPECT_EQ(lot.size(), 2u);
    EXPECT_EQ(lot.oldest()->fd, a.parked);

    ASSERT_EQ(::write(b.peer, "x", 1), 1);
    std::vector<parked_conn*> ready;
    lot.each_ready([&](parked_conn* p) { ready.push_back(p); });
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0]->fd, b.parked);
    EXPECT_EQ(ready[0]->served, 7u);
    EXPECT_TRUE(ready[0]->v6);

    lot.take(ready[0]); // back to the server: the descriptor stays open
    EXPECT_EQ(lot.size(), 1u);
    ::close(b.parked);
    delete ready[0];

    lot.close(lot.oldest());
    EXPECT_TRUE(lot.empty());
    char c;
    EXPECT_EQ(::read(a.peer, &c, 1), 0); // closed: the peer sees EOF
}

TEST(parking_lot, trim_is_due_after_many_parks) {
    boost::asio::io_context ctx;
    parking_lot lot{ctx};
    ASSERT_TRUE(lot.open());
    std::vector<pair_fds> pairs(64);
    for (auto& p : pairs) ASSERT_TRUE(lot.add(p.parked, 1, false, steady::now()));
    EXPECT_TRUE(lot.trim_due());
    EXPECT_FALSE(lot.trim_due());
    while (!lot.empty()) lot.close(lot.oldest());
}
