// X-Request-Id over real sockets: generated, taken when valid, replaced when not, and on
// the framework's own answers.
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/web_server.hpp"

#include <nodus/request_id/request_id.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

class request_id_http : public ::testing::Test {
protected:
    void SetUp() override {
        web_.router.use(nodus::request_id());
        web_.router.get("/id", [](nodus::request, nodus::response res) {
            res.end(std::string{nodus::request_id_of(res)});
        });
        web_.router.get("/drop", [](nodus::request, nodus::response) {});
        port_ = web_.start();
    }
    nodus::test::parsed_response ask(std::string_view path, std::string_view headers = {}) {
        return nodus::test::exchange(
            port_, "GET " + std::string{path} + " HTTP/1.1\r\nHost: x\r\n" + std::string{headers} + "\r\n");
    }
    nodus::test::web_server web_;
    std::uint16_t port_ = 0;
};

TEST_F(request_id_http, generated_unique_and_echoed) {
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i) {
        auto r = ask("/id");
        auto id = r.header("X-Request-Id");
        EXPECT_TRUE(nodus::valid_request_id(id)) << id;
        EXPECT_EQ(r.body, id);
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 50u);
    EXPECT_NE(ask("/missing").header("X-Request-Id"), "");
    EXPECT_NE(ask("/drop").header("X-Request-Id"), ""); // the connection's own 500
}

TEST_F(request_id_http, incoming_taken_when_valid_replaced_when_not) {
    EXPECT_EQ(ask("/id", "X-Request-Id: abc-123.x\r\n").header("X-Request-Id"), "abc-123.x");
    const std::vector<std::string> bad_ids{"has space", "quote\"d", std::string(200, 'a'), "semi;colon",
                                           "\xc3\xa9t\xc3\xa9"};
    for (auto& bad : bad_ids) {
        auto r = ask("/id", "X-Request-Id: " + bad + "\r\n");
        EXPECT_NE(r.header("X-Request-Id"), bad);
        EXPECT_TRUE(nodus::valid_request_id(r.header("X-Request-Id")));
    }
    auto c = nodus::test::curl(
        "-D - -o /dev/null -H 'X-Request-Id: from-curl-1' http://127.0.0.1:" + std::to_string(port_) + "/id");
    EXPECT_NE(c.out.find("X-Request-Id: from-curl-1\r\n"), std::string::npos) << c.out;
}

} // namespace
