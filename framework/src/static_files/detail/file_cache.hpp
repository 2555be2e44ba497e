#pragma once
// Open files kept for reuse, as nginx's open_file_cache: a descriptor and its stat per
// normalised path (and sibling preference), used without looking again for `valid`, then
// looked up again on the thread pool. Bounded: at most `max` entries (the oldest checked
// goes first), and entries past `valid` are closed by a sweep at most once per `valid`, so
// a deleted file is not held open for long. Loop thread only.
#include "static_files/detail/open.hpp"
#include "static_files/detail/validators.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace nodus::detail::files {

/// A regular file found below the root, with what its answers repeat.
struct found_file {
    unique_fd fd;
    struct ::stat st {};
    std::string_view coding; // "br", "gzip" or empty
    std::string name; // relative name, for the Content-Type
    validators v;
    std::string last_modified; // v.modified as an HTTP date, or empty
};

/// Build a found_file from a successful lookup of a regular file; `etag`/`last_modified`:
/// which validators to compute.
found_file make_found(lookup&& l, bool etag, bool last_modified);

class file_cache {
public:
    using clock = std::chrono::steady_clock;

    file_cache(std::chrono::milliseconds valid, std::size_t max) : valid_(valid), max_(max) {}

    /// The file cached for `key`, if still valid at `now`; null otherwise.
    const found_file* find(const std::string& key, clock::time_point now);
    /// Keep `f` for `key`, checked at `now`; returns the cached copy.
    const found_file& store(const std::string& key, found_file f, clock::time_point now);
    std::size_t size() const noexcept { return entries_.size(); }

    /// CLOCK_MONOTONIC_COARSE: a few ms of lag is nothing next to `valid`, and it is cheap.
    static clock::time_point now() noexcept;

private:
    struct entry {
        found_file file;
        clock::time_point checked;
    };
    void sweep(clock::time_point now);
    void evict_oldest();

    std::unordered_map<std::string, entry> entries_;
    std::chrono::milliseconds valid_;
    std::size_t max_;
    clock::time_point last_sweep_{};
};

} // namespace nodus::detail::files
