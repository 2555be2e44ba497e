#pragma once
// The pools of an agent: per origin, the idle connections (most recently used first out),
// how many connections are open, and the requests waiting for one.
#include "client/detail/connection.hpp"

#include <nodus/client/client.hpp>

#include <boost/asio/ssl/context.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nodus::client::detail {

class exchange;

/// The connections of one origin. Made on first use, it lives as long as its agent, so an
/// exchange keeps a pointer to it rather than looking it up by key at each step.
struct origin_pool {
    origin where;
    std::vector<std::shared_ptr<connection>> idle;
    std::deque<std::shared_ptr<exchange>> queue;
    std::size_t open = 0;
};

class agent_state {
public:
    explicit agent_state(agent_options options);
    ~agent_state();
    agent_state(const agent_state&) = delete;
    agent_state& operator=(const agent_state&) = delete;

    const agent_options& options() const noexcept { return options_; }
    agent_stats stats() const noexcept;

    /// The pool of an origin, made on first use; null for a host name no request can carry.
    origin_pool* pool_for(bool https, std::string_view host, std::uint16_t port);

    /// Give `ex` a connection: a pooled one that is still usable (unless `fresh`), a new
    /// one while the origin is under max_sockets, or a place in the queue.
    void acquire(const std::shared_ptr<exchange>& ex, bool fresh);
    /// A connection's exchange is over: reuse it for the next queued request, pool it, or
    /// close it (and let a queued request open a new one).
    void release(origin_pool& p, std::shared_ptr<connection> c, bool reusable);
    /// A queued request leaves the queue (aborted or failed).
    void forget(const exchange& ex) noexcept;
    /// A pooled connection's idle time ran out.
    void expire(connection& c) noexcept;

    void close_idle() noexcept;
    void close();

private:
    void open_connection(origin_pool& p, const std::shared_ptr<exchange>& ex);
    boost::asio::ssl::context* tls_context(std::string& why);

    agent_options options_;
    std::unordered_map<std::string, origin_pool> pools_;
    origin_pool* last_ = nullptr; // most requests go where the one before went
    std::optional<boost::asio::ssl::context> tls_;
    agent_stats stats_;
    bool closing_ = false;
};

} // namespace nodus::client::detail
