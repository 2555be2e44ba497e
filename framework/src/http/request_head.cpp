#include "http/detail/request_head.hpp"
#include "text/detail/char_class.hpp"
#include "text/detail/query.hpp"
#include "text/detail/uri.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace nodus::detail {

namespace {
const header_field* find_in(std::span<const header_field> fields, std::string_view name) noexcept {
    for (auto& f : fields)
        if (iequals(f.name, name)) return &f;
    return nullptr;
}
} // namespace

// Absolute-form: routed by its path, its authority standing for Host. The other forms
// (asterisk, authority) have no path to take apart.
std::string_view request_head::split_other_form(std::string_view target) noexcept {
    absolute_form parts;
    if (!split_absolute_form(target, parts)) return target;
    authority_ = parts.authority;
    return parts.path_and_query;
}

const header_field* request_head::find_field(std::string_view name) const noexcept {
    return find_in(fields_, name);
}

// Every line was checked as it arrived: `name ":" OWS value OWS CRLF`, then a last CRLF.
void request_head::index_trailers() {
    std::string_view rest{trailer_section_};
    for (auto eol = rest.find("\r\n"); eol != 0 && eol != std::string_view::npos; eol = rest.find("\r\n")) {
        const auto line = rest.substr(0, eol);
        const auto colon = line.find(':');
        trailers_.push_back({line.substr(0, colon), trim_ows(line.substr(colon + 1))});
        rest.remove_prefix(eol + 2);
    }
}

const header_field* request_head::find_trailer(std::string_view name) const noexcept {
    return find_in(trailers_, name);
}

void request_head::set_params(std::span<const param> p) noexcept {
    nparams_ = std::min(p.size(), max_route_params);
    std::copy_n(p.begin(), nparams_, params_.begin());
}

const param* request_head::find_param(std::string_view name) const noexcept {
    for (auto& p : params())
        if (p.name == name) return &p;
    return nullptr;
}

void request_head::set_raw_params(std::span<const param> p) noexcept {
    auto n = std::min(p.size(), max_route_params);
    for (std::size_t i = 0; i < n; ++i) raw_params_[i] = p[i].value;
}

std::string_view request_head::raw_param(std::string_view name) const noexcept {
    auto* p = find_param(name);
    return p ? raw_params_[static_cast<std::size_t>(p - params_.data())] : std::string_view{};
}

std::span<const param> request_head::query_params() {
    if (!query_parsed_) {
        query_parsed_ = true;
        auto store = [this](std::string_view decoded) { return keep(decoded); };
        split_query(query_, [&](std::string_view n, std::string_view v) {
            query_params_.push_back({decode_component(n, true, store), decode_component(v, true, store)});
        });
    }
    return query_params_;
}

const param* request_head::find_query(std::string_view name) {
    for (auto& p : query_params())
        if (p.name == name) return &p;
    return nullptr;
}

std::string_view request_head::keep(std::string_view bytes) {
    auto buf = std::make_unique<char[]>(bytes.size() ? bytes.size() : 1);
    if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
    std::string_view out{buf.get(), bytes.size()};
    kept_.push_back(std::move(buf));
    return out;
}

void request_head::index_head(std::string_view checked, http::detail::head_parts& parts) {
    const auto moved = [&](std::string_view v) {
        return std::string_view(head_.data() + (v.data() - checked.data()), v.size());
    };
    set_line(moved(parts.method), moved(parts.target));
    // The parts' vector becomes this head's, and this head's (cleared, its room kept) goes to
    // the parts for the next head: no field is copied.
    fields_.swap(parts.fields);
    for (auto& f : fields_) f = {moved(f.name), moved(f.value)};
}

namespace {
bool same_address(const boost::asio::ip::tcp::endpoint& x, const boost::asio::ip::tcp::endpoint& y) noexcept {
    const auto* a = x.data();
    const auto* b = y.data();
    if (a->sa_family != b->sa_family) return false;
    if (a->sa_family == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr ==
            reinterpret_cast<const sockaddr_in*>(b)->sin_addr.s_addr;
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr, sizeof(in6_addr)) == 0;
}
} // namespace

std::string_view request_head::remote_address() noexcept {
    if (!remote_text_[0] || !same_address(remote_, text_of_)) {
        text_of_ = remote_;
        // Formatted when the address changes, straight into the exchange (the access log asks
        // for it on every request).
        auto* sa = remote_.data();
        if (sa->sa_family == AF_INET) {
            // glibc formats an IPv4 address with sprintf: ten times the cost of this.
            const auto* b =
                reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
            char* p = remote_text_;
            for (int i = 0; i < 4; ++i) {
                unsigned v = b[i];
                if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
                if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
                *p++ = static_cast<char>('0' + v % 10);
                *p++ = i < 3 ? '.' : '\0';
            }
        } else {
            ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, remote_text_,
                        sizeof remote_text_);
        }
    }
    return remote_text_;
}

} // namespace nodus::detail
