#include "http/detail/request_parser.hpp"
#include "http/detail/exchange.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace nodus::detail {

namespace beast = boost::beast;

void request_parser::set_limits(const nodus::http_config& cfg) noexcept {
    if (cfg.max_body_bytes) body_limit(cfg.max_body_bytes);
    else body_limit(boost::none);
    chunks_.set_limits({cfg.max_body_bytes, cfg.max_header_bytes, cfg.max_headers});
}

request_parser::body_progress request_parser::put_body(std::string_view data) {
    if (chunked()) return put_chunked(data);
    beast::error_code ec;
    const std::size_t used = put(boost::asio::const_buffer(data.data(), data.size()), ec);
    if (ec == beast::http::error::need_more) return {used, {}, false};
    if (ec == beast::http::error::body_limit) return {used, {413, "body over the limit"}, false};
    if (ec) return {used, {400, "malformed body"}, false};
    return {used, {}, is_done()};
}

request_parser::body_progress request_parser::put_chunked(std::string_view data) {
    auto& req = ex_.req();
    auto step = chunks_.decode(data, req.trailer_section());
    if (!step.data.empty()) ex_.body().deliver(step.data);
    if (step.done) req.index_trailers();
    return {step.used, step.error, step.done};
}

void request_parser::on_request_impl(beast::http::verb, beast::string_view method, beast::string_view target,
                                     int, beast::error_code&) {
    ex_.req().set_line({method.data(), method.size()}, {target.data(), target.size()});
}

void request_parser::on_field_impl(beast::http::field, beast::string_view name, beast::string_view value,
                                   beast::error_code&) {
    ex_.req().add_field({name.data(), name.size()}, {value.data(), value.size()});
}

std::size_t request_parser::on_body_impl(beast::string_view body, beast::error_code&) {
    ex_.body().deliver({body.data(), body.size()});
    return body.size();
}

} // namespace nodus::detail
