// A connection handed over to another protocol (detail/upgrade.hpp).
#include "http/detail/access_line.hpp"
#include "http/detail/connection.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/upgrade.hpp"

#include <nodus/log/log.hpp>

namespace nodus::http::detail {

using nodus::detail::exchange;

int connection::release_for_upgrade(exchange& ex, std::string& rest, ssl_st*& tls) {
    if (&ex != cur_ || state_ != conn_state::waiting || ex.res().head_sent() || buffered() != 0 ||
        !ex.body().done())
        return -1;
    boost::system::error_code ec;
    if (!nodelay_) enable_nodelay(); // the new protocol sends small messages at any time
    rest.assign(in_.data + in_.beg, in_.unread());
    ex.res().set_status(101);
    if (log::access_enabled()) log_exchange(ex, 101);
    cur_ = nullptr;
    nodus::detail::exchange_ptr hold{&ex};
    ex.res().mark_ended();
    ex.detach(false, false);
    body_.stop();
    // release() cancels a pending read (its handler runs later with operation_aborted) and
    // hands the descriptor over without closing it. A client does not send before the 101
    // that the new owner writes, so no byte is left behind in a read that already ran.
    int fd = sock_.is_open() ? sock_.release(ec) : fd_;
    if (!ec) fd_ = -1;
    if (!ec) tls = take_tls();
    state_ = conn_state::closed;
    teardown();
    return ec ? -1 : fd;
}

taken_socket take_socket(exchange& ex) {
    taken_socket t;
    auto* c = ex.conn();
    if (!c) return t;
    t.v6 = c->remote_.address().is_v6();
    t.fd = c->release_for_upgrade(ex, t.rest, t.tls);
    return t;
}

} // namespace nodus::http::detail
