// static_files on a real socket, with curl and raw requests: types and validators, HEAD,
// conditional requests (304, 412), ranges of every form, index files and the redirect to
// the trailing slash, precompressed siblings, methods and fallthrough.
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/static_tree.hpp"
#include "support/test_server.hpp"

#include "http/detail/access.hpp"

#include <nodus/compress/compression.hpp>
#include <nodus/static_files/static_files.hpp>

#include <gtest/gtest.h>

#include <string>

using nodus::test::client;
using nodus::test::curl;
using nodus::test::parsed_response;
using nodus::test::static_tree;
using nodus::test::test_server;

namespace {

class static_files_http : public ::testing::Test {
protected:
    static_files_http() {
        routes_.use("/assets", nodus::static_files(tree_.root, {.fallthrough = false}));
        routes_.use("/ft", nodus::static_files(tree_.root));
        routes_.get("/ft/api", [](nodus::request, nodus::response res) { res.end("api"); });
        routes_.use(
            "/pre",
            nodus::static_files(
                tree_.root, {.fallthrough = false, .precompressed_br = true, .precompressed_gzip = true}));
        routes_.use(
            "/cached",
            nodus::static_files(tree_.root, {.max_age = std::chrono::hours(24 * 365), .immutable = true}));
        routes_.use("/nocache", nodus::static_files(tree_.root, {.no_cache = true}));
        srv_ = std::make_unique<test_server>(routes_);
    }

    parsed_response get(const std::string& target, const std::string& headers = {},
                        const char* method = "GET") {
        client c{srv_->port()};
        return c.exchange(std::string(method) + " " + target + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n",
                          std::string_view(method) == "HEAD");
    }
    std::string url(const std::string& path) const {
        return "'http://127.0.0.1:" + std::to_string(srv_->port()) + path + "'";
    }
    std::uint64_t sent_with_sendfile() {
        std::uint64_t n = 0;
        srv_->on_loop([&] { n = nodus::detail::sendfile_bytes(); });
        return n;
    }

    static_tree tree_;
    nodus::router routes_;
    std::unique_ptr<test_server> srv_;
};

} // namespace

TEST_F(static_files_http, serves_a_file_with_its_type_validators_and_sendfile) {
    auto before = sent_with_sendfile();
    auto r = get("/assets/hello.txt");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello world\n");
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r.header("Content-Length"), "12");
    EXPECT_EQ(r.header("Accept-Ranges"), "bytes");
    EXPECT_EQ(r.header("Cache-Control"), "public, max-age=0");
    EXPECT_TRUE(r.header("ETag").starts_with("\"")) << r.header("ETag");
    EXPECT_TRUE(r.header("Last-Modified").ends_with(" GMT"));
    EXPECT_EQ(sent_with_sendfile() - before, 12u) << "the body did not go out with sendfile";
    EXPECT_EQ(get("/assets/photo.JPG").header("Content-Type"), "image/jpeg");
    EXPECT_EQ(get("/assets/data.unknownext").header("Content-Type"), "application/octet-stream");
    EXPECT_EQ(get("/assets/app.js").header("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(static_files_http, curl_downloads_the_file_byte_for_byte) {
    auto r = curl("-o - " + url("/assets/digits.txt"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "0123456789abcdefghij");
}

TEST_F(static_files_http, head_has_the_headers_and_no_body) {
    auto r = curl("-I " + url("/assets/hello.txt"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos);
    EXPECT_NE(r.out.find("Content-Length: 12"), std::string::npos);
    EXPECT_EQ(r.out.find("hello world"), std::string::npos);
    // On one connection: the HEAD's answer has no body, so the next answer parses.
    client c{srv_->port()};
    auto h = c.exchange("HEAD /assets/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", true);
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.header("Content-Length"), "12");
    EXPECT_TRUE(h.body.empty());
    auto g = c.exchange("GET /assets/digits.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(g.body, "0123456789abcdefghij");
}

TEST_F(static_files_http, conditional_requests_answer_304_and_412) {
    auto first = get("/assets/hello.txt");
    auto etag = first.header("ETag");
    auto modified = first.header("Last-Modified");
    auto r = get("/assets/hello.txt", "If-None-Match: " + etag + "\r\n");
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.header("ETag"), etag);
    EXPECT_EQ(get("/assets/hello.txt", "If-None-Match: \"other\", W/" + etag + "\r\n").status, 304);
    EXPECT_EQ(get("/assets/hello.txt", "If-None-Match: \"other\"\r\n").status, 200);
    EXPECT_EQ(get("/assets/hello.txt", "If-Modified-Since: " + modified + "\r\n").status, 304);
    EXPECT_EQ(get("/assets/hello.txt", "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT\r\n").status, 200);
    // If-None-Match wins over If-Modified-Since.
    EXPECT_EQ(
        get("/assets/hello.txt", "If-None-Match: \"x\"\r\nIf-Modified-Since: " + modified + "\r\n").status,
        200);
    EXPECT_EQ(get("/assets/hello.txt", "If-Match: \"nope\"\r\n").status, 412);
    EXPECT_EQ(get("/assets/hello.txt", "If-Match: W/" + etag + "\r\n").status, 412);
    EXPECT_EQ(get("/assets/hello.txt", "If-Match: " + etag + "\r\n").status, 200);
    EXPECT_EQ(get("/assets/hello.txt", "If-Match: *\r\n").status, 200);
    EXPECT_EQ(get("/assets/hello.txt", "If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT\r\n").status, 412);
    EXPECT_EQ(get("/assets/hello.txt", "If-Unmodified-Since: " + modified + "\r\n").status, 200);
    EXPECT_EQ(get("/assets/hello.txt", "If-Modified-Since: not a date\r\n").status, 200);
    // The obsolete date forms are read too (RFC 9110 5.6.7).
    EXPECT_EQ(get("/assets/hello.txt", "If-Modified-Since: Sunday, 06-Nov-44 08:49:37 GMT\r\n").status, 304);
    EXPECT_EQ(get("/assets/hello.txt", "If-Modified-Since: Sun Nov  6 08:49:37 2044\r\n").status, 304);
    // curl -z sends If-Modified-Since.
    auto z = curl("-o /dev/null -w '%{http_code}' -z '" + modified + "' " + url("/assets/hello.txt"));
    EXPECT_EQ(z.out, "304");
}

TEST_F(static_files_http, single_suffix_and_open_ranges) {
    auto r = curl("-i -r 2-5 " + url("/assets/digits.txt"));
    EXPECT_NE(r.out.find("HTTP/1.1 206"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Content-Range: bytes 2-5/20"), std::string::npos);
    EXPECT_TRUE(r.out.ends_with("\r\n\r\n2345")) << r.out;
    EXPECT_EQ(curl("-r -3 " + url("/assets/digits.txt")).out, "hij");
    EXPECT_EQ(curl("-r 15- " + url("/assets/digits.txt")).out, "fghij");
    auto past = get("/assets/digits.txt", "Range: bytes=18-1000\r\n");
    EXPECT_EQ(past.status, 206);
    EXPECT_EQ(past.body, "ij");
    EXPECT_EQ(past.header("Content-Range"), "bytes 18-19/20");
    EXPECT_EQ(get("/assets/digits.txt", "Range: bytes=-100\r\n").body, "0123456789abcdefghij");
}

TEST_F(static_files_http, unsatisfiable_ranges_answer_416_and_malformed_ones_the_whole_file) {
    auto r = get("/assets/digits.txt", "Range: bytes=20-\r\n");
    EXPECT_EQ(r.status, 416);
    EXPECT_EQ(r.header("Content-Range"), "bytes */20");
    EXPECT_EQ(get("/assets/digits.txt", "Range: bytes=-0\r\n").status, 416);
    EXPECT_EQ(get("/assets/digits.txt", "Range: bytes=30-40, 50-60\r\n").status, 416);
    for (const char* bad : {"bytes=abc", "bytes=5-2", "items=0-1", "bytes=", "bytes=1-2-3", "bytes=--1",
                            "bytes=0-1,x", "bytes 0-1"}) {
        auto w = get("/assets/digits.txt", std::string("Range: ") + bad + "\r\n");
        EXPECT_EQ(w.status, 200) << bad;
        EXPECT_EQ(w.body, "0123456789abcdefghij") << bad;
    }
}

TEST_F(static_files_http, multiple_ranges_come_as_multipart_byteranges) {
    auto r = get("/assets/digits.txt", "Range: bytes=0-1, 5-6, -2\r\n");
    ASSERT_EQ(r.status, 206);
    auto type = r.header("Content-Type");
    ASSERT_TRUE(type.starts_with("multipart/byteranges; boundary=")) << type;
    auto boundary = type.substr(type.find('=') + 1);
    std::string expected = "--" + boundary +
        "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/20\r\n\r\n01" + "\r\n--" +
        boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 5-6/20\r\n\r\n56" +
        "\r\n--" + boundary +
        "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 18-19/20\r\n\r\nij" + "\r\n--" +
        boundary + "--\r\n";
    EXPECT_EQ(r.body, expected);
    EXPECT_EQ(r.header("Content-Length"), std::to_string(expected.size()));
    // curl asks for several ranges with -r a-b,c-d and prints the multipart body.
    auto c = curl("-r 0-0,3-3 " + url("/assets/digits.txt"));
    EXPECT_NE(c.out.find("Content-Range: bytes 3-3/20\r\n\r\n3"), std::string::npos) << c.out;
    // Overlapping ranges, or more than max_ranges (16): the whole file.
    auto o = get("/assets/digits.txt", "Range: bytes=0-5, 3-8\r\n");
    EXPECT_EQ(o.status, 200);
    EXPECT_EQ(o.body, "0123456789abcdefghij");
    std::string many = "Range: bytes=0-0";
    for (int i = 1; i <= 16; ++i) many += "," + std::to_string(i) + "-" + std::to_string(i);
    EXPECT_EQ(get("/assets/digits.txt", many + "\r\n").status, 200);
}

TEST_F(static_files_http, if_range_honours_the_range_only_for_the_current_file) {
    auto first = get("/assets/digits.txt");
    auto etag = first.header("ETag");
    auto r = get("/assets/digits.txt", "Range: bytes=0-1\r\nIf-Range: " + etag + "\r\n");
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "01");
    auto d =
        get("/assets/digits.txt", "Range: bytes=0-1\r\nIf-Range: " + first.header("Last-Modified") + "\r\n");
    EXPECT_EQ(d.status, 206);
    auto m = get("/assets/digits.txt", "Range: bytes=0-1\r\nIf-Range: \"stale\"\r\n");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.body, "0123456789abcdefghij");
    EXPECT_EQ(get("/assets/digits.txt", "Range: bytes=0-1\r\nIf-Range: W/" + etag + "\r\n").status, 200);
    EXPECT_EQ(
        get("/assets/digits.txt", "Range: bytes=0-1\r\nIf-Range: Thu, 01 Jan 1998 00:00:00 GMT\r\n").status,
        200);
}

TEST_F(static_files_http, directories_get_their_index_or_a_redirect_to_the_slash) {
    auto r = get("/assets/sub?x=1&y=2");
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("Location"), "/assets/sub/?x=1&y=2");
    EXPECT_EQ(get("/assets/sub/").body, "<h1>sub</h1>\n");
    EXPECT_EQ(get("/assets/sub/").header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(get("/assets").header("Location"), "/assets/");
    EXPECT_EQ(get("/assets/").body, "<h1>home</h1>\n");
    EXPECT_EQ(get("/assets/nodir/").status, 404);
    EXPECT_EQ(get("/assets/hello.txt/").status, 404);
    // A path that starts with two slashes must not redirect to another host.
    nodus::router root_routes;
    root_routes.use(nodus::static_files(tree_.root));
    srv_.reset();
    srv_ = std::make_unique<test_server>(root_routes);
    auto l = get("//sub");
    EXPECT_EQ(l.status, 301);
    EXPECT_EQ(l.header("Location"), "/sub/");
    EXPECT_EQ(get("/hello.txt").body, "hello world\n");
    // curl follows the redirect to the index.
    EXPECT_EQ(curl("-L " + url("/sub")).out, "<h1>sub</h1>\n");
}

TEST_F(static_files_http, precompressed_siblings_follow_accept_encoding) {
    auto b = get("/pre/app.js", "Accept-Encoding: gzip, br\r\n");
    EXPECT_EQ(b.body, "BROTLI-BYTES");
    EXPECT_EQ(b.header("Content-Encoding"), "br");
    EXPECT_EQ(b.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(b.header("Vary"), "Accept-Encoding");
    auto plain = get("/pre/app.js", "Accept-Encoding: gzip;q=1, br;q=0\r\n");
    EXPECT_EQ(plain.body, "console.log('plain');\n");
    EXPECT_FALSE(plain.has_header("Content-Encoding"));
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
    EXPECT_NE(plain.header("ETag"), b.header("ETag"));
    auto g = get("/pre/style.css", "Accept-Encoding: br;q=0.9, gzip\r\n");
    EXPECT_EQ(g.body, "GZIP-BYTES");
    EXPECT_EQ(g.header("Content-Encoding"), "gzip");
    EXPECT_EQ(get("/pre/style.css", "Accept-Encoding: *\r\n").header("Content-Encoding"), "gzip");
    EXPECT_EQ(get("/pre/style.css", "Accept-Encoding: x-gzip\r\n").header("Content-Encoding"), "gzip");
    EXPECT_EQ(get("/pre/style.css", "Accept-Encoding: gzip;q=0\r\n").body, "body{}\n");
    EXPECT_EQ(get("/pre/style.css").body, "body{}\n");
    // The sibling is not served when asked for without the encoding: /pre/style.css.gz is a
    // file of its own.
    EXPECT_EQ(get("/pre/style.css.gz").header("Content-Type"), "application/gzip");
    EXPECT_EQ(get("/assets/app.js", "Accept-Encoding: br\r\n").body, "console.log('plain');\n");
}

TEST_F(static_files_http, curl_compressed_decodes_a_real_gzip_sibling) {
    std::string text(5000, 'x');
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 23);
    static_tree::write(tree_.root + "/big.txt", text);
    ASSERT_EQ(std::system(("gzip -k -9 " + tree_.root + "/big.txt").c_str()), 0);
    auto r = curl("--compressed -H 'Accept-Encoding: gzip' -D - -o " + tree_.dir + "/out.txt " +
                  url("/pre/big.txt"));
    EXPECT_NE(r.out.find("Content-Encoding: gzip"), std::string::npos) << r.out;
    std::ifstream in(tree_.dir + "/out.txt", std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, text);
}

TEST_F(static_files_http, cache_control_follows_the_options) {
    EXPECT_EQ(get("/cached/hello.txt").header("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(get("/nocache/hello.txt").header("Cache-Control"), "no-cache");
}

TEST_F(static_files_http, other_methods_get_405_or_go_to_the_next_handler) {
    auto r = get("/assets/hello.txt", "Content-Length: 0\r\n", "POST");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
    EXPECT_EQ(get("/ft/hello.txt", "Content-Length: 0\r\n", "DELETE").status, 404);
    EXPECT_EQ(get("/ft/api").body, "api");
    EXPECT_EQ(get("/ft/missing.txt").status, 404);
    EXPECT_EQ(get("/ft/hello.txt").body, "hello world\n");
}

TEST_F(static_files_http, behind_compression_the_file_is_read_and_compressed_without_sendfile) {
    nodus::router z;
    z.use(nodus::compression());
    z.use(nodus::static_files(tree_.root));
    srv_.reset();
    srv_ = std::make_unique<test_server>(z);
    std::string text;
    for (int i = 0; text.size() < (3u << 20); ++i) text += "line " + std::to_string(i) + "\n";
    static_tree::write(tree_.root + "/log.txt", text);
    auto before = sent_with_sendfile();
    auto r =
        curl("--compressed -D " + tree_.dir + "/head.txt -o " + tree_.dir + "/out.txt " + url("/log.txt"));
    EXPECT_EQ(r.exit_code, 0);
    std::ifstream h(tree_.dir + "/head.txt");
    std::string head((std::istreambuf_iterator<char>(h)), std::istreambuf_iterator<char>());
    EXPECT_NE(head.find("Content-Encoding: gzip"), std::string::npos) << head;
    EXPECT_EQ(head.find("Accept-Ranges"), std::string::npos) << "ranges of a compressed body";
    std::ifstream in(tree_.dir + "/out.txt", std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(got == text) << got.size() << " bytes instead of " << text.size();
    EXPECT_EQ(sent_with_sendfile(), before);
    // Without Accept-Encoding: the filter passes the bytes through, still read from the pool.
    auto plain = get("/log.txt");
    EXPECT_EQ(plain.status, 200);
    EXPECT_TRUE(plain.body == text);
    EXPECT_EQ(sent_with_sendfile(), before);
}
