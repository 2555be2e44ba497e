// nodus::ipc::channel on this process's loop: message boundaries, the peer closing,
// and descriptors passed with a message (SCM_RIGHTS).
#include <nodus/ipc/channel.hpp>
#include <nodus/loop/loop.hpp>

#include "ipc/detail/control.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

namespace ipc = nodus::ipc;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

template <class F>
void run_until(F done) {
    auto& io = nodus::io_context();
    auto end = clock::now() + 10s;
    io.restart();
    while (!done() && clock::now() < end) {
        io.run_for(20ms);
        io.restart();
    }
}

// Run whatever is ready now (closed channels' last callbacks).
void settle() {
    auto& io = nodus::io_context();
    for (int i = 0; i < 5; ++i) {
        io.restart();
        io.poll();
    }
}

// The loop's own descriptors (epoll, eventfd, timerfd) are created on first use: make
// them exist before counting.
void warm_up_loop() {
    auto [x, y] = ipc::make_socket_pair();
    ipc::channel c{x};
    c.close();
    ::close(y);
    settle();
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// What a non-blocking read of a pipe's read end says about its writers.
enum class pipe_state { writer_open, eof, data };
pipe_state probe(int rfd) {
    char c;
    ssize_t n = ::read(rfd, &c, 1);
    if (n == 0) return pipe_state::eof;
    if (n > 0) return pipe_state::data;
    return pipe_state::writer_open; // EAGAIN
}

} // namespace

TEST(channel, each_send_arrives_as_one_message_in_order) {
    warm_up_loop();
    auto fds_before = open_fds();
    auto [a_fd, b_fd] = ipc::make_socket_pair();
    ipc::channel a{a_fd}, b{b_fd};
    const std::vector<std::string> sent{"", "x", std::string(1000, 'y'),
                                        std::string(ipc::max_message_bytes, 'z'), "last"};
    std::vector<std::string> got;
    b.on_message([&](std::string_view m) { got.emplace_back(m); });
    for (auto& m : sent) ASSERT_TRUE(a.send(m)) << m.size();
    EXPECT_FALSE(a.send(std::string(ipc::max_message_bytes + 1, 'o'))) << "larger than the limit";
    run_until([&] { return got.size() == sent.size(); });
    EXPECT_EQ(got, sent);
    a.close();
    b.close();
    settle();
    EXPECT_EQ(open_fds(), fds_before);
}

TEST(channel, the_peer_closing_closes_this_end_once) {
    warm_up_loop();
    auto fds_before = open_fds();
    auto [a_fd, b_fd] = ipc::make_socket_pair();
    ipc::channel a{a_fd}, b{b_fd};
    int closed = 0;
    a.on_close([&] { ++closed; });
    std::vector<std::string> got;
    a.on_message([&](std::string_view m) { got.emplace_back(m); });
    ASSERT_TRUE(b.send("before the end"));
    b.close();
    EXPECT_FALSE(b.is_open());
    EXPECT_FALSE(b.send("after")) << "a closed channel sends nothing";
    run_until([&] { return closed > 0; });
    EXPECT_EQ(got, std::vector<std::string>{"before the end"}) << "what was sent before the close arrives";
    EXPECT_EQ(closed, 1);
    EXPECT_FALSE(a.is_open());
    EXPECT_FALSE(a.send("to nobody"));
    a.close(); // a second close is harmless
    settle();
    EXPECT_EQ(closed, 1);
    EXPECT_EQ(open_fds(), fds_before);
}

TEST(channel, a_passed_descriptor_works_in_the_receiver) {
    warm_up_loop();
    auto fds_before = open_fds();
    auto [a_fd, b_fd] = ipc::make_socket_pair();
    ipc::channel a{a_fd}, b{b_fd};
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);

    int got = -1;
    std::string payload;
    ipc::detail::on_control_fd(b, [&](std::string_view msg, int fd) {
        payload = msg;
        got = fd;
    });
    ASSERT_TRUE(ipc::detail::send_fd(a, ipc::detail::ns::control, "take this", p[1]));
    ::close(p[1]); // the sender keeps nothing
    run_until([&] { return got >= 0; });
    ASSERT_GE(got, 0);
    EXPECT_EQ(payload, "take this");
    EXPECT_TRUE(::fcntl(got, F_GETFD) & FD_CLOEXEC) << "received with MSG_CMSG_CLOEXEC";
    ASSERT_EQ(::write(got, "hello", 5), 5);
    char buf[16] = {};
    ASSERT_EQ(::read(p[0], buf, sizeof buf), 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
    ::close(got);
    EXPECT_EQ(probe(p[0]), pipe_state::eof) << "the received descriptor was the only writer left";

    a.close();
    b.close();
    ::close(p[0]);
    settle();
    EXPECT_EQ(open_fds(), fds_before);
}

TEST(channel, a_queued_descriptor_is_held_until_sent_and_closed_with_the_channel) {
    warm_up_loop();
    auto fds_before = open_fds();
    const std::string big(60 * 1024, 'x');
    for (bool deliver : {true, false}) {
        SCOPED_TRACE(deliver ? "peer reads" : "channel closes first");
        auto [a_fd, b_fd] = ipc::make_socket_pair();
        ipc::channel a{a_fd};
        // Fill the socket with nobody reading: later messages wait in the channel's queue.
        for (int i = 0; i < 32; ++i) ASSERT_TRUE(a.send(big));
        int p[2];
        ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        auto with_pipe = open_fds();
        ASSERT_TRUE(ipc::detail::send_fd(a, ipc::detail::ns::control, "queued", p[1]));
        EXPECT_EQ(open_fds(), with_pipe + 1) << "the queued message holds a duplicate";
        ::close(p[1]);
        EXPECT_EQ(probe(p[0]), pipe_state::writer_open) << "the duplicate keeps the write end alive";

        if (deliver) {
            ipc::channel b{b_fd};
            int apps = 0, got = -1;
            b.on_message([&](std::string_view m) { apps += m.size() == big.size(); });
            ipc::detail::on_control_fd(b, [&](std::string_view, int fd) { got = fd; });
            run_until([&] { return got >= 0; });
            EXPECT_EQ(apps, 32) << "every queued message arrives, in order";
            ASSERT_GE(got, 0);
            ASSERT_EQ(::write(got, "!", 1), 1);
            EXPECT_EQ(probe(p[0]), pipe_state::data);
            ::close(got);
            b.close();
        } else {
            a.close();
            EXPECT_EQ(probe(p[0]), pipe_state::eof) << "closing the channel closed the queued descriptor";
            ::close(b_fd);
        }
        a.close();
        ::close(p[0]);
        settle();
    }
    EXPECT_EQ(open_fds(), fds_before);
}

TEST(channel, a_descriptor_nobody_takes_is_closed) {
    warm_up_loop();
    auto fds_before = open_fds();
    auto [a_fd, b_fd] = ipc::make_socket_pair();
    ipc::channel a{a_fd}, b{b_fd};
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    std::vector<std::string> control, app;
    ipc::detail::on_control(b, [&](std::string_view m) { control.emplace_back(m); });
    b.on_message([&](std::string_view m) { app.emplace_back(m); });
    // A control message with a descriptor and no on_control_fd, and an application
    // message with one: both descriptors are closed by the receiver.
    ASSERT_TRUE(ipc::detail::send_fd(a, ipc::detail::ns::control, "ctl", p[1]));
    ASSERT_TRUE(ipc::detail::send_fd(a, ipc::detail::ns::app, "app", p[1]));
    ASSERT_TRUE(ipc::detail::send_control(a, "done"));
    ::close(p[1]);
    run_until([&] { return !control.empty(); });
    EXPECT_EQ(control, std::vector<std::string>{"done"});
    EXPECT_EQ(app, std::vector<std::string>{"app"});
    EXPECT_EQ(probe(p[0]), pipe_state::eof) << "a passed descriptor was left open";
    a.close();
    b.close();
    ::close(p[0]);
    settle();
    EXPECT_EQ(open_fds(), fds_before);
}
