#include "static_files/detail/body.hpp"

#include "http/detail/access.hpp"

#include <nodus/loop/loop.hpp>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include <unistd.h>

namespace nodus::detail::files {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

// One piece of the body: `text` first, then `length` bytes of the file from `offset`.
struct piece {
    std::string text;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

// Reads the pieces' file bytes on the thread pool, one chunk at a time, and writes them
// through the response: the next read starts once the response takes more (write returned
// true, or on_drain), so a slow client holds one chunk and the high-water mark, not the file.
class file_reader : public std::enable_shared_from_this<file_reader> {
public:
    file_reader(response res, unique_fd fd, std::vector<piece> pieces, std::string tail)
        : res_(std::move(res)), fd_(std::move(fd)), pieces_(std::move(pieces)), tail_(std::move(tail)) {}

    void start() { next(); }

private:
    void next() {
        while (index_ < pieces_.size()) {
            auto& p = pieces_[index_];
            if (!p.text.empty()) {
                bool more = res_.write(std::exchange(p.text, {}));
                if (!more) return wait_drain();
            }
            if (done_in_piece_ < p.length) return read();
            ++index_;
            done_in_piece_ = 0;
        }
        res_.end(tail_);
    }

    void wait_drain() {
        if (res_.finished()) return;
        res_.on_drain([self = shared_from_this()] { self->next(); });
    }

    void read() {
        auto& p = pieces_[index_];
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(read_chunk, p.length - done_in_piece_));
        buf_.resize(want);
        auto at = static_cast<off_t>(p.offset + done_in_piece_);
        auto self = shared_from_this();
        queue_work(
            [self, want, at] {
                std::size_t got = 0;
                while (got < want) {
                    auto n = ::pread(self->fd_.get(), self->buf_.data() + got, want - got,
                                     at + static_cast<off_t>(got));
                    if (n < 0 && errno == EINTR) continue;
                    if (n < 0) throw std::system_error(errno, std::generic_category(), "pread");
                    // The file shrank: the length promised in the head cannot be met.
                    if (n == 0)
                        throw std::system_error(std::make_error_code(std::errc::io_error), "file shrank");
                    got += static_cast<std::size_t>(n);
                }
            },
            res_.guard([self, want](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
                self->on_read(want);
            }));
    }

    void on_read(std::size_t n) {
        if (res_.finished()) return;
        done_in_piece_ += n;
        bool more = res_.write({buf_.data(), n});
        if (!more) return wait_drain();
        next();
    }

    response res_;
    unique_fd fd_;
    std::vector<piece> pieces_;
    std::string tail_;
    std::string buf_;
    std::size_t index_ = 0;
    std::uint64_t done_in_piece_ = 0;
};

std::string content_range(std::uint64_t first, std::uint64_t last, std::uint64_t size) {
    return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size);
}

} // namespace

void send_file_range(const response& res, unique_fd fd, std::uint64_t offset, std::uint64_t length,
                     bool head) {
    if (can_send_file(res)) {
        send_file(res, fd.release(), offset, length);
        return;
    }
    res.set("Content-Length", std::to_string(length));
    if (head || length == 0) {
        res.end();
        return;
    }
    std::vector<piece> pieces(1);
    pieces[0].offset = offset;
    pieces[0].length = length;
    std::make_shared<file_reader>(res, std::move(fd), std::move(pieces), std::string{})->start();
}

void send_multipart(const response& res, unique_fd fd, const std::vector<byte_range>& ranges,
                    std::uint64_t size, std::string_view content_type, std::string_view boundary, bool head) {
    std::vector<piece> pieces;
    pieces.reserve(ranges.size());
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        const auto& r = ranges[i];
        piece p;
        p.text.append(i == 0 ? "--" : "\r\n--").append(boundary).append("\r\nContent-Type: ");
        p.text.append(content_type)
            .append("\r\nContent-Range: ")
            .append(content_range(r.first, r.last, size));
        p.text.append("\r\n\r\n");
        p.offset = r.first;
        p.length = r.length();
        total += p.text.size() + p.length;
        pieces.push_back(std::move(p));
    }
    std::string tail = "\r\n--" + std::string{boundary} + "--\r\n";
    total += tail.size();
    res.status(206);
    res.set("Content-Type", "multipart/byteranges; boundary=" + std::string{boundary});
    res.set("Content-Length", std::to_string(total));
    if (head) {
        res.end();
        return;
    }
    std::make_shared<file_reader>(res, std::move(fd), std::move(pieces), std::move(tail))->start();
}

} // namespace nodus::detail::files
