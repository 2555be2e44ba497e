#pragma once
// Load for the cluster tests: client threads that keep requesting GET / until stopped, each
// answer's body naming the worker pid that served it (apps/cluster_demo).
//
// Keep-alive threads reuse one connection. A request that fails on a reused connection before
// any byte of its answer arrived is retried once on a new connection, as HTTP clients do (RFC
// 9110 9.2.2): the server may close an idle connection just as a request is sent on it.
// New-connection threads open a connection per request (Connection: close). A request that
// gets no answer within `timeout` counts as failed and the thread goes on, so a connection
// stuck in a worker costs its thread `timeout`, not the rest of the run.
#include "process_harness.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace process_harness {

class request_load {
public:
    request_load(std::uint16_t port, int keep_alive_threads, int new_conn_threads,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        for (int i = 0; i < keep_alive_threads; ++i)
            threads_.emplace_back([this, port, timeout] { keep_alive_loop(port, timeout); });
        for (int i = 0; i < new_conn_threads; ++i)
            threads_.emplace_back([this, port, timeout] { new_conn_loop(port, timeout); });
    }
    request_load(const request_load&) = delete;
    request_load& operator=(const request_load&) = delete;
    ~request_load() { stop(); }

    void stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

    int ok() const { return ok_; }
    int failed() const { return failed_; }
    int retried() const { return retried_; }

    /// Requests answered by each worker pid.
    std::map<int, int> served() {
        std::lock_guard lock{mu_};
        return served_;
    }
    /// The worker pids that answered.
    std::set<int> pids() {
        std::set<int> out;
        for (auto& [pid, n] : served()) out.insert(pid);
        return out;
    }
    /// Why requests failed (the first few hundred characters).
    std::string failures() {
        std::lock_guard lock{mu_};
        return reasons_;
    }

    /// Requests answered during the next `window` (a measurement, not a wait for an event).
    int answered_during(std::chrono::milliseconds window) const {
        int before = ok_;
        std::this_thread::sleep_for(window);
        return ok_ - before;
    }

private:
    void record(const nodus::test::parsed_response& r) {
        std::lock_guard lock{mu_};
        ++served_[std::atoi(r.body.c_str())];
        ++ok_;
    }
    void fail(const char* why) {
        std::lock_guard lock{mu_};
        ++failed_;
        if (reasons_.size() < 400) reasons_ += std::string{why} + "; ";
    }

    void keep_alive_loop(std::uint16_t port, std::chrono::milliseconds timeout) {
        client c;
        while (!stop_) {
            if (!c.is_open() && !c.connect(port, timeout)) {
                fail("keep-alive connect");
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            bool reused = c.requests_sent() > 0;
            auto r = c.get("/", true);
            if (!r && reused && !c.response_started()) {
                ++retried_;
                if (c.connect(port, timeout)) r = c.get("/", true);
            }
            if (r && r->status == 200) record(*r);
            else fail(r ? "keep-alive status" : "keep-alive no response");
        }
    }

    void new_conn_loop(std::uint16_t port, std::chrono::milliseconds timeout) {
        while (!stop_) {
            client c;
            if (!c.connect(port, timeout)) {
                fail("connect");
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            auto r = c.get("/", false);
            if (r && r->status == 200) record(*r);
            else fail(r ? "status" : "no response");
        }
    }

    std::atomic<bool> stop_{false};
    std::atomic<int> ok_{0}, failed_{0}, retried_{0};
    std::mutex mu_;
    std::map<int, int> served_;
    std::string reasons_;
    std::vector<std::thread> threads_;
};

} // namespace process_harness
