#pragma once
/** @file
    The reference that `nodus::request` and `nodus::response` hold to their exchange.
    Internal: applications never name it.
*/
#include <boost/smart_ptr/intrusive_ptr.hpp>

namespace nodus::detail {

class exchange;
class handle_access;

/// Every handle counts once on its exchange. The count is a plain integer: handles live
/// and die on the loop thread only (see docs/lifetimes.md).
void intrusive_ptr_add_ref(exchange* ex) noexcept;
void intrusive_ptr_release(exchange* ex) noexcept;

using exchange_ptr = boost::intrusive_ptr<exchange>;

} // namespace nodus::detail
