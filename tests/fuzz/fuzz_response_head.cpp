// libFuzzer driver for the client's response parsing (framework/src/client/detail/
// response_head.hpp), fed as framework/src/client/exchange_response.cpp feeds it: the input
// is the byte stream of one connection (possibly several responses), delivered in segments
// whose sizes the first byte chooses; a chunked body goes through chunked_decoder.
//
// Invariants (an abort is a finding):
//  - no ASan/UBSan report;
//  - find_head_end resumed over a growing buffer agrees with a scan from the start (same end,
//    same refusal): the verdict never depends on TCP segmentation;
//  - an accepted head: status 100-599, version 10 or 11, at most max_head_fields fields, each
//    name a token and each value free of CR, LF and NUL and without surrounding OWS; framing
//    consistent (chunked never with a Content-Length; no body for HEAD, 1xx, 204, 304; a
//    body until close only without either);
//  - a chunked body decodes to the same data and trailers fed a byte at a time as at once,
//    and every trailer split_trailers returns has a token name.
#include "client/detail/response_head.hpp"
#include "http/detail/chunked_decoder.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace cd = nodus::client::detail;
namespace hd = nodus::http::detail;

[[noreturn]] void invariant(const char* what) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
}

bool token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (c <= 32 || c >= 127 ||
            std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) != std::string_view::npos)
            return false;
    return true;
}

void check_head(const cd::response_head& h, bool head_request) {
    if (h.status < 100 || h.status > 599) invariant("status out of range");
    if (h.version != 10 && h.version != 11) invariant("version");
    if (h.fields.size() > cd::max_head_fields) invariant("too many fields");
    for (const auto& f : h.fields) {
        if (!token(f.name)) invariant("field name not a token");
        if (f.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
            invariant("CR/LF/NUL in value");
        if (!f.value.empty() &&
            (f.value.front() == ' ' || f.value.back() == ' ' || f.value.front() == '\t' ||
             f.value.back() == '\t'))
            invariant("value not trimmed");
    }
    const bool bodiless = head_request || h.status < 200 || h.status == 204 || h.status == 304;
    if (bodiless != (h.body == cd::framing::none)) invariant("body-less exactly for HEAD, 1xx, 204, 304");
    if (h.body == cd::framing::chunked && h.has_content_length) invariant("chunked with Content-Length");
    if (h.body == cd::framing::until_close && h.has_content_length) invariant("until close with a length");
}

// The chunked body at the start of `in`, at once and a byte at a time.
void check_chunked(std::string_view in) {
    hd::chunked_decoder whole, bytewise;
    const hd::chunked_limits lim{0, 16 * 1024, 64};
    whole.set_limits(lim);
    bytewise.set_limits(lim);
    std::string t1, t2, d1, d2;
    int s1 = 0, s2 = 0;
    std::size_t used1 = 0;
    for (std::string_view rest = in; !rest.empty();) {
        auto s = whole.decode(rest, t1);
        d1.append(s.data);
        rest.remove_prefix(s.used);
        used1 += s.used;
        if (s.error) {
            s1 = s.error.status;
            break;
        }
        if (s.done) break;
        if (s.used == 0) invariant("no progress");
    }
    for (std::size_t i = 0; i < in.size() && !bytewise.done(); ++i) {
        auto s = bytewise.decode(in.substr(i, 1), t2);
        d2.append(s.data);
        if (s.error) {
            s2 = s.error.status;
            break;
        }
    }
    if (d1 != d2 || t1 != t2 || s1 != s2 || whole.done() != bytewise.done())
        invariant("chunked: segmentation");
    if (whole.done()) {
        std::vector<nodus::header_field> trailers;
        cd::split_trailers(t1, trailers);
        for (const auto& f : trailers)
            if (!token(f.name)) invariant("trailer name not a token");
    }
    (void)used1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t segment = 1 + data[0] % 64;
    const bool head_request = data[1] & 1;
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

    std::string buf;
    std::size_t scanned = 0, fed = 0;
    while (fed < stream.size()) {
        const auto n = std::min(segment, stream.size() - fed);
        buf.append(stream.substr(fed, n));
        fed += n;
        const char* why = nullptr;
        const auto end = cd::find_head_end(buf, scanned, why);
        std::size_t fresh_scan = 0;
        const char* fresh_why = nullptr;
        const auto fresh_end = cd::find_head_end(buf, fresh_scan, fresh_why);
        if (end != fresh_end || (why == nullptr) != (fresh_why == nullptr))
            invariant("find_head_end: segmentation");
        if (why) return 0;
        if (!end) continue;
        cd::response_head h;
        if (cd::parse_response_head(std::string_view(buf).substr(0, end), head_request, h)) return 0;
        check_head(h, head_request);
        const auto body = std::string_view(stream).substr(fed - (buf.size() - end));
        if (h.body == cd::framing::chunked) check_chunked(body);
        if (h.status >= 200) return 0;
        buf.erase(0, end); // an interim response: the next head follows
        scanned = 0;
    }
    return 0;
}
