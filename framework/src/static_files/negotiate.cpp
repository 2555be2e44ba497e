#include "static_files/detail/negotiate.hpp"

#include "text/detail/char_class.hpp"
#include "text/detail/weighted_list.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace nodus::detail::files {

namespace {

// Sorted by extension for a binary search; the common web types (nginx's mime.types and
// the jshttp mime-db entries browsers meet most).
constexpr std::array<std::pair<std::string_view, std::string_view>, 48> types{{
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"eot", "application/vnd.ms-fontobject"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/x-icon"},
    {"ics", "text/calendar; charset=utf-8"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"m4a", "audio/mp4"},
    {"map", "application/json"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpeg", "video/mpeg"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"rss", "application/rss+xml"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xml", "application/xml"},
    {"yaml", "text/yaml; charset=utf-8"},
    {"zip", "application/zip"},
}};

constexpr bool sorted() {
    for (std::size_t i = 1; i < types.size(); ++i)
        if (!(types[i - 1].first < types[i].first)) return false;
    return true;
}
static_assert(sorted(), "the type table must stay sorted");

} // namespace

std::string_view content_type_for(std::string_view name) noexcept {
    auto slash = name.rfind('/');
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 >= name.size() || name.size() - dot > 16)
        return "application/octet-stream";
    char ext[16];
    std::size_t n = 0;
    for (char c : name.substr(dot + 1)) ext[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    std::string_view key{ext, n};
    auto it = std::lower_bound(types.begin(), types.end(), key,
                               [](const auto& e, std::string_view k) { return e.first < k; });
    return it != types.end() && it->first == key ? it->second : "application/octet-stream";
}

int coding_weight(std::string_view header, std::string_view coding) noexcept {
    int named = -1, star = -1;
    nodus::detail::for_each_weighted(header, [&](std::string_view name, int q) {
        const bool match = iequals(name, coding) || (coding == "gzip" && iequals(name, "x-gzip"));
        if (match) named = named < q ? q : named;
        else if (name == "*") star = star < q ? q : star;
    });
    return named >= 0 ? named : (star >= 0 ? star : 0);
}

sibling_order siblings_for(std::string_view accept_encoding, bool br, bool gzip) noexcept {
    sibling_order out;
    if (accept_encoding.empty()) return out;
    int qb = br ? coding_weight(accept_encoding, "br") : 0;
    int qg = gzip ? coding_weight(accept_encoding, "gzip") : 0;
    auto add = [&](std::string_view suffix, std::string_view coding) {
        out.suffix[out.count] = suffix;
        out.coding[out.count] = coding;
        ++out.count;
    };
    // br first on a tie: smaller for the same content.
    if (qb > 0 && qb >= qg) add(".br", "br");
    if (qg > 0) add(".gz", "gzip");
    if (qb > 0 && qb < qg) add(".br", "br");
    return out;
}

} // namespace nodus::detail::files
