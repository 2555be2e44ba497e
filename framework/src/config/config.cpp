#include <nodus/config/config.hpp>
#include <nodus/config/setting.hpp>

#include "config/detail/declared.hpp"
#include "config/detail/entry.hpp"
#include "config/detail/ini_places.hpp"

#include <boost/program_options.hpp>
#include <boost/program_options/environment_iterator.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// The build passes the project version; this fallback only serves standalone builds.
#ifndef NODUS_VERSION
#define NODUS_VERSION "0.1.0"
#endif

namespace nodus {
namespace {

namespace po = boost::program_options;
using detail::entry;
using detail::file_where;
using detail::find_key;
using detail::find_malformed;
using detail::ini_place;

// A declared application setting as the schema sees it: its text lives in cfg.app_settings.
entry app_setting(const detail::setting_base& d) {
    const std::string key = d.key();
    auto set = [&d, key](config& c, const std::string& text) -> std::string {
        if (std::string why = d.check(text); !why.empty()) return why;
        c.app_settings.insert_or_assign(key, text);
        return {};
    };
    auto show = [&d, key](const config& c) {
        auto it = c.app_settings.find(key);
        return it == c.app_settings.end() ? d.default_text() : it->second;
    };
    return detail::make_entry(key.c_str(), d.value_name(), d.help().c_str(), set, show);
}

// The settings table and the ProgramOptions descriptions built from it, once.
struct schema {
    std::vector<entry> settings = detail::own_entries();
    std::size_t own_count = settings.size(); // nodus's own keys come first, then the application's
    std::map<std::string, const entry*, std::less<>> by_key;
    std::map<std::string, const entry*, std::less<>> by_env;
    po::options_description own_keys{"Settings", 120, 60};
    po::options_description app_keys{"Application settings", 120, 60};
    po::options_description keys; // both: what files, the environment and flags may set
    po::options_description generic{"Options", 120, 60};
    po::options_description hidden;
    po::options_description command_line;

    schema() {
        add_declared();
        const config defaults;
        for (std::size_t i = 0; i < settings.size(); ++i) {
            const auto& s = settings[i];
            by_key[s.key] = &s;
            by_env[s.env] = &s;
            const std::string def = s.show(defaults);
            (i < own_count ? own_keys : app_keys)
                .add_options()(s.key.c_str(),
                               po::value<std::string>()->value_name(s.value_name)->default_value(def, def),
                               fmt::format("{} [env {}]", s.help, s.env).c_str());
        }
        keys.add(own_keys).add(app_keys);
        generic.add_options()("help,h", "show this help and exit")("version", "show the version and exit")(
            "config,c", po::value<std::string>()->value_name("FILE"), "read settings from this INI file");
        // Collects stray arguments so the error can name them.
        hidden.add_options()("positional-argument", po::value<std::vector<std::string>>());
        command_line.add(generic).add(keys).add(hidden);
    }

    // A mistake in a declaration is the program's, found before any value is read.
    void add_declared() {
        for (const auto* d : detail::declared_settings()) {
            const auto is_section = [&](const entry& s) { return s.key.rfind(d->section() + ".", 0) == 0; };
            if (std::any_of(settings.begin(), settings.begin() + static_cast<std::ptrdiff_t>(own_count),
                            is_section))
                throw config_error(
                    fmt::format("application setting {}: [{}] is a nodus section; declare it in "
                                "a section of the application's own",
                                d->key(), d->section()));
            if (std::any_of(settings.begin(), settings.end(),
                            [&](const entry& s) { return s.key == d->key(); }))
                throw config_error(fmt::format("application setting {}: declared twice", d->key()));
            if (d->section().empty() || d->key().size() == d->section().size() + 1 ||
                d->key().find_first_of(" \t=#[]") != std::string::npos)
                throw config_error(
                    fmt::format("application setting '{}': section and key must be non-empty "
                                "names without spaces, '=', '#' or brackets",
                                d->key()));
            const std::string env = detail::env_name(d->key());
            for (const auto& s : settings)
                if (s.env == env)
                    throw config_error(
                        fmt::format("application setting {}: its environment variable {} is "
                                    "already that of {}",
                                    d->key(), env, s.key));
            if (std::string why = d->check(d->default_text()); !why.empty())
                throw config_error(fmt::format("application setting {}: default \"{}\": {}", d->key(),
                                               d->default_text(), why));
            settings.push_back(app_setting(*d));
        }
    }

    const entry* find(std::string_view key) const {
        auto it = by_key.find(key);
        return it == by_key.end() ? nullptr : it->second;
    }

    std::string sections() const {
        std::vector<std::string> names;
        for (const auto& s : settings) {
            // Built by appending: operator+ on the substring trips a false -Wrestrict at -O3.
            std::string sec = "[";
            sec.append(s.key, 0, s.key.find('.'));
            sec += ']';
            if (std::find(names.begin(), names.end(), sec) == names.end()) names.push_back(sec);
        }
        return fmt::format("{}", fmt::join(names, ", "));
    }

    std::string keys_of(std::string_view section) const {
        std::vector<std::string> names;
        for (const auto& s : settings)
            if (s.key.compare(0, s.key.find('.'), section) == 0)
                names.push_back(s.key.substr(s.key.find('.') + 1));
        return fmt::format("{}", fmt::join(names, ", "));
    }
};

// Rebuilt when a setting was declared or destroyed since: declarations normally all happen
// before main(), but a test or a plug-in may declare one later.
const schema& the_schema() {
    static std::unique_ptr<const schema> s;
    static std::uint64_t generation = 0;
    if (!s || generation != detail::declared_generation()) {
        s = std::make_unique<const schema>();
        generation = detail::declared_generation();
    }
    return *s;
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw config_error(fmt::format("cannot open config file '{}': {}", path, std::strerror(EISDIR)));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error(fmt::format("cannot open config file '{}': {}", path, std::strerror(errno)));
    // One byte past the limit tells a file that is too large (or endless: /dev/zero) from one
    // that fits, without reading more.
    std::string out(max_config_file_bytes + 1, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    if (in.bad())
        throw config_error(fmt::format("cannot read config file '{}': {}", path, std::strerror(errno)));
    out.resize(static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_config_file_bytes)
        throw config_error(fmt::format("config file '{}' is larger than the limit of {} bytes (1 MiB)", path,
                                       max_config_file_bytes));
    return out;
}

void apply_file(config& cfg, const std::string& path) {
    const schema& sc = the_schema();
    const std::string content = read_file(path);
    std::istringstream in(content);
    po::parsed_options parsed(&sc.keys);
    try {
        parsed = po::parse_config_file(in, sc.keys, false);
    } catch (const po::unknown_option& e) {
        const std::string key = e.get_option_name();
        const ini_place p = find_key(content, key);
        const std::string where = file_where(path, p, key);
        if (p.line && p.section.empty())
            throw config_error(
                fmt::format("{}: key outside any section (sections: {})", where, sc.sections()));
        const std::string section = p.line ? p.section : key.substr(0, key.rfind('.'));
        if (sc.keys_of(section).empty())
            throw config_error(
                fmt::format("{}: unknown section [{}] (sections: {})", where, section, sc.sections()));
        throw config_error(
            fmt::format("{}: unknown key (keys in [{}]: {})", where, section, sc.keys_of(section)));
    } catch (const po::invalid_config_file_syntax& e) {
        const ini_place p = find_malformed(content, e.tokens());
        const std::string at = p.line ? fmt::format("{}:{}", path, p.line) : path;
        const std::string line = e.tokens();
        const char* hint = line.front() == ';' ? " (comments start with '#')" : "";
        throw config_error(
            fmt::format("{}: \"{}\": expected \"key = value\" or \"[section]\"{}", at, line, hint));
    } catch (const po::error& e) {
        throw config_error(fmt::format("{}: {}", path, e.what()));
    }

    std::map<std::string, int> seen;
    for (const auto& opt : parsed.options) {
        const entry* s = sc.find(opt.string_key);
        const std::string value = opt.value.empty() ? std::string{} : opt.value.front();
        const int n = ++seen[opt.string_key];
        const ini_place p = find_key(content, opt.string_key, n);
        const std::string where = file_where(path, p, opt.string_key);
        if (n > 1)
            throw config_error(fmt::format("{} = \"{}\": set twice (first on line {})", where, value,
                                           find_key(content, opt.string_key).line));
        if (const std::string why = s->set(cfg, value); !why.empty())
            throw config_error(fmt::format("{} = \"{}\": {}", where, value, why));
    }
    cfg.file = path;
}

// Known NODUS_* names map to their key; unknown NODUS_* names map to themselves so that
// apply_environment can report them with their value. Other variables are not ours.
std::string map_env_name(const std::string& name) {
    if (name.rfind("NODUS_", 0) != 0) return {};
    const auto& by_env = the_schema().by_env;
    auto it = by_env.find(name);
    return it == by_env.end() ? name : it->second->key;
}

po::parsed_options parse_env(const char* const* envp) {
    const schema& sc = the_schema();
    if (!envp) return po::parse_environment(sc.keys, map_env_name);
    // po::parse_environment reads only the process's `environ`; callers (tests, embedders)
    // may pass their own block, which gets the same mapping here.
    po::parsed_options parsed(&sc.keys);
    for (boost::environment_iterator it(const_cast<char**>(envp)), end; it != end; ++it) {
        std::string key = map_env_name(it->first);
        if (key.empty()) continue;
        po::option opt;
        opt.string_key = std::move(key);
        opt.value.push_back(it->second);
        parsed.options.push_back(std::move(opt));
    }
    return parsed;
}

// An unknown NODUS_* name is not ours to refuse: platforms inject such names (Kubernetes sets
// NODUS_SERVICE_HOST, NODUS_PORT_80_TCP_ADDR, ... for a Service called "nodus"). Only its
// name is kept, for one warning: its value may be anything, a secret included.
void apply_environment(config& cfg, const char* const* envp, std::vector<std::string>& unknown) {
    const schema& sc = the_schema();
    for (const auto& opt : parse_env(envp).options) {
        const std::string value = opt.value.empty() ? std::string{} : opt.value.front();
        const entry* s = sc.find(opt.string_key);
        if (!s) {
            unknown.push_back(opt.string_key);
            continue;
        }
        if (const std::string why = s->set(cfg, value); !why.empty())
            throw config_error(fmt::format("{}={}: {}", s->env, value, why));
    }
    std::sort(unknown.begin(), unknown.end());
}

po::parsed_options parse_flags(int argc, const char* const* argv) {
    const schema& sc = the_schema();
    std::vector<std::string> args;
    for (int i = 1; i < argc && argv; ++i) args.emplace_back(argv[i] ? argv[i] : "");
    po::positional_options_description positional;
    positional.add("positional-argument", -1);
    // Guessing would let "--server.po" mean --server.port; a typo should be an error.
    const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
    try {
        return po::command_line_parser(args)
            .options(sc.command_line)
            .positional(positional)
            .style(style)
            .run();
    } catch (const po::unknown_option& e) {
        throw config_error(fmt::format("{}: unknown option (see --help)", e.get_option_name()));
    } catch (const po::invalid_command_line_syntax& e) {
        if (e.kind() == po::invalid_syntax::missing_parameter)
            throw config_error(
                fmt::format("{}: needs a value, e.g. {}=VALUE", e.get_option_name(), e.get_option_name()));
        throw config_error(e.what());
    } catch (const po::error& e) {
        throw config_error(e.what());
    }
}

std::string program_name(int argc, const char* const* argv) {
    if (argc < 1 || !argv || !argv[0] || !*argv[0]) return "nodus";
    return std::filesystem::path(argv[0]).filename().string();
}

} // namespace

config load_config_file(const std::string& path) {
    config cfg;
    apply_file(cfg, path);
    return cfg;
}

config_result parse_config(int argc, const char* const* argv, const char* const* envp,
                           std::string default_file) {
    const schema& sc = the_schema();
    const po::parsed_options flags = parse_flags(argc, argv);

    config_result result;
    std::string file;
    bool have_file = false;
    std::set<std::string> seen;
    for (const auto& opt : flags.options) {
        if (opt.string_key == "positional-argument")
            throw config_error(fmt::format("unexpected argument '{}' (settings are --section.key=VALUE)",
                                           opt.value.empty() ? std::string{} : opt.value.front()));
        if (!seen.insert(opt.string_key).second)
            throw config_error(fmt::format("--{}: given more than once", opt.string_key));
        if (opt.string_key == "help") {
            result.action = config_action::help;
            result.text = config_help(program_name(argc, argv).c_str());
        } else if (opt.string_key == "version" && result.action == config_action::run) {
            result.action = config_action::version;
            result.text = fmt::format("{} (nodus {})\n", program_name(argc, argv), NODUS_VERSION);
        } else if (opt.string_key == "config") {
            file = opt.value.empty() ? std::string{} : opt.value.front();
            have_file = true;
        }
    }
    if (result.action != config_action::run) return result;

    if (have_file && file.empty()) throw config_error("--config: needs a file name");
    if (!have_file && !default_file.empty()) {
        std::error_code ec;
        if (std::filesystem::exists(default_file, ec)) file = std::move(default_file);
    }
    if (!file.empty()) apply_file(result.cfg, file);

    apply_environment(result.cfg, envp, result.unknown_environment);

    for (const auto& opt : flags.options) {
        const entry* s = sc.find(opt.string_key);
        if (!s) continue;
        const std::string value = opt.value.empty() ? std::string{} : opt.value.front();
        if (const std::string why = s->set(result.cfg, value); !why.empty())
            throw config_error(fmt::format("--{}={}: {}", s->key, value, why));
    }
    return result;
}

std::string config_help(const char* program) {
    const schema& sc = the_schema();
    std::ostringstream out;
    out << "Usage: " << (program && *program ? program : "nodus")
        << " [--config FILE] [--section.key=VALUE ...]\n\n"
           "Each setting comes from the INI file (`key = value` under `[section]`), then the\n"
           "environment (NODUS_SECTION_KEY=VALUE), then flags (--section.key=VALUE or\n"
           "--section.key VALUE); a later source overrides an earlier one.\n\n"
        << sc.generic << '\n'
        << sc.own_keys;
    if (sc.settings.size() > sc.own_count) out << '\n' << sc.app_keys;
    return out.str();
}

const char* to_string(balance b) noexcept {
    switch (b) {
    case balance::shared: return "shared";
    case balance::reuseport: return "reuseport";
    case balance::round_robin: return "round_robin";
    }
    return "invalid";
}

void validate(const config& cfg) {
    for (const auto& s : the_schema().settings) {
        config scratch;
        const std::string value = s.show(cfg);
        if (const std::string why = s.set(scratch, value); !why.empty())
            throw config_error(fmt::format("{} = \"{}\": {}", s.key, value, why));
    }
}

} // namespace nodus
