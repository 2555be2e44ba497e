#pragma once
// Connection: close load for the cluster tests: client threads that each open a connection,
// send GET /, read the answer and start over until stopped. A request that gets no answer
// within `timeout` counts as failed and the thread goes on, so a connection stuck in a
// worker costs its thread `timeout`, not the rest of the run. Rates are measured by
// sampling ok() at the ends of a window.
#include "process_harness.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace process_harness {

class close_load {
public:
    close_load(std::uint16_t port, int threads, std::chrono::milliseconds timeout) {
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this, port, timeout] { run(port, timeout); });
    }
    close_load(const close_load&) = delete;
    close_load& operator=(const close_load&) = delete;
    ~close_load() { stop(); }

    void stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

    int ok() const { return ok_; }
    int failed() const { return failed_; }

    /// Requests answered by each worker pid.
    std::map<int, int> served() {
        std::lock_guard lock{mu_};
        return served_;
    }

    /// Requests answered during the next `window` (a measurement, not a wait for an event).
    int answered_during(std::chrono::milliseconds window) const {
        int before = ok_;
        std::this_thread::sleep_for(window);
        return ok_ - before;
    }

private:
    void run(std::uint16_t port, std::chrono::milliseconds timeout) {
        while (!stop_) {
            client c;
            if (!c.connect(port, timeout)) {
                ++failed_;
                std::this_thread::sleep_for(1ms);
                continue;
            }
            auto r = c.get("/", false);
            if (!r || r->status != 200) {
                ++failed_;
                continue;
            }
            ++ok_;
            std::lock_guard lock{mu_};
            ++served_[std::atoi(r->body.c_str())];
        }
    }

    std::atomic<bool> stop_{false};
    std::atomic<int> ok_{0}, failed_{0};
    std::mutex mu_;
    std::map<int, int> served_;
    std::vector<std::thread> threads_;
};

} // namespace process_harness
