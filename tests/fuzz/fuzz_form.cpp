// libFuzzer driver for form bodies (framework/src/form/form.cpp, over text/detail/query.hpp
// and percent.hpp). Invariants: no crash; one field per non-empty '&'-separated pair;
// decoding never lengthens a name or value; get() finds the first field of each name.
#include <nodus/form/form.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_form: invariant failed: %s\n", what);
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in{reinterpret_cast<const char*>(data), size};
    nodus::form f{in};
    std::size_t pairs = 0, raw_bytes = 0;
    for (std::string_view rest = in; !rest.empty();) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        if (!pair.empty()) ++pairs;
        raw_bytes += pair.size();
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    check(f.size() == pairs, "one field per non-empty pair");
    std::size_t decoded = 0;
    for (auto& fld : f.fields()) {
        decoded += fld.name.size() + fld.value.size();
        check(f.has(fld.name), "has() finds every name");
    }
    check(decoded <= raw_bytes, "decoding never lengthens");
    if (f.size()) check(f.get(f.fields()[0].name) == f.fields()[0].value, "get() returns the first field");
    return 0;
}
