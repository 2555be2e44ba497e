// The compression middleware: a body filter installed per response that decides, when the
// head is about to leave, whether to compress, then deflates as the application writes.
#include <nodus/compress/compression.hpp>
#include <nodus/http/body_filter.hpp>
#include <nodus/http/vary.hpp>

#include "compress/detail/zstream.hpp"

#include <memory>
#include <optional>

namespace nodus {

namespace {

struct shared_options {
    compression_options opts;
    bool compressible(std::string_view type) const {
        return opts.compressible ? opts.compressible(type) : compressible_type(type);
    }
};

bool bodiless(int status) noexcept { return status < 200 || status == 204 || status == 304; }

class compress_filter final : public body_filter {
public:
    compress_filter(std::shared_ptr<const shared_options> o, encoding_choice choice) noexcept
        : opts_(std::move(o)), choice_(choice) {}

    bool filter(const body_sink& out, std::string_view chunk, bool last) override {
        if (!decided_) decide(out.response(), chunk.size(), last);
        if (!z_) return last ? out.end(chunk) : out.write(chunk);
        buf_.clear();
        z_->compress(chunk, last, buf_);
        if (last) return out.end(buf_);
        // zlib keeps small pieces until it has a block: nothing queued, nothing to wait for.
        return buf_.empty() ? true : out.write(buf_);
    }

private:
    void decide(const response& res, std::size_t size, bool last) {
        decided_ = true;
        auto type = res.get("Content-Type");
        if (bodiless(res.status()) || !res.get("Content-Encoding").empty() || type.empty() ||
            !opts_->compressible(type))
            return;
        add_vary(res, "Accept-Encoding");
        if (choice_.coding == content_coding::identity) return;
        if (last && size < opts_->opts.threshold && !choice_.identity_refused) return;
        z_.emplace(choice_.coding, opts_->opts.level);
        res.set("Content-Encoding", choice_.coding == content_coding::gzip ? "gzip" : "deflate");
        res.remove("Content-Length");
        // The compressed bytes are not the entity the strong validator named (RFC 9110 8.8.1).
        auto etag = res.get("ETag");
        if (etag.starts_with('"')) res.set("ETag", "W/" + std::string{etag});
    }

    std::shared_ptr<const shared_options> opts_;
    encoding_choice choice_;
    bool decided_ = false;
    std::optional<detail::deflater> z_;
    std::string buf_;
};

} // namespace

middleware compression(compression_options opts) {
    auto o = std::make_shared<const shared_options>(shared_options{std::move(opts)});
    return [o](request req, response res, next_fn next) {
        // HEAD is never compressed, but says Vary as its GET would.
        auto choice = req.method() == "HEAD"
            ? encoding_choice{}
            : negotiate_encoding(req.header("Accept-Encoding"), o->opts.deflate);
        res.set_body_filter(std::make_unique<compress_filter>(o, choice));
        next();
    };
}

} // namespace nodus
