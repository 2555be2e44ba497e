#include <nodus/request_id/request_id.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace {

TEST(request_id, validation) {
    EXPECT_TRUE(nodus::valid_request_id("abc-123_x.y:z+/=@"));
    EXPECT_FALSE(nodus::valid_request_id(""));
    EXPECT_FALSE(nodus::valid_request_id(std::string(129, 'a')));
    EXPECT_TRUE(nodus::valid_request_id(std::string(128, 'a')));
    EXPECT_FALSE(nodus::valid_request_id("short", 4));
    for (auto bad : {"a b", "a\"b", "a\r\nb", "a;b", "caf\xc3\xa9", "<script>", "a\tb"})
        EXPECT_FALSE(nodus::valid_request_id(bad)) << bad;
}

TEST(request_id, unique_in_a_process_and_after_fork) {
    std::set<std::string> ids;
    for (int i = 0; i < 10000; ++i) ids.insert(nodus::generate_request_id());
    EXPECT_EQ(ids.size(), 10000u);
    for (auto& id : ids) EXPECT_TRUE(nodus::valid_request_id(id)) << id;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        auto id = nodus::generate_request_id();
        (void)!::write(fds[1], id.data(), id.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    char buf[64];
    auto n = ::read(fds[0], buf, sizeof buf);
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    ASSERT_GT(n, 17);
    std::string child{buf, static_cast<std::size_t>(n)};
    auto parent = nodus::generate_request_id();
    // A worker forked from the same parent draws its own prefix.
    EXPECT_NE(child.substr(0, 16), parent.substr(0, 16));
    EXPECT_EQ(ids.count(child), 0u);
}

} // namespace
