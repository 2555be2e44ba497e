// apps/todo's routes served in-process by nodus::testing (the way a user tests a service),
// compiled from the app's own main.cpp. The same contract is checked from outside, against
// the real binary, by todo_contract.py.
#include <nodus/nodus.hpp>
#include <nodus/testing/client.hpp>
#include <nodus/testing/server.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <string>

void add_todo_routes(nodus::router& app); // apps/todo/main.cpp

namespace {

namespace json = boost::json;

// The routes keep their list for the whole test program: each test reads ids from answers.
struct todo_service {
    nodus::router routes;
    todo_service() { add_todo_routes(routes); }
};

void expect_json_error(const nodus::testing::response& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << r.body;
    ASSERT_NO_THROW(r.json()) << r.body;
    EXPECT_TRUE(r.json().as_object().at("error").is_string()) << r.body;
    EXPECT_FALSE(r.header("X-Request-Id").empty());
}

} // namespace

TEST(todo_app, create_read_update_delete) {
    todo_service app;
    nodus::testing::server srv{app.routes};
    auto c = srv.client();

    auto created = c.post("/todos").send(json::value{{"title", "write tests"}});
    ASSERT_EQ(created.status, 201) << created.body;
    auto id = created.json().at("id").as_int64();
    EXPECT_EQ(created.header("Location"), "/todos/" + std::to_string(id));
    EXPECT_EQ(created.json(), (json::value{{"id", id}, {"title", "write tests"}, {"done", false}}));

    auto read = c.get("/todos/" + std::to_string(id)).send();
    EXPECT_EQ(read.status, 200);
    EXPECT_EQ(read.json(), created.json());

    auto patched = c.patch("/todos/" + std::to_string(id)).send(json::value{{"done", true}});
    EXPECT_EQ(patched.status, 200);
    EXPECT_EQ(patched.json().at("done"), true);
    EXPECT_EQ(patched.json().at("title"), "write tests");

    auto listed = c.get("/todos?done=true").send();
    EXPECT_EQ(listed.status, 200);
    bool found = false;
    auto list = listed.json();
    for (auto& t : list.as_array()) {
        EXPECT_EQ(t.at("done"), true);
        found = found || t.at("id").as_int64() == id;
    }
    EXPECT_TRUE(found);

    auto gone = c.del("/todos/" + std::to_string(id)).send();
    EXPECT_EQ(gone.status, 204);
    EXPECT_TRUE(gone.body.empty());
    expect_json_error(c.get("/todos/" + std::to_string(id)).send(), 404);
    expect_json_error(c.del("/todos/" + std::to_string(id)).send(), 404);
    EXPECT_EQ(c.connections_opened(), 1) << "the client's keep-alive connection was not kept";
}

TEST(todo_app, bad_bodies_get_json_errors) {
    todo_service app;
    nodus::testing::server srv{app.routes};
    auto c = srv.client();
    expect_json_error(c.post("/todos").send(json::value{{"done", true}}), 422);
    expect_json_error(c.post("/todos").send(json::value{{"title", ""}}), 422);
    expect_json_error(c.post("/todos").send(json::value{{"title", 7}}), 422);
    expect_json_error(c.post("/todos").send(json::value{{"title", "x"}, {"done", "no"}}), 422);
    auto malformed =
        c.post("/todos").set("Content-Type", "application/json").send(std::string("{\"title\":\n  ,}"));
    expect_json_error(malformed, 400);
    EXPECT_EQ(malformed.json().at("line"), 2) << malformed.body;
    expect_json_error(c.post("/todos").set("Content-Type", "text/plain").send(std::string("{}")), 415);
    expect_json_error(c.post("/todos").send(json::value{{"title", std::string(20000, 'x')}}), 413);
    // A body refused half-way closes its connection; the client opens another.
    expect_json_error(c.post("/todos")
                          .set("Content-Type", "application/json")
                          .send_chunks({"{\"title\": \"a\"", ", \"done\": tru", "e"}),
                      400);
    expect_json_error(c.method("PUT", "/todos").send(), 405);
    expect_json_error(c.get("/nowhere").send(), 404);
}

TEST(todo_app, cors_compression_and_request_ids) {
    todo_service app;
    nodus::testing::server srv{app.routes};
    auto c = srv.client();
    for (int i = 0; i < 30; ++i)
        ASSERT_EQ(c.post("/todos")
                      .send(json::value{{"title", "a title long enough to add up " + std::to_string(i)}})
                      .status,
                  201);

    auto big = c.get("/todos").set("Accept-Encoding", "gzip").set("Origin", "http://localhost:3000").send();
    EXPECT_EQ(big.status, 200);
    EXPECT_EQ(big.header("Content-Encoding"), "gzip");
    EXPECT_EQ(big.header("Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_NE(big.header("Vary").find("Origin"), std::string::npos);

    auto small = c.get("/healthz").set("Accept-Encoding", "gzip").set("Origin", "http://evil.example").send();
    EXPECT_EQ(small.status, 200);
    EXPECT_FALSE(small.has_header("Content-Encoding"));
    EXPECT_FALSE(small.has_header("Access-Control-Allow-Origin"));

    auto preflight = c.options("/todos")
                         .set("Origin", "http://localhost:3000")
                         .set("Access-Control-Request-Method", "POST")
                         .set("Access-Control-Request-Headers", "content-type")
                         .send();
    EXPECT_EQ(preflight.status, 204);
    EXPECT_NE(preflight.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);

    auto given = c.get("/healthz").set("X-Request-Id", "trace-42").send();
    EXPECT_EQ(given.header("X-Request-Id"), "trace-42");
    auto a = c.get("/healthz").send(), b = c.get("/healthz").send();
    EXPECT_FALSE(a.header("X-Request-Id").empty());
    EXPECT_NE(a.header("X-Request-Id"), b.header("X-Request-Id"));
}
