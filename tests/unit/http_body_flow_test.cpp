// The request body's flow state machine, without a connection.
#include "http/detail/body_flow.hpp"

#include <nodus/http/error.hpp>

#include <gtest/gtest.h>

#include <string>

using nodus::detail::body_flow;
using nodus::detail::body_state;

TEST(body_flow, asking_for_data_starts_the_flow_once) {
    body_flow f;
    EXPECT_EQ(f.state(), body_state::unread);
    EXPECT_TRUE(f.on_data([](std::string_view) {}));
    EXPECT_EQ(f.state(), body_state::flowing);
    EXPECT_FALSE(f.on_data([](std::string_view) {})); // already flowing: nothing to wake
    EXPECT_TRUE(f.asked());
}

TEST(body_flow, pause_before_asking_holds_on_end) {
    body_flow f;
    f.pause();
    EXPECT_EQ(f.state(), body_state::held);
    EXPECT_TRUE(f.paused());
    EXPECT_FALSE(f.on_end([] {})); // held: registering the end does not start reading
    EXPECT_FALSE(f.asked());
    EXPECT_TRUE(f.resume());
    EXPECT_EQ(f.state(), body_state::flowing);
}

TEST(body_flow, pause_and_resume_after_asking) {
    body_flow f;
    std::string got;
    f.on_data([&](std::string_view c) { got += c; });
    f.pause();
    EXPECT_EQ(f.state(), body_state::paused);
    EXPECT_TRUE(f.asked());
    EXPECT_FALSE(f.flowing());
    EXPECT_TRUE(f.resume());
    f.deliver("ab");
    f.deliver("c");
    EXPECT_EQ(got, "abc");
}

TEST(body_flow, finish_runs_on_end_once_and_settles) {
    body_flow f;
    int ends = 0;
    f.on_end([&] { ++ends; });
    f.finish();
    f.finish();
    EXPECT_EQ(ends, 1);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.on_data([](std::string_view) {}));
    EXPECT_FALSE(f.resume());
    f.on_end([&] { ++ends; }); // already complete: runs at once
    EXPECT_EQ(ends, 2);
    f.fail(make_error_code(nodus::errc::aborted)); // too late: stays done
    EXPECT_TRUE(f.done());
}

TEST(body_flow, fail_tells_on_error_and_the_collector) {
    body_flow f;
    std::error_code err, collected;
    bool ended = false;
    f.on_error([&](std::error_code ec) { err = ec; });
    f.start_collect(
        10, [&](std::error_code ec, std::string) { collected = ec; }, [](std::string_view) {},
        [&] { ended = true; });
    f.fail(make_error_code(nodus::errc::timeout));
    EXPECT_EQ(err, nodus::errc::timeout);
    EXPECT_EQ(collected, nodus::errc::timeout);
    EXPECT_FALSE(ended);
    EXPECT_EQ(f.state(), body_state::failed);
    EXPECT_FALSE(f.on_end([&] { ended = true; }));
    EXPECT_FALSE(ended);
}

TEST(body_flow, collecting_stops_at_the_limit) {
    body_flow f;
    std::error_code got;
    std::string body;
    f.start_collect(
        4,
        [&](std::error_code ec, std::string b) {
            got = ec;
            body = std::move(b);
        },
        nullptr, nullptr);
    EXPECT_TRUE(f.collect_chunk("ab"));
    EXPECT_FALSE(f.collect_chunk("cde"));
    EXPECT_EQ(got, nodus::errc::body_too_large);
    EXPECT_TRUE(body.empty());
    EXPECT_TRUE(f.collect_chunk("x")); // told once; the rest is ignored
}

TEST(body_flow, collecting_delivers_the_whole_body) {
    body_flow f;
    std::string body;
    f.start_collect(
        8,
        [&](std::error_code ec, std::string b) {
            EXPECT_FALSE(ec);
            body = std::move(b);
        },
        nullptr, nullptr);
    f.collect_chunk("hello ");
    f.collect_chunk("yo");
    f.finish_collect();
    EXPECT_EQ(body, "hello yo");
}

TEST(body_flow, reset_forgets_everything) {
    body_flow f;
    f.on_data([](std::string_view) {});
    f.set_continue_answered();
    f.finish();
    f.reset();
    EXPECT_EQ(f.state(), body_state::unread);
    EXPECT_FALSE(f.continue_answered());
    EXPECT_STREQ(to_string(f.state()), "unread");
}
