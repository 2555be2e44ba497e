#pragma once
// The process's descriptor table, grown once before connections arrive.
//
// Linux grows a process's descriptor table by doubling it (64, 128, 256, ... entries) when a
// new descriptor does not fit, and a process with more than one thread (the log's writer is
// one) then waits for an RCU grace period before it goes on: milliseconds each time on a
// virtual machine. A fresh server that a thousand clients reach at once crossed five such
// sizes on its way to 2,048 descriptors and answered its first requests tens of
// milliseconds late (bench/burst.sh); the table never shrinks, so only the first burst paid.
// Growing it once when a server starts, before any client waits, moves that wait there.
#include <cstddef>

namespace nodus::net::detail {

/// The most entries reserve_descriptor_table() asks for: 8 bytes of kernel memory each.
inline constexpr std::size_t descriptor_table_reserve = 65536;

/// Grow this process's descriptor table to min(RLIMIT_NOFILE's soft limit,
/// descriptor_table_reserve) entries, once per process (a forked child, whose table was
/// copied at the size its open descriptors needed, does it again). Best effort: nothing
/// happens when the kernel refuses.
void reserve_descriptor_table() noexcept;

} // namespace nodus::net::detail
