#pragma once
// balance = shared: the fairness rule a worker applies before each accept.
namespace nodus::cluster::detail {

/// Start publishing this worker's heartbeat in its row of the shared table (its peers
/// ignore a worker whose loop stopped turning), until fair_accept_stop().
void fair_accept_start();
void fair_accept_stop() noexcept;

/// Microseconds to wait before accepting again: 0, or a short back-off while this worker
/// holds clearly more than its share compared with the least-loaded peer that accepts.
/// `taken`: connections accepted in the current batch, not in the table yet.
unsigned worker_accept_delay(unsigned taken) noexcept;

} // namespace nodus::cluster::detail
