// nodus::json over real sockets, driven by the test kit (nodus::testing): bodies read as
// they arrive, errors answered as JSON, values sent whole or streamed with backpressure.
#include <nodus/json/json.hpp>
#include <nodus/router/router.hpp>
#include <nodus/testing/server.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct todo {
    std::string title;
    bool done = false;
};

todo tag_invoke(boost::json::value_to_tag<todo>, const boost::json::value& v) {
    const auto& o = v.as_object();
    todo t{boost::json::value_to<std::string>(o.at("title"))};
    if (auto* d = o.if_contains("done")) t.done = d->as_bool();
    return t;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const todo& t) {
    v = {{"title", t.title}, {"done", t.done}};
}

class json_http : public ::testing::Test {
protected:
    json_http() {
        routes_.post("/echo", [](nodus::request req, nodus::response res) {
            nodus::json::read(req, res, [res](boost::json::value v) { nodus::json::send(res, std::move(v)); },
                              {.max_bytes = 64 * 1024});
        });
        routes_.post("/todos", [](nodus::request req, nodus::response res) {
            nodus::json::read_as<todo>(req, res, [res](todo t) {
                t.done = !t.done;
                res.status(201);
                nodus::json::send(res, t);
            });
        });
        routes_.post("/throws", [](nodus::request req, nodus::response res) {
            nodus::json::read_as<todo>(req, res,
                                       [](todo) { throw std::runtime_error("the application's bug"); });
        });
        routes_.post("/own-errors", [](nodus::request req, nodus::response res) {
            nodus::json::read(req, [res](nodus::json::read_error err, boost::json::value) {
                res.status(err ? 299 : 200);
                res.end(err ? std::to_string(err.status) : "ok");
            });
        });
        routes_.get("/big", [this](nodus::request req, nodus::response res) {
            big_res_ = res;
            boost::json::array a;
            const auto n = std::stoul(std::string(req.query("n")));
            for (std::size_t i = 0; i < n; ++i) a.push_back({{"id", i}, {"title", std::string(40, 'x')}});
            nodus::json::send(res, std::move(a));
        });
    }
    nodus::router routes_;
    nodus::response big_res_; // the last /big response, read on the loop thread
};

TEST_F(json_http, echoes_a_json_body_with_its_content_type_and_length) {
    nodus::testing::server srv{routes_};
    auto c = srv.client();
    const boost::json::value doc = {{"a", 1}, {"b", {true, nullptr, "x"}}};
    auto r = c.post("/echo").send(doc);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
    EXPECT_EQ(r.json(), doc);
    // A streamed (chunked) upload, split inside a string and a number, on the same connection.
    auto s = c.post("/echo")
                 .set("Content-Type", "application/json; charset=utf-8")
                 .send_chunks({"{\"a\": 1", "2, \"s\": \"he", "llo\"}"});
    EXPECT_EQ(s.status, 200);
    EXPECT_EQ(s.json(), (boost::json::value{{"a", 12}, {"s", "hello"}}));
    EXPECT_EQ(c.connections_opened(), 1);
}

TEST_F(json_http, malformed_json_is_answered_400_with_where) {
    nodus::testing::server srv{routes_};
    auto r = srv.client().post("/echo").set("Content-Type", "application/json").send("{\n\"a\": [1, 2,]\n}");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    auto e = r.json();
    EXPECT_EQ(e.at("line"), 2);
    EXPECT_EQ(e.at("column"), 12); // the "]" after the trailing comma
    EXPECT_EQ(e.at("offset"), 13);
    EXPECT_NE(e.at("error").as_string().find("malformed JSON"), boost::json::string::npos);
}

TEST_F(json_http, a_truncated_upload_is_malformed_at_its_end) {
    nodus::testing::server srv{routes_};
    auto r = srv.client().post("/echo").set("Content-Type", "application/json").send_chunks({"[1, ", "2"});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json().at("offset"), 5);
}

TEST_F(json_http, a_body_over_the_limit_is_answered_413_declared_or_streamed) {
    nodus::testing::server srv{routes_};
    nodus::testing::client c{srv.port()};
    const std::string big = "[\"" + std::string(70 * 1024, 'x') + "\"]";
    auto declared = c.post("/echo").set("Content-Type", "application/json").send(big);
    EXPECT_EQ(declared.status, 413);
    EXPECT_EQ(declared.header("Content-Type"), "application/json");
    EXPECT_NE(declared.json().at("error").as_string().find("65536"), boost::json::string::npos);

    std::vector<std::string> pieces(10, std::string(8 * 1024, ' '));
    pieces.insert(pieces.begin(), "[");
    pieces.push_back("]");
    auto streamed = c.post("/echo").set("Content-Type", "application/json").send_chunks(pieces);
    EXPECT_EQ(streamed.status, 413);
    EXPECT_TRUE(streamed.closes()); // the rest of the body is not read
}

TEST_F(json_http, a_wrong_or_missing_content_type_is_answered_415) {
    nodus::testing::server srv{routes_};
    auto c = srv.client();
    auto text = c.post("/echo").set("Content-Type", "text/plain").send("{}");
    EXPECT_EQ(text.status, 415);
    EXPECT_EQ(text.json().at("error"), "expected Content-Type: application/json, got text/plain");
    EXPECT_EQ(c.post("/echo").send("{}").status, 415);
    EXPECT_EQ(c.post("/echo").set("Content-Type", "application/problem+json").send("{}").status, 200);
    EXPECT_EQ(c.post("/echo").set("Content-Type", "APPLICATION/JSON").send("{}").status, 200);
}

TEST_F(json_http, read_as_converts_to_the_users_type_or_answers_422) {
    nodus::testing::server srv{routes_};
    auto c = srv.client();
    auto ok = c.post("/todos").send(boost::json::value{{"title", "milk"}});
    EXPECT_EQ(ok.status, 201);
    EXPECT_EQ(ok.json(), (boost::json::value{{"title", "milk"}, {"done", true}}));

    auto missing = c.post("/todos").send(boost::json::value{{"name", "milk"}});
    EXPECT_EQ(missing.status, 422);
    EXPECT_NE(missing.json().at("error").as_string().find("does not fit"), boost::json::string::npos);
    EXPECT_EQ(c.post("/todos").send(boost::json::value{{"title", 5}}).status, 422);
    EXPECT_EQ(c.post("/todos").send(boost::json::value{1, 2}).status, 422);
    EXPECT_EQ(c.post("/todos").set("Content-Type", "application/json").send("{\"title\":").status, 400);
}

TEST_F(json_http, hostile_bodies_are_refused_without_harm) {
    nodus::testing::server srv{routes_};
    auto c = srv.client();
    // 60,000 levels of nesting: refused at level 65, the rest of the body is not read.
    auto deep = c.post("/echo").set("Content-Type", "application/json").send(std::string(60000, '['));
    EXPECT_EQ(deep.status, 400);
    EXPECT_EQ(deep.json().at("offset"), 64);
    EXPECT_TRUE(deep.closes());
    auto utf8 = c.post("/echo").set("Content-Type", "application/json").send("[\"\xc3\x28\"]");
    EXPECT_EQ(utf8.status, 400);
    auto huge = c.post("/echo").set("Content-Type", "application/json").send("[1e400]");
    EXPECT_EQ(huge.status, 400);
    EXPECT_EQ(c.post("/echo").send(boost::json::value{{"still", "serving"}}).status, 200);
}

TEST_F(json_http, an_exception_from_the_applications_callback_is_a_500_not_a_422) {
    nodus::testing::server srv{routes_};
    auto r = srv.client().post("/throws").send(boost::json::value{{"title", "milk"}});
    EXPECT_EQ(r.status, 500);
}

TEST_F(json_http, an_application_may_answer_the_errors_itself) {
    nodus::testing::server srv{routes_};
    auto c = srv.client();
    auto r = c.post("/own-errors").set("Content-Type", "application/json").send("nope");
    EXPECT_EQ(r.status, 299);
    EXPECT_EQ(r.body, "400");
    EXPECT_EQ(c.post("/own-errors").send("{}").body, "415");
    EXPECT_EQ(c.post("/own-errors").set("Content-Type", "application/json").send("{}").body, "ok");
}

TEST_F(json_http, a_small_value_goes_in_one_piece_a_large_one_streams) {
    nodus::testing::server srv{routes_};
    auto c = srv.client();
    auto small = c.get("/big?n=10").send();
    EXPECT_EQ(small.status, 200);
    EXPECT_FALSE(small.chunked);
    EXPECT_EQ(small.json().as_array().size(), 10u);

    auto large = c.get("/big?n=20000").send(); // about 1.2 MB of JSON
    EXPECT_EQ(large.status, 200);
    EXPECT_TRUE(large.chunked);
    EXPECT_GT(large.body.size(), 1000000u);
    const auto a = large.json().as_array();
    ASSERT_EQ(a.size(), 20000u);
    EXPECT_EQ(a.back().at("id"), 19999);
    EXPECT_EQ(c.get("/big?n=1").send().status, 200); // the connection is still usable
}

TEST_F(json_http, a_large_value_waits_for_a_slow_reader_instead_of_buffering) {
    nodus::http_config cfg;
    cfg.high_water_mark = 16 * 1024;
    nodus::testing::server srv{routes_, cfg};
    nodus::testing::connection raw{srv.port()};
    raw.send(
        "GET /big?n=200000 HTTP/1.1\r\nHost: x\r\n\r\n"); // about 14 MB of JSON: more than the kernel buffers on loopback
    // The client reads nothing yet: what the server holds is bounded by its high-water mark
    // plus one serialized piece, not by the size of the value.
    std::size_t most = 0;
    bool finished = false;
    for (int i = 0; i < 300; ++i) {
        srv.on_loop([&] {
            if (!big_res_) return;
            most = std::max(most, big_res_.buffered());
            finished = big_res_.finished();
        });
    }
    EXPECT_GT(most, 0u);
    EXPECT_LE(most, cfg.high_water_mark + nodus::json::single_write_bytes);
    EXPECT_FALSE(finished); // the last piece is not queued while the client is not reading
    auto r = raw.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(boost::json::parse(r->body).as_array().size(), 200000u);
    srv.on_loop([&] { big_res_ = {}; });
}

} // namespace
