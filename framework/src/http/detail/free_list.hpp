#pragma once
// A bounded stack of spare objects (exchanges, read blocks, output strings), so steady
// traffic on one loop reuses memory instead of calling malloc. Not thread-safe: each
// list belongs to the loop thread.
//
// Not std::pmr::unsynchronized_pool_resource: the pooled things are whole objects that
// keep their own inner capacity (an exchange's vectors, a string's buffer) across uses,
// which a memory resource under them would not; and a resource would only pool the
// outer allocation while every container inside would need a pmr allocator.
#include <cstddef>
#include <utility>
#include <vector>

namespace nodus::detail {

template <class T>
class free_list {
public:
    explicit free_list(std::size_t max) : max_(max) { items_.reserve(max); }

    bool empty() const noexcept { return items_.empty(); }
    std::size_t size() const noexcept { return items_.size(); }

    /// The most recently given item. Precondition: !empty().
    T take() noexcept {
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    /// Keep `item` for later; false when the list is full (`item` stays with the caller).
    bool give(T& item) noexcept {
        if (items_.size() >= max_) return false;
        items_.push_back(std::move(item));
        return true;
    }

private:
    std::vector<T> items_;
    std::size_t max_;
};

} // namespace nodus::detail
