#pragma once
// What only some exchanges carry: finish callbacks, the application's locals and a body
// filter. Allocated on first use and kept with the pooled exchange, so an exchange that
// uses none of them pays one null pointer.
#include <nodus/http/body_filter.hpp>
#include <nodus/http/response.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nodus::detail {

class exchange_extras {
public:
    exchange_extras() = default;
    exchange_extras(const exchange_extras&) = delete;
    exchange_extras& operator=(const exchange_extras&) = delete;
    ~exchange_extras() { clear(); }

    void add_finish(std::function<void(const finish_info&)> fn) { finish_.push_back(std::move(fn)); }
    /// The callbacks, once: they may hold handles to their own exchange.
    std::vector<std::function<void(const finish_info&)>> take_finish() noexcept { return std::move(finish_); }

    void* local(const void* key, void* (*make)(), void (*destroy)(void*));
    void* find_local(const void* key) const noexcept;

    /// Header fields every answer of the exchange carries, also the framework's own.
    void add_sticky(std::string_view name, std::string_view value);
    template <class F>
    void each_sticky(F&& f) const {
        for (std::size_t i = 0; i < sticky_used_; ++i) f(sticky_[i].first, sticky_[i].second);
    }

    body_filter* filter() const noexcept { return filter_.get(); }
    void set_filter(std::unique_ptr<body_filter> f) noexcept { filter_ = std::move(f); }
    /// The filter goes with the connection; it may hold buffers of its own.
    void drop_filter() noexcept { filter_.reset(); }

    void clear() noexcept;

private:
    struct slot {
        const void* key;
        void* value;
        void (*destroy)(void*);
    };
    std::vector<std::function<void(const finish_info&)>> finish_;
    std::vector<slot> locals_;
    std::vector<std::pair<std::string, std::string>> sticky_; // [0, sticky_used_) are this exchange's
    std::size_t sticky_used_ = 0;
    std::unique_ptr<body_filter> filter_;
};

} // namespace nodus::detail
