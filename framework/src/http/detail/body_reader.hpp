#pragma once
// Feeds the bytes of a request body to the exchange's parser, for the application or, once
// nobody will read it, into the void (within a budget: past it, closing is cheaper).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nodus::detail {
class exchange;
}

namespace nodus::http::detail {

enum class feed_result : std::uint8_t {
    more, // the parser needs more bytes
    progressed, // some bytes were taken; the body goes on
    done, // the whole body was parsed
    too_large, // over max_body_bytes, or chunk extensions over their limit
    fields_too_large, // a trailer section over max_header_bytes or max_headers
    malformed, // bad chunk framing, extension or trailer
    not_worth_it, // discarding: the budget ran out, close instead
};

const char* to_string(feed_result r) noexcept;

class body_reader {
public:
    /// Bytes of a body nobody reads that are read and dropped, rather than closing.
    static constexpr std::uint64_t discard_budget = 256 * 1024;

    bool discarding() const noexcept { return discarding_; }
    /// From now on the body goes nowhere (the application answered without reading it).
    void start_discard(nodus::detail::exchange& ex) noexcept;
    void stop() noexcept { discarding_ = false; }

    struct outcome {
        std::size_t used;
        feed_result result;
    };
    outcome feed(nodus::detail::exchange& ex, std::string_view data);

private:
    std::uint64_t budget_ = 0;
    bool discarding_ = false;
};

} // namespace nodus::http::detail
