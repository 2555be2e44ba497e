#include "support/test_server.hpp"

#include "http/detail/hooks.hpp"

namespace nodus::test {

std::size_t test_server::parked() {
    std::size_t n = 0;
    on_loop([&] { n = http::detail::parked_connections(native()); });
    return n;
}

} // namespace nodus::test
