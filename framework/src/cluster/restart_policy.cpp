#include "cluster/detail/restart_policy.hpp"

#include <algorithm>

namespace nodus::cluster::detail {

bool restart_policy::on_crash(int slot, clock::duration uptime, const cluster_config& cfg) {
    auto now = clock::now();
    if (uptime >= std::chrono::seconds(60)) slots_[static_cast<std::size_t>(slot)].consecutive = 0;
    crashes_.push_back(now);
    while (!crashes_.empty() && now - crashes_.front() > std::chrono::seconds(cfg.crash_window_s))
        crashes_.pop_front();
    return crashes_.size() > cfg.crash_limit;
}

std::chrono::milliseconds restart_policy::next_restart(int slot) {
    auto& s = slots_[static_cast<std::size_t>(slot)];
    ++s.restarts;
    unsigned k = s.consecutive++;
    if (k == 0) return std::chrono::milliseconds(0);
    double base = std::min(30000.0, 100.0 * double(1u << std::min(k - 1, 16u)));
    std::uniform_real_distribution<double> jitter{0.5, 1.5};
    return std::chrono::milliseconds(static_cast<long>(base * jitter(rng_)));
}

} // namespace nodus::cluster::detail
