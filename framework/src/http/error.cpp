#include <nodus/http/error.hpp>

#include <string>

namespace nodus {

namespace {
class category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "nodus"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::aborted: return "the client closed the connection";
        case errc::body_too_large: return "the request body is too large";
        case errc::timeout: return "the request body timed out";
        case errc::bad_body: return "the request body is malformed";
        case errc::unsupported_media_type:
            return "the request body's media type or encoding is not supported";
        }
        return "unknown nodus error";
    }
};
} // namespace

const std::error_category& error_category() noexcept {
    static const category_impl c;
    return c;
}

} // namespace nodus
