#include <nodus/http/answers.hpp>

#include "http/detail/response_writer.hpp"

namespace nodus {

namespace {
answer_builder& builder() {
    static answer_builder fn;
    return fn;
}

answer default_answer(int status) { return {"text/plain", std::string{http::detail::reason(status)} + "\n"}; }
} // namespace

void set_answer_builder(answer_builder fn) { builder() = std::move(fn); }

std::string_view reason_phrase(int status) noexcept { return http::detail::reason(status); }

answer make_answer(int status) {
    if (auto& fn = builder()) {
        try {
            auto a = fn(status, http::detail::reason(status));
            // A media type that could not be sent as a field value would lose the answer.
            bool ok = !a.content_type.empty();
            for (char c : a.content_type)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ok = false;
            if (ok) return a;
        } catch (...) {}
    }
    return default_answer(status);
}

bool send_answer(const response& res, int status) {
    if (res.headers_sent() || res.finished()) return false;
    auto a = make_answer(status);
    res.status(status);
    res.set("Content-Type", a.content_type);
    return res.end(a.body);
}

} // namespace nodus
