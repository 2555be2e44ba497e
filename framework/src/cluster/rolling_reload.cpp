#include "cluster/detail/rolling_reload.hpp"
#include "log/detail/check.hpp"

#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <string>

namespace nodus::cluster::detail {

namespace {

std::vector<std::string> own_argv() {
    std::ifstream f{"/proc/self/cmdline", std::ios::binary};
    std::string all{std::istreambuf_iterator<char>(f), {}};
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < all.size()) {
        auto end = all.find('\0', pos);
        if (end == std::string::npos) end = all.size();
        out.push_back(all.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

} // namespace

std::optional<config> reread_config(const config& current) {
    auto& lg = nodus::log::get();
    config next;
    try {
        auto args = own_argv();
        std::vector<const char*> argv;
        for (auto& a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        auto r = nodus::parse_config(static_cast<int>(args.size()), argv.data(), nullptr, current.file);
        next = std::move(r.cfg);
        validate(next);
        // What applying it will open, opened now: nothing changes unless all of it works.
        nodus::log::detail::check(next.log);
    } catch (const std::exception& e) {
        lg.error("cluster: reload: the new configuration is invalid, keeping the current one: {}", e.what());
        return std::nullopt;
    }
    auto keep = [&](bool changed, const char* what) {
        if (changed)
            lg.warn("cluster: reload: {} changed; it takes a restart, keeping the current value", what);
    };
    keep(next.server.host != current.server.host || next.server.port != current.server.port ||
             next.server.backlog != current.server.backlog,
         "[server] host/port/backlog");
    keep(next.cluster.workers != current.cluster.workers, "[cluster] workers");
    keep(next.cluster.balance != current.cluster.balance, "[cluster] balance");
    next.server = current.server;
    next.cluster.workers = current.cluster.workers;
    next.cluster.balance = current.cluster.balance;
    return next;
}

bool rolling_reload::begin() noexcept {
    ++generation_;
    if (running_) return false;
    running_ = true;
    return true;
}

rolling_reload::step rolling_reload::next(const std::vector<worker_slot>& slots) const {
    if (!running_ || replacement_) return {step::wait};
    bool waiting = false;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const auto& w = slots[i].current;
        if (!w || w->generation >= generation_) continue;
        if (w->ph != phase::ready) {
            waiting = true; // an older worker still starting: replace it once it listens
            continue;
        }
        return {step::replace, static_cast<int>(i)};
    }
    return {waiting ? step::wait : step::done};
}

void rolling_reload::replacement_done(const worker_ptr& w) noexcept {
    if (replacement_ == w) replacement_.reset();
}

void rolling_reload::abort(bool forget) noexcept {
    running_ = false;
    if (forget) replacement_.reset();
}

} // namespace nodus::cluster::detail
