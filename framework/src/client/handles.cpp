#include "client/detail/exchange.hpp"

#include "text/detail/char_class.hpp"

#include <nodus/client/client.hpp>

namespace nodus::client {

using nodus::detail::iequals;

namespace {
std::string_view find(std::span<const nodus::header_field> fields, std::string_view name) noexcept {
    for (const auto& f : fields)
        if (iequals(f.name, name)) return f.value;
    return {};
}
} // namespace

request open(options opts, std::function<void(response)> on_response) {
    return detail::exchange::open(std::move(opts), std::move(on_response));
}

bool request::write(std::string_view chunk) const { return ex_ && ex_->write(chunk); }
void request::on_drain(std::function<void()> fn) const {
    if (ex_) ex_->set_on_drain(std::move(fn));
}
bool request::end(std::string_view last) const { return ex_ && ex_->end(last); }
std::size_t request::buffered() const noexcept { return ex_ ? ex_->buffered() : 0; }
void request::abort() const noexcept {
    if (ex_) ex_->abort();
}
bool request::aborted() const noexcept { return ex_ && ex_->aborted(); }
bool request::finished() const noexcept { return !ex_ || ex_->finished(); }
void request::on_error(std::function<void(const error&)> fn) const {
    if (ex_) ex_->set_on_error(std::move(fn));
}
void request::on_continue(std::function<void()> fn) const {
    if (ex_) ex_->set_on_continue(std::move(fn));
}

int response::status() const noexcept { return ex_ ? ex_->head().status : 0; }
std::string_view response::reason() const noexcept { return ex_ ? ex_->head().reason : std::string_view(); }
int response::version() const noexcept { return ex_ ? ex_->head().version : 0; }
std::string_view response::header(std::string_view name) const noexcept { return find(headers(), name); }
bool response::has_header(std::string_view name) const noexcept {
    for (const auto& f : headers())
        if (iequals(f.name, name)) return true;
    return false;
}
std::span<const nodus::header_field> response::headers() const noexcept {
    if (!ex_) return {};
    return ex_->head().fields;
}
std::optional<std::uint64_t> response::content_length() const noexcept {
    if (!ex_ || !ex_->head().has_content_length) return std::nullopt;
    return ex_->head().content_length;
}
std::string_view response::trailer(std::string_view name) const noexcept { return find(trailers(), name); }
std::span<const nodus::header_field> response::trailers() const noexcept {
    if (!ex_) return {};
    return ex_->trailers();
}
void response::on_data(std::function<void(std::string_view)> fn) const {
    if (ex_) ex_->set_on_data(std::move(fn));
}
void response::on_end(std::function<void()> fn) const {
    if (ex_) ex_->set_on_end(std::move(fn));
}
void response::on_error(std::function<void(const error&)> fn) const {
    if (ex_) ex_->set_on_error(std::move(fn));
}
void response::pause() const noexcept {
    if (ex_) ex_->pause();
}
void response::resume() const {
    if (ex_) ex_->resume();
}
bool response::paused() const noexcept { return ex_ && ex_->paused(); }
bool response::complete() const noexcept { return ex_ && ex_->complete(); }
void response::body(std::size_t limit, std::function<void(const error&, std::string)> fn) const {
    if (ex_) ex_->collect(limit, std::move(fn));
}

std::string_view result::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers)
        if (iequals(n, name)) return v;
    return {};
}

} // namespace nodus::client
