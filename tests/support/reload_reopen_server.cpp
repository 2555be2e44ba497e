// A clustered server whose reloads close and bind the listener again
// (master_options::reload_reopens): the negative control of the test that a rolling
// reload loses no request. GET / answers the worker's pid, as apps/cluster_demo does.
#include <nodus/nodus.hpp>

#include "cluster/detail/master_options.hpp"

#include <string>

#include <unistd.h>

void nodus_main(nodus::app& app) {
    nodus::cluster::detail::test_master_options().reload_reopens = true;
    app.get("/", [](nodus::request, nodus::response res) {
        res.set("Content-Type", "text/plain");
        res.end(std::to_string(::getpid()) + "\n");
    });
    app.listen();
}
