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
    for (auto& [n, v] : sticky_)
        if (n == name) {
            v.assign(value);
            return;
        }
    sticky_.emplace_back(name, value);
}

void exchange_extras::clear() noexcept {
    finish_.clear();
    sticky_.clear();
    // Destroyed newest first, as locals made from other locals expect.
    while (!locals_.empty()) {
        auto s = locals_.back();
        locals_.pop_back();
        s.destroy(s.value);
    }
    filter_.reset();
}

} // namespace nodus::detail
