#pragma once
// The seam between nodus::app and the cluster: app::listen() calls this when
// [cluster] workers != 0. cluster/ and ipc/ themselves never include http/.
#include <nodus/config/config.hpp>
#include <nodus/http/server.hpp>

namespace nodus::detail {

/// Master: binds [server] host:port (or adopts systemd's LISTEN_FDS), forks the
/// workers, supervises, reloads and stops them, then throws `nodus::master_exited` with
/// the master's exit code: it never returns.
/// Worker (the fork child): makes `srv` serve the inherited listening socket
/// (`srv.listen_fd`), or with balance = round_robin the connections the master passes
/// over IPC; wires fair accepting, stats, IPC and graceful shutdown, and returns; the
/// caller then runs the loop as usual.
/// `tls_srv` (null without `[tls] port`): the HTTPS server, TLS already enabled; the
/// master binds `[server] host` : `[tls] port` once, before forking, and every worker
/// accepts on that socket (whatever `[cluster] balance` says for the plain port).
/// A worker reads the certificates again from the master's current `[tls]` when it
/// starts, so workers forked by a reload use renewed files.
/// @throws std::system_error (bind failure, in the master, before any fork).
void listen_clustered(const config& cfg, server& srv, server* tls_srv);

} // namespace nodus::detail
