// nodus::on_stopping: what the program wants done when the process begins a graceful stop.
#include <nodus/loop/loop.hpp>

#include "loop/detail/stopping.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <exception>
#include <vector>

namespace nodus {

namespace {

struct stopping_state {
    std::vector<std::function<void()>> hooks;
    bool begun = false;
};

stopping_state& stopping() {
    static stopping_state s;
    return s;
}

void run_hook(const std::function<void()>& fn) noexcept {
    try {
        fn();
    } catch (const std::exception& e) {
        log::get().error("on_stopping hook threw: {}", e.what());
    } catch (...) {
        log::get().error("on_stopping hook threw a non-standard exception");
    }
}

} // namespace

void on_stopping(std::function<void()> fn) {
    if (!fn) return;
    auto& s = stopping();
    // Too late to wait for the stop: it has begun, so the hook runs as soon as it can.
    if (s.begun) next_tick([fn = std::move(fn)] { run_hook(fn); });
    else s.hooks.push_back(std::move(fn));
}

namespace detail {

void begin_stopping() noexcept {
    auto& s = stopping();
    if (s.begun) return;
    s.begun = true;
    auto hooks = std::move(s.hooks);
    s.hooks.clear();
    for (auto& fn : hooks) run_hook(fn);
}

} // namespace detail

} // namespace nodus
