#include "http/detail/body_flow.hpp"

#include <nodus/http/error.hpp>

namespace nodus::detail {

const char* to_string(body_state s) noexcept {
    switch (s) {
    case body_state::unread: return "unread";
    case body_state::held: return "held";
    case body_state::flowing: return "flowing";
    case body_state::paused: return "paused";
    case body_state::done: return "done";
    case body_state::failed: return "failed";
    }
    return "?";
}

bool body_flow::start() {
    if (state_ == body_state::flowing) return false;
    state_ = body_state::flowing;
    return true;
}

bool body_flow::on_data(data_fn fn) {
    if (settled()) return false;
    on_data_ = std::move(fn);
    return start();
}

bool body_flow::on_end(end_fn fn) {
    if (done()) {
        if (fn) fn();
        return false;
    }
    if (failed()) return false;
    on_end_ = std::move(fn);
    return paused() ? false : start();
}

void body_flow::on_error(error_fn fn) {
    if (!settled()) on_error_ = std::move(fn);
}

void body_flow::pause() noexcept {
    if (state_ == body_state::unread) state_ = body_state::held;
    else if (state_ == body_state::flowing) state_ = body_state::paused;
}

bool body_flow::resume() { return settled() ? false : start(); }

void body_flow::start_collect(std::size_t limit, collect_fn fn, data_fn data, end_fn end) {
    collect_limit_ = limit;
    on_collected_ = std::move(fn);
    on_data_ = std::move(data);
    on_end_ = std::move(end);
}

bool body_flow::collect_chunk(std::string_view chunk) {
    if (!on_collected_) return true;
    if (collected_.size() + chunk.size() > collect_limit_) {
        auto cb = std::move(on_collected_);
        on_collected_ = nullptr;
        collected_.clear();
        cb(make_error_code(errc::body_too_large), {});
        return false;
    }
    collected_.append(chunk);
    return true;
}

void body_flow::finish_collect() {
    if (auto cb = std::move(on_collected_)) {
        on_collected_ = nullptr;
        cb({}, std::move(collected_));
    }
}

// Callbacks are moved out before any runs: a callback may drop the last handle, and
// its own captures must outlive the call.
// (swap: the members are left empty without a second destruction)
void body_flow::finish() {
    if (settled()) return;
    state_ = body_state::done;
    data_fn data;
    end_fn end;
    error_fn err;
    data.swap(on_data_);
    end.swap(on_end_);
    err.swap(on_error_);
    if (end) end();
}

void body_flow::fail(std::error_code ec) {
    if (settled()) return;
    state_ = body_state::failed;
    auto taken = take_callbacks();
    if (taken.err) taken.err(ec);
    if (taken.collected) taken.collected(ec, std::string{});
}

body_flow::callbacks body_flow::take_callbacks() noexcept {
    callbacks taken;
    taken.data.swap(on_data_);
    taken.end.swap(on_end_);
    taken.err.swap(on_error_);
    taken.collected.swap(on_collected_);
    return taken;
}

void body_flow::drop_callbacks() noexcept { take_callbacks(); }

} // namespace nodus::detail
