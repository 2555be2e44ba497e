// static_files's open-file cache: a file is reused for open_file_cache and then looked up
// again (a replaced file is seen after that, at once with the cache off), a deleted file is
// not held open past it, and no more than open_file_cache_max files stay open.
#include "support/http_client.hpp"
#include "support/static_tree.hpp"
#include "support/test_server.hpp"
#include "support/wait_until.hpp"

#include <nodus/static_files/static_files.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

using nodus::test::client;
using nodus::test::static_tree;
using nodus::test::test_server;
using nodus::test::wait_until;

namespace {

// Descriptors of this process open on files whose path starts with `prefix`.
int open_below(const std::string& prefix) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        auto target = std::filesystem::read_symlink(e.path(), ec).string();
        if (!ec && target.starts_with(prefix)) ++n;
    }
    return n;
}

std::string body_of(std::uint16_t port, const std::string& target) {
    client c{port};
    return c.exchange("GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n").body;
}

// Replace `path` by a new file (a new inode), as a deployment does.
void replace(const std::string& path, const std::string& text) {
    static_tree::write(path + ".new", text);
    std::filesystem::rename(path + ".new", path);
}

} // namespace

TEST(static_files_cache, a_replaced_file_is_seen_once_the_entry_is_no_longer_valid) {
    static_tree tree;
    nodus::router routes;
    routes.use("/c", nodus::static_files(tree.root, {.open_file_cache = std::chrono::milliseconds(300)}));
    routes.use("/n", nodus::static_files(tree.root, {.open_file_cache = std::chrono::milliseconds(0)}));
    test_server srv{routes};
    EXPECT_EQ(body_of(srv.port(), "/c/hello.txt"), "hello world\n");
    EXPECT_EQ(body_of(srv.port(), "/n/hello.txt"), "hello world\n");
    auto replaced_at = std::chrono::steady_clock::now();
    replace(tree.root + "/hello.txt", "new contents\n");
    // Without the cache, at once; with it, the old file (whole) until it is looked up again.
    EXPECT_EQ(body_of(srv.port(), "/n/hello.txt"), "new contents\n");
    auto cached = body_of(srv.port(), "/c/hello.txt");
    if (std::chrono::steady_clock::now() - replaced_at < std::chrono::milliseconds(250)) {
        EXPECT_EQ(cached, "hello world\n") << "the cache was not used";
    }
    EXPECT_TRUE(wait_until([&] { return body_of(srv.port(), "/c/hello.txt") == "new contents\n"; },
                           std::chrono::seconds(3)));
    EXPECT_GE(std::chrono::steady_clock::now() - replaced_at, std::chrono::milliseconds(250));
}

TEST(static_files_cache, a_deleted_file_is_not_held_open) {
    static_tree tree;
    nodus::router routes;
    routes.use(nodus::static_files(tree.root, {.open_file_cache = std::chrono::milliseconds(200)}));
    test_server srv{routes};
    EXPECT_EQ(body_of(srv.port(), "/digits.txt"), "0123456789abcdefghij");
    EXPECT_TRUE(wait_until([&] { return open_below(tree.root + "/digits.txt") == 1; }))
        << "the cache keeps the file open";
    std::filesystem::remove(tree.root + "/digits.txt");
    // Any later request sweeps the entries past their time.
    EXPECT_TRUE(wait_until([&] {
        body_of(srv.port(), "/hello.txt");
        return open_below(tree.root + "/digits.txt") == 0;
    }));
    client c{srv.port()};
    EXPECT_EQ(c.exchange("GET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n").status, 404);
}

TEST(static_files_cache, at_most_open_file_cache_max_files_stay_open) {
    static_tree tree;
    for (int i = 0; i < 8; ++i)
        static_tree::write(tree.root + "/f" + std::to_string(i) + ".txt", std::to_string(i));
    nodus::router routes;
    routes.use(nodus::static_files(tree.root,
                                   {.open_file_cache = std::chrono::seconds(60), .open_file_cache_max = 3}));
    test_server srv{routes};
    for (int round = 0; round < 2; ++round)
        for (int i = 0; i < 8; ++i)
            EXPECT_EQ(body_of(srv.port(), "/f" + std::to_string(i) + ".txt"), std::to_string(i));
    // The last response's own descriptor closes just after its bytes left.
    EXPECT_TRUE(wait_until([&] { return open_below(tree.root + "/") == 3; })) << open_below(tree.root + "/");
}
