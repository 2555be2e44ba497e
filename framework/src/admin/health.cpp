// Liveness and readiness: what this process (or, in a master, the cluster) says of itself.
#include <nodus/admin/health.hpp>
#include <nodus/cluster/cluster.hpp>
#include <nodus/loop/loop.hpp>
#include <nodus/router/router.hpp>

#include "admin/detail/admin.hpp"
#include "cluster/detail/state.hpp"
#include "metrics/detail/process_stats.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

namespace nodus::health {

namespace {

struct health_state {
    std::vector<std::pair<std::string, std::function<bool()>>> checks;
    bool app_ready = true;
    bool listening = false;
    bool stopping = false;
    bool hooked = false;
    std::chrono::milliseconds max_lag{5000};
};

health_state& hs() {
    static auto* s = new health_state;
    if (!s->hooked) {
        s->hooked = true;
        nodus::on_stopping([] { hs().stopping = true; });
    }
    return *s;
}

std::string cluster_reason() {
    auto h = cluster::detail::master_status();
    if (h.stopping) return "stopping";
    if (h.ready < h.slots) return fmt::format("{} of {} workers ready", h.ready, h.slots);
    return {};
}

void answer(response& res, bool ok, std::string_view ok_text, const std::string& why) {
    res.status(ok ? 200 : 503);
    res.set("Content-Type", "text/plain; charset=utf-8");
    res.set("Cache-Control", "no-store");
    res.end(ok ? std::string(ok_text) + "\n" : "not " + std::string(ok_text) + ": " + why + "\n");
}

} // namespace

void add_check(std::string name, std::function<bool()> check) {
    if (check) hs().checks.emplace_back(std::move(name), std::move(check));
}

void set_ready(bool ready) noexcept { hs().app_ready = ready; }

std::string not_ready_reason() {
    if (cluster::is_master()) return cluster_reason();
    auto& s = hs();
    if (s.stopping) return "stopping";
    if (!s.listening) return "not listening yet";
    if (!s.app_ready) return "set not ready by the application";
    for (const auto& [name, check] : s.checks) {
        bool ok = false;
        try {
            ok = check();
        } catch (...) {
            ok = false;
        }
        if (!ok) return "check \"" + name + "\" failed";
    }
    return {};
}

bool live() noexcept { return metrics::detail::loop_lag() <= hs().max_lag; }

void mount(router& r, std::string_view health_path, std::string_view ready_path) {
    r.get(health_path, [](request, response res) {
        bool ok = live();
        answer(res, ok, "live", ok ? std::string() : "the event loop is stuck");
    });
    r.get(ready_path, [](request, response res) {
        auto why = not_ready_reason();
        answer(res, why.empty(), "ready", why);
    });
}

} // namespace nodus::health

namespace nodus::admin::detail {

void set_listening(bool on) noexcept { nodus::health::hs().listening = on; }
void set_max_lag(std::chrono::milliseconds limit) noexcept { nodus::health::hs().max_lag = limit; }

} // namespace nodus::admin::detail
