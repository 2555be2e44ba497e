// The test kit's request builder: well-formed HTTP/1.1 requests over one kept-alive connection.
#include <nodus/testing/client.hpp>

#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <strings.h>

namespace nodus::testing {

request::request(client& c, std::string_view method, std::string_view path)
    : client_(&c),
      head_(fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, path)),
      head_request_(method == "HEAD") {}

request& request::set(std::string_view name, std::string_view value) {
    if (name.size() == 12 && ::strncasecmp(name.data(), "Content-Type", 12) == 0) has_content_type_ = true;
    head_.append(name).append(": ").append(value).append("\r\n");
    return *this;
}

response request::send(std::string_view body) { return finish(body, true); }

response request::send(const boost::json::value& body) {
    if (!has_content_type_) set("Content-Type", "application/json");
    return finish(boost::json::serialize(body), true);
}

response request::send() { return finish({}, false); }

response request::send_chunks(std::initializer_list<std::string_view> pieces) { return send_pieces(pieces); }
response request::send_chunks(const std::vector<std::string>& pieces) { return send_pieces(pieces); }

template <class Pieces>
response request::send_pieces(const Pieces& pieces) {
    head_ += "Transfer-Encoding: chunked\r\n\r\n";
    std::vector<std::string> chunks;
    for (const auto& p : pieces) {
        if (std::string_view(p).empty()) continue; // an empty chunk would end the body
        chunks.push_back(fmt::format("{:x}\r\n{}\r\n", std::string_view(p).size(), std::string_view(p)));
    }
    chunks.emplace_back("0\r\n\r\n");
    std::vector<std::string_view> more(chunks.begin(), chunks.end());
    return client_->exchange(head_, more, head_request_);
}

response request::finish(std::string_view body, bool has_body) {
    if (has_body) head_ += fmt::format("Content-Length: {}\r\n", body.size());
    head_ += "\r\n";
    head_.append(body);
    return client_->exchange(head_, {}, head_request_);
}

client::client(std::uint16_t port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}

connection& client::ready() {
    if (!conn_.is_open()) {
        if (!conn_.connect(port_, timeout_))
            throw std::runtime_error(fmt::format("cannot connect to 127.0.0.1:{}", port_));
        ++opened_;
    }
    return conn_;
}

response client::exchange(std::string_view bytes, const std::vector<std::string_view>& more, bool head) {
    // A kept-alive connection may have been closed by the server while idle: a request that
    // got no byte back on a reused connection is sent once more on a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = conn_.is_open();
        auto& c = ready();
        std::optional<response> r;
        try {
            c.send(bytes);
            for (auto piece : more) c.send(piece);
            r = c.read_response(head);
        } catch (const std::runtime_error&) {}
        if (r) {
            if (r->closes()) c.close();
            return std::move(*r);
        }
        const bool retry = reused && !c.response_started();
        c.close();
        if (!retry) break;
    }
    const auto line = bytes.substr(0, bytes.find('\r'));
    throw std::runtime_error(fmt::format("no complete response to \"{}\" from 127.0.0.1:{} within {} ms",
                                         line, port_, timeout_.count()));
}

} // namespace nodus::testing
