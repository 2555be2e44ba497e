#include "http/detail/exchange_extras.hpp"

namespace nodus::detail {

void* exchange_extras::local(const void* key, void* (*make)(), void (*destroy)(void*)) {
    if (void* v = find_local(key)) return v;
    locals_.reserve(locals_.size() + 1);
    void* v = make();
    locals_.push_back({key, v, destroy});
    return v;
}

void* exchange_extras::find_local(const void* key) const noexcept {
    for (auto& s : locals_)
        if (s.key == key) return s.value;
    return nullptr;
}

void exchange_extras::add_sticky(std::string_view name, std::string_view value) {
    for (std::size_t i = 0; i < sticky_used_; ++i)
        if (sticky_[i].first == name) {
            sticky_[i].second.assign(value);
            return;
        }
    // Entries past sticky_used_ are an earlier exchange's, kept for their strings' capacity.
    if (sticky_used_ == sticky_.size()) sticky_.emplace_back();
    sticky_[sticky_used_].first.assign(name);
    sticky_[sticky_used_].second.assign(value);
    ++sticky_used_;
}

void exchange_extras::clear() noexcept {
    finish_.clear();
    sticky_used_ = 0;
    // Destroyed newest first, as locals made from other locals expect.
    while (!locals_.empty()) {
        auto s = locals_.back();
        locals_.pop_back();
        s.destroy(s.value);
    }
    filter_.reset();
}

} // namespace nodus::detail
