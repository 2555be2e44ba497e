// Form bodies over real sockets: curl --data-urlencode, wrong types, limits.
#include "support/curl.hpp"
#include "support/http_client.hpp"
#include "support/web_server.hpp"

#include <nodus/form/form.hpp>
#include <nodus/http/answers.hpp>

#include <gtest/gtest.h>

namespace {

class form_http : public ::testing::Test {
protected:
    void SetUp() override {
        web_.router.post("/echo", [](nodus::request req, nodus::response res) {
            nodus::read_form(req, res, 256, [res](std::error_code ec, nodus::form f) {
                if (ec) return;
                std::string out;
                for (auto& [n, v] : f.fields()) out += n + "=" + v + "\n";
                res.end(out);
            });
        });
        port_ = web_.start();
    }
    nodus::test::web_server web_;
    std::uint16_t port_ = 0;
};

TEST_F(form_http, curl_data_urlencode) {
    auto r = nodus::test::curl(
        "--data-urlencode 'name=Ada Lovelace' --data-urlencode 'note=a&b=c%d' -d 'x=1&x=2' "
        "http://127.0.0.1:" +
        std::to_string(port_) + "/echo");
    EXPECT_EQ(r.out, "name=Ada Lovelace\nnote=a&b=c%d\nx=1\nx=2\n");
}

TEST_F(form_http, not_a_form_is_415_and_too_large_is_413) {
    auto r = nodus::test::exchange(port_,
                                   "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 2\r\n\r\n{}");
    EXPECT_EQ(r.status, 415);
    r = nodus::test::exchange(
        port_,
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: 300\r\n\r\n" +
            std::string(300, 'a'));
    EXPECT_EQ(r.status, 413);
    r = nodus::test::exchange(port_,
                              "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                              "Application/X-WWW-Form-Urlencoded\r\nContent-Length: 9\r\n\r\n%zz=%41&&");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "%zz=A\n");
}

} // namespace
