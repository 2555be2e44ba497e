#pragma once
// The master's side of the table it shares with its workers.
#include "cluster/detail/state.hpp"

#include <cstddef>
#include <cstdint>

#include <sys/types.h>

namespace nodus::cluster::detail {

/// Rows of `shared_slot` in memory mapped MAP_SHARED before the first fork, so that every
/// worker reads and writes the same rows (state().table). The master claims a row for each
/// worker process it forks and frees it once that process was reaped; a worker writes
/// only its own row's counts, and its state when it leaves the rotation by itself.
///
/// Invariant: a row is free, or claimed by exactly one worker process (its pid set once
/// forked), until release().
class worker_table {
public:
    /// Map `rows` rows, all free. @throws std::system_error when mmap fails.
    void map(std::size_t rows);

    /// A free row, now `slot_starting` with no pid; -1 when every row is taken.
    int claim() noexcept;
    void set_pid(int row, pid_t pid) noexcept;
    void release(int row) noexcept;
    void set_state(int row, slot_state s) noexcept;
    /// starting → accepting; a row whose worker began to stop meanwhile stays as it is.
    void promote(int row) noexcept;
    bool accepting(int row) const noexcept;
    std::size_t connections(int row) const noexcept;
    /// balance = round_robin: connections the row's worker took from its channel.
    std::uint32_t taken(int row) const noexcept;
    /// Halve every row's recent-accept count (balance = shared's fairness compares rates).
    void decay() noexcept;
};

} // namespace nodus::cluster::detail
