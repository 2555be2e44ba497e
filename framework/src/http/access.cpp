// The router's and the app's way into an exchange (detail/access.hpp).
#include "http/detail/access.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

#include <unistd.h>

namespace nodus::detail {

void set_params(const request& r, std::span<const param> p) {
    if (auto* ex = handle_access::get(r)) ex->req().set_params(p);
}

void set_raw_params(const request& r, std::span<const param> p) {
    if (auto* ex = handle_access::get(r)) ex->req().set_raw_params(p);
}

void set_route(const request& r, std::string_view pattern, std::uint32_t id) noexcept {
    if (auto* ex = handle_access::get(r)) ex->req().set_route(pattern, id);
}

void set_mount(const request& r, std::string_view prefix) noexcept {
    if (auto* ex = handle_access::get(r)) ex->req().set_mount(prefix);
}

std::string_view mount(const request& r) noexcept {
    auto* ex = handle_access::get(r);
    return ex ? ex->req().mount() : std::string_view{};
}

bool has_body_filter(const response& r) noexcept {
    auto* ex = handle_access::get(r);
    return ex && ex->filter();
}

bool can_send_file(const response& r) noexcept {
    auto* ex = handle_access::get(r);
    return ex && ex->conn() && ex->conn()->can_sendfile() && !ex->filter();
}

bool send_file(const response& r, int fd, std::uint64_t offset, std::uint64_t length) {
    auto* ex = handle_access::get(r);
    // The bytes would bypass the filter or the connection's encryption.
    if (!can_send_file(r)) {
        ::close(fd);
        return false;
    }
    return ex->conn()->res_send_file(*ex, fd, offset, length);
}

std::uint64_t sendfile_bytes() noexcept { return http::detail::sendfile_bytes(); }

std::string_view keep(const request& r, std::string_view bytes) {
    auto* ex = handle_access::get(r);
    return ex ? ex->req().keep(bytes) : std::string_view{};
}

void refuse_body(const request& r) {
    auto* ex = handle_access::get(r);
    if (ex && ex->conn()) ex->conn()->refuse_body(*ex);
}

void abort_connection(const response& r) {
    auto* ex = handle_access::get(r);
    if (ex && ex->conn()) ex->conn()->res_abort(*ex);
}

} // namespace nodus::detail
