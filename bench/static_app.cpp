// static_files's cost (bench/static.sh): the directory in STATIC_BENCH_ROOT served at the root
// with the default options, as `app.use(nodus::static_files(dir))`.
#include <nodus/nodus.hpp>

#include <cstdlib>

void nodus_main(nodus::app& app) {
    const char* root = std::getenv("STATIC_BENCH_ROOT");
    app.use(nodus::static_files(root && *root ? root : "."));
    app.listen();
}
