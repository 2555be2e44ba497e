// libFuzzer driver for the metrics snapshot a worker sends its master
// (framework/src/metrics/snapshot.cpp): bytes from another process.
//
// Invariants: decode never crashes, reads no byte past the input and allocates no more than
// the input could describe; whatever decodes encodes back to the same bytes; merging it
// twice into an empty snapshot (as two workers) and rendering both text formats works.
#include "metrics/detail/snapshot.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_metrics_snapshot: invariant failed: %s\n", what);
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace m = nodus::metrics::detail;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    m::snapshot s;
    if (!m::decode(in, s)) return 0;
    check(m::encode(s) == in, "encode(decode(x)) == x");
    m::snapshot all;
    m::merge(all, s, "1");
    m::merge(all, s, "2");
    (void)m::render(all, false);
    (void)m::render(all, true);
    return 0;
}
