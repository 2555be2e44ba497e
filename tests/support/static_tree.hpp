#pragma once
// A directory tree for the static_files tests: a root to serve ("public") and, beside it,
// a secret that no request may reach, links into and out of the root, dotfiles, an index,
// precompressed siblings and a FIFO.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace nodus::test {

inline constexpr const char* secret_text = "TOPSECRET-0f1e2d3c";

struct static_tree {
    std::string dir; // holds secret.txt and public/
    std::string root; // dir + "/public"

    static_tree() {
        char tmpl[] = "/tmp/nodus-static-XXXXXX";
        if (!::mkdtemp(tmpl)) std::abort();
        dir = tmpl;
        root = dir + "/public";
        namespace fs = std::filesystem;
        fs::create_directories(root + "/sub");
        fs::create_directories(root + "/nodir");
        fs::create_directories(root + "/.hidden");
        write(dir + "/secret.txt", secret_text);
        write(dir + "/outside/secret.txt", secret_text);
        write(root + "/hello.txt", "hello world\n");
        write(root + "/digits.txt", "0123456789abcdefghij");
        write(root + "/index.html", "<h1>home</h1>\n");
        write(root + "/sub/index.html", "<h1>sub</h1>\n");
        write(root + "/.env", "DOTSECRET=1\n");
        write(root + "/.hidden/x.txt", "hidden\n");
        write(root + "/app.js", "console.log('plain');\n");
        write(root + "/app.js.br", "BROTLI-BYTES");
        write(root + "/style.css", "body{}\n");
        write(root + "/style.css.gz", "GZIP-BYTES");
        write(root + "/photo.JPG", "jpeg");
        write(root + "/data.unknownext", "?");
        fs::create_symlink("../secret.txt", root + "/link_out");
        fs::create_symlink(dir + "/secret.txt", root + "/link_abs");
        fs::create_symlink("..", root + "/up");
        fs::create_symlink(dir + "/outside", root + "/outdir");
        fs::create_symlink("hello.txt", root + "/link_in");
        ::mkfifo((root + "/fifo").c_str(), 0644);
    }
    ~static_tree() { std::filesystem::remove_all(dir); }
    static_tree(const static_tree&) = delete;
    static_tree& operator=(const static_tree&) = delete;

    static void write(const std::string& path, const std::string& data) {
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream(path, std::ios::binary) << data;
    }
};

} // namespace nodus::test
