#pragma once
// The request half of an exchange: the head as received, and every view into it.
#include <nodus/http/request.hpp>

#include "http/detail/access.hpp"
#include "http/detail/strict.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::detail {

class request_head {
public:
    /// Start a request: `head` is copied; the parser then reports the line and the fields
    /// as views into the copy (see head()).
    void assign(std::string_view head, const http::detail::head_info& info);
    /// The stored copy of the head, to be parsed.
    std::string_view head() const noexcept { return head_; }
    std::size_t capacity() const noexcept { return head_.capacity() + trailer_section_.capacity(); }

    void set_line(std::string_view method, std::string_view target) noexcept;
    /// The line and fields check_request_head found in `checked` (the head before it was
    /// copied), moved onto the stored copy: what the parser would report, for a request
    /// without a body, which needs no parser. Takes the parts' vector of fields and leaves it
    /// this head's old one, emptied.
    void index_head(std::string_view checked, http::detail::head_parts& parts);
    void add_field(std::string_view name, std::string_view value) { fields_.push_back({name, value}); }

    std::string_view method() const noexcept { return method_; }
    std::string_view target() const noexcept { return target_; }
    /// The path of an origin-form or absolute-form target ("/" when the latter has none);
    /// the whole target of the other forms.
    std::string_view path() const noexcept { return path_; }
    std::string_view query_string() const noexcept { return query_; }
    /// An absolute-form target's authority, which stands for Host (RFC 9112 3.2.2); else empty.
    std::string_view authority() const noexcept { return authority_; }
    const http::detail::head_info& info() const noexcept { return info_; }
    std::span<const header_field> fields() const noexcept { return fields_; }
    const header_field* find_field(std::string_view name) const noexcept;

    /// A chunked body's trailer section as it arrives (chunked_decoder appends to it).
    std::string& trailer_section() noexcept { return trailer_section_; }
    /// The section is complete (and checked): index its fields, never merged with the head's.
    void index_trailers();
    std::span<const header_field> trailers() const noexcept { return trailers_; }
    const header_field* find_trailer(std::string_view name) const noexcept;

    void set_params(std::span<const param> p) noexcept;
    std::span<const param> params() const noexcept { return {params_.data(), nparams_}; }
    const param* find_param(std::string_view name) const noexcept;
    /// The values as they appear in the path; the names are set_params'.
    void set_raw_params(std::span<const param> p) noexcept;
    std::string_view raw_param(std::string_view name) const noexcept;

    /// The matched route's pattern (router storage) and its metrics id; empty and 0 when
    /// no route matched.
    void set_route(std::string_view pattern, std::uint32_t id) noexcept {
        route_ = pattern;
        route_id_ = id;
    }
    std::string_view route() const noexcept { return route_; }
    std::uint32_t route_id() const noexcept { return route_id_; }
    /// The prefix of the middleware being run (router storage); empty for one without.
    void set_mount(std::string_view prefix) noexcept { mount_ = prefix; }
    std::string_view mount() const noexcept { return mount_; }

    /// Decoded on first use; decoded strings are kept by the head.
    std::span<const param> query_params();
    const param* find_query(std::string_view name);

    /// Copy `bytes` into storage that lives as long as the request.
    std::string_view keep(std::string_view bytes);

    void set_remote(const boost::asio::ip::tcp::endpoint& ep) noexcept { remote_ = ep; }
    std::string_view remote_address() noexcept;
    std::uint16_t remote_port() const noexcept { return remote_.port(); }
    void set_secure(bool on) noexcept { secure_ = on; }
    bool secure() const noexcept { return secure_; }

    using clock = std::chrono::steady_clock;
    void set_start(clock::time_point t) noexcept { start_ = t; }
    clock::time_point start() const noexcept { return start_; }

    void reset() noexcept; // blank, capacity kept

private:
    std::string_view split_other_form(std::string_view target) noexcept;

    std::string head_;
    std::string_view method_, target_, path_, query_, authority_;
    std::vector<header_field> fields_;
    std::string trailer_section_;
    std::vector<header_field> trailers_;
    http::detail::head_info info_;
    std::array<param, max_route_params> params_{};
    std::size_t nparams_ = 0;
    std::array<std::string_view, max_route_params> raw_params_{};
    std::string_view route_;
    std::uint32_t route_id_ = 0;
    std::string_view mount_;
    std::vector<param> query_params_;
    bool query_parsed_ = false;
    std::vector<std::unique_ptr<char[]>> kept_;
    boost::asio::ip::tcp::endpoint remote_;
    // The text of text_of_'s address, kept across exchanges: the next exchange from the same
    // address (behind a load balancer or a proxy, nearly all) does not format it again.
    char remote_text_[48] = {};
    boost::asio::ip::tcp::endpoint text_of_;
    bool secure_ = false; // arrived over TLS
    clock::time_point start_;
};

// Run for every request: inline.
inline void request_head::assign(std::string_view head, const http::detail::head_info& info) {
    head_.assign(head.data(), head.size());
    info_ = info;
}

inline void request_head::set_line(std::string_view method, std::string_view target) noexcept {
    method_ = method;
    target_ = target;
    authority_ = {};
    auto path_query = target.empty() || target[0] == '/' ? target : split_other_form(target);
    auto q = path_query.find('?');
    if (q == std::string_view::npos) {
        path_ = path_query;
        query_ = {};
    } else {
        path_ = path_query.substr(0, q);
        query_ = path_query.substr(q + 1);
    }
    if (path_.empty() && !authority_.empty()) path_ = "/";
}

inline void request_head::reset() noexcept {
    head_.clear();
    method_ = target_ = path_ = query_ = authority_ = {};
    fields_.clear();
    trailer_section_.clear();
    trailers_.clear();
    info_ = {};
    nparams_ = 0;
    route_ = {};
    route_id_ = 0;
    mount_ = {};
    query_params_.clear();
    query_parsed_ = false;
    kept_.clear();
}

} // namespace nodus::detail
