// An application with settings of its own ([demo] greeting, [demo] max_items): GET / answers
// "GREETING MAX_ITEMS" with the values the process holds right now.
#include <nodus/nodus.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <string>

namespace {
const nodus::setting<std::string> greeting{"demo", "greeting", "hello", "what GET / says"};
const nodus::setting<int> max_items{"demo", "max_items", 10, "a number GET / repeats", nodus::range{1, 100}};
} // namespace

void nodus_main(nodus::app& app) {
    app.get("/", [](nodus::request, nodus::response res) {
        res.end(fmt::format("{} {} {}", *greeting, *max_items, ::getpid()));
    });
    app.listen();
}
