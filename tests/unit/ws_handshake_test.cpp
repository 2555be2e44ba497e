// The WebSocket upgrade check (ws/detail/handshake.hpp): RFC 6455 §4.2.1, field by field.
#include "ws/detail/handshake.hpp"

#include <gtest/gtest.h>

using nodus::ws::detail::check_upgrade;
using nodus::ws::detail::upgrade_request;
using nodus::ws::detail::valid_key;

namespace {

upgrade_request good() {
    upgrade_request r;
    r.method = "GET";
    r.upgrade = "websocket";
    r.connection = "keep-alive, Upgrade";
    r.key = "dGhlIHNhbXBsZSBub25jZQ==";
    r.ws_version = "13";
    return r;
}

} // namespace

TEST(ws_handshake, keys_must_be_16_bytes_of_base64) {
    EXPECT_TRUE(valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_TRUE(valid_key(" AAAAAAAAAAAAAAAAAAAAAA== "));
    EXPECT_FALSE(valid_key(""));
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZQ=")); // 23 characters
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZQ=A")); // padding in the wrong place
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZR==")); // the last digit carries bits past 16 bytes
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub2 jZQ==")); // a space inside
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZQ==dGhl"));
}

TEST(ws_handshake, each_failure_gets_its_status) {
    EXPECT_EQ(check_upgrade(good(), {}, {}).status, 101);
    auto r = good();
    r.upgrade = "";
    auto v = check_upgrade(r, {}, {});
    EXPECT_EQ(v.status, 426);
    EXPECT_EQ(v.extra_name, "Upgrade");
    r = good();
    r.upgrade = "h2c";
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 426);
    r = good();
    r.upgrade = "WebSocket"; // tokens are case-insensitive
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 101);
    r = good();
    r.method = "POST";
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 400);
    r = good();
    r.version = 10;
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 400);
    r = good();
    r.connection = "close";
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 400);
    for (auto version : {"", "8", "12", "14", "13, 8"}) {
        r = good();
        r.ws_version = version;
        v = check_upgrade(r, {}, {});
        EXPECT_EQ(v.status, 426) << version;
        EXPECT_EQ(v.extra_name, "Sec-WebSocket-Version");
        EXPECT_EQ(v.extra_value, "13");
    }
    r = good();
    r.key = "x";
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 400);
    r = good();
    r.has_body = true;
    EXPECT_EQ(check_upgrade(r, {}, {}).status, 400);
}

TEST(ws_handshake, origin_hook_and_subprotocols) {
    auto only_ok = [](std::string_view o) { return o == "https://ok.example"; };
    auto r = good();
    EXPECT_EQ(check_upgrade(r, {}, only_ok).status, 403) << "no Origin is passed as empty";
    r.has_origin = true;
    r.origin = "https://ok.example";
    EXPECT_EQ(check_upgrade(r, {}, only_ok).status, 101);
    r.origin = "https://evil.example";
    EXPECT_EQ(check_upgrade(r, {}, only_ok).status, 403);

    r = good();
    r.protocols = "a, chat.v1 ,chat.v2";
    EXPECT_EQ(check_upgrade(r, {"chat.v2", "chat.v1"}, {}).protocol, "chat.v2");
    EXPECT_EQ(check_upgrade(r, {"chat.v1"}, {}).protocol, "chat.v1");
    EXPECT_EQ(check_upgrade(r, {"other"}, {}).protocol, "");
    EXPECT_EQ(check_upgrade(r, {}, {}).protocol, "");
}
