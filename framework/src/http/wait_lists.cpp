#include "http/detail/wait_lists.hpp"

namespace nodus::http::detail {

const char* to_string(wait_kind k) noexcept {
    switch (k) {
    case wait_kind::none: return "none";
    case wait_kind::header: return "header";
    case wait_kind::idle: return "idle";
    case wait_kind::body: return "body";
    case wait_kind::send: return "send";
    case wait_kind::linger: return "linger";
    case wait_kind::handshake: return "TLS handshake";
    case wait_kind::count: return "closed";
    }
    return "?";
}

} // namespace nodus::http::detail
