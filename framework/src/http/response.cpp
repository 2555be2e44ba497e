// The response handle: every call forwards to the shared exchange. Calls after the
// connection let go of the exchange change nothing and report false.
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

namespace nodus {

namespace {
// Headers can change only while a connection serves the exchange and the head is unsent.
detail::response_state* editable(const detail::exchange_ptr& ex) noexcept {
    return ex && ex->conn() && !ex->res().head_sent() ? &ex->res() : nullptr;
}
} // namespace

const response& response::status(int code) const noexcept {
    if (auto* st = editable(ex_)) st->set_status(code);
    return *this;
}
int response::status() const noexcept { return ex_ ? ex_->res().status() : 0; }

bool response::set(std::string_view name, std::string_view value) const {
    auto* st = editable(ex_);
    return st && st->set(name, value);
}
bool response::append(std::string_view name, std::string_view value) const {
    auto* st = editable(ex_);
    return st && st->append(name, value);
}
bool response::remove(std::string_view name) const {
    auto* st = editable(ex_);
    return st && st->remove(name);
}
std::string_view response::get(std::string_view name) const noexcept {
    return ex_ ? ex_->res().get(name) : std::string_view{};
}

bool response::write_head(int code) const {
    if (!ex_ || ex_->res().head_sent() || ex_->res().ended() || !ex_->conn()) return false;
    if (code) status(code);
    return ex_->conn()->res_write_head(*ex_);
}
bool response::headers_sent() const noexcept { return ex_ && ex_->res().head_sent(); }

bool response::write(std::string_view chunk) const {
    if (!ex_ || ex_->res().ended() || !ex_->conn()) {
        if (ex_ && ex_->res().ended()) log::get().debug("response write after end ignored");
        return false;
    }
    return ex_->conn()->res_write(*ex_, chunk, false);
}

void response::on_drain(std::function<void()> fn) const {
    if (ex_) ex_->res().on_drain(std::move(fn));
}

bool response::end(std::string_view body) const {
    if (!ex_ || ex_->res().ended()) return false;
    if (!ex_->conn()) {
        ex_->res().mark_ended();
        return false;
    }
    return ex_->conn()->res_write(*ex_, body, true);
}

bool response::finished() const noexcept { return ex_ && ex_->res().ended(); }
bool response::aborted() const noexcept { return ex_ && ex_->res().aborted(); }
void response::on_close(std::function<void()> fn) const {
    if (ex_) ex_->res().on_close(std::move(fn));
}
void response::fail(std::exception_ptr e) const noexcept {
    if (ex_) detail::callback_threw(*ex_, "callback", e);
}

std::size_t response::buffered() const noexcept { return ex_ && ex_->conn() ? ex_->conn()->buffered() : 0; }

} // namespace nodus
