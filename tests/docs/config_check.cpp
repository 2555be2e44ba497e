// Reads each INI file named on the command line as nodus reads a --config file, then checks
// the values; prints one line per bad file. The exit code is the number of bad files.
#include <nodus/config/config.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    int bad = 0;
    for (int i = 1; i < argc; ++i) {
        try {
            nodus::validate(nodus::load_config_file(argv[i]));
        } catch (const nodus::config_error& e) {
            std::printf("%s\n", e.what());
            ++bad;
        }
    }
    return bad;
}
