// The router's and the app's way into an exchange (detail/access.hpp).
#include "http/detail/access.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

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
