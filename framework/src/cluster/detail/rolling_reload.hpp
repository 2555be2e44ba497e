#pragma once
// SIGHUP: new configuration, new workers, one slot at a time.
#include "cluster/detail/worker_process.hpp"

#include <nodus/config/config.hpp>

#include <optional>
#include <vector>

namespace nodus::cluster::detail {

/// Read the configuration again the way the process first read it (same argv and
/// environment, the file it actually used), keeping what only a restart can change
/// ([server], [cluster] workers and balance) as in `current`, with a warning for each.
/// nullopt (logged) when the new configuration is invalid or cannot be applied now (its
/// log destination cannot be opened); nothing binds, since [server] is kept.
std::optional<config> reread_config(const config& current);

/// The progress of a rolling reload: every worker of an older generation is replaced
/// by a new one, one slot at a time; the old one retires only once its replacement
/// listens, so no slot ever stops serving.
///
/// Invariant: at most one replacement is starting at a time, and only while running().
class rolling_reload {
public:
    /// What to do next for the slots as they are now.
    struct step {
        enum kind { wait, replace, done } what = wait;
        int slot = -1; // with replace
    };

    unsigned generation() const noexcept { return generation_; }
    bool running() const noexcept { return running_; }
    /// A new generation of workers is wanted. False when a reload runs already: it goes
    /// on until every worker is of the new generation.
    bool begin() noexcept;
    /// While running and no replacement is starting: the next slot whose worker is of an
    /// older generation and ready; wait while such a worker is still starting.
    step next(const std::vector<worker_slot>& slots) const;

    const worker_ptr& replacement() const noexcept { return replacement_; }
    void replacing(worker_ptr w) { replacement_ = std::move(w); }
    /// `w` took its slot, or failed.
    void replacement_done(const worker_ptr& w) noexcept;
    void finish() noexcept { running_ = false; }
    /// Stop without finishing (a failure, or the master stops); `forget` drops the
    /// replacement too.
    void abort(bool forget) noexcept;

private:
    unsigned generation_ = 0;
    bool running_ = false;
    worker_ptr replacement_; // forked by this reload, not listening yet
};

} // namespace nodus::cluster::detail
