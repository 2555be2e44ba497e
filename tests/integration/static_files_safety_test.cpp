// static_files against hostile paths on raw sockets: every spelling of "..", encoded
// separators, NUL bytes, overlong UTF-8, absolute paths, symbolic links out of the root
// (with openat2 and with the fallback check), dotfiles and FIFOs. The secret beside the root
// must never be in the bytes that come back.
#include "support/http_client.hpp"
#include "support/static_tree.hpp"
#include "support/test_server.hpp"

#include "static_files/detail/open.hpp"

#include <nodus/static_files/static_files.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using nodus::test::roundtrip;
using nodus::test::secret_text;
using nodus::test::static_tree;
using nodus::test::status_of;
using nodus::test::test_server;

namespace {

const char* const traversals[] = {
    "/../secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/..%5csecret.txt",
    "/..%5Csecret.txt",
    "/..\\secret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..%255csecret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%C0%AE%C0%AE/secret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/%f0%80%80%ae%f0%80%80%ae/secret.txt",
    "/..%c0%afsecret.txt",
    "/..%e0%80%afsecret.txt",
    "/sub/../../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/sub/..%2f..%2fsecret.txt",
    "//../secret.txt",
    "/./../secret.txt",
    "/..",
    "/%2e%2e",
    "/..;/secret.txt",
    "/%2fsecret.txt",
    "/%2f..%2fsecret.txt",
    "/%00../secret.txt",
    "/hello.txt%00.png",
    "/..%00/secret.txt",
    "/%u002e%u002e/secret.txt",
    "/%%32%65%%32%65/secret.txt",
    "/%/secret.txt",
    "/%2",
    "/link_out",
    "/link_abs",
    "/up/secret.txt",
    "/outdir/secret.txt",
    "/up/public/../secret.txt",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/../../../../../../etc/passwd",
    "//etc/passwd",
    "/%2Fetc%2Fpasswd",
    "/....//secret.txt",
    "/.../secret.txt",
};

class static_files_safety : public ::testing::Test {
protected:
    static_tree tree_;

    // Every spelling, under a mount and at the root: 400 or 404, never the secret.
    void expect_all_refused(const nodus::router& routes) {
        test_server srv{routes};
        for (const char* path : traversals) {
            for (const std::string& target : {std::string("/assets") + path, std::string(path)}) {
                auto raw = roundtrip(srv.port(),
                                     "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                int status = status_of(raw);
                EXPECT_TRUE(status == 404 || status == 400) << target << " answered " << status;
                EXPECT_EQ(raw.find(secret_text), std::string::npos) << target << " leaked the secret";
                EXPECT_EQ(raw.find("root:"), std::string::npos) << target << " leaked /etc/passwd";
            }
        }
        // Absolute-form targets and HEAD take the same path.
        auto abs = roundtrip(
            srv.port(), "GET http://t/assets/../secret.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(abs.find(secret_text), std::string::npos);
        // The server is still there, and still serves what it should.
        auto ok =
            roundtrip(srv.port(), "GET /assets/link_in HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(status_of(ok), 200);
        EXPECT_NE(ok.find("hello world"), std::string::npos);
    }
};

} // namespace

TEST_F(static_files_safety, no_spelling_of_a_path_leaves_the_root) {
    nodus::router routes;
    routes.use("/assets", nodus::static_files(tree_.root, {.fallthrough = false}));
    routes.use(nodus::static_files(tree_.root));
    expect_all_refused(routes);
}

TEST_F(static_files_safety, the_fallback_check_without_openat2_refuses_the_same_links) {
    nodus::detail::files::use_openat2(false);
    nodus::router routes;
    routes.use("/assets", nodus::static_files(tree_.root, {.fallthrough = false}));
    routes.use(nodus::static_files(tree_.root));
    expect_all_refused(routes);
    nodus::detail::files::use_openat2(true);
}

TEST_F(static_files_safety, links_lead_out_only_when_the_option_allows) {
    nodus::router routes;
    routes.use("/open", nodus::static_files(tree_.root, {.follow_symlinks_outside = true}));
    test_server srv{routes};
    auto raw = roundtrip(srv.port(), "GET /open/link_out HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(raw), 200);
    EXPECT_NE(raw.find(secret_text), std::string::npos);
    // Still no ".." by name.
    auto dots =
        roundtrip(srv.port(), "GET /open/%2e%2e/secret.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(dots), 404);
    EXPECT_EQ(dots.find(secret_text), std::string::npos);
}

TEST_F(static_files_safety, dotfiles_are_hidden_denied_or_allowed) {
    nodus::router routes;
    routes.use("/ignore", nodus::static_files(tree_.root, {.fallthrough = false}));
    routes.use("/deny", nodus::static_files(tree_.root, {.dotfiles = nodus::dotfiles::deny}));
    routes.use("/allow", nodus::static_files(tree_.root, {.dotfiles = nodus::dotfiles::allow}));
    test_server srv{routes};
    auto status = [&](const std::string& target) {
        return status_of(
            roundtrip(srv.port(), "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    };
    for (const char* p : {"/.env", "/%2eenv", "/.hidden/x.txt", "/.hidden/", "/sub/../.env"}) {
        EXPECT_EQ(status(std::string("/ignore") + p), 404) << p;
        EXPECT_EQ(status(std::string("/deny") + p), std::string_view(p) == "/sub/../.env" ? 404 : 403) << p;
    }
    auto raw = roundtrip(srv.port(), "GET /allow/.env HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(raw), 200);
    EXPECT_NE(raw.find("DOTSECRET"), std::string::npos);
    EXPECT_EQ(status("/allow/.hidden/x.txt"), 200);
}

TEST_F(static_files_safety, a_fifo_or_a_missing_file_is_not_found_at_once) {
    nodus::router routes;
    routes.use(nodus::static_files(tree_.root, {.fallthrough = false}));
    test_server srv{routes};
    auto start = std::chrono::steady_clock::now();
    auto raw = roundtrip(srv.port(), "GET /fifo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(raw), 404);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_EQ(
        status_of(roundtrip(srv.port(), "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")),
        404);
    EXPECT_EQ(status_of(roundtrip(srv.port(), "GET /%zz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")),
              400);
}
