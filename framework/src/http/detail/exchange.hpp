#pragma once
// One HTTP exchange: the parsed request, its body flow, and the response state.
// Pooled per loop; handles (request/response) hold a plain, non-atomic count.
#include <nodus/http/error.hpp>
#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

#include "http/detail/access.hpp"
#include "http/detail/strict.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nodus::http::detail { class connection; }

namespace nodus::detail {

class exchange;

// Beast's parser, with callbacks that record the request into the exchange and pass
// body bytes straight through (never collected).
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
};

class exchange {
public:
    // ---- ownership
    int refs_ = 0;                                 // request/response handles
    http::detail::connection* conn_ = nullptr;     // null once detached
    exchange* next_free_ = nullptr;

    void add_ref() noexcept { ++refs_; }
    void release() noexcept;
    void reset() noexcept;                         // back to a blank state, capacity kept

    // ---- request
    std::string head_;                             // the raw head; every view points into it
    std::string_view method_, target_, path_, query_;
    std::vector<header_field> fields_;
    http::detail::head_info info_;
    std::array<param, max_route_params> params_{};
    std::size_t nparams_ = 0;
    std::vector<param> query_params_;
    bool query_parsed_ = false;
    std::vector<std::unique_ptr<char[]>> kept_;    // storage for decoded strings
    boost::asio::ip::tcp::endpoint remote_;
    mutable char remote_text_[48] = {};
    std::chrono::steady_clock::time_point start_;
    std::optional<request_parser> parser_;
    bool in_trailers_ = false;

    // ---- request body flow
    std::function<void(std::string_view)> on_data_;
    std::function<void()> on_end_;
    std::function<void(std::error_code)> on_error_;
    bool flowing_ = false;        // the application asked for the body
    bool paused_ = false;
    bool body_done_ = false;      // the whole body was parsed
    bool body_failed_ = false;
    bool continue_sent_ = false;
    // body(limit, fn)
    std::string collected_;
    std::size_t collect_limit_ = 0;
    std::function<void(std::error_code, std::string)> on_collected_;

    // ---- response
    int status_ = 200;
    std::string res_fields_;      // "Name: value\r\n" lines set by the application
    std::uint64_t declared_length_ = 0;
    bool has_declared_length_ = false;
    bool headers_sent_ = false;
    bool ended_ = false;          // end() called
    bool aborted_ = false;        // the connection closed before the response was sent
    bool chunked_ = false;        // response body uses chunked coding
    bool close_delimited_ = false;// HTTP/1.0 body of unknown length
    bool no_body_ = false;        // HEAD, 204, 304
    bool want_close_ = false;     // application set Connection: close
    bool user_date_ = false;      // application set its own Date
    bool user_server_ = false;    // application set its own Server
    bool need_drain_ = false;
    bool length_mismatch_ = false;   // body cut at the declared Content-Length
    std::uint64_t body_bytes_ = 0;
    std::function<void()> on_drain_;
    std::function<void()> on_close_;

    // ---- helpers used by the handles
    std::string_view header(std::string_view name) const noexcept;
    std::string_view res_get(std::string_view name) const noexcept;
    bool res_remove(std::string_view name);
    void deliver(std::string_view chunk);   // one body chunk to the application
    void fail_body(std::error_code ec);     // body cannot complete
    void body_finished();                   // whole body parsed
    void fire_close();                      // connection lost before the response was sent
    void start_flow();                      // the application started reading
};

/// Per-loop pool of exchanges (and the scratch memory the pipeline shares).
exchange* acquire_exchange();
void recycle_exchange(exchange* ex) noexcept;

} // namespace nodus::detail
