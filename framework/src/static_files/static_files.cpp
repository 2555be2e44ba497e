// The static_files middleware: from a request to a file below the root (path.cpp, then
// open.cpp on the thread pool), the answer's head (validators.cpp, range.cpp,
// negotiate.cpp), and its body (body.cpp).
#include <nodus/static_files/static_files.hpp>

#include "http/detail/access.hpp"
#include "static_files/detail/body.hpp"
#include "static_files/detail/file_cache.hpp"
#include "static_files/detail/negotiate.hpp"
#include "static_files/detail/open.hpp"
#include "static_files/detail/path.hpp"
#include "static_files/detail/range.hpp"
#include "static_files/detail/validators.hpp"

#include <nodus/http/answers.hpp>
#include <nodus/http/vary.hpp>
#include <nodus/loop/loop.hpp>

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <memory>
#include <random>

namespace nodus {

namespace detail::files {
namespace {

struct config {
    config(std::string root_path, static_options o)
        : opt(std::move(o)), root(std::move(root_path), opt.follow_symlinks_outside) {
        if (opt.open_file_cache.count() > 0 && opt.open_file_cache_max > 0)
            cache = std::make_unique<file_cache>(opt.open_file_cache, opt.open_file_cache_max);
    }

    static_options opt;
    root_dir root;
    std::string cache_control;
    std::string boundary;
    std::unique_ptr<file_cache> cache; // null when off; used on the loop thread only
};

std::string cache_control_of(const static_options& o) {
    if (o.no_cache) return "no-cache";
    std::string v = "public, max-age=" + std::to_string(o.max_age.count());
    if (o.immutable) v += ", immutable";
    return v;
}

std::string make_boundary() {
    std::random_device rd;
    char buf[40];
    std::snprintf(buf, sizeof buf, "nodus-%08x%08x", rd(), rd());
    return buf;
}

// A request this middleware will not answer with a file: the next handler's, or `status`.
void pass(const config& cfg, const response& res, const next_fn& next, int status) {
    if (cfg.opt.fallthrough) return next();
    send_answer(res, status);
}

void redirect_to_directory(const request& req, const response& res) {
    // Leading slashes collapse to one: "//evil.example" must not become a protocol-relative
    // Location that leaves this site.
    auto path = req.path();
    while (path.size() > 1 && path[1] == '/') path.remove_prefix(1);
    std::string location{path};
    location += '/';
    if (!req.query_string().empty()) location.append("?").append(req.query_string());
    res.status(301);
    res.set("Location", location);
    res.set("Content-Type", "text/plain; charset=utf-8");
    res.end("Moved Permanently\n");
}

void set_representation_fields(const config& cfg, const response& res, const found_file& f, bool ranges) {
    res.set("Content-Type", content_type_for(f.name));
    if (!f.coding.empty()) res.set("Content-Encoding", f.coding);
    if (cfg.opt.precompressed_br || cfg.opt.precompressed_gzip) add_vary(res, "Accept-Encoding");
    if (!f.v.etag.empty()) res.set("ETag", f.v.etag);
    if (!f.last_modified.empty()) res.set("Last-Modified", f.last_modified);
    if (cfg.opt.cache_control) res.set("Cache-Control", cfg.cache_control);
    if (ranges) res.set("Accept-Ranges", "bytes");
}

// The file is open (`fd` is the response's own descriptor of it): answer 200, 206, 304, 412
// or 416.
void answer_file(const config& cfg, const request& req, const response& res, const found_file& f,
                 unique_fd fd) {
    const auto size = static_cast<std::uint64_t>(f.st.st_size);
    const bool head = req.method() == "HEAD";
    // Behind a body filter (compression) the bytes sent are not the file's: no ranges.
    const bool ranges = cfg.opt.ranges && !has_body_filter(res);
    set_representation_fields(cfg, res, f, ranges);

    switch (evaluate_preconditions(req, f.v)) {
    case precondition::failed: send_answer(res, 412); return;
    case precondition::not_modified: res.status(304).end(); return;
    case precondition::pass: break;
    }
    if (ranges && req.has_header("Range") && if_range_holds(req, f.v)) {
        auto r = parse_range(req.header("Range"), size, cfg.opt.max_ranges);
        if (r.outcome == range_outcome::unsatisfiable) {
            res.set("Content-Range", "bytes */" + std::to_string(size));
            send_answer(res, 416);
            return;
        }
        if (r.outcome == range_outcome::partial && r.ranges.size() == 1) {
            const auto& one = r.ranges[0];
            res.status(206);
            res.set("Content-Range",
                    "bytes " + std::to_string(one.first) + "-" + std::to_string(one.last) + "/" +
                        std::to_string(size));
            send_file_range(res, std::move(fd), one.first, one.length(), head);
            return;
        }
        if (r.outcome == range_outcome::partial) {
            send_multipart(res, std::move(fd), r.ranges, size, content_type_for(f.name), cfg.boundary, head);
            return;
        }
    }
    send_file_range(res, std::move(fd), 0, size, head);
}

// A descriptor of the cached file for one response: the connection closes its own.
unique_fd dup_of(const found_file& f) noexcept { return unique_fd{::fcntl(f.fd.get(), F_DUPFD_CLOEXEC, 0)}; }

std::string cache_key(const relative_path& p, const sibling_order& order) {
    std::string key = p.rel;
    key.push_back(p.trailing_slash ? '/' : '\0');
    for (int i = 0; i < order.count; ++i) key += order.suffix[i];
    return key;
}

void on_found(const config& cfg, const request& req, const response& res, const next_fn& next, lookup& found,
              const std::string& key) {
    if (found.directory) {
        if (cfg.opt.redirect) return redirect_to_directory(req, res);
        return pass(cfg, res, next, 404);
    }
    switch (found.err) {
    case 0: break;
    case EACCES:
    case EPERM: send_answer(res, 403); return;
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP: // a link, where links are refused
    case EXDEV: // a path leading out of the root
    case EISDIR: return pass(cfg, res, next, 404);
    default: send_answer(res, 500); return;
    }
    auto f = make_found(std::move(found), cfg.opt.etag, cfg.opt.last_modified);
    if (!cfg.cache) {
        auto fd = std::move(f.fd);
        return answer_file(cfg, req, res, f, std::move(fd));
    }
    const auto& kept = cfg.cache->store(key, std::move(f), file_cache::now());
    auto fd = dup_of(kept);
    if (!fd) return void(send_answer(res, 500));
    answer_file(cfg, req, res, kept, std::move(fd));
}

void serve(const std::shared_ptr<const config>& cfg, const request& req, const response& res,
           const next_fn& next) {
    const auto method = req.method();
    if (method != "GET" && method != "HEAD") {
        if (cfg->opt.fallthrough) return next();
        res.set("Allow", "GET, HEAD");
        send_answer(res, 405);
        return;
    }
    auto p = normalize_path(req.path().substr(mount(req).size()));
    if (p.verdict != path_verdict::ok)
        return pass(*cfg, res, next, p.verdict == path_verdict::malformed ? 400 : 404);
    if (p.dotfile && cfg->opt.dotfiles != dotfiles::allow) {
        if (cfg->opt.dotfiles == dotfiles::deny) return void(send_answer(res, 403));
        return pass(*cfg, res, next, 404);
    }
    auto order =
        siblings_for(req.header("Accept-Encoding"), cfg->opt.precompressed_br, cfg->opt.precompressed_gzip);
    std::string key;
    if (cfg->cache) {
        key = cache_key(p, order);
        if (const auto* f = cfg->cache->find(key, file_cache::now())) {
            // The only way around the pool: a descriptor opened and checked there before.
            if (auto fd = dup_of(*f)) return answer_file(*cfg, req, res, *f, std::move(fd));
        }
    }
    auto found = std::make_shared<lookup>();
    queue_work(
        [cfg, found, order, rel = std::move(p.rel), slash = p.trailing_slash]() mutable {
            find_file(cfg->root, std::move(rel), slash, cfg->opt.index, order.suffix, order.coding,
                      order.count, *found);
        },
        res.guard([cfg, found, req, res, next, key = std::move(key)](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
            if (res.finished()) return;
            on_found(*cfg, req, res, next, *found, key);
        }));
}

} // namespace
} // namespace detail::files

middleware static_files(std::string root, static_options options) {
    auto cfg = std::make_shared<detail::files::config>(std::move(root), std::move(options));
    cfg->cache_control = detail::files::cache_control_of(cfg->opt);
    cfg->boundary = detail::files::make_boundary();
    std::shared_ptr<const detail::files::config> shared = std::move(cfg);
    return
        [shared](request req, response res, next_fn next) { detail::files::serve(shared, req, res, next); };
}

} // namespace nodus
