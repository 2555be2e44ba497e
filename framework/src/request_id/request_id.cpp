#include <nodus/request_id/request_id.hpp>

#include <charconv>
#include <cstdint>
#include <memory>
#include <random>

#include <pthread.h>
#include <sys/random.h>

namespace nodus {

namespace {

// The process's random prefix and counter. A forked child would otherwise continue its
// parent's sequence: the atfork hook makes it draw a prefix of its own.
struct id_source {
    char prefix[17] = {};
    std::uint64_t counter = 0;
    bool ready = false;

    void seed() {
        std::uint64_t r = 0;
        if (getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r))
            r = std::random_device{}() * 0x9e3779b97f4a7c15ULL;
        static constexpr char hex[] = "0123456789abcdef";
        for (int i = 15; i >= 0; --i, r >>= 4) prefix[i] = hex[r & 0xf];
        counter = 0;
        ready = true;
    }
};

id_source& source() {
    static id_source s;
    static const bool hooked = [] {
        pthread_atfork(nullptr, nullptr, [] { source().ready = false; });
        return true;
    }();
    (void)hooked;
    return s;
}

// Stored with the exchange so the id can be read back without parsing the header.
struct stored_id {
    std::string value;
};

bool safe_byte(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == ':' || c == '+' || c == '=' || c == '/' || c == '@';
}

} // namespace

bool valid_request_id(std::string_view id, std::size_t max_length) noexcept {
    if (id.empty() || id.size() > max_length) return false;
    for (char c : id)
        if (!safe_byte(c)) return false;
    return true;
}

std::string generate_request_id() {
    auto& s = source();
    if (!s.ready) s.seed();
    char buf[40];
    std::copy(s.prefix, s.prefix + 16, buf);
    buf[16] = '-';
    auto r = std::to_chars(buf + 17, buf + sizeof buf, ++s.counter, 16);
    return std::string(buf, r.ptr);
}

middleware request_id(request_id_options opts) {
    auto o = std::make_shared<const request_id_options>(std::move(opts));
    return [o](request req, response res, next_fn next) {
        auto incoming = req.header(o->header);
        auto& id = res.local<stored_id>().value;
        if (o->trust_incoming && valid_request_id(incoming, o->max_length)) id.assign(incoming);
        else id = o->generate ? o->generate() : generate_request_id();
        res.set_sticky(o->header, id);
        next();
    };
}

std::string_view request_id_of(const response& res) noexcept {
    auto* s = res.find_local<stored_id>();
    return s ? std::string_view{s->value} : std::string_view{};
}

} // namespace nodus
