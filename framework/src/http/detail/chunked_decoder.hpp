#pragma once
// A chunked request body (RFC 9112 7.1), decoded as its bytes arrive, each byte looked at
// once: chunk data is handed out in place, extensions are checked and dropped, the trailer
// section is checked line by line and kept. Every refusal is decided by the byte that shows
// it, and nothing waits for a whole line or section to be buffered, so no input can stall
// the connection.
#include "http/detail/strict.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace nodus::http::detail {

/// What a chunked body is held to (the defaults hold it to nothing).
struct chunked_limits {
    std::uint64_t max_body = 0; ///< sum of the chunk sizes; 0: no limit (413)
    std::size_t max_trailer_bytes = std::numeric_limits<std::size_t>::max(); ///< the section (431)
    std::size_t max_trailers = std::numeric_limits<std::size_t>::max(); ///< field lines (431)
};

class chunked_decoder {
public:
    /// One call's progress.
    struct step {
        std::size_t used = 0; ///< bytes of the input consumed (all of them but after `done`)
        std::string_view data; ///< chunk data to deliver: a slice of the input, may be empty
        verdict error; ///< the body is refused: 400, 413 (size or extensions) or 431
        bool done = false; ///< the last chunk and the trailer section are complete
    };

    void set_limits(const chunked_limits& lim) noexcept { lim_ = lim; }

    /// Decodes `in` up to the first piece of chunk data (returned, so that a reader that
    /// pauses in its callback is not given more), the end of the body, a refusal, or the end
    /// of `in`. The trailer section's bytes, CRLFs included, are appended to `trailers`:
    /// each field line is checked (check_trailer_field) as soon as its CR arrives.
    step decode(std::string_view in, std::string& trailers);

    bool done() const noexcept { return state_ == state::done; }

private:
    enum class state : std::uint8_t {
        size,
        ext,
        size_lf,
        data,
        data_cr,
        data_lf, // chunks
        line,
        name,
        value,
        line_lf,
        end_lf,
        done, // trailer section
    };

    verdict chunk_byte(char c) noexcept;
    verdict end_of_size() noexcept;
    verdict trailer_byte(char c, std::string& trailers);

    chunked_limits lim_;
    std::uint64_t size_ = 0; // the chunk's size while its line is read, then its bytes left
    std::uint64_t total_ = 0;
    std::size_t ext_bytes_ = 0;
    std::size_t line_start_ = 0; // offsets in the trailer section: its current line,
    std::size_t colon_ = 0; // and that line's colon
    std::size_t fields_ = 0;
    chunk_ext_scanner ext_;
    state state_ = state::size;
    bool digits_ = false;
};

} // namespace nodus::http::detail
