#pragma once
// Memory an exchange leaves behind for the next one on the same thread: its block (the
// shared_ptr control block and the object, over 1 KiB: a malloc that size also consolidates
// glibc's fast bins) and the buffers that grow to a request's size (the request head, the
// response head and its field list). Steady traffic then allocates nothing per request for
// them. Each thread keeps its own spares; a client is used from its loop's thread only.
#include <nodus/http/request.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace nodus::client::detail {

/// Buffers an exchange takes when made and gives back, emptied, when destroyed.
struct exchange_buffers {
    std::string out; // request bytes waiting for the socket
    std::string inflight; // request bytes being written
    std::string head_text; // the response head, which the response's views point into
    std::vector<nodus::header_field> fields; // the response head's fields

    /// A spare set, or a new one.
    static std::unique_ptr<exchange_buffers> take();
    /// Keep `b` (emptied, its capacity kept) for the next exchange.
    static void give(std::unique_ptr<exchange_buffers> b) noexcept;
};

/// Spare blocks of one size, for std::allocate_shared.
class block_spares {
public:
    static constexpr std::size_t max_kept = 64;
    ~block_spares();
    void* take(std::size_t size) noexcept;
    bool give(void* p, std::size_t size) noexcept;

private:
    std::size_t size_ = 0;
    std::size_t count_ = 0;
    void* blocks_[max_kept];
};

block_spares& exchange_blocks() noexcept;

template <class T>
struct recycling_allocator {
    using value_type = T;
    recycling_allocator() noexcept = default;
    template <class U>
    recycling_allocator(const recycling_allocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n == 1)
            if (void* p = exchange_blocks().take(sizeof(T))) return static_cast<T*>(p);
        return std::allocator<T>{}.allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n == 1 && exchange_blocks().give(p, sizeof(T))) return;
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    bool operator==(const recycling_allocator<U>&) const noexcept {
        return true;
    }
};

} // namespace nodus::client::detail
