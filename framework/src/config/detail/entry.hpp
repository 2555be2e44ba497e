#pragma once
// The schema's entries: one per configuration key, with the rules its text must follow.
// keys.cpp makes nodus's own; config.cpp adds the application's declared settings and reads
// files, the environment and flags through them.
#include <nodus/config/config.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nodus::detail {

// One entry per key (nodus's own and the application's declared settings). `set` returns why `text` is not acceptable, or "" once stored;
// `show` is the text form of the current value, so `set(show(c))` round-trips and
// validate() reuses the very rules the parsers apply.
struct entry {
    std::string key;
    std::string env;
    const char* value_name;
    const char* help;
    std::function<std::string(config&, const std::string&)> set;
    std::function<std::string(const config&)> show;
};

/// "server.port" -> "NODUS_SERVER_PORT".
std::string env_name(std::string_view key);

entry make_entry(const char* key, const char* value_name, const char* help,
                 std::function<std::string(config&, const std::string&)> set,
                 std::function<std::string(const config&)> show);

/// nodus's own keys, in the order --help lists them.
std::vector<entry> own_entries();

} // namespace nodus::detail
