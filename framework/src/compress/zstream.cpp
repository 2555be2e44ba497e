#include "compress/detail/zstream.hpp"

#include <zlib.h>

#include <new>

namespace nodus::detail {

namespace {
// Output is produced in pieces of this size: the most one step adds past a limit.
constexpr std::size_t piece = 16 * 1024;

// 15: the largest window (32 KiB), as gzip uses; +16 asks zlib for the gzip wrapper,
// +32 (inflate only) detects gzip or zlib from the header.
int window_bits(content_coding c) noexcept { return c == content_coding::gzip ? 15 + 16 : 15; }
} // namespace

struct deflater::state {
    z_stream z{};
};

deflater::deflater(content_coding coding, int level) : st_(std::make_unique<state>()) {
    if (level < 1 || level > 9) level = Z_DEFAULT_COMPRESSION;
    if (deflateInit2(&st_->z, level, Z_DEFLATED, window_bits(coding), 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
}

deflater::~deflater() { deflateEnd(&st_->z); }

void deflater::compress(std::string_view in, bool finish, std::string& out) {
    auto& z = st_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    const int flush = finish ? Z_FINISH : Z_NO_FLUSH;
    for (;;) {
        auto old = out.size();
        auto room = std::max<std::size_t>(piece, deflateBound(&z, z.avail_in) / 4);
        out.resize(old + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        z.avail_out = static_cast<uInt>(room);
        int rc = deflate(&z, flush);
        out.resize(old + room - z.avail_out);
        if (rc == Z_STREAM_END) return;
        // Z_BUF_ERROR: no progress possible, which with input consumed means done for now.
        if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::bad_alloc();
        if (!finish && z.avail_in == 0 && z.avail_out != 0) return;
    }
}

struct inflater::state {
    z_stream z{};
    std::size_t max_out = 0;
    bool ended = false;
};

inflater::inflater(content_coding coding, std::size_t max_out) : st_(std::make_unique<state>()) {
    st_->max_out = max_out;
    if (inflateInit2(&st_->z, coding == content_coding::gzip ? 15 + 16 : 15) != Z_OK) throw std::bad_alloc();
}

inflater::~inflater() { inflateEnd(&st_->z); }

bool inflater::finished() const noexcept { return st_->ended; }

inflater::result inflater::feed(std::string_view in, std::string& out) {
    auto& z = st_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    while (z.avail_in > 0) {
        if (st_->ended) {
            // Another gzip member may follow (RFC 1952 2.2); anything else is garbage.
            if (inflateReset(&z) != Z_OK) return result::corrupt;
            st_->ended = false;
        }
        auto old = out.size();
        if (old >= st_->max_out) return result::too_large;
        auto room = std::min(piece, st_->max_out - old + 1);
        out.resize(old + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        z.avail_out = static_cast<uInt>(room);
        int rc = inflate(&z, Z_NO_FLUSH);
        out.resize(old + room - z.avail_out);
        if (out.size() > st_->max_out) return result::too_large;
        if (rc == Z_STREAM_END) {
            st_->ended = true;
            continue;
        }
        if (rc == Z_BUF_ERROR && z.avail_out != 0) break; // wants more input
        if (rc != Z_OK && rc != Z_BUF_ERROR) return result::corrupt;
    }
    return st_->ended ? result::done : result::more;
}

} // namespace nodus::detail
