#pragma once
// The stopping hooks (`nodus::on_stopping`): who starts a graceful stop of the process
// calls begin_stopping once it has decided to stop.
namespace nodus::detail {

/// Run the hooks registered with `nodus::on_stopping`, in order, the first time only; an
/// exception from one is logged and the next still runs. Loop thread only.
void begin_stopping() noexcept;

} // namespace nodus::detail
