// Compression over real sockets: curl --compressed, raw negotiation, the cases that must
// stay uncompressed, streaming with backpressure, and gzip request bodies (bombs, corrupt
// and truncated streams, unknown codings).
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/wait_until.hpp"
#include "support/web_server.hpp"

#include "compress/detail/zstream.hpp"

#include <nodus/compress/compression.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>

namespace {

using nodus::content_coding;

std::string json_text(std::size_t n) {
    std::string s = "[";
    for (int i = 0; s.size() < n; ++i)
        s += "{\"id\":" + std::to_string(i) + ",\"title\":\"buy milk\",\"done\":false},";
    s.resize(n);
    return s;
}

// Text that compresses to about half: backpressure needs compressed bytes to pile up.
std::string noisy_text(std::size_t n) {
    std::mt19937 rng{7};
    std::string s(n, ' ');
    for (auto& c : s) c = static_cast<char>('a' + rng() % 16);
    return s;
}

std::string gzip(std::string_view data, content_coding c = content_coding::gzip) {
    nodus::detail::deflater d{c, 6};
    std::string out;
    d.compress(data, true, out);
    return out;
}

std::string gunzip(std::string_view data, content_coding c = content_coding::gzip) {
    nodus::detail::inflater in{c, 1u << 30};
    std::string out;
    EXPECT_EQ(in.feed(data, out), nodus::detail::inflater::result::done);
    return out;
}

class compress_http : public ::testing::Test {
protected:
    void SetUp() override {
        web_.router.use(nodus::compression({.threshold = 1024}));
        web_.router.get("/json", [](nodus::request req, nodus::response res) {
            res.set("Content-Type", "application/json");
            if (req.has_query("etag")) res.set("ETag", "\"v1\"");
            res.end(json_text(std::stoul(std::string{req.query("n")})));
        });
        web_.router.get("/png", [](nodus::request, nodus::response res) {
            res.set("Content-Type", "image/png");
            res.end(json_text(5000));
        });
        web_.router.get("/encoded", [](nodus::request, nodus::response res) {
            res.set("Content-Type", "text/plain");
            res.set("Content-Encoding", "br");
            res.end(json_text(5000));
        });
        web_.router.get("/empty", [](nodus::request, nodus::response res) {
            res.set("Content-Type", "text/plain");
            res.status(204).end();
        });
        web_.router.get("/stream", [this](nodus::request, nodus::response res) {
            res.set("Content-Type", "text/plain");
            auto left = std::make_shared<std::size_t>(stream_pieces);
            auto pump = std::make_shared<std::function<void()>>();
            *pump = [this, res, left, weak = std::weak_ptr<std::function<void()>>(pump)] {
                while (*left > 0) {
                    --*left;
                    if (!res.write(noisy_piece_)) {
                        ++pushed_back_;
                        return; // on_drain continues
                    }
                }
                res.end();
            };
            res.on_drain([pump] { (*pump)(); });
            (*pump)();
        });
        web_.router.get("/head-first", [](nodus::request, nodus::response res) {
            res.set("Content-Type", "application/json");
            res.write_head(200);
            for (int i = 0; i < 10; ++i) res.write(json_text(300));
            res.end("]");
        });
        web_.router.post("/upload", [](nodus::request req, nodus::response res) {
            nodus::read_body(req, res, 1 << 20, [res](std::error_code ec, std::string body) {
                if (ec) return;
                res.set("Content-Type", "text/plain");
                res.set("Content-Encoding", "identity");
                res.end(std::to_string(body.size()) + ":" + body.substr(0, 16));
            });
        });
        port_ = web_.start();
    }
    nodus::test::parsed_response ask(std::string_view method, std::string_view path,
                                     std::string_view headers) {
        return nodus::test::exchange(port_,
                                     std::string{method} + " " + std::string{path} +
                                         " HTTP/1.1\r\nHost: x\r\n" + std::string{headers} + "\r\n",
                                     method == "HEAD");
    }
    std::string url(std::string_view path) {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string{path};
    }

    static constexpr std::size_t stream_pieces = 128;
    std::string noisy_piece_ = noisy_text(64 * 1024);
    std::atomic<int> pushed_back_{0};
    nodus::test::web_server web_;
    std::uint16_t port_ = 0;
};

TEST_F(compress_http, curl_compressed) {
    auto r = nodus::test::curl("--compressed " + url("/json?n=20000"));
    EXPECT_EQ(r.out, json_text(20000));
    auto w = nodus::test::curl("--compressed -o /dev/null -w '%{size_download} %header{content-encoding}' " +
                               url("/json?n=20000"));
    auto space = w.out.find(' ');
    ASSERT_NE(space, std::string::npos) << w.out;
    EXPECT_LT(std::stoul(w.out.substr(0, space)), 20000u / 4);
    EXPECT_EQ(w.out.substr(space + 1), "gzip");
    // Without --compressed, curl asks for nothing and gets the identity.
    EXPECT_EQ(nodus::test::curl(url("/json?n=20000")).out, json_text(20000));
}

TEST_F(compress_http, negotiation_on_the_wire) {
    auto r = ask("GET", "/json?n=5000&etag", "Accept-Encoding: gzip, deflate\r\n");
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.header("Vary"), "Accept-Encoding");
    EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
    EXPECT_EQ(r.header("ETag"), "W/\"v1\"");
    EXPECT_EQ(gunzip(r.body), json_text(5000));

    r = ask("GET", "/json?n=5000", "Accept-Encoding: gzip;q=0.2, deflate;q=0.9\r\n");
    EXPECT_EQ(r.header("Content-Encoding"), "deflate");
    EXPECT_EQ(gunzip(r.body, content_coding::deflate), json_text(5000));

    for (auto h : {"gzip;q=0", "br", "gzip;q=abc", "gzip;q=5", ";;;,,,", "identity", "*;q=0, identity"}) {
        r = ask("GET", "/json?n=5000", "Accept-Encoding: " + std::string{h} + "\r\n");
        EXPECT_FALSE(r.has_header("Content-Encoding")) << h;
        EXPECT_EQ(r.body, json_text(5000)) << h;
        EXPECT_EQ(r.header("Vary"), "Accept-Encoding") << h;
    }
    r = ask("GET", "/json?n=5000", "");
    EXPECT_FALSE(r.has_header("Content-Encoding"));
}

TEST_F(compress_http, what_stays_uncompressed) {
    auto r = ask("GET", "/json?n=1000", "Accept-Encoding: gzip\r\n");
    EXPECT_FALSE(r.has_header("Content-Encoding")); // under the threshold
    EXPECT_EQ(r.header("Vary"), "Accept-Encoding");
    r = ask("GET", "/json?n=100", "Accept-Encoding: gzip, identity;q=0\r\n");
    EXPECT_EQ(r.header("Content-Encoding"), "gzip"); // identity refused: any size
    EXPECT_EQ(gunzip(r.body), json_text(100));
    r = ask("HEAD", "/json?n=5000", "Accept-Encoding: gzip\r\n");
    EXPECT_FALSE(r.has_header("Content-Encoding"));
    EXPECT_EQ(r.header("Content-Length"), "5000");
    EXPECT_EQ(r.header("Vary"), "Accept-Encoding");
    r = ask("GET", "/png", "Accept-Encoding: gzip\r\n");
    EXPECT_FALSE(r.has_header("Content-Encoding"));
    EXPECT_FALSE(r.has_header("Vary"));
    r = ask("GET", "/encoded", "Accept-Encoding: gzip\r\n");
    EXPECT_EQ(r.header("Content-Encoding"), "br");
    EXPECT_EQ(r.body, json_text(5000));
    r = ask("GET", "/empty", "Accept-Encoding: gzip\r\n");
    EXPECT_EQ(r.status, 204);
    EXPECT_FALSE(r.has_header("Content-Encoding"));
    r = ask("GET", "/missing", "Accept-Encoding: gzip\r\n");
    EXPECT_EQ(r.status, 404);
    EXPECT_FALSE(r.has_header("Content-Encoding"));
}

TEST_F(compress_http, streamed_chunked_with_backpressure) {
    nodus::test::client c{port_, std::chrono::seconds(20)};
    c.send("GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    // The client reads nothing until the compressed bytes have filled the socket and the
    // queue: the application's write() said so.
    ASSERT_TRUE(nodus::test::wait_until([&] { return pushed_back_ > 0; }, std::chrono::seconds(10)));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->chunked);
    EXPECT_EQ(r->header("Content-Encoding"), "gzip");
    auto plain = gunzip(r->body);
    ASSERT_EQ(plain.size(), stream_pieces * noisy_piece_.size());
    EXPECT_EQ(plain.substr(0, noisy_piece_.size()), noisy_piece_);
    EXPECT_GT(pushed_back_, 0);
}

TEST_F(compress_http, write_head_first_then_pieces) {
    auto r = ask("GET", "/head-first", "Accept-Encoding: gzip\r\n");
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    std::string want;
    for (int i = 0; i < 10; ++i) want += json_text(300);
    EXPECT_EQ(gunzip(r.body), want + "]");
}

TEST_F(compress_http, gzip_request_bodies) {
    auto body = json_text(300000);
    auto file = ::testing::TempDir() + "nodus-upload-" + std::to_string(port_) + ".gz";
    {
        std::ofstream f{file, std::ios::binary};
        f << gzip(body);
    }
    auto r = nodus::test::curl("--data-binary @" + file + " -H 'Content-Encoding: gzip' " + url("/upload"));
    std::remove(file.c_str());
    EXPECT_EQ(r.out, "300000:" + body.substr(0, 16));

    auto post = [&](std::string_view coding, std::string_view bytes) {
        return nodus::test::exchange(
            port_,
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: " + std::string{coding} +
                "\r\nContent-Length: " + std::to_string(bytes.size()) + "\r\n\r\n" + std::string{bytes});
    };
    EXPECT_EQ(post("deflate", gzip("hello", content_coding::deflate)).body, "5:hello");
    EXPECT_EQ(post("identity", "plain").body, "5:plain");

    // A bomb: 64 MiB of zeros in about 64 KiB; the limit is 1 MiB of decoded bytes.
    std::string zeros(64u << 20, '\0');
    auto bomb = gzip(zeros);
    zeros = {};
    ASSERT_LT(bomb.size(), 200000u);
    auto b = post("gzip", bomb);
    EXPECT_EQ(b.status, 413);
    EXPECT_TRUE(b.closes());
    {
        // Sent slowly enough that the server refuses mid-body: it answers, then closes.
        nodus::test::client c{port_};
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: " +
               std::to_string(bomb.size()) + "\r\n\r\n");
        c.send(std::string_view{bomb}.substr(0, bomb.size() / 2));
        auto r = c.read_response();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_TRUE(c.closed_within(std::chrono::seconds(3)));
    }

    auto good = gzip(json_text(5000));
    auto corrupt = good;
    for (std::size_t i = 20; i < 60; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
    EXPECT_EQ(post("gzip", corrupt).status, 400);
    EXPECT_EQ(post("gzip", good.substr(0, good.size() - 8)).status, 400); // truncated
    EXPECT_EQ(post("gzip", "definitely not gzip").status, 400);
    EXPECT_EQ(post("br", "whatever").status, 415);
    EXPECT_EQ(post("gzip, gzip", good).status, 415);
    // The server is still fine.
    EXPECT_EQ(post("gzip", good).body, "5000:" + json_text(16));
}

} // namespace
