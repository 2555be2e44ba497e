#pragma once
/** @file
    Liveness and readiness (docs/operations.md): what the admin listener's `/healthz` and
    `/readyz` answer, and how an application adds its own readiness checks or mounts the
    two endpoints on its main listener.
*/
#include <functional>
#include <string>
#include <string_view>

namespace nodus {
class router;
}

namespace nodus::health {

/** Add a readiness check, e.g. "the database answers". It runs on the loop at every
    readiness probe of this process (in a cluster, in each worker about once a second),
    so it must be quick: keep the state up to date elsewhere and only read it here.
    Returning false, or throwing, makes the process not ready. */
void add_check(std::string name, std::function<bool()> check);

/** Say whether the application is ready (true by default): false makes readiness answer
    503 until it is set back. */
void set_ready(bool ready) noexcept;

/** Why this process is not ready, or empty when it is: not listening yet, stopping, set
    not ready, or the name of the first failing check. In a cluster's master: the cluster's
    readiness (every worker slot has a listening worker that is ready, and no stop began). */
std::string not_ready_reason();

/** True unless the loop is stuck: its lag is over `[admin] max_loop_lag_ms`. */
bool live() noexcept;

/** Serve liveness at `health_path` and readiness at `ready_path` on `r` as well, e.g. on
    the application's main listener: 200 "ok" / "ready", or 503 with the reason. */
void mount(router& r, std::string_view health_path = "/healthz", std::string_view ready_path = "/readyz");

} // namespace nodus::health
