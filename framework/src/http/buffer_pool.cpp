#include "http/detail/buffer_pool.hpp"
#include "http/detail/free_list.hpp"

#include <memory>

namespace nodus::http::detail::buffers {

namespace {
using nodus::detail::free_list;
using block = std::unique_ptr<char[]>;

// Steady traffic never calls malloc: blocks of the two usual sizes and output strings of
// a reasonable size come back here when a connection goes idle.
struct pools {
    free_list<block> blocks{64};
    free_list<block> body_blocks{16};
    free_list<std::string> strings{64};
};
pools& the_pools() {
    static pools p;
    return p;
}

char* take_from(free_list<block>& list, std::uint32_t size) {
    return list.empty() ? new char[size] : list.take().release();
}

alignas(64) char scratch_buffer[block_size];
} // namespace

char* take_block() { return take_from(the_pools().blocks, block_size); }
char* take_body_block() { return take_from(the_pools().body_blocks, body_block_size); }

void give_block(char* b, std::uint32_t cap) noexcept {
    block owned{b};
    if (cap == block_size) the_pools().blocks.give(owned);
    else if (cap == body_block_size) the_pools().body_blocks.give(owned);
}

std::string take_string() {
    auto& list = the_pools().strings;
    return list.empty() ? std::string{} : list.take();
}

void give_string(std::string& s) noexcept {
    if (s.capacity() > 15 && s.capacity() <= 262144) {
        s.clear();
        the_pools().strings.give(s);
    }
    s = std::string();
}

char* scratch() noexcept { return scratch_buffer; }

} // namespace nodus::http::detail::buffers
