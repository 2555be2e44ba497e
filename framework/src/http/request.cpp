// The request handle: every call forwards to the shared exchange.
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

#include <nodus/http/answers.hpp>
#include <nodus/http/error.hpp>

namespace nodus {

using detail::exchange;

namespace {
// A body the application will not take: answer 413 unless it already responded.
void answer_too_large(exchange* ex) {
    auto res = detail::handle_access::response_of(ex);
    if (!res.headers_sent() && !res.finished()) {
        res.set("Connection", "close");
        send_answer(res, 413);
    }
}

void flow_started(exchange* ex) {
    if (ex->conn()) ex->conn()->body_flow_changed(*ex);
}
} // namespace

std::string_view request::method() const noexcept { return ex_ ? ex_->req().method() : std::string_view{}; }
std::string_view request::target() const noexcept { return ex_ ? ex_->req().target() : std::string_view{}; }
std::string_view request::path() const noexcept { return ex_ ? ex_->req().path() : std::string_view{}; }
std::string_view request::query_string() const noexcept {
    return ex_ ? ex_->req().query_string() : std::string_view{};
}

std::span<const nodus::param> request::query_params() const {
    return ex_ ? ex_->req().query_params() : std::span<const nodus::param>{};
}
std::string_view request::query(std::string_view name) const {
    auto* p = ex_ ? ex_->req().find_query(name) : nullptr;
    return p ? p->value : std::string_view{};
}
bool request::has_query(std::string_view name) const { return ex_ && ex_->req().find_query(name); }

std::string_view request::header(std::string_view name) const noexcept {
    auto* f = ex_ ? ex_->req().find_field(name) : nullptr;
    return f ? f->value : std::string_view{};
}
bool request::has_header(std::string_view name) const noexcept { return ex_ && ex_->req().find_field(name); }
std::span<const header_field> request::headers() const noexcept {
    return ex_ ? ex_->req().fields() : std::span<const header_field>{};
}
std::string_view request::host() const noexcept {
    if (!ex_) return {};
    auto authority = ex_->req().authority();
    return authority.empty() ? header("host") : authority;
}

std::string_view request::trailer(std::string_view name) const noexcept {
    auto* f = ex_ ? ex_->req().find_trailer(name) : nullptr;
    return f ? f->value : std::string_view{};
}
bool request::has_trailer(std::string_view name) const noexcept {
    return ex_ && ex_->req().find_trailer(name);
}
std::span<const header_field> request::trailers() const noexcept {
    return ex_ ? ex_->req().trailers() : std::span<const header_field>{};
}
int request::version() const noexcept { return ex_ ? ex_->req().info().version : 11; }

std::string_view request::remote_address() const noexcept {
    return ex_ ? ex_->req().remote_address() : std::string_view{};
}
std::uint16_t request::remote_port() const noexcept { return ex_ ? ex_->req().remote_port() : 0; }
bool request::secure() const noexcept { return ex_ && ex_->req().secure(); }

std::string_view request::param(std::string_view name) const noexcept {
    auto* p = ex_ ? ex_->req().find_param(name) : nullptr;
    return p ? p->value : std::string_view{};
}
std::string_view request::raw_param(std::string_view name) const noexcept {
    return ex_ ? ex_->req().raw_param(name) : std::string_view{};
}
bool request::has_param(std::string_view name) const noexcept { return ex_ && ex_->req().find_param(name); }
std::string_view request::route() const noexcept { return ex_ ? ex_->req().route() : std::string_view{}; }
std::span<const nodus::param> request::params() const noexcept {
    return ex_ ? ex_->req().params() : std::span<const nodus::param>{};
}

std::optional<std::uint64_t> request::content_length() const noexcept {
    if (!ex_ || !ex_->req().info().has_content_length) return std::nullopt;
    return ex_->req().info().content_length;
}
bool request::has_body() const noexcept {
    if (!ex_) return false;
    auto& info = ex_->req().info();
    return info.chunked || (info.has_content_length && info.content_length > 0);
}

void request::on_data(std::function<void(std::string_view)> fn) const {
    if (ex_ && ex_->body().on_data(std::move(fn))) flow_started(ex_.get());
}
void request::on_end(std::function<void()> fn) const {
    if (ex_ && ex_->body().on_end(std::move(fn))) flow_started(ex_.get());
}
void request::on_error(std::function<void(std::error_code)> fn) const {
    if (ex_) ex_->body().on_error(std::move(fn));
}
void request::pause() const noexcept {
    if (ex_) ex_->body().pause();
}
void request::resume() const {
    if (ex_ && ex_->body().resume()) flow_started(ex_.get());
}
bool request::paused() const noexcept { return ex_ && ex_->body().paused(); }
bool request::complete() const noexcept { return ex_ && ex_->body().done(); }
bool request::aborted() const noexcept { return ex_ && ex_->res().aborted(); }

void request::body(std::size_t limit, std::function<void(std::error_code, std::string)> fn) const {
    if (!ex_) return;
    auto& flow = ex_->body();
    if (flow.done()) {
        fn({}, flow.take_collected());
        return;
    }
    if (flow.failed()) {
        fn(make_error_code(errc::aborted), {});
        return;
    }
    auto& info = ex_->req().info();
    if (info.has_content_length && info.content_length > limit) {
        // Known too large before reading a byte: answer without asking for the body.
        fn(make_error_code(errc::body_too_large), {});
        answer_too_large(ex_.get());
        return;
    }
    exchange* ex = ex_.get();
    flow.start_collect(
        limit, std::move(fn),
        [ex](std::string_view chunk) {
            if (!ex->body().collect_chunk(chunk)) answer_too_large(ex);
        },
        [ex] { ex->body().finish_collect(); });
    if (flow.resume()) flow_started(ex);
}

} // namespace nodus
