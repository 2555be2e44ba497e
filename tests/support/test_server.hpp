#pragma once
// The framework tests' server: the test kit's (nodus/testing/server.hpp), plus what only the
// framework's internals can tell.
#include <nodus/testing/server.hpp>

namespace nodus::test {

class test_server : public nodus::testing::server {
public:
    using nodus::testing::server::server;

    /// Connections parked by the server (waiting for a descriptor), read on the loop thread.
    std::size_t parked();
};

} // namespace nodus::test
