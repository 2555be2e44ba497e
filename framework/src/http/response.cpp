// The response handle: every call forwards to the shared exchange. Calls after the
// connection let go of the exchange change nothing and report false.
#include "http/detail/exchange.hpp"
#include "http/detail/server_impl.hpp"

#include <nodus/http/body_filter.hpp>

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <stdexcept>

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
bool response::set_sticky(std::string_view name, std::string_view value) const {
    auto* st = editable(ex_);
    if (!st || !st->set(name, value)) return false;
    ex_->make_extras().add_sticky(name, value);
    return true;
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
    if (auto* f = ex_->filter()) {
        f->filter(body_sink{*this}, {}, false);
        if (ex_->res().head_sent() || !ex_->conn()) return ex_->res().head_sent();
    }
    return ex_->conn()->res_write_head(*ex_);
}
bool response::headers_sent() const noexcept { return ex_ && ex_->res().head_sent(); }

bool response::write(std::string_view chunk) const {
    if (!ex_ || ex_->res().ended() || !ex_->conn()) {
        if (ex_ && ex_->res().ended()) log::get().debug("response write after end ignored");
        return false;
    }
    if (auto* f = ex_->filter()) return f->filter(body_sink{*this}, chunk, false);
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
    if (auto* f = ex_->filter()) return f->filter(body_sink{*this}, body, true);
    return ex_->conn()->res_write(*ex_, body, true);
}

bool response::write_through(std::string_view chunk, bool last) const {
    if (!ex_ || ex_->res().ended()) return false;
    if (!ex_->conn()) {
        if (last) ex_->res().mark_ended();
        return false;
    }
    return ex_->conn()->res_write(*ex_, chunk, last);
}

bool body_sink::write(std::string_view bytes) const { return res_.write_through(bytes, false); }
bool body_sink::end(std::string_view bytes) const { return res_.write_through(bytes, true); }

void response::on_finish(std::function<void(const finish_info&)> fn) const {
    if (!ex_ || !ex_->conn() || !fn) return;
    auto& req = ex_->req();
    if (req.start() == detail::request_head::clock::time_point{})
        req.set_start(detail::request_head::clock::now());
    ex_->make_extras().add_finish(std::move(fn));
}

void* response::local_slot(const void* key, void* (*make)(), void (*destroy)(void*)) const {
    if (!ex_) throw std::logic_error("response::local on an empty handle");
    return ex_->make_extras().local(key, make, destroy);
}

void* response::find_local_slot(const void* key) const noexcept {
    auto* x = ex_ ? ex_->extras() : nullptr;
    return x ? x->find_local(key) : nullptr;
}

bool response::set_body_filter(std::unique_ptr<body_filter> f) const {
    if (!f || !editable(ex_) || ex_->filter()) return false;
    ex_->make_extras().set_filter(std::move(f));
    return true;
}

bool response::finished() const noexcept { return ex_ && ex_->res().ended(); }
bool response::aborted() const noexcept { return ex_ && ex_->res().aborted(); }
void response::on_close(std::function<void()> fn) const {
    if (ex_) ex_->res().on_close(std::move(fn));
}
void response::abort_on_half_close() const noexcept {
    if (ex_) ex_->res().set_abort_on_half_close();
}

void response::fail(std::exception_ptr e) const noexcept {
    if (ex_) detail::callback_threw(*ex_, "callback", e);
}

std::size_t response::buffered() const noexcept { return ex_ && ex_->conn() ? ex_->conn()->buffered() : 0; }

} // namespace nodus
