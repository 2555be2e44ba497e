#pragma once
// zlib streams behind small classes, so zlib.h stays in this module's .cpp files.
#include <nodus/compress/compression.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace nodus::detail {

/// Compresses a body piece by piece into gzip or zlib ("deflate") format.
class deflater {
public:
    /// Throws std::bad_alloc when zlib cannot allocate its state.
    deflater(content_coding coding, int level);
    deflater(const deflater&) = delete;
    deflater& operator=(const deflater&) = delete;
    ~deflater();

    /// Compress `in`, appending what zlib produces to `out`; `finish`: the last piece
    /// (the stream's trailer is written).
    void compress(std::string_view in, bool finish, std::string& out);

private:
    struct state;
    std::unique_ptr<state> st_;
};

/// Decompresses a gzip (one or more members) or zlib stream, bounded in output.
class inflater {
public:
    enum class result { more, done, too_large, corrupt };

    /// `max_out`: the most decoded bytes accepted in all.
    inflater(content_coding coding, std::size_t max_out);
    inflater(const inflater&) = delete;
    inflater& operator=(const inflater&) = delete;
    ~inflater();

    /// Decode `in`, appending to `out`; stops as soon as `out` would pass the limit.
    /// `done` once a complete stream was read (bytes after it are corrupt unless they
    /// start another gzip member).
    result feed(std::string_view in, std::string& out);
    /// Whether the stream ended (a body that stops earlier is truncated).
    bool finished() const noexcept;

private:
    struct state;
    std::unique_ptr<state> st_;
};

} // namespace nodus::detail
