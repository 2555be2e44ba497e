#include "client/detail/exchange_memory.hpp"

#include "http/detail/free_list.hpp"

namespace nodus::client::detail {

namespace {

// Requests on one loop run one after another in the steady state, or a few hundred at once
// in a burst; past this many the rest go back to malloc.
constexpr std::size_t max_spare_buffers = 64;
// A head larger than this is not kept: one odd response should not pin its size.
constexpr std::size_t max_kept_capacity = 16 * 1024;

// Set when the thread's list is destroyed. A loop that outlives it (the main thread's loop is
// destroyed by exit(), after the thread's thread_local objects) still frees the exchanges
// of operations left pending: their buffers then go back to malloc.
thread_local bool spares_gone = false;

struct spare_list {
    nodus::detail::free_list<std::unique_ptr<exchange_buffers>> list{max_spare_buffers};
    ~spare_list() { spares_gone = true; }
};

nodus::detail::free_list<std::unique_ptr<exchange_buffers>>& spare_buffers() noexcept {
    thread_local spare_list spares;
    return spares.list;
}

} // namespace

std::unique_ptr<exchange_buffers> exchange_buffers::take() {
    if (spares_gone) return std::make_unique<exchange_buffers>();
    auto& list = spare_buffers();
    return list.empty() ? std::make_unique<exchange_buffers>() : list.take();
}

void exchange_buffers::give(std::unique_ptr<exchange_buffers> b) noexcept {
    if (!b || spares_gone || b->out.capacity() > max_kept_capacity || b->inflight.capacity() > max_kept_capacity ||
        b->head_text.capacity() > max_kept_capacity || b->fields.capacity() > 256)
        return;
    b->out.clear();
    b->inflight.clear();
    b->head_text.clear();
    b->fields.clear();
    spare_buffers().give(b);
}

namespace {
thread_local bool blocks_gone = false; // as spares_gone, for the thread's block_spares
} // namespace

block_spares::~block_spares() {
    for (std::size_t i = 0; i < count_; ++i) ::operator delete(blocks_[i]);
    count_ = 0;
    blocks_gone = true;
}

void* block_spares::take(std::size_t size) noexcept {
    if (blocks_gone || count_ == 0 || size != size_) return nullptr;
    return blocks_[--count_];
}

bool block_spares::give(void* p, std::size_t size) noexcept {
    if (blocks_gone) return false;
    if (count_ == 0) size_ = size;
    if (size != size_ || count_ == max_kept) return false;
    blocks_[count_++] = p;
    return true;
}

block_spares& exchange_blocks() noexcept {
    thread_local block_spares spares;
    return spares;
}

} // namespace nodus::client::detail
