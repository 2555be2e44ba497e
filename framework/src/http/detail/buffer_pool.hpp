#pragma once
// Memory the connections of one loop share: read blocks lent to busy connections, output
// strings, and one scratch buffer that an idle connection reads into before it knows it
// needs a block of its own. Lent and returned on the loop thread only.
#include <cstdint>
#include <string>

namespace nodus::http::detail {

/// A head arrives in blocks of this size (and grows past it only up to the header limit).
inline constexpr std::uint32_t block_size = 16384;
/// Bodies stream through bigger blocks: a quarter of the system calls per byte.
inline constexpr std::uint32_t body_block_size = 65536;

/// A read block: `cap` bytes at `data`, of which [beg, end) are unread.
struct read_buffer {
    char* data = nullptr;
    std::uint32_t cap = 0, beg = 0, end = 0;
    std::uint32_t unread() const noexcept { return end - beg; }
};

namespace buffers {
char* take_block();
char* take_body_block();
/// Any block, whatever its size; sizes the pool does not keep are freed.
void give_block(char* b, std::uint32_t cap) noexcept;
/// An output string with the capacity it had (empty when none is spare).
std::string take_string();
/// Keep `s`'s capacity for later; `s` is left empty without capacity.
void give_string(std::string& s) noexcept;
/// block_size bytes every connection may read into, valid until it returns to the loop.
char* scratch() noexcept;
} // namespace buffers

} // namespace nodus::http::detail
