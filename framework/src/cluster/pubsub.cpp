// cluster::publish / cluster::subscribe: one message to every worker, relayed by the master
// over the control channels.
#include <nodus/cluster/cluster.hpp>
#include <nodus/ipc/channel.hpp>
#include <nodus/log/log.hpp>
#include <nodus/loop/loop.hpp>

#include "cluster/detail/state.hpp"

#include <spdlog/logger.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace nodus::cluster {

namespace detail {

namespace {

struct subscriber {
    std::string topic;
    std::function<void(std::string_view)> fn;
};

std::vector<subscriber>& subscribers() {
    static std::vector<subscriber> all;
    return all;
}

} // namespace

void deliver_published(std::string_view topic_and_message) {
    auto nul = topic_and_message.find('\0');
    if (nul == std::string_view::npos) {
        log::get().error("cluster: malformed publication ({} bytes)", topic_and_message.size());
        return;
    }
    auto topic = topic_and_message.substr(0, nul);
    auto msg = topic_and_message.substr(nul + 1);
    // A subscriber may subscribe again while it runs: index, do not iterate.
    auto& subs = subscribers();
    for (std::size_t i = 0; i < subs.size(); ++i) {
        if (subs[i].topic != topic) continue;
        auto fn = subs[i].fn;
        try {
            fn(msg);
        } catch (const std::exception& e) {
            log::get().error("cluster: a subscriber of '{}' threw: {}", topic, e.what());
        } catch (...) {
            log::get().error("cluster: a subscriber of '{}' threw", topic);
        }
    }
}

} // namespace detail

bool publish(std::string_view topic, std::string_view msg) {
    if (topic.find('\0') != std::string_view::npos) return false;
    std::string payload;
    payload.reserve(2 + topic.size() + msg.size());
    payload.push_back(static_cast<char>(detail::control::publish));
    payload.append(topic);
    payload.push_back('\0');
    payload.append(msg);
    if (payload.size() > ipc::max_message_bytes) return false;
    if (is_worker()) return detail::worker_publish(payload);
    if (is_master()) {
        detail::master_publish(payload);
        return true;
    }
    next_tick([p = std::move(payload)] { detail::deliver_published(std::string_view(p).substr(1)); });
    return true;
}

void subscribe(std::string_view topic, std::function<void(std::string_view)> fn) {
    detail::subscribers().push_back({std::string(topic), std::move(fn)});
}

} // namespace nodus::cluster
