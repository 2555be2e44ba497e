// Application settings (nodus/config/setting.hpp): declared next to nodus's own keys, read
// from the same sources with the same precedence and the same errors.
#include <nodus/config/config.hpp>
#include <nodus/config/setting.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

class config_settings : public ::testing::Test {
protected:
    config_settings() {
        dir_ = std::filesystem::temp_directory_path() /
            ("nodus_settings_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    ~config_settings() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& content) {
        const std::string path = (dir_ / "app.ini").string();
        std::ofstream(path) << content;
        return path;
    }

    static nodus::config_result parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
        std::vector<const char*> argv{"prog"};
        for (const auto& a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        std::vector<const char*> envp;
        for (const auto& e : env) envp.push_back(e.c_str());
        envp.push_back(nullptr);
        return nodus::parse_config(static_cast<int>(argv.size() - 1), argv.data(), envp.data());
    }

    template <class F>
    static std::string error_of(F f) {
        try {
            f();
        } catch (const nodus::config_error& e) {
            return e.what();
        }
        return {};
    }

    std::filesystem::path dir_;
};

TEST_F(config_settings, file_then_environment_then_flags) {
    nodus::setting<int> items{"todo", "max_items", 100, "items kept", nodus::range{1, 1000}};
    nodus::setting<std::string> name{"todo", "name", "todos", "list name"};
    const auto path = write("[todo]\nmax_items = 5\nname = groceries\n");

    auto from_file = parse({"--config", path});
    nodus::apply_settings(from_file.cfg);
    EXPECT_EQ(*items, 5);
    EXPECT_EQ(*name, "groceries");

    auto from_env = parse({"--config", path}, {"NODUS_TODO_MAX_ITEMS=7"});
    nodus::apply_settings(from_env.cfg);
    EXPECT_EQ(items.get(), 7);

    auto from_flag = parse({"--config", path, "--todo.max_items=9"}, {"NODUS_TODO_MAX_ITEMS=7"});
    nodus::apply_settings(from_flag.cfg);
    EXPECT_EQ(*items, 9);
    EXPECT_EQ(*name, "groceries");

    nodus::apply_settings(parse({}).cfg); // nothing given: the defaults
    EXPECT_EQ(*items, 100);
    EXPECT_EQ(*name, "todos");
}

TEST_F(config_settings, every_type_reads_its_text) {
    nodus::setting<bool> on{"app", "on", false, "a switch"};
    nodus::setting<std::uint64_t> bytes{"app", "bytes", 1, "a size"};
    nodus::setting<double> ratio{"app", "ratio", 0.5, "a ratio", nodus::range{0.0, 1.0}};
    nodus::setting<std::string> mode{"app", "mode", "fast", "a mode", nodus::one_of{"fast", "safe"}};
    nodus::setting<std::vector<std::string>> origins{"cors", "origins", {}, "origins"};
    auto r = parse({"--app.on=yes", "--app.bytes=18446744073709551615", "--app.ratio=0.25", "--app.mode=safe",
                    "--cors.origins= https://a.example , https://b.example"});
    nodus::apply_settings(r.cfg);
    EXPECT_TRUE(*on);
    EXPECT_EQ(*bytes, 18446744073709551615ull);
    EXPECT_DOUBLE_EQ(*ratio, 0.25);
    EXPECT_EQ(*mode, "safe");
    EXPECT_EQ(*origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
    EXPECT_EQ(origins->size(), 2u);
}

TEST_F(config_settings, a_wrong_value_names_file_line_key_and_value) {
    nodus::setting<int> items{"todo", "max_items", 100, "items kept", nodus::range{1, 1000}};
    nodus::setting<bool> on{"todo", "on", false, "a switch"};
    const auto path = write("[todo]\n\nmax_items = lots\n");
    EXPECT_EQ(error_of([&] {
                  parse({"--config", path});
              }),
              path + ":3: [todo] max_items = \"lots\": not a whole number");
    const auto range = write("[todo]\nmax_items = 1001\n");
    EXPECT_EQ(error_of([&] {
                  parse({"--config", range});
              }),
              range + ":2: [todo] max_items = \"1001\": must be from 1 to 1000");
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_TODO_MAX_ITEMS=0"}); }),
              "NODUS_TODO_MAX_ITEMS=0: must be from 1 to 1000");
    EXPECT_EQ(error_of([] { parse({"--todo.on=maybe"}); }),
              "--todo.on=maybe: must be true or false (or on/off, yes/no, 1/0)");
    EXPECT_EQ(error_of([] { parse({"--todo.max_items=-5"}); }),
              "--todo.max_items=-5: must be from 1 to 1000");
}

TEST_F(config_settings, unknown_keys_in_a_declared_section_are_errors) {
    nodus::setting<int> items{"todo", "max_items", 100, "items kept"};
    const auto path = write("[todo]\nmax_item = 5\n");
    EXPECT_EQ(error_of([&] {
                  parse({"--config", path});
              }),
              path + ":2: [todo] max_item: unknown key (keys in [todo]: max_items)");
    EXPECT_NE(error_of([] { parse({"--todo.max_item=5"}); }).find("unknown option"), std::string::npos);
    // An unknown variable is only listed, as for nodus's own sections.
    EXPECT_EQ(parse({}, {"NODUS_TODO_MAX_ITEM=5"}).unknown_environment,
              std::vector<std::string>{"NODUS_TODO_MAX_ITEM"});
}

TEST_F(config_settings, help_lists_the_application_settings_apart) {
    nodus::setting<int> items{"todo", "max_items", 100, "items kept at most", nodus::range{1, 1000}};
    const auto help = nodus::config_help("todo");
    const auto app = help.find("Application settings");
    ASSERT_NE(app, std::string::npos) << help;
    const auto key = help.find("--todo.max_items");
    EXPECT_GT(key, app) << help;
    EXPECT_NE(help.find("items kept at most (1 to 1000) [env NODUS_TODO_MAX_ITEMS]"), std::string::npos)
        << help;
    EXPECT_NE(help.find("(=100)"), std::string::npos) << help;
}

TEST_F(config_settings, declaration_mistakes_are_config_errors_at_startup) {
    {
        nodus::setting<int> clash{"http", "max_items", 1, "in a nodus section"};
        EXPECT_EQ(error_of([] { parse({}); }),
                  "application setting http.max_items: [http] is a nodus section; declare it in a section of "
                  "the application's own");
    }
    {
        nodus::setting<int> a{"todo", "n", 1, "first"};
        nodus::setting<int> b{"todo", "n", 2, "second"};
        EXPECT_EQ(error_of([] { parse({}); }), "application setting todo.n: declared twice");
    }
    {
        nodus::setting<int> bad{"todo", "n", 0, "out of its range", nodus::range{1, 10}};
        EXPECT_EQ(error_of([] { parse({}); }),
                  "application setting todo.n: default \"0\": must be from 1 to 10");
    }
    {
        nodus::setting<int> a{"my_app", "key", 1, "first"};
        nodus::setting<int> b{"my", "app_key", 2, "second"};
        EXPECT_EQ(
            error_of([] { parse({}); }),
            "application setting my.app_key: its environment variable NODUS_MY_APP_KEY is already that of "
            "my_app.key");
    }
    EXPECT_EQ(error_of([] { parse({}); }), ""); // gone with their scope
}

TEST_F(config_settings, validate_checks_application_values_too) {
    nodus::setting<int> items{"todo", "max_items", 100, "items", nodus::range{1, 1000}};
    nodus::config cfg;
    EXPECT_NO_THROW(nodus::validate(cfg));
    cfg.app_settings["todo.max_items"] = "5000";
    EXPECT_THROW(nodus::validate(cfg), nodus::config_error);
}

TEST_F(config_settings, lists_refuse_empty_items) {
    nodus::setting<std::vector<std::string>> origins{"cors", "origins", {}, "origins"};
    EXPECT_EQ(error_of([] { parse({"--cors.origins=a,,b"}); }),
              "--cors.origins=a,,b: an item of the comma-separated list is empty");
    auto r = parse({}, {"NODUS_CORS_ORIGINS="});
    nodus::apply_settings(r.cfg);
    EXPECT_TRUE(origins->empty());
}

} // namespace
