#include "http/detail/body_reader.hpp"
#include "http/detail/exchange.hpp"

namespace nodus::http::detail {

const char* to_string(feed_result r) noexcept {
    switch (r) {
    case feed_result::more: return "more";
    case feed_result::progressed: return "progressed";
    case feed_result::done: return "done";
    case feed_result::too_large: return "too_large";
    case feed_result::fields_too_large: return "fields_too_large";
    case feed_result::malformed: return "malformed";
    case feed_result::not_worth_it: return "not_worth_it";
    }
    return "?";
}

void body_reader::start_discard(nodus::detail::exchange& ex) noexcept {
    discarding_ = true;
    budget_ = discard_budget;
    ex.body().drop_data();
}

body_reader::outcome body_reader::feed(nodus::detail::exchange& ex, std::string_view data) {
    const auto [used, error, done] = ex.parser()->put_body(data);
    if (discarding_) {
        if (used > budget_) return {used, feed_result::not_worth_it};
        budget_ -= used;
    }
    switch (error.status) {
    case 0: break;
    case 413: return {used, feed_result::too_large};
    case 431: return {used, feed_result::fields_too_large};
    default: return {used, feed_result::malformed};
    }
    if (done) return {used, feed_result::done};
    return {used, used == 0 ? feed_result::more : feed_result::progressed};
}

} // namespace nodus::http::detail
