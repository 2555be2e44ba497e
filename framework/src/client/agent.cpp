#include "client/detail/agent_state.hpp"

#include "client/detail/exchange.hpp"

#include <nodus/client/client.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>

namespace nodus::client {

namespace asio = boost::asio;

agent::agent(agent_options options) : state_(std::make_shared<detail::agent_state>(std::move(options))) {}

void agent::close_idle() const { state_->close_idle(); }
void agent::close() const { state_->close(); }
agent_stats agent::stats() const noexcept { return state_->stats(); }
const agent_options& agent::options() const noexcept { return state_->options(); }

agent default_agent() {
    // Never destroyed: its pooled connections may outlive main()'s loop, and an agent torn
    // down during static destruction could outlive the io_context its sockets belong to.
    static const auto* a = new agent();
    return *a;
}

namespace detail {

agent_state::agent_state(agent_options options) : options_(std::move(options)) {
    options_.max_sockets = std::max<std::size_t>(options_.max_sockets, 1);
}

agent_state::~agent_state() { close_idle(); }

agent_stats agent_state::stats() const noexcept {
    auto s = stats_;
    s.active = s.idle = s.queued = 0;
    for (const auto& [key, p] : pools_) {
        s.idle += p.idle.size();
        s.queued += p.queue.size();
        s.active += p.open - p.idle.size();
    }
    return s;
}

origin_pool* agent_state::pool_for(bool https, std::string_view host, std::uint16_t port) {
    if (last_ && last_->where.is(https, host, port)) return last_;
    if (host.empty() || host.find_first_of("/%@ \t\r\n") != std::string_view::npos) return nullptr;
    const bool v6 = host.find(':') != std::string_view::npos;
    std::string authority = v6 ? "[" + std::string(host) + "]" : std::string(host);
    std::string key = (https ? "https://" : "http://") + authority + ":" + std::to_string(port);
    auto& p = pools_[key];
    if (p.where.key.empty()) {
        p.where.https = https;
        p.where.host = host;
        p.where.port = port;
        p.where.host_field = authority;
        if (port != (https ? 443 : 80)) p.where.host_field += ":" + std::to_string(port);
        p.where.key = std::move(key);
    }
    last_ = &p;
    return last_;
}

void agent_state::acquire(const std::shared_ptr<exchange>& ex, bool fresh) {
    auto& p = ex->pool();
    if (fresh) ++stats_.retried;
    while (!fresh && !p.idle.empty()) {
        auto c = std::move(p.idle.back());
        p.idle.pop_back();
        c->unpark();
        // A request that a failure would replay needs no system call to check the connection;
        // one that cannot be replayed asks the socket too.
        if (c->still_usable(!ex->retryable())) {
            ++stats_.requests;
            ++stats_.reused;
            return ex->assign(std::move(c), true);
        }
        c->close();
        --p.open;
    }
    if (p.open < options_.max_sockets) return open_connection(p, ex);
    ex->queued();
    p.queue.push_back(ex);
}

void agent_state::open_connection(origin_pool& p, const std::shared_ptr<exchange>& ex) {
    asio::ssl::context* tls = nullptr;
    if (ex->where().https) {
        std::string why;
        tls = tls_context(why);
        if (!tls) return ex->fail(errc::tls_failed, std::move(why));
    }
    ++p.open;
    ++stats_.connections_opened;
    ++stats_.requests;
    ex->connect_on(std::make_shared<connection>(ex->where(), tls));
}

void agent_state::release(origin_pool& p, std::shared_ptr<connection> c, bool reusable) {
    reusable = reusable && options_.keep_alive && !closing_ && c->is_open();
    if (reusable && !p.queue.empty()) {
        auto next = std::move(p.queue.front());
        p.queue.pop_front();
        ++stats_.requests;
        ++stats_.reused;
        return next->assign(std::move(c), true);
    }
    if (reusable && p.idle.size() < options_.max_idle) {
        c->park(this, connection::clock::now() + options_.idle_timeout);
        p.idle.push_back(std::move(c));
        return;
    }
    c->close();
    --p.open;
    if (!p.queue.empty()) {
        auto next = std::move(p.queue.front());
        p.queue.pop_front();
        open_connection(p, next);
    }
}

void agent_state::forget(const exchange& ex) noexcept {
    auto& q = ex.pool().queue;
    q.erase(std::remove_if(q.begin(), q.end(), [&ex](const auto& e) { return e.get() == &ex; }), q.end());
}

void agent_state::expire(connection& c) noexcept {
    auto it = pools_.find(c.where().key);
    if (it == pools_.end()) return;
    auto& idle = it->second.idle;
    auto pos = std::find_if(idle.begin(), idle.end(), [&c](const auto& p) { return p.get() == &c; });
    if (pos == idle.end()) return;
    auto keep = std::move(*pos);
    idle.erase(pos);
    keep->close();
    --it->second.open;
}

void agent_state::close_idle() noexcept {
    for (auto& [key, p] : pools_) {
        for (auto& c : p.idle) c->close();
        p.open -= p.idle.size();
        p.idle.clear();
    }
}

void agent_state::close() {
    closing_ = true;
    close_idle();
    std::vector<std::shared_ptr<exchange>> cancelled;
    for (auto& [key, p] : pools_) {
        cancelled.insert(cancelled.end(), p.queue.begin(), p.queue.end());
        p.queue.clear();
    }
    for (auto& ex : cancelled) ex->fail(errc::cancelled, "cancelled: the agent was closed");
}

// One context per agent: the CA store is read once, not per connection.
asio::ssl::context* agent_state::tls_context(std::string& why) {
    if (tls_) return &*tls_;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    boost::system::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1,
                    ec);
    if (options_.tls.verify) {
        ctx.set_verify_mode(asio::ssl::verify_peer, ec);
        if (options_.tls.ca_file.empty()) ctx.set_default_verify_paths(ec);
        else ctx.load_verify_file(options_.tls.ca_file, ec);
        if (ec) {
            why = "TLS: cannot load the CA certificates" +
                (options_.tls.ca_file.empty() ? std::string() : " from " + options_.tls.ca_file) + ": " +
                ec.message();
            return nullptr;
        }
    } else {
        ctx.set_verify_mode(asio::ssl::verify_none, ec);
    }
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx.native_handle(), alpn, sizeof alpn - 1);
    return &tls_.emplace(std::move(ctx));
}

} // namespace detail
} // namespace nodus::client
