#include "static_files/detail/file_cache.hpp"

#include <ctime>

namespace nodus::detail::files {

found_file make_found(lookup&& l, bool etag, bool last_modified) {
    found_file f;
    f.fd = std::move(l.fd);
    f.st = l.st;
    f.coding = l.coding;
    f.name = std::move(l.name);
    if (etag)
        f.v.etag = make_etag(f.st.st_ino, static_cast<std::uint64_t>(f.st.st_size),
                             std::int64_t{f.st.st_mtim.tv_sec} * 1'000'000'000 + f.st.st_mtim.tv_nsec);
    if (last_modified) {
        f.v.modified = f.st.st_mtim.tv_sec;
        f.last_modified = format_http_date(f.v.modified);
    }
    return f;
}

file_cache::clock::time_point file_cache::now() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return clock::time_point(std::chrono::duration_cast<clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

const found_file* file_cache::find(const std::string& key, clock::time_point now) {
    sweep(now);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (now - it->second.checked >= valid_) {
        entries_.erase(it);
        return nullptr;
    }
    return &it->second.file;
}

const found_file& file_cache::store(const std::string& key, found_file f, clock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        if (entries_.size() >= max_) evict_oldest();
        it = entries_.emplace(key, entry{std::move(f), now}).first;
    } else {
        it->second = entry{std::move(f), now};
    }
    return it->second.file;
}

void file_cache::sweep(clock::time_point now) {
    if (now - last_sweep_ < valid_) return;
    last_sweep_ = now;
    std::erase_if(entries_, [&](const auto& e) { return now - e.second.checked >= valid_; });
}

// Linear, but only when the cache is full of entries still valid: rare, and bounded by max.
void file_cache::evict_oldest() {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (it->second.checked < oldest->second.checked) oldest = it;
    if (oldest != entries_.end()) entries_.erase(oldest);
}

} // namespace nodus::detail::files
