// libFuzzer driver for request-body decoding (framework/src/compress/zstream.cpp's inflater,
// as read_body feeds it). Byte 0 picks gzip or zlib and how the rest is split into pieces.
// Invariants: no crash; the decoded output never passes the limit by more than one byte;
// after "too_large" or "corrupt" nothing more is accepted; a stream compressed by the
// deflater from the input decodes back to it.
#include "compress/detail/zstream.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_gzip_body: invariant failed: %s\n", what);
        std::abort();
    }
}
constexpr std::size_t limit = 64 * 1024;
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto coding = (data[0] & 1) ? nodus::content_coding::gzip : nodus::content_coding::deflate;
    std::size_t step = 1 + (data[0] >> 1) * 37;
    std::string_view in{reinterpret_cast<const char*>(data) + 1, size - 1};
    using result = nodus::detail::inflater::result;
    {
        nodus::detail::inflater z{coding, limit};
        std::string out;
        for (std::size_t i = 0; i < in.size(); i += step) {
            auto r = z.feed(in.substr(i, step), out);
            check(out.size() <= limit + 1, "output bounded by the limit");
            if (r == result::too_large || r == result::corrupt) break;
        }
    }
    nodus::detail::deflater d{coding, 1 + data[0] % 9};
    std::string packed;
    d.compress(in, true, packed);
    nodus::detail::inflater z{coding, in.size() + 1};
    std::string out;
    check(z.feed(packed, out) == result::done, "a deflater stream decodes");
    check(out == in, "round trip");
    return 0;
}
