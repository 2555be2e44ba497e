#pragma once
// URI syntax (RFC 3986) that the HTTP checks need: the host and port of a Host field, of an
// authority-form target (CONNECT) and of an absolute-form target's authority.
#include <string_view>

namespace nodus::detail {

/// `uri-host [":" port]`: reg-name (unreserved, pct-encoded, sub-delims but ','), which covers
/// IPv4, or `[IPv6]` / `[vX.future]`; port at most 5 digits and <= 65535, may be empty
/// ("host:", RFC 3986) unless port_required (authority-form of CONNECT). An empty host is
/// refused: the caller accepts an empty Host value itself.
bool valid_host(std::string_view host, bool port_required = false) noexcept;

} // namespace nodus::detail
