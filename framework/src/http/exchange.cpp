#include "http/detail/exchange.hpp"
#include "text/detail/query.hpp"
#include "http/detail/server_impl.hpp"

#include <nodus/log/log.hpp>
#include <spdlog/logger.h>

#include <arpa/inet.h>
#include <strings.h>

#include <cstring>

namespace nodus {

// ------------------------------------------------------------------ errors

namespace {
class category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "nodus"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::aborted: return "the client closed the connection";
        case errc::body_too_large: return "the request body is too large";
        case errc::timeout: return "the request body timed out";
        case errc::bad_body: return "the request body is malformed";
        }
        return "unknown nodus error";
    }
};
} // namespace

const std::error_category& error_category() noexcept {
    static const category_impl c;
    return c;
}

namespace detail {

namespace beast = boost::beast;

static bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// ------------------------------------------------------------------ pool

namespace {
struct exchange_pool {
    exchange* free_ = nullptr;
    std::size_t count_ = 0;
    ~exchange_pool() {
        while (free_) {
            auto* n = free_->next_free_;
            delete free_;
            free_ = n;
        }
    }
};
exchange_pool& pool() {
    static exchange_pool p;
    return p;
}
// Exchanges live for one request; a few suffice for any load on one loop.
constexpr std::size_t max_pooled = 128;
} // namespace

exchange* acquire_exchange() {
    auto& p = pool();
    if (p.free_) {
        auto* ex = p.free_;
        p.free_ = ex->next_free_;
        ex->next_free_ = nullptr;
        --p.count_;
        return ex;
    }
    return new exchange;
}

void recycle_exchange(exchange* ex) noexcept {
    auto& p = pool();
    ex->reset();
    if (p.count_ >= max_pooled || ex->head_.capacity() > 65536) {
        delete ex;
        return;
    }
    ex->next_free_ = p.free_;
    p.free_ = ex;
    ++p.count_;
}

void exchange::release() noexcept {
    if (--refs_ > 0) return;
    if (conn_) conn_->exchange_unreferenced(*this);
    else recycle_exchange(this);
}

void exchange::reset() noexcept {
    head_.clear();
    method_ = target_ = path_ = query_ = {};
    fields_.clear();
    info_ = {};
    nparams_ = 0;
    query_params_.clear();
    query_parsed_ = false;
    kept_.clear();
    remote_text_[0] = 0;
    parser_.reset();
    in_trailers_ = false;
    on_data_ = nullptr;
    on_end_ = nullptr;
    on_error_ = nullptr;
    flowing_ = paused_ = body_done_ = body_failed_ = continue_sent_ = false;
    collected_.clear();
    collect_limit_ = 0;
    on_collected_ = nullptr;
    status_ = 200;
    res_fields_.clear();
    declared_length_ = 0;
    has_declared_length_ = headers_sent_ = ended_ = aborted_ = false;
    chunked_ = close_delimited_ = no_body_ = want_close_ = need_drain_ = length_mismatch_ = false;
    user_date_ = user_server_ = false;
    body_bytes_ = 0;
    on_drain_ = nullptr;
    on_close_ = nullptr;
}

std::string_view exchange::header(std::string_view name) const noexcept {
    for (auto& f : fields_)
        if (iequals(f.name, name)) return f.value;
    return {};
}

// res_fields_ holds "Name: value\r\n" lines; names are matched case-insensitively.
static std::size_t find_line(const std::string& s, std::string_view name, std::size_t from) noexcept {
    std::size_t pos = from;
    while (pos < s.size()) {
        auto eol = s.find("\r\n", pos);
        auto colon = s.find(':', pos);
        if (colon - pos == name.size() && ::strncasecmp(s.data() + pos, name.data(), name.size()) == 0)
            return pos;
        pos = eol + 2;
    }
    return std::string::npos;
}

std::string_view exchange::res_get(std::string_view name) const noexcept {
    auto pos = find_line(res_fields_, name, 0);
    if (pos == std::string::npos) return {};
    auto v = pos + name.size() + 2;
    return std::string_view(res_fields_).substr(v, res_fields_.find("\r\n", v) - v);
}

bool exchange::res_remove(std::string_view name) {
    bool any = false;
    std::size_t pos = 0;
    while ((pos = find_line(res_fields_, name, pos)) != std::string::npos) {
        res_fields_.erase(pos, res_fields_.find("\r\n", pos) + 2 - pos);
        any = true;
    }
    return any;
}

void exchange::start_flow() {
    if (flowing_ && !paused_) return;
    flowing_ = true;
    paused_ = false;
    if (conn_) conn_->body_flow_changed(*this);
}

void exchange::deliver(std::string_view chunk) {
    if (on_data_) on_data_(chunk);
}

void exchange::fail_body(std::error_code ec) {
    if (body_done_ || body_failed_) return;
    body_failed_ = true;
    auto data = std::move(on_data_);
    auto end = std::move(on_end_);
    auto err = std::move(on_error_);
    auto collected = std::move(on_collected_);
    on_data_ = nullptr;
    on_end_ = nullptr;
    on_error_ = nullptr;
    on_collected_ = nullptr;
    if (err) err(ec);
    if (collected) collected(ec, std::string{});
}

void exchange::body_finished() {
    if (body_done_ || body_failed_) return;
    body_done_ = true;
    auto data = std::move(on_data_);
    auto end = std::move(on_end_);
    auto err = std::move(on_error_);
    on_data_ = nullptr;
    on_end_ = nullptr;
    on_error_ = nullptr;
    if (end) end();
}

void exchange::fire_close() {
    aborted_ = true;
    auto fn = std::move(on_close_);
    on_close_ = nullptr;
    auto drain = std::move(on_drain_);
    on_drain_ = nullptr;
    if (fn) fn();
}

// ------------------------------------------------------------------ parser callbacks

void request_parser::on_request_impl(beast::http::verb, beast::string_view method,
                                     beast::string_view target, int, beast::error_code&) {
    ex_.method_ = {method.data(), method.size()};
    ex_.target_ = {target.data(), target.size()};
    auto q = ex_.target_.find('?');
    if (q == std::string_view::npos) {
        ex_.path_ = ex_.target_;
        ex_.query_ = {};
    } else {
        ex_.path_ = ex_.target_.substr(0, q);
        ex_.query_ = ex_.target_.substr(q + 1);
    }
}

void request_parser::on_field_impl(beast::http::field, beast::string_view name,
                                   beast::string_view value, beast::error_code& ec) {
    if (ex_.in_trailers_) {
        // Trailers come after the body; the head check never saw them.
        if (http::detail::check_trailer_field({name.data(), name.size()}, {value.data(), value.size()}).status)
            ec = beast::http::error::bad_field;
        return;   // trailers are validated, not exposed
    }
    ex_.fields_.push_back({{name.data(), name.size()}, {value.data(), value.size()}});
}

std::size_t request_parser::on_body_impl(beast::string_view body, beast::error_code&) {
    ex_.deliver({body.data(), body.size()});
    return body.size();
}

void request_parser::on_chunk_header_impl(std::uint64_t size, beast::string_view ext,
                                          beast::error_code& ec) {
    if (!http::detail::valid_chunk_extensions({ext.data(), ext.size()})) {
        ec = beast::http::error::bad_chunk_extension;
        return;
    }
    if (size == 0) ex_.in_trailers_ = true;
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                               beast::error_code&) {
    ex_.deliver({body.data(), body.size()});
    return body.size();
}

} // namespace detail

// ------------------------------------------------------------------ request handle

using detail::exchange;

request::request(exchange* ex) noexcept : ex_(ex) { if (ex_) ex_->add_ref(); }
request::request(const request& o) noexcept : ex_(o.ex_) { if (ex_) ex_->add_ref(); }
request& request::operator=(const request& o) noexcept {
    if (o.ex_) o.ex_->add_ref();
    if (ex_) ex_->release();
    ex_ = o.ex_;
    return *this;
}
request::request(request&& o) noexcept : ex_(o.ex_) { o.ex_ = nullptr; }
request& request::operator=(request&& o) noexcept {
    if (this != &o) {
        if (ex_) ex_->release();
        ex_ = o.ex_;
        o.ex_ = nullptr;
    }
    return *this;
}
request::~request() { if (ex_) ex_->release(); }

std::string_view request::method() const noexcept { return ex_ ? ex_->method_ : std::string_view{}; }
std::string_view request::target() const noexcept { return ex_ ? ex_->target_ : std::string_view{}; }
std::string_view request::path() const noexcept { return ex_ ? ex_->path_ : std::string_view{}; }
std::string_view request::query_string() const noexcept { return ex_ ? ex_->query_ : std::string_view{}; }

std::span<const param> request::query_params() const {
    if (!ex_) return {};
    if (!ex_->query_parsed_) {
        ex_->query_parsed_ = true;
        auto store = [this](std::string_view decoded) { return detail::keep(*this, decoded); };
        detail::split_query(ex_->query_, [&](std::string_view n, std::string_view v) {
            ex_->query_params_.push_back(
                {detail::decode_component(n, true, store), detail::decode_component(v, true, store)});
        });
    }
    return ex_->query_params_;
}

std::optional<std::string_view> request::query(std::string_view name) const {
    for (auto& p : query_params())
        if (p.name == name) return p.value;
    return std::nullopt;
}

std::string_view request::header(std::string_view name) const noexcept {
    return ex_ ? ex_->header(name) : std::string_view{};
}
bool request::has_header(std::string_view name) const noexcept {
    if (!ex_) return false;
    for (auto& f : ex_->fields_)
        if (detail::iequals(f.name, name)) return true;
    return false;
}
std::span<const header_field> request::headers() const noexcept {
    if (!ex_) return {};
    return ex_->fields_;
}
int request::version() const noexcept { return ex_ ? ex_->info_.version : 11; }

std::string_view request::remote_address() const noexcept {
    if (!ex_) return {};
    if (!ex_->remote_text_[0]) {
        // Formatted once per exchange, straight into the exchange (the access log asks for it
        // on every request).
        auto* sa = ex_->remote_.data();
        const void* addr = sa->sa_family == AF_INET6
                               ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr)
                               : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
        ::inet_ntop(sa->sa_family, addr, ex_->remote_text_, sizeof ex_->remote_text_);
    }
    return ex_->remote_text_;
}
std::uint16_t request::remote_port() const noexcept { return ex_ ? ex_->remote_.port() : 0; }

std::string_view request::param(std::string_view name) const noexcept {
    if (!ex_) return {};
    for (std::size_t i = 0; i < ex_->nparams_; ++i)
        if (ex_->params_[i].name == name) return ex_->params_[i].value;
    return {};
}
std::span<const nodus::param> request::params() const noexcept {
    if (!ex_) return {};
    return {ex_->params_.data(), ex_->nparams_};
}

std::optional<std::uint64_t> request::content_length() const noexcept {
    if (!ex_ || !ex_->info_.has_content_length) return std::nullopt;
    return ex_->info_.content_length;
}
bool request::has_body() const noexcept {
    return ex_ && (ex_->info_.chunked || (ex_->info_.has_content_length && ex_->info_.content_length > 0));
}

void request::on_data(std::function<void(std::string_view)> fn) {
    if (!ex_ || ex_->body_done_ || ex_->body_failed_) return;
    ex_->on_data_ = std::move(fn);
    ex_->start_flow();
}
void request::on_end(std::function<void()> fn) {
    if (!ex_) return;
    if (ex_->body_done_) {
        if (fn) fn();
        return;
    }
    if (ex_->body_failed_) return;
    ex_->on_end_ = std::move(fn);
    if (!ex_->paused_) ex_->start_flow();
}
void request::on_error(std::function<void(std::error_code)> fn) {
    if (!ex_ || ex_->body_done_ || ex_->body_failed_) return;
    ex_->on_error_ = std::move(fn);
}
void request::pause() noexcept {
    if (!ex_ || ex_->body_done_) return;
    ex_->paused_ = true;
}
void request::resume() {
    if (!ex_ || ex_->body_done_ || ex_->body_failed_) return;
    ex_->start_flow();
}
bool request::paused() const noexcept { return ex_ && ex_->paused_; }
bool request::complete() const noexcept { return ex_ && ex_->body_done_; }
bool request::aborted() const noexcept { return ex_ && ex_->aborted_; }

void request::body(std::size_t limit, std::function<void(std::error_code, std::string)> fn) {
    if (!ex_) return;
    if (ex_->body_done_) {
        fn({}, std::move(ex_->collected_));
        return;
    }
    if (ex_->body_failed_) {
        fn(make_error_code(errc::aborted), {});
        return;
    }
    if (ex_->info_.has_content_length && ex_->info_.content_length > limit) {
        // Known too large before reading a byte: answer without asking for the body.
        fn(make_error_code(errc::body_too_large), {});
        response res{ex_};
        if (!res.headers_sent()) {
            res.status(413);
            res.set("Connection", "close");
            res.set("Content-Type", "text/plain");
            res.end("Payload Too Large\n");
        }
        return;
    }
    exchange* ex = ex_;
    ex->collect_limit_ = limit;
    ex->on_collected_ = std::move(fn);
    ex->on_data_ = [ex](std::string_view chunk) {
        if (!ex->on_collected_) return;
        if (ex->collected_.size() + chunk.size() > ex->collect_limit_) {
            auto cb = std::move(ex->on_collected_);
            ex->on_collected_ = nullptr;
            ex->collected_.clear();
            cb(make_error_code(errc::body_too_large), {});
            response res{ex};
            if (!res.headers_sent() && !res.finished()) {
                res.status(413);
                res.set("Connection", "close");
                res.set("Content-Type", "text/plain");
                res.end("Payload Too Large\n");
            }
            return;
        }
        ex->collected_.append(chunk);
    };
    ex->on_end_ = [ex] {
        if (auto cb = std::move(ex->on_collected_)) {
            ex->on_collected_ = nullptr;
            cb({}, std::move(ex->collected_));
        }
    };
    ex->start_flow();
}

// ------------------------------------------------------------------ response handle

response::response(exchange* ex) noexcept : ex_(ex) { if (ex_) ex_->add_ref(); }
response::response(const response& o) noexcept : ex_(o.ex_) { if (ex_) ex_->add_ref(); }
response& response::operator=(const response& o) noexcept {
    if (o.ex_) o.ex_->add_ref();
    if (ex_) ex_->release();
    ex_ = o.ex_;
    return *this;
}
response::response(response&& o) noexcept : ex_(o.ex_) { o.ex_ = nullptr; }
response& response::operator=(response&& o) noexcept {
    if (this != &o) {
        if (ex_) ex_->release();
        ex_ = o.ex_;
        o.ex_ = nullptr;
    }
    return *this;
}
response::~response() { if (ex_) ex_->release(); }

response& response::status(int code) noexcept {
    if (ex_ && ex_->conn_ && !ex_->headers_sent_ && code >= 100 && code <= 999) ex_->status_ = code;
    return *this;
}
int response::status() const noexcept { return ex_ ? ex_->status_ : 0; }

static bool valid_field(std::string_view name, std::string_view value) noexcept {
    return http::detail::valid_field_name(name) && http::detail::valid_field_value(value);
}

// Framing headers are the pipeline's business; the application may declare a length.
static bool framing_field(std::string_view name) noexcept {
    return detail::iequals(name, "Transfer-Encoding");
}

bool response::set(std::string_view name, std::string_view value) {
    if (!ex_ || !ex_->conn_ || ex_->headers_sent_ || !valid_field(name, value) || framing_field(name))
        return false;
    ex_->res_remove(name);
    return append(name, value);
}

bool response::append(std::string_view name, std::string_view value) {
    if (!ex_ || !ex_->conn_ || ex_->headers_sent_ || !valid_field(name, value) || framing_field(name))
        return false;
    if (detail::iequals(name, "Content-Length")) {
        std::uint64_t n = 0;
        if (value.empty() || value.size() > 19) return false;
        for (char c : value) {
            if (c < '0' || c > '9') return false;
            n = n * 10 + static_cast<unsigned>(c - '0');
        }
        ex_->res_remove(name);
        ex_->declared_length_ = n;
        ex_->has_declared_length_ = true;
        return true;   // written by the serializer
    }
    if (detail::iequals(name, "Connection")) {
        if (value.find("close") != std::string_view::npos) ex_->want_close_ = true;
        return true;   // the pipeline writes Connection itself
    }
    if (detail::iequals(name, "Date")) ex_->user_date_ = true;
    if (detail::iequals(name, "Server")) ex_->user_server_ = true;
    auto& f = ex_->res_fields_;
    f.append(name).append(": ").append(value).append("\r\n");
    return true;
}

bool response::remove(std::string_view name) {
    if (!ex_ || !ex_->conn_ || ex_->headers_sent_) return false;
    if (detail::iequals(name, "Content-Length")) {
        bool had = ex_->has_declared_length_;
        ex_->has_declared_length_ = false;
        return had;
    }
    if (detail::iequals(name, "Date")) ex_->user_date_ = false;
    if (detail::iequals(name, "Server")) ex_->user_server_ = false;
    return ex_->res_remove(name);
}

std::string_view response::get(std::string_view name) const noexcept {
    return ex_ ? ex_->res_get(name) : std::string_view{};
}

bool response::write_head(int code) {
    if (!ex_ || ex_->headers_sent_ || ex_->ended_ || !ex_->conn_) return false;
    if (code) status(code);
    return ex_->conn_->res_write_head(*ex_);
}
bool response::headers_sent() const noexcept { return ex_ && ex_->headers_sent_; }

bool response::write(std::string_view chunk) {
    if (!ex_ || ex_->ended_ || !ex_->conn_) {
        if (ex_ && ex_->ended_) log::get().debug("response write after end ignored");
        return false;
    }
    return ex_->conn_->res_write(*ex_, chunk, false);
}

void response::on_drain(std::function<void()> fn) { if (ex_) ex_->on_drain_ = std::move(fn); }

bool response::end(std::string_view body) {
    if (!ex_ || ex_->ended_) return false;
    if (!ex_->conn_) {
        ex_->ended_ = true;
        return false;
    }
    return ex_->conn_->res_write(*ex_, body, true);
}

bool response::finished() const noexcept { return ex_ && ex_->ended_; }
bool response::aborted() const noexcept { return ex_ && ex_->aborted_; }
void response::on_close(std::function<void()> fn) {
    if (!ex_) return;
    if (ex_->aborted_) {
        if (fn) fn();
        return;
    }
    ex_->on_close_ = std::move(fn);
}
std::size_t response::buffered() const noexcept {
    return ex_ && ex_->conn_ ? ex_->conn_->buffered() : 0;
}

// ------------------------------------------------------------------ access

namespace detail {
void set_params(const request& r, std::span<const param> p) {
    auto* ex = r.native();
    if (!ex) return;
    ex->nparams_ = std::min(p.size(), max_route_params);
    std::copy_n(p.begin(), ex->nparams_, ex->params_.begin());
}

std::string_view keep(const request& r, std::string_view bytes) {
    auto* ex = r.native();
    if (!ex) return {};
    auto buf = std::make_unique<char[]>(bytes.size() ? bytes.size() : 1);
    if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
    std::string_view out{buf.get(), bytes.size()};
    ex->kept_.push_back(std::move(buf));
    return out;
}

void abort_connection(const response& r) {
    auto* ex = r.native();
    if (ex && ex->conn_) ex->conn_->res_abort(*ex);
}
} // namespace detail

} // namespace nodus
