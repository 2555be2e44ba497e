#include "http/detail/body_reader.hpp"
#include "http/detail/exchange.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace nodus::http::detail {

namespace beast = boost::beast;

const char* to_string(feed_result r) noexcept {
    switch (r) {
    case feed_result::more: return "more";
    case feed_result::progressed: return "progressed";
    case feed_result::done: return "done";
    case feed_result::too_large: return "too_large";
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
    auto& p = *ex.parser();
    beast::error_code ec;
    std::size_t used = p.put(boost::asio::const_buffer(data.data(), data.size()), ec);
    if (ec == beast::http::error::need_more) return {used, feed_result::more};
    if (discarding_) {
        if (used > budget_) return {used, feed_result::not_worth_it};
        budget_ -= used;
    }
    if (ec) return {used, ec == beast::http::error::body_limit ? feed_result::too_large : feed_result::malformed};
    if (p.is_done()) return {used, feed_result::done};
    return {used, used == 0 ? feed_result::more : feed_result::progressed};
}

} // namespace nodus::http::detail
