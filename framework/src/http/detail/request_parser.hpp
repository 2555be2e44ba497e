#pragma once
// A request's parser: Beast's for the head and a Content-Length body, with callbacks that
// record the request line and fields into the exchange; nodus's own chunked_decoder for a
// chunked body, whose extensions and trailer section Beast would hold in the buffer whole
// before judging them. Body bytes go straight to the exchange's body flow (never collected).
#include "http/detail/chunked_decoder.hpp"
#include "http/detail/strict.hpp"

#include <nodus/config/config.hpp>

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <string_view>

namespace nodus::detail {

class exchange;

class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    explicit request_parser(exchange& ex) noexcept : ex_(ex) {}

    /// The body's limits: max_body_bytes (413), and for a chunked body's trailer section
    /// max_header_bytes and max_headers (431).
    void set_limits(const nodus::http_config& cfg) noexcept;

    struct body_progress {
        std::size_t used = 0; ///< bytes consumed
        http::detail::verdict error; ///< the body is refused (400, 413, 431)
        bool done = false; ///< the whole body (and any trailer section) is in
    };
    /// Parses body bytes, once the head is parsed, and delivers the data. Stops after each
    /// piece of data, so that a reader pausing in its callback gets no more.
    body_progress put_body(std::string_view data);

private:
    void on_request_impl(boost::beast::http::verb, boost::beast::string_view method,
                         boost::beast::string_view target, int version,
                         boost::beast::error_code& ec) override;
    void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
    void on_field_impl(boost::beast::http::field, boost::beast::string_view name,
                       boost::beast::string_view value, boost::beast::error_code& ec) override;
    void on_header_impl(boost::beast::error_code&) override {}
    void on_body_init_impl(boost::optional<std::uint64_t> const&, boost::beast::error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
    // Never called: a chunked body goes to chunks_, not to Beast.
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view,
                                   boost::beast::error_code&) override {
        return 0;
    }
    void on_finish_impl(boost::beast::error_code&) override {}

    body_progress put_chunked(std::string_view data);

    exchange& ex_;
    http::detail::chunked_decoder chunks_;
};

} // namespace nodus::detail
