#include <nodus/client/client.hpp>
#include <nodus/client/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <memory>

namespace nodus::client {

namespace {

// The body goes with `end` in one piece, so it is known whole when the head is built.
void fetch_whole(options opts, std::string body, std::size_t max_body,
                 std::function<void(const error&, result)> done) {
    auto cb = std::make_shared<std::function<void(const error&, result)>>(std::move(done));
    auto req = open(std::move(opts), [cb, max_body](response r) {
        r.body(max_body, [cb, r](const error& e, std::string text) {
            if (e) return (*cb)(e, {});
            result out;
            out.status = r.status();
            out.headers.reserve(r.headers().size());
            for (const auto& f : r.headers()) out.headers.emplace_back(f.name, f.value);
            out.body = std::move(text);
            (*cb)({}, std::move(out));
        });
    });
    req.on_error([cb](const error& e) { (*cb)(e, {}); });
    req.end(body);
}

void parse_json(const error& e, result r,
                const std::function<void(const error&, int, boost::json::value)>& done) {
    if (e) return done(e, 0, nullptr);
    if (r.body.empty()) return done({}, r.status, nullptr);
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (ec)
        return done({make_error_code(errc::bad_response), "bad response: body is not JSON"}, r.status,
                    nullptr);
    done({}, r.status, std::move(v));
}

} // namespace

void get(options opts, std::function<void(const error&, result)> done, std::size_t max_body) {
    opts.method = "GET";
    fetch_whole(std::move(opts), {}, max_body, std::move(done));
}

void post(options opts, std::string body, std::string content_type,
          std::function<void(const error&, result)> done, std::size_t max_body) {
    opts.method = "POST";
    opts.headers.emplace_back("Content-Type", std::move(content_type));
    fetch_whole(std::move(opts), std::move(body), max_body, std::move(done));
}

void get_json(options opts, std::function<void(const error&, int, boost::json::value)> done,
              std::size_t max_body) {
    opts.headers.emplace_back("Accept", "application/json");
    get(
        std::move(opts),
        [done = std::move(done)](const error& e, result r) { parse_json(e, std::move(r), done); }, max_body);
}

void post_json(options opts, const boost::json::value& body,
               std::function<void(const error&, int, boost::json::value)> done, std::size_t max_body) {
    opts.headers.emplace_back("Accept", "application/json");
    post(
        std::move(opts), boost::json::serialize(body), "application/json",
        [done = std::move(done)](const error& e, result r) { parse_json(e, std::move(r), done); }, max_body);
}

} // namespace nodus::client
