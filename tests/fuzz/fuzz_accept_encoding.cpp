// libFuzzer driver for Accept-Encoding negotiation and the compressible-type rule
// (framework/src/compress/accept_encoding.cpp). Invariants: no crash; deterministic; a coding
// is chosen only when the header names it (or x-gzip for gzip) or has '*'; deflate is never
// chosen when it is not offered; "identity refused" only when the header names identity or *.
#include <nodus/compress/compression.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_accept_encoding: invariant failed: %s\n", what);
        std::abort();
    }
}

bool mentions(std::string_view h, std::string_view word) {
    std::string lower{h};
    for (auto& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return lower.find(word) != std::string::npos;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in{reinterpret_cast<const char*>(data), size};
    auto a = nodus::negotiate_encoding(in);
    auto b = nodus::negotiate_encoding(in);
    check(a.coding == b.coding && a.identity_refused == b.identity_refused, "deterministic");
    bool star = in.find('*') != std::string_view::npos;
    if (a.coding == nodus::content_coding::gzip) check(star || mentions(in, "gzip"), "gzip only when named");
    if (a.coding == nodus::content_coding::deflate)
        check(star || mentions(in, "deflate"), "deflate only when named");
    if (a.identity_refused) check(star || mentions(in, "identity"), "identity refused only when named");
    check(nodus::negotiate_encoding(in, false).coding != nodus::content_coding::deflate,
          "deflate not offered");
    (void)nodus::compressible_type(in);
    return 0;
}
