#include <nodus/config/config.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Every key, as users write it; the help text and docs must list each one.
const std::vector<std::string> all_keys = {"server.host",
                                           "server.port",
                                           "server.backlog",
                                           "http.server_header",
                                           "http.max_header_bytes",
                                           "http.max_headers",
                                           "http.max_url_bytes",
                                           "http.max_body_bytes",
                                           "http.header_timeout_ms",
                                           "http.keep_alive_timeout_ms",
                                           "http.request_timeout_ms",
                                           "http.send_timeout_ms",
                                           "http.body_idle_timeout_ms",
                                           "http.min_body_rate",
                                           "http.min_send_rate",
                                           "http.min_rate_grace_ms",
                                           "http.high_water_mark",
                                           "http.drain_timeout_ms",
                                           "log.level",
                                           "log.access_log",
                                           "log.destination",
                                           "cluster.workers",
                                           "cluster.balance",
                                           "cluster.fair_accept",
                                           "cluster.shutdown_timeout_ms",
                                           "cluster.ready_timeout_ms",
                                           "cluster.crash_limit",
                                           "cluster.crash_window_s",
                                           "cluster.watchdog_ms",
                                           "loop.threadpool_size"};

class config_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "nodus-config-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }

    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    std::string write(const std::string& name, const std::string& content) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << content;
        return path;
    }

    // Runs parse_config with `args` after a program name and exactly `env` as environment.
    static nodus::config_result parse(std::vector<std::string> args, std::vector<std::string> env = {},
                                      std::string default_file = {}) {
        std::vector<const char*> argv{"prog"};
        for (const auto& a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        std::vector<const char*> envp;
        for (const auto& e : env) envp.push_back(e.c_str());
        envp.push_back(nullptr);
        return nodus::parse_config(static_cast<int>(argv.size() - 1), argv.data(), envp.data(),
                                   std::move(default_file));
    }

    // The message of the config_error thrown by `f`, or "" when none was thrown.
    template <class F>
    static std::string error_of(F&& f) {
        try {
            f();
        } catch (const nodus::config_error& e) {
            return e.what();
        }
        return {};
    }

    fs::path dir_;
};

TEST_F(config_test, defaults_without_file_env_or_flags) {
    const auto r = parse({});
    EXPECT_EQ(r.action, nodus::config_action::run);
    const auto& c = r.cfg;
    EXPECT_EQ(c.server.host, "127.0.0.1");
    EXPECT_EQ(c.server.port, 1337);
    EXPECT_EQ(c.server.backlog, 511);
    EXPECT_EQ(c.http.server_header, "nodus");
    EXPECT_EQ(c.http.max_header_bytes, 16384u);
    EXPECT_EQ(c.http.max_headers, 100u);
    EXPECT_EQ(c.http.max_url_bytes, 8192u);
    EXPECT_EQ(c.http.max_body_bytes, 1048576u);
    EXPECT_EQ(c.http.header_timeout_ms, 10000u);
    EXPECT_EQ(c.http.keep_alive_timeout_ms, 5000u);
    EXPECT_EQ(c.http.request_timeout_ms, 300000u);
    EXPECT_EQ(c.http.send_timeout_ms, 60000u);
    EXPECT_EQ(c.http.high_water_mark, 65536u);
    EXPECT_EQ(c.http.drain_timeout_ms, 10000u);
    EXPECT_EQ(c.log.level, "info");
    EXPECT_TRUE(c.log.access_log);
    EXPECT_EQ(c.log.destination, "stderr");
    EXPECT_EQ(c.cluster.workers, 0);
    EXPECT_EQ(c.cluster.balance, nodus::balance::shared);
    EXPECT_TRUE(c.cluster.fair_accept);
    EXPECT_EQ(c.cluster.shutdown_timeout_ms, 10000u);
    EXPECT_EQ(c.cluster.ready_timeout_ms, 10000u);
    EXPECT_EQ(c.cluster.crash_limit, 10u);
    EXPECT_EQ(c.cluster.crash_window_s, 60u);
    EXPECT_EQ(c.file, "");
}

TEST_F(config_test, file_sets_every_section) {
    const auto path = write("all.ini",
                            "# a comment line\n"
                            "[server]\n"
                            "host = 0.0.0.0   # trailing comment\n"
                            "port=8080\n"
                            "backlog = 64\n"
                            "\n"
                            "[http]\n"
                            "server_header =\n"
                            "max_header_bytes = 4096\n"
                            "max_headers = 20\n"
                            "max_url_bytes = 1024\n"
                            "max_body_bytes = 0\n"
                            "header_timeout_ms = 1\n"
                            "keep_alive_timeout_ms = 2\n"
                            "request_timeout_ms = 3\n"
                            "send_timeout_ms = 4\n"
                            "high_water_mark = 5\n"
                            "drain_timeout_ms = 6\n"
                            "[log]\n"
                            "level = debug\n"
                            "access_log = off\n"
                            "destination = /var/log/x.log\n"
                            "[cluster]\n"
                            "workers = 4\n"
                            "balance = reuseport\n"
                            "shutdown_timeout_ms = 7\n"
                            "ready_timeout_ms = 8\n"
                            "crash_limit = 9\n"
                            "crash_window_s = 10\n"
                            "[loop]\n"
                            "threadpool_size = 16\n");
    const auto c = nodus::load_config_file(path);
    EXPECT_EQ(c.server.host, "0.0.0.0");
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.server.backlog, 64);
    EXPECT_EQ(c.http.server_header, "");
    EXPECT_EQ(c.http.max_header_bytes, 4096u);
    EXPECT_EQ(c.http.max_headers, 20u);
    EXPECT_EQ(c.http.max_url_bytes, 1024u);
    EXPECT_EQ(c.http.max_body_bytes, 0u);
    EXPECT_EQ(c.http.header_timeout_ms, 1u);
    EXPECT_EQ(c.http.keep_alive_timeout_ms, 2u);
    EXPECT_EQ(c.http.request_timeout_ms, 3u);
    EXPECT_EQ(c.http.send_timeout_ms, 4u);
    EXPECT_EQ(c.http.high_water_mark, 5u);
    EXPECT_EQ(c.http.drain_timeout_ms, 6u);
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_FALSE(c.log.access_log);
    EXPECT_EQ(c.log.destination, "/var/log/x.log");
    EXPECT_EQ(c.cluster.workers, 4);
    EXPECT_EQ(c.cluster.balance, nodus::balance::reuseport);
    EXPECT_EQ(c.cluster.shutdown_timeout_ms, 7u);
    EXPECT_EQ(c.cluster.ready_timeout_ms, 8u);
    EXPECT_EQ(c.cluster.crash_limit, 9u);
    EXPECT_EQ(c.cluster.crash_window_s, 10u);
    EXPECT_EQ(c.loop.threadpool_size, 16u);
    EXPECT_EQ(c.file, path);
}

TEST_F(config_test, config_flag_reads_the_file_in_each_spelling) {
    const auto path = write("a.ini", "[server]\nport = 2001\n");
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--config", path}, {"--config=" + path}, {"-c", path}}) {
        const auto r = parse(args);
        EXPECT_EQ(r.cfg.server.port, 2001) << args[0];
        EXPECT_EQ(r.cfg.file, path) << args[0];
    }
}

TEST_F(config_test, default_file_is_read_only_when_present_and_no_config_flag) {
    const auto def = write("default.ini", "[server]\nport = 2002\n");
    const auto other = write("other.ini", "[server]\nport = 2003\n");
    EXPECT_EQ(parse({}, {}, def).cfg.server.port, 2002);
    EXPECT_EQ(parse({}, {}, def).cfg.file, def);
    EXPECT_EQ(parse({"--config", other}, {}, def).cfg.server.port, 2003);
    const auto missing = parse({}, {}, (dir_ / "missing.ini").string());
    EXPECT_EQ(missing.cfg.server.port, 1337);
    EXPECT_EQ(missing.cfg.file, "");
}

TEST_F(config_test, env_overrides_file) {
    const auto path = write("a.ini", "[server]\nport = 2000\n[http]\nmax_body_bytes = 10\n");
    const auto r = parse({"--config", path},
                         {"PATH=/usr/bin", "NODUS_SERVER_PORT=3000", "NODUS_HTTP_MAX_BODY_BYTES=0",
                          "NODUS_CLUSTER_WORKERS=auto", "NODUS_LOG_ACCESS_LOG=no"});
    EXPECT_EQ(r.cfg.server.port, 3000);
    EXPECT_EQ(r.cfg.http.max_body_bytes, 0u);
    EXPECT_EQ(r.cfg.cluster.workers, nodus::workers_auto);
    EXPECT_FALSE(r.cfg.log.access_log);
}

TEST_F(config_test, flag_overrides_env_and_file) {
    const auto path = write("a.ini", "[server]\nport = 2000\nhost = 10.0.0.1\n");
    const std::vector<std::string> env{"NODUS_SERVER_PORT=3000", "NODUS_SERVER_HOST=10.0.0.2"};
    const auto joined = parse({"--config", path, "--server.port=4000"}, env);
    EXPECT_EQ(joined.cfg.server.port, 4000);
    EXPECT_EQ(joined.cfg.server.host, "10.0.0.2");
    const auto separate = parse({"--server.port", "4001", "--config", path}, env);
    EXPECT_EQ(separate.cfg.server.port, 4001);
}

TEST_F(config_test, process_environment_is_read_when_envp_is_null) {
    ASSERT_EQ(::setenv("NODUS_SERVER_BACKLOG", "77", 1), 0);
    const char* argv[] = {"prog", nullptr};
    const auto r = nodus::parse_config(1, argv);
    ::unsetenv("NODUS_SERVER_BACKLOG");
    EXPECT_EQ(r.cfg.server.backlog, 77);
}

TEST_F(config_test, workers_accepts_auto_numbers_and_minus_one) {
    EXPECT_EQ(parse({"--cluster.workers=auto"}).cfg.cluster.workers, nodus::workers_auto);
    EXPECT_EQ(parse({"--cluster.workers=-1"}).cfg.cluster.workers, nodus::workers_auto);
    EXPECT_EQ(parse({"--cluster.workers=8"}).cfg.cluster.workers, 8);
    const auto msg = error_of([] { parse({"--cluster.workers=-2"}); });
    EXPECT_NE(msg.find("--cluster.workers=-2: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("auto"), std::string::npos) << msg;
}

TEST_F(config_test, booleans_accept_common_spellings) {
    for (const char* yes : {"true", "on", "yes", "1", "TRUE", "On"})
        EXPECT_TRUE(
            parse({std::string("--log.access_log=") + yes}, {"NODUS_LOG_ACCESS_LOG=0"}).cfg.log.access_log)
            << yes;
    for (const char* no : {"false", "off", "no", "0", "False"})
        EXPECT_FALSE(parse({std::string("--log.access_log=") + no}).cfg.log.access_log) << no;
    EXPECT_EQ(error_of([] { parse({"--log.access_log=maybe"}); }),
              "--log.access_log=maybe: must be true or false (or on/off, yes/no, 1/0)");
}

TEST_F(config_test, port_zero_is_allowed_for_an_ephemeral_port) {
    EXPECT_EQ(parse({"--server.port=0"}).cfg.server.port, 0);
    EXPECT_EQ(parse({"--server.port=65535"}).cfg.server.port, 65535);
}

TEST_F(config_test, bad_value_in_file_names_file_line_section_key_and_value) {
    const auto path = write("hello.ini", "[server]\nhost = 127.0.0.1\nport = abc\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(path); }),
              path + ":3: [server] port = \"abc\": not a valid port (0-65535)");
    EXPECT_EQ(error_of([&] {
                  parse({"--config", path});
              }),
              path + ":3: [server] port = \"abc\": not a valid port (0-65535)");
}

TEST_F(config_test, range_errors_in_file_name_the_line) {
    const auto path = write("r.ini", "[http]\n# limits\n\nmax_headers = 0\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(path); }),
              path + ":4: [http] max_headers = \"0\": must be at least 1");
    const auto big = write("big.ini", "[server]\nport = 70000\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(big); }),
              big + ":2: [server] port = \"70000\": not a valid port (0-65535)");
    const auto neg = write("neg.ini", "[cluster]\ncrash_limit = -3\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(neg); }),
              neg + ":2: [cluster] crash_limit = \"-3\": must be at least 1");
    const auto lvl = write("lvl.ini", "[log]\nlevel = loud\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(lvl); }),
              lvl +
                  ":2: [log] level = \"loud\": must be one of: trace, debug, info, warn, error, "
                  "critical, off");
    const auto bal = write("bal.ini", "[cluster]\nbalance = random\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(bal); }),
              bal + ":2: [cluster] balance = \"random\": must be one of: shared, reuseport, round_robin");
    const auto host = write("host.ini", "[server]\nhost =\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(host); }),
              host + ":2: [server] host = \"\": must not be empty");
}

TEST_F(config_test, unknown_key_in_file_is_an_error_with_its_line) {
    const auto path = write("k.ini", "[server]\nport = 1\nbogus = 2\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(path); }),
              path + ":3: [server] bogus: unknown key (keys in [server]: host, port, backlog)");
}

TEST_F(config_test, unknown_section_in_file_is_an_error_with_its_line) {
    const auto path = write("s.ini", "[server]\nport = 1\n\n[serv]\nport = 2\n");
    const auto msg = error_of([&] { nodus::load_config_file(path); });
    EXPECT_EQ(msg.rfind(path + ":5: [serv] port: unknown section [serv]", 0), 0u) << msg;
}

TEST_F(config_test, key_before_any_section_is_an_error) {
    const auto path = write("n.ini", "# top\nport = 1\n");
    const auto msg = error_of([&] { nodus::load_config_file(path); });
    EXPECT_EQ(msg.rfind(path + ":2: port: key outside any section", 0), 0u) << msg;
}

TEST_F(config_test, malformed_lines_give_file_and_line) {
    const auto no_eq = write("m1.ini", "[server]\nport = 1\nhost 127.0.0.1\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(no_eq); }),
              no_eq + ":3: \"host 127.0.0.1\": expected \"key = value\" or \"[section]\"");
    const auto open_section = write("m2.ini", "[server]\nport = 1\n[http\nmax_headers = 2\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(open_section); }),
              open_section + ":3: \"[http\": expected \"key = value\" or \"[section]\"");
    const auto semicolon = write("m3.ini", "; not a comment here\n[server]\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(semicolon); }),
              semicolon +
                  ":1: \"; not a comment here\": expected \"key = value\" or \"[section]\" "
                  "(comments start with '#')");
}

TEST_F(config_test, key_set_twice_in_file_is_an_error) {
    const auto path = write("d.ini", "[server]\nport = 1\n\nport = 2\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(path); }),
              path + ":4: [server] port = \"2\": set twice (first on line 2)");
}

TEST_F(config_test, missing_file_names_the_file_and_the_reason) {
    EXPECT_EQ(error_of([] { nodus::load_config_file("x.ini"); }),
              "cannot open config file 'x.ini': No such file or directory");
    const auto missing = (dir_ / "none.ini").string();
    EXPECT_EQ(error_of([&] {
                  parse({"--config", missing});
              }),
              "cannot open config file '" + missing + "': No such file or directory");
    EXPECT_EQ(error_of([&] {
                  parse({"--config", dir_.string()});
              }),
              "cannot open config file '" + dir_.string() + "': Is a directory");
}

TEST_F(config_test, bad_env_value_names_the_variable_and_value) {
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_SERVER_PORT=99999"}); }),
              "NODUS_SERVER_PORT=99999: not a valid port (0-65535)");
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_HTTP_SEND_TIMEOUT_MS=0"}); }),
              "NODUS_HTTP_SEND_TIMEOUT_MS=0: must be at least 1");
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_HTTP_SERVER_HEADER=a\r\nX-Evil: 1"}); }),
              "NODUS_HTTP_SERVER_HEADER=a\r\nX-Evil: 1: must not contain control characters");
}

TEST_F(config_test, threadpool_size_from_env_and_flag_and_its_range) {
    EXPECT_EQ(parse({}).cfg.loop.threadpool_size, 4u);
    EXPECT_EQ(parse({}, {"NODUS_LOOP_THREADPOOL_SIZE=1024"}).cfg.loop.threadpool_size, 1024u);
    EXPECT_EQ(parse({"--loop.threadpool_size=1"}).cfg.loop.threadpool_size, 1u);
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_LOOP_THREADPOOL_SIZE=0"}); }),
              "NODUS_LOOP_THREADPOOL_SIZE=0: must be a number of threads from 1 to 1024");
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_LOOP_THREADPOOL_SIZE=1025"}); }),
              "NODUS_LOOP_THREADPOOL_SIZE=1025: must be a number of threads from 1 to 1024");
    EXPECT_EQ(error_of([] { parse({}, {"NODUS_LOOP_THREADPOOL_SIZE=four"}); }),
              "NODUS_LOOP_THREADPOOL_SIZE=four: must be a number of threads from 1 to 1024");
}

TEST_F(config_test, unknown_nodus_env_variables_are_listed_not_refused) {
    // What Kubernetes injects for a Service called "nodus".
    const auto r = parse({},
                         {"HOME=/root", "NODUS_SERVICE_HOST=10.0.0.1", "NODUS_PORT_80_TCP_ADDR=10.0.0.1",
                          "NODUS_PORT=tcp://10.0.0.1:80", "NODUS_SERVER_PORT=3000"});
    EXPECT_EQ(r.cfg.server.port, 3000);
    EXPECT_EQ(r.unknown_environment,
              (std::vector<std::string>{"NODUS_PORT", "NODUS_PORT_80_TCP_ADDR", "NODUS_SERVICE_HOST"}));
    EXPECT_EQ(parse({}, {"HOME=/root", "NODUSX=1", "MY_NODUS_SERVER_PORT=1"}).cfg.server.port, 1337);
    EXPECT_TRUE(parse({}, {"NODUSX=1"}).unknown_environment.empty());
    // A known name with a bad value stays an error.
    EXPECT_EQ(error_of([] {
                  parse({}, {"NODUS_SERVICE_HOST=x", "NODUS_SERVER_PORT=http"});
              }),
              "NODUS_SERVER_PORT=http: not a valid port (0-65535)");
}

TEST_F(config_test, unknown_keys_in_files_and_flags_stay_errors) {
    const std::string path = write("typo.ini", "[server]\nprot = 80\n");
    EXPECT_NE(error_of([&] { parse({"--config", path}); }).find("unknown key"), std::string::npos);
    EXPECT_NE(error_of([] { parse({"--server.prot=80"}); }).find("unknown option"), std::string::npos);
}

TEST_F(config_test, bad_flag_value_names_the_flag_and_value) {
    EXPECT_EQ(error_of([] { parse({"--http.max_headers=0"}); }), "--http.max_headers=0: must be at least 1");
    EXPECT_EQ(error_of([] {
                  parse({"--http.max_headers", "many"});
              }),
              "--http.max_headers=many: not a whole number");
    EXPECT_EQ(error_of([] { parse({"--http.header_timeout_ms=-5"}); }),
              "--http.header_timeout_ms=-5: must be at least 1");
    EXPECT_EQ(error_of([] { parse({"--http.header_timeout_ms=99999999999"}); }),
              "--http.header_timeout_ms=99999999999: must be at most 4294967295");
    EXPECT_EQ(error_of([] { parse({"--server.backlog=0"}); }), "--server.backlog=0: must be at least 1");
}

TEST_F(config_test, bad_value_in_an_overridden_file_is_still_an_error) {
    const auto path = write("a.ini", "[server]\nport = abc\n");
    const auto msg = error_of([&] { parse({"--config", path, "--server.port=80"}); });
    EXPECT_EQ(msg.rfind(path + ":2: [server] port = \"abc\"", 0), 0u) << msg;
}

TEST_F(config_test, command_line_mistakes_are_errors) {
    auto msg = error_of([] { parse({"--server.prot=80"}); });
    EXPECT_EQ(msg.rfind("--server.prot", 0), 0u) << msg;
    EXPECT_NE(msg.find("unknown option"), std::string::npos) << msg;
    // No guessing of abbreviations.
    msg = error_of([] { parse({"--server.po=80"}); });
    EXPECT_NE(msg.find("unknown option"), std::string::npos) << msg;
    EXPECT_EQ(error_of([] { parse({"--server.port"}); }),
              "--server.port: needs a value, e.g. --server.port=VALUE");
    EXPECT_EQ(error_of([] { parse({"stray"}); }),
              "unexpected argument 'stray' (settings are --section.key=VALUE)");
    EXPECT_EQ(error_of([] {
                  parse({"--server.port=1", "--server.port=2"});
              }),
              "--server.port: given more than once");
}

TEST_F(config_test, help_lists_every_key_with_default_env_and_flag) {
    const auto r = parse({"--help"});
    ASSERT_EQ(r.action, nodus::config_action::help);
    EXPECT_NE(r.text.find("Usage: prog"), std::string::npos);
    EXPECT_NE(r.text.find("--config"), std::string::npos);
    for (const auto& key : all_keys) {
        std::string env = "NODUS_";
        for (char c : key)
            env += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_NE(r.text.find("--" + key + " "), std::string::npos) << key;
        EXPECT_NE(r.text.find(env), std::string::npos) << env;
    }
    for (const char* def :
         {"(=127.0.0.1)", "(=1337)", "(=511)", "(=nodus)", "(=16384)", "(=100)", "(=8192)", "(=1048576)",
          "(=300000)", "(=65536)", "(=info)", "(=true)", "(=stderr)", "(=0)", "(=shared)", "(=60)"})
        EXPECT_NE(r.text.find(def), std::string::npos) << def;
    EXPECT_EQ(nodus::config_help("prog"), r.text);
    EXPECT_EQ(parse({"-h"}).action, nodus::config_action::help);
}

TEST_F(config_test, help_wins_over_a_missing_config_file) {
    EXPECT_EQ(parse({"--config", "/nonexistent.ini", "--help"}).action, nodus::config_action::help);
}

TEST_F(config_test, version_reports_the_program_and_nodus_version) {
    const auto r = parse({"--version"});
    EXPECT_EQ(r.action, nodus::config_action::version);
    EXPECT_EQ(r.text.rfind("prog (nodus ", 0), 0u) << r.text;
}

TEST_F(config_test, validate_accepts_defaults_and_edge_values) {
    EXPECT_NO_THROW(nodus::validate(nodus::config{}));
    nodus::config c;
    c.server.port = 0;
    c.http.max_body_bytes = 0;
    c.http.server_header = "";
    c.cluster.workers = nodus::workers_auto;
    c.cluster.balance = nodus::balance::round_robin;
    c.cluster.fair_accept = false;
    c.log.level = "off";
    EXPECT_NO_THROW(nodus::validate(c));
}

TEST_F(config_test, validate_rejects_out_of_range_values_naming_key_and_value) {
    auto msg_for = [](auto change) {
        nodus::config c;
        change(c);
        try {
            nodus::validate(c);
        } catch (const nodus::config_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(msg_for([](auto& c) { c.server.backlog = 0; }), "server.backlog = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.server.host = ""; }), "server.host = \"\": must not be empty");
    EXPECT_EQ(msg_for([](auto& c) { c.http.max_header_bytes = 0; }),
              "http.max_header_bytes = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.max_headers = 0; }),
              "http.max_headers = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.max_url_bytes = 0; }),
              "http.max_url_bytes = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.high_water_mark = 0; }),
              "http.high_water_mark = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.header_timeout_ms = 0; }),
              "http.header_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.keep_alive_timeout_ms = 0; }),
              "http.keep_alive_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.request_timeout_ms = 0; }),
              "http.request_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.send_timeout_ms = 0; }),
              "http.send_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.http.drain_timeout_ms = 0; }),
              "http.drain_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.log.level = "verbose"; }),
              "log.level = \"verbose\": must be one of: trace, debug, info, warn, error, critical, off");
    EXPECT_EQ(msg_for([](auto& c) { c.log.destination = ""; }), "log.destination = \"\": must not be empty");
    EXPECT_EQ(msg_for([](auto& c) { c.cluster.balance = static_cast<nodus::balance>(7); }),
              "cluster.balance = \"invalid\": must be one of: shared, reuseport, round_robin");
    EXPECT_NE(msg_for([](auto& c) { c.cluster.workers = -2; }).find("cluster.workers = \"-2\""),
              std::string::npos);
    EXPECT_EQ(msg_for([](auto& c) { c.cluster.shutdown_timeout_ms = 0; }),
              "cluster.shutdown_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.cluster.ready_timeout_ms = 0; }),
              "cluster.ready_timeout_ms = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.cluster.crash_limit = 0; }),
              "cluster.crash_limit = \"0\": must be at least 1");
    EXPECT_EQ(msg_for([](auto& c) { c.cluster.crash_window_s = 0; }),
              "cluster.crash_window_s = \"0\": must be at least 1");
}

TEST_F(config_test, slow_client_rules_have_defaults_and_can_be_switched_off) {
    const nodus::config c;
    EXPECT_EQ(c.http.body_idle_timeout_ms, 30000u);
    EXPECT_EQ(c.http.min_body_rate, 500u);
    EXPECT_EQ(c.http.min_send_rate, 500u);
    EXPECT_EQ(c.http.min_rate_grace_ms, 20000u);
    auto path = write("slow.ini",
                      "[http]\nbody_idle_timeout_ms = 1500\nmin_body_rate = 0\n"
                      "min_send_rate = 1024\nmin_rate_grace_ms = 0\n");
    auto f = nodus::load_config_file(path);
    EXPECT_EQ(f.http.body_idle_timeout_ms, 1500u);
    EXPECT_EQ(f.http.min_body_rate, 0u);
    EXPECT_EQ(f.http.min_send_rate, 1024u);
    EXPECT_EQ(f.http.min_rate_grace_ms, 0u);
    EXPECT_THROW(nodus::load_config_file(write("zero.ini", "[http]\nbody_idle_timeout_ms = 0\n")),
                 nodus::config_error);
}

#ifdef NODUS_SOURCE_DIR
TEST_F(config_test, shipped_config_files_load_and_validate) {
    const std::string root = NODUS_SOURCE_DIR;
    const auto hello = nodus::load_config_file(root + "/config/hello.ini");
    EXPECT_EQ(hello.server.port, 1337);
    EXPECT_EQ(hello.cluster.workers, 0);
    EXPECT_NO_THROW(nodus::validate(hello));
    const auto echo = nodus::load_config_file(root + "/config/echo.ini");
    EXPECT_EQ(echo.server.port, 1338);
    EXPECT_EQ(echo.http.max_body_bytes, 0u);
    EXPECT_NO_THROW(nodus::validate(echo));
}
#endif

// A configuration file has a size limit: an endless one (/dev/zero) fails at once instead of
// growing the process.
TEST_F(config_test, a_config_file_over_1_mib_is_an_error_naming_the_file_and_the_limit) {
    const auto huge = write("huge.ini", "[server]\n" + std::string(nodus::max_config_file_bytes, '#') + "\n");
    EXPECT_EQ(error_of([&] { nodus::load_config_file(huge); }),
              "config file '" + huge + "' is larger than the limit of 1048576 bytes (1 MiB)");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(error_of([] {
                  parse({"--config", "/dev/zero"});
              }),
              "config file '/dev/zero' is larger than the limit of 1048576 bytes (1 MiB)");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    const auto fits = write("fits.ini", "[server]\nport = 8080\n" + std::string(4096, '#') + "\n");
    EXPECT_EQ(nodus::load_config_file(fits).server.port, 8080);
}

TEST_F(config_test, values_of_2_to_the_63_and_more_name_the_key_and_the_range) {
    EXPECT_EQ(error_of([] { parse({"--http.max_body_bytes=9223372036854775808"}); }),
              "--http.max_body_bytes=9223372036854775808: must be at most 9223372036854775807");
    EXPECT_EQ(error_of([] { parse({"--http.max_header_bytes=18446744073709551615"}); }),
              "--http.max_header_bytes=18446744073709551615: must be at most 9223372036854775807");
    EXPECT_EQ(error_of([] { parse({"--http.max_url_bytes=99999999999999999999"}); }),
              "--http.max_url_bytes=99999999999999999999: must be at most 9223372036854775807");
    EXPECT_EQ(error_of([] { parse({"--server.backlog=9223372036854775808"}); }),
              "--server.backlog=9223372036854775808: must be at most 2147483647");
    const auto path = write("big.ini", "[http]\nmax_body_bytes = 9223372036854775808\n");
    EXPECT_EQ(
        error_of([&] { nodus::load_config_file(path); }),
        path + ":2: [http] max_body_bytes = \"9223372036854775808\": must be at most 9223372036854775807");
    EXPECT_EQ(parse({"--http.max_body_bytes=9223372036854775807"}).cfg.http.max_body_bytes,
              9223372036854775807u);
}

TEST_F(config_test, workers_has_an_upper_bound) {
    EXPECT_EQ(parse({"--cluster.workers=1024"}).cfg.cluster.workers, nodus::max_workers);
    EXPECT_EQ(error_of([] { parse({"--cluster.workers=1025"}); }),
              "--cluster.workers=1025: must be 0 (no master), a number of workers up to 1024, or auto "
              "(one per CPU; -1 is the same)");
    EXPECT_NE(error_of([] { parse({"--cluster.workers=9223372036854775808"}); }).find("up to 1024"),
              std::string::npos);
}

TEST_F(config_test, cluster_watchdog_ms_defaults_to_10_s_and_0_turns_it_off) {
    EXPECT_EQ(parse({}).cfg.cluster.watchdog_ms, 10000u);
    EXPECT_EQ(parse({"--cluster.watchdog_ms=0"}).cfg.cluster.watchdog_ms, 0u);
    EXPECT_EQ(parse({"--cluster.watchdog_ms=250"}).cfg.cluster.watchdog_ms, 250u);
    EXPECT_THROW(parse({"--cluster.watchdog_ms=-1"}), nodus::config_error);
    EXPECT_THROW(parse({"--cluster.watchdog_ms=10s"}), nodus::config_error);
}

} // namespace
