// Form bodies: the query string's splitting and decoding (text/detail/query.hpp and
// percent.hpp), applied to a body.
#include <nodus/form/form.hpp>
#include <nodus/http/answers.hpp>
#include <nodus/http/error.hpp>

#include "text/detail/char_class.hpp"
#include "text/detail/query.hpp"

namespace nodus {

namespace {
std::string decoded(std::string_view raw) {
    std::string buf;
    auto v = detail::decode_component(raw, true, [&](std::string_view bytes) {
        buf.assign(bytes);
        return std::string_view{buf};
    });
    return std::string{v};
}
} // namespace

form::form(std::string_view body) {
    detail::split_query(body, [&](std::string_view n, std::string_view v) {
        fields_.push_back({decoded(n), decoded(v)});
    });
}

std::string_view form::get(std::string_view name) const noexcept {
    for (auto& f : fields_)
        if (f.name == name) return f.value;
    return {};
}

bool form::has(std::string_view name) const noexcept {
    for (auto& f : fields_)
        if (f.name == name) return true;
    return false;
}

std::vector<std::string_view> form::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (auto& f : fields_)
        if (f.name == name) out.push_back(f.value);
    return out;
}

bool is_form(const request& req) noexcept {
    auto type = req.header("Content-Type");
    type = detail::trim_ows(type.substr(0, type.find(';')));
    return detail::iequals(type, "application/x-www-form-urlencoded");
}

void read_form(const request& req, const response& res, std::size_t limit,
               std::function<void(std::error_code, form)> fn) {
    if (!is_form(req)) {
        fn(make_error_code(errc::unsupported_media_type), form{});
        if (!res.headers_sent() && !res.finished()) {
            // The body stays unread: closing is cheaper than reading what nobody wants.
            res.set("Connection", "close");
            send_answer(res, 415);
        }
        return;
    }
    req.body(limit, [fn = std::move(fn)](std::error_code ec, std::string body) {
        if (ec) fn(ec, form{});
        else fn({}, form{body});
    });
}

} // namespace nodus
