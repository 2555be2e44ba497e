#pragma once
// The framework tests' names for the test kit's raw connection (nodus/testing/connection.hpp):
// one client implementation, used by the framework's tests and offered to applications.
#include <nodus/testing/connection.hpp>

namespace nodus::test {

using client = nodus::testing::connection;
using parsed_response = nodus::testing::response;
using nodus::testing::exchange;
using nodus::testing::roundtrip;
using nodus::testing::status_of;

} // namespace nodus::test
