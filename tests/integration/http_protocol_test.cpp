// RFC 9112 over real sockets: absolute-form targets (§3.2.2), and a chunked body's extensions
// and trailer section (§7.1) — accepted when well-formed, refused with a status the moment
// the bytes show a fault or pass a limit, never by a silent close or a timeout.
#include "support/http_client.hpp"
#include "support/test_server.hpp"

#include <nodus/router/router.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using nodus::request;
using nodus::response;
using nodus::test::client;
using nodus::test::status_of;
using nodus::test::test_server;
using clock_type = std::chrono::steady_clock;

// Every timeout far away: an answer that comes at all comes from the bytes themselves.
nodus::http_config patient() {
    nodus::http_config cfg;
    cfg.header_timeout_ms = 60000;
    cfg.request_timeout_ms = 60000;
    cfg.keep_alive_timeout_ms = 60000;
    return cfg;
}

// Reads the body and answers at its end: the body, then each trailer field, then whether a
// trailer field also shows among the header fields.
void reader(request req, response res) {
    auto body = std::make_shared<std::string>();
    req.on_data([body](std::string_view chunk) { body->append(chunk); });
    req.on_end([req, res, body] {
        std::string out = *body + "|";
        for (const auto& t : req.trailers()) out += std::string{t.name} + "=" + std::string{t.value} + ";";
        out += "|";
        for (const auto& t : req.trailers())
            if (req.has_header(t.name)) out += "merged:" + std::string{t.name};
        res.end(out);
    });
}

const std::string chunked_post = "POST /r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

struct refusal {
    std::string raw;
    clock_type::duration took;
};

// Sends `bytes` and reads until the server closes; `half_close`: then shut our side.
refusal refused(std::uint16_t port, const std::string& bytes, bool half_close = false) {
    client cl{port, 10s};
    const auto start = clock_type::now();
    cl.send(bytes);
    if (half_close) cl.shutdown_write();
    auto raw = cl.read_until_close();
    return {std::move(raw), clock_type::now() - start};
}

void expect_refusal(const refusal& r, int status) {
    EXPECT_EQ(status_of(r.raw), status) << r.raw;
    EXPECT_NE(r.raw.find("Connection: close\r\n"), std::string::npos) << r.raw;
    EXPECT_LT(r.took, 1s) << "the answer waited for a timeout";
}

// ------------------------------------------------------------------ absolute-form

class absolute_form : public ::testing::Test {
protected:
    nodus::router router_; // outlives the server

    std::string get(std::string_view request_bytes) {
        if (!server_) server_.emplace([this](request q, response s) { router_(q, s); }, patient());
        auto r = nodus::test::exchange(server_->port(), request_bytes);
        return std::to_string(r.status) + " " + r.body;
    }

    void SetUp() override {
        auto describe = [](request req, response res) {
            res.end(std::string{req.param("id")} + "|" + std::string{req.path()} + "|" +
                    std::string{req.query("x")} + "|" + std::string{req.host()} + "|" +
                    std::string{req.target()});
        };
        router_.get("/users/:id", describe);
        router_.get("/", describe);
    }

private:
    std::optional<test_server> server_;
};

TEST_F(absolute_form, is_routed_by_its_path_with_its_authority_as_host) {
    EXPECT_EQ(get("GET http://example.com/users/7?x=1 HTTP/1.1\r\nHost: other.org\r\n\r\n"),
              "200 7|/users/7|1|example.com|http://example.com/users/7?x=1");
    EXPECT_EQ(get("GET HTTPS://Example.com:8443/users/a%20b HTTP/1.1\r\nHost: x\r\n\r\n"),
              "200 a b|/users/a%20b||Example.com:8443|HTTPS://Example.com:8443/users/a%20b");
}

TEST_F(absolute_form, without_a_path_is_the_root) {
    EXPECT_EQ(get("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"),
              "200 |/||example.com|http://example.com");
    EXPECT_EQ(get("GET http://example.com?x=2 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
              "200 |/|2|example.com|http://example.com?x=2");
}

TEST_F(absolute_form, still_needs_a_host_field_in_http11_but_not_in_http10) {
    EXPECT_EQ(get("GET http://example.com/users/1 HTTP/1.1\r\n\r\n").substr(0, 4), "400 ");
    EXPECT_EQ(get("GET http://example.com/users/1 HTTP/1.0\r\n\r\n"),
              "200 1|/users/1||example.com|http://example.com/users/1");
    // Origin-form: the Host field is the host.
    EXPECT_EQ(get("GET /users/2 HTTP/1.1\r\nHost: h.example:81\r\n\r\n"),
              "200 2|/users/2||h.example:81|/users/2");
}

// ------------------------------------------------------------------ trailer fields

TEST(chunked_trailers, are_given_to_the_application_after_the_body_never_merged) {
    test_server srv{reader, patient()};
    client cl{srv.port()};
    cl.send(chunked_post +
            "3\r\nabc\r\n2;n=v\r\nde\r\n0\r\nVary: Accept\r\nX-Checksum:  sum-1 \r\n"
            "server-timing: db;dur=5\r\n\r\n");
    auto r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "abcde|Vary=Accept;X-Checksum=sum-1;server-timing=db;dur=5;|");
    EXPECT_FALSE(r->closes());
    // The connection goes on: the next request, with no trailer section, has no trailers.
    cl.send(chunked_post + "1\r\nz\r\n0\r\n\r\n");
    r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "z||");
}

TEST(chunked_trailers, arriving_a_byte_at_a_time_are_the_same) {
    test_server srv{reader, patient()};
    client cl{srv.port()};
    const std::string body = "1\r\na\r\n0\r\nX-A: 1\r\nX-B: \r\n\r\n";
    cl.send(chunked_post);
    for (char c : body) {
        cl.send(std::string_view{&c, 1});
        ASSERT_TRUE(cl.wait_read_by_server());
    }
    auto r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "a|X-A=1;X-B=;|");
}

TEST(chunked_trailers, a_forbidden_or_malformed_field_gets_400_before_the_close) {
    test_server srv{reader, patient()};
    for (const char* section : {"Content-Type: text/plain\r\n", "Host: evil\r\n", "Content-Length: 5\r\n",
                                "Transfer-Encoding: chunked\r\n", "Authorization: x\r\n", "X y: 1\r\n",
                                "X-A: 1\r\n folded\r\n", "X-A: a\x01\r\n", "X-A: 1\n"}) {
        SCOPED_TRACE(section);
        expect_refusal(refused(srv.port(), chunked_post + "1\r\na\r\n0\r\n" + section + "\r\n"), 400);
    }
    // Decided at the line's CR: the final CRLF never comes.
    expect_refusal(refused(srv.port(), chunked_post + "1\r\na\r\n0\r\nCookie: a=b\r"), 400);
}

// ------------------------------------------------------------------ chunk extensions

TEST(chunk_extensions, well_formed_ones_are_accepted_and_dropped) {
    test_server srv{reader, patient()};
    client cl{srv.port()};
    cl.send(chunked_post + "2;a;b=c ; d = \"q \\\" v\"\r\nab\r\n1 ;x=y\r\nc\r\n0;last\r\n\r\n");
    auto r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "abc||");
}

TEST(chunk_extensions, an_unterminated_quoted_string_gets_400_at_once) {
    test_server srv{reader, patient()};
    // The quoted string runs into the line's CRLF: refused there, whatever follows.
    expect_refusal(refused(srv.port(), chunked_post + "1;a=\"abc\r\n"), 400);
    expect_refusal(refused(srv.port(), chunked_post + "1;a=\"abc\r\na\r\n0\r\n\r\n"), 400);
    expect_refusal(refused(srv.port(), chunked_post + "1;a=\"abc\r"), 400);
    // Other broken extensions, each refused by its first wrong byte.
    for (const char* line : {"1;\r\n", "1;a=\r\n", "1;a=\"\x01", "1;a=b c", "1 x", "1;a\n"}) {
        SCOPED_TRACE(line);
        expect_refusal(refused(srv.port(), chunked_post + line), 400);
    }
}

// ------------------------------------------------------------------ limits

TEST(chunked_limits, extensions_over_16_KiB_get_413_at_once) {
    test_server srv{reader, patient()};
    // One long extension with no end of line...
    expect_refusal(refused(srv.port(), chunked_post + "1;a=" + std::string(20000, 'b')), 413);
    // ...the same with the client's FIN after it (the server must not sit on it)...
    expect_refusal(refused(srv.port(), chunked_post + "1;a=" + std::string(20000, 'b'), true), 413);
    // ...and many small ones over the whole body.
    std::string many;
    for (int i = 0; i < 400; ++i) many += "1;e=" + std::string(60, 'v') + "\r\nx\r\n";
    expect_refusal(refused(srv.port(), chunked_post + many), 413);
}

TEST(chunked_limits, a_trailer_section_over_the_header_limits_gets_431_at_once) {
    auto cfg = patient();
    cfg.max_header_bytes = 4096;
    cfg.max_headers = 10;
    test_server srv{reader, cfg};
    const std::string last = chunked_post + "1\r\na\r\n0\r\n";
    expect_refusal(refused(srv.port(), last + "X-Big: " + std::string(5000, 'b')), 431);
    expect_refusal(refused(srv.port(), last + "X-Big: " + std::string(5000, 'b'), true), 431);
    std::string fields;
    for (int i = 0; i < 11; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    expect_refusal(refused(srv.port(), last + fields), 431);
    // At the limits: accepted.
    client cl{srv.port()};
    cl.send(last + "X-Big: " + std::string(4000, 'b') + "\r\n" + fields.substr(fields.find("X-2:")) + "\r\n");
    auto r = cl.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(chunked_limits, a_chunk_over_max_body_bytes_gets_413_before_its_data) {
    auto cfg = patient();
    cfg.max_body_bytes = 1000;
    test_server srv{reader, cfg};
    expect_refusal(refused(srv.port(), chunked_post + "3e8\r\n" + std::string(1000, 'a') + "\r\n1\r\n"), 413);
    expect_refusal(refused(srv.port(), chunked_post + "fffffffff;"), 413);
}

} // namespace
