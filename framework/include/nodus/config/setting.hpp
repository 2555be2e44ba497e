#pragma once
/** @file
    Application settings: keys an application declares next to nodus's own, read from the
    same places with the same precedence (INI file, then `NODUS_SECTION_KEY`, then
    `--section.key=VALUE`), listed by `--help`, checked at startup, re-read on `SIGHUP`.
    docs/settings.md has the whole story.
    @code
    // At namespace scope, so they exist before nodus::app parses the command line:
    const nodus::setting<std::uint64_t> max_body{"todo", "max_body_bytes", 65536,
                                                 "largest JSON body accepted, in bytes",
                                                 nodus::range<std::uint64_t>{1, 16 << 20}};
    const nodus::setting<std::vector<std::string>> origins{"cors", "origins", {},
                                                           "origins allowed, comma separated"};

    void nodus_main(nodus::app& app) {
        std::uint64_t limit = *max_body; // the value read at startup (or by the last SIGHUP)
        ...
    }
    @endcode
*/
#include <nodus/config/config.hpp>

#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace nodus {

/** The inclusive bounds of a numeric setting. */
template <class T>
struct range {
    T min;
    T max;
};
template <class T>
range(T, T) -> range<T>;

/** The values a text setting may take. */
struct one_of {
    std::vector<std::string> names;
    one_of(std::initializer_list<std::string> n) : names(n) {}
};

namespace detail {

/** What every declared setting shares: its name, help, and the rules its text must follow.
    Registers itself on construction and leaves the registry on destruction. */
class setting_base {
public:
    setting_base(const setting_base&) = delete;
    setting_base& operator=(const setting_base&) = delete;

    const std::string& section() const noexcept { return section_; }
    const std::string& key() const noexcept { return key_; } ///< "section.key"
    /** The help text as `--help` shows it: with the range or the choices, when declared. */
    const std::string& help() const noexcept { return help_; }
    const char* value_name() const noexcept { return value_name_; }
    const std::string& default_text() const noexcept { return default_; }
    /** Why `text` is not acceptable, or "" when it is. */
    virtual std::string check(std::string_view text) const = 0;
    /** Take `text` (already checked) as the current value. Const: a setting declared `const`
        still takes the values a `SIGHUP` re-read (its value is `mutable`). */
    virtual void take(std::string_view text) const = 0;

protected:
    setting_base(std::string_view section, std::string_view name, std::string_view help,
                 const char* value_name);
    ~setting_base();
    void set_default_text(std::string text) { default_ = std::move(text); }
    void add_rule(const std::string& rule) { help_ += " (" + rule + ")"; }

private:
    std::string section_, key_, help_, default_;
    const char* value_name_;
};

// The parsers behind every setting type: each returns why the text is wrong, or "".
std::string parse_bool(std::string_view text, bool& out);
std::string parse_signed(std::string_view text, long long min, long long max, long long& out);
std::string parse_unsigned(std::string_view text, unsigned long long min, unsigned long long max,
                           unsigned long long& out);
std::string parse_double(std::string_view text, double min, double max, double& out);
std::string parse_text(std::string_view text, const std::vector<std::string>& choices);
std::string parse_list(std::string_view text, std::vector<std::string>& out);
std::string show_double(double v);
std::string show_list(const std::vector<std::string>& v);

template <class T>
concept setting_number = (std::integral<T> && !std::same_as<T, bool>) || std::floating_point<T>;

} // namespace detail

/** One application setting of type `T`: `bool`, an integer type, `double`, `std::string`, or
    `std::vector<std::string>` (a comma-separated list; spaces around items are trimmed).

    Declare it at namespace scope (or anywhere it is alive while the command line is parsed:
    `nodus::app` parses it in its constructor, before `nodus_main` runs). Its key is
    `section.key`, its environment variable `NODUS_SECTION_KEY`, its flag `--section.key`.
    A section may be the application's own or shared by several settings, but never one of
    nodus's own (`[server]`, `[http]`, ...): that, or a key declared twice, is a
    `config_error` at startup, as is a default outside its range.

    @par Values
    `get()` (or `*s`, `s->`) is the value nodus::app read at startup; in a single process a
    `SIGHUP` that re-reads a valid configuration updates it between two callbacks, and in a
    cluster the workers forked after the master's re-read start with the new value (as with
    `[http]`). A wrong type or a value out of range stops the program at startup (exit 2,
    naming file, line, key and value) and is logged and ignored by a `SIGHUP`.

    @par Lifetime
    Must outlive every `parse_config`, `nodus::app` and `get()` that uses it; the loop
    thread only.
*/
template <class T>
class setting : public detail::setting_base {
public:
    /** A setting with any value of its type. */
    setting(std::string_view section, std::string_view key, T def,
            std::string_view help) requires(!std::same_as<T, std::string>)
        : setting_base(section, key, help, value_name()), value_(std::move(def)) {
        if constexpr (detail::setting_number<T>)
            range_ = {std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max()};
        set_default_text(show(value_));
    }
    /** A text setting, any value (control characters excepted). */
    setting(std::string_view section, std::string_view key, std::string_view def,
            std::string_view help) requires std::same_as<T, std::string>
        : setting_base(section, key, help, "TEXT"), value_(def) {
        set_default_text(value_);
    }
    /** A text setting that must be one of `choices`. */
    setting(std::string_view section, std::string_view key, std::string_view def, std::string_view help,
            one_of choices) requires std::same_as<T, std::string>
        : setting_base(section, key, help, "NAME"), value_(def), choices_(std::move(choices.names)) {
        set_default_text(value_);
        add_rule("one of: " + detail::show_list(choices_));
    }
    /** A number within `r` (inclusive). */
    setting(std::string_view section, std::string_view key, T def, std::string_view help,
            range<T> r) requires detail::setting_number<T>
        : setting_base(section, key, help, value_name()), value_(def), range_(r) {
        set_default_text(show(value_));
        add_rule(show(r.min) + " to " + show(r.max));
    }

    const T& get() const noexcept { return value_; }
    const T& operator*() const noexcept { return value_; }
    const T* operator->() const noexcept { return &value_; }

    std::string check(std::string_view text) const override {
        T scratch{};
        return parse(text, scratch);
    }
    void take(std::string_view text) const override { parse(text, value_); }

private:
    static const char* value_name() {
        if constexpr (std::same_as<T, bool>) return "BOOL";
        else if constexpr (std::integral<T>) return "N";
        else if constexpr (std::floating_point<T>) return "NUMBER";
        else return "LIST";
    }

    std::string parse(std::string_view text, T& out) const {
        if constexpr (std::same_as<T, bool>) {
            return detail::parse_bool(text, out);
        } else if constexpr (std::integral<T> && std::is_signed_v<T>) {
            long long v = 0;
            auto why = detail::parse_signed(text, range_.min, range_.max, v);
            if (why.empty()) out = static_cast<T>(v);
            return why;
        } else if constexpr (std::integral<T>) {
            unsigned long long v = 0;
            auto why = detail::parse_unsigned(text, range_.min, range_.max, v);
            if (why.empty()) out = static_cast<T>(v);
            return why;
        } else if constexpr (std::floating_point<T>) {
            double v = 0;
            auto why = detail::parse_double(text, range_.min, range_.max, v);
            if (why.empty()) out = static_cast<T>(v);
            return why;
        } else if constexpr (std::same_as<T, std::string>) {
            auto why = detail::parse_text(text, choices_);
            if (why.empty()) out.assign(text);
            return why;
        } else {
            static_assert(std::same_as<T, std::vector<std::string>>,
                          "nodus::setting<T>: T is bool, an integer, double, std::string or "
                          "std::vector<std::string>");
            return detail::parse_list(text, out);
        }
    }

    static std::string show(const T& v) {
        if constexpr (std::same_as<T, bool>) return v ? "true" : "false";
        else if constexpr (std::integral<T>) return std::to_string(v);
        else if constexpr (std::floating_point<T>) return detail::show_double(v);
        else return detail::show_list(v);
    }

    struct no_range {
        int min = 0, max = 0;
    };
    mutable T value_;
    [[no_unique_address]] std::conditional_t<detail::setting_number<T>, range<T>, no_range> range_{};
    std::vector<std::string> choices_;
};

/** Make the values in `cfg.app_settings` (as `parse_config` read them) the current values of
    the declared settings; a declared setting `cfg` has no value for gets its default.
    `nodus::app` calls it after parsing, and again after a `SIGHUP` re-read; a program that
    calls `parse_config` itself calls it once `validate` passed. */
void apply_settings(const config& cfg);

} // namespace nodus
