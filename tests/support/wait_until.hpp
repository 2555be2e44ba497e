#pragma once
// Waiting for an observable event instead of sleeping for a guessed time.
#include <chrono>
#include <thread>

namespace nodus::test {

/// Poll `condition` (every 2 ms) until it holds or `timeout` passes; its last value.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return condition();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

} // namespace nodus::test
