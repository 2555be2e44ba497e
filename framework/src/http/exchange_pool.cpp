#include "http/detail/exchange.hpp"
#include "http/detail/free_list.hpp"

#include <memory>

namespace nodus::detail {

namespace {
// Exchanges live for one request; a few suffice for any load on one loop. An exchange
// whose head storage grew past this is freed rather than kept.
constexpr std::size_t max_pooled = 128;
constexpr std::size_t max_kept_head = 65536;

// Made on first use and never destroyed (the pooled exchanges stay reachable through it):
// a function-local static would cost a call and a guard check twice per request.
free_list<std::unique_ptr<exchange>>* the_pool = nullptr;

inline free_list<std::unique_ptr<exchange>>& pool() {
    if (!the_pool) [[unlikely]]
        the_pool = new free_list<std::unique_ptr<exchange>>{max_pooled};
    return *the_pool;
}
} // namespace

exchange* acquire_exchange() {
    auto& p = pool();
    if (!p.empty()) return p.take().release();
    return new exchange;
}

void recycle_exchange(exchange* ex) noexcept {
    ex->reset();
    std::unique_ptr<exchange> owned{ex};
    if (ex->req().capacity() <= max_kept_head) pool().give(owned);
}

} // namespace nodus::detail
