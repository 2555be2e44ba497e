// nodus::fs on real files in a fresh directory: results and errors (code, path, call) on the
// loop, the loop kept alive while work is pending, throwing callbacks, and read streams with
// pause/resume, ranges, a file that shrinks while read, and descriptors never leaked.
#include <nodus/fs/fs.hpp>
#include <nodus/loop/loop.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = nodus::fs;
using namespace std::chrono_literals;

namespace {

std::size_t open_fds() {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                                  std::filesystem::directory_iterator{}));
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

class fs_test : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/nodus-fs-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        // The loop and the pool open descriptors of their own on first use: count after.
        nodus::queue_work([] {}, [](std::exception_ptr) {});
        nodus::run();
        fds_before_ = open_fds();
    }
    void TearDown() override {
        nodus::run(); // nothing may be left pending
        EXPECT_EQ(open_fds(), fds_before_) << "a descriptor leaked";
        std::filesystem::remove_all(dir_);
    }
    std::string at(const std::string& name) const { return dir_ + "/" + name; }
    void put(const std::string& name, const std::string& data) const { std::ofstream(at(name)) << data; }

    std::string dir_;
    std::size_t fds_before_ = 0;
};

// Runs one operation and the loop; the callback's error.
template <class Call>
fs::error run_one(Call call) {
    fs::error seen;
    bool called = false;
    call([&](const fs::error& e) {
        seen = e;
        called = true;
    });
    EXPECT_FALSE(called) << "the callback ran inside the call";
    nodus::run();
    EXPECT_TRUE(called);
    return seen;
}

} // namespace

TEST_F(fs_test, write_then_read_a_file_on_the_loop_thread) {
    auto loop_thread = std::this_thread::get_id();
    auto data = pattern(300000);
    EXPECT_FALSE(run_one([&](auto cb) { fs::write_file(at("a.bin"), data, cb); }));
    std::string got;
    std::thread::id cb_thread;
    fs::read_file(at("a.bin"), [&](const fs::error& e, std::string d) {
        EXPECT_FALSE(e) << e.message();
        got = std::move(d);
        cb_thread = std::this_thread::get_id();
    });
    nodus::run();
    EXPECT_EQ(got, data);
    EXPECT_EQ(cb_thread, loop_thread);
}

TEST_F(fs_test, read_file_errors_name_the_code_the_path_and_the_call) {
    put("file", "x");
    std::filesystem::create_directory(at("d"));
    struct want {
        std::string path;
        std::errc code;
    };
    for (auto [path, code] :
         {want{at("missing"), std::errc::no_such_file_or_directory}, want{at("d"), std::errc::is_a_directory},
          want{at("file/x"), std::errc::not_a_directory}}) {
        fs::error seen;
        std::string data = "untouched";
        fs::read_file(path, [&](const fs::error& e, std::string d) {
            seen = e;
            data = std::move(d);
        });
        nodus::run();
        EXPECT_EQ(seen.code, code) << path << ": " << seen.message();
        EXPECT_EQ(seen.path, path);
        EXPECT_TRUE(data.empty());
    }
    fs::error missing;
    fs::read_file(at("missing"), [&](const fs::error& e, std::string) { missing = e; });
    nodus::run();
    EXPECT_EQ(missing.message(), "open '" + at("missing") + "': No such file or directory");
}

TEST_F(fs_test, read_file_limits_the_size_also_of_files_without_one) {
    put("big", pattern(5000));
    fs::error big, zero;
    std::string proc;
    fs::read_file(at("big"), {.max_bytes = 4999}, [&](const fs::error& e, std::string) { big = e; });
    fs::read_file("/dev/zero", {.max_bytes = 100000}, [&](const fs::error& e, std::string) { zero = e; });
    // /proc files report size 0 and are read to their end.
    fs::read_file("/proc/self/status", [&](const fs::error& e, std::string d) {
        EXPECT_FALSE(e);
        proc = std::move(d);
    });
    nodus::run();
    EXPECT_EQ(big.code, std::errc::file_too_large);
    EXPECT_EQ(zero.code, std::errc::file_too_large);
    EXPECT_NE(proc.find("Pid:"), std::string::npos);
}

TEST_F(fs_test, atomic_write_replaces_the_file_and_leaves_no_temporary) {
    put("conf", "old");
    EXPECT_FALSE(run_one([&](auto cb) { fs::write_file(at("conf"), "new contents", {.atomic = true}, cb); }));
    std::ifstream in(at("conf"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text, "new contents");
    // Over a directory the rename fails (EISDIR); the temporary file is removed.
    std::filesystem::create_directory(at("d"));
    auto e = run_one([&](auto cb) { fs::write_file(at("d"), "x", {.atomic = true}, cb); });
    EXPECT_EQ(e.code, std::errc::is_a_directory) << e.message();
    EXPECT_STREQ(e.op, "rename");
    std::vector<std::string> names;
    for (auto& entry : std::filesystem::directory_iterator(dir_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"conf", "d"}));
    // In a directory that does not exist: ENOENT, reported for the path asked for.
    e = run_one([&](auto cb) { fs::write_file(at("no/conf"), "x", {.atomic = true}, cb); });
    EXPECT_EQ(e.code, std::errc::no_such_file_or_directory);
    EXPECT_EQ(e.path, at("no/conf"));
}

TEST_F(fs_test, write_creates_with_the_mode_and_append_adds) {
    EXPECT_FALSE(
        run_one([&](auto cb) { fs::write_file(at("secret"), "a", {.mode = 0600, .sync = true}, cb); }));
    EXPECT_FALSE(run_one([&](auto cb) { fs::append_file(at("secret"), "bc", cb); }));
    EXPECT_FALSE(run_one([&](auto cb) { fs::append_file(at("new.log"), "line\n", cb); }));
    fs::file_info info;
    fs::stat(at("secret"), [&](const fs::error& e, const fs::file_info& i) {
        EXPECT_FALSE(e);
        info = i;
    });
    nodus::run();
    EXPECT_EQ(info.type, fs::file_type::regular);
    EXPECT_EQ(info.size, 3u);
    EXPECT_EQ(info.mode, 0600u);
    EXPECT_LE(std::chrono::system_clock::now() - info.modified, 60s);
    std::filesystem::create_directory(at("d"));
    EXPECT_EQ(run_one([&](auto cb) { fs::append_file(at("d"), "x", cb); }).code, std::errc::is_a_directory);
    EXPECT_EQ(run_one([&](auto cb) { fs::write_file(at("d"), "x", cb); }).code, std::errc::is_a_directory);
}

TEST_F(fs_test, stat_and_read_dir) {
    put("b.txt", "12345");
    std::filesystem::create_directory(at("a"));
    std::filesystem::create_symlink("b.txt", at("c"));
    std::vector<fs::dir_entry> entries;
    fs::read_dir(dir_, [&](const fs::error& e, std::vector<fs::dir_entry> list) {
        EXPECT_FALSE(e);
        entries = std::move(list);
    });
    fs::error not_dir, missing;
    fs::read_dir(at("b.txt"), [&](const fs::error& e, std::vector<fs::dir_entry>) { not_dir = e; });
    fs::stat(at("nothing"), [&](const fs::error& e, const fs::file_info&) { missing = e; });
    fs::file_info through_link;
    fs::stat(at("c"), [&](const fs::error&, const fs::file_info& i) { through_link = i; });
    nodus::run();
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].name, "a");
    EXPECT_EQ(entries[0].type, fs::file_type::directory);
    EXPECT_EQ(entries[1].name, "b.txt");
    EXPECT_EQ(entries[1].type, fs::file_type::regular);
    EXPECT_EQ(entries[2].name, "c");
    EXPECT_EQ(entries[2].type, fs::file_type::symlink);
    EXPECT_EQ(not_dir.code, std::errc::not_a_directory);
    EXPECT_STREQ(not_dir.op, "opendir");
    EXPECT_EQ(missing.code, std::errc::no_such_file_or_directory);
    EXPECT_EQ(through_link.type, fs::file_type::regular);
    EXPECT_EQ(through_link.size, 5u);
}

TEST_F(fs_test, make_directory_plain_and_recursive) {
    auto mk = [&](const std::string& p, fs::mkdir_options o = {}) {
        return run_one([&](auto cb) { fs::make_directory(p, o, cb); }).code;
    };
    EXPECT_FALSE(mk(at("d")));
    EXPECT_EQ(mk(at("d")), std::errc::file_exists);
    EXPECT_EQ(mk(at("x/y")), std::errc::no_such_file_or_directory);
    EXPECT_FALSE(mk(at("x/y/z/"), {.recursive = true}));
    EXPECT_TRUE(std::filesystem::is_directory(at("x/y/z")));
    EXPECT_FALSE(mk(at("x/y/z"), {.recursive = true})) << "mkdir -p of an existing directory succeeds";
    put("f", "");
    EXPECT_EQ(mk(at("f/g"), {.recursive = true}), std::errc::not_a_directory);
    EXPECT_EQ(mk(at("f"), {.recursive = true}), std::errc::file_exists);
    EXPECT_EQ(mk("", {.recursive = true}), std::errc::no_such_file_or_directory);
}

TEST_F(fs_test, remove_directory_and_file) {
    std::filesystem::create_directories(at("t/a/b"));
    put("t/a/b/f", "x");
    std::filesystem::create_symlink(dir_, at("t/loop")); // removed, not followed
    put("f", "x");
    auto rmdir = [&](const std::string& p, fs::remove_options o = {}) {
        return run_one([&](auto cb) { fs::remove_directory(p, o, cb); }).code;
    };
    EXPECT_EQ(rmdir(at("t")), std::errc::directory_not_empty);
    EXPECT_EQ(rmdir(at("f")), std::errc::not_a_directory);
    EXPECT_EQ(rmdir(at("f"), {.recursive = true}), std::errc::not_a_directory);
    EXPECT_EQ(rmdir(at("none"), {.recursive = true}), std::errc::no_such_file_or_directory);
    EXPECT_FALSE(rmdir(at("t"), {.recursive = true}));
    EXPECT_FALSE(std::filesystem::exists(at("t")));
    EXPECT_TRUE(std::filesystem::exists(at("f"))) << "the symbolic link was followed";
    std::filesystem::create_directory(at("d"));
    EXPECT_EQ(run_one([&](auto cb) { fs::remove_file(at("d"), cb); }).code, std::errc::is_a_directory);
    EXPECT_FALSE(run_one([&](auto cb) { fs::remove_file(at("f"), cb); }));
    EXPECT_EQ(run_one([&](auto cb) { fs::remove_file(at("f"), cb); }).code,
              std::errc::no_such_file_or_directory);
}

TEST_F(fs_test, the_loop_waits_for_every_operation) {
    int done = 0;
    for (int i = 0; i < 20; ++i)
        fs::write_file(at("f" + std::to_string(i)), std::string(1000, 'x'), [&](const fs::error& e) {
            EXPECT_FALSE(e);
            fs::read_file(e.path, [&](const fs::error&, std::string d) { done += d.size() == 1000; });
        });
    nodus::run();
    EXPECT_EQ(done, 20);
}

TEST_F(fs_test, a_throwing_callback_leaves_run_and_the_rest_completes) {
    int later = 0;
    fs::stat(dir_, [](const fs::error&, const fs::file_info&) { throw std::runtime_error("boom"); });
    fs::stat(dir_, [&](const fs::error&, const fs::file_info&) { ++later; });
    EXPECT_THROW(nodus::run(), std::runtime_error);
    nodus::run();
    EXPECT_EQ(later, 1);
}

namespace {

struct stream_log {
    std::string data;
    int chunks = 0;
    int ends = 0;
    fs::error err;
    fs::file_info info;
    bool opened = false;
};

fs::read_stream watch(fs::read_stream s, stream_log& log) {
    s.on_open([&log](const fs::file_info& i) {
         log.info = i;
         log.opened = true;
     })
        .on_data([&log](std::string_view c) {
            log.data.append(c);
            ++log.chunks;
        })
        .on_end([&log] { ++log.ends; })
        .on_error([&log](const fs::error& e) { log.err = e; });
    return s;
}

} // namespace

TEST_F(fs_test, a_stream_delivers_the_file_in_chunks_and_ends_once) {
    auto data = pattern(1000000);
    put("big", data);
    stream_log log;
    auto s = watch(fs::read_stream::open(at("big"), {.chunk_size = 65536}), log);
    EXPECT_FALSE(log.opened) << "callbacks run from the loop, not inside open";
    nodus::run();
    EXPECT_FALSE(log.err) << log.err.message();
    EXPECT_EQ(log.info.size, data.size());
    EXPECT_EQ(log.data, data);
    EXPECT_EQ(log.chunks, 16); // 15 full chunks and one of 16,960 bytes
    EXPECT_EQ(log.ends, 1);
    EXPECT_TRUE(s.done());
    EXPECT_EQ(s.bytes_read(), data.size());
}

TEST_F(fs_test, a_stream_reads_a_range) {
    auto data = pattern(10000);
    put("f", data);
    stream_log a, b, c;
    watch(fs::read_stream::open(at("f"), {.chunk_size = 1000, .start = 2500, .length = 3001}), a);
    watch(fs::read_stream::open(at("f"), {.start = 9990}), b);
    watch(fs::read_stream::open(at("f"), {.start = 20000}), c); // past the end: empty
    nodus::run();
    EXPECT_EQ(a.data, data.substr(2500, 3001));
    EXPECT_EQ(a.chunks, 4);
    EXPECT_EQ(b.data, data.substr(9990));
    EXPECT_EQ(c.data, "");
    EXPECT_EQ(a.ends + b.ends + c.ends, 3);
    EXPECT_THROW(fs::read_stream::open(at("f"), {.chunk_size = 0}), std::invalid_argument);
}

TEST_F(fs_test, a_paused_stream_delivers_nothing_until_resumed) {
    put("f", pattern(50000));
    std::string got;
    int during_pause = -1;
    auto s = fs::read_stream::open(at("f"), {.chunk_size = 10000});
    s.on_data([&, s](std::string_view c) {
        got.append(c);
        if (got.size() != 10000) return;
        s.pause();
        // Long enough for several reads to have completed, had the stream not been paused.
        nodus::set_timeout(50ms, [&, s] {
            during_pause = static_cast<int>(got.size());
            s.resume();
        });
    });
    int ends = 0;
    s.on_end([&] { ++ends; });
    nodus::run();
    EXPECT_EQ(during_pause, 10000);
    EXPECT_EQ(got, pattern(50000));
    EXPECT_EQ(ends, 1);
}

TEST_F(fs_test, stream_errors_come_to_on_error) {
    std::filesystem::create_directory(at("d"));
    put("f", "x");
    stream_log missing, dir, not_dir;
    watch(fs::read_stream::open(at("missing")), missing);
    watch(fs::read_stream::open(at("d")), dir);
    watch(fs::read_stream::open(at("f/x")), not_dir);
    nodus::run();
    EXPECT_EQ(missing.err.code, std::errc::no_such_file_or_directory);
    EXPECT_EQ(missing.err.path, at("missing"));
    EXPECT_EQ(dir.err.code, std::errc::is_a_directory);
    EXPECT_EQ(not_dir.err.code, std::errc::not_a_directory);
    EXPECT_EQ(missing.ends + dir.ends + not_dir.ends, 0);
    EXPECT_FALSE(missing.opened || dir.opened || not_dir.opened);
}

TEST_F(fs_test, a_file_that_shrinks_while_streamed_ends_in_an_error) {
    put("f", pattern(1000000));
    stream_log log;
    auto s = watch(fs::read_stream::open(at("f"), {.chunk_size = 65536}), log);
    s.on_data([&](std::string_view c) {
        log.data.append(c);
        if (++log.chunks == 1) ASSERT_EQ(::truncate(at("f").c_str(), 100000), 0);
    });
    nodus::run();
    EXPECT_EQ(log.err.code, fs::errc::file_shrank) << log.err.message();
    EXPECT_EQ(log.err.message(), "read '" + at("f") + "': the file shrank while it was read");
    EXPECT_EQ(log.data, pattern(100000));
    EXPECT_EQ(log.ends, 0);
    // A file that grows is read as far as it was when opened.
    put("g", "12345");
    stream_log grow;
    auto g = watch(fs::read_stream::open(at("g"), {.chunk_size = 2}), grow);
    g.on_open([&](const fs::file_info&) { std::ofstream(at("g"), std::ios::app) << "6789"; });
    nodus::run();
    EXPECT_EQ(grow.data, "12345");
    EXPECT_EQ(grow.ends, 1);
}

TEST_F(fs_test, close_stops_the_stream_and_releases_the_file) {
    put("f", pattern(200000));
    int chunks = 0, after = 0;
    auto s = fs::read_stream::open(at("f"), {.chunk_size = 1000});
    s.on_data([&, s](std::string_view c) {
        EXPECT_EQ(c.size(), 1000u);
        if (++chunks == 3) s.close(); // from inside the callback; the chunk stays valid
        EXPECT_EQ(c.size(), 1000u);
    });
    s.on_end([&] { ++after; });
    s.on_error([&](const fs::error&) { ++after; });
    // And one closed while it is still opening.
    auto early = fs::read_stream::open(at("f"));
    early.on_data([&](std::string_view) { ++after; });
    early.close();
    nodus::run();
    EXPECT_EQ(chunks, 3);
    EXPECT_EQ(after, 0);
    EXPECT_TRUE(s.done());
    // TearDown checks that both descriptors were closed.
}

TEST_F(fs_test, a_flowing_stream_runs_to_its_end_without_a_handle) {
    put("f", pattern(300000));
    std::size_t got = 0;
    int ends = 0;
    fs::read_stream::open(at("f"), {.chunk_size = 4096})
        .on_data([&](std::string_view c) { got += c.size(); })
        .on_end([&] { ++ends; });
    nodus::run();
    EXPECT_EQ(got, 300000u);
    EXPECT_EQ(ends, 1);
}

TEST_F(fs_test, a_paused_stream_whose_handles_are_gone_closes_its_file) {
    put("f", pattern(100000));
    int chunks = 0;
    {
        auto s = fs::read_stream::open(at("f"), {.chunk_size = 1000});
        s.on_data([&](std::string_view) { ++chunks; });
        s.pause(); // paused before the open completes: nothing is read
    }
    nodus::run();
    EXPECT_EQ(chunks, 0);
}

TEST_F(fs_test, a_throwing_data_callback_closes_the_stream_and_leaves_run) {
    put("f", pattern(100000));
    int chunks = 0, ends = 0;
    auto s = fs::read_stream::open(at("f"), {.chunk_size = 1000});
    s.on_data([&](std::string_view) {
        if (++chunks == 2) throw std::runtime_error("bad chunk");
    });
    s.on_end([&] { ++ends; });
    EXPECT_THROW(nodus::run(), std::runtime_error);
    EXPECT_TRUE(s.done());
    nodus::run();
    EXPECT_EQ(chunks, 2);
    EXPECT_EQ(ends, 0);
}

TEST_F(fs_test, a_path_with_a_nul_byte_is_refused_not_cut_short) {
    put("a", "secret");
    std::string path = at("a") + std::string("\0.txt", 5);
    auto e = run_one([&](auto cb) { fs::write_file(path, "x", cb); });
    EXPECT_EQ(e.code, std::errc::invalid_argument);
    EXPECT_EQ(e.path, path);
    fs::error read_err;
    fs::read_file(path, [&](const fs::error& err, std::string) { read_err = err; });
    stream_log log;
    watch(fs::read_stream::open(path), log);
    nodus::run();
    EXPECT_EQ(read_err.code, std::errc::invalid_argument);
    EXPECT_EQ(log.err.code, std::errc::invalid_argument);
    EXPECT_EQ(log.data, "");
    std::ifstream in(at("a"));
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "secret")
        << "the file before the NUL was written";
}

TEST_F(fs_test, many_streams_at_once_each_get_their_file) {
    auto data = pattern(200000);
    put("f", data);
    constexpr int n = 40;
    std::vector<stream_log> logs(n);
    for (int i = 0; i < n; ++i)
        watch(fs::read_stream::open(at("f"), {.chunk_size = 4096u + static_cast<std::size_t>(i)}), logs[i]);
    nodus::run();
    for (auto& l : logs) {
        EXPECT_EQ(l.data, data);
        EXPECT_EQ(l.ends, 1);
    }
    // And empty files and data.
    EXPECT_FALSE(run_one([&](auto cb) { fs::write_file(at("empty"), "", cb); }));
    std::string got = "x";
    fs::read_file(at("empty"), [&](const fs::error& e, std::string d) {
        EXPECT_FALSE(e);
        got = std::move(d);
    });
    stream_log empty;
    watch(fs::read_stream::open(at("empty")), empty);
    nodus::run();
    EXPECT_EQ(got, "");
    EXPECT_EQ(empty.chunks, 0);
    EXPECT_EQ(empty.ends, 1);
}

TEST_F(fs_test, streams_of_files_without_a_size_read_to_their_end_or_length) {
    ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
    auto data = pattern(300000); // more than a pipe holds: the writer waits for the stream
    std::thread writer([&] { std::ofstream(at("fifo"), std::ios::binary) << data; });
    stream_log fifo, zero, offset;
    watch(fs::read_stream::open(at("fifo"), {.chunk_size = 10000}), fifo);
    watch(fs::read_stream::open("/dev/zero", {.length = 100000}), zero);
    // A pipe cannot start at an offset: ESPIPE.
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    ASSERT_EQ(::write(p[1], "abc", 3), 3);
    ::close(p[1]);
    watch(fs::read_stream::open("/proc/self/fd/" + std::to_string(p[0]), {.start = 1}), offset);
    nodus::run();
    writer.join();
    ::close(p[0]);
    EXPECT_EQ(offset.err.code, std::errc::invalid_seek) << offset.err.message();
    EXPECT_EQ(offset.data, "");
    EXPECT_EQ(fifo.data, data);
    EXPECT_EQ(fifo.ends, 1);
    EXPECT_EQ(zero.data, std::string(100000, '\0'));
    EXPECT_EQ(zero.ends, 1);
}
