// CORS (the Fetch standard's CORS protocol) as router middleware.
#include <nodus/cors/cors.hpp>
#include <nodus/http/vary.hpp>

#include "text/detail/char_class.hpp"

#include <algorithm>
#include <memory>
#include <string>

namespace nodus {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (auto& i : items) {
        if (!out.empty()) out += ", ";
        out += i;
    }
    return out;
}

// The options, with the joined header values computed once at setup.
struct cors_policy {
    cors_options opts;
    bool any_origin = false;
    std::string methods, headers, exposed, max_age;

    explicit cors_policy(cors_options o) : opts(std::move(o)) {
        any_origin = !opts.allow_origin &&
            std::find(opts.origins.begin(), opts.origins.end(), "*") != opts.origins.end();
        methods = join(opts.methods);
        headers = join(opts.headers);
        exposed = join(opts.exposed_headers);
        if (opts.max_age) max_age = std::to_string(opts.max_age->count());
    }

    bool allowed(std::string_view origin) const {
        if (opts.allow_origin) return opts.allow_origin(origin);
        if (any_origin) return true;
        return std::any_of(opts.origins.begin(), opts.origins.end(),
                           [origin](const std::string& o) { return detail::iequals(o, origin); });
    }

    // The origin the response names: "*" only when any origin may read it without credentials.
    void allow(const response& res, std::string_view origin) const {
        res.set_sticky("Access-Control-Allow-Origin",
                       any_origin && !opts.credentials ? std::string_view{"*"} : origin);
        if (opts.credentials) res.set_sticky("Access-Control-Allow-Credentials", "true");
    }

    void preflight(const request& req, const response& res, bool ok) const {
        if (ok) {
            res.set("Access-Control-Allow-Methods", methods);
            auto asked = req.header("Access-Control-Request-Headers");
            auto allow_headers = opts.headers.empty() ? asked : std::string_view{headers};
            if (!allow_headers.empty()) {
                res.set("Access-Control-Allow-Headers", allow_headers);
                if (opts.headers.empty()) add_vary(res, "Access-Control-Request-Headers");
            }
            if (!max_age.empty()) res.set("Access-Control-Max-Age", max_age);
        }
        res.status(204).end();
    }
};

} // namespace

std::vector<std::string> split_origins(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = detail::trim_ows(list.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return out;
}

middleware cors(cors_options opts) {
    auto policy = std::make_shared<const cors_policy>(std::move(opts));
    return [policy](request req, response res, next_fn next) {
        auto& p = *policy;
        if (!p.any_origin || p.opts.credentials) add_vary(res, "Origin");
        if (!req.has_header("Origin")) {
            next();
            return;
        }
        auto origin = req.header("Origin");
        bool ok = p.allowed(origin);
        if (ok) p.allow(res, origin);
        if (req.method() == "OPTIONS" && req.has_header("Access-Control-Request-Method")) {
            p.preflight(req, res, ok);
            return;
        }
        if (ok && !p.exposed.empty()) res.set_sticky("Access-Control-Expose-Headers", p.exposed);
        next();
    };
}

} // namespace nodus
