// What the admin listener asks of the master: the workers' metrics, gathered when scraped,
// and the cluster's readiness.
//
// Scrape-time request/response rather than a periodic push: a scrape sees every worker's
// counts as of that moment, and nothing is encoded or sent while nobody scrapes. A worker
// that does not answer within [admin] scrape_timeout_ms is left out of that scrape.
#include "cluster/detail/master.hpp"
#include "ipc/detail/control.hpp"

#include <nodus/log/log.hpp>

#include <spdlog/spdlog.h>

#include <cstring>

namespace nodus::cluster::detail {

namespace {

std::string scrape_request(std::uint32_t seq) {
    std::string m(1, static_cast<char>(control::metrics_request));
    m.append(reinterpret_cast<const char*>(&seq), sizeof seq);
    return m;
}

} // namespace

void master::scrape(std::chrono::milliseconds timeout, std::function<void(scrape_result)> done) {
    const std::uint32_t seq = ++scrape_seq_;
    auto& s = scrapes_[seq];
    s.done = std::move(done);
    for (auto& [pid, w] : workers_)
        if (w->ph == phase::ready && ipc::detail::send_control(w->chan, scrape_request(seq)))
            s.waiting.push_back(pid);
    if (s.waiting.empty()) {
        finish_scrape(seq);
        return;
    }
    s.timer = std::make_unique<boost::asio::steady_timer>(nodus::io_context());
    s.timer->expires_after(timeout);
    auto self = shared_from_this();
    s.timer->async_wait([self, seq](const boost::system::error_code& ec) {
        if (!ec && self->alive()) self->finish_scrape(seq);
    });
}

void master::finish_scrape(std::uint32_t seq) {
    auto it = scrapes_.find(seq);
    if (it == scrapes_.end()) return;
    auto s = std::move(it->second);
    scrapes_.erase(it);
    if (s.timer) s.timer->cancel();
    if (s.done) s.done(std::move(s.got));
}

void master::on_metrics_reply(const worker_ptr& w, std::string_view msg) {
    std::uint32_t seq = 0;
    if (msg.size() < 6) {
        nodus::log::get().error("cluster: malformed metrics reply from worker {}", w->slot + 1);
        return;
    }
    std::memcpy(&seq, msg.data() + 1, sizeof seq);
    const bool last = msg[5] != 0;
    auto it = scrapes_.find(seq);
    if (it == scrapes_.end()) {
        w->scrape_part.clear(); // a late answer to a scrape that timed out
        return;
    }
    w->scrape_part.append(msg.substr(6));
    if (!last) return;
    auto& s = it->second;
    s.got.emplace_back(w->slot + 1, std::move(w->scrape_part));
    w->scrape_part.clear();
    std::erase(s.waiting, static_cast<int>(w->pid));
    if (s.waiting.empty()) finish_scrape(seq);
}

void master::on_readiness(const worker_ptr& w, std::string_view msg) {
    if (msg.size() != 2) {
        nodus::log::get().error("cluster: malformed readiness message from worker {}", w->slot + 1);
        return;
    }
    bool ready = msg[1] != 0;
    if (ready != w->app_ready)
        nodus::log::get().info("cluster: worker {} says it is {}", w->slot + 1,
                               ready ? "ready" : "not ready");
    w->app_ready = ready;
}

master_health master::health() const {
    master_health h;
    h.stopping = stopping_ || draining_;
    h.slots = slots_.size();
    for (const auto& s : slots_)
        if (s.current && s.current->ph == phase::ready && s.current->app_ready) ++h.ready;
    h.restarts = restarts_total_;
    h.reloads = reloads_total_;
    return h;
}

void master_scrape(std::chrono::milliseconds timeout, std::function<void(scrape_result)> done) {
    auto& m = the_master();
    if (!m) {
        done({});
        return;
    }
    m->scrape(timeout, std::move(done));
}

master_health master_status() {
    auto& m = the_master();
    return m ? m->health() : master_health{};
}

} // namespace nodus::cluster::detail
