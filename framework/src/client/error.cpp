#include <nodus/client/client.hpp>

namespace nodus::client {

namespace {
class category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "nodus.client"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::bad_request: return "bad request";
        case errc::dns_failure: return "DNS failure";
        case errc::connect_refused: return "connection refused";
        case errc::connect_failed: return "cannot connect";
        case errc::connect_timeout: return "connect timeout";
        case errc::tls_failed: return "TLS handshake failed";
        case errc::header_timeout: return "response header timeout";
        case errc::idle_timeout: return "idle timeout";
        case errc::bad_response: return "bad response";
        case errc::closed: return "connection closed";
        case errc::body_too_large: return "body too large";
        case errc::too_many_redirects: return "too many redirects";
        case errc::cancelled: return "cancelled";
        }
        return "unknown client error";
    }
};
} // namespace

const std::error_category& category() noexcept {
    static const category_impl c;
    return c;
}

std::string error::message() const { return reason.empty() ? code.message() : reason; }

} // namespace nodus::client
