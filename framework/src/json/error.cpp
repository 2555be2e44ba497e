// The errors of nodus::json and the JSON answers they get.
#include <nodus/json/json.hpp>

#include <boost/json/serialize.hpp>

#include <string>

namespace nodus::json {

namespace {
class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "nodus.json"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::wrong_content_type: return "the Content-Type is not JSON";
        case errc::not_convertible: return "the JSON value does not convert to the type expected";
        }
        return "unknown nodus.json error";
    }
};
} // namespace

const std::error_category& error_category() noexcept {
    static const category c;
    return c;
}

boost::json::object read_error::to_json() const {
    boost::json::object o;
    o["error"] = message;
    if (line != 0) {
        o["offset"] = offset;
        o["line"] = line;
        o["column"] = column;
    }
    return o;
}

namespace {
bool answer(const response& res, int status, bool close, const boost::json::object& body) {
    if (res.headers_sent() || res.finished()) return false;
    res.status(status);
    res.set("Content-Type", "application/json");
    if (close) res.set("Connection", "close");
    return res.end(boost::json::serialize(body));
}
} // namespace

bool send_error(const response& res, const read_error& err) {
    return answer(res, err.status, err.body_unread, err.to_json());
}

bool send_error(const response& res, int status, std::string_view message) {
    boost::json::object o;
    o["error"] = message;
    return answer(res, status, false, o);
}

namespace detail {
read_error conversion_error(const std::exception& e) {
    read_error err;
    err.status = 422;
    err.code = make_error_code(errc::not_convertible);
    err.message = std::string("the JSON value does not fit: ") + e.what();
    return err;
}
} // namespace detail

} // namespace nodus::json
