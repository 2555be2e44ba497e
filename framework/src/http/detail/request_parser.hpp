#pragma once
// Beast's parser, with callbacks that record the request line and fields into the
// exchange and pass body bytes straight to its body flow (never collected).
#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>

namespace nodus::detail {

class exchange;

class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    explicit request_parser(exchange& ex) noexcept : ex_(ex) {}
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
    void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view ext,
                              boost::beast::error_code& ec) override;
    std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                   boost::beast::error_code& ec) override;
    void on_finish_impl(boost::beast::error_code&) override {}

    exchange& ex_;
    bool in_trailers_ = false;
};

} // namespace nodus::detail
