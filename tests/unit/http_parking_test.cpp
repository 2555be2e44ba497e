// The parking lot's bookkeeping, on local socket pairs.
#include "http/detail/parking.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

using steady = nodus::http::detail::clock;
using endpoint = boost::asio::ip::tcp::endpoint;
using nodus::http::detail::kept_peer;
using nodus::http::detail::parked_conn;
using nodus::http::detail::parking_lot;

namespace {

const endpoint v4_peer{boost::asio::ip::make_address("192.0.2.7"), 40001};
const endpoint v6_peer{boost::asio::ip::make_address("2001:db8::7"), 40002};

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
    ASSERT_TRUE(lot.add(a.parked, 3, v4_peer, now + std::chrono::seconds(1)));
    ASSERT_TRUE(lot.add(b.parked, 7, v6_peer, now + std::chrono::seconds(2)));
    EXPECT_EQ(lot.size(), 2u);
    EXPECT_EQ(lot.oldest()->fd, a.parked);

    ASSERT_EQ(::write(b.peer, "x", 1), 1);
    std::vector<parked_conn*> ready;
    lot.each_ready([&](parked_conn* p, bool gone) {
        ready.push_back(p);
        EXPECT_FALSE(gone);
    });
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0]->fd, b.parked);
    EXPECT_EQ(ready[0]->served, 7u);
    EXPECT_TRUE(ready[0]->v6);

    lot.take(ready[0], true); // back to the server: the descriptor stays open
    EXPECT_EQ(lot.size(), 1u);
    ::close(b.parked);
    delete ready[0];

    lot.close(lot.oldest());
    EXPECT_TRUE(lot.empty());
    char c;
    EXPECT_EQ(::read(a.peer, &c, 1), 0); // closed: the peer sees EOF
}

// A peer that closed without sending anything is reported gone (nothing to serve); one that
// sent bytes and then closed, or is still open, is not.
TEST(parking_lot, tells_a_peer_that_closed_without_a_word) {
    boost::asio::io_context ctx;
    parking_lot lot{ctx};
    ASSERT_TRUE(lot.open());
    pair_fds silent, spoke, spoke_then_closed;
    auto later = steady::now() + std::chrono::seconds(5);
    ASSERT_TRUE(lot.add(silent.parked, 0, v4_peer, later));
    ASSERT_TRUE(lot.add(spoke.parked, 1, v4_peer, later));
    ASSERT_TRUE(lot.add(spoke_then_closed.parked, 2, v4_peer, later));
    ::shutdown(silent.peer, SHUT_WR);
    ASSERT_EQ(::write(spoke.peer, "GET", 3), 3);
    ASSERT_EQ(::write(spoke_then_closed.peer, "GET", 3), 3);
    ::shutdown(spoke_then_closed.peer, SHUT_WR);
    std::vector<std::pair<std::uint32_t, bool>> seen;
    std::vector<parked_conn*> ready;
    lot.each_ready([&](parked_conn* p, bool gone) {
        seen.emplace_back(p->served, gone);
        ready.push_back(p);
    });
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0], std::make_pair(0u, true));
    EXPECT_EQ(seen[1], std::make_pair(1u, false));
    EXPECT_EQ(seen[2], std::make_pair(2u, false));
    for (auto* p : ready) lot.close(p);
    EXPECT_TRUE(lot.empty());
}

TEST(parking_lot, trim_is_due_after_many_parks) {
    boost::asio::io_context ctx;
    parking_lot lot{ctx};
    ASSERT_TRUE(lot.open());
    std::vector<pair_fds> pairs(64);
    for (auto& p : pairs) ASSERT_TRUE(lot.add(p.parked, 1, v4_peer, steady::now()));
    EXPECT_TRUE(lot.trim_due());
    EXPECT_FALSE(lot.trim_due());
    while (!lot.empty()) lot.close(lot.oldest());
}

// An IPv4 peer is kept in the record (no getpeername when it comes back); an IPv6 one is not.
TEST(parking_lot, keeps_an_ipv4_peer_in_the_record) {
    boost::asio::io_context ctx;
    parking_lot lot{ctx};
    ASSERT_TRUE(lot.open());
    pair_fds a, b;
    auto later = steady::now() + std::chrono::seconds(5);
    ASSERT_TRUE(lot.add(a.parked, 1, v4_peer, later));
    ASSERT_TRUE(lot.add(b.parked, 1, v6_peer, later));
    endpoint got;
    ASSERT_TRUE(kept_peer(lot.oldest(), got));
    EXPECT_EQ(got, v4_peer);
    lot.close(lot.oldest());
    EXPECT_TRUE(lot.oldest()->v6);
    EXPECT_FALSE(kept_peer(lot.oldest(), got));
    lot.close(lot.oldest());
}

// A report disarms the watch: a connection taken after it stays in the set, silent, and parks
// again by re-arming (in_set). One taken without a report leaves the set and is added anew.
TEST(parking_lot, a_reported_connection_is_rearmed_when_it_parks_again) {
    boost::asio::io_context ctx;
    parking_lot lot{ctx};
    ASSERT_TRUE(lot.open());
    pair_fds a, b;
    auto later = steady::now() + std::chrono::seconds(5);
    ASSERT_TRUE(lot.add(a.parked, 1, v4_peer, later));
    ASSERT_TRUE(lot.add(b.parked, 1, v4_peer, later));
    auto ready_fds = [&] {
        std::vector<int> fds;
        lot.each_ready([&](parked_conn* p, bool) {
            fds.push_back(p->fd);
            lot.take(p, true);
            nodus::http::detail::dispose(p);
        });
        return fds;
    };
    ASSERT_EQ(::write(a.peer, "x", 1), 1);
    EXPECT_EQ(ready_fds(), std::vector<int>{a.parked});
    EXPECT_EQ(lot.size(), 1u);
    // Disarmed: more bytes report nothing while the connection is away.
    ASSERT_EQ(::write(a.peer, "y", 1), 1);
    EXPECT_TRUE(ready_fds().empty());
    // Parked again: re-armed, and its unread bytes report at once.
    ASSERT_TRUE(lot.add(a.parked, 2, v4_peer, later, {.in_set = true}));
    EXPECT_EQ(ready_fds(), std::vector<int>{a.parked});
    // b leaves without a report (the server stopping): out of the set, so added anew; a stale
    // in_set falls back to adding it.
    auto* pb = lot.oldest();
    ASSERT_EQ(pb->fd, b.parked);
    lot.take(pb, false);
    nodus::http::detail::dispose(pb);
    EXPECT_TRUE(lot.empty());
    ASSERT_TRUE(lot.add(b.parked, 1, v4_peer, later, {.in_set = true}));
    ASSERT_EQ(::write(b.peer, "z", 1), 1);
    EXPECT_EQ(ready_fds(), std::vector<int>{b.parked});
    ::close(a.parked);
    ::close(b.parked);
}
