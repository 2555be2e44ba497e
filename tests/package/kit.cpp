// The test kit from an installed nodus: routes served in-process, a JSON request sent with
// nodus::testing::client, the answer checked. Exit 0 when it all worked.
#include <nodus/json/json.hpp>
#include <nodus/nodus.hpp>
#include <nodus/testing/server.hpp>

#include <cstdio>

int main() {
    nodus::router routes;
    routes.post("/echo", [](nodus::request req, nodus::response res) {
        nodus::json::read(req, res, [res](boost::json::value v) { nodus::json::send(res, std::move(v)); });
    });
    nodus::testing::server srv{routes};
    const auto r = srv.client().post("/echo").send(boost::json::value{{"installed", true}});
    const bool ok = r.status == 200 && r.json() == boost::json::value{{"installed", true}};
    std::printf("%s %d %s\n", ok ? "ok" : "FAILED", r.status, r.body.c_str());
    return ok ? 0 : 1;
}
