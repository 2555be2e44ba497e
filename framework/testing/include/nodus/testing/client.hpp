#pragma once
/** @file
    `nodus::testing::client`: requests built like Node's `supertest`, sent over one
    keep-alive connection, answered as `nodus::testing::response` (docs/testing.md).
    @code
    nodus::testing::client c{srv.port()};
    auto created = c.post("/todos").send(boost::json::value{{"title", "milk"}});
    EXPECT_EQ(created.status, 201);
    EXPECT_EQ(created.json().at("title"), "milk");
    auto listed = c.get("/todos").set("Accept", "application/json").send();
    @endcode
*/
#include <nodus/testing/connection.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nodus::testing {

class client;

/** One request being built; `send` sends it and waits for the response. Made by
    `client::get`, `post`, ...; valid while its client lives. */
class request {
public:
    /** Add a header line (sent in the order given). */
    request& set(std::string_view name, std::string_view value);
    /** Send with `body` as text (Content-Length). */
    response send(std::string_view body);
    response send(const char* body) { return send(std::string_view(body)); }
    response send(const std::string& body) { return send(std::string_view(body)); }
    /** Send with `body` serialized as JSON and `Content-Type: application/json` (unless set). */
    response send(const boost::json::value& body);
    /** Send without a body. */
    response send();
    /** Send the body as chunked coding, each piece in a chunk and a write of its own, in
        order: the server sees a streaming body. */
    response send_chunks(std::initializer_list<std::string_view> pieces);
    response send_chunks(const std::vector<std::string>& pieces);

private:
    friend class client;
    request(client& c, std::string_view method, std::string_view path);
    template <class Pieces>
    response send_pieces(const Pieces& pieces);
    response finish(std::string_view body, bool has_body);

    client* client_;
    std::string head_;
    bool head_request_ = false;
    bool has_content_type_ = false;
};

/** Sends requests to 127.0.0.1:port over one connection, kept alive between requests and
    opened again when the server closed it. Blocking, for the test's thread.
    @throws std::runtime_error from `send` when no complete response came within the timeout. */
class client {
public:
    explicit client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    request get(std::string_view path) { return {*this, "GET", path}; }
    request post(std::string_view path) { return {*this, "POST", path}; }
    request put(std::string_view path) { return {*this, "PUT", path}; }
    request patch(std::string_view path) { return {*this, "PATCH", path}; }
    request del(std::string_view path) { return {*this, "DELETE", path}; }
    request head(std::string_view path) { return {*this, "HEAD", path}; }
    request options(std::string_view path) { return {*this, "OPTIONS", path}; }
    /** Any method. */
    request method(std::string_view method, std::string_view path) { return {*this, method, path}; }

    /** Connections opened so far: 1 after any number of requests when keep-alive held. */
    int connections_opened() const noexcept { return opened_; }
    /** The connection itself, for raw bytes between requests. */
    connection& raw() noexcept { return conn_; }

private:
    friend class request;
    connection& ready();
    response exchange(std::string_view bytes, const std::vector<std::string_view>& more, bool head);

    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    connection conn_;
    int opened_ = 0;
};

} // namespace nodus::testing
