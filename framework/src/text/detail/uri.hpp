#pragma once
// URI syntax (RFC 3986) that HTTP needs: the host and port of a Host field, of an
// authority-form target (CONNECT) and of an absolute-form target's authority, and the
// parts of an absolute-form target.
#include <string_view>

namespace nodus::detail {

/// `uri-host [":" port]`: reg-name (unreserved, pct-encoded, sub-delims but ','), which covers
/// IPv4, or `[IPv6]` / `[vX.future]`; port at most 5 digits and <= 65535, may be empty
/// ("host:", RFC 3986) unless port_required (authority-form of CONNECT). An empty host is
/// refused: the caller accepts an empty Host value itself.
bool valid_host(std::string_view host, bool port_required = false) noexcept;

/// The parts of an absolute-form request-target (RFC 9112 3.2.2):
/// `scheme "://" authority [ path-abempty ] [ "?" query ]`.
struct absolute_form {
    std::string_view authority;
    std::string_view path_and_query; ///< from the '/' or '?' after the authority; may be empty
};

/// Splits `target` when it starts as an absolute-form one does (ALPHA *scheme-byte "://");
/// false for the other forms (origin, authority, asterisk). The authority is not checked
/// (valid_host does that).
bool split_absolute_form(std::string_view target, absolute_form& out) noexcept;

} // namespace nodus::detail
