#pragma once
// Sending a file's bytes once the head is decided: with sendfile(2) when the connection
// can (http/detail/access.hpp), else read on the thread pool in bounded chunks and written
// through the response with its backpressure.
#include "static_files/detail/open.hpp"
#include "static_files/detail/range.hpp"

#include <nodus/http/response.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nodus::detail::files {

/// Answer with `length` bytes of `fd` from `offset` (the whole body of a 200 or a single
/// range); the status and headers are set. `head`: a HEAD, the head alone.
void send_file_range(const response& res, unique_fd fd, std::uint64_t offset, std::uint64_t length,
                     bool head);

/// Answer 206 with `ranges` of the `size`-byte file as multipart/byteranges, each part with
/// its own Content-Type and Content-Range, read on the thread pool.
void send_multipart(const response& res, unique_fd fd, const std::vector<byte_range>& ranges,
                    std::uint64_t size, std::string_view content_type, std::string_view boundary, bool head);

} // namespace nodus::detail::files
