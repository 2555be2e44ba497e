#include "http/detail/request_parser.hpp"
#include "http/detail/exchange.hpp"
#include "http/detail/strict.hpp"

#include <boost/beast/http/error.hpp>

namespace nodus::detail {

namespace beast = boost::beast;

void request_parser::on_request_impl(beast::http::verb, beast::string_view method,
                                     beast::string_view target, int, beast::error_code&) {
    ex_.req().set_line({method.data(), method.size()}, {target.data(), target.size()});
}

void request_parser::on_field_impl(beast::http::field, beast::string_view name,
                                   beast::string_view value, beast::error_code& ec) {
    if (in_trailers_) {
        // Trailers come after the body; the head check never saw them.
        if (http::detail::check_trailer_field({name.data(), name.size()}, {value.data(), value.size()}).status)
            ec = beast::http::error::bad_field;
        return;   // trailers are validated, not exposed
    }
    ex_.req().add_field({name.data(), name.size()}, {value.data(), value.size()});
}

std::size_t request_parser::on_body_impl(beast::string_view body, beast::error_code&) {
    ex_.body().deliver({body.data(), body.size()});
    return body.size();
}

void request_parser::on_chunk_header_impl(std::uint64_t size, beast::string_view ext,
                                          beast::error_code& ec) {
    if (!http::detail::valid_chunk_extensions({ext.data(), ext.size()})) {
        ec = beast::http::error::bad_chunk_extension;
        return;
    }
    if (size == 0) in_trailers_ = true;
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                               beast::error_code&) {
    ex_.body().deliver({body.data(), body.size()});
    return body.size();
}

} // namespace nodus::detail
